//! `ddhooks seed-status`: submit one check run for every monitor a pair's blocks or rules
//! wire now, with the status of its current state, so the pair's board counts every monitor
//! at once — for groups wired before apply seeded them, or after a failed seeding.

use super::session::{self, ConnectArgs};
use crate::output::{Exit, Printer};
use crate::plan;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Flags of `ddhooks seed-status`.
#[derive(Debug, Args)]
pub struct SeedStatusArgs {
    /// The manifests directory (every *.yaml/*.yml under it) or a single file.
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// Print what would be submitted, submit nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Reads the org, computes the runs and submits them (check runs need only the API key).
pub fn run(args: SeedStatusArgs, printer: Printer) -> anyhow::Result<Exit> {
    let loaded = session::load(&args.dir, &args.connect, printer)?;
    session::with_session(&args.connect, printer, |session| async move {
        let fetched = session.fetch(&loaded).await?;
        let seeds = plan::current_seeds(&loaded.desired, &fetched.remote);
        let mut per_pair: BTreeMap<&str, usize> = BTreeMap::new();
        for seed in &seeds {
            *per_pair.entry(seed.pair.as_str()).or_default() += 1;
        }
        for (pair, n) in &per_pair {
            println!("pair {pair}: {n} check run(s)");
        }
        if seeds.is_empty() {
            println!("No monitor to seed: no pair with seed_status wires a monitor in a state it has a status for.");
            return Ok(Exit::Success);
        }
        if args.dry_run {
            println!("Dry run: nothing submitted.");
            return Ok(Exit::Success);
        }
        let refs: Vec<&plan::SeedRun> = seeds.iter().collect();
        session.client.submit_seeds(&refs).await?;
        println!("Seeded {} check run(s).", seeds.len());
        Ok(Exit::Success)
    })
}
