//! `ddhooks validate`: check manifests without touching Datadog, printing every problem as
//! `FILE:LINE:COL: error: MESSAGE` so that editors and CI logs link to it, or as data
//! (`--format json`, `--format gitlab` for GitLab Code Quality); in GitHub Actions each
//! problem is also an annotation on its line.

use super::pipeline;
use crate::annotate::{self, ValidationReport};
use crate::manifest::{self, LoadOptions, MissingEnv};
use crate::output::{Exit, Printer};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

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

    /// Output: text (`FILE:LINE:COL: error: …` lines and a summary), json (the problems as
    /// data, format `ddhooks-validate/1`) or gitlab (a GitLab Code Quality report).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ValidateFormat,
}

/// `validate --format`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateFormat {
    /// Compiler-style lines and a summary line.
    Text,
    /// `{"format": "ddhooks-validate/1", "valid": …, "problems": […]}`.
    Json,
    /// A GitLab Code Quality report (a JSON array) for `artifacts:reports:codequality`.
    Gitlab,
}

/// Validates, prints the problems on stdout, and returns 0 (valid) or 1.
pub fn run(args: ValidateArgs, printer: Printer) -> anyhow::Result<Exit> {
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
    let annotations = annotate::from_diagnostics(&diags);
    pipeline::annotate(&annotations);
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        ValidateFormat::Text => {
            write_problems(&mut out, &diags, printer.quiet).and_then(|()| match (valid, summary) {
                (true, Some(summary)) => writeln!(out, "valid: {summary} ({warnings} warnings)"),
                _ => writeln!(out, "invalid: {errors} errors, {warnings} warnings"),
            })
        }
        ValidateFormat::Json => write_json(&mut out, &ValidationReport::of(&diags)),
        ValidateFormat::Gitlab => {
            let fallback = args.dir.to_string_lossy();
            write_json(
                &mut out,
                &annotate::gitlab_code_quality(&annotations, &fallback),
            )
        }
    };
    match written {
        // A closed pipe (`validate | head`) is the reader's choice, not a failure.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
        _ => {}
    }
    Ok(if valid { Exit::Success } else { Exit::Failure })
}

/// Pretty JSON and a newline; an encoding failure is an I/O error (it cannot happen for
/// these types, and is reported rather than printed half).
fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// Every problem, one per line; with `-q` only the errors.
fn write_problems(
    out: &mut impl Write,
    diags: &manifest::Diagnostics,
    quiet: bool,
) -> std::io::Result<()> {
    for d in diags.iter().filter(|d| !quiet || d.is_error()) {
        writeln!(out, "{d}")?;
    }
    Ok(())
}
