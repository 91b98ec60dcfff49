//! `ddhooks import`: write manifests for what exists in Datadog. Read-only against the API:
//! monitors and notification rules are listed, the webhooks they mention (and `--webhook`s)
//! are read by name, then the custom variables those webhooks reference (and
//! `--variable`s); when webhooks may form pairs, the dashboards are listed and read (with
//! those the registry names) to find status boards. The pure core (`ddhooks_core::import`)
//! turns them into manifest text and a report.

use super::session::{ConnectArgs, Session};
use crate::datadog::objects::IMPORT_PAGES;
use crate::datadog::Client;
use crate::import::{self, Found, ImportOptions};
use crate::model::{RemoteBoard, RemoteVariable, RemoteWebhook};
use crate::output::{Exit, Printer};
use crate::registry::OwnedKind;
use anyhow::Context;
use clap::Args;
use futures::stream::{self, StreamExt, TryStreamExt};
use futures::FutureExt;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file import writes in `--out`.
pub const IMPORTED_FILE: &str = "imported.yaml";

/// Flags of `ddhooks import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The directory to write the manifests into (created if missing).
    #[arg(long, default_value = "manifests")]
    pub out: PathBuf,

    /// Also import this webhook (repeatable), whether or not a monitor mentions it.
    #[arg(long = "webhook", value_name = "NAME")]
    pub webhooks: Vec<String>,

    /// Also import this custom variable (repeatable), whether or not a webhook references it.
    #[arg(long = "variable", value_name = "NAME")]
    pub variables: Vec<String>,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,

    /// Write every `<g>-alert-check`/`<g>-ok-check` group as a `webhook_pairs` entry even
    /// when that changes what its webhooks send (the next plan shows the fix as a diff).
    #[arg(long)]
    pub as_pairs: bool,

    /// Accepted like plan's and apply's; import prints no colours.
    #[arg(long)]
    pub no_color: bool,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Why import refused before reading anything.
#[derive(Debug, thiserror::Error)]
pub enum ImportCliError {
    /// The output file exists.
    #[error("{0} already exists; nothing was read or written. Pass --force to overwrite it, or choose another directory with --out DIR")]
    Exists(PathBuf),
    /// A `--webhook` name no manifest could hold.
    #[error(
        "--webhook `{0}` is not a webhook name: only letters, digits, `-` and `_` are allowed"
    )]
    BadWebhook(String),
    /// A `--variable` name no manifest could hold.
    #[error("--variable `{0}` is not a custom variable name: only A-Z, 0-9 and `_` are allowed")]
    BadVariable(String),
}

/// Imports; exit 0 when the manifest was written.
pub fn run(args: ImportArgs, printer: Printer) -> anyhow::Result<Exit> {
    for name in &args.webhooks {
        if !import::is_valid_webhook_name(name) {
            return Err(ImportCliError::BadWebhook(name.clone()).into());
        }
    }
    for name in &args.variables {
        if !import::is_valid_variable_name(name) {
            return Err(ImportCliError::BadVariable(name.clone()).into());
        }
    }
    let path = args.out.join(IMPORTED_FILE);
    if path.exists() && !args.force {
        return Err(ImportCliError::Exists(path).into());
    }
    let runtime = super::session::runtime()?;
    let (found, mentioned, (unknown_handles, handle_warnings)) = runtime.block_on(async {
        let session = Session::open(&args.connect, printer).await?;
        let Discovered {
            found,
            mentioned,
            handles_begun,
        } = discover(&session, &args.webhooks, &args.variables).await?;
        let unknown = match handles_begun {
            Some(begun) => {
                let known = found.remote.webhooks.keys().cloned().collect();
                let wanted = mentioned.keys().map(String::as_str).collect();
                session.unknown_handles_after(begun, wanted, &known).await
            }
            None => Default::default(),
        };
        anyhow::Ok((found, mentioned, unknown))
    })?;
    let options = ImportOptions {
        site: args.connect.site.clone(),
        as_pairs: args.as_pairs,
    };
    let imported = import::import(&found, &options)?;
    write_out(&args.out, &path, &imported.manifest)?;
    let mut err = std::io::stderr().lock();
    let c = imported.counts;
    let _ = writeln!(
        err,
        "Imported {} custom variables, {} webhook auth methods, {} webhook pairs, {} webhooks, {} notification blocks, {} notification rules and {} status boards from {} monitors into {}.",
        c.variables,
        c.auth_methods,
        c.pairs,
        c.webhooks,
        c.blocks,
        c.rules,
        c.boards,
        found.remote.monitors.len(),
        path.display()
    );
    for finding in &imported.findings {
        let _ = writeln!(err, "{finding}");
    }
    for (handle, why) in &unknown_handles {
        let ids: Vec<String> = mentioned
            .get(handle)
            .into_iter()
            .flatten()
            .map(i64::to_string)
            .collect();
        let place = if ids.is_empty() {
            "in a notification rule".to_string()
        } else {
            format!("in monitors {}", ids.join(", "))
        };
        let _ = writeln!(
            err,
            "Warning: `@{handle}` ({place}) names nothing in the org: {why}"
        );
    }
    for warning in &handle_warnings {
        let _ = writeln!(err, "Warning: {warning}");
    }
    if !imported.env.is_empty() {
        let _ = writeln!(
            err,
            "Set these environment variables before `ddhooks plan` (their values are in Datadog; secret variables' values cannot be read back):"
        );
        for (name, var) in &imported.env {
            let _ = writeln!(err, "  {name}    # {}", var.purpose);
        }
    }
    let _ = writeln!(
        err,
        "Next: ddhooks validate {dir} && ddhooks plan {dir} (it should show only adoptions).",
        dir = args.out.display()
    );
    Ok(Exit::Success)
}

/// Lists the monitors (keeping a message only when it mentions a webhook or holds a
/// marker), the notification rules, the webhook auth methods, the registry and the
/// dashboards' titles, all at once; reads every webhook the monitors mention as soon as the
/// page mentioning it arrives (and those the rules name, and every `extra_webhooks`), every
/// custom variable a webhook references as soon as the webhook is read (and every
/// `extra_variables`), then the dashboards that may be status boards; never writes. The
/// client bounds the requests in flight.
pub async fn discover(
    session: &Session,
    extra_webhooks: &[String],
    extra_variables: &[String],
) -> anyhow::Result<Discovered> {
    let client = &session.client;
    let mut found = Found::default();
    let (pages, arriving) = futures::channel::mpsc::unbounded();
    let listing = async {
        client
            .stream_monitors_for_import(pages)
            .await
            .context("listing the monitors")
    };
    let mut reads = ByName::new(extra_webhooks, extra_variables);
    let reading = reads.read(session, arriving, &mut found.remote);
    // Listed beside the rest whether or not a pair turns up: one request, and by then the
    // answer is there. A key that may not list dashboards fails the import only if some
    // dashboard may be a status board.
    let boards_context = async {
        let registry = crate::datadog::fetch::read_registry(client, &session.state).await;
        (registry, client.read_dashboard_titles().await)
    };
    let (listed, read, auth_methods, boards_context) =
        tokio::join!(listing, reading, client.read_auth_methods(), boards_context);
    listed?;
    read?;
    // Auth methods came in 2026: a key or an org that may not list them (403, 404) imports
    // everything else, and says so.
    match auth_methods {
        Ok(methods) => {
            for m in methods {
                found.remote.auth_methods.insert(m.id.clone(), m);
            }
        }
        Err(e) if matches!(e.status(), Some(403 | 404)) => {
            tracing::warn!("webhook auth methods are not imported: {e}");
        }
        Err(e) => return Err(e).context("listing the webhook auth methods"),
    }
    let (mentioned, handles_begun) = reads.sort_out(&mut found);
    read_boards(session, &mut found, boards_context).await?;
    Ok(Discovered {
        found,
        mentioned,
        handles_begun,
    })
}

/// What [`discover`] found, and the handles the monitors and rules mention with the org's
/// answers about them so far (`None`: the handle check is off).
pub struct Discovered {
    /// The org's objects.
    pub found: Found,
    /// Each handle mentioned, with the monitors mentioning it.
    pub mentioned: BTreeMap<String, BTreeSet<i64>>,
    /// The lookups made while the webhooks were read, as
    /// [`Session::unknown_handles_after`] goes on from them.
    pub handles_begun: Option<HandlesBegun>,
}

/// The org's answers about the mentioned handles, looked up beside the webhook reads.
pub type HandlesBegun = Result<crate::handles::HandleDirectory, crate::datadog::ApiError>;

/// A read by name in flight.
enum Read {
    Webhook(ReadByName<RemoteWebhook>),
    Variable(ReadByName<RemoteVariable>),
}

/// What import reads by name, as it learns the names: each webhook the monitors mention or
/// the rules name (with who wants it), each custom variable a webhook references; and what
/// the reads found.
#[derive(Default)]
struct ByName {
    /// Each webhook asked for, with the monitors mentioning it.
    webhooks: BTreeMap<String, BTreeSet<i64>>,
    /// Each custom variable asked for, with the webhooks referencing it.
    variables: BTreeMap<String, BTreeSet<String>>,
    /// Names asked for and not yet read, in the order they were learnt.
    unread: VecDeque<Wanted>,
    hooks: Vec<(String, Option<RemoteWebhook>)>,
    vars: Vec<(String, Option<RemoteVariable>)>,
    /// The handles the monitors and rules mention (once both are in).
    mentioned: BTreeMap<String, BTreeSet<i64>>,
    /// Their lookups, once done (with the handle check on).
    handles_begun: Option<HandlesBegun>,
}

/// A name to read.
enum Wanted {
    Webhook(String),
    Variable(String),
}

impl ByName {
    fn new(extra_webhooks: &[String], extra_variables: &[String]) -> ByName {
        let mut by_name = ByName::default();
        for name in extra_webhooks {
            by_name.want_webhook(name, []);
        }
        for name in extra_variables {
            by_name.want_variable(name, None);
        }
        by_name
    }

    /// Asks for webhook `name` (once), wanted by monitors `ids`.
    fn want_webhook(&mut self, name: &str, ids: impl IntoIterator<Item = i64>) {
        if !self.webhooks.contains_key(name) {
            self.unread.push_back(Wanted::Webhook(name.to_string()));
        }
        self.webhooks
            .entry(name.to_string())
            .or_default()
            .extend(ids);
    }

    /// Asks for custom variable `name` (once), referenced by webhook `by` if any. The
    /// registry's own variables are not imported.
    fn want_variable(&mut self, name: &str, by: Option<&str>) {
        if crate::registry::is_registry_variable(name) {
            return;
        }
        if !self.variables.contains_key(name) {
            self.unread.push_back(Wanted::Variable(name.to_string()));
        }
        let wanted_by = self.variables.entry(name.to_string()).or_default();
        wanted_by.extend(by.map(str::to_string));
    }

    /// Reads every name as it is learnt, until the listing and the rules are in and every
    /// read is done: the pages' mentions, the rules' webhooks, the variables of each
    /// webhook read. While pages come, the reads leave the listing its share of the
    /// requests in flight: queued behind hundreds of webhook reads, a page would hold up
    /// the mentions of the pages after it. Monitors and rules go into `remote`. Once both
    /// are in, the handles they mention are looked up (handle check on) beside the
    /// webhook reads still under way.
    async fn read(
        &mut self,
        session: &Session,
        mut arriving: futures::channel::mpsc::UnboundedReceiver<Vec<crate::model::RemoteMonitor>>,
        remote: &mut crate::model::Remote,
    ) -> anyhow::Result<()> {
        let client = &session.client;
        let concurrency = session.concurrency.max(1);
        let rules = client.read_rules();
        futures::pin_mut!(rules);
        let mut in_flight = futures::stream::FuturesUnordered::new();
        let mut lookup = None;
        let (mut listed, mut ruled, mut mentions_read) = (false, false, false);
        loop {
            if listed && ruled && !mentions_read {
                mentions_read = true;
                self.mentioned = import::mentioned_handles(remote);
                if session.handle_check {
                    // Every webhook mentioned is read already or being read: its handle
                    // is judged by that read, not looked up again.
                    let handles: Vec<String> = self.mentioned.keys().cloned().collect();
                    let webhooks: BTreeSet<String> = self.webhooks.keys().cloned().collect();
                    lookup = Some(Box::pin(async move {
                        let handles = handles.iter().map(String::as_str).collect();
                        session.look_up_handles(handles, &webhooks).await
                    }));
                }
            }
            // A page spends about a quarter of its time in the listing's window being
            // decoded, not asking: the reads take one slot more than the pages leave.
            let room = if listed {
                concurrency
            } else {
                (concurrency + 1).saturating_sub(IMPORT_PAGES).max(1)
            };
            while in_flight.len() < room {
                let Some(wanted) = self.unread.pop_front() else {
                    break;
                };
                in_flight.push(match wanted {
                    Wanted::Webhook(name) => read_webhook(client, name).map(Read::Webhook).boxed(),
                    Wanted::Variable(name) => {
                        read_variable(client, name).map(Read::Variable).boxed()
                    }
                });
            }
            if listed && ruled && in_flight.is_empty() && lookup.is_none() {
                return Ok(());
            }
            tokio::select! {
                begun = async {
                    match lookup.as_mut() {
                        Some(under_way) => under_way.await,
                        None => std::future::pending().await,
                    }
                }, if lookup.is_some() => {
                    lookup = None;
                    self.handles_begun = Some(begun);
                }
                page = arriving.next(), if !listed => match page {
                    Some(page) => {
                        for (name, ids) in import::mentioned_webhooks(&page) {
                            self.want_webhook(&name, ids);
                        }
                        remote.monitors.extend(page.into_iter().map(|m| (m.id, m)));
                    }
                    None => listed = true,
                },
                read = &mut rules, if !ruled => {
                    ruled = true;
                    for r in read.context("listing the notification rules")? {
                        remote.notification_rules.insert(r.id.clone(), r);
                    }
                    let named = import::webhooks_named_by_rules(remote.notification_rules.values());
                    for name in named.into_keys() {
                        self.want_webhook(&name, []);
                    }
                }
                Some(read) = in_flight.next() => match read {
                    Read::Webhook(read) => {
                        let (name, hook) = read?;
                        if let Some(hook) = &hook {
                            for variable in import::referenced_variables([hook]).into_keys() {
                                self.want_variable(&variable, Some(&name));
                            }
                        }
                        self.hooks.push((name, hook));
                    }
                    Read::Variable(read) => self.vars.push(read?),
                },
            }
        }
    }

    /// Puts what was read into `found`: what exists into its remote state, what does not
    /// into its missing names, with who wanted it. Returns the handles mentioned and their
    /// lookups.
    fn sort_out(
        self,
        found: &mut Found,
    ) -> (BTreeMap<String, BTreeSet<i64>>, Option<HandlesBegun>) {
        sort_out(
            self.hooks,
            &self.webhooks,
            &mut found.remote.webhooks,
            &mut found.missing_webhooks,
        );
        sort_out(
            self.vars,
            &self.variables,
            &mut found.remote.custom_variables,
            &mut found.missing_variables,
        );
        (self.mentioned, self.handles_begun)
    }
}

/// The registry and the dashboards' titles, read beside the listing.
type BoardsContext = (
    Result<
        (
            Option<crate::registry::Registry>,
            Option<crate::registry::Layout>,
        ),
        crate::datadog::fetch::FetchError,
    >,
    Result<Vec<(String, String)>, crate::datadog::ApiError>,
);

/// Reads the dashboards that may be status boards: those the registry names, and, when
/// some webhooks may form a pair, every listed dashboard (only a full read shows its
/// widgets); the core keeps those that show an imported pair or are owned.
async fn read_boards(
    session: &Session,
    found: &mut Found,
    (registry, titles): BoardsContext,
) -> anyhow::Result<()> {
    let client = &session.client;
    let (registry, _) = registry.context("reading the registry")?;
    found.owned_boards = registry
        .map(|r| {
            r.owned_ids(OwnedKind::StatusBoard)
                .map(|(_, id)| id.to_string())
                .collect()
        })
        .unwrap_or_default();
    let pairs_possible = found.remote.webhooks.keys().any(|n| {
        n.strip_suffix("-alert-check")
            .is_some_and(|g| found.remote.webhooks.contains_key(&format!("{g}-ok-check")))
    });
    if !pairs_possible && found.owned_boards.is_empty() {
        return Ok(());
    }
    let titles = titles.context("listing the dashboards")?;
    found.remote.dashboards = titles.into_iter().collect();
    let wanted: BTreeMap<String, ()> = if pairs_possible {
        found
            .remote
            .dashboards
            .keys()
            .map(|id| (id.clone(), ()))
            .collect()
    } else {
        found
            .owned_boards
            .iter()
            .map(|id| (id.clone(), ()))
            .collect()
    };
    let boards = read_all(&wanted, session.concurrency.max(1), |id| {
        read_board(client, id)
    })
    .await?;
    for (id, board) in boards {
        if let Some(b) = board {
            found.remote.status_boards.insert(id, b);
        }
    }
    Ok(())
}

/// An object read by name (or id): the name, and the object when it exists.
type ReadByName<T> = anyhow::Result<(String, Option<T>)>;

async fn read_board(client: &Client, id: String) -> ReadByName<RemoteBoard> {
    let found = client.read_board(&id).await;
    named("dashboard", id, found)
}

async fn read_webhook(client: &Client, name: String) -> ReadByName<RemoteWebhook> {
    let found = client.read_webhook(&name).await;
    named("webhook", name, found)
}

async fn read_variable(client: &Client, name: String) -> ReadByName<RemoteVariable> {
    let found = client.read_variable(&name).await;
    named("custom variable", name, found)
}

/// Puts each object read by name into `present`, or, when it does not exist, its name into
/// `missing` with what asked for it (`wanted_by`: the monitors mentioning a webhook, the
/// webhooks referencing a variable).
fn sort_out<T, V: Clone + Default>(
    read: Vec<(String, Option<T>)>,
    wanted_by: &BTreeMap<String, V>,
    present: &mut BTreeMap<String, T>,
    missing: &mut BTreeMap<String, V>,
) {
    for (name, object) in read {
        match object {
            Some(object) => {
                present.insert(name, object);
            }
            None => {
                let by = wanted_by.get(&name).cloned().unwrap_or_default();
                missing.insert(name, by);
            }
        }
    }
}

/// What a read by name found, with its name, or the error saying which `what` it was.
fn named<T>(
    what: &str,
    name: String,
    found: Result<Option<T>, crate::datadog::ApiError>,
) -> ReadByName<T> {
    let found = found.with_context(|| format!("reading {what} {name}"))?;
    Ok((name, found))
}

/// Reads every name of `names` with `read`, at most `concurrency` at a time.
async fn read_all<'a, V, T, F, Fut>(
    names: &'a BTreeMap<String, V>,
    concurrency: usize,
    read: F,
) -> anyhow::Result<Vec<(String, Option<T>)>>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(String, Option<T>)>> + 'a,
{
    stream::iter(names.keys().cloned().map(read))
        .buffer_unordered(concurrency)
        .try_collect()
        .await
}

fn write_out(dir: &Path, path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    crate::fs::write_atomic(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
