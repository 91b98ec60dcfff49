//! The CI examples (`examples/ci/*.yml`) and `.pre-commit-hooks.yaml` call only what this
//! ddhooks accepts. Every string in them is read as shell; every command line that runs
//! `ddhooks` is split with shell rules and handed to the binary's own clap parser
//! (`Cli::try_parse_from`), so a renamed or removed flag fails here, not in a user's
//! pipeline. The extractor is tested on its own, so that these checks cannot pass by finding
//! nothing.

use clap::Parser;
use ddhooks::cli::Cli;
use ddhooks::commands::plan::FormatArg;
use ddhooks::commands::Command;
use regex::Regex;
use serde_yaml::Value;
use std::path::Path;
use std::sync::LazyLock;

const GITHUB: &str = "examples/ci/github-actions.yml";
const GITLAB: &str = "examples/ci/gitlab-ci.yml";
const PRE_COMMIT: &str = ".pre-commit-hooks.yaml";

/// What a `$VAR`, `${VAR}`, `$(…)`, backquotes or `${{ … }}` stands for when a command is
/// parsed. The second is tried when the first is refused, for values that must be numbers.
const PLACEHOLDERS: [&str; 2] = ["placeholder", "1"];

/// Where a substitution was, once its inner commands have been taken out.
const EXPANSION: &str = "${DDHOOKS_TEST_EXPANSION}";

static GITHUB_EXPRESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)\$\{\{.*?\}\}").expect("valid regex"));
static SHELL_EXPANSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?$!-]").expect("valid regex")
});
static REDIRECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]*(&>>|&>|>>|>&|<&|>\||<>|<<|>|<)(.*)$").expect("valid regex")
});
static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").expect("valid regex"));

/// One simple command of a shell script: its text and its line within the script (from 0).
#[derive(Debug, Clone, PartialEq)]
struct SimpleCommand {
    line: usize,
    text: String,
}

/// One `ddhooks …` command line found in a file, and what clap made of it.
#[derive(Debug)]
struct Invocation {
    /// `FILE:LINE` (the line is where the command starts in the file, when it can be found).
    place: String,
    /// The command as written.
    text: String,
    /// The words handed to clap.
    argv: Vec<String>,
    /// The parsed command line (`None` for a help or version request), or clap's error.
    parsed: Result<Option<Cli>, String>,
}

impl Invocation {
    fn failure(&self) -> Option<String> {
        self.parsed.as_ref().err().map(|e| {
            format!(
                "{}: `{}` does not parse with this ddhooks (words {:?}):\n{}",
                self.place,
                self.text,
                self.argv,
                e.trim_end()
            )
        })
    }
}

// ---------------------------------------------------------------------------------------
// Reading shell out of YAML.

/// The YAML file at `path` (relative to the repository), or a failure naming it.
fn load_yaml(path: &str) -> (String, Value) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{path} cannot be read ({e}); it is documented in docs/ci.md"));
    let value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"));
    (text, value)
}

/// Every string value under `value`, in document order (mapping keys are not values).
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Mapping(map) => map.values().for_each(|v| strings(v, out)),
        Value::Tagged(tagged) => strings(&tagged.value, out),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Every `ddhooks …` command in every string of `file`'s YAML, parsed.
fn invocations(file: &str, text: &str, value: &Value) -> Vec<Invocation> {
    let lines: Vec<&str> = text.lines().collect();
    let mut all = Vec::new();
    strings(value, &mut all);
    let mut cursor = 0;
    let mut found = Vec::new();
    for string in &all {
        if string.trim() == "ddhooks" {
            // A name (`name: ddhooks`), not a command: ddhooks alone only prints its help.
            continue;
        }
        let commands: Vec<SimpleCommand> = simple_commands(string)
            .into_iter()
            .filter(|c| !matches!(ddhooks_argv(&c.text), Ok(None)))
            .collect();
        if commands.is_empty() {
            continue;
        }
        // Only strings that run ddhooks are looked for: they are distinctive enough.
        let start = locate(&lines, string, cursor);
        if let Some(start) = start {
            cursor = start;
        }
        for command in commands {
            let place = match start {
                Some(start) => format!("{file}:{}", start + command.line + 1),
                None => format!("{file}:?"),
            };
            match ddhooks_argv(&command.text) {
                Ok(None) => {}
                Ok(Some(argv)) => found.push(Invocation {
                    place,
                    parsed: parse(&argv),
                    text: command.text,
                    argv,
                }),
                Err(why) => found.push(Invocation {
                    place,
                    parsed: Err(why),
                    text: command.text,
                    argv: Vec::new(),
                }),
            }
        }
    }
    found
}

/// The 0-based line of `lines` where `string` starts: where all its lines follow one
/// another (a block scalar), searched from `cursor` (strings are visited in document
/// order), else from the top; else the first line holding its first line.
fn locate(lines: &[&str], string: &str, cursor: usize) -> Option<usize> {
    let wanted: Vec<&str> = string.lines().map(str::trim).collect();
    let first = wanted.iter().find(|l| !l.is_empty())?;
    let whole = |i: usize| {
        wanted
            .iter()
            .enumerate()
            .all(|(k, w)| lines.get(i + k).is_some_and(|l| l.contains(w)))
    };
    (cursor..lines.len())
        .chain(0..cursor)
        .find(|&i| whole(i))
        .or_else(|| (0..lines.len()).find(|&i| lines[i].contains(first)))
}

/// The simple commands of a shell script: split at newlines (after joining `\` line
/// continuations), `;`, `&`, `&&`, `|`, `||` and parentheses outside quotes, without
/// comments; the commands inside `$(…)` and backquotes are commands of their own, and
/// each substitution (and each GitHub `${{ … }}` expression) is left as one expansion.
fn simple_commands(script: &str) -> Vec<SimpleCommand> {
    // `${{ … }}` is replaced by GitHub before the shell runs; keep its newlines for lines.
    let script = GITHUB_EXPRESSION.replace_all(script, |caps: &regex::Captures| {
        let newlines = caps[0].matches('\n').count();
        format!("{EXPANSION}{}", "\n".repeat(newlines))
    });
    let chars: Vec<char> = script.chars().collect();
    let mut out = Vec::new();
    split_into(&chars, 0, &mut out);
    out
}

fn split_into(chars: &[char], first_line: usize, out: &mut Vec<SimpleCommand>) {
    let mut current = String::new();
    let mut current_line = first_line;
    let mut line = first_line;
    let mut i = 0;
    let flush = |current: &mut String, current_line: usize, out: &mut Vec<SimpleCommand>| {
        let text = current.trim();
        if !text.is_empty() {
            out.push(SimpleCommand {
                line: current_line,
                text: text.to_string(),
            });
        }
        current.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        if !c.is_whitespace() && current.trim().is_empty() {
            current_line = line;
        }
        match c {
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                line += 1;
                i += 2;
            }
            '\\' => {
                current.extend(chars[i..chars.len().min(i + 2)].iter());
                i += 2;
            }
            '\'' => {
                let stop = (find_from(chars, i + 1, '\'') + 1).min(chars.len());
                current.extend(chars[i..stop].iter());
                line += count_newlines(&chars[i..stop]);
                i = stop;
            }
            '"' => {
                // Inside double quotes, `$(…)` and backquotes still run commands.
                current.push('"');
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    match chars[i] {
                        '\\' => {
                            current.extend(chars[i..chars.len().min(i + 2)].iter());
                            i += 2;
                        }
                        '$' if chars.get(i + 1) == Some(&'(') => {
                            (i, line) = substitution(chars, i + 2, line, ')', &mut current, out);
                        }
                        '`' => {
                            (i, line) = substitution(chars, i + 1, line, '`', &mut current, out);
                        }
                        other => {
                            line += usize::from(other == '\n');
                            current.push(other);
                            i += 1;
                        }
                    }
                }
                current.push('"');
                i += 1;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                (i, line) = substitution(chars, i + 2, line, ')', &mut current, out);
            }
            '`' => {
                (i, line) = substitution(chars, i + 1, line, '`', &mut current, out);
            }
            '#' if current.is_empty() || current.ends_with(char::is_whitespace) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\n' => {
                flush(&mut current, current_line, out);
                line += 1;
                i += 1;
            }
            // `2>&1`, `>&2`, `&>file`, `>|file` are redirections, not separators.
            '&' if current.ends_with(['>', '<']) || chars.get(i + 1) == Some(&'>') => {
                current.push(c);
                i += 1;
            }
            '|' if current.ends_with('>') => {
                current.push(c);
                i += 1;
            }
            ';' | '&' | '|' | '(' | ')' => {
                flush(&mut current, current_line, out);
                i += 1;
            }
            other => {
                current.push(other);
                i += 1;
            }
        }
    }
    flush(&mut current, current_line, out);
}

/// Takes the substitution whose text starts at `start` and ends at `close` (a matching `)`
/// for `$(`, the next backquote for a backquote): its commands go to `out`, the expansion
/// to `current`. Returns the index after it and the line there.
fn substitution(
    chars: &[char],
    start: usize,
    line: usize,
    close: char,
    current: &mut String,
    out: &mut Vec<SimpleCommand>,
) -> (usize, usize) {
    let end = if close == ')' {
        matching_paren(chars, start)
    } else {
        find_from(chars, start, '`')
    };
    let inner = &chars[start.min(end)..end];
    split_into(inner, line, out);
    current.push_str(EXPANSION);
    (end + 1, line + count_newlines(inner))
}

/// The index of the `)` closing a `$(` whose text starts at `start`, skipping quotes and
/// nested parentheses; the end of the text when it is not closed.
fn matching_paren(chars: &[char], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '\'' => i = find_from(chars, i + 1, '\''),
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
            }
            '(' => depth += 1,
            ')' if depth == 0 => return i,
            ')' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

/// The index of the next unescaped `wanted` from `start`, or the end of the text.
fn find_from(chars: &[char], start: usize, wanted: char) -> usize {
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '\\' && wanted != '\'' {
            i += 2;
            continue;
        }
        if chars[i] == wanted {
            return i;
        }
        i += 1;
    }
    chars.len()
}

fn count_newlines(chars: &[char]) -> usize {
    chars.iter().filter(|&&c| c == '\n').count()
}

/// The words of a simple command that runs `ddhooks`, without what the shell consumes:
/// keywords (`if`, `then`, `!`, …), leading `NAME=value` assignments, `env`, `exec`,
/// `command`, `time`, and redirections. `None` when the command runs something else; an
/// error when it names ddhooks but cannot be split into words.
fn ddhooks_argv(text: &str) -> Result<Option<Vec<String>>, String> {
    let Some(words) = shlex::split(text) else {
        let names_ddhooks = text
            .split_whitespace()
            .any(|w| w == "ddhooks" || w.ends_with("/ddhooks"));
        return if names_ddhooks {
            Err(format!(
                "cannot split `{text}` into words (unbalanced quotes?)"
            ))
        } else {
            Ok(None)
        };
    };
    const KEYWORDS: [&str; 13] = [
        "if", "then", "elif", "else", "do", "while", "until", "!", "{", "}", "time", "exec", "env",
    ];
    let mut rest = words.as_slice();
    while let Some((first, tail)) = rest.split_first() {
        let lookup = first == "command" && tail.first().is_some_and(|w| w.starts_with('-'));
        if KEYWORDS.contains(&first.as_str())
            || ASSIGNMENT.is_match(first)
            || (first == "command" && !lookup)
        {
            rest = tail;
        } else {
            break;
        }
    }
    let Some((program, args)) = rest.split_first() else {
        return Ok(None);
    };
    // `ddhooks`, or a path to it (`./target/release/ddhooks`); not a URL ending in it.
    if program.contains("://") || program.rsplit('/').next() != Some("ddhooks") {
        return Ok(None);
    }
    let mut argv = vec!["ddhooks".to_string()];
    let mut args = args.iter();
    while let Some(word) = args.next() {
        match REDIRECTION.captures(word) {
            Some(caps) if caps[2].is_empty() => {
                args.next();
            }
            Some(_) => {}
            None => argv.push(word.clone()),
        }
    }
    Ok(Some(argv))
}

/// `argv` through clap, with each expansion replaced by a placeholder; `None` for a help or
/// version request, which clap answers without running a verb.
fn parse(argv: &[String]) -> Result<Option<Cli>, String> {
    let mut first_error = None;
    for placeholder in PLACEHOLDERS {
        let words: Vec<String> = argv
            .iter()
            .map(|w| SHELL_EXPANSION.replace_all(w, placeholder).into_owned())
            .collect();
        match Cli::try_parse_from(&words) {
            Ok(cli) => return Ok(Some(cli)),
            Err(e)
                if matches!(
                    e.kind(),
                    clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
                ) =>
            {
                return Ok(None)
            }
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
        if !argv.iter().any(|w| SHELL_EXPANSION.is_match(w)) {
            break;
        }
    }
    Err(first_error.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------
// What each example must keep doing.

/// The kinds of ddhooks line a CI example must contain, and whether it does.
fn coverage(found: &[Invocation]) -> Vec<(&'static str, bool)> {
    let commands: Vec<&Command> = found
        .iter()
        .filter_map(|i| i.parsed.as_ref().ok().and_then(Option::as_ref))
        .map(|cli| &cli.command)
        .collect();
    let has = |test: &dyn Fn(&Command) -> bool| commands.iter().any(|c| test(c));
    vec![
        (
            "`ddhooks validate`",
            has(&|c| matches!(c, Command::Validate(_))),
        ),
        (
            "`ddhooks plan --format markdown --out FILE --detailed-exitcode`",
            has(&|c| {
                matches!(c, Command::Plan(p)
                if p.format == FormatArg::Markdown && p.out.is_some() && p.detailed_exitcode)
            }),
        ),
        (
            "`ddhooks apply --plan FILE` (the reviewed plan)",
            has(&|c| matches!(c, Command::Apply(a) if a.plan.is_some())),
        ),
        (
            "`ddhooks plan` without --out (the fresh plan when the saved one is gone)",
            has(&|c| matches!(c, Command::Plan(p) if p.out.is_none())),
        ),
        (
            "`ddhooks apply --auto-approve` (after the fresh plan)",
            has(&|c| matches!(c, Command::Apply(a) if a.auto_approve && a.plan.is_none())),
        ),
    ]
}

/// How many ddhooks lines each CI example has at least: one per kind in [`coverage`].
const MIN_DDHOOKS_LINES: usize = 5;

#[test]
fn every_ddhooks_line_of_the_ci_examples_parses_with_this_cli() {
    for file in [GITHUB, GITLAB] {
        let (text, value) = load_yaml(file);
        let found = invocations(file, &text, &value);
        let failures: Vec<String> = found.iter().filter_map(Invocation::failure).collect();
        assert!(
            failures.is_empty(),
            "{} of the {} ddhooks lines of {file} do not parse:\n\n{}",
            failures.len(),
            found.len(),
            failures.join("\n\n")
        );
        assert!(
            found.len() >= MIN_DDHOOKS_LINES,
            "{file} has {} ddhooks lines, fewer than the {MIN_DDHOOKS_LINES} it documents: {:#?}",
            found.len(),
            found.iter().map(|i| &i.text).collect::<Vec<_>>()
        );
        let missing: Vec<&str> = coverage(&found)
            .into_iter()
            .filter(|(_, present)| !present)
            .map(|(what, _)| what)
            .collect();
        assert!(
            missing.is_empty(),
            "{file} no longer runs {}; found only:\n{}",
            missing.join(", "),
            found
                .iter()
                .map(|i| format!("  {}: {}", i.place, i.text))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn a_renamed_flag_in_a_ci_example_is_rejected_by_the_same_check() {
    let snippet = "jobs:\n  plan:\n    steps:\n      - run: |\n          code=0\n          ddhooks plan manifests --formatt markdown > plan.md || code=$?\n      - run: ddhooks validate manifests\n";
    let value: Value = serde_yaml::from_str(snippet).expect("the snippet is YAML");
    let found = invocations("snippet.yml", snippet, &value);
    assert_eq!(found.len(), 2, "both ddhooks lines are found: {found:#?}");
    let failures: Vec<String> = found.iter().filter_map(Invocation::failure).collect();
    assert_eq!(
        failures.len(),
        1,
        "only the renamed flag fails: {failures:#?}"
    );
    assert!(
        failures[0].starts_with("snippet.yml:6: `ddhooks plan manifests --formatt markdown"),
        "the failure names the file, the line and the command: {}",
        failures[0]
    );
    assert!(
        failures[0].contains("--formatt"),
        "the failure quotes clap's error about the flag: {}",
        failures[0]
    );
}

#[test]
fn the_extractor_finds_ddhooks_in_every_shell_form() {
    let script = r#"
# ddhooks plan --commented-out
ddhooks plan manifests \
  --format markdown \
  --out plan.json --detailed-exitcode > plan.md 2>&1 || code=$?
cargo install --locked ddhooks && ddhooks validate manifests; echo done
DD_SITE=datadoghq.eu FOO="a b" ddhooks plan --site "$DD_SITE" | tee plan.txt
if ddhooks validate manifests --strict; then echo ok; fi
text="$(ddhooks plan --format json)"; other=`ddhooks schema`
echo "ddhooks apply --plan plan.json is only text here"
! ./target/release/ddhooks apply --plan "${PLAN:-plan.json}" >> log.txt
"#;
    let found: Vec<Vec<String>> = simple_commands(script)
        .iter()
        .filter_map(|c| ddhooks_argv(&c.text).expect("splits"))
        .collect();
    let expected: Vec<Vec<&str>> = vec![
        vec![
            "ddhooks",
            "plan",
            "manifests",
            "--format",
            "markdown",
            "--out",
            "plan.json",
            "--detailed-exitcode",
        ],
        vec!["ddhooks", "validate", "manifests"],
        vec!["ddhooks", "plan", "--site", "$DD_SITE"],
        vec!["ddhooks", "validate", "manifests", "--strict"],
        vec!["ddhooks", "plan", "--format", "json"],
        vec!["ddhooks", "schema"],
        vec!["ddhooks", "apply", "--plan", "${PLAN:-plan.json}"],
    ];
    assert_eq!(found, expected);
    // The lines found all parse.
    for argv in &found {
        let argv: Vec<String> = argv.to_vec();
        assert!(parse(&argv).is_ok(), "{argv:?}: {:?}", parse(&argv).err());
    }
    let lines: Vec<usize> = simple_commands(script)
        .into_iter()
        .filter(|c| ddhooks_argv(&c.text).ok().flatten().is_some())
        .map(|c| c.line)
        .collect();
    assert_eq!(
        lines,
        vec![2, 5, 6, 7, 8, 8, 10],
        "each command knows its line"
    );
}

#[test]
fn the_ci_examples_take_every_secret_from_the_ci_secret_store() {
    static CREDENTIAL_NAME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(^DD_API_KEY$|^DD_APP_KEY$|_KEY$|TOKEN|SECRET|PASSWORD|AUTHORIZATION)")
            .expect("valid regex")
    });
    static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(\$\{\{\s*(secrets\.[A-Za-z0-9_]+|github\.token)\s*\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$",
        )
            .expect("valid regex")
    });
    static SHELL_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\b(DD_API_KEY|DD_APP_KEY)=("?)([^\s"]*)"#).expect("valid regex")
    });
    fn walk(value: &Value, path: &str, out: &mut Vec<String>, found: &mut Vec<String>) {
        match value {
            Value::Mapping(map) => {
                for (key, child) in map {
                    let key = key.as_str().unwrap_or("?");
                    let here = format!("{path}.{key}");
                    if CREDENTIAL_NAME.is_match(key) {
                        match child.as_str() {
                            Some(v) if REFERENCE.is_match(v.trim()) => found.push(here.clone()),
                            _ => out
                                .push(format!("{here} is {child:?}, not a reference to a secret")),
                        }
                    }
                    walk(child, &here, out, found);
                }
            }
            Value::Sequence(items) => {
                for (n, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}[{n}]"), out, found);
                }
            }
            Value::String(s) => {
                for caps in SHELL_ASSIGNMENT.captures_iter(s) {
                    if !caps[3].starts_with('$') {
                        out.push(format!("{path} assigns {} a literal value", &caps[1]));
                    }
                }
            }
            Value::Tagged(tagged) => walk(&tagged.value, path, out, found),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    for file in [GITHUB, GITLAB] {
        let (_, value) = load_yaml(file);
        let (mut literal, mut referenced) = (Vec::new(), Vec::new());
        walk(&value, "", &mut literal, &mut referenced);
        assert!(
            literal.is_empty(),
            "{file} writes secrets literally:\n{}",
            literal.join("\n")
        );
        if file == GITHUB {
            for key in ["DD_API_KEY", "DD_APP_KEY"] {
                assert!(
                    referenced.iter().any(|p| p.ends_with(key)),
                    "{file} takes {key} from no secret: {referenced:?}"
                );
            }
        }
    }
}

#[test]
fn the_ci_examples_apply_one_at_a_time_and_keep_one_plan_comment() {
    let (github_text, github) = load_yaml(GITHUB);
    let apply = &github["jobs"]["apply"]["concurrency"];
    assert_eq!(
        apply["group"].as_str(),
        Some("ddhooks-apply"),
        "{GITHUB}: the apply job's concurrency group"
    );
    assert_eq!(
        apply["cancel-in-progress"].as_bool(),
        Some(false),
        "{GITHUB}: an apply is never cancelled halfway"
    );
    let permissions = &github["jobs"]["apply"]["permissions"];
    assert_eq!(permissions["actions"].as_str(), Some("read"));
    assert_eq!(
        github["permissions"]["contents"].as_str(),
        Some("read"),
        "{GITHUB}: read-only by default"
    );
    let (gitlab_text, gitlab) = load_yaml(GITLAB);
    assert_eq!(
        gitlab["ddhooks:apply"]["resource_group"].as_str(),
        Some("ddhooks-apply"),
        "{GITLAB}: applies share one resource group"
    );
    for (file, text) in [(GITHUB, &github_text), (GITLAB, &gitlab_text)] {
        assert!(
            text.contains("<!-- ddhooks-plan -->"),
            "{file}: the plan comment is found again by its marker"
        );
    }
}

#[test]
fn the_shell_scripts_of_the_ci_examples_are_valid_bash() {
    let (_, github) = load_yaml(GITHUB);
    let mut scripts = Vec::new();
    for (name, job) in github["jobs"].as_mapping().expect("jobs") {
        for step in job["steps"].as_sequence().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                let label = format!("{GITHUB} job {:?} step {:?}", name, step["name"]);
                scripts.push((label, GITHUB_EXPRESSION.replace_all(run, "x").into_owned()));
            }
        }
    }
    let (_, gitlab) = load_yaml(GITLAB);
    for (name, job) in gitlab.as_mapping().expect("jobs") {
        for key in ["before_script", "script"] {
            if let Some(lines) = job.get(key).and_then(Value::as_sequence) {
                let lines: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
                scripts.push((format!("{GITLAB} {name:?} {key}"), lines.join("\n")));
            }
        }
    }
    assert!(
        scripts.len() >= 6,
        "the scripts are found: {}",
        scripts.len()
    );
    for (label, script) in scripts {
        let checked = std::process::Command::new("bash")
            .args(["-n", "-c", &script])
            .output()
            .expect("bash runs (the CI examples are bash)");
        assert!(
            checked.status.success(),
            "{label} is not valid bash:\n{}\n{script}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
}

#[test]
fn the_pre_commit_hook_runs_ddhooks_validate() {
    let (_, value) = load_yaml(PRE_COMMIT);
    let hooks = value
        .as_sequence()
        .unwrap_or_else(|| panic!("{PRE_COMMIT} is a list of hooks"));
    let hook = hooks
        .iter()
        .find(|h| h["id"].as_str() == Some("ddhooks-validate"))
        .unwrap_or_else(|| panic!("{PRE_COMMIT} offers the hook `ddhooks-validate`"));
    let entry = hook["entry"].as_str().expect("the hook has an entry");
    let mut argv = shlex::split(entry).expect("the entry splits into words");
    for arg in hook["args"].as_sequence().expect("the hook has args") {
        argv.push(arg.as_str().expect("args are strings").to_string());
    }
    match parse(&argv) {
        Ok(Some(Cli {
            command: Command::Validate(args),
            ..
        })) => assert_eq!(args.dir, Path::new("manifests")),
        other => panic!(
            "{PRE_COMMIT}: `{}` is not a ddhooks validate line: {other:?}",
            argv.join(" ")
        ),
    }
    assert_eq!(
        hook["pass_filenames"].as_bool(),
        Some(false),
        "validate takes the directory, not the changed files"
    );
    assert!(
        matches!(hook["language"].as_str(), Some("rust" | "system")),
        "{:?}",
        hook["language"]
    );
    let files = Regex::new(hook["files"].as_str().expect("files")).expect("files is a regex");
    for (path, matches) in [
        ("manifests/checkout.yaml", true),
        ("manifests/a.yml", true),
        ("README.md", false),
    ] {
        assert_eq!(files.is_match(path), matches, "files: {path}");
    }
}
