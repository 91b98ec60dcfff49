//! `ddhooks schema`: print the manifest format's JSON Schema for editors.

use crate::output::Exit;
use clap::Args;

/// Flags of `ddhooks schema` (none yet).
#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// Prints the schema on stdout.
pub fn run(_args: SchemaArgs) -> anyhow::Result<Exit> {
    println!("{}", crate::manifest::schema::schema_text());
    Ok(Exit::Success)
}
