//! `${env:NAME}` references: resolved from a lookup the caller provides (the command passes
//! the process environment; tests pass a map), never printed.

use super::Severity;

/// What to do about a `${env:NAME}` whose variable is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingEnv {
    /// An error: plan and apply need the value.
    #[default]
    Error,
    /// A warning, and the reference reads as empty: `validate` checks manifests where the
    /// secrets are not available (pull requests from forks, laptops).
    Warn,
}

/// `text` with every `${env:NAME}` replaced by the variable's value, and whether some
/// reference stayed unresolved. Problems go to `report(severity, message, hint)`; messages
/// name variables, never their values.
pub(crate) fn resolve(
    text: &str,
    lookup: &super::EnvSource<'_>,
    mut report: impl FnMut(Severity, String, Option<String>),
) -> (String, bool) {
    const OPEN: &str = "${env:";
    if !text.contains(OPEN) {
        return (text.to_string(), false);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut unresolved = false;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find('}') else {
            report(
                Severity::Error,
                "`${env:` is not closed by `}`".into(),
                Some("write `${env:NAME}`".into()),
            );
            return (out, true);
        };
        let name = &after[..end];
        if !valid_name(name) {
            report(
                Severity::Error,
                format!("`${{env:{name}}}` is not a valid environment variable reference"),
                Some("names are letters, digits and `_`, not starting with a digit".into()),
            );
            unresolved = true;
        } else {
            match (lookup.get)(name) {
                Some(value) => out.push_str(&value),
                None => {
                    unresolved = true;
                    let severity = match lookup.missing {
                        MissingEnv::Error => Severity::Error,
                        MissingEnv::Warn => Severity::Warning,
                    };
                    report(
                        severity,
                        format!("environment variable `{name}` is not set"),
                        Some(format!("set it before running ddhooks: export {name}=…")),
                    );
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    (out, unresolved)
}

/// `text` without its `${env:…}` references, for lints that look at literals only.
pub(crate) fn strip_refs(text: &str) -> std::borrow::Cow<'_, str> {
    const OPEN: &str = "${env:";
    if !text.contains(OPEN) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        out.push(' ');
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
