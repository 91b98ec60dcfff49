//! The JSON Schema of the manifest format, for editors' YAML language server
//! (`# yaml-language-server: $schema=…`): completion and early red squiggles.
//!
//! Written by hand (a test keeps its keys those of the decoder), because the loader reads a
//! spanned YAML tree rather than serde types. The schema checks structure (keys, types,
//! ranges, name patterns); checks across objects and files stay the loader's.

use super::raw::Delivery;
use super::rule::{MAX_CONDITIONS, MAX_FILTER_TAGS, MAX_RECIPIENTS, MAX_SCOPE_CHARS};
use serde_json::{json, Value};

/// Every condition a `notify` key may name, negatable with `^`.
const CONDITION_PATTERN: &str = r"^\^?(is_alert|is_warning|is_no_data|is_unknown|is_recovery|is_alert_recovery|is_warning_recovery|is_no_data_recovery|is_alert_to_warning|is_renotify|is_priority\s*['\x22][Pp][1-5]['\x22])$";

/// The conditions a notification rule can route on (`delivery: rule`), never negated; the
/// loader's [`super::rule::condition_scope`] says the same.
const RULE_CONDITION_PATTERN: &str =
    r"^(is_alert|is_recovery|is_warning|is_no_data|is_priority\s*['\x22][Pp][1-5]['\x22])$";

/// What `delivery: rule` adds to a block's schema, as far as JSON Schema can say it: no
/// `ids`, `name` or `text`; `tags` (1–20) or `scope`, not both; at least one condition, at
/// most ten in `notify`, with at most twenty handles in a list. Without `delivery: rule`,
/// `monitors.scope` is refused.
fn delivery_rules() -> Value {
    let is_rule = json!({"required": ["delivery"], "properties": {"delivery": {"const": "rule"}}});
    json!({
        "if": is_rule,
        "then": {
            "anyOf": [{"required": ["pair"]}, {"required": ["notify"]}, {"required": ["always"]}],
            "properties": {
                "text": false,
                "always": {"maxItems": MAX_RECIPIENTS},
                "otherwise": {"maxItems": MAX_RECIPIENTS},
                "monitors": {
                    "properties": {
                        "ids": false,
                        "name": false,
                        "tags": {"minItems": 1, "maxItems": MAX_FILTER_TAGS}
                    },
                    "oneOf": [{"required": ["tags"]}, {"required": ["scope"]}]
                },
                "notify": {
                    "minProperties": 1,
                    "maxProperties": MAX_CONDITIONS,
                    "propertyNames": {"pattern": RULE_CONDITION_PATTERN},
                    "additionalProperties": {"maxItems": MAX_RECIPIENTS}
                }
            }
        },
        "else": {
            "properties": {
                "monitors": {"properties": {"scope": false}},
                "always": false,
                "otherwise": false
            }
        }
    })
}

/// The schema as JSON (draft-07, which YAML language servers understand best).
pub fn schema() -> Value {
    let status = json!({"type": "integer", "minimum": 0, "maximum": 3});
    let string_list = json!({"type": "array", "items": {"type": "string"}});
    let webhook_name = r"^[A-Za-z0-9_-]+$";
    let variable = json!({
        "type": "object",
        "description": "A custom variable of the Webhooks integration, sent as $NAME.",
        "additionalProperties": false,
        "required": ["value"],
        "properties": {
            "value": {"type": "string", "description": "The value; use ${env:NAME} for secrets."},
            "secret": {"type": "boolean", "default": false, "description": "Secret values are never shown or returned."}
        }
    });
    let pair = json!({
        "type": "object",
        "description": "Makes <pair>-alert-check and <pair>-ok-check (and -warning-check, -no-data-check) calling /api/v1/check_run.",
        "additionalProperties": false,
        "required": ["check"],
        "properties": {
            "check": {"type": "string", "description": "The check run name, e.g. mygroup.status."},
            "host_name": {"type": "string", "default": "$HOSTNAME"},
            "tags": {"type": "array", "items": {"type": "string"}, "default": ["monitor_id:$ALERT_ID"]},
            "api_key_variable": {"type": "string", "default": "DD_API_KEY", "pattern": "^[A-Z0-9_]+$"},
            "seed_status": {"type": "boolean", "default": true, "description": "Whether the group's monitors get one check run of their current state when first wired, so a board counts them at once."},
            "statuses": {
                "type": "object",
                "additionalProperties": false,
                "minProperties": 1,
                "properties": {
                    "alert": status, "recovery": status, "warning": status, "no_data": status
                }
            }
        }
    });
    let webhook = json!({
        "type": "object",
        "description": "A webhook written out in full.",
        "additionalProperties": false,
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "pattern": "^(\\$\\{env:|[Hh][Tt][Tt][Pp][Ss]?://[^/])"},
            "payload": {"description": "Any YAML value, sent as JSON; omit for Datadog's default."},
            "custom_headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "encode_as": {"enum": ["json", "form"], "default": "json"},
            "renamed_from": {"type": "string", "pattern": webhook_name}
        }
    });
    let block = json!({
        "type": "object",
        "description": "A managed block in the messages of the selected monitors, or (delivery: rule) a monitor notification rule.",
        "additionalProperties": false,
        "required": ["monitors"],
        "properties": {
            "monitors": {
                "type": "object",
                "additionalProperties": false,
                "minProperties": 1,
                "properties": {
                    "ids": {"type": "array", "items": {"type": "integer"}},
                    "tags": string_list,
                    "name": {"type": "string", "minLength": 1},
                    "scope": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_SCOPE_CHARS,
                        "description": "An event-search expression over the monitors' tags (delivery: rule only), e.g. `team:checkout AND NOT env:dev`."
                    }
                }
            },
            "pair": {"type": "string"},
            "notify": {
                "type": "object",
                "propertyNames": {"pattern": CONDITION_PATTERN},
                "additionalProperties": {
                    "anyOf": [
                        {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^@[^\\s()]+$"}},
                        {"type": "string", "pattern": "^\\s*@"}
                    ]
                }
            },
            "always": {
                "description": "delivery: rule only: the rule's plain recipients, notified on every notification (instead of conditions).",
                "anyOf": [
                    {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^@[^\\s()]+$"}},
                    {"type": "string", "pattern": "^\\s*@"}
                ]
            },
            "otherwise": {
                "description": "delivery: rule only: the rule's fallback recipients, notified when none of its conditions applied.",
                "anyOf": [
                    {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^@[^\\s()]+$"}},
                    {"type": "string", "pattern": "^\\s*@"}
                ]
            },
            "text": {"type": "string"},
            "delivery": {
                "enum": Delivery::NAMES,
                "default": "message",
                "description": "message: a managed block in each monitor's message; rule: a monitor notification rule (selects by tags or scope; is_alert, is_recovery, is_warning, is_no_data, is_priority only)."
            }
        },
        "allOf": [delivery_rules()]
    });
    let board = json!({
        "type": "object",
        "description": "A free-layout dashboard ddhooks owns whole: one Check status widget per pair, counting its monitors by status.",
        "additionalProperties": false,
        "required": ["title", "pairs"],
        "properties": {
            "title": {"type": "string", "pattern": "\\S", "description": "The dashboard's title, unique among boards (adoption goes by it)."},
            "description": {"type": "string"},
            "pairs": {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string", "pattern": webhook_name}},
            "tags": {"type": "array", "items": {"type": "string"}, "default": ["*"], "description": "The check runs every widget counts: those with all these tags."}
        }
    });
    let auth_method = json!({
        "type": "object",
        "description": "An OAuth2 client-credentials auth method of the Webhooks integration, named in Datadog by its key.",
        "additionalProperties": false,
        "required": ["access_token_url", "client_id", "client_secret"],
        "properties": {
            "access_token_url": {"type": "string", "pattern": "^https://[^/?#\\s]+", "description": "The token endpoint the client credentials are sent to."},
            "client_id": {"type": "string", "pattern": "\\S"},
            "client_secret": {"type": "string", "pattern": "\\$\\{env:", "description": "A `${env:NAME}` reference: Datadog never returns it, ddhooks keeps a salted fingerprint and shows it as (sensitive)."},
            "audience": {"type": "string"},
            "scope": {"type": "string"}
        }
    });
    let routing_test = routing_test_schema();
    let root = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/ddhooks/ddhooks/manifest-v1.json",
        "title": "ddhooks manifest (version 1)",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "version": {"const": 1},
            "custom_variables": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": "^[A-Z0-9_]+$"},
                "additionalProperties": variable
            },
            "webhook_pairs": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": webhook_name},
                "additionalProperties": pair
            },
            "webhooks": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": webhook_name},
                "additionalProperties": webhook
            },
            "monitor_notifications": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": webhook_name},
                "additionalProperties": block
            },
            "status_boards": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": webhook_name},
                "additionalProperties": board
            },
            "external_webhooks": {"type": ["array", "null"], "items": {"type": "string", "pattern": webhook_name}},
            "webhook_auth_methods": {
                "type": ["object", "null"],
                "additionalProperties": auth_method
            },
            "routing_tests": {
                "type": ["object", "null"],
                "additionalProperties": routing_test
            }
        }
    });
    root
}

/// A routing test (`routing_tests:`): `monitors` or `given`, a transition, and at least one
/// expectation; `nobody: true` with nothing that expects a recipient.
fn routing_test_schema() -> Value {
    let handles = json!({
        "anyOf": [
            {"type": "array", "items": {"type": "string", "pattern": "^@\\S+$"}},
            {"type": "string", "pattern": "^\\s*@"}
        ]
    });
    let selector = json!({
        "type": "object",
        "additionalProperties": false,
        "minProperties": 1,
        "properties": {
            "ids": {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "integer"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "name": {"type": "string", "minLength": 1},
            "scope": {"type": "string", "description": "An event-search expression over the monitors' tags, as a rule's filter."}
        }
    });
    json!({
        "type": "object",
        "description": "What must hold of routing: checked by `ddhooks test` and by every plan.",
        "additionalProperties": false,
        "required": ["transition"],
        "oneOf": [{"required": ["monitors"]}, {"required": ["given"]}],
        "anyOf": [
            {"required": ["includes"]}, {"required": ["excludes"]}, {"required": ["exactly"]},
            {"required": ["nobody"]}, {"required": ["somebody"]}
        ],
        "properties": {
            "monitors": selector,
            "given": {
                "type": "object",
                "description": "A monitor described here: the blocks and rules that would select it apply to it, without Datadog.",
                "additionalProperties": false,
                "properties": {
                    "name": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "priority": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 5}, {"type": "string", "pattern": "^[Pp][1-5]$"}]},
                    "message": {"type": "string"}
                }
            },
            "transition": {"enum": crate::preview::SampleTransition::ALL.map(crate::preview::SampleTransition::name)},
            "includes": handles.clone(),
            "excludes": handles.clone(),
            "exactly": handles,
            "nobody": {"const": true},
            "somebody": {"const": true}
        },
        "if": {"required": ["nobody"]},
        "then": {"not": {"anyOf": [{"required": ["includes"]}, {"required": ["somebody"]}]}}
    })
}

/// The schema as pretty-printed JSON text.
pub fn schema_text() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::raw::{
        AUTH_METHOD_KEYS, BLOCK_KEYS, BOARD_KEYS, PAIR_KEYS, SELECTOR_KEYS, STATUS_KEYS, TOP_KEYS,
        VARIABLE_KEYS, WEBHOOK_KEYS,
    };
    use super::super::routing_test::{GIVEN_KEYS, ROUTING_TEST_KEYS};
    use super::super::rule::condition_scope;
    use super::*;
    use crate::model::{Condition, SectionCondition};

    fn keys_match(schema: &Value, keys: &[&str]) -> bool {
        schema["properties"]
            .as_object()
            .is_some_and(|p| p.len() == keys.len() && keys.iter().all(|k| p.contains_key(*k)))
    }

    /// The schema's rule conditions are exactly those the loader turns into rule
    /// conditions, so an editor never accepts what `validate` refuses, or the reverse.
    #[test]
    fn the_rule_condition_pattern_is_the_loaders() {
        let Ok(rule) = regex::Regex::new(RULE_CONDITION_PATTERN) else {
            panic!("RULE_CONDITION_PATTERN does not compile");
        };
        let Ok(any) = regex::Regex::new(CONDITION_PATTERN) else {
            panic!("CONDITION_PATTERN does not compile");
        };
        let conditions = Condition::SIMPLE
            .into_iter()
            .chain((1..=5).map(Condition::IsPriority));
        for condition in conditions {
            for negated in [false, true] {
                let when = SectionCondition { condition, negated };
                let text = when.to_string();
                assert!(any.is_match(&text), "{text}");
                assert_eq!(
                    rule.is_match(&text),
                    condition_scope(when).is_some(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn schema_keys_are_the_decoders_keys() {
        let s = schema();
        let p = &s["properties"];
        assert!(keys_match(&s, TOP_KEYS));
        assert!(keys_match(
            &p["custom_variables"]["additionalProperties"],
            VARIABLE_KEYS
        ));
        assert!(keys_match(
            &p["webhook_pairs"]["additionalProperties"],
            PAIR_KEYS
        ));
        assert!(keys_match(
            &p["webhook_pairs"]["additionalProperties"]["properties"]["statuses"],
            STATUS_KEYS
        ));
        assert!(keys_match(
            &p["webhooks"]["additionalProperties"],
            WEBHOOK_KEYS
        ));
        let block = &p["monitor_notifications"]["additionalProperties"];
        assert!(keys_match(block, BLOCK_KEYS));
        assert!(keys_match(&block["properties"]["monitors"], SELECTOR_KEYS));
        assert!(keys_match(
            &p["status_boards"]["additionalProperties"],
            BOARD_KEYS
        ));
        assert!(keys_match(
            &p["webhook_auth_methods"]["additionalProperties"],
            AUTH_METHOD_KEYS
        ));
        let case = &p["routing_tests"]["additionalProperties"];
        assert!(keys_match(case, ROUTING_TEST_KEYS));
        assert!(keys_match(&case["properties"]["given"], GIVEN_KEYS));
        assert!(keys_match(&case["properties"]["monitors"], SELECTOR_KEYS));
    }
}
