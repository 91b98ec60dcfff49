//! What a monitor sends on a transition: its message as recipients get it, the handles and
//! webhooks that fire, Datadog's built-in webhook variables for that event, and webhook
//! calls filled with them.
//!
//! The one evaluator: the sandbox's simulation (`/sandbox/v1/monitor/{id}/transition`) and
//! `ddhooks preview` both call it, so what preview shows is what the sandbox sends.

use super::message::{handles, render, MonitorState, TemplateError, Transition};
use super::variables::{substitute, VariableRef};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A monitor's message evaluated for one transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The message as recipients get it: sections resolved, comments removed.
    pub message: String,
    /// Every `@handle` the message mentions (without `@`), first mention first, each once.
    pub handles: Vec<String>,
    /// The webhook names among [`Notification::handles`] (`@webhook-NAME`), in order.
    pub webhooks: Vec<String>,
}

/// Evaluates `message` for `transition`: what is sent, and to whom.
pub fn notify(message: &str, transition: &Transition) -> Result<Notification, TemplateError> {
    let message = render(message, transition)?;
    let mut names: Vec<String> = Vec::new();
    let mut webhooks: Vec<String> = Vec::new();
    for handle in handles(&message) {
        if let Some(name) = handle.webhook() {
            if !webhooks.iter().any(|w| w == name) {
                webhooks.push(name.to_string());
            }
        }
        if !names.contains(&handle.name) {
            names.push(handle.name);
        }
    }
    Ok(Notification {
        message,
        handles: names,
        webhooks,
    })
}

/// Everything Datadog's built-in webhook variables are made of for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The monitor's id (`$ALERT_ID`).
    pub monitor_id: i64,
    /// The monitor's name (in `$ALERT_TITLE` and `$EVENT_TITLE`).
    pub monitor_name: String,
    /// The monitor's query (`$ALERT_QUERY`, in `$ALERT_STATUS`).
    pub query: String,
    /// Datadog's monitor type, e.g. `metric alert` (`$EVENT_TYPE`).
    pub monitor_type: String,
    /// The transition.
    pub transition: Transition,
    /// `$HOSTNAME`.
    pub hostname: String,
    /// The event's id (`$ID`, in `$ALERT_CYCLE_KEY`).
    pub event_id: i64,
    /// The event's time in milliseconds since the epoch (`$DATE`, `$LAST_UPDATED`).
    pub date_millis: i64,
    /// The monitor's page (`$LINK`).
    pub link: String,
    /// `$ORG_ID`.
    pub org_id: String,
    /// `$ORG_NAME`.
    pub org_name: String,
    /// The message as sent (`$EVENT_MSG`, `$EVENT_TEXT`, `$TEXT_ONLY_MSG`).
    pub message: String,
}

/// `$EVENT_TYPE` of a monitor type: `metric alert` → `metric_alert_monitor`.
pub fn event_type(monitor_type: &str) -> String {
    format!("{}_monitor", monitor_type.replace([' ', '-'], "_"))
}

/// `(title prefix, $ALERT_TRANSITION, $ALERT_TYPE)` of a transition.
fn transition_words(transition: &Transition) -> (&'static str, &'static str, &'static str) {
    match (transition.to, transition.renotify) {
        (MonitorState::Alert, true) => ("[Re-Triggered]", "Re-Triggered", "error"),
        (MonitorState::Alert, false) => ("[Triggered]", "Triggered", "error"),
        (MonitorState::Warn, _) => ("[Warn]", "Warn", "warning"),
        (MonitorState::NoData, _) => ("[No Data]", "No Data", "info"),
        (MonitorState::Unknown, _) => ("[Unknown]", "Unknown", "info"),
        (MonitorState::Ok, _) => ("[Recovered]", "Recovered", "success"),
    }
}

/// The built-in webhook variables Datadog fills for `event`, by name (without `$`).
/// `$TAGS` is not among them: [`Filler`] reads it from the monitor's tags.
pub fn builtin_values(event: &Event) -> BTreeMap<&'static str, String> {
    let (title_prefix, alert_transition, alert_type) = transition_words(&event.transition);
    let id = event.monitor_id;
    let title = format!("{title_prefix} {}", event.monitor_name);
    let date = event.date_millis.to_string();
    [
        ("HOSTNAME", event.hostname.clone()),
        ("ALERT_ID", id.to_string()),
        ("ALERT_TITLE", title.clone()),
        ("ALERT_TRANSITION", alert_transition.to_string()),
        (
            "ALERT_STATUS",
            format!("{} ({})", event.query, event.transition.to.as_str()),
        ),
        (
            "ALERT_PRIORITY",
            event
                .transition
                .priority
                .map(|p| format!("P{p}"))
                .unwrap_or_default(),
        ),
        ("ALERT_QUERY", event.query.clone()),
        ("ALERT_TYPE", alert_type.to_string()),
        ("ALERT_SCOPE", String::new()),
        ("ALERT_METRIC", String::new()),
        ("ALERT_CYCLE_KEY", format!("{id}-{}", event.event_id)),
        ("AGGREG_KEY", format!("monitor-{id}")),
        ("EVENT_TITLE", title),
        ("EVENT_MSG", event.message.clone()),
        ("TEXT_ONLY_MSG", event.message.clone()),
        ("EVENT_TEXT", event.message.clone()),
        ("EVENT_TYPE", event_type(&event.monitor_type)),
        ("DATE", date.clone()),
        ("LAST_UPDATED", date),
        ("ID", event.event_id.to_string()),
        ("LINK", event.link.clone()),
        ("ORG_ID", event.org_id.clone()),
        ("ORG_NAME", event.org_name.clone()),
        ("PRIORITY", "normal".to_string()),
        ("USER", "Sandbox User".to_string()),
        ("USERNAME", "sandbox".to_string()),
        ("EMAIL", "sandbox@example.com".to_string()),
    ]
    .into_iter()
    .collect()
}

/// A webhook as it is stored: url, headers and payload as text, `$VARIABLES` not yet filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTemplate<'a> {
    /// The url.
    pub url: &'a str,
    /// The custom headers: JSON object text, or `None` for none.
    pub custom_headers: Option<&'a str>,
    /// The payload: JSON text (the empty text when there is none).
    pub payload: &'a str,
}

/// A webhook call after its variables are filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct FilledCall {
    /// The url.
    pub url: String,
    /// The custom headers, or why they are not a JSON object.
    pub headers: Result<Map<String, Value>, String>,
    /// The payload text (JSON unless the webhook's payload is not).
    pub payload: String,
}

/// Fills webhook calls for one event: built-in variables, `$TAGS` / `$TAGS[key]` from the
/// monitor's tags, and custom variables from the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filler {
    /// Built-in values by name (see [`builtin_values`]).
    pub builtins: BTreeMap<&'static str, String>,
    /// The monitor's tags (`key:value` or bare).
    pub tags: Vec<String>,
}

impl Filler {
    /// The value of a reference: `$TAGS`, a built-in, else what `custom` answers for the
    /// name (`None` leaves the reference as written).
    pub fn lookup(
        &self,
        var: &VariableRef,
        custom: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        if var.name == "TAGS" {
            return Some(match &var.key {
                None => self.tags.join(","),
                Some(key) => self
                    .tags
                    .iter()
                    .find_map(|t| {
                        t.split_once(':')
                            .filter(|(k, _)| k == key)
                            .map(|(_, v)| v.to_string())
                    })
                    .unwrap_or_default(),
            });
        }
        if let Some(value) = self.builtins.get(var.name.as_str()) {
            return Some(value.clone());
        }
        custom(&var.name)
    }

    /// `call` with every variable filled; values inside headers and payload are escaped so
    /// they cannot break the JSON strings they sit in.
    pub fn fill(
        &self,
        call: &CallTemplate<'_>,
        custom: &dyn Fn(&str) -> Option<String>,
    ) -> FilledCall {
        let plain = |text: &str| substitute(text, |v| self.lookup(v, custom));
        let json_escaped = |text: &str| {
            substitute(text, |v| {
                self.lookup(v, custom).map(|value| {
                    let quoted = Value::String(value).to_string();
                    quoted
                        .strip_prefix('"')
                        .and_then(|q| q.strip_suffix('"'))
                        .unwrap_or(&quoted)
                        .to_string()
                })
            })
        };
        let headers = match call.custom_headers {
            None => Ok(Map::new()),
            Some(text) => serde_json::from_str::<Map<String, Value>>(&json_escaped(text))
                .map_err(|err| format!("custom_headers is not a JSON object: {err}")),
        };
        FilledCall {
            url: plain(call.url),
            headers,
            payload: json_escaped(call.payload),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Transition {
        Transition {
            from: MonitorState::Ok,
            to: MonitorState::Alert,
            priority: None,
            renotify: false,
        }
    }

    fn event(transition: Transition) -> Event {
        Event {
            monitor_id: 7,
            monitor_name: "cpu".into(),
            query: "q".into(),
            monitor_type: "metric alert".into(),
            transition,
            hostname: "h".into(),
            event_id: 3,
            date_millis: 10,
            link: "https://app/monitors/7".into(),
            org_id: "1".into(),
            org_name: "o".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn notify_evaluates_sections_and_lists_handles_once() {
        let message = "{{!-- c --}}{{#is_alert}} @webhook-a @slack-x @webhook-a {{/is_alert}}{{#is_recovery}} @webhook-b {{/is_recovery}} @pager";
        let n = notify(message, &alert()).expect("valid");
        assert_eq!(n.webhooks, ["a"]);
        assert_eq!(n.handles, ["webhook-a", "slack-x", "pager"]);
        assert!(!n.message.contains("{{"), "{}", n.message);
        assert!(notify("{{#is_alert}}", &alert()).is_err());
    }

    #[test]
    fn builtins_name_the_transition() {
        let b = builtin_values(&event(alert()));
        assert_eq!(b["ALERT_TITLE"], "[Triggered] cpu");
        assert_eq!(b["ALERT_STATUS"], "q (Alert)");
        assert_eq!(b["EVENT_TYPE"], "metric_alert_monitor");
        assert_eq!(b["ALERT_CYCLE_KEY"], "7-3");
        let renotify = Transition {
            from: MonitorState::Alert,
            renotify: true,
            ..alert()
        };
        assert_eq!(
            builtin_values(&event(renotify))["ALERT_TRANSITION"],
            "Re-Triggered"
        );
        // Every built-in filled here is one Datadog documents.
        assert!(b.keys().all(|k| super::super::is_builtin(k)));
    }

    #[test]
    fn fill_escapes_json_and_reads_tags_and_custom_variables() {
        let mut builtins = BTreeMap::new();
        builtins.insert("EVENT_MSG", "say \"hi\"".to_string());
        let filler = Filler {
            builtins,
            tags: vec!["env:prod".into(), "bare".into()],
        };
        let call = CallTemplate {
            url: "https://x/$TAGS[env]?k=$KEY",
            custom_headers: Some(r#"{"A": "$KEY", "B": "$MISSING"}"#),
            payload: r#"{"m": "$EVENT_MSG", "t": "$TAGS"}"#,
        };
        let custom = |name: &str| (name == "KEY").then(|| "v".to_string());
        let filled = filler.fill(&call, &custom);
        assert_eq!(filled.url, "https://x/prod?k=v");
        let headers = filled.headers.expect("object");
        assert_eq!(headers["A"], "v");
        assert_eq!(headers["B"], "$MISSING");
        let payload: Value = serde_json::from_str(&filled.payload).expect("json");
        assert_eq!(payload["m"], "say \"hi\"");
        assert_eq!(payload["t"], "env:prod,bare");
        let broken = CallTemplate {
            custom_headers: Some("A: b"),
            ..call
        };
        assert!(filler.fill(&broken, &custom).headers.is_err());
    }
}
