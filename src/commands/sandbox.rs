//! `ddhooks sandbox`: serve the Datadog API emulator on a local address.

use crate::output::Exit;
use crate::sandbox::faults::RateLimit;
use crate::sandbox::SandboxConfig;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Flags of `ddhooks sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free port; the first line printed says which).
    #[arg(long, default_value = "127.0.0.1:8126")]
    pub listen: std::net::SocketAddr,

    /// Keep the state in this JSON file across restarts (written atomically on every change).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,

    /// Response time of every API request in milliseconds: the answer leaves MS after the
    /// request arrived (or when ready, if handling took longer).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,

    /// Up to MS more per API request, drawn uniformly (from --seed when given), so that
    /// requests in flight together are answered in any order.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter: u64,

    /// Fraction (0.0 to 1.0) of API requests answered 500/503 or with a dropped connection.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_fraction)]
    pub fail_rate: f64,

    /// Answer 429 past N requests per SECONDS, with X-RateLimit-* headers on every response.
    #[arg(long, value_name = "N/SECONDS")]
    pub rate_limit: Option<RateLimit>,

    /// Reject custom-variable values longer than N bytes with 400.
    #[arg(long, value_name = "N")]
    pub max_variable_bytes: Option<usize>,

    /// Make overlapping webhook/custom-variable writes lose updates, like a naive
    /// read-modify-write store.
    #[arg(long)]
    pub lossy_webhook_writes: bool,

    /// Seed for the failure and jitter draws, for reproducible runs.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Accept only this API key (repeatable); by default any non-empty key is accepted.
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_keys: Vec<String>,

    /// Accept only this application key (repeatable); by default any non-empty key.
    #[arg(long = "app-key", value_name = "KEY")]
    pub app_keys: Vec<String>,

    /// Act as a scoped application key without this permission (repeatable, e.g.
    /// `teams_read`): requests to endpoints needing it are answered 403.
    #[arg(long = "deny-permission", value_name = "NAME")]
    pub denied_permissions: Vec<String>,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not between 0.0 and 1.0"))
    }
}

impl SandboxArgs {
    /// The library configuration these flags describe.
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            data: self.data.clone(),
            latency: Duration::from_millis(self.latency),
            jitter: Duration::from_millis(self.jitter),
            fail_rate: self.fail_rate,
            rate_limit: self.rate_limit,
            max_variable_bytes: self.max_variable_bytes,
            lossy_webhook_writes: self.lossy_webhook_writes,
            seed: self.seed,
            api_keys: self.api_keys.clone(),
            app_keys: self.app_keys.clone(),
            denied_permissions: self.denied_permissions.iter().cloned().collect(),
            ..SandboxConfig::default()
        }
    }
}

/// Runs the sandbox until interrupted (Ctrl-C). Prints `listening on http://ADDR` first.
pub fn run(args: SandboxArgs) -> anyhow::Result<Exit> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|err| anyhow::anyhow!("cannot listen on {}: {err}", args.listen))?;
        let addr = listener.local_addr()?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on http://{addr}")?;
        stdout.flush()?;
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        crate::sandbox::serve(args.config(), listener, shutdown).await
    })?;
    Ok(Exit::Success)
}
