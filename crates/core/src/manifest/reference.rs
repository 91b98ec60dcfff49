//! The manifest format's reference in Markdown, generated from the schema the format types
//! give ([`super::schema::schema`]): each mapping, its keys, their types, whether they are
//! required, their defaults and descriptions. `docs/manifests.md` holds it between
//! [`START`] and [`END`]; a test fails when it differs from what the types give and says how
//! to write it again.

use super::schema::{resolve, schema};
use serde_json::Value;
use std::fmt::Write as _;

/// The line after which `docs/manifests.md` holds the generated reference.
pub const START: &str = "<!-- reference:start -->";
/// The line before which the generated reference ends.
pub const END: &str = "<!-- reference:end -->";

/// One mapping of the format: where it sits in a file (`webhook_pairs.NAME.statuses`) and
/// its schema.
struct Mapping<'s> {
    path: String,
    schema: &'s Value,
}

/// The reference: a heading, a description and a table of keys per mapping, the file's own
/// keys first, then each mapping after the one that holds it.
pub fn reference() -> String {
    let root = schema();
    let mut out = String::new();
    let mut todo = vec![Mapping {
        path: String::new(),
        schema: &root,
    }];
    while let Some(mapping) = todo.pop() {
        let inner = write_mapping(&mut out, &root, &mapping);
        todo.extend(inner.into_iter().rev());
    }
    out
}

/// `mapping`'s heading, description and table; returns the mappings its keys hold.
fn write_mapping<'s>(out: &mut String, root: &'s Value, mapping: &Mapping<'s>) -> Vec<Mapping<'s>> {
    let heading = if mapping.path.is_empty() {
        "A manifest file".to_string()
    } else {
        format!("`{}`", mapping.path)
    };
    let _ = writeln!(out, "### {heading}\n");
    if let Some(description) = mapping.schema["description"].as_str() {
        let _ = writeln!(out, "{description}\n");
    }
    let required: Vec<&str> = mapping.schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    out.push_str("| key | type | required | default | description |\n");
    out.push_str("|---|---|---|---|---|\n");
    let mut inner = Vec::new();
    for (key, property) in mapping.schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let path = if mapping.path.is_empty() {
            key.clone()
        } else {
            format!("{}.{key}", mapping.path)
        };
        let kind = kind(root, property, &path, &mut inner);
        let default = match property.get("default") {
            Some(value) => format!("`{value}`"),
            None => String::new(),
        };
        let description = property["description"].as_str().unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{key}` | {} | {} | {} | {} |",
            cell(&kind),
            if required.contains(&key.as_str()) {
                "yes"
            } else {
                "no"
            },
            cell(&default),
            cell(description)
        );
    }
    out.push('\n');
    inner
}

/// A value's type in words; a mapping it holds is named by its path and added to `inner`.
fn kind<'s>(root: &'s Value, value: &'s Value, path: &str, inner: &mut Vec<Mapping<'s>>) -> String {
    let value = resolve(root, value);
    if let Some(constant) = value.get("const") {
        return format!("`{constant}`");
    }
    if let Some(choices) = value["enum"].as_array() {
        let names: Vec<String> = choices.iter().map(|c| format!("`{}`", text(c))).collect();
        return format!("one of {}", names.join(", "));
    }
    let types: Vec<&str> = match &value["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    };
    let mut words = match types.as_slice() {
        [] => match value["anyOf"].as_array() {
            Some(branches) => {
                let kinds: Vec<String> = branches
                    .iter()
                    .map(|b| kind(root, b, path, inner))
                    .collect();
                return kinds.join(", or ");
            }
            None => "any value".to_string(),
        },
        ["array"] => {
            let items = kind(root, &value["items"], path, inner);
            format!("list of {}", plural(&items))
        }
        ["object"] if value.get("properties").is_some() => {
            inner.push(Mapping {
                path: path.to_string(),
                schema: value,
            });
            format!("mapping `{path}`")
        }
        ["object"] => {
            let names = match value
                .pointer("/propertyNames/pattern")
                .and_then(Value::as_str)
            {
                Some(pattern) => format!("names matching `{pattern}`"),
                None => "names".to_string(),
            };
            let entry_path = format!("{path}.NAME");
            let entry = kind(root, &value["additionalProperties"], &entry_path, inner);
            format!("map of {names} to {entry}")
        }
        [one] => one.to_string(),
        _ => types.join(" or "),
    };
    if let Some(pattern) = value["pattern"].as_str() {
        words = format!("{words} matching `{pattern}`");
    }
    let limits = limits(value);
    if !limits.is_empty() {
        words = format!("{words} ({})", limits.join(", "));
    }
    words
}

/// The bounds a value states: lengths, counts, ranges, uniqueness.
fn limits(value: &Value) -> Vec<String> {
    let mut limits = Vec::new();
    for (low, high, unit) in [
        ("minLength", "maxLength", " characters"),
        ("minItems", "maxItems", " items"),
        ("minProperties", "maxProperties", " keys"),
        ("minimum", "maximum", ""),
    ] {
        match (value.get(low), value.get(high)) {
            (Some(l), Some(h)) => limits.push(format!("{l}–{h}{unit}")),
            (Some(l), None) if l == 1 && !unit.is_empty() => limits.push("not empty".into()),
            (Some(l), None) => limits.push(format!("at least {l}{unit}")),
            (None, Some(h)) => limits.push(format!("at most {h}{unit}")),
            (None, None) => {}
        }
    }
    if value["uniqueItems"] == true {
        limits.push("each once".to_string());
    }
    limits
}

/// A kind as the items of a list: `strings matching …` for `string matching …`.
fn plural(kind: &str) -> String {
    for noun in ["string", "integer", "boolean"] {
        if let Some(rest) = kind.strip_prefix(noun) {
            return format!("{noun}s{rest}");
        }
    }
    kind.to_string()
}

/// A JSON string's text, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Text fit for one table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace("\n\n", " ")
        .replace('\n', " ")
        .replace('|', "\\|")
}

/// `doc` with the text between its [`START`] and [`END`] lines replaced by `reference`;
/// `None` when it lacks them.
pub fn with_reference(doc: &str, reference: &str) -> Option<String> {
    let start = doc.find(START)? + START.len();
    let end = start + doc[start..].find(END)?;
    Some(format!("{}\n\n{reference}{}", &doc[..start], &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// `docs/manifests.md`'s reference is what the format types give; `DDHOOKS_BLESS=1`
    /// writes it again.
    #[test]
    fn the_manifests_reference_is_the_format_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/manifests.md");
        let Ok(doc) = std::fs::read_to_string(&path) else {
            panic!("cannot read {}", path.display());
        };
        let Some(expected) = with_reference(&doc, &reference()) else {
            panic!("docs/manifests.md has no `{START}` … `{END}` lines");
        };
        if doc == expected {
            return;
        }
        if std::env::var("DDHOOKS_BLESS").is_ok_and(|v| v == "1") {
            if let Err(err) = std::fs::write(&path, expected) {
                panic!("cannot write {}: {err}", path.display());
            }
            return;
        }
        panic!(
            "docs/manifests.md's reference is not what the format types \
             (crates/core/src/manifest/format.rs) give: run \
             `DDHOOKS_BLESS=1 cargo test -p ddhooks-core --lib reference` to write it again"
        );
    }

    /// Every mapping of the format has its section, named by where it sits in a file.
    #[test]
    fn every_mapping_has_a_section() {
        let text = reference();
        for heading in [
            "### A manifest file",
            "### `custom_variables.NAME`",
            "### `webhook_pairs.NAME.statuses`",
            "### `monitor_notifications.NAME.monitors`",
            "### `routing_tests.NAME.given`",
        ] {
            assert!(text.contains(&format!("{heading}\n")), "{heading}");
        }
        assert!(text.contains("| `check` | string | yes |"), "{text}");
    }

    #[test]
    fn the_reference_replaces_only_what_is_between_the_markers() {
        let doc = format!("a\n{START}\nold\n{END}\nb\n");
        assert_eq!(
            with_reference(&doc, "new\n").as_deref(),
            Some(format!("a\n{START}\n\nnew\n{END}\nb\n").as_str())
        );
        assert_eq!(with_reference("a\n", "new\n"), None);
    }
}
