//! One file per verb. Each takes its parsed arguments and returns the process exit code;
//! errors carry context for the user and are printed by `main`.

pub mod apply;
pub mod demo;
pub mod plan;
pub mod sandbox;
pub mod schema;
pub mod session;
pub mod validate;

use crate::cli::Command;
use std::process::ExitCode;

/// Runs one verb.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Schema(args) => schema::run(args),
    }
}
