//! Conformance against Terraform's provider: replays the go-vcr (YAML, version 2) cassettes
//! copied verbatim into `tests/data/cassettes/terraform/` (see its `ORIGIN.md`) with the
//! comparison of [`super::replay`], and reports, per cassette, what was replayed, skipped
//! and found different. These are the newest recordings of the behaviours the sandbox
//! emulates (auth methods, `auth_method_id`, trimming, `restriction_policy`, dropped
//! thresholds, `classification`, `with_restricted_roles=false`, group widget ids), so unlike
//! the official clients' cassettes they are part of the project and always replayed.
//!
//! What these recordings add to the tolerances of the module docs of `conformance`:
//! - Their requests go through Terraform's provider, which also calls endpoints the sandbox
//!   does not serve (`/api/v2/roles`, `/api/v2/permissions`, `/api/v2/restriction_policy`,
//!   synthetics): skipped and counted, like the official clients'.

use super::replay::{replay, Interaction, Summary, RECORDED_HOST};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The directory of the Terraform cassettes, inside the project.
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cassettes/terraform")
}

/// A go-vcr cassette, version 2: only what the replay reads.
#[derive(Deserialize)]
struct Cassette {
    version: u32,
    interactions: Vec<Exchange>,
}

#[derive(Deserialize)]
struct Exchange {
    request: Request,
    response: Response,
}

#[derive(Deserialize)]
struct Request {
    method: String,
    url: String,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct Response {
    code: u16,
    #[serde(default)]
    body: String,
}

/// The interactions of a go-vcr version 2 cassette (Terraform's, and the official Go
/// client's in [`super::clients`]); any other version is an error.
/// Loads the go-vcr cassette `file` and replays it as `label` (a skip is a failure when
/// `must_replay`): what the Terraform and the official clients' suites do per file.
pub(super) async fn replay_cassette(
    file: &Path,
    label: &str,
    must_replay: bool,
    summary: &mut Summary,
) {
    let interactions = load(file).unwrap_or_else(|e| panic!("{e}"));
    replay(label, &interactions, must_replay, summary).await;
}

pub(super) fn load(path: &Path) -> Result<Vec<Interaction>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let cassette: Cassette = serde_yaml::from_str(&text)
        .map_err(|e| format!("{} is not a go-vcr cassette: {e}", path.display()))?;
    if cassette.version != 2 {
        return Err(format!(
            "{}: go-vcr version {}, expected 2",
            path.display(),
            cassette.version
        ));
    }
    Ok(cassette
        .interactions
        .into_iter()
        .map(|x| Interaction {
            method: x.request.method.to_uppercase(),
            uri: x.request.url.trim_start_matches(RECORDED_HOST).to_string(),
            body: x.request.body.trim_end().to_string(),
            status: x.response.code,
            response: x.response.body.trim_end().to_string(),
        })
        .collect())
}

/// Every `*.yaml` of the directory, sorted; an error when there is none.
fn cassettes(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|x| x == "yaml"))
        .collect();
    sorted_cassettes(files, dir)
}

/// The cassettes found under `dir`, sorted; an error when there is none (a cassette
/// directory that is there but empty fails the suite instead of passing it).
pub(super) fn sorted_cassettes(
    mut files: Vec<PathBuf>,
    dir: &Path,
) -> Result<Vec<PathBuf>, String> {
    files.sort();
    if files.is_empty() {
        return Err(format!("{} holds no cassette", dir.display()));
    }
    Ok(files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_terraform_recordings() {
    let files = cassettes(&dir()).unwrap_or_else(|e| panic!("terraform conformance: {e}"));
    let mut summary = Summary::default();
    for file in files {
        let name = file.file_stem().unwrap_or_default().to_string_lossy();
        // Every exchange of the webhooks, auth methods and handles' destinations is served
        // (but the PagerDuty integration as a whole, and other hosts): a skip there is a
        // failure.
        let must_replay = ["Webhook", "Slack", "Opsgenie", "MSTeams", "Teams", "User_"]
            .iter()
            .any(|kind| name.contains(kind));
        let label = format!("terraform/{name}");
        replay_cassette(&file, &label, must_replay, &mut summary).await;
    }
    summary.report("terraform conformance summary");
}

#[test]
fn only_go_vcr_version_2_cassettes_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v1 = dir.path().join("v1.yaml");
    std::fs::write(&v1, "version: 1\ninteractions: []\n").unwrap();
    assert!(load(&v1).unwrap_err().contains("version 1"));
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "interactions: 3\n").unwrap();
    assert!(load(&bad).unwrap_err().contains("not a go-vcr cassette"));
    let ok = dir.path().join("ok.yaml");
    let text = [
        "version: 2",
        "interactions:",
        "    - request:",
        "        method: GET",
        "        url: https://api.datadoghq.com/api/v1/validate",
        "        body: \"\"",
        "      response:",
        "        code: 200",
        "        body: |",
        "            {\"valid\":true}",
    ];
    std::fs::write(&ok, text.join("\n")).unwrap();
    let loaded = load(&ok).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(
        (loaded[0].method.as_str(), loaded[0].uri.as_str()),
        ("GET", "/api/v1/validate")
    );
    assert_eq!(loaded[0].response, "{\"valid\":true}");
    assert!(cassettes(dir.path()).is_ok());
    assert!(cassettes(&dir.path().join("absent")).is_err());
}
