//! The planner as data: every directory beside this file is a case — manifests, the remote
//! state as Datadog holds it, the registry — planned with `ddhooks_core::plan::plan` and
//! rendered as JSON and text, each case with its snapshot. And the dependency rule that
//! keeps the core (where the planner lives) free of I/O.

/// `cargo metadata`: the core depends on no async runtime, HTTP or CLI crate, and no
/// layer depends on a layer above it.
mod the_core_depends_on_no_io;
/// Each case directory plans as its `plan.snap` shows, the same way every time.
mod the_planner_is_pure_and_deterministic;
