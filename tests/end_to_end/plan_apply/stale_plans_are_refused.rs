//! Stale plans: a saved plan is compared with a fresh read under the lock and refused as a
//! whole when Datadog or the manifests moved since it was made; monitors edited or deleted
//! while a long webhook chain runs are refused, not overwritten.

use crate::kit::cli::{self, Run};
use crate::kit::e2e::E2e;
use crate::kit::fixtures::{block, pair_body, Workspace, ALWAYS_RELISTING, NO_RELISTING, SCENARIO};
use crate::kit::sandbox::{route, Sandbox, WEBHOOKS};
use ddhooks::sandbox::SandboxConfig;
use serde_json::json;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_is_refused_when_a_monitor_changed() {
    let e = E2e::start().await;
    let id = e.checkout_monitor("[checkout] errors", "Errors").await;
    e.write("checkout.yaml", SCENARIO);
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(out.exists());

    e.set_message(id, "Errors (edited by someone)").await;
    e.clear_requests().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    apply.assert_exit_shows(1, &["stale", &format!("monitor.{id}")]);
    assert_eq!(e.writes().await, 0, "{:?}", e.request_counts().await);
    assert_eq!(e.message(id).await, "Errors (edited by someone)");
    assert!(e.webhook("grp-alert-check").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_is_refused_when_a_webhook_changed() {
    let e = E2e::start().await;
    e.checkout_monitor("[checkout] errors", "Errors").await;
    e.write("checkout.yaml", SCENARIO);
    e.apply_ok().await;
    e.write(
        "checkout.yaml",
        &SCENARIO.replace("check: grp.status", "check: grp.state"),
    );
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan
        .stdout
        .contains("~ webhook.grp-alert-check will be updated in place"));

    let (status, body) = e
        .put(
            &format!("{WEBHOOKS}/grp-ok-check"),
            json!({"url": "https://example.com/someone-else"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    e.clear_requests().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    apply.assert_exit_shows(1, &["stale", "webhook.grp-ok-check"]);
    assert_eq!(e.writes().await, 0, "{:?}", e.request_counts().await);
    let alert = e.webhook("grp-alert-check").await.unwrap();
    assert!(
        alert["payload"].as_str().unwrap().contains("grp.status"),
        "{alert}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_plan_is_refused_when_the_manifests_changed() {
    let e = E2e::start().await;
    e.write(
        "hooks.yaml",
        "webhooks:\n  chat:\n    url: https://a.example.com/\n",
    );
    let out = e.path("p.json");
    let plan = e.plan(&["--out", out.to_str().unwrap()]).await;
    assert_eq!(plan.code, 0, "{}", plan.all());
    e.write(
        "hooks.yaml",
        "webhooks:\n  chat:\n    url: https://b.example.com/\n",
    );
    e.clear_requests().await;
    let apply = e.apply(&["--plan", out.to_str().unwrap()]).await;
    apply.assert_exit_shows(1, &["stale", "webhook.chat"]);
    assert_eq!(e.writes().await, 0);
    assert!(e.webhook("chat").await.is_none());
}

// ---------------------------------------------------------------------------------------
// Monitors edited while a long webhook chain runs (issue #6). Apply writes from the read it
// planned from, with no second read per object; when a monitor write is handed out more
// than MONITOR_READ_MAX_AGE after the last read of the monitors, the monitors are read again
// (alongside the chain's next write), and a monitor whose message moved (or that is gone)
// is refused while the others are written. How they are read again depends on the org
// (issue 25): a new listing when it costs less than reading each written monitor by id,
// each by id otherwise ([`Freshness`]). The tests set the read age allowed to zero
// ([`ALWAYS_RELISTING`]) rather than make the chain outlast it: whether a second read
// happens never depends on how fast the machine is.

/// Monitors in the org: exactly one full page, so a listing is two pages (the second empty).
const MONITORS: usize = 1_000;

/// How the apply reads the monitors again, which the share of the org it writes decides:
/// the listing of [`MONITORS`] monitors is two requests and most of a megabyte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    /// Every 25th monitor gets the block: 40 reads by id would cost more than the listing.
    Relist,
    /// Every 250th: 4 reads by id cost less than the listing.
    ReadEach,
}

impl Freshness {
    /// Every `every()`-th monitor is tagged `team:checkout` and gets the scenario's block.
    fn every(self) -> usize {
        match self {
            Freshness::Relist => 25,
            Freshness::ReadEach => 250,
        }
    }
}
/// Webhooks added to the scenario before the pair, so that the chain of webhook writes, one
/// at a time and each answered `LATENCY` after it arrives, leaves `PADDING × LATENCY` = 3 s
/// between the apply's first webhook create and its listing again: a person's edit made
/// then (one request, also answered after `LATENCY`) lands before it, which
/// `Org::during_the_chain` asserts.
const PADDING: usize = 12;
const LATENCY: Duration = Duration::from_millis(250);

/// Webhooks written after the pair when there is padding before it.
fn trailing(padding: usize) -> usize {
    if padding > 0 {
        2
    } else {
        0
    }
}

/// A sandbox holding an org of monitors, the scenario's manifests (with `padding` more
/// webhooks) in a workspace, and the monitors that get a block with their people's text.
struct Org {
    sandbox: Sandbox,
    work: Workspace,
    padding: usize,
    targeted: BTreeMap<i64, String>,
    freshness: Freshness,
}

impl Org {
    /// A sandbox whose API answers take `latency`, holding the org, whose apply keeps its
    /// monitor writes fresh as `freshness` says.
    async fn start(latency: Duration, padding: usize, freshness: Freshness) -> Org {
        let sandbox = Sandbox::start(SandboxConfig {
            latency,
            ..SandboxConfig::default()
        })
        .await;
        let monitors: Vec<(String, Vec<String>, String)> = (0..MONITORS)
            .map(|i| {
                let team = if i % freshness.every() == 0 {
                    "checkout"
                } else {
                    "search"
                };
                (
                    format!("disk #{i}"),
                    vec![format!("team:{team}")],
                    format!("Disk {i} almost full on {{{{host.name}}}} @ops"),
                )
            })
            .collect();
        let ids = sandbox.create_monitors(&monitors).await;
        let targeted = ids
            .into_iter()
            .zip(monitors)
            .filter(|(_, (_, tags, _))| tags[0] == "team:checkout")
            .map(|(id, (_, _, message))| (id, message))
            .collect();
        let work = Workspace::new();
        // The chain goes in name order: `a-pad-…` before the pair, so that its monitor
        // writes are ready only `PADDING × LATENCY` after the read; `z-pad-…` after it, so that they ride
        // along with the chain (and so does the new listing).
        let pads: String = (0..padding)
            .map(|i| format!("  a-pad-{i:02}:\n    url: https://example.com/pad/{i}\n"))
            .chain(
                (0..trailing(padding))
                    .map(|i| format!("  z-pad-{i:02}:\n    url: https://example.com/pad/z{i}\n")),
            )
            .collect();
        let webhooks = if padding > 0 {
            format!("webhooks:\n{pads}")
        } else {
            String::new()
        };
        work.write("main.yaml", &format!("{SCENARIO}{webhooks}"));
        Org {
            sandbox,
            work,
            padding,
            targeted,
            freshness,
        }
    }

    /// `apply --auto-approve` with `extra` flags, spawned, with the request log cleared first.
    async fn spawn_apply_with(&self, extra: &[&str]) -> tokio::process::Child {
        self.sandbox.clear_requests().await;
        cli::verb(
            "apply",
            &self.sandbox.base,
            &self.work.manifests(),
            &[&["--auto-approve"][..], extra].concat(),
        )
        .spawn()
        .expect("ddhooks starts")
    }

    /// Waits until the apply's reads are over (its first webhook create arrived), checks
    /// that `edit`, made then, lands before the monitors are read again.
    async fn during_the_chain(&self, child: &mut tokio::process::Child, edit: impl Future) {
        self.sandbox
            .await_count(route::WEBHOOK_CREATE, 1, child)
            .await
            .expect("the apply reaches its webhook writes");
        edit.await;
        let counts = self.sandbox.request_counts().await;
        assert_eq!(
            (
                counts.get(route::MONITOR_PAGE),
                counts.get(route::MONITOR_READ)
            ),
            (Some(&2), None),
            "the edit landed before the monitors were read again: {counts:?}"
        );
    }

    /// Applies the saved plan, with no read age allowed ([`ALWAYS_RELISTING`]), while
    /// `change` (one request, on `change_route`) moves monitor `changed` during the chain;
    /// asserts that only that monitor is refused, saying `because`, that every other one is
    /// written, and that the apply read the monitors again as [`Freshness`] says: listed
    /// again before each batch of writes (1,000 monitors known: both pages) and none read
    /// by id, or each monitor it writes read by id once and no second listing.
    async fn assert_refused_alone(
        &self,
        changed: i64,
        change: impl Future,
        change_route: &str,
        because: &str,
    ) {
        let mut apply = self.spawn_apply_with(&ALWAYS_RELISTING).await;
        self.during_the_chain(&mut apply, change).await;
        let run = cli::finish(apply).await;
        let requests = self.sandbox.request_counts().await;

        assert_refused_only(self, &run, changed, because);
        self.assert_written(changed).await;
        let targeted = self.targeted.len() as u64;
        let expected = match self.freshness {
            // No read age allowed: a listing before the 15 writes that ride along with the
            // chain's last write, another before the other 24.
            Freshness::Relist => self.apply_routes(2 + 2 * 2, targeted - 1, &[(change_route, 1)]),
            Freshness::ReadEach => self.apply_routes(
                2,
                targeted - 1,
                &[(change_route, 1), (route::MONITOR_READ, targeted)],
            ),
        };
        assert_eq!(requests, expected, "requests of the apply\n{}", run.all());
    }

    /// Asserts that every targeted monitor but `except` carries the block after its
    /// people-written text.
    async fn assert_written(&self, except: i64) {
        let want = block("grp", &pair_body("grp"));
        for (id, people) in &self.targeted {
            if *id == except {
                continue;
            }
            let message = self.sandbox.message(*id).await;
            assert!(
                message.starts_with(people.as_str()) && message.ends_with(&want),
                "monitor {id} was not written: {message:?}"
            );
        }
    }

    /// The requests of an apply from scratch of the manifests, the lock included (see
    /// `requests_are_the_minimum_the_api_allows`), with `pages` monitor pages and
    /// `monitor_writes` monitor writes, plus what the test itself sent (`extra`).
    fn apply_routes(
        &self,
        pages: u64,
        monitor_writes: u64,
        extra: &[(&str, u64)],
    ) -> BTreeMap<String, u64> {
        let w = (2 + self.padding + trailing(self.padding)) as u64;
        let mut routes: BTreeMap<String, u64> = [
            (route::WEBHOOK_READ, w),
            (route::WEBHOOK_CREATE, w),
            (route::VARIABLE_READ, 4),
            (route::VARIABLE_CREATE, 3),
            (route::VARIABLE_UPDATE, 1),
            (route::VARIABLE_DELETE, 1),
            (route::MONITOR_PAGE, pages),
            (route::MONITOR_WRITE, monitor_writes),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
        for (k, n) in extra {
            *routes.entry(k.to_string()).or_insert(0) += n;
        }
        routes.retain(|_, n| *n > 0);
        routes
    }
}

/// The outcome line apply prints for monitor `id`.
fn outcome_of(run: &Run, id: i64) -> String {
    let prefix = format!("monitor.{id}: ");
    run.stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no outcome for monitor {id}:\n{}", run.all()))
        .to_string()
}

/// Monitor `refused` was refused, saying `because`; every other monitor was written.
fn assert_refused_only(org: &Org, run: &Run, refused: i64, because: &str) {
    assert_eq!(
        run.code,
        1,
        "a refused change is not a complete apply:\n{}",
        run.all()
    );
    let line = outcome_of(run, refused);
    assert!(
        line.contains("REFUSED") && line.contains(because),
        "monitor {refused} ({because}): {line}"
    );
    for id in org.targeted.keys().filter(|id| **id != refused) {
        assert!(outcome_of(run, *id).ends_with("done"), "{}", run.all());
    }
    for address in [
        "custom_variable.DD_API_KEY",
        "webhook.grp-alert-check",
        "webhook.grp-ok-check",
    ] {
        assert!(
            run.stdout.contains(&format!("{address}: create done")),
            "{address}:\n{}",
            run.all()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_edited_since_a_stale_read_is_refused_and_the_others_are_written() {
    a_monitor_edited_since_a_stale_read(Freshness::Relist).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_edited_in_an_org_cheaper_to_read_by_id_is_refused_the_same() {
    a_monitor_edited_since_a_stale_read(Freshness::ReadEach).await;
}

/// A person edits a monitor during the chain: the apply reads it again (`freshness`),
/// refuses it, keeps the person's text and writes the others.
async fn a_monitor_edited_since_a_stale_read(freshness: Freshness) {
    let org = Org::start(LATENCY, PADDING, freshness).await;
    let edited = *org.targeted.keys().nth(1).expect("a second target");
    let persons_text = "Disk almost full — edited by hand after the plan @ops-oncall";
    let edit = org.sandbox.set_message(edited, persons_text);
    let because = "changed by someone else since the plan";
    org.assert_refused_alone(edited, edit, route::MONITOR_WRITE, because)
        .await;
    let kept = org.sandbox.message(edited).await;
    assert_eq!(kept, persons_text, "the person's edit is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_deleted_since_a_stale_read_is_refused_as_deleted() {
    // Read again by id: the deleted monitor answers 404.
    let org = Org::start(LATENCY, PADDING, Freshness::ReadEach).await;
    let deleted = *org.targeted.keys().nth(2).expect("a third target");
    let delete = org.sandbox.delete_monitor(deleted);
    let because = "deleted since the plan";
    org.assert_refused_alone(deleted, delete, route::MONITOR_DELETE, because)
        .await;
    let left = org.sandbox.message_of(deleted).await;
    assert_eq!(left, None, "not brought back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recent_read_is_not_read_again_and_every_monitor_is_written() {
    let org = Org::start(Duration::ZERO, 0, Freshness::Relist).await;
    let run = cli::finish(org.spawn_apply_with(&NO_RELISTING).await).await;
    let counts = org.sandbox.request_counts().await;
    cli::assert_applied(run);
    org.assert_written(0).await;
    // The monitor writes start within the read age allowed of the read: no second listing.
    assert_eq!(
        counts,
        org.apply_routes(2, org.targeted.len() as u64, &[]),
        "no listing again during an apply whose read is recent"
    );
}
