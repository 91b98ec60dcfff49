//! Problems as data for CI systems: GitHub Actions workflow commands (annotations on the
//! pull request's lines), GitLab Code Quality reports, and a JSON list for other tools.
//!
//! Manifest problems and plan problems both become [`Annotation`]s; a plan problem about a
//! declared object points at the line that declared it (see [`Origins`]). Nothing here does
//! I/O: the commands decide where the text goes.

use crate::manifest::{DeclaredKind, Diagnostic, Diagnostics, Origins, Severity, SourcePos};
use crate::plan::{Address, Plan};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;

/// How bad an annotated problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// It stops validate, plan or apply.
    Error,
    /// A reviewer should look at it.
    Warning,
}

impl Level {
    /// The workflow command's name.
    fn github(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }

    /// GitLab Code Quality's severity.
    fn gitlab(self) -> &'static str {
        match self {
            Level::Error => "major",
            Level::Warning => "minor",
        }
    }
}

/// One problem to show where the reviewer works: at a manifest line when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Error or warning.
    pub level: Level,
    /// The manifest position, when the problem has one.
    pub pos: Option<SourcePos>,
    /// A short title (the object, or what kind of problem).
    pub title: String,
    /// The whole message, hint included.
    pub message: String,
    /// A stable name of the check, e.g. `ddhooks/manifest`.
    pub check: &'static str,
}

/// The annotations of manifest problems (validate's, and the warnings plan and apply print).
pub fn from_diagnostics(diags: &Diagnostics) -> Vec<Annotation> {
    diags.iter().map(from_diagnostic).collect()
}

fn from_diagnostic(d: &Diagnostic) -> Annotation {
    let level = match d.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    };
    let message = match &d.hint {
        Some(hint) => format!("{}\nhint: {hint}", d.message),
        None => d.message.clone(),
    };
    Annotation {
        level,
        pos: Some(SourcePos::new(&d.file, d.line, d.column)),
        title: format!("ddhooks: manifest {}", d.severity.as_str()),
        message,
        check: "ddhooks/manifest",
    }
}

/// The annotations of a plan: its problems (errors), held deletes and warnings; those about
/// a declared object point at its declaration.
pub fn from_plan(plan: &Plan, origins: &Origins) -> Vec<Annotation> {
    let at = |address: &Address| origin(address, origins).cloned();
    let problems = plan.problems.iter().map(|p| Annotation {
        level: Level::Error,
        pos: p.at.clone().or_else(|| at(&p.address)),
        title: format!("ddhooks plan: {}", p.address),
        message: p.message.clone(),
        check: "ddhooks/plan-problem",
    });
    let held = plan.held.iter().map(|h| Annotation {
        level: Level::Warning,
        pos: at(&h.address),
        title: format!("ddhooks plan: {} not deleted", h.address),
        message: h.reason.clone(),
        check: "ddhooks/held-delete",
    });
    let warnings = plan.warnings.iter().map(|w| Annotation {
        level: Level::Warning,
        pos: None,
        title: "ddhooks plan".to_string(),
        message: w.clone(),
        check: "ddhooks/plan-warning",
    });
    problems.chain(held).chain(warnings).collect()
}

/// Where the object at `address` was declared, when the manifests declare it.
fn origin<'a>(address: &Address, origins: &'a Origins) -> Option<&'a SourcePos> {
    let (kind, name) = match address {
        Address::CustomVariable(name) => (DeclaredKind::CustomVariable, name),
        Address::Webhook(name) => (DeclaredKind::Webhook, name),
        Address::NotificationRule(name) => (DeclaredKind::Block, name),
        Address::MonitorBlock { block, .. } => (DeclaredKind::Block, block),
        Address::StatusBoard(name) => (DeclaredKind::StatusBoard, name),
        Address::AuthMethod(name) => (DeclaredKind::AuthMethod, name),
        Address::RoutingTest(name) => (DeclaredKind::RoutingTest, name),
        Address::Block(name) => (DeclaredKind::Block, name),
        Address::Monitor(_) => return None,
    };
    origins.get(kind, name)
}

/// GitHub Actions workflow commands, one line each:
/// `::error file=F,line=L,col=C,title=T::MESSAGE`, escaped as the runner requires.
pub fn github_commands(annotations: &[Annotation]) -> String {
    let mut out = String::new();
    for a in annotations {
        let mut properties = Vec::new();
        if let Some(pos) = &a.pos {
            properties.push(format!(
                "file={}",
                escape_property(&pos.file.to_string_lossy())
            ));
            if pos.line > 0 {
                properties.push(format!("line={}", pos.line));
                if pos.column > 0 {
                    properties.push(format!("col={}", pos.column));
                }
            }
        }
        properties.push(format!("title={}", escape_property(&a.title)));
        let _ = writeln!(
            out,
            "::{} {}::{}",
            a.level.github(),
            properties.join(","),
            escape_data(&a.message)
        );
    }
    out
}

/// A workflow command's message: `%`, CR and LF escaped (as `@actions/core` does).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`escape_data`], and `:` and `,` too.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One issue of a GitLab Code Quality report.
#[derive(Debug, Clone, Serialize)]
pub struct CodeQualityIssue {
    /// The message.
    pub description: String,
    /// The check that found it.
    pub check_name: &'static str,
    /// Stable across runs and line moves: the check, the file, the message and which
    /// occurrence of that message in that file it is.
    pub fingerprint: String,
    /// `major` (errors) or `minor` (warnings).
    pub severity: &'static str,
    /// Where.
    pub location: CodeQualityLocation,
}

/// Where a Code Quality issue is.
#[derive(Debug, Clone, Serialize)]
pub struct CodeQualityLocation {
    /// The file, relative to the repository when ddhooks runs at its root.
    pub path: String,
    /// The lines.
    pub lines: CodeQualityLines,
}

/// The first line of a Code Quality issue.
#[derive(Debug, Clone, Serialize)]
pub struct CodeQualityLines {
    /// 1-based; 1 when the problem concerns the whole file.
    pub begin: usize,
}

/// A GitLab Code Quality report (`artifacts:reports:codequality`): only annotations with a
/// file can be placed, so the others are reported at `fallback_path` (the manifests
/// directory) line 1.
pub fn gitlab_code_quality(
    annotations: &[Annotation],
    fallback_path: &str,
) -> Vec<CodeQualityIssue> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    annotations
        .iter()
        .map(|a| {
            let (path, line) = match &a.pos {
                Some(pos) => (pos.file.to_string_lossy().into_owned(), pos.line.max(1)),
                None => (fallback_path.to_string(), 1),
            };
            let description = if a.pos.is_some() {
                a.message.clone()
            } else {
                format!("{}: {}", a.title, a.message)
            };
            let occurrence = seen
                .entry((path.clone(), description.clone()))
                .and_modify(|n| *n += 1)
                .or_insert(0);
            let mut hash = Sha256::new();
            for part in [a.check, &path, &description, &occurrence.to_string()] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            let fingerprint = hash
                .finalize()
                .iter()
                .take(16)
                .fold(String::new(), |mut s, b| {
                    let _ = write!(s, "{b:02x}");
                    s
                });
            CodeQualityIssue {
                description,
                check_name: a.check,
                fingerprint,
                severity: a.level.gitlab(),
                location: CodeQualityLocation {
                    path,
                    lines: CodeQualityLines { begin: line },
                },
            }
        })
        .collect()
}

/// `validate --format json`: the outcome and every problem, for other tools.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// Always `ddhooks-validate/1`.
    pub format: &'static str,
    /// Whether the manifests can be planned.
    pub valid: bool,
    /// How many errors.
    pub errors: usize,
    /// How many warnings.
    pub warnings: usize,
    /// Every problem, in file, line and column order.
    pub problems: Vec<ProblemRecord>,
}

/// One manifest problem, as data.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemRecord {
    /// The file.
    pub file: String,
    /// 1-based line; 0 when it concerns the whole file.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl ValidationReport {
    /// The report of `diags`.
    pub fn of(diags: &Diagnostics) -> ValidationReport {
        let (errors, warnings) = diags.counts();
        ValidationReport {
            format: "ddhooks-validate/1",
            valid: errors == 0,
            errors,
            warnings,
            problems: diags
                .iter()
                .map(|d| ProblemRecord {
                    file: d.file.to_string_lossy().into_owned(),
                    line: d.line,
                    column: d.column,
                    severity: d.severity.as_str(),
                    message: d.message.clone(),
                    hint: d.hint.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Problem;
    use std::path::PathBuf;

    fn diagnostic(file: &str, line: usize, message: &str, severity: Severity) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from(file),
            line,
            column: 3,
            severity,
            message: message.to_string(),
            hint: Some("fix: it, 100%".to_string()),
        }
    }

    #[test]
    fn github_commands_escape_data_and_properties() {
        let mut diags = Diagnostics::new();
        diags.push(diagnostic(
            "m/a,b:c.yaml",
            4,
            "bad\r\nthing",
            Severity::Error,
        ));
        let out = github_commands(&from_diagnostics(&diags));
        assert_eq!(
            out,
            "::error file=m/a%2Cb%3Ac.yaml,line=4,col=3,title=ddhooks%3A manifest error::bad%0D%0Athing%0Ahint: fix: it, 100%25\n"
        );
    }

    #[test]
    fn no_message_can_start_a_second_command() {
        for text in ["x\n::add-mask::y", "%0A::stop-commands::t", "\r::error::z"] {
            let escaped = escape_data(text);
            assert!(!escaped.contains(['\n', '\r']), "{escaped}");
            assert_eq!(
                escaped
                    .replace("%0D", "\r")
                    .replace("%0A", "\n")
                    .replace("%25", "%"),
                text
            );
        }
    }

    #[test]
    fn plan_problems_point_at_the_declaration() {
        let mut origins = Origins::default();
        origins.insert(
            DeclaredKind::Block,
            "payments",
            SourcePos::new(&PathBuf::from("manifests/p.yaml"), 12, 5),
        );
        let plan = Plan {
            problems: vec![
                Problem {
                    at: None,
                    address: Address::MonitorBlock {
                        monitor: 7,
                        block: "payments".into(),
                    },
                    message: "damaged".into(),
                },
                Problem {
                    at: None,
                    address: Address::Monitor(8),
                    message: "gone".into(),
                },
            ],
            warnings: vec!["look".into()],
            ..Plan::default()
        };
        let out = github_commands(&from_plan(&plan, &origins));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "::error file=manifests/p.yaml,line=12,col=5,title=ddhooks plan%3A monitor.7.block.payments::damaged",
                "::error title=ddhooks plan%3A monitor.8::gone",
                "::warning title=ddhooks plan::look",
            ]
        );
    }

    #[test]
    fn code_quality_fingerprints_are_unique_and_stable_across_line_moves() {
        let mut diags = Diagnostics::new();
        diags.push(diagnostic("a.yaml", 1, "same", Severity::Error));
        diags.push(diagnostic("a.yaml", 9, "same", Severity::Warning));
        diags.push(diagnostic("b.yaml", 0, "other", Severity::Warning));
        let issues = gitlab_code_quality(&from_diagnostics(&diags), "manifests");
        let prints: std::collections::BTreeSet<&str> =
            issues.iter().map(|i| i.fingerprint.as_str()).collect();
        assert_eq!(prints.len(), 3);
        assert_eq!(issues[2].location.lines.begin, 1);
        assert_eq!(issues[0].severity, "major");
        assert_eq!(issues[1].severity, "minor");

        let mut moved = Diagnostics::new();
        moved.push(diagnostic("a.yaml", 30, "same", Severity::Error));
        let again = gitlab_code_quality(&from_diagnostics(&moved), "manifests");
        assert_eq!(again[0].fingerprint, issues[0].fingerprint);
    }
}
