//! `webhook_auth_methods:` into the model: OAuth2 client-credentials auth methods, each
//! named in Datadog by its manifest name, whose client secret must come from the
//! environment (a secret written in a manifest is a secret in git).

use super::origin::DeclaredKind;
use super::raw::{RawAuthMethod, Str};
use super::reporter::Reporter;
use crate::model::{AuthMethod, Secret};
use std::collections::{BTreeMap, HashMap};

/// Longest name accepted: far above any real one, and short enough for an address.
const MAX_NAME_CHARS: usize = 255;

/// Lowers every auth method, reporting each problem at its line.
pub(crate) fn lower(r: &mut Reporter<'_>, raw: &[RawAuthMethod]) -> BTreeMap<String, AuthMethod> {
    let mut out = BTreeMap::new();
    let mut seen = HashMap::new();
    for method in raw {
        let name = &method.name;
        if name.value.trim().is_empty()
            || name.value.chars().count() > MAX_NAME_CHARS
            || name.value.chars().any(char::is_control)
        {
            r.error(
                name.loc,
                format!(
                    "webhook auth method name `{}` is empty, too long or holds a control character",
                    name.raw
                ),
                Some(format!(
                    "use a short printable name (at most {MAX_NAME_CHARS} characters)"
                )),
            );
            continue;
        }
        if !r.define(&mut seen, DeclaredKind::AuthMethod, name) {
            continue;
        }
        let what = format!("webhook auth method `{}`", name.raw);
        let required =
            |r: &mut Reporter<'_>, field: &Option<Str>, key: &str, hint: &str| match field {
                Some(s) if !s.value.trim().is_empty() => Some(s.value.clone()),
                Some(s) => {
                    r.error(
                        s.loc,
                        format!("`{key}` of {what} is empty"),
                        Some(hint.into()),
                    );
                    None
                }
                None if method.broken => None,
                None => {
                    r.error(
                        name.loc,
                        format!("{what} has no `{key}`"),
                        Some(hint.into()),
                    );
                    None
                }
            };
        let url = required(
            r,
            &method.access_token_url,
            "access_token_url",
            "the authorization server's token endpoint, e.g. https://login.example.com/oauth2/token",
        );
        if let (Some(url), Some(at)) = (&url, &method.access_token_url) {
            check_token_url(r, url, at);
        }
        let client_id = required(r, &method.client_id, "client_id", "the OAuth2 client id");
        let secret = client_secret(r, method, &what);
        let optional = |s: &Option<Str>| {
            s.as_ref()
                .map(|s| s.value.clone())
                .filter(|v| !v.is_empty())
        };
        if let (Some(access_token_url), Some(client_id), Some(client_secret)) =
            (url, client_id, secret)
        {
            out.insert(
                name.value.clone(),
                AuthMethod {
                    access_token_url,
                    client_id,
                    client_secret,
                    audience: optional(&method.audience),
                    scope: optional(&method.scope),
                },
            );
        }
    }
    out
}

/// The token endpoint must be an https URL with a host: the client secret is sent to it.
fn check_token_url(r: &mut Reporter<'_>, url: &str, at: &Str) {
    if at.unresolved {
        return;
    }
    let host = url
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !url.chars().any(char::is_whitespace) => {}
        _ => r.error(
            at.loc,
            format!(
                "`access_token_url` `{}` is not an https URL with a host",
                at.raw
            ),
            Some("the client secret is sent to it: use https://HOST/PATH".into()),
        ),
    }
}

/// The client secret, which must be written as a `${env:NAME}` reference.
fn client_secret(r: &mut Reporter<'_>, method: &RawAuthMethod, what: &str) -> Option<Secret> {
    let hint = "write `client_secret: ${env:NAME}` and set NAME in the environment of plan and apply (a CI secret)";
    let Some(secret) = &method.client_secret else {
        if !method.broken {
            r.error(
                method.name.loc,
                format!("{what} has no `client_secret`"),
                Some(hint.into()),
            );
        }
        return None;
    };
    if !secret.raw.contains("${env:") {
        r.error(
            secret.loc,
            format!("`client_secret` of {what} is written in the manifest: a secret in a manifest is a secret in git"),
            Some(hint.into()),
        );
        return None;
    }
    if secret.unresolved || secret.value.is_empty() {
        // A missing variable was reported where it was read; an empty one is its own error.
        if !secret.unresolved {
            r.error(
                secret.loc,
                format!("`client_secret` of {what} is empty"),
                Some("set the environment variable it reads to the client secret".into()),
            );
        }
        return None;
    }
    Some(Secret::new(secret.value.clone()))
}
