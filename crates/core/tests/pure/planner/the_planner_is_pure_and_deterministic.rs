//! Planner cases as data. A case is a directory beside this file holding:
//!
//! - `manifest.yaml` (or a `manifests/` directory), whose leading comment says what the
//!   case is about; `${env:DD_API_KEY}` is [`API_KEY_VALUE`];
//! - `remote.json`: what Datadog holds, in ddhooks' own decoded types —
//!   `{"webhooks": [RemoteWebhook], "custom_variables": [RemoteVariable],
//!   "monitors": [RemoteMonitor], "notification_rules": [rule as the v2 API returns its
//!   `data`]}`, each list optional;
//! - `registry.json`: the registry as stored (the format of `--state file:PATH`);
//! - optionally `options.json`: `{"force": true}`;
//! - `plan.snap`: the expected `render_json` and `render_text` of the plan, and the order
//!   apply would write it in (`apply::schedule`) (insta).
//!
//! Add a case by adding a directory; review its new snapshot with `cargo insta review`.

use ddhooks_core::manifest::{self, LoadOptions};
use ddhooks_core::model::{Desired, Remote, RemoteMonitor, RemoteVariable, RemoteWebhook};
use ddhooks_core::plan::{plan, PlanOptions};
use ddhooks_core::registry::Registry;
use ddhooks_core::render::{render_json, render_text};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The value of `${env:DD_API_KEY}` in every case.
const API_KEY_VALUE: &str = "planner-test-api-key";

/// What Datadog holds, as lists (keyed by name and id here, so a case cannot disagree
/// with itself).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoteFixture {
    #[serde(default)]
    webhooks: Vec<RemoteWebhook>,
    #[serde(default)]
    custom_variables: Vec<RemoteVariable>,
    #[serde(default)]
    monitors: Vec<RemoteMonitor>,
    #[serde(default)]
    notification_rules: Vec<ddhooks_datadog::wire::RuleData>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsFixture {
    #[serde(default)]
    force: bool,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The case's manifests, loaded; and the loader's warnings, as text.
fn desired(case: &Path) -> (Desired, String) {
    let options = LoadOptions::default().with_env_map(BTreeMap::from([(
        "DD_API_KEY".to_string(),
        API_KEY_VALUE.to_string(),
    )]));
    let dir = case.join("manifests");
    let loaded = if dir.is_dir() {
        manifest::load_dir(&dir, &options)
    } else {
        let path = case.join("manifest.yaml");
        let sources = [manifest::Source {
            text: read(&path),
            path: PathBuf::from("manifest.yaml"),
        }];
        manifest::load_sources(&sources, &options)
    };
    match loaded {
        // Paths relative to the case, whatever the checkout's location.
        Ok(loaded) => (
            loaded.desired,
            loaded
                .warnings
                .to_string()
                .replace(&format!("{}/", case.display()), ""),
        ),
        Err(problems) => panic!("{}: the manifests do not load:\n{problems}", case.display()),
    }
}

fn remote(case: &Path) -> Remote {
    let fixture: RemoteFixture = json(&case.join("remote.json"));
    let mut remote = Remote::default();
    for w in fixture.webhooks {
        assert!(
            remote.webhooks.insert(w.name.clone(), w).is_none(),
            "a webhook twice"
        );
    }
    for v in fixture.custom_variables {
        assert!(
            remote.custom_variables.insert(v.name.clone(), v).is_none(),
            "a variable twice"
        );
    }
    for m in fixture.monitors {
        assert!(remote.monitors.insert(m.id, m).is_none(), "a monitor twice");
    }
    for r in fixture.notification_rules {
        let id = r.id.clone().expect("a listed rule has an id");
        let rule = ddhooks_datadog::fetch::notification_rule(&r.attributes)
            .expect("a rule Datadog would hold");
        let remote_rule = ddhooks_core::model::RemoteRule {
            id: id.clone(),
            rule,
            unmodelled: Default::default(),
        };
        assert!(
            remote.notification_rules.insert(id, remote_rule).is_none(),
            "a rule twice"
        );
    }
    remote
}

fn options(case: &Path) -> PlanOptions {
    let path = case.join("options.json");
    let force = path.exists() && json::<OptionsFixture>(&path).force;
    PlanOptions { force }
}

/// Every case directory, sorted.
fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pure/planner");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("the planner cases directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The snapshot of one case: the JSON plan, then the text plan (without colour), then the
/// loader's warnings if any.
fn rendered(case: &Path) -> String {
    let (desired, warnings) = desired(case);
    let remote = remote(case);
    let registry: Registry = json(&case.join("registry.json"));
    let options = options(case);
    let planned = plan(&desired, &remote, &registry, &options);
    let again = plan(&desired, &remote, &registry, &options);
    assert_eq!(
        planned,
        again,
        "{}: the same inputs, the same plan",
        case.display()
    );
    // The order apply would write it in, at the default concurrency of 16.
    let schedule = ddhooks_core::apply::schedule(&planned, 16).join("\n");
    let mut out = format!(
        "--- render_json\n{}--- render_text\n{}--- schedule\n{schedule}\n",
        render_json(&planned).expect("the JSON plan renders"),
        render_text(&planned, false)
    );
    if !warnings.is_empty() {
        out.push_str(&format!("--- load warnings\n{warnings}"));
    }
    assert!(
        !out.contains(API_KEY_VALUE),
        "{}: the secret value reached the plan",
        case.display()
    );
    out
}

#[test]
fn every_case_plans_as_its_snapshot_shows() {
    let cases = cases();
    assert!(cases.len() >= 12, "only {} planner cases", cases.len());
    for case in cases {
        let text = rendered(&case);
        let input = if case.join("manifests").is_dir() {
            case.join("manifests")
        } else {
            case.join("manifest.yaml")
        };
        insta::with_settings!({
            snapshot_path => case.clone(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            input_file => input,
        }, {
            insta::assert_snapshot!("plan", text);
        });
    }
}
