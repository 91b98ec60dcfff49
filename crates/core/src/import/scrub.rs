//! Keeping secrets out of the imported text: every credential found in what Datadog returns
//! (url passwords and credential query parameters, credential headers, `Bearer`/`Basic`
//! tokens, credential keys of payloads, by [`crate::mask`]'s rules) is replaced by
//! `${env:NAME}`, and [`EnvAlloc`] hands out one environment variable per distinct value.
//! Every other byte is kept, so what is read back is what exists.

use super::{EnvVar, Finding, FindingKind, ImportOptions};
use crate::manifest::lint::datadog_site_of;
use crate::manifest::{LoadOptions, MissingEnv};
use crate::mask::{
    is_credential_name, is_variable_reference, map_json_leaves, map_url_credentials, UrlCredential,
    AUTH_SCHEMES,
};
use crate::model::{default_webhook_payload, RemoteWebhook, Secret};
use serde_json::Value;
use std::collections::BTreeMap;

/// `NAME_LIKE_THIS` from any text: upper case, `_` between words, never starting with a
/// digit.
fn env_name(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_uppercase());
            } else if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        }
        if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    match out.chars().next() {
        None => "IMPORTED_SECRET".into(),
        Some(c) if c.is_ascii_digit() => format!("X_{out}"),
        Some(_) => out,
    }
}

/// The environment variables being allocated: one name per distinct credential.
#[derive(Default)]
pub(super) struct EnvAlloc {
    pub(super) vars: BTreeMap<String, EnvVar>,
}

impl EnvAlloc {
    /// `${env:NAME}` for `value`, reusing a name already holding the same value.
    pub(super) fn credential(&mut self, wanted: &str, value: &str, purpose: String) -> String {
        if let Some((name, var)) = self
            .vars
            .iter_mut()
            .find(|(_, v)| v.value.as_ref().is_some_and(|s| s.expose() == value))
        {
            if !var.purpose.contains(&purpose) {
                var.purpose.push_str("; ");
                var.purpose.push_str(&purpose);
            }
            return format!("${{env:{name}}}");
        }
        let name = self.free_name(wanted);
        self.vars.insert(
            name.clone(),
            EnvVar {
                value: Some(Secret::new(value)),
                purpose,
            },
        );
        format!("${{env:{name}}}")
    }

    /// How the imported text is loaded back: the site of `options`, a missing variable an
    /// error, and each variable's value found (a stand-in for one Datadog never returns).
    pub(super) fn load_options(&self, options: &ImportOptions) -> LoadOptions {
        let values: BTreeMap<String, String> = self
            .vars
            .iter()
            .map(|(k, v)| {
                let value = v.value.as_ref().map_or("unknown", |s| s.expose());
                (k.clone(), value.to_string())
            })
            .collect();
        LoadOptions {
            site: options.site.clone(),
            missing_env: MissingEnv::Error,
            ..LoadOptions::default()
        }
        .with_env_map(values)
    }

    /// `${env:NAME}` for a value that cannot be read (a secret variable).
    pub(super) fn unknown(&mut self, wanted: &str, purpose: String) -> String {
        let name = self.free_name(wanted);
        self.vars.insert(
            name.clone(),
            EnvVar {
                value: None,
                purpose,
            },
        );
        format!("${{env:{name}}}")
    }

    fn free_name(&self, wanted: &str) -> String {
        let base = env_name(&[wanted]);
        if !self.vars.contains_key(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|n| !self.vars.contains_key(n))
            .unwrap_or(base)
    }
}

/// Whether a credential value must be replaced (as [`crate::mask`] would mask it).
fn is_literal_credential(value: &str) -> bool {
    let env_ref =
        value.starts_with("${env:") && value.ends_with('}') && value.matches('}').count() == 1;
    !value.is_empty() && !is_variable_reference(value) && !env_ref
}

/// Replaces the credentials of a url (userinfo password, credential query parameters) by
/// `${env:…}`; every other byte is kept.
pub(super) fn scrub_url(url: &str, owner: &str, env: &mut EnvAlloc) -> String {
    let datadog = datadog_site_of(url).is_some();
    map_url_credentials(url, |place, value| {
        if !is_literal_credential(value) {
            return None;
        }
        Some(match place {
            UrlCredential::Password => env.credential(
                &format!("{owner}_PASSWORD"),
                value,
                format!("the password in the url of {owner}"),
            ),
            UrlCredential::Query(name) => {
                let lower = name.to_ascii_lowercase();
                let compact: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
                let wanted = match compact.as_str() {
                    "apikey" | "ddapikey" if datadog => "DD_API_KEY".to_string(),
                    "appkey" | "applicationkey" | "ddapplicationkey" if datadog => {
                        "DD_APP_KEY".to_string()
                    }
                    _ => env_name(&[owner, &lower]),
                };
                env.credential(&wanted, value, format!("`{lower}` in the url of {owner}"))
            }
        })
    })
    .into_owned()
}

/// Free text (a header value, a payload string): urls' credentials and the token after
/// `Bearer`/`Basic` replaced by `${env:…}`, every other byte kept.
pub(super) fn scrub_text(text: &str, owner: &str, what: &str, env: &mut EnvAlloc) -> String {
    let lower = text.to_ascii_lowercase();
    if !text.contains("://")
        && !text.contains('=')
        && !lower.contains("bearer ")
        && !lower.contains("basic ")
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut words = text.split_inclusive(char::is_whitespace);
    while let Some(word) = words.next() {
        let trimmed = word.trim_end();
        let space = &word[trimmed.len()..];
        if trimmed.contains("://") || (trimmed.contains('=') && trimmed.contains('?')) {
            out.push_str(&scrub_url(trimmed, owner, env));
        } else {
            out.push_str(trimmed);
        }
        out.push_str(space);
        if AUTH_SCHEMES[..2].contains(&trimmed.to_ascii_lowercase().as_str()) {
            if let Some(next) = words.next() {
                let token = next.trim_end();
                if is_literal_credential(token) {
                    out.push_str(&env.credential(
                        &env_name(&[owner, what]),
                        token,
                        format!("the token in {what} of {owner}"),
                    ));
                } else {
                    out.push_str(token);
                }
                out.push_str(&next[token.len()..]);
            }
        }
    }
    out
}

/// A header value with its credential replaced: the whole value of a credential-named
/// header (after an auth scheme word), urls and bearer tokens of any other.
pub(super) fn scrub_header(name: &str, value: &str, owner: &str, env: &mut EnvAlloc) -> String {
    if !is_credential_name(name) {
        return scrub_text(value, owner, name, env);
    }
    if !is_literal_credential(value) {
        return value.to_string();
    }
    let wanted = if name.eq_ignore_ascii_case("dd-api-key") {
        "DD_API_KEY".to_string()
    } else if name.eq_ignore_ascii_case("dd-application-key") {
        "DD_APP_KEY".to_string()
    } else {
        env_name(&[owner, name])
    };
    let purpose = format!("header `{name}` of {owner}");
    let trimmed = value.trim_start();
    let lead = &value[..value.len() - trimmed.len()];
    if let Some((scheme, token)) = trimmed.split_once(' ') {
        if AUTH_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            let token_trimmed = token.trim();
            if is_literal_credential(token_trimmed) {
                let start = token.len() - token.trim_start().len();
                let end = start + token_trimmed.len();
                return format!(
                    "{lead}{scheme} {}{}{}",
                    &token[..start],
                    env.credential(&wanted, token_trimmed, purpose),
                    &token[end..]
                );
            }
            return value.to_string();
        }
    }
    env.credential(&wanted, value, purpose)
}

/// A payload with credentials replaced: every string under a credential key (at any depth),
/// urls and bearer tokens in other strings. Numbers under credential keys become
/// `${env:…}` strings (reported: the payload's type changes).
pub(super) fn scrub_payload(
    value: &Value,
    owner: &str,
    env: &mut EnvAlloc,
    findings: &mut Vec<Finding>,
) -> Value {
    map_json_leaves(value, |leaf, credential_key| match (leaf, credential_key) {
        (Value::String(s), Some(key)) if is_literal_credential(s) => Value::String(env.credential(
            &env_name(&[owner, key]),
            s,
            format!("`{key}` in the payload of {owner}"),
        )),
        (Value::String(s), _) => Value::String(scrub_text(s, owner, "payload", env)),
        (Value::Number(n), Some(key)) => {
            findings.push(Finding {
                kind: FindingKind::Note,
                subject: format!("webhook {owner}"),
                message: format!("the number under `{key}` in the payload is a credential; it is written as a string read from the environment, so the plan shows the payload as changed"),
                fix: Some("keep credentials in a secret custom variable and send `$NAME`".into()),
            });
            Value::String(env.credential(
                &env_name(&[owner, key]),
                &n.to_string(),
                format!("`{key}` in the payload of {owner}"),
            ))
        }
        (other, _) => other.clone(),
    })
}

/// A webhook with its credentials replaced by `${env:…}`.
pub(super) struct Scrubbed {
    pub(super) url: String,
    pub(super) headers: Option<BTreeMap<String, String>>,
    pub(super) payload: Option<Value>,
}

pub(super) fn scrub_webhook(
    w: &RemoteWebhook,
    env: &mut EnvAlloc,
    findings: &mut Vec<Finding>,
) -> Scrubbed {
    let url = scrub_url(&w.url, &w.name, env);
    let headers = w.custom_headers.as_ref().map(|h| {
        h.iter()
            .map(|(k, v)| (k.clone(), scrub_header(k, v, &w.name, env)))
            .collect()
    });
    let payload = match &w.payload {
        Some(p) if *p == default_webhook_payload() => None,
        Some(p) => Some(scrub_payload(p, &w.name, env, findings)),
        None => None,
    };
    Scrubbed {
        url,
        headers,
        payload,
    }
}
