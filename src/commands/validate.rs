//! `ddhooks validate`: check manifests without touching Datadog, printing every problem as
//! `FILE:LINE:COL: error: MESSAGE` so that editors and CI logs link to it.

use crate::manifest::{self, LoadOptions, MissingEnv};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `ddhooks validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The manifests directory (every *.yaml/*.yml under it) or a single file.
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// Treat warnings as errors (exit 1 when there is any).
    #[arg(long)]
    pub strict: bool,

    /// The Datadog site the webhook pairs call (hard-coded hosts of other sites are flagged).
    #[arg(long, env = "DD_SITE", default_value = manifest::DEFAULT_SITE)]
    pub site: String,

    /// Make an unset `${env:NAME}` an error, as plan and apply do (by default it is a
    /// warning, so manifests can be checked where the secrets are not available).
    #[arg(long)]
    pub require_env: bool,
}

/// Validates, prints the problems on stdout, and returns 0 (valid) or 1.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let options = LoadOptions {
        site: args.site,
        missing_env: if args.require_env {
            MissingEnv::Error
        } else {
            MissingEnv::Warn
        },
        ..LoadOptions::default()
    }
    .with_process_env();
    let (mut diags, summary) = match manifest::load_dir(&args.dir, &options) {
        Ok(loaded) => {
            let d = &loaded.desired;
            let summary = format!(
                "{} custom variables, {} webhooks, {} notification blocks, {} notification rules, {} status boards in {} files",
                d.custom_variables.len(),
                d.webhooks.len(),
                d.blocks.len(),
                d.notification_rules.len(),
                d.status_boards.len(),
                loaded.files.len()
            );
            (loaded.warnings, Some(summary))
        }
        Err(diags) => (diags, None),
    };
    if args.strict {
        diags.promote_warnings();
    }
    let (errors, warnings) = diags.counts();
    let valid = errors == 0;
    let mut out = std::io::stdout().lock();
    let written = write!(out, "{diags}").and_then(|()| match (valid, summary) {
        (true, Some(summary)) => writeln!(out, "valid: {summary} ({warnings} warnings)"),
        _ => writeln!(out, "invalid: {errors} errors, {warnings} warnings"),
    });
    match written {
        // A closed pipe (`validate | head`) is the reader's choice, not a failure.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        _ => {}
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
