//! `$VARIABLE` references in webhook urls, headers and payloads.

use std::ops::Range;

/// Datadog's built-in webhook variables.
pub const BUILTIN_VARIABLES: &[&str] = &[
    "AGGREG_KEY",
    "ALERT_CYCLE_KEY",
    "ALERT_ID",
    "ALERT_METRIC",
    "ALERT_PRIORITY",
    "ALERT_QUERY",
    "ALERT_SCOPE",
    "ALERT_STATUS",
    "ALERT_TITLE",
    "ALERT_TRANSITION",
    "ALERT_TYPE",
    "DATE",
    "EMAIL",
    "EVENT_MSG",
    "EVENT_TEXT",
    "EVENT_TITLE",
    "EVENT_TYPE",
    "HOSTNAME",
    "ID",
    "INCIDENT_ATTACHMENTS",
    "INCIDENT_COMMANDER",
    "INCIDENT_CUSTOMER_IMPACT",
    "INCIDENT_FIELDS",
    "INCIDENT_MSG",
    "INCIDENT_PUBLIC_ID",
    "INCIDENT_SEVERITY",
    "INCIDENT_STATUS",
    "INCIDENT_TITLE",
    "INCIDENT_URL",
    "LAST_UPDATED",
    "LINK",
    "LOGS_SAMPLE",
    "METRIC_NAMESPACE",
    "ORG_ID",
    "ORG_NAME",
    "PRIORITY",
    "SECURITY_RULE_ID",
    "SECURITY_RULE_MATCHED_QUERIES",
    "SECURITY_RULE_NAME",
    "SECURITY_RULE_QUERY",
    "SECURITY_RULE_TYPE",
    "SECURITY_SIGNAL_ATTRIBUTES",
    "SECURITY_SIGNAL_ID",
    "SECURITY_SIGNAL_MSG",
    "SECURITY_SIGNAL_SEVERITY",
    "SECURITY_SIGNAL_TITLE",
    "SNAPSHOT",
    "SYNTHETICS_DETAILS",
    "SYNTHETICS_SUMMARY",
    "TAGS",
    "TEXT_ONLY_MSG",
    "USER",
    "USERNAME",
];

/// A `$NAME` or `$TAGS[key]` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableRef {
    /// `NAME`, without `$`.
    pub name: String,
    /// `key` of `$TAGS[key]`.
    pub key: Option<String>,
    /// Byte range of the whole reference.
    pub range: Range<usize>,
}

/// Every variable reference in `text`, in order: `$` then an upper-case letter or `_`,
/// then upper-case letters, digits and `_`; `$TAGS` may be followed by `[key]`.
pub fn scan_variables(text: &str) -> Vec<VariableRef> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i + 1;
        if end < bytes.len() && (bytes[end].is_ascii_uppercase() || bytes[end] == b'_') {
            while end < bytes.len()
                && (bytes[end].is_ascii_uppercase()
                    || bytes[end].is_ascii_digit()
                    || bytes[end] == b'_')
            {
                end += 1;
            }
            let name = &text[start + 1..end];
            let mut key = None;
            if name == "TAGS" && bytes.get(end) == Some(&b'[') {
                if let Some(close) = text[end + 1..].find(']') {
                    key = Some(text[end + 1..end + 1 + close].to_string());
                    end = end + 1 + close + 1;
                }
            }
            found.push(VariableRef {
                name: name.to_string(),
                key,
                range: start..end,
            });
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// `text` with each reference replaced by `lookup`'s answer; references it answers `None`
/// for are left as written.
pub fn substitute(text: &str, mut lookup: impl FnMut(&VariableRef) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for var in scan_variables(text) {
        out.push_str(&text[pos..var.range.start]);
        match lookup(&var) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&text[var.range.clone()]),
        }
        pos = var.range.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Whether `name` is one of Datadog's built-in webhook variables.
pub fn is_builtin(name: &str) -> bool {
    BUILTIN_VARIABLES.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_sorted_for_binary_search() {
        assert!(BUILTIN_VARIABLES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_builtin("ALERT_ID") && !is_builtin("DD_API_KEY"));
    }

    #[test]
    fn scans_names_tags_keys_and_ignores_prices() {
        let vars = scan_variables("costs $5 at $HOSTNAME/$TAGS[env] $TAGS $x $_A1");
        let seen: Vec<_> = vars
            .iter()
            .map(|v| (v.name.as_str(), v.key.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("HOSTNAME", None),
                ("TAGS", Some("env")),
                ("TAGS", None),
                ("_A1", None)
            ]
        );
    }

    #[test]
    fn substitutes_known_and_keeps_unknown() {
        let out = substitute("id=$ALERT_ID env=$TAGS[env] k=$SECRET", |v| {
            match (v.name.as_str(), v.key.as_deref()) {
                ("ALERT_ID", _) => Some("42".into()),
                ("TAGS", Some("env")) => Some("prod".into()),
                _ => None,
            }
        });
        assert_eq!(out, "id=42 env=prod k=$SECRET");
    }
}
