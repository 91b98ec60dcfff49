//! Command-line arguments: the global flags and logging. The verbs and their flags live
//! in `commands`, each verb's flags next to their help.

use crate::commands::Command;
use clap::Parser;
use std::sync::atomic::{AtomicBool, Ordering};

/// Datadog notifications as code: webhook pairs, custom variables and monitor
/// notification blocks, planned and applied from YAML manifests.
#[derive(Debug, Parser)]
#[command(name = "ddhooks", version, about, long_about = None)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Print only errors and the final line (and the plan or report asked for with
    /// --format json|markdown|gitlab, which is data).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Whether `-q` was given: the commands print only errors and their final line.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether the logs stay at their default level (no `-v`, no `RUST_LOG`): only then may a
/// progress spinner share stderr with them.
static DEFAULT_LOGS: AtomicBool = AtomicBool::new(true);

/// Whether `-q` was given (see [`Cli::quiet`]).
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether a progress spinner may be drawn on stderr: it is a terminal that can redraw a
/// line (`TERM` is not `dumb`), `-q` is off, and no `-v` or `RUST_LOG` asks for logs that
/// would scroll through it.
pub fn progress_allowed() -> bool {
    use std::io::IsTerminal;
    !quiet()
        && DEFAULT_LOGS.load(Ordering::Relaxed)
        && std::env::var_os("TERM").map_or(true, |t| t != "dumb")
        && std::io::stderr().is_terminal()
}

/// Sets up output for the process: `-q`, and `tracing` on stderr (`RUST_LOG` if set,
/// otherwise from the `-v` count; only errors with `-q`), coloured only on a terminal and
/// never with `NO_COLOR`.
pub fn init_output(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    QUIET.store(cli.quiet, Ordering::Relaxed);
    DEFAULT_LOGS.store(
        cli.verbose == 0 && std::env::var_os("RUST_LOG").is_none(),
        Ordering::Relaxed,
    );
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(stderr_color())
        .with_writer(|| MaskingWriter(std::io::stderr()))
        .try_init();
}

/// Whether stderr may carry colours: it is a terminal and `NO_COLOR` is unset or empty.
pub fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Where log lines go: stderr, with every credential in them masked by the one masking
/// function (a log line may quote a URL or an error that Datadog echoed).
pub struct MaskingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let masked = crate::mask::mask_text(&text);
        // A log line (a retry summary, a warning) clears the spinner, if one is drawn, and
        // the spinner comes back under it.
        crate::commands::progress::suspend(|| self.0.write_all(masked.as_bytes()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
