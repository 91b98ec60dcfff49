//! The canonical JSON of the kinds Datadog addresses by id: what ddhooks models of a
//! notification rule and of a status board, in Datadog's own JSON shape. The planner's
//! fingerprints, the plan's fields (`render::fields`) and the client's request bodies are
//! all built from these, so each shape is written once; and since fingerprints are hashed
//! from them, not from what renderers show, changing how a plan looks never invalidates a
//! saved plan.

use super::{BoardWidget, NotificationRule, RuleFilter, RuleRecipients, StatusBoard, WidgetLayout};
use serde_json::{json, Map, Value};

/// A notification rule's modelled attributes, in this order: `name`, `filter` (`tags` or
/// `scope`), and the one recipient form it uses (`recipients`, or `conditional_recipients`
/// with its `conditions` and, when not empty, `fallback_recipients`).
pub fn rule(r: &NotificationRule) -> Vec<(&'static str, Value)> {
    let filter = match &r.filter {
        RuleFilter::Tags(tags) => json!({"tags": tags}),
        RuleFilter::Scope(scope) => json!({"scope": scope}),
    };
    let recipients = match &r.recipients {
        RuleRecipients::Always(list) => ("recipients", json!(list)),
        RuleRecipients::Conditional {
            conditions,
            fallback,
        } => {
            let conditions: Vec<Value> = conditions
                .iter()
                .map(|c| json!({"scope": c.scope.to_string(), "recipients": c.recipients}))
                .collect();
            let mut object = json!({"conditions": conditions});
            if !fallback.is_empty() {
                object["fallback_recipients"] = json!(fallback);
            }
            ("conditional_recipients", object)
        }
    };
    vec![
        ("name", Value::String(r.name.clone())),
        ("filter", filter),
        recipients,
    ]
}

/// A widget's `definition`: `type` and `title`, and for a check-status widget `check`,
/// `grouping` and `tags`.
pub fn widget_definition(w: &BoardWidget) -> Map<String, Value> {
    let entries = match w {
        BoardWidget::CheckStatus {
            title,
            check,
            grouping,
            tags,
            ..
        } => vec![
            ("type", json!("check_status")),
            ("title", json!(title)),
            ("check", json!(check)),
            ("grouping", json!(grouping)),
            ("tags", json!(tags)),
        ],
        BoardWidget::Other { kind, title } => vec![("type", json!(kind)), ("title", json!(title))],
    };
    entries
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect()
}

/// A widget's `layout`: `x`, `y`, `width`, `height`.
pub fn widget_layout(l: &WidgetLayout) -> Value {
    json!({"x": l.x, "y": l.y, "width": l.width, "height": l.height})
}

/// A status board as plans compare it, in this order: `title`, `description` (`null` when
/// none), `widgets` (each its [`widget_definition`] with its `layout` after it, when it has
/// one).
pub fn board(b: &StatusBoard) -> Vec<(&'static str, Value)> {
    let widgets: Vec<Value> = b
        .widgets
        .iter()
        .map(|w| {
            let mut definition = widget_definition(w);
            if let BoardWidget::CheckStatus { layout, .. } = w {
                definition.insert("layout".into(), widget_layout(layout));
            }
            Value::Object(definition)
        })
        .collect();
    vec![
        ("title", Value::String(b.title.clone())),
        ("description", json!(b.description)),
        ("widgets", Value::Array(widgets)),
    ]
}
