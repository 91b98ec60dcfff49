//! The documents hold: every relative link in `README.md` and `docs/*.md` leads to a file
//! that exists and, with a `#fragment`, to a heading there (as GitHub slugs it); every
//! manifest example in them loads with ddhooks' own loader and is accepted by the JSON
//! Schema `ddhooks schema` prints; and the index `docs/README.md` links every chapter.
//!
//! Which YAML is a manifest example: every fenced block tagged `yaml` or `yml` whose first
//! top-level key is one of the manifest's (the JSON Schema's top-level properties). A
//! `yaml` block whose first key is not, or that does not start with a top-level key (a
//! fragment), must be a file of another tool listed in [`NOT_MANIFESTS`]; anything else
//! fails, so a misspelled top-level key cannot quietly turn an example into prose. Show a
//! fragment in a fence of another language (`text`).
//!
//! The examples of one Markdown file load together, as the files of one manifest
//! directory (`m0.yaml`, `m1.yaml`, … in the order they appear), so that an example may use
//! what an earlier one declares, as the chapters are written; [`CONTEXT`] adds what a
//! document's examples use from the repository's `manifests/` without declaring it. Every
//! `${env:NAME}` an example reads is set to a placeholder. Examples must load without
//! errors and without warnings: they are what people copy.

use ddhooks_core::manifest::{load_sources, LoadOptions, MissingEnv, Source};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// First top-level keys of YAML blocks that are not manifests, with what they are.
const NOT_MANIFESTS: &[(&str, &str)] = &[("repos", "a pre-commit configuration")];

/// What a document's examples use from `manifests/` without declaring it, by document:
/// the `storage` pair of `manifests/storage.yaml`, which the status board example counts.
const CONTEXT: &[(&str, &str)] = &[(
    "docs/manifests.md",
    "webhook_pairs:\n  storage:\n    check: storage.status\n    \
     tags: [\"monitor_id:$ALERT_ID\", \"team:storage\"]\n",
)];

fn root() -> PathBuf {
    crate::repository_root()
}

/// `README.md` and `docs/*.md`, as paths relative to the repository root, sorted.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    docs.sort();
    docs.insert(0, PathBuf::from("README.md"));
    docs
}

fn read(doc: &Path) -> String {
    std::fs::read_to_string(root().join(doc)).unwrap_or_else(|e| panic!("{}: {e}", doc.display()))
}

/// A fenced code block: its info string, the line (1-based) of its first content line,
/// and its content.
struct Fence {
    info: String,
    first_line: usize,
    text: String,
}

/// The Markdown text with every fenced block's lines blanked (so line numbers hold), and
/// the fenced blocks.
fn split_fences(markdown: &str) -> (String, Vec<Fence>) {
    let mut prose = String::new();
    let mut fences = Vec::new();
    let mut open: Option<(String, Fence)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        let is_fence =
            marker.len() >= 3 && marker.chars().all(|c| c == marker.as_bytes()[0] as char);
        match &mut open {
            None if is_fence => {
                let info = trimmed[marker.len()..].trim().to_string();
                open = Some((
                    marker,
                    Fence {
                        info,
                        first_line: index + 2,
                        text: String::new(),
                    },
                ));
                prose.push('\n');
            }
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
            Some((opening, fence)) => {
                if is_fence && trimmed.trim_end() == marker && marker.starts_with(opening.as_str())
                {
                    fences.push(open.take().unwrap().1);
                } else {
                    fence.text.push_str(line);
                    fence.text.push('\n');
                }
                prose.push('\n');
            }
        }
    }
    if let Some((_, fence)) = open {
        panic!(
            "a fence opened before line {} is never closed",
            fence.first_line
        );
    }
    (prose, fences)
}

/// Inline code spans blanked (newlines kept), so that text in backticks is never read as
/// a link.
fn without_code_spans(prose: &str) -> String {
    let mut out = String::with_capacity(prose.len());
    let chars: Vec<char> = prose.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&c| c == '`').count();
        // The closing run of exactly the same length.
        let mut j = i + run;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let len = chars[j..].iter().take_while(|&&c| c == '`').count();
                if len == run {
                    close = Some(j);
                    break;
                }
                j += len;
            } else {
                j += 1;
            }
        }
        match close {
            Some(j) => {
                for &c in &chars[i..j + run] {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                }
                i = j + run;
            }
            None => {
                for _ in 0..run {
                    out.push('`');
                }
                i += run;
            }
        }
    }
    out
}

/// A link's destination and the line it is on.
struct Link {
    line: usize,
    target: String,
}

/// Inline links and images (`[text](dest "title")`), reference definitions
/// (`[label]: dest`) and HTML `href`/`src` attributes, outside code.
fn links(markdown: &str) -> Vec<Link> {
    let (prose, _) = split_fences(markdown);
    let prose = without_code_spans(&prose);
    let inline =
        Regex::new(r#"\]\(\s*(<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+"[^"]*")?\s*\)"#)
            .unwrap();
    let definition = Regex::new(r"(?m)^ {0,3}\[[^\]]+\]:\s*(\S+)").unwrap();
    let html = Regex::new(r#"(?:href|src)\s*=\s*"([^"]*)""#).unwrap();
    let line_of = |offset: usize| prose[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    for re in [&inline, &definition, &html] {
        for caps in re.captures_iter(&prose) {
            let m = caps.get(1).unwrap();
            found.push(Link {
                line: line_of(m.start()),
                target: m
                    .as_str()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            });
        }
    }
    found.sort_by_key(|l| l.line);
    found
}

/// The anchor GitHub gives a heading: its text as rendered (code, emphasis and link
/// syntax gone), lower case, without punctuation but `-` and `_`, spaces as `-`.
fn github_slug(heading: &str) -> String {
    let link = Regex::new(r"!?\[([^\]]*)\]\([^)]*\)").unwrap();
    let text = link.replace_all(heading, "$1");
    text.chars()
        .filter(|&c| c != '`' && c != '*')
        .flat_map(char::to_lowercase)
        .filter(|&c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a Markdown file offers: its ATX headings' slugs (a repeated slug gets
/// `-1`, `-2`, … as on GitHub) and HTML `id`/`name` attributes.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let (prose, _) = split_fences(markdown);
    let heading = Regex::new(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$").unwrap();
    let html = Regex::new(r#"(?:id|name)\s*=\s*"([^"]*)""#).unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in prose.lines() {
        if let Some(caps) = heading.captures(line) {
            let slug = github_slug(&caps[1]);
            let n = seen.entry(slug.clone()).or_insert(0);
            out.insert(if *n == 0 {
                slug.clone()
            } else {
                format!("{slug}-{n}")
            });
            *n += 1;
        }
        for caps in html.captures_iter(line) {
            out.insert(caps[1].to_string());
        }
    }
    out
}

/// `base/target` with `.` and `..` resolved; `None` when it climbs out of the repository.
fn resolve(base: &Path, target: &str) -> Option<PathBuf> {
    let joined = match target.strip_prefix('/') {
        Some(rooted) => PathBuf::from(rooted),
        None => base.join(target),
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            _ => return None,
        }
    }
    Some(out)
}

/// What is wrong with one relative link of `doc`, if anything.
fn broken(doc: &Path, target: &str) -> Option<String> {
    let (path, fragment) = match target.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (target, None),
    };
    let file = if path.is_empty() {
        doc.to_path_buf()
    } else {
        match resolve(doc.parent().unwrap(), path) {
            Some(file) => file,
            None => return Some("leads out of the repository".to_string()),
        }
    };
    let on_disk = root().join(&file);
    if !on_disk.exists() {
        return Some(format!("{} does not exist", file.display()));
    }
    let fragment = fragment?;
    if file.extension().is_some_and(|e| e == "md") && on_disk.is_file() {
        let offered = anchors(&read(&file));
        if offered.contains(fragment) {
            return None;
        }
        return Some(format!(
            "{} has no heading with the anchor #{fragment} (it has: {})",
            file.display(),
            offered.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let line_anchor = Regex::new(r"^L\d+(-L\d+)?$").unwrap();
    (!line_anchor.is_match(fragment))
        .then(|| format!("#{fragment} is no anchor of {}", file.display()))
}

fn is_external(target: &str) -> bool {
    Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:")
        .unwrap()
        .is_match(target)
}

#[test]
fn every_relative_link_in_the_readme_and_docs_leads_to_a_file_and_heading_that_exist() {
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut with_anchor = 0;
    for doc in documents() {
        for link in links(&read(&doc)) {
            if is_external(&link.target) {
                continue;
            }
            checked += 1;
            with_anchor += usize::from(link.target.contains('#'));
            if let Some(why) = broken(&doc, &link.target) {
                problems.push(format!(
                    "{}:{}: ({}): {why}",
                    doc.display(),
                    link.line,
                    link.target
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
    // A parser that finds nothing would pass vacuously.
    assert!(
        checked >= 20 && with_anchor >= 3,
        "only {checked} relative links ({with_anchor} with an anchor) found"
    );
    eprintln!("{checked} relative links checked, {with_anchor} with an anchor");
}

#[test]
fn the_docs_index_links_every_chapter_and_the_readme_links_the_index() {
    let index = Path::new("docs/README.md");
    let linked: BTreeSet<PathBuf> = links(&read(index))
        .into_iter()
        .filter(|l| !is_external(&l.target))
        .filter_map(|l| resolve(Path::new("docs"), l.target.split('#').next().unwrap()))
        .collect();
    let missing: Vec<String> = documents()
        .into_iter()
        .filter(|d| d.starts_with("docs") && d.as_path() != index && !linked.contains(d))
        .map(|d| d.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "docs/README.md does not link {missing:?}"
    );
    assert!(
        links(&read(Path::new("README.md")))
            .iter()
            .any(|l| l.target == "docs/README.md"),
        "README.md does not link the index docs/README.md"
    );
}

/// A YAML block's first top-level key, or `None` when its first line that is neither blank
/// nor a comment is indented or not a key.
fn first_top_level_key(yaml: &str) -> Option<String> {
    let line = yaml
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let key = Regex::new(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:").unwrap();
    key.captures(line).map(|c| c[1].to_string())
}

#[test]
fn every_manifest_example_in_the_readme_and_docs_loads_without_errors_or_warnings() {
    let schema = ddhooks_core::manifest::schema::schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let manifest_keys: BTreeSet<String> = schema["properties"]
        .as_object()
        .expect("the schema has top-level properties")
        .keys()
        .cloned()
        .collect();
    let env_ref = Regex::new(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}").unwrap();
    let mut problems = Vec::new();
    let mut loaded = 0;
    let mut others = 0;
    for doc in documents() {
        let (_, fences) = split_fences(&read(&doc));
        let mut examples = Vec::new();
        for fence in fences {
            if !matches!(fence.info.split_whitespace().next(), Some("yaml" | "yml")) {
                continue;
            }
            let key = first_top_level_key(&fence.text);
            match key.as_deref() {
                Some(k) if manifest_keys.contains(k) => examples.push(fence),
                Some(k) if NOT_MANIFESTS.iter().any(|(other, _)| *other == k) => others += 1,
                _ => problems.push(format!(
                    "{}:{}: a yaml block that is no manifest (first key {key:?}; manifests \
                     start with one of {manifest_keys:?}): fix its key, add it to \
                     NOT_MANIFESTS if it is another tool's file, or fence a fragment as text",
                    doc.display(),
                    fence.first_line
                )),
            }
        }
        if examples.is_empty() {
            continue;
        }
        for example in &examples {
            let json = serde_yaml::from_str::<serde_json::Value>(&example.text);
            if !json.is_ok_and(|json| validator.is_valid(&json)) {
                problems.push(format!(
                    "{}:{}: the JSON Schema (`ddhooks schema`) refuses this example",
                    doc.display(),
                    example.first_line
                ));
            }
        }
        let mut sources: Vec<Source> = CONTEXT
            .iter()
            .filter(|(of, _)| Path::new(of) == doc)
            .map(|(_, text)| Source {
                path: PathBuf::from("context.yaml"),
                text: text.to_string(),
            })
            .collect();
        let mut env = BTreeMap::new();
        for (i, example) in examples.iter().enumerate() {
            for caps in env_ref.captures_iter(&example.text) {
                env.insert(caps[1].to_string(), format!("placeholder-{}", &caps[1]));
            }
            sources.push(Source {
                path: PathBuf::from(format!("m{i}.yaml")),
                text: example.text.clone(),
            });
        }
        let options = LoadOptions {
            missing_env: MissingEnv::Error,
            ..LoadOptions::default()
        }
        .with_env_map(env);
        // Where a diagnostic of `mN.yaml` is in the Markdown file.
        let place = |file: &Path, line: usize, column: usize| match file.to_str().and_then(|f| {
            f.strip_prefix('m')?
                .strip_suffix(".yaml")?
                .parse::<usize>()
                .ok()
        }) {
            Some(i) => format!(
                "{}:{}:{column}",
                doc.display(),
                examples[i].first_line + line - 1
            ),
            None => format!("{} ({}):{line}:{column}", doc.display(), file.display()),
        };
        let diagnostics: Vec<_> = match load_sources(&sources, &options) {
            Ok(loaded) => loaded.warnings.into_iter().collect(),
            Err(all) => all.into_iter().collect(),
        };
        for d in diagnostics {
            problems.push(format!(
                "{}: {}: {}",
                place(&d.file, d.line, d.column),
                d.severity.as_str(),
                d.message
            ));
        }
        loaded += examples.len();
    }
    assert!(
        problems.is_empty(),
        "manifest examples that do not load cleanly:\n{}",
        problems.join("\n")
    );
    assert!(loaded >= 5, "only {loaded} manifest examples found");
    eprintln!("{loaded} manifest examples loaded, {others} other YAML blocks skipped");
}
