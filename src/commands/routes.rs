//! `ddhooks routes`: who gets notified, on which transition, for every monitor of the org as
//! it will be after apply (the remote state read now, with the plan's message rewrites and
//! rule writes on top); read-only. `--unrouted` lists the transitions that notify nobody,
//! and the coverage warnings (a pair routed on alert but not on recovery) on stderr.

use super::plan::FormatArg;
use super::preview::transition_parser;
use super::session::{self, ConnectArgs, Reading, Session};
use crate::output::{Exit, Printer};
use crate::plan::{self, PlanOptions};
use crate::preview::SampleTransition;
use crate::routing::{self, OrgRouting, TableFilter, TableFormat};
use anyhow::Context as _;
use clap::Args;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;

/// Flags of `ddhooks routes`.
#[derive(Debug, Args)]
pub struct RoutesArgs {
    /// The manifests directory (every *.yaml/*.yml under it) or a single file.
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// Only this monitor (repeatable).
    #[arg(long = "monitor", value_name = "ID")]
    pub monitors: Vec<i64>,

    /// Only monitors with this tag (repeatable: all of them).
    #[arg(long = "tags", value_name = "TAG")]
    pub tags: Vec<String>,

    /// Only this transition: alert, warning, no-data, recovery, warning-recovery,
    /// no-data-recovery, alert-to-warning, renotify.
    #[arg(long, value_name = "T", value_parser = transition_parser())]
    pub transition: Option<SampleTransition>,

    /// Only the monitors and transitions that notify nobody (whatever the firing group).
    #[arg(long)]
    pub unrouted: bool,

    /// Output format: text, json (`{format_version, rows: [{monitor_id, monitor_name,
    /// transition, recipients: [{handle, when, sources, unresolved}]}], unreadable}`, one
    /// row per line) or markdown.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,

    /// Accepted for scripts that pass it to every verb: the table is never coloured.
    #[arg(long)]
    pub no_color: bool,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Reads the whole org, plans, and prints its routing after the plan. Exit 0, or 1 when a
/// monitor's message does not parse (its routing cannot be told).
pub fn run(args: RoutesArgs, printer: Printer) -> anyhow::Result<Exit> {
    let loaded = session::load(&args.dir, &args.connect, printer)?;
    session::with_session(&args.connect, printer, |session| async move {
        let planned = session
            .plan_reading(&loaded, &PlanOptions::default(), None, Reading::WholeOrg)
            .await?;
        let planned_routing = plan::planned_routing(&planned.plan);
        let org = OrgRouting::after(&planned.remote, &planned_routing);
        let filter = TableFilter {
            monitors: args.monitors.iter().copied().collect::<BTreeSet<_>>(),
            tags: args.tags.clone(),
            transition: args.transition,
            unrouted: args.unrouted,
        };
        if args.unrouted {
            for warning in plan::coverage_warnings(&loaded.desired, &planned.remote, &org, None) {
                eprintln!("Warning: {warning}");
            }
        }
        let format = match args.format {
            FormatArg::Text => TableFormat::Text,
            FormatArg::Markdown => TableFormat::Markdown,
            FormatArg::Json => TableFormat::Json,
        };
        let unresolved = if session.handle_check {
            unresolved_recipients(&session, &loaded, &planned.remote, &org).await
        } else {
            routing::Unresolved::new()
        };
        // Written as it is routed, a batch at a time: a whole org's table is never held.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let summary = routing::write_table(&org, &filter, format, &unresolved, |piece: &str| {
            out.write_all(piece.as_bytes())
        })
        .and_then(|summary| out.flush().map(|()| summary))
        .context("writing the routing table to standard output")?;
        Ok(if summary.unreadable.is_empty() {
            Exit::Success
        } else {
            Exit::Failure
        })
    })
}

/// Every recipient of the org after the plan (each handle in a message, each rule's) that
/// names nothing in the org, with why: looked up once per distinct name or list. A lookup
/// that fails, or a key that may not read an integration, is a warning on stderr.
async fn unresolved_recipients(
    session: &Session,
    loaded: &crate::manifest::Loaded,
    remote: &crate::model::Remote,
    org: &OrgRouting<'_>,
) -> routing::Unresolved {
    // What each message sends on some transition (as routing reads it), on every core.
    let messages: Vec<&str> = org.monitors().map(|(_, m)| m.message).collect();
    let mut handles: BTreeSet<String> = messages
        .par_iter()
        .map(|message| {
            routing::handles_sent(message)
                .into_iter()
                .map(|h| h.name)
                .collect::<BTreeSet<String>>()
        })
        .reduce(BTreeSet::new, |mut a, b| {
            a.extend(b);
            a
        });
    for rule in org.rules() {
        handles.extend(rule.recipients.handles().map(str::to_string));
    }
    let known = crate::handles::known_webhooks(&loaded.desired, remote);
    let wanted: BTreeSet<&str> = handles.iter().map(String::as_str).collect();
    let (unresolved, warnings) = session.unknown_handles(wanted, &known).await;
    for warning in warnings {
        eprintln!("Warning: {warning}");
    }
    unresolved
}
