//! Pipelines and everyday use: the real `ddhooks` binary as CI jobs and people at a terminal
//! run it, and the files users copy, one module per promise of docs/ci.md and
//! docs/troubleshooting.md.

/// The CI examples and the pre-commit hook call only what this ddhooks accepts.
mod ci_examples_run_with_this_cli;
/// `ddhooks completions` and `ddhooks unlock`.
mod completions_and_unlock;
/// Network errors: a wrong URL, host or certificate fails at once with one error naming the
/// host, the cause and the fix; proxies and extra CA certificates are honoured.
mod network_errors_are_fast_and_clear;
/// `-q`, colours only on a terminal, progress only on a terminal.
mod output_fits_where_it_goes;
/// Markdown plans that fit a pull request, `ddhooks show`, the job summary.
mod plans_fit_a_pull_request;
/// CI annotations, the job summary, and `validate --format json|gitlab`.
mod problems_reach_the_ci_as_annotations_and_reports;
