//! Manifests: YAML files into the validated [`crate::model::Desired`], every problem
//! reported at once with its file and line.
//!
//! The pipeline is: read files ([`load_dir`]) → parse each into a spanned YAML tree
//! (`yaml`) → decode into raw types that keep positions (`decode`) → lower into the model,
//! checking names and references across files (`lower`; blocks with `delivery: rule` become
//! notification rules in `rule`; status boards and the pairs to seed are `board`'s) → lint (`lint`). Only
//! [`load_dir`] touches the file system, and nothing here reads the process environment:
//! `${env:NAME}` goes through [`LoadOptions::env`].

mod auth_method;
mod board;
mod decode;
mod diagnostic;
mod env;
pub mod format;
pub(crate) mod lint;
pub(crate) mod lower;
mod lowering_shared;
mod origin;
mod raw;
pub mod reference;
mod reporter;
mod routing_test;
pub(crate) mod rule;
pub mod schema;
mod yaml;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use env::MissingEnv;
pub use origin::{DeclaredKind, HandleUse, Origins, SourcePos};

use crate::model::Desired;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The Datadog site used when none is configured.
pub const DEFAULT_SITE: &str = "datadoghq.com";

/// Reads one environment variable.
pub type EnvFn = dyn Fn(&str) -> Option<String> + Send + Sync;

/// What loading needs from the outside world, passed in so the core stays pure.
#[derive(Clone)]
pub struct LoadOptions {
    /// The Datadog site (`datadoghq.com`, `datadoghq.eu`, …): pairs call `https://api.<site>`,
    /// and hard-coded hosts of other sites are flagged.
    pub site: String,
    /// Where `${env:NAME}` is read from.
    pub env: Arc<EnvFn>,
    /// Whether an unset variable is an error (plan, apply) or a warning (validate).
    pub missing_env: MissingEnv,
}

impl Default for LoadOptions {
    /// Site `datadoghq.com`, an empty environment, unset variables are errors.
    fn default() -> Self {
        LoadOptions {
            site: DEFAULT_SITE.to_string(),
            env: Arc::new(|_| None),
            missing_env: MissingEnv::Error,
        }
    }
}

impl LoadOptions {
    /// Options that read `${env:NAME}` from the process environment (for the commands).
    pub fn with_process_env(mut self) -> Self {
        self.env = Arc::new(|name| std::env::var(name).ok());
        self
    }

    /// Options that read `${env:NAME}` from a fixed map (for tests and embedding).
    pub fn with_env_map(mut self, map: BTreeMap<String, String>) -> Self {
        self.env = Arc::new(move |name| map.get(name).cloned());
        self
    }
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("site", &self.site)
            .field("missing_env", &self.missing_env)
            .finish_non_exhaustive()
    }
}

/// How `${env:…}` resolves while decoding.
pub(crate) struct EnvSource<'a> {
    pub get: &'a EnvFn,
    pub missing: MissingEnv,
}

/// Valid manifests: the model, plus the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What the manifests ask for.
    pub desired: Desired,
    /// Lints (empty when all is well); `--strict` treats them as errors.
    pub warnings: Diagnostics,
    /// The files read, in load order.
    pub files: Vec<PathBuf>,
    /// Where each object was declared (for annotations that point at a line).
    pub origins: Origins,
}

/// One manifest file's text and the path it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    /// Shown in diagnostics.
    pub path: PathBuf,
    /// The YAML text.
    pub text: String,
}

/// Loads every `*.yaml`/`*.yml` file under `path` (recursively, sorted by path; hidden
/// directories skipped), or the one file `path` names. `Err` holds every problem, errors
/// and warnings, sorted.
pub fn load_dir(path: &Path, options: &LoadOptions) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut files = Vec::new();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => files.push(path.to_path_buf()),
        Ok(_) => collect_files(path, &mut files, &mut diags),
        Err(err) => diags.push(whole_file_error(path, format!("cannot read: {err}"))),
    }
    files.sort();
    let mut sources = Vec::with_capacity(files.len());
    for file in files {
        match std::fs::read(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => sources.push(Source { path: file, text }),
                Err(_) => diags.push(whole_file_error(&file, "is not valid UTF-8".into())),
            },
            Err(err) => diags.push(whole_file_error(&file, format!("cannot read: {err}"))),
        }
    }
    match load_sources(&sources, options) {
        Ok(loaded) if diags.is_empty() => Ok(loaded),
        Ok(loaded) => {
            diags.extend(loaded.warnings);
            diags.sort();
            Err(diags)
        }
        Err(more) => {
            diags.extend(more);
            diags.sort();
            Err(diags)
        }
    }
}

fn whole_file_error(path: &Path, message: String) -> Diagnostic {
    Diagnostic {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        severity: Severity::Error,
        message,
        hint: None,
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    // Iterative walk; symlinked directories are not followed (no loops).
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                diags.push(whole_file_error(&dir, format!("cannot read: {err}")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                if !name.starts_with('.') {
                    todo.push(path);
                }
            } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
                && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
            {
                files.push(path);
            }
        }
    }
}

/// Loads manifests already in memory; the pure core of [`load_dir`].
pub fn load_sources(sources: &[Source], options: &LoadOptions) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut raw = raw::Raw::default();
    let paths: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
    let env = EnvSource {
        get: options.env.as_ref(),
        missing: options.missing_env,
    };
    for (index, source) in sources.iter().enumerate() {
        let root = match yaml::parse(&source.text) {
            Ok(Some(root)) => root,
            Ok(None) => continue,
            Err(err) => {
                diags.push(Diagnostic {
                    file: source.path.clone(),
                    line: err.pos.line,
                    column: err.pos.col,
                    severity: Severity::Error,
                    message: format!("YAML syntax: {}", err.message),
                    hint: err.hint.map(str::to_string),
                });
                continue;
            }
        };
        let mut decoder = decode::Decoder {
            file: index,
            path: &paths[index],
            diags: &mut diags,
            env: &env,
            errors: 0,
        };
        lint::literal_keys(&mut decoder, &root);
        decoder.file(&root, &mut raw);
    }
    let (desired, origins) = lower::lower(&raw, &paths, options, &mut diags);
    lint::lint(&raw, &desired, &paths, options, &mut diags);
    diags.sort();
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Loaded {
        desired,
        warnings: diags,
        files: paths,
        origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: String) -> Vec<Diagnostic> {
        let source = Source {
            path: PathBuf::from("deep.yaml"),
            text,
        };
        match load_sources(&[source], &LoadOptions::default()) {
            Ok(_) => Vec::new(),
            Err(diags) => diags.into_vec(),
        }
    }

    /// Deep YAML used to be parsed under a `catch_unwind`; it is refused by construction
    /// instead (the tree is built from parser events, at most `yaml::MAX_DEPTH` deep), with
    /// the position of the opener too many and how to fix it. Runs on a test thread's small
    /// stack: nothing recurses per level.
    #[test]
    fn deep_yaml_is_a_located_error_with_a_fix() {
        let indented: String = (0..200).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        let payload = format!(
            "webhooks:\n  w:\n    url: https://example.com\n    payload: {}\n",
            "[".repeat(100_000)
        );
        // Flow collections stop at the scanner's own limit, the 256th open bracket (it looks
        // ahead for keys); block collections at the opener of level MAX_DEPTH + 1.
        let cases = [
            ("flow lists", "[".repeat(100_000), (1, 256)),
            ("flow maps", "{a: ".repeat(100_000), (1, 4 * 255 + 1)),
            ("mixed flow", "[{a: ".repeat(50_000), (1, 5 * 127 + 2)),
            ("flow lists over lines", "[\n".repeat(100_000), (256, 1)),
            (
                "block lists",
                "- ".repeat(100_000),
                (1, 2 * yaml::MAX_DEPTH + 1),
            ),
            (
                "block maps",
                indented,
                (yaml::MAX_DEPTH + 1, yaml::MAX_DEPTH + 2),
            ),
            ("a payload", payload, (4, 14 + 255)),
        ];
        for (what, text, at) in cases {
            let errors = errors(text);
            let [error] = errors.as_slice() else {
                panic!("{what}: one error expected, got {errors:?}");
            };
            assert!(
                error.message.contains("nesting deeper than"),
                "{what}: {error}"
            );
            assert_eq!((error.line, error.column), at, "{what}: {error}");
            assert!(error.hint.is_some(), "{what}: no hint in {error}");
        }
    }
}
