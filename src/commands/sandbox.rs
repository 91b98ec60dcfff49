//! `ddhooks sandbox`: serve the Datadog API emulator on a local address.

use clap::Args;
use std::process::ExitCode;

/// Flags of `ddhooks sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8126")]
    pub listen: std::net::SocketAddr,
}

/// Runs the sandbox until interrupted.
pub fn run(args: SandboxArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("the sandbox is not built yet")
}
