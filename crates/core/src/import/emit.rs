//! Writing the manifest's YAML text: scalars, keys and flow values quoted so the loader
//! reads back exactly what was found, comment lines, and the entries of the plain kinds
//! (custom variables, webhooks). Kept apart from what decides *what* is written (pairs,
//! hand lines, scrubbing) so that every byte of YAML syntax import produces is made here.

use super::scrub::{scrub_text, scrub_webhook, EnvAlloc};
use super::Finding;
use crate::mask::is_credential_name;
use crate::model::{RemoteVariable, RemoteWebhook};
use serde_json::Value;
use std::fmt::Write as _;

/// Words in a custom variable's name that make it a credential (as the linter sees it).
const SECRET_WORDS: &[&str] = &["KEY", "TOKEN", "PASSWORD", "SECRET"];

/// `s` as a YAML double-quoted scalar: JSON's escapes (a JSON string is a valid YAML
/// double-quoted scalar), plus `\u` escapes for what YAML does not allow unescaped.
pub fn yaml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if yaml_printable(c) => out.push(c),
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// YAML's printable characters (`c-printable`), minus the byte-order mark.
fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7e | 0x85 | 0xa0..=0xd7ff | 0xe000..=0xfefe | 0xff00..=0xfffd | 0x10000..=0x10ffff)
}

/// A mapping key: plain when it is a simple word, quoted otherwise.
pub(super) fn yaml_key(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        s.to_string()
    } else {
        yaml_string(s)
    }
}

/// A JSON value as YAML flow text (strings quoted by [`yaml_string`]).
pub(super) fn yaml_flow(value: &Value) -> String {
    enum Work<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut out = String::new();
    let mut todo = vec![Work::Value(value)];
    while let Some(w) = todo.pop() {
        match w {
            Work::Text(t) => out.push_str(t),
            Work::Key(k) => {
                out.push_str(&yaml_string(k));
                out.push_str(": ");
            }
            Work::Value(Value::String(s)) => out.push_str(&yaml_string(s)),
            Work::Value(Value::Null) => out.push_str("null"),
            Work::Value(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Work::Value(Value::Number(n)) => out.push_str(&n.to_string()),
            Work::Value(Value::Array(items)) => {
                todo.push(Work::Text("]"));
                for (i, item) in items.iter().enumerate().rev() {
                    todo.push(Work::Value(item));
                    if i > 0 {
                        todo.push(Work::Text(", "));
                    }
                }
                todo.push(Work::Text("["));
            }
            Work::Value(Value::Object(map)) => {
                todo.push(Work::Text("}"));
                let entries: Vec<_> = map.iter().collect();
                for (i, (k, v)) in entries.into_iter().enumerate().rev() {
                    todo.push(Work::Value(v));
                    todo.push(Work::Key(k));
                    if i > 0 {
                        todo.push(Work::Text(", "));
                    }
                }
                todo.push(Work::Text("{"));
            }
        }
    }
    out
}

/// A comment line's text: one line, no control characters.
pub(super) fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(super) fn write_variable(out: &mut String, var: &RemoteVariable, env: &mut EnvAlloc) {
    let name = &var.name;
    let credential_name = name
        .split('_')
        .any(|part| SECRET_WORDS.iter().any(|w| part.contains(w)))
        || is_credential_name(name);
    if var.secret {
        let value = env.unknown(name, format!("the value of secret custom variable {name}"));
        let _ = writeln!(
            out,
            "  # imported from custom variable {name} (secret: Datadog never returns its value, so the first apply writes it once)"
        );
        let _ = writeln!(
            out,
            "  {name}:\n    value: {}\n    secret: true",
            yaml_string(&value)
        );
        return;
    }
    let value = var.value.clone().unwrap_or_default();
    let mut probe = EnvAlloc::default();
    let scrubbed = scrub_text(&value, name, "value", &mut probe);
    let written = if credential_name || scrubbed != value {
        env.credential(name, &value, format!("the value of custom variable {name}"))
    } else {
        value
    };
    let _ = writeln!(out, "  # imported from custom variable {name}");
    let _ = writeln!(
        out,
        "  {name}:\n    value: {}\n    secret: false",
        yaml_string(&written)
    );
}

/// A plain `webhooks` entry for `w`, its credentials scrubbed.
pub(super) fn write_webhook(
    out: &mut String,
    name: &str,
    w: &RemoteWebhook,
    env: &mut EnvAlloc,
    findings: &mut Vec<Finding>,
) {
    let s = scrub_webhook(w, env, findings);
    let _ = writeln!(out, "  # imported from webhook {}", comment(name));
    let _ = writeln!(out, "  {}:", yaml_key(name));
    let _ = writeln!(out, "    url: {}", yaml_string(&s.url));
    if let Some(headers) = s.headers.as_ref().filter(|h| !h.is_empty()) {
        let _ = writeln!(out, "    custom_headers:");
        for (k, v) in headers {
            let _ = writeln!(out, "      {}: {}", yaml_string(k), yaml_string(v));
        }
    }
    if let Some(p) = &s.payload {
        let _ = writeln!(out, "    payload: {}", yaml_flow(p));
    }
    let _ = writeln!(out, "    encode_as: {}", w.encode_as.as_str());
}
