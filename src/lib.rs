//! ddhooks: Datadog webhook pairs, webhook custom variables and monitor notification blocks
//! as code. See ARCHITECTURE.md for the modules and how data flows between them.

pub mod apply;
pub mod cli;
pub mod commands;
pub mod datadog;
pub mod fs;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod registry;
pub mod render;
pub mod sandbox;
pub mod template;
