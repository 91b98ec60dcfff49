//! Datadog message templates: parse monitor messages, evaluate their conditional sections
//! for a state transition, find and rewrite ddhooks' managed blocks, and scan or fill
//! `$VARIABLES` in webhook urls, headers and payloads.
//!
//! Pure text in, text out: no I/O. Shared by the manifest linter, the planner and the
//! sandbox's simulation.

pub mod blocks;
pub mod message;
pub mod variables;

pub use blocks::{find_blocks, set_block, BlockError, ManagedBlock};
pub use message::{handles, parse, render, Handle, MonitorState, Node, TemplateError, Transition};
pub use variables::{scan_variables, substitute, VariableRef, BUILTIN_VARIABLES};
