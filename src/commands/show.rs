//! `ddhooks show PLANFILE`: a saved plan rendered again, as text, JSON or Markdown, without
//! calling Datadog (a reviewer reading the artifact of a CI run, a comment re-made).

use super::plan::{self, FormatArg, SavedPlan};
use crate::output::Exit;
use crate::render::MarkdownOptions;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

/// Flags of `ddhooks show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved by `ddhooks plan --out FILE`.
    pub plan_file: PathBuf,

    /// Output format: text (as `plan` printed it, without colours), json (the versioned
    /// JSON plan) or markdown (for a pull-request comment).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,

    /// Exit 0 when the plan has no changes, 2 when it has, 1 on error (as `plan` does).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// Prints the saved plan.
pub fn run(args: ShowArgs) -> anyhow::Result<Exit> {
    let saved = SavedPlan::read(&args.plan_file)?;
    let shown = match args.format {
        FormatArg::Json => saved
            .plan
            .to_json()
            .context("rendering the plan failed (a bug: please report it)")?,
        format => {
            let outline = saved.outline.as_ref().with_context(|| {
                format!(
                    "{} was saved by an older ddhooks, which kept no rendered plan: `ddhooks show {} --format json` prints it, or make it again with `ddhooks plan --out`",
                    args.plan_file.display(),
                    args.plan_file.display()
                )
            })?;
            match format {
                FormatArg::Markdown => {
                    let target = saved.target.as_deref().unwrap_or("an unrecorded target");
                    plan::markdown(outline, target, MarkdownOptions::default())
                }
                _ => outline.text(),
            }
        }
    };
    print!("{}", crate::mask::mask_text(&shown));
    let problems = !saved.plan.problems.is_empty();
    let changes = !saved.plan.changes.is_empty();
    Ok(match (problems, args.detailed_exitcode, changes) {
        (true, _, _) => Exit::Failure,
        (false, true, true) => Exit::Changes,
        _ => Exit::Success,
    })
}
