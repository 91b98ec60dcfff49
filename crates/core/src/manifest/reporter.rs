//! Where problems are reported: [`Reporter`] turns a problem at a [`Loc`] into a located
//! diagnostic and records where each name and handle was declared, and the position helpers
//! place an offset inside a string's content in its file. Shared by the lowering, its kinds
//! (`board`, `rule`, `auth_method`, `routing_test`) and the lints, so they depend on this
//! module rather than on `lower`.

use super::raw::{Loc, Str};
use super::yaml::{Pos, Style};
use super::{DeclaredKind, Diagnostic, Diagnostics, Origins, Severity, SourcePos};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;

pub(super) static WEBHOOK_NAME: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"^[A-Za-z0-9_-]+$").ok());
pub(super) static ANGLE_SECTION: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"<<([#^/])([^<>\n]*?)>>").ok());

pub(super) fn matches(re: &LazyLock<Option<regex::Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(text))
}

/// Reports problems with positions; shared by the lowering and the lints.
pub(crate) struct Reporter<'a> {
    pub paths: &'a [PathBuf],
    pub diags: &'a mut Diagnostics,
    /// Where each name was first defined (filled by [`Reporter::define`]).
    pub origins: Origins,
    /// The block being lowered: the handles checked meanwhile are its.
    pub block: Option<String>,
}

impl Reporter<'_> {
    pub(crate) fn at(&self, loc: Loc) -> String {
        let file = self
            .paths
            .get(loc.file)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!("{file}:{}:{}", loc.pos.line, loc.pos.col)
    }

    pub(crate) fn report(
        &mut self,
        severity: Severity,
        loc: Loc,
        message: String,
        hint: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            file: self.paths.get(loc.file).cloned().unwrap_or_default(),
            line: loc.pos.line,
            column: loc.pos.col,
            severity,
            message,
            hint,
        });
    }

    pub(crate) fn error(&mut self, loc: Loc, message: String, hint: Option<String>) {
        self.report(Severity::Error, loc, message, hint);
    }

    pub(crate) fn warn(&mut self, loc: Loc, message: String, hint: Option<String>) {
        self.report(Severity::Warning, loc, message, hint);
    }

    /// Reports the `what` called `name` as having no `key`, with `hint`, unless a problem
    /// inside it was reported already (`broken`).
    pub(crate) fn missing(
        &mut self,
        broken: bool,
        (what, name): (&str, &Str),
        key: &str,
        hint: Option<String>,
    ) {
        if !broken {
            let message = format!("{what} `{}` has no `{key}`", name.raw);
            self.error(name.loc, message, hint);
        }
    }

    /// Reports at `here` that `key` is in `seen` already (the names declared so far, each
    /// where it was first): the error says `message` of where that was, as [`Reporter::at`]
    /// words it, with `hint`. Returns whether it was: the one check behind the errors of a
    /// name declared twice.
    pub(crate) fn clash(
        &mut self,
        seen: &HashMap<String, Loc>,
        key: &str,
        here: Loc,
        message: impl FnOnce(String) -> String,
        hint: &str,
    ) -> bool {
        let Some(&first) = seen.get(key) else {
            return false;
        };
        let first = self.at(first);
        self.error(here, message(first), Some(hint.into()));
        true
    }

    /// Records a definition; reports it when the name was defined before. Returns whether it
    /// is the first definition.
    pub(crate) fn define(
        &mut self,
        seen: &mut HashMap<String, Loc>,
        kind: DeclaredKind,
        name: &Str,
    ) -> bool {
        let noun = kind.noun();
        let twice = self.clash(
            seen,
            &name.value,
            name.loc,
            |first| {
                format!(
                    "{noun} `{}` is defined twice: here and at {first}",
                    name.raw
                )
            },
            "names are unique across all manifest files; rename or remove one",
        );
        if twice {
            return false;
        }
        seen.insert(name.value.clone(), name.loc);
        self.record(kind, &name.value, name.loc);
        true
    }

    /// Records a handle the block being lowered writes, for the handle check.
    pub(crate) fn record_handle(&mut self, loc: Loc, handle: &str) {
        if let (Some(file), Some(block)) = (self.paths.get(loc.file), &self.block) {
            let at = SourcePos::new(file, loc.pos.line, loc.pos.col);
            self.origins.insert_handle(handle, block, at);
        }
    }

    /// Records where `name` of `kind` was declared, for [`Origins`].
    pub(crate) fn record(&mut self, kind: DeclaredKind, name: &str, loc: Loc) {
        if let Some(file) = self.paths.get(loc.file) {
            let pos = SourcePos::new(file, loc.pos.line, loc.pos.col);
            self.origins.insert(kind, name, pos);
        }
    }

    /// Reports a name that is not `^[A-Za-z0-9_-]+$` (what `@webhook-NAME` handles allow).
    pub(crate) fn check_webhook_name(&mut self, kind: &str, name: &Str) {
        if !matches(&WEBHOOK_NAME, &name.value) {
            let fixed: String = name
                .value
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            self.error(
                name.loc,
                format!(
                    "invalid {kind} name `{}`: only letters, digits, `-` and `_` are allowed",
                    name.raw
                ),
                Some(format!(
                    "handles such as @webhook-NAME end at spaces and parentheses; try `{fixed}`"
                )),
            );
        }
    }
}

/// Text position of `offset` (bytes) in `text`: 1-based line and character column.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Where line/column `(line, col)` of a string's content is in the file (exact for block
/// scalars and single-line strings, the string's start otherwise).
pub(crate) fn pos_in(s: &Str, line: usize, col: usize) -> Loc {
    let base = s.loc.pos;
    let pos = match s.style {
        Style::Literal => Pos {
            line: base.line + line.saturating_sub(1),
            col: base.col + col.saturating_sub(1),
        },
        Style::Plain if line == 1 && !s.raw.contains('\n') => Pos {
            line: base.line,
            col: base.col + col.saturating_sub(1),
        },
        Style::Quoted if line == 1 && !s.raw.contains('\n') && !s.raw.contains('\\') => Pos {
            line: base.line,
            col: base.col + col,
        },
        _ => base,
    };
    Loc {
        file: s.loc.file,
        pos,
    }
}

/// `<<#cond>>`, `<<^cond>>`, `<</cond>>` in Datadog's `{{…}}` spelling (same length, so
/// offsets still point into the text as written).
pub(crate) fn datadog_spelling(text: &str) -> String {
    match ANGLE_SECTION.as_ref() {
        Some(re) => re.replace_all(text, "{{$1$2}}").into_owned(),
        None => text.to_string(),
    }
}
