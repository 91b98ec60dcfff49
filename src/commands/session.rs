//! What plan, apply and demo share: where to connect (a real org, any base URL, or an
//! embedded sandbox), loading manifests, fetching remote state and planning.

use crate::apply::StateStore;
use crate::datadog::fetch::{self, StateBackend};
use crate::datadog::{self, CaBundle, Client, ClientOptions, Credentials};
use crate::handles;
use crate::manifest::{self, LoadOptions, Loaded};
use crate::output::Printer;
use crate::plan::{self, MonitorInterest, Plan, PlanOptions};
use crate::registry::Registry;
use crate::sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use anyhow::Context;
use clap::Args;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the embedded sandbox of `--sandbox` keeps its data.
pub const SANDBOX_DATA: &str = ".ddhooks/sandbox.json";

/// Flags that choose and tune the connection to Datadog.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// Datadog site: datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu,
    /// ap1.datadoghq.com, ap2.datadoghq.com or ddog-gov.com. Keys come only from
    /// DD_API_KEY and DD_APP_KEY.
    #[arg(long, env = "DD_SITE", default_value = manifest::DEFAULT_SITE)]
    pub site: String,

    /// Any API base URL instead of https://api.<site> (plain http:// only to loopback),
    /// e.g. a running `ddhooks sandbox`.
    #[arg(long, env = "DD_HOST", conflicts_with = "sandbox")]
    pub api_url: Option<String>,

    /// Use an embedded sandbox persisted under .ddhooks/ instead of Datadog: no account,
    /// no network.
    #[arg(long)]
    pub sandbox: bool,

    /// Where ddhooks records what it owns: `datadog` (custom variables DDHOOKS_STATE*) or
    /// `file:PATH`.
    #[arg(long, default_value = "datadog", value_parser = parse_state)]
    pub state: StateBackend,

    /// Requests in flight at once while reading, and concurrent monitor writes.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Retries of a failed request (5xx, 429, timeouts, dropped connections), with
    /// exponential backoff and jitter. A host name that does not resolve, a refused
    /// connection or an untrusted certificate is retried once, after 250 ms.
    #[arg(long, default_value_t = 8)]
    pub max_retries: u32,

    /// The first retry's backoff in milliseconds (it doubles on every retry, with full
    /// jitter). Hidden: the default suits Datadog; the fault tests shorten it, so that
    /// hundreds of injected faults are retried in seconds by the same code.
    #[arg(long, hide = true, value_name = "MS", default_value_t = 200)]
    pub retry_backoff_ms: u64,

    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    /// A PEM file of CA certificates to trust besides the system's store and Mozilla's
    /// roots, e.g. for a proxy that re-signs TLS. Proxies are taken from HTTPS_PROXY,
    /// HTTP_PROXY and NO_PROXY.
    #[arg(long, env = "SSL_CERT_FILE", value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Do not check handles against the org (Slack channels, PagerDuty and Opsgenie
    /// services, Teams, users, webhooks no manifest declares).
    #[arg(long)]
    pub no_handle_check: bool,
}

impl ConnectArgs {
    /// What these flags connect to, for a reader of the plan: the site, the API URL given
    /// instead (without any user or password in it), or the embedded sandbox.
    pub fn target(&self) -> String {
        if self.sandbox {
            return "the embedded sandbox (--sandbox)".to_string();
        }
        match &self.api_url {
            Some(raw) => match reqwest::Url::parse(raw) {
                Ok(mut url) => {
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    crate::mask::mask_text(url.as_str().trim_end_matches('/'))
                }
                Err(_) => crate::mask::mask_text(raw),
            },
            None => self.site.clone(),
        }
    }
}

fn parse_state(s: &str) -> Result<StateBackend, String> {
    s.parse()
}

/// An open connection, plus the embedded sandbox when there is one (kept alive here).
pub struct Session {
    /// The API client.
    pub client: Client,
    /// Registry storage.
    pub state: StateBackend,
    /// Concurrency bound.
    pub concurrency: usize,
    /// The site pairs call.
    pub site: String,
    /// The progress spinner on stderr, when it is a terminal (see [`super::progress`]).
    pub progress: Option<indicatif::ProgressBar>,
    /// Running embedded sandbox (stopped on drop of the runtime).
    pub sandbox: Option<RunningSandbox>,
    /// Whether plans check handles against the org (`--no-handle-check` turns it off).
    pub handle_check: bool,
}

impl Session {
    /// Connects as `args` say; `--sandbox` starts the embedded sandbox first.
    pub async fn open(args: &ConnectArgs, printer: Printer) -> anyhow::Result<Session> {
        let options = ClientOptions {
            timeout: Duration::from_secs(args.timeout),
            max_retries: args.max_retries,
            base_backoff: Duration::from_millis(args.retry_backoff_ms),
            concurrency: args.concurrency.into(),
            ..ClientOptions::default()
        };
        let (base, credentials, sandbox) = if args.sandbox {
            let data = PathBuf::from(SANDBOX_DATA);
            if let Some(dir) = data.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let running = Sandbox::start(SandboxConfig {
                data: Some(data),
                ..SandboxConfig::default()
            })
            .await?;
            let base = datadog::base_url(&args.site, Some(&running.base_url()))?;
            // Real keys never go to the sandbox, even on loopback.
            (
                base,
                Credentials::new("sandbox-api-key", "sandbox-app-key"),
                Some(running),
            )
        } else {
            let endpoint = datadog::endpoint(&args.site, args.api_url.as_deref())?;
            if let Some(site) = &endpoint.unlisted_site {
                tracing::warn!(
                    "`{site}` is not one of the Datadog sites this ddhooks knows ({}); using {} as its API. If that is wrong, set DD_SITE to your site as Datadog names it, or pass --api-url",
                    datadog::SITES.join(", "),
                    endpoint.url
                );
            }
            let base = endpoint.url;
            (
                base,
                Credentials::from_env(|n| std::env::var(n).ok())?,
                None,
            )
        };
        // Plain http:// (loopback only: the sandbox, embedded or not) needs no certificate
        // to trust: a CA file (SSL_CERT_FILE often names the whole system bundle) is not
        // read, which is most of a short command's start-up.
        let ca_bundle = match &args.ca_file {
            Some(path) if base.scheme() != "http" => Some(CaBundle::read(path)?),
            _ => None,
        };
        if let Some(bundle) = &ca_bundle {
            tracing::info!(file = %bundle.path().display(), certificates = bundle.len(), skipped = bundle.skipped(), "trusting the CA file too");
        }
        let options = ClientOptions {
            ca_bundle,
            ..options
        };
        let client = Client::new(base, credentials, options)?;
        let progress = crate::output::progress::show(&client, printer);
        Ok(Session {
            client,
            state: args.state.clone(),
            concurrency: args.concurrency as usize,
            site: args.site.clone(),
            sandbox,
            progress,
            handle_check: !args.no_handle_check,
        })
    }

    /// Clears the progress spinner and keeps it hidden while the command prints (a plan,
    /// a question, a report); [`Session::resume_progress`] shows it again.
    pub fn pause_progress(&self) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
    }

    /// Shows the progress spinner again after [`Session::pause_progress`].
    pub fn resume_progress(&self) {
        if let Some(bar) = &self.progress {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.reset();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }

    /// A session on a fresh in-memory sandbox (the demo and tests).
    pub async fn in_memory_sandbox(config: SandboxConfig) -> anyhow::Result<Session> {
        let running = Sandbox::start(config).await?;
        let base = datadog::base_url(manifest::DEFAULT_SITE, Some(&running.base_url()))?;
        let credentials = Credentials::new("sandbox-api-key", "sandbox-app-key");
        Ok(Session {
            client: Client::new(base, credentials, ClientOptions::default())?,
            state: StateBackend::Datadog,
            concurrency: 16,
            site: manifest::DEFAULT_SITE.to_string(),
            sandbox: Some(running),
            progress: None,
            handle_check: true,
        })
    }

    /// Reads what the desired state needs: the webhooks and variables it names, every
    /// monitor, the registry, and the rules, dashboards and auth methods when it declares or
    /// owns some.
    pub async fn fetch(&self, loaded: &Loaded) -> anyhow::Result<fetch::Fetched> {
        self.fetch_reading(loaded, Reading::Needed).await
    }

    /// Reads as [`Session::fetch`], or (`Reading::WholeOrg`) every monitor and every
    /// notification rule and nothing else, for the org's routing table.
    pub async fn fetch_reading(
        &self,
        loaded: &Loaded,
        reading: Reading,
    ) -> anyhow::Result<fetch::Fetched> {
        let desired = &loaded.desired;
        let whole = reading == Reading::WholeOrg;
        let webhooks: BTreeSet<String> = desired
            .webhooks
            .values()
            .flat_map(|w| std::iter::once(w.name.clone()).chain(w.renamed_from.clone()))
            .collect();
        let variables: BTreeSet<String> = desired.custom_variables.keys().cloned().collect();
        // Routing depends on the monitors' messages and the rules (and on what the plan
        // writes of them, which webhooks, variables, boards and auth methods do not change):
        // a whole-org reading leaves the rest unread.
        let request = fetch::FetchRequest {
            webhook_names: if whole { BTreeSet::new() } else { webhooks },
            variable_names: if whole { BTreeSet::new() } else { variables },
            read_rules: whole
                || !desired.notification_rules.is_empty()
                || has_org_routing_tests(desired),
            read_auth_methods: !whole && !desired.auth_methods.is_empty(),
            board_titles: if whole {
                BTreeMap::new()
            } else {
                board_titles(desired)
            },
            monitors: std::sync::Arc::new(if whole {
                MonitorInterest::everything()
            } else {
                MonitorInterest::new(desired)
            }),
            concurrency: self.concurrency,
            owned_too: !whole,
        };
        Ok(fetch::fetch(&self.client, &self.state, &request).await?)
    }

    /// Fetches what the desired state needs and plans. `salt` seeds a new registry (a saved
    /// plan carries the salt it was made with); otherwise a random one is drawn.
    pub async fn plan(
        &self,
        loaded: &Loaded,
        options: &PlanOptions,
        salt: Option<&str>,
    ) -> anyhow::Result<Planned> {
        self.plan_reading(loaded, options, salt, Reading::Needed)
            .await
    }

    /// Plans as [`Session::plan`], from a read of `reading`.
    pub async fn plan_reading(
        &self,
        loaded: &Loaded,
        options: &PlanOptions,
        salt: Option<&str>,
        reading: Reading,
    ) -> anyhow::Result<Planned> {
        let desired = &loaded.desired;
        let read_at = Instant::now();
        let fetched = self.fetch_reading(loaded, reading).await?;
        let store = fetched.state_store(self.state.clone());
        let registry = fetched
            .registry
            .unwrap_or_else(|| Registry::new(salt.map_or_else(new_salt, str::to_string)));
        let mut plan = plan::plan(desired, &fetched.remote, &registry, options);
        // A whole-org reading checks the handles of the whole table itself (`routes`).
        let unknown_handles = if self.handle_check && reading == Reading::Needed {
            self.check_handles(loaded, &fetched.remote, &mut plan).await
        } else {
            BTreeMap::new()
        };
        Ok(Planned {
            plan,
            unknown_handles,
            registry,
            store,
            read_at,
            monitor_listing: crate::apply::ListingSize {
                monitors: fetched.remote.monitor_count(),
                pages: fetched.remote.monitor_pages,
                bytes: fetched.remote.monitors_listed_bytes,
            },
            remote: fetched.remote,
        })
    }
}

impl Session {
    /// Checks every handle the plan's blocks write, its routing tests name, and people's
    /// text in the monitors ddhooks manages, against the org: one request per distinct
    /// name or list. Unknown handles ddhooks writes are problems (their blocks' writes are
    /// held), in people's text warnings; an integration the key may not read is one
    /// warning. A check that cannot finish is a warning too: it never fails the plan.
    /// Returns the unknown handles with why.
    pub async fn check_handles(
        &self,
        loaded: &Loaded,
        remote: &crate::model::Remote,
        plan: &mut Plan,
    ) -> BTreeMap<String, String> {
        let desired = &loaded.desired;
        let to_check = handles::HandlesToCheck::of(desired, &loaded.origins, remote, plan);
        let known = handles::known_webhooks(desired, remote);
        let directory = match self.look_up_handles(to_check.distinct(), &known).await {
            Ok(directory) => directory,
            Err(e) => {
                plan.warnings.push(format!(
                    "handles were not checked against the org: {e}; pass --no-handle-check to skip the check"
                ));
                return BTreeMap::new();
            }
        };
        let names = |id: i64| remote.monitors.get(&id).map(|m| m.name.clone());
        let findings = handles::check(&to_check, &known, &directory, &loaded.origins, &names);
        handles::hold_blocks(plan, &findings.held_blocks);
        plan.problems.extend(findings.problems);
        plan.warnings.extend(findings.warnings);
        findings.unknown
    }

    /// Which of `handles` (without `@`) name nothing in the org, with why (and a
    /// did-you-mean); and the warnings to print: an integration the key may not read, or a
    /// check that could not finish.
    pub async fn unknown_handles(
        &self,
        handles: BTreeSet<&str>,
        known_webhooks: &BTreeSet<String>,
    ) -> (BTreeMap<String, String>, Vec<String>) {
        self.unknown_handles_after(
            Ok(handles::HandleDirectory::default()),
            handles,
            known_webhooks,
        )
        .await
    }

    /// As [`Session::unknown_handles`], going on from the lookups `begun` (made earlier,
    /// while other reads were under way, for the handles known then).
    pub async fn unknown_handles_after(
        &self,
        begun: Result<handles::HandleDirectory, crate::datadog::ApiError>,
        handles: BTreeSet<&str>,
        known_webhooks: &BTreeSet<String>,
    ) -> (BTreeMap<String, String>, Vec<String>) {
        let looked_up = match begun {
            Ok(begun) => {
                self.look_up_handles_from(begun, handles.clone(), known_webhooks)
                    .await
            }
            Err(e) => Err(e),
        };
        let directory = match looked_up {
            Ok(directory) => directory,
            Err(e) => {
                let warning = format!("handles were not checked against the org: {e}");
                return (BTreeMap::new(), vec![warning]);
            }
        };
        let verdicts = handles::judge(handles, known_webhooks, &directory);
        (verdicts.unknown, verdicts.warnings)
    }

    /// Looks `handles` up, in rounds until each can be judged (a Slack handle may need
    /// one round per dash in it).
    pub async fn look_up_handles(
        &self,
        handles: BTreeSet<&str>,
        known_webhooks: &BTreeSet<String>,
    ) -> Result<handles::HandleDirectory, crate::datadog::ApiError> {
        self.look_up_handles_from(handles::HandleDirectory::default(), handles, known_webhooks)
            .await
    }

    /// As [`Session::look_up_handles`], asking only what `directory` does not already say.
    pub async fn look_up_handles_from(
        &self,
        mut directory: handles::HandleDirectory,
        handles: BTreeSet<&str>,
        known_webhooks: &BTreeSet<String>,
    ) -> Result<handles::HandleDirectory, crate::datadog::ApiError> {
        /// A Slack handle is tried at most at this many dashes.
        const MAX_ROUNDS: usize = 9;
        for _ in 0..MAX_ROUNDS {
            let query = handles::lookups(handles.iter().copied(), known_webhooks, &directory);
            if query.is_empty() {
                break;
            }
            let answer =
                crate::datadog::handles::look_up(&self.client, &query, self.concurrency).await?;
            directory.merge(answer);
        }
        Ok(directory)
    }
}

/// Whether some routing test selects the org's monitors: their routing needs the org's
/// notification rules.
fn has_org_routing_tests(desired: &crate::model::Desired) -> bool {
    desired
        .routing_tests
        .values()
        .any(|t| matches!(t.subject, crate::routing::TestSubject::Monitors(_)))
}

/// What a fetch reads of the org.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// What the plan needs: the monitors blocks and rules select or that mention webhooks
    /// or markers, and the rules when the manifests declare some.
    Needed,
    /// Every monitor and every notification rule, and nothing routing does not depend on
    /// (no webhook, variable, board or auth method): the whole org's routing. The plan made
    /// from it is right about messages and rules only.
    WholeOrg,
}

/// Each desired board's title, by board name (what fetch lists dashboards for).
fn board_titles(desired: &crate::model::Desired) -> BTreeMap<String, String> {
    desired
        .status_boards
        .iter()
        .map(|(name, board)| (name.clone(), board.title.clone()))
        .collect()
}

/// A plan with what apply needs to carry it out.
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// The registry it was computed against.
    pub registry: Registry,
    /// Where the registry goes.
    pub store: StateStore,
    /// When the remote state was read (the fetch's start).
    pub read_at: Instant,
    /// What the listing of the monitors cost (how many, in how many pages and bytes).
    pub monitor_listing: crate::apply::ListingSize,
    /// What was read (routing after the plan is computed from it).
    pub remote: crate::model::Remote,
    /// The handles found naming nothing in the org, with why (empty when not checked).
    pub unknown_handles: BTreeMap<String, String>,
}

impl Planned {
    /// The applier of this plan on `session`, stopped by `stop` (a signal), and the plan.
    pub fn into_applier(
        self,
        session: &Session,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> (crate::apply::Applier<'_>, Plan) {
        let applier = crate::apply::Applier {
            client: &session.client,
            state: self.store,
            registry: self.registry,
            concurrency: session.concurrency,
            read_at: self.read_at,
            monitor_listing: self.monitor_listing,
            stop,
            read_max_age: crate::apply::MONITOR_READ_MAX_AGE,
        };
        (applier, self.plan)
    }
}

/// A random salt for a new registry.
pub fn new_salt() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads manifests for plan/apply: unset `${env:…}` is an error; warnings go to stderr;
/// errors become one error listing every problem.
pub fn load_manifests(
    dir: &Path,
    options: LoadOptions,
    printer: Printer,
) -> anyhow::Result<Loaded> {
    match manifest::load_dir(dir, &options) {
        Ok(loaded) => {
            super::pipeline::annotate(&crate::annotate::from_diagnostics(&loaded.warnings));
            if !loaded.warnings.is_empty() && !printer.quiet {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "{}", loaded.warnings);
            }
            Ok(loaded)
        }
        Err(diags) => {
            super::pipeline::annotate(&crate::annotate::from_diagnostics(&diags));
            let (errors, _) = diags.counts();
            let noun = if errors == 1 { "error" } else { "errors" };
            Err(super::pipeline::AlreadyAnnotated(format!(
                "{errors} {noun} in the manifests under {}; nothing was sent to Datadog (`ddhooks validate` shows the same list):\n{}",
                dir.display(),
                diags.to_string().trim_end()
            ))
            .into())
        }
    }
}

/// [`load_manifests`] with the [`load_options`] of `connect`'s site.
pub fn load(dir: &Path, connect: &ConnectArgs, printer: Printer) -> anyhow::Result<Loaded> {
    load_manifests(dir, load_options(&connect.site), printer)
}

/// Load options for a site with the process environment.
pub fn load_options(site: &str) -> LoadOptions {
    LoadOptions {
        site: site.to_string(),
        ..LoadOptions::default()
    }
    .with_process_env()
}

/// Whether to colour output: only on a terminal, never with NO_COLOR or --no-color.
pub fn use_color(no_color: bool) -> bool {
    use std::io::IsTerminal;
    !no_color
        && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// Runs `body` on a [`runtime`] of its own with a session opened as `connect` says.
pub fn with_session<T, F, Fut>(
    connect: &ConnectArgs,
    printer: Printer,
    body: F,
) -> anyhow::Result<T>
where
    F: FnOnce(Session) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    runtime()?.block_on(async {
        let session = Session::open(connect, printer).await?;
        body(session).await
    })
}

/// A Tokio runtime for one command: one thread for every request and the command's own
/// future, so that an answer is handled, and the next request sent, without waking another
/// thread (on a 2-core machine, 10 % less CPU for a 100,000-monitor plan and a chain write
/// about 0.4 ms shorter than on a multi-thread runtime). CPU-heavy work leaves it: pages
/// are decoded on blocking threads, and the planner's per-monitor work runs on rayon.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

impl Drop for Session {
    /// The spinner leaves no line behind.
    fn drop(&mut self) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
    }
}
