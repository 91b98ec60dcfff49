//! End to end: the real `ddhooks` binary (and ddhooks in process) against real sandboxes
//! over loopback HTTP, one module per promise of the documents, grouped as the docs are.
//! One test binary, so that the whole stack is linked once; the kit is the
//! `ddhooks-testkit` crate, compiled once for this binary and `tests/sandbox`.

use ddhooks_testkit as kit;

/// Manifests checked through the binary: `validate` reports the bad corpus at its
/// FILE:LINE:COL and accepts the good manifests.
mod manifests;
/// Pipelines and everyday use: CI jobs and people at a terminal.
mod pipelines;
/// Plan and apply end to end, one module per guarantee of docs/guarantees.md.
mod plan_apply;
/// Reliability: faults, rate limits, concurrent applies, interruption, secrecy, bad input.
mod reliability;
