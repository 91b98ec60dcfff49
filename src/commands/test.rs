//! `ddhooks test`: runs the manifests' `routing_tests:` against the org's routing after the
//! plan (read-only), or with `--offline` only the `given:` cases, without Datadog. Text,
//! JSON or JUnit XML; exit 0 when every case passed, 1 when any failed.

use super::session::{self, ConnectArgs, Reading, Session};
use crate::annotate::{Annotation, Level};
use crate::manifest::{DeclaredKind, Loaded, MissingEnv, Origins, SourcePos};
use crate::output::{Exit, Printer};
use crate::plan::{self, PlanOptions};
use crate::routing::{self, CaseReport, CaseStatus, OrgRouting};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Flags of `ddhooks test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The manifests directory (every *.yaml/*.yml under it) or a single file.
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// Run only the `given:` cases, without Datadog; the cases about the org's monitors
    /// are listed as skipped.
    #[arg(long)]
    pub offline: bool,

    /// Output format: text, json (`{format_version, cases, passed, failed, skipped}`) or
    /// junit (JUnit XML, for CI test reports).
    #[arg(long, value_enum, default_value = "text")]
    pub format: TestFormat,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `--format`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Each failure at its case's file:line:col, then a summary line.
    Text,
    /// The versioned JSON report.
    Json,
    /// JUnit XML: one test case per routing test.
    Junit,
}

/// Runs every case and prints the report.
pub fn run(args: TestArgs, printer: Printer) -> anyhow::Result<Exit> {
    let mut options = session::load_options(&args.connect.site);
    if args.offline {
        // Nothing is sent anywhere: a variable unset here need not stop the given cases.
        options.missing_env = MissingEnv::Warn;
    }
    let loaded = session::load_manifests(&args.dir, options, printer)?;
    let reports = if args.offline {
        (routing::run(&loaded.desired, None), Vec::new())
    } else {
        session::runtime()?.block_on(async {
            let session = Session::open(&args.connect, printer).await?;
            let planned = session
                .plan_reading(&loaded, &PlanOptions::default(), None, Reading::WholeOrg)
                .await?;
            session.pause_progress();
            let planned_routing = plan::planned_routing(&planned.plan);
            let org = OrgRouting::after(&planned.remote, &planned_routing);
            let reports = routing::run(&loaded.desired, Some(&org));
            let unknown = if session.handle_check {
                tested_handles_naming_nothing(&session, &loaded, &planned.remote).await
            } else {
                Vec::new()
            };
            anyhow::Ok((reports, unknown))
        })?
    };
    let (reports, unknown_handles) = reports;
    let cases: Vec<CaseView> = reports.iter().map(|r| view(r, &loaded)).collect();
    super::pipeline::annotate(&annotations(&cases));
    let counts = Counts::of(&reports);
    let shown = match args.format {
        TestFormat::Text => text(&cases, &counts),
        TestFormat::Json => {
            let report = JsonReport {
                format_version: 1,
                cases: &cases,
                passed: counts.passed,
                failed: counts.failed,
                skipped: counts.skipped,
            };
            serde_json::to_string_pretty(&report)? + "\n"
        }
        TestFormat::Junit => junit(&cases)?,
    };
    print!("{shown}");
    for problem in &unknown_handles {
        eprintln!("Error: {}: {}", problem.address, problem.message);
    }
    Ok(if counts.failed == 0 && unknown_handles.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// A case's report with where it was declared.
#[derive(Debug, Serialize)]
struct CaseView<'a> {
    #[serde(flatten)]
    report: &'a CaseReport,
    /// The manifest file, line and column of the case's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

impl CaseView<'_> {
    /// `FILE:LINE:COL`, or the case's name when it has no position.
    fn at(&self) -> String {
        match (&self.file, self.line, self.column) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
            _ => format!("routing_test.{}", self.report.name),
        }
    }
}

fn view<'a>(report: &'a CaseReport, loaded: &Loaded) -> CaseView<'a> {
    let pos = origin(&loaded.origins, &report.name);
    CaseView {
        report,
        file: pos.map(|p| p.file.display().to_string()),
        line: pos.map(|p| p.line),
        column: pos.map(|p| p.column),
    }
}

fn origin<'a>(origins: &'a Origins, name: &str) -> Option<&'a SourcePos> {
    origins.get(DeclaredKind::RoutingTest, name)
}

/// How many cases ended each way.
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Counts {
    fn of(reports: &[CaseReport]) -> Counts {
        let count = |s: CaseStatus| reports.iter().filter(|r| r.status == s).count();
        Counts {
            passed: count(CaseStatus::Passed),
            failed: count(CaseStatus::Failed),
            skipped: count(CaseStatus::Skipped),
        }
    }
}

/// `--format json`.
#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    cases: &'a [CaseView<'a>],
    passed: usize,
    failed: usize,
    skipped: usize,
}

/// The text report: each failure at its case's position with expected, got and sources;
/// passes and skips one line each; the summary.
fn text(cases: &[CaseView<'_>], counts: &Counts) -> String {
    let mut out = String::new();
    for c in cases {
        let r = c.report;
        match r.status {
            CaseStatus::Passed => {
                let _ = writeln!(out, "ok: {} ({})", r.name, r.transition);
            }
            CaseStatus::Skipped => {
                let why = r.reason.as_deref().unwrap_or("not run");
                let _ = writeln!(out, "skipped: {}: {why}", r.name);
            }
            CaseStatus::Failed => {
                let _ = writeln!(
                    out,
                    "{}: error: routing test `{}` failed on {}",
                    c.at(),
                    r.name,
                    r.transition
                );
                for line in r.details().lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    );
    out
}

/// GitHub annotations: one error per failed case, at its line.
fn annotations(cases: &[CaseView<'_>]) -> Vec<Annotation> {
    cases
        .iter()
        .filter(|c| c.report.status == CaseStatus::Failed)
        .map(|c| Annotation {
            level: Level::Error,
            pos: match (&c.file, c.line, c.column) {
                (Some(f), Some(l), Some(col)) => Some(SourcePos::new(f.as_ref(), l, col)),
                _ => None,
            },
            title: format!("ddhooks test: routing_test.{}", c.report.name),
            message: c.report.details().trim_end().to_string(),
            check: "ddhooks/routing-test",
        })
        .collect()
}

/// `--format junit`: one suite, one test case per routing test (its file as classname).
fn junit(cases: &[CaseView<'_>]) -> anyhow::Result<String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("routing_tests");
    for c in cases {
        let r = c.report;
        let status = match r.status {
            CaseStatus::Passed => TestCaseStatus::success(),
            CaseStatus::Skipped => {
                let mut s = TestCaseStatus::skipped();
                if let Some(why) = &r.reason {
                    s.set_message(why.as_str());
                }
                s
            }
            CaseStatus::Failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(r.summary());
                s.set_type("routing");
                s.set_description(format!("{}\n{}", c.at(), r.details()));
                s
            }
        };
        let mut case = TestCase::new(r.name.as_str(), status);
        if let Some(file) = &c.file {
            case.set_classname(file.as_str());
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("ddhooks test");
    report.add_test_suite(suite);
    Ok(report.to_string()? + "\n")
}

/// The handles the routing tests name that name nothing in the org: errors at each test's
/// line (an expectation about a handle that does not exist tests nothing). A check that
/// cannot finish, or an integration the key may not read, is a warning.
async fn tested_handles_naming_nothing(
    session: &Session,
    loaded: &Loaded,
    remote: &crate::model::Remote,
) -> Vec<crate::plan::Problem> {
    let desired = &loaded.desired;
    let to_check = crate::handles::HandlesToCheck {
        tested: crate::handles::HandlesToCheck::tested(desired),
        ..Default::default()
    };
    let known = crate::handles::known_webhooks(desired, remote);
    match session.look_up_handles(to_check.distinct(), &known).await {
        Ok(directory) => {
            let findings =
                crate::handles::check(&to_check, &known, &directory, &loaded.origins, &|_| None);
            for warning in &findings.warnings {
                eprintln!("Warning: {warning}");
            }
            findings.problems
        }
        Err(e) => {
            eprintln!("Warning: the handles the tests name were not checked against the org: {e}");
            Vec::new()
        }
    }
}
