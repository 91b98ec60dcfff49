//! The wire types' own behaviour: what serde makes of recorded and edge-case answers.

use super::*;
use std::borrow::Cow;

#[test]
fn update_distinguishes_absent_from_null() {
    let absent: WebhookUpdateRequest = serde_json::from_str(r#"{"url":"u"}"#).unwrap();
    assert_eq!(absent.payload, None);
    let null: WebhookUpdateRequest = serde_json::from_str(r#"{"payload":null}"#).unwrap();
    assert_eq!(null.payload, Some(None));
}

#[test]
fn secret_variable_serialises_without_value() {
    let v = CustomVariable {
        is_secret: true,
        name: "K".into(),
        value: None,
    };
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        r#"{"is_secret":true,"name":"K"}"#
    );
}

#[test]
fn monitor_keeps_unknown_fields() {
    let text = r#"{"id":1,"type":"query alert","query":"a > 1","tags":[],"x":{"y":2}}"#;
    let m: Monitor = serde_json::from_str(text).unwrap();
    assert_eq!(m.extra.get("x"), Some(&serde_json::json!({"y":2})));
    let back = serde_json::to_value(&m).unwrap();
    assert_eq!(back["x"]["y"], 2);
}

/// A listed monitor borrows its name, tags and states from the page (inside `Option`
/// and `Vec` too, where a `Cow` would allocate); a string with an escape is decoded
/// into an owned one, and both come out as written.
#[test]
fn a_listed_monitor_borrows_its_strings_unless_escaped() {
    let text = r#"[{"id":7,"name":"CPU \"high\"","tags":["team:a","env:\u0070rod"],
        "overall_state":"OK","draft_status":"published","message":"m","x":{"y":[1]}}]"#;
    let listed: Vec<MonitorListed<'_>> = serde_json::from_str(text).unwrap();
    let m = &listed[0];
    let borrowed = |s: &JsonStr<'_>| matches!(s.0, Cow::Borrowed(_));
    assert!(borrowed(&m.tags[0]) && borrowed(m.overall_state.as_ref().unwrap()));
    assert!(borrowed(m.draft_status.as_ref().unwrap()));
    assert!(!borrowed(m.name.as_ref().unwrap()) && !borrowed(&m.tags[1]));
    let summary = listed.into_iter().next().unwrap().into_summary().unwrap();
    assert_eq!(summary.name.as_deref(), Some("CPU \"high\""));
    assert_eq!(summary.tags, ["team:a", "env:prod"]);
    assert_eq!(summary.overall_state.as_deref(), Some("OK"));
    assert_eq!(summary.message.as_deref(), Some("m"));
}
