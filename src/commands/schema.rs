//! `ddhooks schema`: print the manifest format's JSON Schema for editors.

use clap::Args;
use std::process::ExitCode;

/// Flags of `ddhooks schema` (none yet).
#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// Prints the schema on stdout.
pub fn run(_args: SchemaArgs) -> anyhow::Result<ExitCode> {
    println!("{}", crate::manifest::schema::schema_text());
    Ok(ExitCode::SUCCESS)
}
