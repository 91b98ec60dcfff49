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

/// Every variable reference in `text`, in order.
pub fn scan_variables(text: &str) -> Vec<VariableRef> {
    let _ = text;
    todo!("template::scan_variables")
}

/// `text` with each reference replaced by `lookup`'s answer; references it answers `None`
/// for are left as written.
pub fn substitute(text: &str, lookup: impl FnMut(&VariableRef) -> Option<String>) -> String {
    let _ = (text, lookup);
    todo!("template::substitute")
}
