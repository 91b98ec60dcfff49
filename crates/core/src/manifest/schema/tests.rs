//! The schema's tests: the decoder's keys are its mappings' properties, and every
//! constraint it states refuses what breaks it.

use super::super::rule::condition_scope;
use super::*;
use crate::manifest::format::transforms::{CONDITION_PATTERN, RULE_CONDITION_PATTERN};
use crate::model::{Condition, SectionCondition};
use serde_json::{json, Map};

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

/// The mapping at `path` (keys, `*` for a section's entries) in the whole schema, each
/// `$ref` followed.
fn mapping<'s>(schema: &'s Value, path: &[&str]) -> &'s Value {
    let mut at = schema;
    for step in path {
        at = match *step {
            "*" => &at["additionalProperties"],
            key => &at["properties"][key],
        };
        at = resolve(schema, at);
    }
    at
}

/// Each key list the decoder reads is the properties of its mapping in the schema
/// `ddhooks schema` prints, in the order the format types declare them.
#[test]
fn the_decoders_keys_are_the_schemas() {
    let s = schema();
    let cases: [(&Keys, &[&str]); 12] = [
        (&TOP_KEYS, &[]),
        (&VARIABLE_KEYS, &["custom_variables", "*"]),
        (&PAIR_KEYS, &["webhook_pairs", "*"]),
        (&STATUS_KEYS, &["webhook_pairs", "*", "statuses"]),
        (&WEBHOOK_KEYS, &["webhooks", "*"]),
        (&BLOCK_KEYS, &["monitor_notifications", "*"]),
        (&SELECTOR_KEYS, &["monitor_notifications", "*", "monitors"]),
        (&BOARD_KEYS, &["status_boards", "*"]),
        (&AUTH_METHOD_KEYS, &["webhook_auth_methods", "*"]),
        (&ROUTING_TEST_KEYS, &["routing_tests", "*"]),
        (&TEST_SELECTOR_KEYS, &["routing_tests", "*", "monitors"]),
        (&GIVEN_KEYS, &["routing_tests", "*", "given"]),
    ];
    for (keys, path) in cases {
        let at = mapping(&s, path);
        let Some(properties) = at["properties"].as_object() else {
            panic!("{path:?} has no properties");
        };
        let names: Vec<&str> = properties.keys().map(String::as_str).collect();
        assert_eq!(keys.names(), names, "{path:?}");
        assert_eq!(at["additionalProperties"], false, "{path:?}");
    }
    assert_eq!(
        SELECTOR_KEYS.names(),
        TEST_SELECTOR_KEYS.names(),
        "a block and a routing test select monitors with the same keys"
    );
}

/// No optional key of a mapping takes null (the decoder refuses `key: ~` where it
/// expects a value), while a whole section may be empty.
#[test]
fn only_sections_may_be_null() {
    let s = schema();
    for (name, definition) in s["definitions"].as_object().into_iter().flatten() {
        for (key, property) in definition["properties"].as_object().into_iter().flatten() {
            let text = property.to_string();
            assert!(!text.contains("\"null\""), "{name}.{key}: {text}");
        }
    }
    assert_eq!(s["type"], json!(["object", "null"]));
    assert_eq!(
        s["properties"]["webhooks"]["type"],
        json!(["object", "null"])
    );
}

/// Descriptions are one line per paragraph, and no integer carries a Rust format.
#[test]
fn descriptions_are_joined_and_integers_plain() {
    let text = schema_text();
    assert!(!text.contains("uint8") && !text.contains("int64"));
    let s = schema();
    let block = mapping(&s, &["monitor_notifications", "*"]);
    let Some(description) = block["description"].as_str() else {
        panic!("a block has no description");
    };
    assert!(description.starts_with(
        "A managed block in the messages of the selected monitors, or (`delivery: rule`) a monitor"
    ));
}

/// A small manifest the schema accepts, each case below breaking one thing of it.
fn valid() -> Value {
    json!({
        "version": 1,
        "custom_variables": {"DD_API_KEY": {"value": "${env:DD_API_KEY}", "secret": true}},
        "webhook_pairs": {"group": {"check": "group.status", "statuses": {"alert": 2}}},
        "webhooks": {"hook": {"url": "https://example.com", "encode_as": "form"}},
        "monitor_notifications": {
            "message": {"monitors": {"ids": [1], "name": "x"}, "notify": {"^is_warning": "@a @b"}},
            "rule": {"delivery": "rule", "monitors": {"tags": ["team:x"]}, "pair": "group"}
        },
        "status_boards": {"board": {"title": "Board", "pairs": ["group"]}},
        "external_webhooks": ["other"],
        "webhook_auth_methods": {"okta": {
            "access_token_url": "https://login.example.com/token",
            "client_id": "id",
            "client_secret": "${env:SECRET}"
        }},
        "routing_tests": {"case": {"monitors": {"ids": 1}, "transition": "alert", "includes": "@a"}}
    })
}

/// `valid()` with the value at `pointer` (`/a/b`; the last step is added) replaced, or
/// removed when `value` is `None`.
fn with(pointer: &str, value: Option<Value>) -> Value {
    let mut manifest = valid();
    let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let Some(Value::Object(parent)) = manifest.pointer_mut(parent) else {
        panic!("no {parent} in the valid manifest");
    };
    match value {
        Some(value) => parent.insert(last.to_string(), value),
        None => parent.remove(last),
    };
    manifest
}

/// Every constraint the schema states refuses what breaks it, so a constraint lost from
/// the format types fails here; and what the format allows stays allowed.
#[test]
fn the_schema_keeps_every_constraint() {
    let Ok(validator) = jsonschema::validator_for(&schema()) else {
        panic!("the schema does not compile");
    };
    assert!(
        validator.is_valid(&valid()),
        "{:?}",
        validator.validate(&valid())
    );
    let block = "/monitor_notifications/message";
    let rule = "/monitor_notifications/rule";
    let test = "/routing_tests/case";
    let handles: Vec<String> = (0..21).map(|i| format!("@h{i}")).collect();
    let conditions: Map<String, Value> = ["is_alert", "is_recovery", "is_warning", "is_no_data"]
        .into_iter()
        .map(String::from)
        .chain((1..=5).map(|p| format!("is_priority 'P{p}'")))
        .chain([
            "is_priority \"p1\"".to_string(),
            "is_priority 'p2'".to_string(),
        ])
        .map(|c| (c, json!(["@a"])))
        .collect();
    let refused: Vec<(&str, Value)> = vec![
        ("a list as the file", json!([])),
        (
            "an unknown top-level key",
            with("/webhook", Some(json!({}))),
        ),
        ("version 2", with("/version", Some(json!(2)))),
        ("version null", with("/version", Some(Value::Null))),
        (
            "a lower-case variable name",
            with("/custom_variables/lower", Some(json!({"value": "x"}))),
        ),
        (
            "a variable without value",
            with("/custom_variables/DD_API_KEY/value", None),
        ),
        (
            "a variable's unknown key",
            with("/custom_variables/DD_API_KEY/hidden", Some(json!(true))),
        ),
        (
            "a secret that is no boolean",
            with("/custom_variables/DD_API_KEY/secret", Some(json!("yes"))),
        ),
        (
            "a variable's value null",
            with("/custom_variables/DD_API_KEY/value", Some(Value::Null)),
        ),
        (
            "a pair name with a space",
            with("/webhook_pairs/a b", Some(json!({"check": "c"}))),
        ),
        (
            "a pair without check",
            with("/webhook_pairs/group/check", None),
        ),
        (
            "a lower-case api_key_variable",
            with("/webhook_pairs/group/api_key_variable", Some(json!("key"))),
        ),
        (
            "empty statuses",
            with("/webhook_pairs/group/statuses", Some(json!({}))),
        ),
        (
            "status 4",
            with("/webhook_pairs/group/statuses/alert", Some(json!(4))),
        ),
        (
            "status -1",
            with("/webhook_pairs/group/statuses/recovery", Some(json!(-1))),
        ),
        (
            "an unknown status",
            with("/webhook_pairs/group/statuses/ok", Some(json!(0))),
        ),
        (
            "host_name null",
            with("/webhook_pairs/group/host_name", Some(Value::Null)),
        ),
        (
            "seed_status a string",
            with("/webhook_pairs/group/seed_status", Some(json!("no"))),
        ),
        (
            "tags a string",
            with("/webhook_pairs/group/tags", Some(json!("a:b"))),
        ),
        ("a webhook without url", with("/webhooks/hook/url", None)),
        (
            "an ftp url",
            with("/webhooks/hook/url", Some(json!("ftp://example.com"))),
        ),
        (
            "encode_as xml",
            with("/webhooks/hook/encode_as", Some(json!("xml"))),
        ),
        (
            "renamed_from with a space",
            with("/webhooks/hook/renamed_from", Some(json!("a b"))),
        ),
        (
            "a header that is a number",
            with("/webhooks/hook/custom_headers", Some(json!({"X": 1}))),
        ),
        (
            "a webhook's unknown key",
            with("/webhooks/hook/method", Some(json!("POST"))),
        ),
        (
            "a block without monitors",
            with(&format!("{block}/monitors"), None),
        ),
        (
            "empty monitors",
            with(&format!("{block}/monitors"), Some(json!({}))),
        ),
        (
            "a selector's unknown key",
            with(&format!("{block}/monitors/query"), Some(json!("x"))),
        ),
        (
            "an empty name",
            with(&format!("{block}/monitors/name"), Some(json!(""))),
        ),
        (
            "ids that are strings",
            with(&format!("{block}/monitors/ids"), Some(json!(["1"]))),
        ),
        (
            "a block's id alone",
            with(&format!("{block}/monitors/ids"), Some(json!(1))),
        ),
        (
            "an unknown condition",
            with(&format!("{block}/notify/is_bad"), Some(json!(["@a"]))),
        ),
        (
            "a handle without @",
            with(&format!("{block}/notify/is_alert"), Some(json!(["a"]))),
        ),
        (
            "a handle with parentheses",
            with(&format!("{block}/notify/is_alert"), Some(json!(["@a(b)"]))),
        ),
        (
            "no handle",
            with(&format!("{block}/notify/is_alert"), Some(json!([]))),
        ),
        (
            "handles without @",
            with(&format!("{block}/notify/is_alert"), Some(json!("a b"))),
        ),
        (
            "an unknown delivery",
            with(&format!("{block}/delivery"), Some(json!("rules"))),
        ),
        (
            "scope without delivery: rule",
            with(&format!("{block}/monitors/scope"), Some(json!("a:b"))),
        ),
        (
            "always without delivery: rule",
            with(&format!("{block}/always"), Some(json!(["@a"]))),
        ),
        (
            "otherwise without delivery: rule",
            with(&format!("{block}/otherwise"), Some(json!(["@a"]))),
        ),
        (
            "a rule's text",
            with(&format!("{rule}/text"), Some(json!("x"))),
        ),
        (
            "a rule by ids",
            with(&format!("{rule}/monitors/ids"), Some(json!([1]))),
        ),
        (
            "a rule by name",
            with(&format!("{rule}/monitors/name"), Some(json!("x"))),
        ),
        (
            "a rule by tags and scope",
            with(&format!("{rule}/monitors/scope"), Some(json!("a:b"))),
        ),
        (
            "a rule by no tag",
            with(&format!("{rule}/monitors/tags"), Some(json!([]))),
        ),
        (
            "a rule by 21 tags",
            with(&format!("{rule}/monitors/tags"), Some(json!(handles))),
        ),
        (
            "a rule's scope of 3001 characters",
            with(
                &format!("{rule}/monitors"),
                Some(json!({"scope": "a".repeat(3001)})),
            ),
        ),
        (
            "a rule's empty scope",
            with(&format!("{rule}/monitors"), Some(json!({"scope": ""}))),
        ),
        (
            "a rule without conditions",
            with(&format!("{rule}/pair"), None),
        ),
        (
            "a rule's negated condition",
            with(
                &format!("{rule}/notify"),
                Some(json!({"^is_alert": ["@a"]})),
            ),
        ),
        (
            "a rule's condition it cannot route on",
            with(
                &format!("{rule}/notify"),
                Some(json!({"is_renotify": ["@a"]})),
            ),
        ),
        (
            "a rule's 11 conditions",
            with(
                &format!("{rule}/notify"),
                Some(Value::Object(conditions.clone())),
            ),
        ),
        (
            "a rule's 21 recipients",
            with(
                &format!("{rule}/notify"),
                Some(json!({"is_alert": handles})),
            ),
        ),
        (
            "a rule's 21 always",
            with(&format!("{rule}/always"), Some(json!(handles))),
        ),
        (
            "a rule's 21 otherwise",
            with(&format!("{rule}/otherwise"), Some(json!(handles))),
        ),
        (
            "a board without title",
            with("/status_boards/board/title", None),
        ),
        (
            "a blank title",
            with("/status_boards/board/title", Some(json!("  "))),
        ),
        (
            "a board without pairs",
            with("/status_boards/board/pairs", None),
        ),
        (
            "a board of no pair",
            with("/status_boards/board/pairs", Some(json!([]))),
        ),
        (
            "a pair listed twice",
            with(
                "/status_boards/board/pairs",
                Some(json!(["group", "group"])),
            ),
        ),
        (
            "a board's pair with a space",
            with("/status_boards/board/pairs", Some(json!(["a b"]))),
        ),
        (
            "a board's unknown key",
            with("/status_boards/board/layout", Some(json!("free"))),
        ),
        (
            "an auth method without secret",
            with("/webhook_auth_methods/okta/client_secret", None),
        ),
        (
            "a secret in the manifest",
            with(
                "/webhook_auth_methods/okta/client_secret",
                Some(json!("s3cret")),
            ),
        ),
        (
            "a token url over http",
            with(
                "/webhook_auth_methods/okta/access_token_url",
                Some(json!("http://x.example.com")),
            ),
        ),
        (
            "a blank client id",
            with("/webhook_auth_methods/okta/client_id", Some(json!(" "))),
        ),
        (
            "an external webhook with a space",
            with("/external_webhooks", Some(json!(["a b"]))),
        ),
        (
            "a test without transition",
            with(&format!("{test}/transition"), None),
        ),
        (
            "an unknown transition",
            with(&format!("{test}/transition"), Some(json!("ok"))),
        ),
        (
            "a test of no monitor",
            with(&format!("{test}/monitors"), None),
        ),
        (
            "a test of monitors and given",
            with(&format!("{test}/given"), Some(json!({"name": "x"}))),
        ),
        (
            "a test expecting nothing",
            with(&format!("{test}/includes"), None),
        ),
        (
            "nobody: false",
            with(&format!("{test}/nobody"), Some(json!(false))),
        ),
        (
            "nobody and includes",
            with(&format!("{test}/nobody"), Some(json!(true))),
        ),
        (
            "an expected handle without @",
            with(&format!("{test}/includes"), Some(json!(["a"]))),
        ),
        (
            "a test's ids as a string",
            with(&format!("{test}/monitors/ids"), Some(json!("1"))),
        ),
        (
            "a test's empty monitors",
            with(&format!("{test}/monitors"), Some(json!({}))),
        ),
        (
            "a given monitor's unknown key",
            with(
                test,
                Some(json!({"given": {"id": 1}, "transition": "alert", "somebody": true})),
            ),
        ),
        (
            "priority 6",
            with(
                test,
                Some(json!({"given": {"priority": 6}, "transition": "alert", "somebody": true})),
            ),
        ),
        (
            "priority P0",
            with(
                test,
                Some(json!({"given": {"priority": "P0"}, "transition": "alert", "somebody": true})),
            ),
        ),
    ];
    let mut accepted = Vec::new();
    for (what, manifest) in &refused {
        if validator.is_valid(manifest) {
            accepted.push(*what);
        }
    }
    assert!(accepted.is_empty(), "the schema accepts {accepted:?}");
    let allowed: Vec<(&str, Value)> = vec![
        ("an empty file", Value::Null),
        ("an empty section", with("/webhooks", Some(Value::Null))),
        (
            "a rule by scope",
            with(&format!("{rule}/monitors"), Some(json!({"scope": "a:b"}))),
        ),
        (
            "a rule's conditions",
            with(
                &format!("{rule}/notify"),
                Some(Value::Object(conditions.into_iter().take(10).collect())),
            ),
        ),
        (
            "a rule's always",
            with(&format!("{rule}/always"), Some(json!(["@a"]))),
        ),
        (
            "a payload of any value",
            with("/webhooks/hook/payload", Some(json!({"a": [1, null]}))),
        ),
        (
            "nobody",
            with(
                test,
                Some(
                    json!({"given": {"priority": "p2", "tags": []}, "transition": "renotify", "nobody": true}),
                ),
            ),
        ),
    ];
    for (what, manifest) in &allowed {
        assert!(
            validator.is_valid(manifest),
            "{what}: {:?}",
            validator.validate(manifest)
        );
    }
}
