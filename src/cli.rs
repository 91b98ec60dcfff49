//! Command-line arguments: the global flags and logging. The verbs and their flags live
//! in `commands`, each verb's flags next to their help.

use crate::commands::Command;
use crate::output::{stderr_color, Exit, MaskingWriter, Printer};
use clap::Parser;

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

/// Sets up output for the process: `-q`, and `tracing` on stderr (`RUST_LOG` if set,
/// otherwise from the `-v` count; only errors with `-q`), coloured only on a terminal and
/// never with `NO_COLOR`.
pub fn init_output(cli: &Cli) -> Printer {
    use tracing_subscriber::EnvFilter;
    let printer = Printer {
        quiet: cli.quiet,
        default_logs: cli.verbose == 0 && std::env::var_os("RUST_LOG").is_none(),
    };
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
    printer
}

/// Runs one verb with the output `printer` says; what it returns is the process's exit
/// status.
pub fn run(command: Command, printer: Printer) -> anyhow::Result<Exit> {
    use crate::commands::*;
    match command {
        Command::Plan(args) => plan::run(args, printer),
        Command::Show(args) => show::run(args),
        Command::Apply(args) => apply::run(args, printer),
        Command::Preview(args) => preview::run(args, printer),
        Command::Demo(args) => demo::run(args, printer),
        Command::Import(args) => import::run(args, printer),
        Command::Routes(args) => routes::run(args, printer),
        Command::Test(args) => test::run(args, printer),
        Command::SeedStatus(args) => seed_status::run(args, printer),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Validate(args) => validate::run(args, printer),
        Command::Schema(args) => schema::run(args),
        Command::Unlock(args) => unlock::run(args, printer),
        Command::ExportState(args) => export_state::run(args, printer),
        Command::Completions(args) => {
            completions::run(args, <Cli as clap::CommandFactory>::command())
        }
    }
}
