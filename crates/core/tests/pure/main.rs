//! The pure core's suites, in one test binary that links no async runtime, HTTP client or
//! server: manifests and message templates in, plans and schedules out, and the rules that
//! keep the core pure. What needs the binary or a sandbox is in the root's `tests/`.

use std::path::PathBuf;

/// Manifests and message templates: round trips into the model, people's text around
/// managed blocks, inputs that must never panic, and the documents' links and examples.
mod manifests;
/// No module cycles in any crate, and ARCHITECTURE.md's module graph is the sources'.
mod module_graph;
/// The planner as data (one directory per case, each with its snapshot), and the
/// dependency rule that keeps the core free of I/O.
mod planner;

/// The repository's root (this crate is `crates/core`): the documents, the example
/// manifests and the corpus live there.
fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
