//! `ddhooks preview`: what a monitor will send on each transition once the manifests are
//! applied — its message as recipients get it, the handles that fire, and each webhook's
//! url, headers and payload filled with sample values, credentials masked. `--block NAME`
//! works offline on one block alone; `--monitor ID` reads the monitor and plans against
//! the org. The evaluation is `core::template::notify`'s, the sandbox's own.

use super::session::{self, ConnectArgs};
use crate::manifest::{LoadOptions, Loaded, MissingEnv};
use crate::mask::Masker;
use crate::model::Desired;
use crate::output::{Exit, Printer};
use crate::plan::{Address, Change, PlanOptions};
use crate::preview::{
    self, MonitorFacts, PreviewInput, SampleTransition, Subject, VariableSample, WebhookDef,
};
use crate::template;
use anyhow::Context;
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Flags of `ddhooks preview`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["monitor", "block"])))]
pub struct PreviewArgs {
    /// The manifests directory (every *.yaml/*.yml under it) or a single file.
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// A monitor of the org: its message as it will be after apply (reads the org and plans).
    #[arg(long, value_name = "ID")]
    pub monitor: Option<i64>,

    /// One block of the manifests alone, on a sample monitor (offline: never calls Datadog).
    #[arg(long, value_name = "NAME")]
    pub block: Option<String>,

    /// A transition to show (repeatable); all of them when none is given: alert (OK ->
    /// Alert), warning, no-data, recovery (Alert -> OK), warning-recovery, no-data-recovery,
    /// alert-to-warning, renotify.
    #[arg(long = "transition", value_name = "T", value_parser = transition_parser())]
    pub transitions: Vec<SampleTransition>,

    /// Output format: text, or json (`{monitor|block, transitions: [{transition, message,
    /// handles, webhooks: [{name, url, headers, payload}]}]}`, see docs/preview.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: PreviewFormat,

    /// Where to connect for `--monitor` (`--block` never connects).
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `--transition`'s parser: the names of [`SampleTransition`], a clap error listing them
/// for anything else.
pub(crate) fn transition_parser() -> impl clap::builder::TypedValueParser<Value = SampleTransition>
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(SampleTransition::ALL.map(SampleTransition::name))
        .try_map(|name| {
            SampleTransition::parse(&name).ok_or_else(|| format!("unknown transition `{name}`"))
        })
}

/// `--format`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    /// Readable text.
    Text,
    /// The JSON shape documented in docs/preview.md.
    Json,
}

/// Previews and prints; exit 0, or 1 on error.
pub fn run(args: PreviewArgs, printer: Printer) -> anyhow::Result<Exit> {
    let mut transitions: Vec<SampleTransition> = Vec::new();
    for &t in &args.transitions {
        if !transitions.contains(&t) {
            transitions.push(t);
        }
    }
    if transitions.is_empty() {
        transitions = SampleTransition::ALL.to_vec();
    }
    let shown = match (&args.block, args.monitor) {
        (Some(block), _) => preview_block(&args, block, &transitions, printer)?,
        (None, Some(id)) => preview_monitor(&args, id, &transitions, printer)?,
        (None, None) => anyhow::bail!("give --monitor ID or --block NAME"),
    };
    let text = match args.format {
        PreviewFormat::Text => preview::render_text(&shown),
        PreviewFormat::Json => {
            let mut json = serde_json::to_string_pretty(&shown)
                .context("rendering the preview failed (a bug: please report it)")?;
            json.push('\n');
            json
        }
    };
    print!("{text}");
    Ok(Exit::Success)
}

/// The webhooks of the manifests, and their custom variables as samples.
fn webhooks_and_variables_of(
    desired: &Desired,
) -> (
    BTreeMap<String, WebhookDef>,
    BTreeMap<String, VariableSample>,
) {
    let webhooks = desired.webhooks.iter();
    let variables = desired.custom_variables.iter();
    (
        webhooks
            .map(|(name, w)| (name.clone(), WebhookDef::desired(w)))
            .collect(),
        variables
            .map(|(name, v)| (name.clone(), VariableSample::of(v)))
            .collect(),
    )
}

/// `--block NAME`: offline, the block's text alone on a sample monitor.
fn preview_block(
    args: &PreviewArgs,
    name: &str,
    transitions: &[SampleTransition],
    printer: Printer,
) -> anyhow::Result<preview::Preview> {
    // Offline: secrets may be unavailable here, and are only ever shown as fingerprints.
    let options = LoadOptions {
        missing_env: MissingEnv::Warn,
        ..session::load_options(&args.connect.site)
    };
    let loaded = session::load_manifests(&args.dir, options, printer)?;
    let desired = &loaded.desired;
    let Some(block) = desired.blocks.get(name) else {
        anyhow::bail!(
            "there is no block `{name}` under monitor_notifications in {}; {}",
            args.dir.display(),
            known_blocks(&loaded)
        );
    };
    let text = template::render_block(name, &block.body());
    let monitor = MonitorFacts::sample(name, block.monitors.tags.clone());
    let masker = Masker::new("ddhooks-output");
    let (webhooks, variables) = webhooks_and_variables_of(desired);
    let input = PreviewInput {
        subject: Subject::Block(name.to_string()),
        template: &text,
        monitor: &monitor,
        site: &args.connect.site,
        webhooks: &webhooks,
        variables: &variables,
        masker: &masker,
    };
    preview::preview(&input, transitions)
        .with_context(|| format!("the text of block `{name}` is invalid"))
}

/// The blocks the manifests declare, for an error's fix.
fn known_blocks(loaded: &Loaded) -> String {
    if loaded.desired.blocks.is_empty() {
        return "the manifests declare no block".to_string();
    }
    let names: Vec<&str> = loaded.desired.blocks.keys().map(String::as_str).collect();
    format!("the blocks are: {}", names.join(", "))
}

/// `--monitor ID`: the monitor's message after apply, against the org.
fn preview_monitor(
    args: &PreviewArgs,
    id: i64,
    transitions: &[SampleTransition],
    printer: Printer,
) -> anyhow::Result<preview::Preview> {
    let loaded = &session::load(&args.dir, &args.connect, printer)?;
    let desired = &loaded.desired;
    session::with_session(&args.connect, printer, |session| async move {
        let monitor = session
            .client
            .read_monitor_facts(id)
            .await
            .with_context(|| format!("reading monitor {id}"))?;
        let Some((facts, current)) = monitor else {
            anyhow::bail!(
                "monitor {id} does not exist in the org at {}; check the id in the monitor's URL (…/monitors/ID), or use --block NAME to preview a block alone",
                session.client.base()
            );
        };
        let planned = session.plan(loaded, &PlanOptions::default(), None).await?;
        let masker = Masker::new(planned.registry.salt().to_string());
        for problem in &planned.plan.problems {
            // This monitor's problems (its own, or one of its blocks'), compared as typed
            // addresses: `monitor.12` is not about monitor 1.
            let about_it = matches!(
                &problem.address,
                Address::Monitor(m) | Address::MonitorBlock { monitor: m, .. } if *m == id
            );
            if about_it {
                eprintln!(
                    "warning: {}: {}; showing the current message",
                    problem.address,
                    masker.text(&problem.message)
                );
            }
        }
        let message = planned
            .plan
            .changes
            .iter()
            .find_map(|c| match c {
                Change::Monitor(m) if m.id == id => Some(m.after.clone()),
                _ => None,
            })
            .unwrap_or(current);
        let (mut webhooks, mut variables) = webhooks_and_variables_of(desired);
        // Webhooks the message fires that the manifests do not declare: as the org has them.
        let mut mentioned: Vec<String> = Vec::new();
        for t in transitions {
            if let Ok(n) = template::notify(&message, &t.transition(None)) {
                mentioned.extend(n.webhooks);
            }
        }
        mentioned.sort();
        mentioned.dedup();
        for name in mentioned {
            if webhooks.contains_key(&name) {
                continue;
            }
            let read = session
                .client
                .read_webhook(&name)
                .await
                .with_context(|| format!("reading webhook {name}"))?;
            let Some(remote) = read else { continue };
            for var in template::scan_variables(&remote.url)
                .into_iter()
                .chain(remote_refs(&remote))
            {
                if variables.contains_key(&var.name) || template::is_builtin(&var.name) {
                    continue;
                }
                let found = session
                    .client
                    .read_variable(&var.name)
                    .await
                    .with_context(|| format!("reading custom variable {}", var.name))?;
                if let Some(v) = found {
                    let sample = match (v.secret, v.value) {
                        (false, Some(value)) => VariableSample::Plain(value),
                        _ => VariableSample::Hidden,
                    };
                    variables.insert(var.name.clone(), sample);
                }
            }
            webhooks.insert(name, WebhookDef::remote(&remote));
        }
        let input = PreviewInput {
            subject: Subject::Monitor {
                id,
                name: facts.name.clone(),
            },
            template: &message,
            monitor: &facts,
            site: &session.site,
            webhooks: &webhooks,
            variables: &variables,
            masker: &masker,
        };
        preview::preview(&input, transitions)
            .with_context(|| format!("the message of monitor {id} is invalid"))
    })
}

/// The variable references in a remote webhook's headers and payload.
fn remote_refs(remote: &crate::model::RemoteWebhook) -> Vec<template::VariableRef> {
    let mut texts: Vec<String> = Vec::new();
    if let Some(payload) = &remote.payload {
        texts.push(payload.to_string());
    }
    if let Some(headers) = &remote.custom_headers {
        texts.extend(headers.values().cloned());
    }
    texts
        .iter()
        .flat_map(|t| template::scan_variables(t))
        .collect()
}
