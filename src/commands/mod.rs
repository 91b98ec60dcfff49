//! One file per verb. Each takes its parsed arguments and returns the process exit code;
//! errors carry context for the user and are printed by `main`.

pub mod apply;
pub mod completions;
pub mod demo;
pub mod export_state;
pub mod import;
pub mod pipeline;
pub mod plan;
pub mod preview;
pub mod routes;
pub mod sandbox;
pub mod schema;
pub mod seed_status;
pub mod session;
pub mod show;
pub mod test;
pub mod unlock;
pub mod validate;

use clap::Subcommand;

/// Every verb; each lives in its own file under `src/commands/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change in Datadog: a reviewable diff of the manifests against
    /// the org.
    Plan(plan::PlanArgs),
    /// Render a plan saved by `plan --out` (text, JSON or Markdown) without calling Datadog.
    Show(show::ShowArgs),
    /// Make the planned changes (asks first on a terminal; --auto-approve or --plan FILE in
    /// pipelines).
    Apply(apply::ApplyArgs),
    /// Show what a monitor will send on each transition once the manifests are applied:
    /// the message recipients get, the handles that fire, each webhook's call (masked).
    Preview(preview::PreviewArgs),
    /// Who gets notified, on which transition, for every monitor of the org once the
    /// manifests are applied (read-only): recipients and where each comes from.
    Routes(routes::RoutesArgs),
    /// Run the manifests' routing tests against the org's routing after apply (read-only;
    /// --offline: only the cases describing a monitor): exit 1 when any fails.
    Test(test::TestArgs),
    /// Write manifests for what exists in Datadog (read-only): the webhooks monitors mention,
    /// their custom variables, pairs, and the condition lines people pasted into monitors.
    Import(import::ImportArgs),
    /// The whole story on an embedded sandbox: plan, apply, monitors alerting and
    /// recovering, and the group's check status. No account, no network.
    Demo(demo::DemoArgs),
    /// Submit one check run per monitor the pairs wire now, with its current state, so the
    /// status boards count every monitor (apply does this for newly wired monitors).
    SeedStatus(seed_status::SeedStatusArgs),
    /// Run a local server that answers like the Datadog API (for tests and demos).
    Sandbox(sandbox::SandboxArgs),
    /// Check manifests (never calls Datadog): every problem as FILE:LINE:COL; exit 1 if invalid.
    Validate(validate::ValidateArgs),
    /// Print the manifest format's JSON Schema (for `# yaml-language-server: $schema=…`).
    Schema(schema::SchemaArgs),
    /// Release an apply lock left by an apply that was killed: shows its holder, host and
    /// age, refuses while the holder runs on this host, asks (or --yes).
    Unlock(unlock::UnlockArgs),
    /// Print the registry (what ddhooks owns) as the JSON of a `--state file:PATH` file,
    /// read from Datadog in any format; for rolling back to a ddhooks that cannot read
    /// registry format 3.
    ExportState(export_state::ExportStateArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completions(completions::CompletionsArgs),
}
