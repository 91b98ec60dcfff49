//! The JSON Schema of the manifest format, for editors' YAML language server
//! (`# yaml-language-server: $schema=…`): completion, descriptions and early red squiggles.
//!
//! Derived with schemars from the format types ([`super::format`]), as draft-07 (which YAML
//! language servers understand best); the transforms here say what attributes cannot. The
//! schema checks structure (keys, types, ranges, name patterns); checks across objects and
//! files stay the loader's. The decoder's key lists ([`Keys`]) are read off it, so a key
//! exists for the schema exactly when the decoder accepts it.

use super::format::{
    AuthMethod, Block, Board, Given, Manifest, Pair, RoutingTest, Selector, Statuses, TestSelector,
    Variable, Webhook,
};
use super::rule::{MAX_CONDITIONS, MAX_FILTER_TAGS, MAX_RECIPIENTS};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Map, Value};
use std::sync::LazyLock;

/// Every condition a `notify` key may name, negatable with `^`.
pub(crate) const CONDITION_PATTERN: &str = r"^\^?(is_alert|is_warning|is_no_data|is_unknown|is_recovery|is_alert_recovery|is_warning_recovery|is_no_data_recovery|is_alert_to_warning|is_renotify|is_priority\s*['\x22][Pp][1-5]['\x22])$";

/// The conditions a notification rule can route on (`delivery: rule`), never negated; the
/// loader's [`super::rule::condition_scope`] says the same.
const RULE_CONDITION_PATTERN: &str =
    r"^(is_alert|is_recovery|is_warning|is_no_data|is_priority\s*['\x22][Pp][1-5]['\x22])$";

/// The generator every schema of the format comes from: draft-07, descriptions as one line
/// per paragraph, integers without Rust's formats (`uint8`, `int64`: no editor knows them).
fn generator() -> SchemaGenerator {
    SchemaSettings::draft07()
        .with_transform(RecursiveTransform(join_doc_lines))
        .with_transform(RecursiveTransform(plain_integers))
        .into_generator()
}

/// The schema as JSON.
pub fn schema() -> Value {
    generator().into_root_schema_for::<Manifest>().to_value()
}

/// The schema as pretty-printed JSON text.
pub fn schema_text() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default()
}

/// Doc comments are wrapped as source is: a description keeps its paragraphs, each on one
/// line, as editors show it.
fn join_doc_lines(schema: &mut Schema) {
    if let Some(Value::String(text)) = schema.get_mut("description") {
        let paragraphs: Vec<String> = text
            .split("\n\n")
            .map(|p| p.split('\n').map(str::trim).collect::<Vec<_>>().join(" "))
            .collect();
        *text = paragraphs.join("\n\n");
    }
}

/// Rust's integer formats (`uint8`, `int64`) are no constraint of the manifest.
fn plain_integers(schema: &mut Schema) {
    let integer = |t: &Value| t == "integer";
    let is_integer = match schema.get("type") {
        Some(Value::Array(types)) => types.iter().any(integer),
        Some(t) => integer(t),
        None => false,
    };
    if is_integer {
        schema.remove("format");
    }
}

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

/// `value` with its `$ref` followed (also the `allOf: [{$ref}]` draft-07 needs beside a
/// description), within the whole `schema`; anything else as it is.
pub(crate) fn resolve<'s>(schema: &'s Value, value: &'s Value) -> &'s Value {
    let reference = value
        .get("$ref")
        .or_else(|| value.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| schema.pointer(pointer));
    reference.unwrap_or(value)
}

/// The keys a mapping of the format accepts, in the order its type declares them (the
/// order the decoder's `known keys:` hints list them in), read off the mapping's schema.
#[derive(Debug)]
pub(crate) struct Keys(Vec<String>);

impl Keys {
    /// The properties of `T`'s schema.
    fn of<T: JsonSchema>() -> Keys {
        let schema = generator().into_root_schema_for::<T>();
        let names = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        Keys(names)
    }

    /// Whether `key` is one of them.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|k| k == key)
    }

    /// All of them, for suggestions.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }
}

/// The top-level keys of a manifest file.
pub(crate) static TOP_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Manifest>);
/// The keys of a custom variable.
pub(crate) static VARIABLE_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Variable>);
/// The keys of a webhook pair.
pub(crate) static PAIR_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Pair>);
/// The keys of a pair's `statuses`.
pub(crate) static STATUS_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Statuses>);
/// The keys of a webhook.
pub(crate) static WEBHOOK_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Webhook>);
/// The keys of a notification block.
pub(crate) static BLOCK_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Block>);
/// The keys of a block's `monitors`.
pub(crate) static SELECTOR_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Selector>);
/// The keys of a status board.
pub(crate) static BOARD_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Board>);
/// The keys of a webhook auth method.
pub(crate) static AUTH_METHOD_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<AuthMethod>);
/// The keys of a routing test.
pub(crate) static ROUTING_TEST_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<RoutingTest>);
/// The keys of a routing test's `monitors`.
pub(crate) static TEST_SELECTOR_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<TestSelector>);
/// The keys of a routing test's `given` monitor.
pub(crate) static GIVEN_KEYS: LazyLock<Keys> = LazyLock::new(Keys::of::<Given>);

#[cfg(test)]
mod tests;
