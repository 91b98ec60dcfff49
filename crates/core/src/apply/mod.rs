//! Applying a plan, sans IO: the [`engine`] hands out each write as a step, in the order
//! the plan's dependencies allow, takes each outcome back, and keeps the registry's
//! bookkeeping. The async driver that performs the steps over HTTP is the binary's
//! (`ddhooks::apply`); nothing here knows of tokio or HTTP.

mod bookkeeping;
pub mod engine;
mod freshness;
mod schedule;
mod step;

pub use freshness::{Freshness, ListingSize, REQUEST_COST_BYTES};
pub use schedule::{schedule, schedule_from, ScheduledStep};
