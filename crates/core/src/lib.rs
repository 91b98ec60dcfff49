//! The pure core of ddhooks: the domain model, Datadog message templates, manifests, the
//! ownership registry, the planner and the plan renderers. No async runtime, no HTTP, no CLI
//! parser: manifests and remote state in, a plan and its renderings out (see ARCHITECTURE.md).

pub mod annotate;
pub mod apply;
pub mod fs;
pub mod handles;
pub mod import;
pub mod manifest;
pub mod mask;
pub mod model;
pub mod plan;
pub mod preview;
pub mod registry;
pub mod render;
pub mod routing;
pub mod scope;
pub mod template;
