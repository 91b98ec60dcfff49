//! The `ddhooks` binary: parses arguments, runs the verb, maps the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ddhooks::cli::Cli::parse();
    let printer = ddhooks::cli::init_output(&cli);
    match ddhooks::cli::run(cli.command, printer) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let message = ddhooks::mask::mask_text(&format!("{err:#}"));
            if !err.is::<ddhooks::commands::pipeline::AlreadyAnnotated>() {
                ddhooks::commands::pipeline::annotate_error("ddhooks", &message);
            }
            eprintln!("error: {message}");
            ExitCode::from(ddhooks::output::Exit::Failure)
        }
    }
}
