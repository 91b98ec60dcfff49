//! Pipelines and everyday use: what ddhooks does inside CI and at a terminal, through the
//! real binary and the files users copy.

#[path = "../kit/mod.rs"]
mod kit;

/// The CI examples and the pre-commit hook call only what this ddhooks accepts.
mod ci_examples_run_with_this_cli;
