//! One file per verb. Each takes its parsed arguments and returns the process exit code;
//! errors carry context for the user and are printed by `main`.

pub mod sandbox;
pub mod schema;
pub mod validate;

use crate::cli::Command;
use std::process::ExitCode;

/// Runs one verb.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Sandbox(args) => sandbox::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Schema(args) => schema::run(args),
    }
}
