//! The manifests, monitors and expected texts the tests share.

use super::sandbox::Sandbox;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `apply`'s hidden flag that keeps an apply from listing the monitors again, however
/// long it takes (an hour's read age): request counts are then exact on any machine.
pub const NO_RELISTING: [&str; 2] = ["--monitor-read-max-age-ms", "3600000"];

/// The same flag at zero: any read is too old by the first monitor write, so an apply lists
/// the monitors again before writing them, on any machine, however fast.
pub const ALWAYS_RELISTING: [&str; 2] = ["--monitor-read-max-age-ms", "0"];

/// The manifests of the issue's scenario: a secret API-key variable, a pair and its block
/// on every `team:checkout` monitor.
pub const SCENARIO: &str = concat!(
    "\n",
    the_variable!(),
    r#"
webhook_pairs:
  grp:
    check: grp.status
    tags: ["monitor_id:$ALERT_ID", "team:checkout"]

monitor_notifications:
  grp:
    monitors:
      tags: ["team:checkout"]
    pair: grp
"#
);

/// Only the scenario's secret variable.
pub const ONLY_THE_VARIABLE: &str = the_variable!();

/// The block ddhooks appends for `name` with `body`.
pub fn block(name: &str, body: &str) -> String {
    format!("{{{{!-- ddhooks:begin {name} --}}}}\n{body}\n{{{{!-- ddhooks:end {name} --}}}}")
}

/// The body of a pair block with only alert and recovery.
pub fn pair_body(pair: &str) -> String {
    format!(
        "{{{{#is_alert}}}} @webhook-{pair}-alert-check {{{{/is_alert}}}}\n{{{{#is_recovery}}}} @webhook-{pair}-ok-check {{{{/is_recovery}}}}"
    )
}

/// The two webhooks of each pair.
pub fn pair_webhooks<S: AsRef<str>>(pairs: &[S]) -> BTreeSet<String> {
    pairs
        .iter()
        .flat_map(|p| {
            let p = p.as_ref();
            [format!("{p}-alert-check"), format!("{p}-ok-check")]
        })
        .collect()
}

/// The people-written text of monitor `i`: unicode, trailing spaces, existing conditionals.
pub fn people_text(i: usize) -> String {
    match i % 4 {
        0 => format!("CPU high on {{{{host.name}}}} #{i}. Runbook: https://wiki/cpu?x={i}"),
        1 => format!("Latency {{{{value}}}} ms — see https://grafana/d/{i} 📈\n{{{{!-- owner: @jane --}}}}  "),
        2 => format!("{{{{#is_alert}}}} @pagerduty-db {{{{/is_alert}}}}\nDisk #{i} almost full @ops"),
        _ => format!("Plain text {i}\n\n"),
    }
}

/// The team of monitor `i` of [`people_monitors`] (`payments` for even `i`, `checkout`
/// for odd), which is also the name of the pair that [`write_manifests`] puts on its
/// monitors in the tests that name their pairs after the teams.
pub fn team(i: usize) -> &'static str {
    if i % 2 == 0 {
        "payments"
    } else {
        "checkout"
    }
}

/// Creates `count` monitors (on a fault-free sandbox) with [`people_text`], even ones
/// tagged `team:payments`, odd ones `team:checkout`; returns their ids with their text.
pub async fn people_monitors(sandbox: &Sandbox, count: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for i in 0..count {
        let text = people_text(i);
        let tag = format!("team:{}", team(i));
        let id = sandbox
            .create_monitor(&format!("monitor {i}"), &[&tag], &text)
            .await;
        out.push((id, text));
    }
    out
}

/// Writes manifests into `dir` (replacing earlier ones): the secret `DD_API_KEY` variable
/// from the environment, one pair per name of `pairs` with a block on the team's monitors
/// (`team:payments` when the name contains `pay`, else `team:checkout`), and `extra` YAML
/// appended.
pub fn write_manifests<S: AsRef<str>>(dir: &Path, pairs: &[S], extra: &str) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("manifests dir");
    let mut yaml = String::from(ONLY_THE_VARIABLE);
    if !pairs.is_empty() {
        yaml.push_str("webhook_pairs:\n");
        for p in pairs {
            let p = p.as_ref();
            yaml.push_str(&format!("  {p}:\n    check: {p}.status\n"));
        }
        yaml.push_str("monitor_notifications:\n");
        for p in pairs {
            let p = p.as_ref();
            let team = if p.contains("pay") {
                "payments"
            } else {
                "checkout"
            };
            yaml.push_str(&format!(
                "  {p}:\n    monitors: {{tags: [\"team:{team}\"]}}\n    pair: {p}\n"
            ));
        }
    }
    yaml.push_str(extra);
    std::fs::write(dir.join("main.yaml"), yaml).expect("manifest written");
}

/// A temporary directory with a `manifests/` directory inside.
pub struct Workspace {
    /// The directory (removed when dropped).
    pub dir: tempfile::TempDir,
}

impl Default for Workspace {
    fn default() -> Workspace {
        Workspace::new()
    }
}

impl Workspace {
    /// A new, empty one.
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("manifests")).expect("manifests dir");
        Workspace { dir }
    }

    /// The manifests directory.
    pub fn manifests(&self) -> PathBuf {
        self.dir.path().join("manifests")
    }

    /// A path inside the temporary directory (outside the manifests).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes (or replaces) manifest file `name`.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.manifests().join(name), text).expect("manifest written");
    }

    /// Removes manifest file `name`.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.manifests().join(name)).expect("manifest removed");
    }
}

/// The statuses of the check runs tagged `monitor_id:ID`, in the order they landed.
pub fn statuses_for(runs: &[serde_json::Value], id: i64) -> Vec<i64> {
    let tag = format!("monitor_id:{id}");
    runs.iter()
        .filter(|r| {
            r["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| *t == tag))
        })
        .filter_map(|r| r["status"].as_i64())
        .collect()
}
