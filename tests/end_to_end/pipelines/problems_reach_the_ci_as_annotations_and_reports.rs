//! In GitHub Actions every manifest problem and plan problem is also a workflow command that
//! annotates its line; `validate --format json|gitlab` gives the same problems as data.

use crate::kit::cli::{self, Run};
use crate::kit::fixtures::{block, pair_body, Workspace, SCENARIO};
use crate::kit::sandbox::Sandbox;
use serde_json::Value;
use std::collections::BTreeSet;

/// A manifest with one error (line 5, a url that is not http) and one warning (an unset
/// `${env:…}`, which validate only warns about).
const BROKEN: &str = "custom_variables:
  TOKEN: {value: \"${env:DDHOOKS_TEST_SURELY_UNSET}\", secret: true}
webhooks:
  w:
    url: ftp://example.com/x
";

async fn validate(ws: &Workspace, extra: &[&str], github: bool) -> Run {
    let mut cmd = cli::command(&["validate", ws.manifests().to_str().unwrap()]);
    cmd.args(extra).env_remove("GITHUB_STEP_SUMMARY");
    if github {
        cmd.env("GITHUB_ACTIONS", "true");
    } else {
        cmd.env_remove("GITHUB_ACTIONS");
    }
    cli::run(cmd).await
}

/// `FILE:LINE:COL: severity` of each problem line validate prints as text.
fn text_positions(run: &Run) -> BTreeSet<(String, u64, u64, String)> {
    run.stdout
        .lines()
        .filter_map(|line| {
            let (place, rest) = line.split_once(": ")?;
            let severity = rest.split(':').next()?.to_string();
            let mut parts = place.rsplitn(3, ':');
            let col = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), line, col, severity))
        })
        .collect()
}

#[tokio::test]
async fn validate_annotates_every_problem_at_its_line_in_github_actions() {
    let ws = Workspace::new();
    ws.write("broken.yaml", BROKEN);
    let run = validate(&ws, &[], true).await;
    assert_eq!(run.code, 1, "{}", run.all());
    let expected = text_positions(&run);
    assert_eq!(
        expected.len(),
        2,
        "one error and one warning:\n{}",
        run.all()
    );

    let mut annotated = BTreeSet::new();
    for line in run.stderr.lines().filter(|l| l.starts_with("::")) {
        let (command, message) = line[2..].split_once("::").expect("`::cmd props::msg`");
        let (level, props) = command.split_once(' ').expect("properties");
        let prop = |key: &str| {
            props
                .split(',')
                .find_map(|p| p.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("no {key} in {line}"))
                .to_string()
        };
        assert!(!message.contains('\n') && !message.is_empty(), "{line}");
        annotated.insert((
            prop("file"),
            prop("line").parse().unwrap(),
            prop("col").parse().unwrap(),
            level.to_string(),
        ));
    }
    assert_eq!(annotated, expected, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("::error file=") && run.stderr.contains("not an http(s) URL"),
        "{}",
        run.stderr
    );

    let outside = validate(&ws, &[], false).await;
    assert!(
        !outside.stderr.contains("::"),
        "no workflow command outside GitHub Actions:\n{}",
        outside.stderr
    );
    assert_eq!(
        outside.stdout, run.stdout,
        "stdout is the same in and out of CI"
    );
}

#[tokio::test]
async fn validate_reports_problems_as_json_and_as_gitlab_code_quality() {
    let ws = Workspace::new();
    ws.write("broken.yaml", BROKEN);
    let text = validate(&ws, &[], false).await;
    let positions = text_positions(&text);

    let json = validate(&ws, &["--format", "json"], false).await;
    assert_eq!(json.code, 1, "invalid manifests still exit 1");
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    assert_eq!(report["format"], "ddhooks-validate/1");
    assert_eq!(report["valid"], false);
    assert_eq!(
        (report["errors"].as_u64(), report["warnings"].as_u64()),
        (Some(1), Some(1))
    );
    let listed: BTreeSet<(String, u64, u64, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
                p["column"].as_u64().unwrap(),
                p["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, positions);

    let gitlab = validate(&ws, &["--format", "gitlab"], false).await;
    assert_eq!(gitlab.code, 1);
    let issues: Vec<Value> = serde_json::from_str(&gitlab.stdout).expect("a JSON array");
    assert_eq!(issues.len(), 2);
    let mut fingerprints = BTreeSet::new();
    for issue in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} in {issue}");
        }
        assert!(["major", "minor"].contains(&issue["severity"].as_str().unwrap()));
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(path.ends_with("broken.yaml"), "{issue}");
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_string());
    }
    assert_eq!(fingerprints.len(), 2, "fingerprints are unique");
    let again = validate(&ws, &["--format", "gitlab"], false).await;
    assert_eq!(
        again.stdout, gitlab.stdout,
        "fingerprints are stable between runs"
    );

    ws.write(
        "broken.yaml",
        "webhooks:\n  w:\n    url: https://example.com/x\n",
    );
    let valid = validate(&ws, &["--format", "json"], false).await;
    assert_eq!(valid.code, 0, "{}", valid.all());
    let report: Value = serde_json::from_str(&valid.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["problems"], Value::Array(vec![]));
}

#[tokio::test]
async fn a_plan_problem_is_annotated_with_the_monitor_it_concerns() {
    let sandbox = Sandbox::start(Default::default()).await;
    // A begin marker without its end: a damaged block, which the plan refuses to touch.
    let damaged = block("grp", &pair_body("grp"));
    let damaged = damaged.split("{{!-- ddhooks:end").next().unwrap();
    let id = sandbox
        .checkout_monitor("damaged", &format!("people text\n{damaged}"))
        .await;
    let ws = Workspace::new();
    ws.write("scenario.yaml", SCENARIO);
    let mut cmd = cli::verb("plan", &sandbox.base, &ws.manifests(), &[]);
    cmd.env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY");
    let run = cli::run(cmd).await;
    assert_eq!(run.code, 1, "a plan with a problem exits 1:\n{}", run.all());
    let annotation = run
        .stderr
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no error annotation:\n{}", run.all()));
    assert!(
        annotation.starts_with(&format!(
            "::error title=ddhooks plan%3A monitor.{id}::monitor {id} "
        )),
        "{annotation}"
    );
    assert!(annotation.contains("damaged managed block"), "{annotation}");
    assert!(
        !run.stdout.contains("::error"),
        "stdout stays the plan:\n{}",
        run.stdout
    );
}
