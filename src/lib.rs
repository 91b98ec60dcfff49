//! ddhooks: Datadog webhook pairs, webhook custom variables and monitor notification blocks
//! as code. The binary's crate: the command line, one file per verb, and the apply driver.
//! The layers live in their own crates (see ARCHITECTURE.md); they are re-exported here under
//! their module names so that tests and benches see one API.

pub mod apply;
pub mod cli;
pub mod commands;
pub mod output;

pub use ddhooks_core::{
    annotate, fs, handles, import, manifest, mask, model, plan, preview, registry, render, routing,
    template,
};
pub use ddhooks_datadog as datadog;
pub use ddhooks_sandbox as sandbox;
