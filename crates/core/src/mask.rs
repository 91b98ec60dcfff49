//! The one masking function every renderer and writer uses. Whatever is read back from
//! Datadog may be a credential (a key in a URL's query, `user:password@`, a token in a
//! header, a password in a payload), and so may what manifests write. A credential is shown
//! as `(sensitive:FINGERPRINT)`: a short salted fingerprint, so a reviewer still sees that it
//! changes, and nobody can read it. A value that only references `$VARIABLES` is not a
//! secret and is shown.

use crate::template::scan_variables;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Words that name a credential when a query parameter, header or payload key contains
/// them (case-insensitive).
const CREDENTIAL_PARTS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "auth",
    "signature",
    "credential",
    "session",
    "cookie",
];

/// Names that are credentials only when they are the whole name (too short to search for).
const CREDENTIAL_NAMES: &[&str] = &["sig", "pwd", "pass", "jwt", "code", "dd-api-key"];

/// Auth schemes that may precede a `$VARIABLE` in a header value (`Bearer $TOKEN`).
pub(crate) const AUTH_SCHEMES: &[&str] =
    &["bearer", "basic", "token", "bot", "apikey", "api-key", "dd"];

/// Whether a query parameter, header or payload key names a credential.
pub fn is_credential_name(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    CREDENTIAL_NAMES.contains(&lower.as_str()) || CREDENTIAL_PARTS.iter().any(|p| lower.contains(p))
}

/// Whether `value` is only `$VARIABLE` references (and an auth scheme word): not a secret.
pub fn is_variable_reference(value: &str) -> bool {
    let refs = scan_variables(value);
    if refs.is_empty() {
        return false;
    }
    let mut rest = String::with_capacity(value.len());
    let mut at = 0;
    for r in &refs {
        rest.push_str(value.get(at..r.range.start).unwrap_or(""));
        rest.push(' ');
        at = r.range.end;
    }
    rest.push_str(value.get(at..).unwrap_or(""));
    rest.split_whitespace()
        .all(|word| AUTH_SCHEMES.contains(&word.to_ascii_lowercase().as_str()))
}

/// Masks credentials with salted fingerprints. One per plan (the registry's salt), so that
/// fingerprints are stable between a plan and its apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masker {
    salt: String,
}

impl Masker {
    /// A masker whose fingerprints are salted with `salt`.
    pub fn new(salt: impl Into<String>) -> Masker {
        Masker { salt: salt.into() }
    }

    /// The short salted fingerprint of a credential.
    pub fn fingerprint(&self, secret: &str) -> String {
        let mut h = Sha256::new();
        h.update(b"ddhooks-mask\0");
        h.update(self.salt.as_bytes());
        h.update([0u8]);
        h.update(secret.as_bytes());
        let digest = h.finalize();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(8);
        for b in &digest[..4] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }

    /// How a credential is shown.
    pub fn sensitive(&self, secret: &str) -> String {
        format!("(sensitive:{})", self.fingerprint(secret))
    }

    /// A credential value, masked unless it only references `$VARIABLES`.
    fn value<'a>(&self, value: &'a str) -> Cow<'a, str> {
        if value.is_empty() || is_variable_reference(value) {
            Cow::Borrowed(value)
        } else {
            Cow::Owned(self.sensitive(value))
        }
    }

    /// A URL with the password of `user:password@` and the values of credential query
    /// parameters masked; every other byte kept.
    pub fn url<'a>(&self, url: &'a str) -> Cow<'a, str> {
        map_url_credentials(url, |_, value| match self.value(value) {
            Cow::Owned(masked) => Some(masked),
            Cow::Borrowed(_) => None,
        })
    }

    /// A header's value: masked when the header names a credential, and any URL in it
    /// masked otherwise.
    pub fn header<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        if is_credential_name(name) {
            self.value(value)
        } else {
            self.text(value)
        }
    }

    /// A JSON value (a payload): string values under credential keys masked (every string
    /// inside them, when they are objects or arrays), URLs in other strings masked.
    pub fn json(&self, value: &Value) -> Value {
        map_json_leaves(value, |leaf, credential_key| match (leaf, credential_key) {
            (Value::String(s), Some(_)) => Value::String(self.value(s).into_owned()),
            (Value::String(s), None) => Value::String(self.text(s).into_owned()),
            // A number under a credential key is a credential too (a PIN).
            (Value::Number(n), Some(_)) => Value::String(self.sensitive(&n.to_string())),
            (other, _) => other.clone(),
        })
    }

    /// Free text (a message, an error, a log line): every URL in it masked as [`Self::url`]
    /// does, and the token after `Bearer`/`Basic`.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !text.contains("://") && !text.contains('=') && !contains_scheme(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let mut words = text.split_inclusive(char::is_whitespace).peekable();
        while let Some(word) = words.next() {
            let trimmed = word.trim_end();
            let space = &word[trimmed.len()..];
            let masked = if trimmed.contains("://") {
                self.url(trimmed)
            } else if trimmed.contains('=') && trimmed.contains('?') {
                // A query without a scheme: `path?api_key=…`.
                self.url(trimmed)
            } else {
                Cow::Borrowed(trimmed)
            };
            changed |= matches!(masked, Cow::Owned(_));
            out.push_str(&masked);
            out.push_str(space);
            if AUTH_SCHEMES[..2].contains(&trimmed.to_ascii_lowercase().as_str()) {
                if let Some(next) = words.next() {
                    let token = next.trim_end();
                    let masked = self.value(token);
                    changed |= matches!(masked, Cow::Owned(_));
                    out.push_str(&masked);
                    out.push_str(&next[token.len()..]);
                }
            }
        }
        if changed {
            Cow::Owned(out)
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// `value` with each scalar leaf (string, number, boolean, null) rebuilt by `leaf`, which is
/// told the outermost credential key the leaf sits under, if any; arrays and objects keep
/// their shape and key order. Iterative, so that no depth of nesting can overflow the stack.
/// The one walk of payloads that both masking and `import` use.
pub fn map_json_leaves(
    value: &Value,
    mut leaf: impl FnMut(&Value, Option<&str>) -> Value,
) -> Value {
    enum Work<'v> {
        Visit(&'v Value, Option<&'v str>),
        Array(usize),
        Object(Vec<String>),
    }
    let mut work = vec![Work::Visit(value, None)];
    let mut done: Vec<Value> = Vec::new();
    while let Some(item) = work.pop() {
        match item {
            Work::Visit(Value::Array(items), key) => {
                work.push(Work::Array(items.len()));
                work.extend(items.iter().rev().map(|item| Work::Visit(item, key)));
            }
            Work::Visit(Value::Object(map), key) => {
                work.push(Work::Object(map.keys().cloned().collect()));
                for (k, item) in map.iter().rev() {
                    let key = key.or_else(|| is_credential_name(k).then_some(k.as_str()));
                    work.push(Work::Visit(item, key));
                }
            }
            Work::Visit(scalar, key) => done.push(leaf(scalar, key)),
            Work::Array(n) => {
                let items = done.split_off(done.len().saturating_sub(n));
                done.push(Value::Array(items));
            }
            Work::Object(keys) => {
                let items = done.split_off(done.len().saturating_sub(keys.len()));
                done.push(Value::Object(keys.into_iter().zip(items).collect()));
            }
        }
    }
    done.pop().unwrap_or(Value::Null)
}

/// Free text outside any plan (an error, a log line, a report line) with every credential
/// masked; its fingerprints use a fixed salt, since no registry is at hand.
pub fn mask_text(text: &str) -> String {
    Masker::new("ddhooks-output").text(text).into_owned()
}

/// Where a URL carries a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlCredential<'a> {
    /// The password of `user:password@`.
    Password,
    /// A query parameter whose (percent-decoded) name names a credential.
    Query(&'a str),
}

/// `url` with each credential (the userinfo password, the values of credential query
/// parameters) replaced by what `replace` returns for it (`None`: kept); every other byte
/// kept. The one reading of URLs that masking and `import` share.
pub(crate) fn map_url_credentials<'a>(
    url: &'a str,
    mut replace: impl FnMut(UrlCredential<'_>, &str) -> Option<String>,
) -> Cow<'a, str> {
    let mut out = String::new();
    let mut changed = false;
    // user:password@host
    let (head, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    out.push_str(head);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match (head.is_empty(), authority.rfind('@')) {
        (false, Some(at)) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, password)) if !password.is_empty() => {
                    out.push_str(user);
                    out.push(':');
                    match replace(UrlCredential::Password, password) {
                        Some(new) => {
                            changed = true;
                            out.push_str(&new);
                        }
                        None => out.push_str(password),
                    }
                }
                _ => out.push_str(userinfo),
            }
            out.push_str(&authority[at..]);
        }
        _ => out.push_str(authority),
    }
    // ?query#fragment
    let (path, query_and_fragment) = match tail.find('?') {
        Some(q) => tail.split_at(q),
        None => (tail, ""),
    };
    out.push_str(path);
    if let Some(query) = query_and_fragment.strip_prefix('?') {
        out.push('?');
        let (query, fragment) = match query.find('#') {
            Some(h) => query.split_at(h),
            None => (query, ""),
        };
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let decoded = pair.split_once('=').map(|(name, _)| percent_decoded(name));
            match (pair.split_once('='), decoded) {
                (Some((name, value)), Some(decoded)) if is_credential_name(&decoded) => {
                    out.push_str(name);
                    out.push('=');
                    match replace(UrlCredential::Query(&decoded), value) {
                        Some(new) => {
                            changed = true;
                            out.push_str(&new);
                        }
                        None => out.push_str(value),
                    }
                }
                _ => out.push_str(pair),
            }
        }
        out.push_str(fragment);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(url)
    }
}

fn contains_scheme(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("bearer ") || lower.contains("basic ")
}

/// A query parameter's name with `%XX` escapes decoded (so `api%5Fkey` is seen as
/// `api_key`); invalid escapes are kept as they are.
fn percent_decoded(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Made up for the tests (the hex digits in order), not a real key.
    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn m() -> Masker {
        Masker::new("salt")
    }

    #[test]
    fn credential_query_parameters_and_userinfo_are_masked_and_the_rest_kept() {
        let m = m();
        for name in [
            "api_key",
            "APIKEY",
            "application_key",
            "app_key",
            "key",
            "token",
            "access_token",
            "secret",
            "password",
            "sig",
            "Signature",
            "api%5Fkey",
        ] {
            let url = format!("https://api.datadoghq.com/api/v1/check_run?x=1&{name}={KEY}#f");
            let masked = m.url(&url);
            assert!(!masked.contains(KEY), "{name}: {masked}");
            assert!(
                masked.starts_with("https://api.datadoghq.com/api/v1/check_run?x=1&"),
                "{masked}"
            );
            assert!(
                masked.ends_with(&format!("{name}={}#f", m.sensitive(KEY))),
                "{masked}"
            );
        }
        let url = format!("https://user:{KEY}@example.com/p?q=1");
        let masked = m.url(&url);
        assert_eq!(
            masked,
            format!("https://user:{}@example.com/p?q=1", m.sensitive(KEY))
        );
        for kept in [
            "https://example.com/hooks/$ALERT_ID?region=eu",
            "https://x/?api_key=$DD_API_KEY",
            "not a url",
            "",
        ] {
            assert_eq!(m.url(kept), kept);
        }
    }

    #[test]
    fn fingerprints_change_with_the_value_and_the_salt() {
        assert_ne!(m().sensitive(KEY), m().sensitive("another"));
        assert_ne!(m().sensitive(KEY), Masker::new("other").sensitive(KEY));
        assert_eq!(m().sensitive(KEY), m().sensitive(KEY));
    }

    #[test]
    fn credential_headers_are_masked_unless_they_reference_variables() {
        let m = m();
        for name in [
            "Authorization",
            "Proxy-Authorization",
            "DD-API-KEY",
            "DD-APPLICATION-KEY",
            "X-API-Key",
            "X-Auth-Token",
            "x-my-secret",
            "Password",
        ] {
            assert_eq!(m.header(name, KEY), m.sensitive(KEY), "{name}");
            assert_eq!(m.header(name, "$DD_API_KEY"), "$DD_API_KEY", "{name}");
            assert_eq!(
                m.header(name, "Bearer $SMS_TOKEN"),
                "Bearer $SMS_TOKEN",
                "{name}"
            );
            assert!(
                !m.header(name, &format!("Bearer {KEY}")).contains(KEY),
                "{name}"
            );
        }
        assert_eq!(
            m.header("Content-Type", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn payload_values_under_credential_keys_are_masked_at_any_depth() {
        let m = m();
        let payload = json!([{"check": "g.status", "api_key": KEY, "nested": {"auth": {"user": "u", "pass": KEY}}, "url": format!("https://h/?token={KEY}"), "secret_pin": 1234, "status": 2}]);
        let masked = m.json(&payload);
        let text = masked.to_string();
        assert!(!text.contains(KEY), "{text}");
        assert!(!text.contains("1234"), "{text}");
        assert_eq!(masked[0]["check"], "g.status");
        assert_eq!(masked[0]["status"], 2);
        assert_eq!(
            m.json(&json!({"api_key": "$DD_API_KEY"})),
            json!({"api_key": "$DD_API_KEY"})
        );
        // Deeper than serde_json parses (128 levels), to the masker's walk no different.
        let mut deep = json!(KEY);
        for _ in 0..1_000 {
            let mut map = serde_json::Map::new();
            map.insert("token".into(), Value::Array(vec![deep]));
            deep = Value::Object(map);
        }
        assert!(!m.json(&deep).to_string().contains(KEY));
    }

    #[test]
    fn free_text_masks_urls_and_bearer_tokens() {
        let m = m();
        let text =
            format!("POST https://h/x?api_key={KEY} failed; Authorization: Bearer {KEY}\nnext");
        let masked = m.text(&text);
        assert!(!masked.contains(KEY), "{masked}");
        assert!(masked.starts_with("POST https://h/x?api_key=(sensitive:"));
        assert!(masked.ends_with("\nnext"));
        assert_eq!(m.text("plain words, no secrets"), "plain words, no secrets");
    }
}
