//! The `ddhooks` binary: parses arguments, runs the verb, maps the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ddhooks::cli::Cli::parse();
    ddhooks::cli::init_logging(cli.verbose);
    match ddhooks::commands::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", ddhooks::mask::mask_text(&format!("{err:#}")));
            ExitCode::from(1)
        }
    }
}
