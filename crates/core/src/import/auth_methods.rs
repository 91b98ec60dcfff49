//! Webhook auth methods (OAuth2 client credentials) into `webhook_auth_methods:` entries.
//!
//! Datadog never returns a client secret, so each entry reads it from the environment
//! (`${env:NAME}`, listed with the other variables to set); the first apply writes it once,
//! as for a secret custom variable. An entry is written only when it lowers to exactly the
//! auth method Datadog holds, so the plan adopts it; an auth method whose name another one
//! has is a finding (adoption goes by name when exactly one has it).

use super::emit::{yaml_key, yaml_string};
use super::entries::{not_imported, Section};
use super::scrub::{scrub_text, EnvAlloc};
use super::{Finding, ImportOptions};
use crate::manifest::{self, Source};
use crate::model::RemoteAuthMethod;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The auth methods' entries under `webhook_auth_methods`; the others are findings.
pub(crate) fn emit(
    methods: &BTreeMap<String, RemoteAuthMethod>,
    env: &mut EnvAlloc,
    options: &ImportOptions,
    findings: &mut Vec<Finding>,
) -> Section {
    let mut out = Section::new("webhook_auth_methods");
    let mut by_name: BTreeMap<&str, Vec<&RemoteAuthMethod>> = BTreeMap::new();
    for m in methods.values() {
        by_name.entry(m.name.as_str()).or_default().push(m);
    }
    for (name, same) in by_name {
        let [m] = same.as_slice() else {
            let ids: Vec<&str> = same.iter().map(|m| m.id.as_str()).collect();
            findings.push(not_imported(
                &format!("webhook auth method {name}"),
                format!(
                    "{} auth methods are named `{name}` ({}), and one is adopted by its name only when exactly one has it",
                    ids.len(),
                    ids.join(", ")
                ),
                "rename or delete the others in Datadog, then import again",
            ));
            continue;
        };
        let subject = format!("webhook auth method {name} ({})", m.id);
        let mut scratch = EnvAlloc::default();
        let entry = entry(m, &mut scratch);
        if !lowers_to(&entry, m, &scratch, options) {
            findings.push(not_imported(
                &subject,
                "its name or fields cannot be written as a `webhook_auth_methods:` entry (an empty field, or a token URL that is not https)".into(),
                "fix it in Datadog, then import again",
            ));
            continue;
        }
        // The same entry, with its environment variables taken for good.
        let entry = self::entry(m, env);
        out.push(
            &format!(
                "imported from webhook auth method {} (its client secret is never returned: the first apply writes it once)",
                m.id
            ),
            &entry,
        );
    }
    out
}

/// The entry of `m`; the client secret (and any credential in the token URL) becomes an
/// environment variable taken from `env`.
fn entry(m: &RemoteAuthMethod, env: &mut EnvAlloc) -> String {
    let var = format!("{}_CLIENT_SECRET", env_stem(&m.name));
    let secret = env.unknown(
        &var,
        format!("the client secret of webhook auth method {}", m.name),
    );
    let url = scrub_text(&m.access_token_url, &m.name, "access_token_url", env);
    let mut out = String::new();
    let _ = writeln!(out, "  {}:", yaml_key(&m.name));
    let _ = writeln!(out, "    access_token_url: {}", yaml_string(&url));
    let _ = writeln!(out, "    client_id: {}", yaml_string(&m.client_id));
    let _ = writeln!(out, "    client_secret: {}", yaml_string(&secret));
    if let Some(audience) = &m.audience {
        let _ = writeln!(out, "    audience: {}", yaml_string(audience));
    }
    if let Some(scope) = &m.scope {
        let _ = writeln!(out, "    scope: {}", yaml_string(scope));
    }
    out
}

/// Whether `entry` loads (with the values `env` holds, and a stand-in for the secret) into
/// exactly what Datadog holds.
fn lowers_to(entry: &str, m: &RemoteAuthMethod, env: &EnvAlloc, options: &ImportOptions) -> bool {
    let load = env.load_options(options);
    let source = Source {
        path: PathBuf::from("entry.yaml"),
        text: format!("webhook_auth_methods:\n{entry}"),
    };
    let Ok(loaded) = manifest::load_sources(&[source], &load) else {
        return false;
    };
    loaded.desired.auth_methods.get(&m.name).is_some_and(|a| {
        a.access_token_url == m.access_token_url
            && a.client_id == m.client_id
            && a.audience == m.audience
            && a.scope == m.scope
    })
}

/// An environment variable's stem from a name: upper case, `_` for anything else.
fn env_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_matches('_').to_string();
    if stem.is_empty() || stem.starts_with(|c: char| c.is_ascii_digit()) {
        format!("AUTH_{stem}")
    } else {
        stem
    }
}
