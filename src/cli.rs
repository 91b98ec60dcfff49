//! Command-line arguments: the global flags and logging. The verbs and their flags live
//! in `commands`, each verb's flags next to their help.

use crate::commands::Command;
use clap::Parser;

/// Datadog notifications as code: webhook pairs, custom variables and monitor
/// notification blocks, planned and applied from YAML manifests.
#[derive(Debug, Parser)]
#[command(name = "ddhooks", version, about, long_about = None)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Sets up `tracing` on stderr: `RUST_LOG` if set, otherwise from the `-v` count.
pub fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| MaskingWriter(std::io::stderr()))
        .try_init();
}

/// Where log lines go: stderr, with every credential in them masked by the one masking
/// function (a log line may quote a URL or an error that Datadog echoed).
pub struct MaskingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(crate::mask::mask_text(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
