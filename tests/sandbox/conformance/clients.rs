//! Conformance against the official Go client's recordings of the handle check's listings
//! that neither Terraform's cassettes nor `../shared` replay (the Slack channel listing of an
//! account the org lacks, the Opsgenie and Workflows webhook handle listings): go-vcr
//! version 2 cassettes copied verbatim into `tests/data/cassettes/clients/` (see its
//! `ORIGIN.md`), loaded by [`super::terraform::load`] and replayed by [`super::replay`].
//! Every interaction must be replayed: a skip is a failure.

use super::replay::Summary;
use super::terraform::{replay_cassette, sorted_cassettes};
use std::path::{Path, PathBuf};

/// The directory of the official clients' cassettes, inside the project.
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cassettes/clients")
}

/// Every `*.yaml` under `dir`, at any depth (the Go client names a subtest's cassette
/// `Test…/400_Bad_Request.yaml`), sorted; an error when there is none.
fn cassettes(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        let entries =
            std::fs::read_dir(&at).map_err(|e| format!("cannot read {}: {e}", at.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read {}: {e}", at.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "yaml") {
                files.push(path);
            }
        }
    }
    sorted_cassettes(files, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_official_client_recordings() {
    let root = dir();
    let files = cassettes(&root).unwrap_or_else(|e| panic!("client conformance: {e}"));
    let mut summary = Summary::default();
    for file in files {
        let name = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        replay_cassette(&file, &format!("clients/{name}"), true, &mut summary).await;
    }
    summary.report("official client conformance summary");
}

#[test]
fn cassettes_are_found_at_any_depth() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(cassettes(dir.path()).is_err(), "no cassette is an error");
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(dir.path().join("a/b/deep.yaml"), "").unwrap();
    std::fs::write(dir.path().join("top.yaml"), "").unwrap();
    std::fs::write(dir.path().join("a/b/deep.freeze"), "").unwrap();
    let found = cassettes(dir.path()).unwrap();
    let names: Vec<String> = found
        .iter()
        .map(|f| {
            f.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a/b/deep.yaml", "top.yaml"]);
}
