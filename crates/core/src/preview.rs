//! `ddhooks preview`, the pure part: what a monitor's message (or one block alone) will send
//! on each transition — the message as recipients get it, the handles that fire, and each
//! webhook's url, headers and payload filled with sample values — with every credential
//! masked through [`Masker`].
//!
//! Evaluation and filling are [`crate::template::notify`]'s, the very functions the sandbox's
//! simulation runs; this module only chooses the transitions and the sample values, and masks.

use crate::mask::Masker;
pub use crate::model::SampleTransition;
use crate::model::{default_webhook_payload, CustomVariable, EncodeAs, RemoteWebhook, Webhook};
use crate::template::{self, builtin_values, CallTemplate, Event, Filler, TemplateError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Version of the JSON shape of a preview; bumped on any incompatible change.
pub const PREVIEW_FORMAT_VERSION: u32 = 1;
/// `$ALERT_ID` (and the monitor id) when a block is previewed alone.
pub const SAMPLE_MONITOR_ID: i64 = 1_234_567;
/// `$HOSTNAME` in every preview.
pub const SAMPLE_HOSTNAME: &str = "host-1";
/// `$DATE` and `$LAST_UPDATED`: a fixed instant (2023-11-14T22:13:20Z), so previews are
/// deterministic.
pub const SAMPLE_DATE_MILLIS: i64 = 1_700_000_000_000;
/// `$ID`: the sample event's id.
pub const SAMPLE_EVENT_ID: i64 = 1;
/// `$ORG_ID`.
pub const SAMPLE_ORG_ID: &str = "1";
/// `$ORG_NAME`.
pub const SAMPLE_ORG_NAME: &str = "Sample Org";
/// The query of the sample monitor of a block preview.
pub const SAMPLE_QUERY: &str = "avg(last_5m):avg:system.load.1{*} > 2";

/// What is previewed: a monitor of the org, or one block of the manifests alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// A monitor: `"monitor": {"id": …, "name": …}` in JSON.
    Monitor {
        /// Its id.
        id: i64,
        /// Its name.
        name: String,
    },
    /// A block: `"block": NAME` in JSON.
    Block(String),
}

/// The monitor facts built-in variables are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorFacts {
    /// Id (`$ALERT_ID`).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Query.
    pub query: String,
    /// Datadog's monitor type, e.g. `metric alert`.
    pub monitor_type: String,
    /// Tags (`$TAGS`).
    pub tags: Vec<String>,
    /// Priority 1–5, if set (for `is_priority` sections and `$ALERT_PRIORITY`).
    pub priority: Option<u8>,
}

impl MonitorFacts {
    /// The sample monitor a block is previewed on: [`SAMPLE_MONITOR_ID`], the block's
    /// selector tags.
    pub fn sample(block: &str, tags: Vec<String>) -> MonitorFacts {
        MonitorFacts {
            id: SAMPLE_MONITOR_ID,
            name: format!("sample monitor with block {block}"),
            query: SAMPLE_QUERY.to_string(),
            monitor_type: "metric alert".to_string(),
            tags,
            priority: None,
        }
    }
}

/// Where a previewed webhook's definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookSource {
    /// The manifests: what it will be after apply.
    Manifests,
    /// Read from the org (the manifests do not declare it).
    Org,
}

/// A webhook a preview can fill: from the manifests or from the org.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDef {
    /// Url (with `$VARIABLES`).
    pub url: String,
    /// Payload; `None` is Datadog's default payload.
    pub payload: Option<Value>,
    /// Custom headers.
    pub custom_headers: Option<BTreeMap<String, String>>,
    /// Encoding.
    pub encode_as: EncodeAs,
    /// Where it comes from.
    pub source: WebhookSource,
}

impl WebhookDef {
    /// A webhook of the manifests.
    pub fn desired(w: &Webhook) -> WebhookDef {
        WebhookDef {
            url: w.url.clone(),
            payload: w.payload.clone(),
            custom_headers: w.custom_headers.clone(),
            encode_as: w.encode_as,
            source: WebhookSource::Manifests,
        }
    }

    /// A webhook read from the org.
    pub fn remote(w: &RemoteWebhook) -> WebhookDef {
        WebhookDef {
            url: w.url.clone(),
            payload: w.payload.clone(),
            custom_headers: w.custom_headers.clone(),
            encode_as: w.encode_as,
            source: WebhookSource::Org,
        }
    }
}

/// A custom variable's value for filling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableSample {
    /// A plain value, filled in (and masked like any text if it looks like a credential).
    Plain(String),
    /// A secret: shown only as the masker's fingerprint of this value.
    Secret(crate::model::Secret),
    /// A secret whose value is unknown (read from the org): the reference stays as written.
    Hidden,
}

impl VariableSample {
    /// A variable of the manifests.
    pub fn of(variable: &CustomVariable) -> VariableSample {
        if variable.secret {
            VariableSample::Secret(variable.value.clone())
        } else {
            VariableSample::Plain(variable.value.expose().to_string())
        }
    }
}

/// Everything a preview is made from.
#[derive(Debug, Clone)]
pub struct PreviewInput<'a> {
    /// What is previewed.
    pub subject: Subject,
    /// The message (or block text) as it will be after apply.
    pub template: &'a str,
    /// The monitor the built-in variables describe.
    pub monitor: &'a MonitorFacts,
    /// The Datadog site (`$LINK` points at its app).
    pub site: &'a str,
    /// Webhooks by name (those the message may fire).
    pub webhooks: &'a BTreeMap<String, WebhookDef>,
    /// Custom variables by name.
    pub variables: &'a BTreeMap<String, VariableSample>,
    /// The one masking function for credentials.
    pub masker: &'a Masker,
}

/// A preview: the JSON shape `ddhooks preview --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// [`PREVIEW_FORMAT_VERSION`].
    pub format_version: u32,
    /// `"monitor": {id, name}` or `"block": NAME`.
    #[serde(flatten)]
    pub subject: Subject,
    /// The message (or block text) as it will be after apply, credentials masked.
    pub template: String,
    /// One entry per transition previewed.
    pub transitions: Vec<TransitionPreview>,
}

/// What one transition sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionPreview {
    /// The transition's name (`alert`, `recovery`, …).
    pub transition: &'static str,
    /// State before (`OK`, `Alert`, `Warn`, `No Data`).
    pub from: &'static str,
    /// State after.
    pub to: &'static str,
    /// Whether this is a re-notification.
    pub renotify: bool,
    /// The message as recipients get it (sections evaluated, comments removed), masked.
    pub message: String,
    /// The handles that fire, without `@`, in order.
    pub handles: Vec<String>,
    /// Each `@webhook-NAME` that fires, as it would be sent.
    pub webhooks: Vec<WebhookPreview>,
}

/// One webhook call as it would be sent, masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookPreview {
    /// The webhook's name.
    pub name: String,
    /// `manifests` or `org`; absent when the webhook is defined nowhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<WebhookSource>,
    /// The url, filled and masked (`null` when the webhook is defined nowhere).
    pub url: Option<String>,
    /// `json` or `form`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encode_as: Option<&'static str>,
    /// The headers sent (Content-Type first), filled and masked.
    pub headers: Map<String, Value>,
    /// The payload, filled and masked: JSON, or a string when it is not JSON.
    pub payload: Value,
    /// Why the call would fail or cannot be shown, if it would.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The app host of a site, where `$LINK` points: `app.datadoghq.com`, `us3.datadoghq.com`…
pub fn app_host(site: &str) -> String {
    match site {
        "datadoghq.com" | "datadoghq.eu" | "ddog-gov.com" => format!("app.{site}"),
        other => other.to_string(),
    }
}

/// Evaluates `input.template` for each of `transitions`. An invalid message is an error.
pub fn preview(
    input: &PreviewInput<'_>,
    transitions: &[SampleTransition],
) -> Result<Preview, TemplateError> {
    template::parse(input.template)?;
    let masker = input.masker;
    let mut out = Vec::with_capacity(transitions.len());
    for &sample in transitions {
        let transition = sample.transition(input.monitor.priority);
        let notification = template::notify(input.template, &transition)?;
        let event = Event {
            monitor_id: input.monitor.id,
            monitor_name: input.monitor.name.clone(),
            query: input.monitor.query.clone(),
            monitor_type: input.monitor.monitor_type.clone(),
            transition,
            hostname: SAMPLE_HOSTNAME.to_string(),
            event_id: SAMPLE_EVENT_ID,
            date_millis: SAMPLE_DATE_MILLIS,
            link: format!(
                "https://{}/monitors/{}",
                app_host(input.site),
                input.monitor.id
            ),
            org_id: SAMPLE_ORG_ID.to_string(),
            org_name: SAMPLE_ORG_NAME.to_string(),
            message: notification.message.clone(),
        };
        let filler = Filler {
            builtins: builtin_values(&event),
            tags: input.monitor.tags.clone(),
        };
        let webhooks = notification
            .webhooks
            .iter()
            .map(|name| webhook_preview(input, &filler, name))
            .collect();
        out.push(TransitionPreview {
            transition: sample.name(),
            from: transition.from.as_str(),
            to: transition.to.as_str(),
            renotify: transition.renotify,
            message: masker.text(&notification.message).into_owned(),
            handles: notification.handles,
            webhooks,
        });
    }
    Ok(Preview {
        format_version: PREVIEW_FORMAT_VERSION,
        subject: input.subject.clone(),
        template: masker.text(input.template).into_owned(),
        transitions: out,
    })
}

/// One webhook call: filled with everything but secrets, masked, then each secret reference
/// replaced by its fingerprint.
fn webhook_preview(input: &PreviewInput<'_>, filler: &Filler, name: &str) -> WebhookPreview {
    let masker = input.masker;
    let Some(def) = input.webhooks.get(name) else {
        return WebhookPreview {
            name: name.to_string(),
            source: None,
            url: None,
            encode_as: None,
            headers: Map::new(),
            payload: Value::Null,
            error: Some(format!(
                "webhook `{name}` is not declared in the manifests{}; declare it under `webhooks:` or `webhook_pairs:`",
                match input.subject {
                    Subject::Monitor { .. } => " and does not exist in the org",
                    Subject::Block(_) => "",
                }
            )),
        };
    };
    let payload_text = def
        .payload
        .clone()
        .unwrap_or_else(default_webhook_payload)
        .to_string();
    let headers_text = def.custom_headers.as_ref().map(|h| {
        let map: Map<String, Value> = h
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(map).to_string()
    });
    let call = CallTemplate {
        url: &def.url,
        custom_headers: headers_text.as_deref(),
        payload: &payload_text,
    };
    let plain = |name: &str| match input.variables.get(name)? {
        VariableSample::Plain(value) => Some(value.clone()),
        VariableSample::Secret(_) | VariableSample::Hidden => None,
    };
    let filled = filler.fill(&call, &plain);
    // Secrets were left as `$NAME`; masking keeps such references, then they become
    // fingerprints.
    let reveal = |text: &str| {
        template::substitute(text, |v| match input.variables.get(&v.name) {
            Some(VariableSample::Secret(secret)) if v.key.is_none() => {
                Some(masker.sensitive(secret.expose()))
            }
            _ => None,
        })
    };
    let mut error = None;
    let content_type = match def.encode_as {
        EncodeAs::Json => "application/json",
        EncodeAs::Form => "application/x-www-form-urlencoded",
    };
    let mut headers = Map::new();
    headers.insert("Content-Type".into(), Value::String(content_type.into()));
    match filled.headers {
        Ok(custom) => {
            for (key, value) in custom {
                if key.eq_ignore_ascii_case("content-type") {
                    continue;
                }
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let masked = masker.header(&key, &text);
                headers.insert(key, Value::String(reveal(&masked)));
            }
        }
        Err(err) => error = Some(err),
    }
    let payload = match serde_json::from_str::<Value>(&filled.payload) {
        Ok(value) => {
            let masked = masker.json(&value).to_string();
            serde_json::from_str::<Value>(&reveal(&masked)).unwrap_or(Value::Null)
        }
        Err(_) => Value::String(reveal(&masker.text(&filled.payload))),
    };
    WebhookPreview {
        name: name.to_string(),
        source: Some(def.source),
        url: Some(reveal(&masker.url(&filled.url))),
        encode_as: Some(def.encode_as.as_str()),
        headers,
        payload,
        error,
    }
}

/// The preview as text for a terminal or a log.
pub fn render_text(preview: &Preview) -> String {
    let mut out = String::new();
    let indent = |out: &mut String, text: &str, pad: &str| {
        let trimmed = text.trim_matches(['\n', '\r']);
        if trimmed.trim().is_empty() {
            let _ = writeln!(out, "{pad}(empty)");
            return;
        }
        for line in trimmed.lines() {
            let _ = writeln!(out, "{}", format!("{pad}{line}").trim_end());
        }
    };
    match &preview.subject {
        Subject::Monitor { id, name } => {
            let _ = writeln!(out, "Monitor {id} ({name}): its message after apply");
        }
        Subject::Block(name) => {
            let _ = writeln!(out, "Block {name}: its text in a monitor's message");
        }
    }
    indent(&mut out, &preview.template, "  | ");
    for t in &preview.transitions {
        let _ = writeln!(out);
        let again = if t.renotify { ", re-notified" } else { "" };
        let _ = writeln!(out, "== {} ({} -> {}{again})", t.transition, t.from, t.to);
        let _ = writeln!(out, "  message:");
        indent(&mut out, &t.message, "    | ");
        if t.handles.is_empty() {
            let _ = writeln!(out, "  handles: none (nobody is notified)");
        } else {
            let handles: Vec<String> = t.handles.iter().map(|h| format!("@{h}")).collect();
            let _ = writeln!(out, "  handles: {}", handles.join(" "));
        }
        for w in &t.webhooks {
            let from = match w.source {
                Some(WebhookSource::Manifests) => " (from the manifests)",
                Some(WebhookSource::Org) => " (read from the org: not in the manifests)",
                None => "",
            };
            let _ = writeln!(out, "  webhook {}{from}:", w.name);
            if let Some(url) = &w.url {
                let _ = writeln!(out, "    POST {url}");
            }
            for (key, value) in &w.headers {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let _ = writeln!(out, "    {key}: {text}");
            }
            if w.url.is_some() {
                let encoding = w.encode_as.unwrap_or("json");
                let _ = writeln!(out, "    payload ({encoding}):");
                let body = serde_json::to_string_pretty(&w.payload)
                    .unwrap_or_else(|_| w.payload.to_string());
                indent(&mut out, &body, "      ");
            }
            if let Some(err) = &w.error {
                let _ = writeln!(out, "    error: {err}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Secret;
    use serde_json::json;

    const SECRET: &str = "very-secret-value-123";
    const LEAK: &str = "leaked0123456789abcdef";

    fn pair_webhook(status: u8) -> WebhookDef {
        let mut headers = BTreeMap::new();
        headers.insert("Content-Type".to_string(), "application/json".to_string());
        headers.insert("DD-API-KEY".to_string(), "$DD_API_KEY".to_string());
        WebhookDef {
            url: "https://api.datadoghq.com/api/v1/check_run".into(),
            payload: Some(json!([{
                "check": "g.status",
                "status": status,
                "host_name": "$HOSTNAME",
                "tags": ["monitor_id:$ALERT_ID"],
            }])),
            custom_headers: Some(headers),
            encode_as: EncodeAs::Json,
            source: WebhookSource::Manifests,
        }
    }

    fn inputs() -> (
        BTreeMap<String, WebhookDef>,
        BTreeMap<String, VariableSample>,
        MonitorFacts,
    ) {
        let mut webhooks = BTreeMap::new();
        webhooks.insert("g-alert-check".to_string(), pair_webhook(2));
        webhooks.insert("g-ok-check".to_string(), pair_webhook(0));
        webhooks.insert(
            "leaky".to_string(),
            WebhookDef {
                url: format!("https://x.example/hook?api_key={LEAK}&m=$ALERT_ID"),
                payload: Some(json!({"password": LEAK, "title": "$EVENT_TITLE", "env": "$ENV"})),
                custom_headers: Some(BTreeMap::from([(
                    "Authorization".to_string(),
                    format!("Bearer {LEAK}"),
                )])),
                encode_as: EncodeAs::Form,
                source: WebhookSource::Org,
            },
        );
        let mut variables = BTreeMap::new();
        variables.insert(
            "DD_API_KEY".to_string(),
            VariableSample::Secret(Secret::new(SECRET)),
        );
        variables.insert("ENV".to_string(), VariableSample::Plain("prod".into()));
        (webhooks, variables, MonitorFacts::sample("g", vec![]))
    }

    fn run(template: &str, transitions: &[SampleTransition]) -> Preview {
        let (webhooks, variables, monitor) = inputs();
        let masker = Masker::new("salt");
        let input = PreviewInput {
            subject: Subject::Block("g".into()),
            template,
            monitor: &monitor,
            site: "datadoghq.eu",
            webhooks: &webhooks,
            variables: &variables,
            masker: &masker,
        };
        preview(&input, transitions).expect("valid template")
    }

    const PAIR: &str = "{{!-- ddhooks:begin g --}}\n{{#is_alert}} @webhook-g-alert-check {{/is_alert}}\n{{#is_recovery}} @webhook-g-ok-check {{/is_recovery}}\n{{!-- ddhooks:end g --}}";

    #[test]
    fn transitions_round_trip_and_are_all_shown_by_default() {
        for t in SampleTransition::ALL {
            assert_eq!(SampleTransition::parse(t.name()), Some(t));
        }
        assert_eq!(SampleTransition::parse("alert-recovery"), None);
        let p = run(PAIR, &SampleTransition::ALL);
        let names: Vec<_> = p.transitions.iter().map(|t| t.transition).collect();
        assert_eq!(
            names,
            [
                "alert",
                "warning",
                "no-data",
                "recovery",
                "warning-recovery",
                "no-data-recovery",
                "alert-to-warning",
                "renotify"
            ]
        );
        let fired: Vec<Vec<String>> = p
            .transitions
            .iter()
            .map(|t| t.webhooks.iter().map(|w| w.name.clone()).collect())
            .collect();
        let alert = vec!["g-alert-check".to_string()];
        let ok = vec!["g-ok-check".to_string()];
        assert_eq!(
            fired,
            [
                alert.clone(),
                vec![],
                vec![],
                ok.clone(),
                ok.clone(),
                ok,
                vec![],
                alert
            ]
        );
    }

    #[test]
    fn a_pair_call_is_filled_with_samples_and_the_secret_is_a_fingerprint() {
        let p = run(PAIR, &[SampleTransition::Alert]);
        let t = &p.transitions[0];
        assert!(!t.message.contains("ddhooks:begin"), "comments removed");
        assert_eq!(t.handles, ["webhook-g-alert-check"]);
        let w = &t.webhooks[0];
        assert_eq!(w.source, Some(WebhookSource::Manifests));
        assert_eq!(
            w.payload,
            json!([{"check": "g.status", "status": 2, "host_name": "host-1",
                     "tags": [format!("monitor_id:{SAMPLE_MONITOR_ID}")]}])
        );
        let key = Masker::new("salt").sensitive(SECRET);
        assert_eq!(w.headers["DD-API-KEY"], json!(key));
        assert_eq!(w.headers["Content-Type"], json!("application/json"));
        let shown = serde_json::to_string(&p).expect("json");
        assert!(!shown.contains(SECRET), "{shown}");
    }

    #[test]
    fn credentials_in_a_webhook_read_from_the_org_are_masked() {
        let p = run(
            "{{#is_alert}} @webhook-leaky @webhook-nowhere {{/is_alert}} see https://x/?token=abcdef0123456789",
            &[SampleTransition::Alert, SampleTransition::Recovery],
        );
        let shown = serde_json::to_string(&p).expect("json");
        let text = render_text(&p);
        for out in [&shown, &text] {
            assert!(!out.contains(LEAK), "{out}");
            assert!(!out.contains("abcdef0123456789"), "{out}");
        }
        let w = &p.transitions[0].webhooks[0];
        assert_eq!(w.source, Some(WebhookSource::Org));
        assert_eq!(
            w.headers["Content-Type"],
            json!("application/x-www-form-urlencoded")
        );
        assert!(w.url.as_deref().is_some_and(|u| u.ends_with("&m=1234567")));
        assert_eq!(w.payload["env"], json!("prod"));
        assert_eq!(
            w.payload["title"],
            json!("[Triggered] sample monitor with block g")
        );
        let missing = &p.transitions[0].webhooks[1];
        assert!(missing.url.is_none() && missing.error.is_some());
        assert!(p.transitions[1].webhooks.is_empty());
        assert!(p.transitions[1].handles.is_empty());
        assert!(text.contains("handles: none"), "{text}");
    }

    #[test]
    fn the_json_shape_is_the_documented_one() {
        let p = run(PAIR, &[SampleTransition::Renotify]);
        let v = serde_json::to_value(&p).expect("json");
        assert_eq!(v["format_version"], json!(1));
        assert_eq!(v["block"], json!("g"));
        let t = &v["transitions"][0];
        assert_eq!(t["transition"], json!("renotify"));
        assert_eq!(t["renotify"], json!(true));
        for key in ["name", "url", "headers", "payload"] {
            assert!(t["webhooks"][0].get(key).is_some(), "{key}: {t}");
        }
        let m = Preview {
            subject: Subject::Monitor {
                id: 5,
                name: "m".into(),
            },
            ..p
        };
        let v = serde_json::to_value(&m).expect("json");
        assert_eq!(v["monitor"], json!({"id": 5, "name": "m"}));
    }

    #[test]
    fn links_point_at_the_site_and_bad_templates_are_errors() {
        assert_eq!(app_host("datadoghq.com"), "app.datadoghq.com");
        assert_eq!(app_host("us3.datadoghq.com"), "us3.datadoghq.com");
        let (webhooks, variables, monitor) = inputs();
        let masker = Masker::new("s");
        let input = PreviewInput {
            subject: Subject::Block("g".into()),
            template: "{{#is_alert}} unclosed",
            monitor: &monitor,
            site: "datadoghq.com",
            webhooks: &webhooks,
            variables: &variables,
            masker: &masker,
        };
        assert!(preview(&input, &SampleTransition::ALL).is_err());
        let priority = MonitorFacts {
            priority: Some(1),
            ..monitor.clone()
        };
        let input = PreviewInput {
            template: "{{#is_priority 'P1'}} @pager {{/is_priority}}",
            monitor: &priority,
            ..input
        };
        let p = preview(&input, &[SampleTransition::Alert]).expect("valid");
        assert_eq!(p.transitions[0].handles, ["pager"]);
    }
}
