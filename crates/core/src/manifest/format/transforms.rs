//! The schema transforms the format types' attributes name (`#[schemars(transform = …)]`):
//! what attributes cannot say — keys never null, the `delivery: rule` if/then/else — and the
//! condition patterns.

use super::{MAX_CONDITIONS, MAX_FILTER_TAGS, MAX_RECIPIENTS};
use schemars::Schema;
use serde_json::{json, Map, Value};

/// Every condition a `notify` key may name, negatable with `^`.
pub(crate) const CONDITION_PATTERN: &str = r"^\^?(is_alert|is_warning|is_no_data|is_unknown|is_recovery|is_alert_recovery|is_warning_recovery|is_no_data_recovery|is_alert_to_warning|is_renotify|is_priority\s*['\x22][Pp][1-5]['\x22])$";

/// The conditions a notification rule can route on (`delivery: rule`), never negated; the
/// loader's [`crate::manifest::rule`] (`condition_scope`) says the same.
pub(crate) const RULE_CONDITION_PATTERN: &str =
    r"^(is_alert|is_recovery|is_warning|is_no_data|is_priority\s*['\x22][Pp][1-5]['\x22])$";

/// The whole file may be empty (YAML null), as a section may.
pub(crate) fn nullable(schema: &mut Schema) {
    schema.insert("type".into(), json!(["object", "null"]));
}

/// An optional key of a mapping may be left out but not written without a value: the null
/// schemars allows for each `Option` field is taken back (a container's transform).
pub(crate) fn never_null(schema: &mut Schema) {
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for property in properties.values_mut() {
        if let Ok(property) = <&mut Schema>::try_from(property) {
            not_null(property);
        }
    }
}

/// One optional key's schema without the null its `Option` allowed (a field's transform).
pub(crate) fn not_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
        return;
    }
    let Some(Value::Array(branches)) = object.get("anyOf") else {
        return;
    };
    let is_null = |b: &Value| b.get("type").is_some_and(|t| t == "null");
    let kept: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
    if let ([Value::Object(kept)], 2) = (kept.as_slice(), branches.len()) {
        let mut merged: Map<String, Value> = kept.clone();
        object.remove("anyOf");
        merged.append(object);
        *object = merged;
    }
}

/// What `delivery: rule` adds to a block's schema, as far as JSON Schema can say it: no
/// `ids`, `name` or `text`; `tags` (1–20) or `scope`, not both; at least one condition, at
/// most ten in `notify`, with at most twenty handles in a list. Without `delivery: rule`,
/// `monitors.scope`, `always` and `otherwise` are refused.
pub(crate) fn delivery_rules(schema: &mut Schema) {
    let is_rule = json!({"required": ["delivery"], "properties": {"delivery": {"const": "rule"}}});
    let rules = json!({
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
    });
    schema.insert("allOf".into(), json!([rules]));
}
