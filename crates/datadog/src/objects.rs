//! The client in the model's terms: writes of webhooks, custom variables and monitors from
//! the domain's types, reads into them. Callers outside this crate never build a wire type.

use crate::client::{remote_monitor, Keep, PageSink};
use crate::fetch::{
    remote_auth_method, remote_auth_methods, remote_board, remote_rule, remote_variable,
    remote_webhook,
};
use crate::{wire, ApiError, Client};
use ddhooks_core::model::{
    canonical, BoardWidget, NotificationRule, RemoteAuthMethod, RemoteBoard, RemoteMonitor,
    RemoteRule, RemoteVariable, RemoteWebhook, StatusBoard, Unmodelled,
};
use ddhooks_core::plan::{AuthMethodState, MonitorInterest, SeedRun, WebhookState};
use ddhooks_core::preview::MonitorFacts;
use std::sync::Arc;

/// A monitor to create (the demo and tests make monitors people wrote).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMonitor {
    /// Its name.
    pub name: String,
    /// Datadog's monitor type, e.g. `metric alert`.
    pub monitor_type: String,
    /// Its query.
    pub query: String,
    /// Its message.
    pub message: String,
    /// Its tags.
    pub tags: Vec<String>,
}

/// Payload and headers travel as JSON text inside JSON strings (a JSON value, and a map of
/// strings, whose text form cannot fail; written straight to a buffer, not through
/// `Display`'s formatter, which was most of this function's cost on apply's chain).
fn encoded(state: &WebhookState) -> (Option<String>, Option<String>) {
    let payload = state
        .payload
        .as_ref()
        .map(|p| serde_json::to_string(p).unwrap_or_else(|_| p.to_string()));
    let headers = state
        .custom_headers
        .as_ref()
        .map(|h| serde_json::to_string(h).unwrap_or_default());
    (payload, headers)
}

/// A rule as the API takes it: `data` without id on create, with the id on PATCH (which
/// replaces the whole rule, so every attribute is sent: the modelled ones, the model's
/// canonical JSON of `rule`, then every other one carried over as read).
fn rule_document(
    rule: &NotificationRule,
    id: Option<&str>,
    carried: &Unmodelled,
) -> Result<wire::RuleDocument, ApiError> {
    let mut attributes: serde_json::Map<String, serde_json::Value> = canonical::rule(rule)
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect();
    for (key, value) in carried.fields() {
        attributes
            .entry(key.clone())
            .or_insert_with(|| value.clone());
    }
    let attributes =
        serde_json::from_value(serde_json::Value::Object(attributes)).map_err(|err| {
            ApiError::Encode {
                object: format!("notification rule {}", rule.name),
                detail: err.to_string(),
            }
        })?;
    Ok(wire::RuleDocument {
        data: wire::RuleData {
            kind: wire::NOTIFICATION_RULE_TYPE.to_string(),
            id: id.map(str::to_string),
            attributes,
            relationships: None,
        },
        included: None,
    })
}

/// A status board as the API takes it: a free-layout dashboard holding exactly its widgets,
/// each the model's canonical definition and layout (a `PUT` replaces the dashboard whole,
/// so every field is sent: the modelled ones from `board`, every other one carried over as
/// read).
fn board_document(board: &StatusBoard, carried: &Unmodelled) -> wire::Dashboard {
    let widgets = board
        .widgets
        .iter()
        .filter_map(|w| match w {
            BoardWidget::CheckStatus { layout, .. } => Some(wire::DashboardWidget {
                definition: canonical::widget_definition(w),
                layout: Some(wire::WidgetLayout {
                    x: i64::from(layout.x),
                    y: i64::from(layout.y),
                    width: i64::from(layout.width),
                    height: i64::from(layout.height),
                }),
                id: None,
            }),
            // ddhooks never writes widgets of other types: a board holds only its own.
            BoardWidget::Other { .. } => None,
        })
        .collect();
    let mut extra = carried.fields().clone();
    extra
        .entry("notify_list")
        .or_insert_with(|| serde_json::json!([]));
    extra
        .entry("template_variables")
        .or_insert_with(|| serde_json::json!([]));
    wire::Dashboard {
        id: None,
        title: board.title.clone(),
        description: Some(board.description.clone().unwrap_or_default()),
        layout_type: "free".into(),
        widgets,
        extra,
    }
}

/// Check runs per `POST /api/v1/check_run`: far under Datadog's 512 KB intake limit for a
/// payload (a seeded run is about 150 bytes), and few requests for thousands of monitors.
pub const CHECK_RUN_BATCH: usize = 500;

/// Monitor pages import's listing keeps in flight while other requests wait: the reads of
/// the webhooks the pages mention take the rest of `--concurrency`, so a page never waits
/// behind hundreds of them (and the webhooks the next pages mention come in time).
pub const IMPORT_PAGES: usize = 4;

/// The body of an auth method's create or PATCH: every field, the secret included (a PATCH
/// sets what it holds; `null` clears an audience or scope no longer wanted).
fn auth_method_request(
    state: &AuthMethodState,
) -> Result<wire::OAuth2AuthMethodWriteRequest, ApiError> {
    let secret = state.client_secret.value.as_ref().ok_or_else(|| ApiError::Decode {
        object: format!("webhook auth method {}", state.name),
        detail: "the plan holds no client secret to write (a plan read back from a file?); plan again".into(),
    })?;
    Ok(wire::OAuth2AuthMethodWriteRequest {
        data: wire::OAuth2AuthMethodWriteData {
            kind: wire::OAUTH2_AUTH_METHOD_TYPE.to_string(),
            attributes: wire::OAuth2AuthMethodWrite {
                name: Some(state.name.clone()),
                access_token_url: Some(state.access_token_url.clone()),
                client_id: Some(state.client_id.clone()),
                client_secret: Some(secret.expose().to_string()),
                audience: Some(state.audience.clone()),
                scope: Some(state.scope.clone()),
            },
        },
    })
}

impl Client {
    /// Every webhook auth method of the org, decoded (one unpaged listing).
    pub async fn read_auth_methods(&self) -> Result<Vec<RemoteAuthMethod>, ApiError> {
        Ok(remote_auth_methods(self.list_auth_methods().await?))
    }

    /// Reads an auth method by id (`None`: it does not exist).
    pub async fn read_auth_method(&self, id: &str) -> Result<Option<RemoteAuthMethod>, ApiError> {
        Ok(self
            .get_auth_method(id)
            .await?
            .map(|d| remote_auth_method(&d.data)))
    }

    /// Creates an auth method; returns the id Datadog gave it.
    pub async fn create_auth_method_as(&self, state: &AuthMethodState) -> Result<String, ApiError> {
        let body = auth_method_request(state)?;
        Ok(self.create_auth_method(&state.name, &body).await?.data.id)
    }

    /// Writes every field of auth method `id`, its secret included.
    pub async fn update_auth_method_as(
        &self,
        id: &str,
        state: &AuthMethodState,
    ) -> Result<(), ApiError> {
        let body = auth_method_request(state)?;
        self.patch_auth_method(&state.name, id, &body)
            .await
            .map(|_| ())
    }

    /// Every dashboard's title, by id (one paged listing, without widgets).
    pub async fn read_dashboard_titles(&self) -> Result<Vec<(String, String)>, ApiError> {
        Ok(self
            .list_dashboards()
            .await?
            .into_iter()
            .map(|d| (d.id, d.title))
            .collect())
    }

    /// Reads a dashboard as a status board (`None`: it does not exist).
    pub async fn read_board(&self, id: &str) -> Result<Option<RemoteBoard>, ApiError> {
        Ok(self.get_dashboard(id).await?.and_then(remote_board))
    }

    /// Creates a status board; returns the dashboard's id.
    pub async fn create_board_as(&self, board: &StatusBoard) -> Result<String, ApiError> {
        let created = self
            .create_dashboard(&board_document(board, &Unmodelled::default()))
            .await?;
        created.id.ok_or_else(|| ApiError::Decode {
            object: format!("dashboard {}", board.title),
            detail: "the answer to the create has no id".to_string(),
        })
    }

    /// Replaces dashboard `id` with `board`, carrying over the fields ddhooks does not model.
    pub async fn update_board_as(
        &self,
        id: &str,
        board: &StatusBoard,
        carried: &Unmodelled,
    ) -> Result<(), ApiError> {
        self.put_dashboard(id, &board_document(board, carried))
            .await
            .map(|_| ())
    }

    /// Submits seeded check runs, [`CHECK_RUN_BATCH`] per request, one request at a time.
    pub async fn submit_seeds(&self, seeds: &[&SeedRun]) -> Result<(), ApiError> {
        for batch in seeds.chunks(CHECK_RUN_BATCH) {
            let runs: Vec<wire::ServiceCheck> = batch
                .iter()
                .map(|s| wire::ServiceCheck {
                    check: s.check.clone(),
                    host_name: s.host_name.clone(),
                    status: s.status,
                    tags: s.tags.clone(),
                    message: None,
                    timestamp: None,
                })
                .collect();
            self.post_check_runs(&runs).await?;
        }
        Ok(())
    }

    /// Every notification rule of the org, decoded (one paged read).
    pub async fn read_rules(&self) -> Result<Vec<RemoteRule>, ApiError> {
        Ok(self
            .list_rules()
            .await?
            .into_iter()
            .filter_map(remote_rule)
            .collect())
    }

    /// Reads a notification rule by id (`None`: it does not exist).
    pub async fn read_rule(&self, id: &str) -> Result<Option<RemoteRule>, ApiError> {
        Ok(self.get_rule(id).await?.and_then(|d| remote_rule(d.data)))
    }

    /// Creates a notification rule; returns the id Datadog gave it.
    pub async fn create_rule_as(&self, rule: &NotificationRule) -> Result<String, ApiError> {
        let created = self
            .create_rule(&rule_document(rule, None, &Unmodelled::default())?)
            .await?;
        created.data.id.ok_or_else(|| ApiError::Decode {
            object: format!("notification rule {}", rule.name),
            detail: "the answer to the create has no id".to_string(),
        })
    }

    /// Replaces notification rule `id` with `rule`, carrying over the attributes ddhooks
    /// does not model.
    pub async fn update_rule_as(
        &self,
        id: &str,
        rule: &NotificationRule,
        carried: &Unmodelled,
    ) -> Result<(), ApiError> {
        self.patch_rule(id, &rule_document(rule, Some(id), carried)?)
            .await
            .map(|_| ())
    }

    /// Reads a webhook by name, decoded (`None`: it does not exist).
    pub async fn read_webhook(&self, name: &str) -> Result<Option<RemoteWebhook>, ApiError> {
        Ok(self.get_webhook(name).await?.as_ref().map(remote_webhook))
    }

    /// Reads a custom variable by name, decoded (`None`: it does not exist).
    pub async fn read_variable(&self, name: &str) -> Result<Option<RemoteVariable>, ApiError> {
        Ok(self.get_variable(name).await?.as_ref().map(remote_variable))
    }

    /// Every monitor of the org (pages of 1,000), decoded; monitors without an id are skipped.
    pub async fn read_monitors(&self) -> Result<Vec<RemoteMonitor>, ApiError> {
        Ok(self
            .list_monitors()
            .await?
            .into_iter()
            .filter_map(remote_monitor)
            .collect())
    }

    /// Every monitor of the org, each page sent to `pages` as soon as it is decoded (import
    /// reads the webhooks a page mentions while the next pages come), each with its message
    /// only when the message mentions a webhook or holds a ddhooks marker
    /// ([`MonitorInterest::marked_messages`]); returns how many were listed. `pages` ends
    /// when the listing does.
    pub async fn stream_monitors_for_import(&self, pages: PageSink) -> Result<usize, ApiError> {
        // Beside a thousand webhook reads, the listing keeps a steady share of the requests
        // and holds a few pages of megabytes at a time, not sixteen. It never widens: it
        // reads until a short page, and each page in flight may be one past the end.
        let keep = Keep {
            interest: Some(Arc::new(MonitorInterest::marked_messages())),
            sink: Some(pages),
            in_flight: Some(IMPORT_PAGES),
        };
        Ok(self.list_monitors_expecting(0, keep).await?.listed)
    }

    /// Creates a webhook named `name` as `state` (a missing payload lets Datadog store its
    /// default).
    pub async fn create_webhook_as(
        &self,
        name: &str,
        state: &WebhookState,
    ) -> Result<(), ApiError> {
        let (payload, custom_headers) = encoded(state);
        let body = wire::WebhookCreateRequest {
            name: name.to_string(),
            url: state.url.clone(),
            payload,
            custom_headers,
            encode_as: Some(state.encode_as.as_str().to_string()),
            auth_method_id: None,
        };
        self.create_webhook(&body).await.map(|_| ())
    }

    /// Overwrites webhook `current` with `state`, renaming it to `new_name` when given.
    pub async fn update_webhook_as(
        &self,
        current: &str,
        new_name: Option<&str>,
        state: &WebhookState,
    ) -> Result<(), ApiError> {
        let (payload, custom_headers) = encoded(state);
        let body = wire::WebhookUpdateRequest {
            name: new_name.map(str::to_string),
            url: Some(state.url.clone()),
            payload: Some(payload),
            custom_headers: Some(custom_headers),
            encode_as: Some(state.encode_as.as_str().to_string()),
            // Never sent: a PUT is partial, so the auth method people linked is kept.
            auth_method_id: None,
        };
        self.update_webhook(current, &body).await.map(|_| ())
    }

    /// Creates a custom variable.
    pub async fn create_variable_as(
        &self,
        name: &str,
        value: &str,
        secret: bool,
    ) -> Result<(), ApiError> {
        let body = wire::CustomVariableCreateRequest {
            is_secret: secret,
            name: name.to_string(),
            value: value.to_string(),
        };
        self.create_variable(&body).await.map(|_| ())
    }

    /// Overwrites a custom variable's value and secrecy.
    pub async fn update_variable_as(
        &self,
        name: &str,
        value: &str,
        secret: bool,
    ) -> Result<(), ApiError> {
        let body = wire::CustomVariableUpdateRequest::overwrite(value, secret);
        self.update_variable(name, &body).await.map(|_| ())
    }

    /// One `POST` of a non-secret custom variable whose unknown outcome is an error rather
    /// than resolved by reading (for the apply lock, whose creation must not overwrite
    /// another's); returns the stored value.
    pub async fn post_variable_as(
        &self,
        name: &str,
        value: &str,
    ) -> Result<Option<String>, ApiError> {
        let body = wire::CustomVariableCreateRequest {
            is_secret: false,
            name: name.to_string(),
            value: value.to_string(),
        };
        Ok(self.post_variable(&body).await?.value)
    }

    /// Reads a monitor as a preview needs it: what its notifications can say of it, and
    /// its message (`None`: it does not exist).
    pub async fn read_monitor_facts(
        &self,
        id: i64,
    ) -> Result<Option<(MonitorFacts, String)>, ApiError> {
        Ok(self.get_monitor(id).await?.map(|m| {
            let priority = m
                .extra
                .get("priority")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u8::try_from(n).ok())
                .filter(|p| (1..=5).contains(p));
            let facts = MonitorFacts {
                id: m.id.unwrap_or(id),
                name: m.name.unwrap_or_default(),
                query: m.query,
                monitor_type: m.monitor_type,
                tags: m.tags,
                priority,
            };
            (facts, m.message.unwrap_or_default())
        }))
    }

    /// Reads a monitor's message (`None`: the monitor does not exist).
    pub async fn read_monitor_message(&self, id: i64) -> Result<Option<String>, ApiError> {
        Ok(self
            .get_monitor_message(id)
            .await?
            .map(|m| m.message.unwrap_or_default()))
    }

    /// The monitors `keep` wants, decoded, when about `expected` are known to exist (sizes
    /// a parallel read of the pages); each page is filtered as it arrives.
    pub async fn monitors_expecting(
        &self,
        expected: usize,
        keep: Arc<MonitorInterest>,
    ) -> Result<Vec<RemoteMonitor>, ApiError> {
        Ok(self
            .list_monitors_expecting(expected, Some(keep).into())
            .await?
            .monitors
            .into_iter()
            .filter_map(remote_monitor)
            .collect())
    }

    /// Writes a monitor's message alone (a body holding only `message`, so `options` and
    /// every other field people set are kept).
    pub async fn write_monitor_message(&self, id: i64, message: &str) -> Result<(), ApiError> {
        self.update_monitor_message(id, message).await.map(|_| ())
    }

    /// Creates a monitor; returns its id.
    pub async fn create_monitor_as(&self, monitor: &NewMonitor) -> Result<i64, ApiError> {
        let body = wire::Monitor {
            id: None,
            monitor_type: monitor.monitor_type.clone(),
            query: monitor.query.clone(),
            name: Some(monitor.name.clone()),
            message: Some(monitor.message.clone()),
            tags: monitor.tags.clone(),
            options: None,
            extra: Default::default(),
        };
        let created = self.create_monitor(&body).await?;
        created.id.ok_or_else(|| ApiError::Decode {
            object: format!("monitor {}", monitor.name),
            detail: "the answer to the create has no id".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddhooks_core::model::{
        Condition, RuleCondition, RuleConditionScope, RuleFilter, RuleRecipients, WidgetLayout,
    };
    use serde_json::json;

    fn carried(fields: serde_json::Value) -> Unmodelled {
        Unmodelled::new(fields.as_object().cloned().unwrap_or_default())
    }

    /// A PATCH replaces a rule whole: every attribute ddhooks does not model — one Datadog
    /// documents and ones it may add later — goes back as read, beside the modelled ones.
    #[test]
    fn a_rule_write_carries_every_unmodelled_attribute() {
        let rule = NotificationRule {
            name: "grp".into(),
            filter: RuleFilter::Tags(vec!["team:a".into()]),
            recipients: RuleRecipients::Conditional {
                conditions: vec![RuleCondition {
                    scope: RuleConditionScope::Transition(Condition::IsAlert),
                    recipients: vec!["webhook-grp-alert-check".into()],
                }],
                fallback: vec![],
            },
        };
        let extra = json!({"bundle_config": {"duration": 300}, "future": [1, {"a": null}]});
        let body =
            serde_json::to_value(rule_document(&rule, Some("id-1"), &carried(extra)).unwrap())
                .unwrap();
        let attributes = &body["data"]["attributes"];
        assert_eq!(attributes["bundle_config"], json!({"duration": 300}));
        assert_eq!(attributes["future"], json!([1, {"a": null}]));
        assert_eq!(attributes["name"], "grp");
        assert!(attributes.get("recipients").is_none());
        assert_eq!(body["data"]["id"], "id-1");
    }

    /// A PUT replaces a dashboard whole: people's fields go back as read; a create sends
    /// the recorded empty defaults.
    #[test]
    fn a_board_write_carries_every_unmodelled_field() {
        let board = StatusBoard {
            title: "T".into(),
            description: None,
            widgets: vec![],
        };
        let extra = json!({"template_variables": [{"name": "env"}], "notify_list": ["@a"],
                           "reflow_type": "fixed", "x_new": {"b": 2}});
        let body = serde_json::to_value(board_document(&board, &carried(extra.clone()))).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            assert_eq!(&body[k], v, "{k}");
        }
        let created = serde_json::to_value(board_document(&board, &Unmodelled::default())).unwrap();
        assert_eq!(created["template_variables"], json!([]));
        assert_eq!(created["notify_list"], json!([]));
    }

    /// The bodies of rule and board writes, byte for byte: built from the model's canonical
    /// JSON, they must stay what Datadog was sent before.
    #[test]
    fn rule_and_board_bodies_are_what_datadog_was_always_sent() {
        let rule = NotificationRule {
            name: "scoped".into(),
            filter: RuleFilter::Scope("team:a AND NOT env:dev".into()),
            recipients: RuleRecipients::Conditional {
                conditions: [
                    (
                        RuleConditionScope::Transition(Condition::IsAlert),
                        "pagerduty-a",
                    ),
                    (RuleConditionScope::Tag("priority:p1".into()), "slack-p1"),
                ]
                .into_iter()
                .map(|(scope, to)| RuleCondition {
                    scope,
                    recipients: vec![to.into()],
                })
                .collect(),
                fallback: vec!["slack-rest".into()],
            },
        };
        let extra = carried(json!({"bundle_config": {"duration": 300}}));
        let body =
            serde_json::to_string(&rule_document(&rule, Some("r-1"), &extra).unwrap()).unwrap();
        assert_eq!(
            body,
            r#"{"data":{"type":"monitor-notification-rule","id":"r-1","attributes":{"name":"scoped","filter":{"scope":"team:a AND NOT env:dev"},"conditional_recipients":{"conditions":[{"scope":"transition_type:is_alert","recipients":["pagerduty-a"]},{"scope":"priority:p1","recipients":["slack-p1"]}],"fallback_recipients":["slack-rest"]},"bundle_config":{"duration":300}}}}"#
        );
        let tags = NotificationRule {
            name: "team-a".into(),
            filter: RuleFilter::Tags(vec!["team:a".into()]),
            recipients: RuleRecipients::Always(vec!["slack-a".into()]),
        };
        let body =
            serde_json::to_string(&rule_document(&tags, None, &Unmodelled::default()).unwrap())
                .unwrap();
        assert_eq!(
            body,
            r#"{"data":{"type":"monitor-notification-rule","attributes":{"name":"team-a","filter":{"tags":["team:a"]},"recipients":["slack-a"]}}}"#
        );
        let board = StatusBoard {
            title: "Pairs".into(),
            description: None,
            widgets: vec![
                BoardWidget::CheckStatus {
                    title: "g".into(),
                    check: "g.status".into(),
                    grouping: "cluster".into(),
                    tags: vec!["*".into()],
                    layout: WidgetLayout {
                        x: 0,
                        y: 2,
                        width: 4,
                        height: 3,
                    },
                },
                BoardWidget::Other {
                    kind: "note".into(),
                    title: None,
                },
            ],
        };
        let body = serde_json::to_string(&board_document(&board, &Unmodelled::default())).unwrap();
        assert_eq!(
            body,
            r#"{"title":"Pairs","description":"","layout_type":"free","widgets":[{"definition":{"type":"check_status","title":"g","check":"g.status","grouping":"cluster","tags":["*"]},"layout":{"x":0,"y":2,"width":4,"height":3}}],"notify_list":[],"template_variables":[]}"#
        );
    }
}
