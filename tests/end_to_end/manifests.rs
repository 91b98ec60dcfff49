//! Every problem is reported at its file, line and column. The manifest corpus: every bad manifest under `tests/corpus/bad/` must be refused with
//! its expected message at its expected line (header `# expect: LINE:COL: SEVERITY: TEXT`,
//! or `expect.txt` in a directory case, whose lines start with the file name), by the
//! library and by `ddhooks validate`; the good ones and `manifests/` must load cleanly; and
//! the JSON Schema must agree (header `# schema: accept|reject`).

use crate::kit::cli;
use ddhooks::manifest::{self, LoadOptions, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct Expect {
    file: String,
    line: usize,
    column: usize,
    severity: Severity,
    text: String,
}

struct Case {
    path: PathBuf,
    expects: Vec<Expect>,
    schema_rejects: Option<bool>,
}

fn corpus(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(dir)
}

fn parse_expect(spec: &str, default_file: &str) -> Expect {
    // [FILE:]LINE:COL: SEVERITY: TEXT
    let (file, rest) = match spec.split_once(".yaml:") {
        Some((f, rest)) => (format!("{f}.yaml"), rest),
        None => (default_file.to_string(), spec),
    };
    let mut parts = rest.splitn(4, ':');
    let line = parts.next().unwrap().trim().parse().unwrap();
    let column = parts.next().unwrap().trim().parse().unwrap();
    let severity = match parts.next().unwrap().trim() {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        other => panic!("bad severity {other} in {spec}"),
    };
    let text = parts.next().unwrap().trim().to_string();
    Expect {
        file,
        line,
        column,
        severity,
        text,
    }
}

fn bad_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus("bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let (headers, default_file) = if path.is_dir() {
            let text = std::fs::read_to_string(path.join("expect.txt")).unwrap();
            (text, String::new())
        } else {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (text, name)
        };
        let mut expects = Vec::new();
        let mut schema_rejects = None;
        for line in headers.lines() {
            let line = line.trim_start_matches("# ");
            if let Some(spec) = line.strip_prefix("expect: ") {
                expects.push(parse_expect(spec, &default_file));
            } else if path.is_dir() && line.contains(".yaml:") {
                expects.push(parse_expect(line, &default_file));
            } else if let Some(v) = line.strip_prefix("schema: ") {
                schema_rejects = Some(v.trim() == "reject");
            }
        }
        assert!(!expects.is_empty(), "{} has no expectation", path.display());
        cases.push(Case {
            path,
            expects,
            schema_rejects,
        });
    }
    cases
}

fn options() -> LoadOptions {
    let env: BTreeMap<String, String> = [
        ("DD_API_KEY".to_string(), "not-a-real-key".to_string()),
        ("HOME".to_string(), "/root".to_string()),
    ]
    .into_iter()
    .collect();
    LoadOptions::default().with_env_map(env)
}

#[test]
fn the_bad_corpus_is_large_enough() {
    assert!(
        bad_cases().len() >= 40,
        "only {} bad cases",
        bad_cases().len()
    );
}

#[test]
fn every_bad_manifest_is_refused_with_its_message_and_line() {
    let mut failures = Vec::new();
    for case in bad_cases() {
        let mut diags = match manifest::load_dir(&case.path, &options()) {
            Ok(loaded) => loaded.warnings,
            Err(diags) => diags,
        };
        diags.sort();
        for e in &case.expects {
            let found = diags.iter().any(|d| {
                d.file.ends_with(&e.file)
                    && d.line == e.line
                    && d.column == e.column
                    && d.severity == e.severity
                    && d.message.contains(&e.text)
            });
            if !found {
                failures.push(format!(
                    "{}: expected {}:{}:{}: {:?}: {}\n  got:\n{}",
                    case.path.display(),
                    e.file,
                    e.line,
                    e.column,
                    e.severity,
                    e.text,
                    diags
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_cli_exits_1_and_names_file_line_and_column() {
    for case in bad_cases() {
        let only_errors = case.expects.iter().all(|e| e.severity == Severity::Error);
        let mut runs = vec![vec!["validate", "--strict", "--require-env"]];
        if only_errors {
            runs.push(vec!["validate", "--require-env"]);
        }
        for args in runs {
            let mut cmd = cli::command(&args);
            cmd.arg(&case.path).env_remove("DDHOOKS_SURELY_UNSET_VAR");
            let run = cli::run(cmd).await;
            let stdout = &run.stdout;
            assert_eq!(run.code, 1, "{} {args:?}:\n{stdout}", case.path.display());
            for e in &case.expects {
                let severity = if args.contains(&"--strict") {
                    "error"
                } else {
                    match e.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }
                };
                let needle = format!("{}:{}:{}: {severity}: ", e.file, e.line, e.column);
                assert!(
                    stdout
                        .lines()
                        .any(|l| l.contains(&needle) && l.contains(&e.text)),
                    "{} {args:?}: no `{needle}{}` in\n{stdout}",
                    case.path.display(),
                    e.text
                );
            }
        }
    }
}

fn good_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        corpus("good"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests"),
    ] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn good_manifests_load_without_errors_or_warnings() {
    for dir in [
        corpus("good"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests"),
    ] {
        match manifest::load_dir(&dir, &options()) {
            Ok(loaded) => assert!(
                loaded.warnings.is_empty(),
                "{}:\n{}",
                dir.display(),
                loaded.warnings
            ),
            Err(diags) => panic!("{}:\n{diags}", dir.display()),
        }
    }
}

#[tokio::test]
async fn validate_manifests_exits_0() {
    let mut cmd = cli::command(&["validate", "--strict", "--require-env"]);
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests"));
    let run = cli::run(cmd).await;
    assert_eq!(run.code, 0, "{}", run.all());
}

fn schema_validator() -> jsonschema::Validator {
    jsonschema::validator_for(&manifest::schema::schema()).unwrap()
}

fn schema_accepts(validator: &jsonschema::Validator, path: &Path) -> bool {
    let paths: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    paths.iter().all(|p| {
        let text = std::fs::read_to_string(p).unwrap();
        match serde_yaml::from_str::<serde_json::Value>(&text) {
            Ok(json) => validator.is_valid(&json),
            Err(_) => false,
        }
    })
}

#[test]
fn every_good_manifest_validates_against_the_schema() {
    let v = schema_validator();
    for p in good_files() {
        assert!(schema_accepts(&v, &p), "{}", p.display());
    }
}

#[test]
fn the_schema_agrees_with_the_loader_on_the_bad_corpus() {
    let v = schema_validator();
    let mut disagreements = Vec::new();
    for case in bad_cases() {
        let rejects = !schema_accepts(&v, &case.path);
        match case.schema_rejects {
            Some(expected) if expected == rejects => {}
            expected => disagreements.push(format!(
                "{}: schema rejects={rejects}, header says {expected:?}",
                case.path.display()
            )),
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn the_checked_in_schema_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/manifest.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        checked_in.trim_end(),
        manifest::schema::schema_text(),
        "run `cargo run -- schema > manifests/manifest.schema.json`"
    );
}
