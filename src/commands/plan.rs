//! `ddhooks plan`: diff the manifests against Datadog and print what apply would do.

use super::session::{self, ConnectArgs};
use crate::output::{Exit, Printer};
use crate::plan::PlanOptions;
use crate::render::{self, Format, MarkdownOptions};
use anyhow::Context;
use clap::Args;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Flags of `ddhooks plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The manifests directory (every *.yaml/*.yml under it) or a single file.
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// Output format: text (Terraform-like), json (versioned, see docs/json-plan.md) or
    /// markdown (for a pull-request comment).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,

    /// Also save the plan, with the fingerprint of every remote object it read, for
    /// `ddhooks apply --plan FILE`.
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Delete owned webhooks even when monitors still mention them outside managed blocks.
    #[arg(long)]
    pub force: bool,

    /// No colours (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long)]
    pub no_color: bool,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// A plan saved by `plan --out`, read by `apply --plan`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// What this file is.
    pub kind: String,
    /// The plan (with its `reads` fingerprints); it never holds a secret value.
    pub plan: render::PlanView,
    /// The `--force` it was computed with.
    pub force: bool,
    /// The salt of the registry it was computed against (secret fingerprints depend on it).
    pub registry_salt: String,
    /// What it was planned against (see [`session::ConnectArgs::target`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The plan as rendered for reviewers, for `ddhooks show` (absent in plans saved by
    /// versions before `show`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<render::Outline>,
}

impl SavedPlan {
    /// Reads a plan saved by `plan --out`; an error naming the file when it is not one,
    /// or is one of another format.
    pub fn read(path: &std::path::Path) -> anyhow::Result<SavedPlan> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the saved plan {}", path.display()))?;
        let saved: SavedPlan = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a plan saved by `ddhooks plan --out`",
                path.display()
            )
        })?;
        if saved.kind != SAVED_PLAN_KIND
            || saved.plan.format_version != crate::plan::PLAN_FORMAT_VERSION
        {
            anyhow::bail!(
                "{} is a plan of another format (kind `{}`, version {}); make it again with this ddhooks",
                path.display(),
                saved.kind,
                saved.plan.format_version
            );
        }
        Ok(saved)
    }
}

/// The `kind` of a saved plan file.
pub const SAVED_PLAN_KIND: &str = "ddhooks-plan";

/// Plans and prints; the exit code follows `--detailed-exitcode`.
pub fn run(args: PlanArgs, printer: Printer) -> anyhow::Result<Exit> {
    let loaded = &session::load(&args.dir, &args.connect, printer)?;
    let planned = session::with_session(&args.connect, printer, |session| async move {
        let planned = session
            .plan(loaded, &PlanOptions { force: args.force }, None)
            .await;
        session.pause_progress();
        planned
    })?;
    let plan = &planned.plan;
    super::pipeline::annotate(&crate::annotate::from_plan(plan, &loaded.origins));
    let target = args.connect.target();
    // Rendered once, and only when a Markdown plan or a saved plan needs it.
    let outline = std::cell::OnceCell::new();
    let outline = || outline.get_or_init(|| render::Outline::of(plan));
    let shown = match args.format {
        FormatArg::Text if printer.quiet => problems_and_summary(plan),
        FormatArg::Markdown => markdown(outline(), &target, MarkdownOptions::default()),
        format => render::render(plan, format.into(), session::use_color(args.no_color))
            .context("rendering the plan failed (a bug: please report it)")?,
    };
    print!("{shown}");
    if super::pipeline::step_summary().is_some() {
        super::pipeline::append_step_summary(&markdown(outline(), &target, STEP_SUMMARY));
    }
    if let Some(path) = &args.out {
        let saved = SavedPlan {
            kind: SAVED_PLAN_KIND.into(),
            plan: render::PlanView::of(plan),
            force: args.force,
            registry_salt: planned.registry.salt().to_string(),
            target: Some(target),
            outline: Some(outline().clone()),
        };
        let text = serde_json::to_string_pretty(&saved)?;
        crate::fs::write_atomic(path, text.as_bytes())
            .with_context(|| format!("saving the plan to {}", path.display()))?;
        if !printer.quiet {
            eprintln!(
                "Saved the plan to {}; apply it with: ddhooks apply --plan {}",
                path.display(),
                path.display()
            );
        }
    }
    if !plan.problems.is_empty() {
        return Ok(Exit::Failure);
    }
    Ok(match (args.detailed_exitcode, plan.has_changes()) {
        (true, true) => Exit::Changes,
        _ => Exit::Success,
    })
}

/// The limits of the Markdown plan in a GitHub job summary, which takes up to 1 MiB per
/// step: room for far more of a large plan than a comment.
const STEP_SUMMARY: MarkdownOptions = MarkdownOptions {
    target: None,
    max_bytes: 1_000_000,
    max_diff_lines: 200,
};

/// The Markdown plan of `outline` against `target`, within `limits`.
pub fn markdown(outline: &render::Outline, target: &str, limits: MarkdownOptions) -> String {
    render::render_markdown(
        outline,
        &MarkdownOptions {
            target: Some(target.to_string()),
            ..limits
        },
    )
}

/// What `plan -q` prints: the problems, then the summary line.
fn problems_and_summary(plan: &crate::plan::Plan) -> String {
    let mut out = String::new();
    for p in &plan.problems {
        out.push_str(&format!("error: {}: {}\n", p.address, p.message));
    }
    out.push_str(&render::summary_line(plan));
    out.push('\n');
    out
}

/// `--format`'s values; the renderers' [`Format`] knows nothing of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Terraform-like text with unified diffs.
    Text,
    /// The versioned JSON plan (see docs/json-plan.md).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Format {
        match arg {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}
