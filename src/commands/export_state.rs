//! `ddhooks export-state`: the registry, read from where `--state` says (any format this
//! version reads), written as the JSON a state file holds. It exists for rolling back: a
//! ddhooks older than registry format 3 cannot read the `DDHOOKS_STATE*` variables this
//! version writes, but every version reads this file with `--state file:PATH`.

use super::session::{self, ConnectArgs};
use crate::datadog::fetch;
use crate::output::{Exit, Printer};
use crate::registry::{OwnedKind, STATE_VARIABLE};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Flags of `ddhooks export-state`.
#[derive(Debug, Args)]
pub struct ExportStateArgs {
    /// Write the registry to this file (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Reads the registry and prints or writes it; exit 1 when there is none.
pub fn run(args: ExportStateArgs, printer: Printer) -> anyhow::Result<Exit> {
    session::with_session(&args.connect, printer, |session| async move {
        let (registry, _) = fetch::read_registry(&session.client, &session.state).await?;
        let Some(registry) = registry else {
            eprintln!("No registry: `{STATE_VARIABLE}` does not exist (ddhooks owns nothing here yet); nothing was written.");
            return Ok(Exit::Failure);
        };
        let text = registry.to_file_text()? + "\n";
        match &args.out {
            None => print!("{text}"),
            Some(path) => {
                crate::fs::write_atomic(path, text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!(
                    "Wrote the registry ({} webhooks, {} custom variables, {} notification rules, {} status boards{}) to {}; any ddhooks reads it with `--state file:{}`.",
                    registry.owned(OwnedKind::Webhook).count(),
                    registry.owned(OwnedKind::CustomVariable).count(),
                    registry.owned(OwnedKind::NotificationRule).count(),
                    registry.owned(OwnedKind::StatusBoard).count(),
                    if registry.has_pending() { "; some names pending, which the next plan resolves" } else { "" },
                    path.display(),
                    path.display(),
                );
            }
        }
        Ok(Exit::Success)
    })
}
