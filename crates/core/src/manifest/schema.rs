//! The JSON Schema of the manifest format, for editors' YAML language server
//! (`# yaml-language-server: $schema=…`): completion, descriptions and early red squiggles.
//!
//! Derived with schemars from the format types ([`super::format`]), as draft-07 (which YAML
//! language servers understand best); the transforms the format's attributes name
//! ([`super::format::transforms`]) say what attributes cannot. The
//! schema checks structure (keys, types, ranges, name patterns); checks across objects and
//! files stay the loader's. The decoder's key lists ([`Keys`]) are read off it, so a key
//! exists for the schema exactly when the decoder accepts it.

use super::format::{
    AuthMethod, Block, Board, Given, Manifest, Pair, RoutingTest, Selector, Statuses, TestSelector,
    Variable, Webhook,
};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::Value;
use std::sync::LazyLock;

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
