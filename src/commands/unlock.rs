//! `ddhooks unlock`: release an apply lock whose holder is gone (a runner killed mid-apply)
//! without waiting for it to expire, and without deleting `DDHOOKS_LOCK` by hand.

use super::session::{self, ConnectArgs};
use crate::apply::lock::{self, LockError, LockInfo};
use crate::output::{Exit, Printer};
use crate::registry::LOCK_VARIABLE;
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

/// Flags of `ddhooks unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Remove the lock without asking (pipelines); still refused while its holder runs on
    /// this host.
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Shows the lock, refuses while its holder runs here, asks, removes.
pub fn run(args: UnlockArgs, printer: Printer) -> anyhow::Result<Exit> {
    session::with_session(&args.connect, printer, |session| async move {
        let Some(info) = lock::inspect(&session.client).await? else {
            println!("No apply lock: `{LOCK_VARIABLE}` does not exist; nothing to do.");
            return Ok(Exit::Success);
        };
        println!("{}", describe(&info));
        if info.holder_runs_here() {
            println!(
                "Refused: process {} on this host ({}) holds the lock and is still running; let it finish or stop it (SIGINT/SIGTERM make it stop after the write in flight and release the lock).",
                info.pid, info.host
            );
            return Ok(Exit::Failure);
        }
        if !info.expired() && info.host != lock::host_name() {
            println!(
                "Its holder runs on another host ({}), where ddhooks cannot tell whether it still runs: remove the lock only if no apply is running there.",
                info.host
            );
        }
        if !args.yes && !confirm()? {
            println!("Unlock cancelled; the lock is left as it was.");
            return Ok(Exit::Failure);
        }
        match lock::remove_stale(&session.client, &info).await {
            Ok(true) => println!("Removed the apply lock `{LOCK_VARIABLE}`."),
            Ok(false) => println!("The lock was released meanwhile; nothing to do."),
            Err(e @ LockError::Held(_)) => {
                println!("Refused: {e}");
                return Ok(Exit::Failure);
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Exit::Success)
    })
}

/// The holder, its host and process, and the lock's age and expiry.
fn describe(info: &LockInfo) -> String {
    let age = info
        .age()
        .map_or_else(|| "unknown".to_string(), |d| human(d.as_secs()));
    let left = info.expires_in();
    let expiry = if left > 0 {
        format!(
            "expires in {} unless its holder refreshes it",
            human(left.unsigned_abs())
        )
    } else {
        format!("expired {} ago", human(left.unsigned_abs()))
    };
    format!(
        "The apply lock `{LOCK_VARIABLE}` is held by {}\n  host: {}\n  process: {}\n  taken: {} ({age} ago)\n  {expiry}",
        info.owner, info.host, info.pid, info.since
    )
}

/// `1h02m`, `3m05s`, `42s`.
fn human(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Asks on the terminal; only `yes` approves. Without a terminal, `--yes` is required.
fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("stdin is not a terminal, so unlock cannot ask for confirmation; pass --yes");
    }
    print!("Remove the lock? Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
