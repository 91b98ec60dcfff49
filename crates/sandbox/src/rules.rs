//! Monitor notification rules (API v2): Datadog's checks on a rule, its answers (writes name
//! their creator and include the user, reads do not) and the listing's paging, sort and
//! filters, as pure functions over [`Data`], so that every check runs before anything is
//! stored.

use crate::data::Data;
use crate::error::ApiError;
use crate::integration::parse_body;
use crate::monitors::Now;
use ddhooks_core::model::RuleConditionScope;
use ddhooks_core::scope::{Scope, MAX_SCOPE_CHARS};
use ddhooks_datadog::wire::{
    RuleAttributes, RuleData, RuleDocument, RuleList, RuleListFilters, NOTIFICATION_RULE_TYPE,
};
use serde_json::{json, Value};
use std::cmp::Ordering;

/// The recorded 404 message for notification rules.
pub const RULE_NOT_FOUND: &str = "Monitor Notification Rule not found";

/// The recorded 400 message for a recipient written with its `@`.
pub const AT_RECIPIENT: &str = "Invalid recipients: Recipient handle should not start with '@'";

/// How many rules an organization may have (Datadog documents "about 1000").
pub const MAX_RULES: usize = 1000;

/// `modified_at` in the answer of a create, as recorded.
pub const CREATED_MODIFIED_AT: &str = "1970-01-01T00:00:00+00:00";

/// The id of the user the sandbox says created every rule.
pub const SANDBOX_USER_ID: &str = "dd5a0000-0000-4000-8000-00000000d0c5";

/// The listing's page size when `per_page` is not given.
pub const DEFAULT_PER_PAGE: usize = 100;
const MAX_PER_PAGE: usize = 1000;
/// The largest `page` Datadog's API accepts.
const MAX_PAGE: usize = 1_000_000;

const MAX_NAME_CHARS: usize = 1000;
const MAX_FILTER_TAGS: usize = 20;
const MAX_RECIPIENTS: usize = 20;
const MAX_CONDITIONS: usize = 10;

/// Attributes a rule may carry that ddhooks does not model; they are stored and echoed.
/// Any other attribute is refused (the API's schema allows no others).
const OTHER_ATTRIBUTES: &[&str] = &["bundle_config"];

fn invalid(what: &str, reason: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid {what}: {reason}"))
}

fn not_found() -> ApiError {
    ApiError::not_found(RULE_NOT_FOUND)
}

/// The user that [`SANDBOX_USER_ID`] names, shaped like the recordings' `included` entries.
pub fn sandbox_user() -> Value {
    json!({
        "type": "users",
        "id": SANDBOX_USER_ID,
        "attributes": {
            "uuid": SANDBOX_USER_ID,
            "name": "ddhooks sandbox",
            "handle": "sandbox@ddhooks.invalid",
            "created_at": "1970-01-01T00:00:00+00:00",
            "modified_at": "1970-01-01T00:00:00+00:00",
            "email": "sandbox@ddhooks.invalid",
            "icon": "https://secure.gravatar.com/avatar/00000000000000000000000000000000?s=48&d=retro",
            "title": null,
            "verified": true,
            "service_account": true,
            "disabled": false,
            "allowed_login_methods": [],
            "status": "Active",
            "last_login_time": null,
        },
    })
}

fn created_by() -> Value {
    json!({"created_by": {"data": {"type": "users", "id": SANDBOX_USER_ID}}})
}

/// A rule as `data`, with its creator when `relationships` is asked for.
fn rule_data(id: &str, attributes: RuleAttributes, relationships: bool) -> RuleData {
    RuleData {
        kind: NOTIFICATION_RULE_TYPE.to_string(),
        id: Some(id.to_string()),
        attributes,
        relationships: relationships.then(created_by),
    }
}

/// The answer of a create or PATCH: the rule, its creator and the user.
fn written(id: &str, attributes: RuleAttributes) -> RuleDocument {
    RuleDocument {
        data: rule_data(id, attributes, true),
        included: Some(vec![sandbox_user()]),
    }
}

/// A new random (version 4) UUID that no rule of `data` has.
pub fn unused_id(data: &Data) -> String {
    unused_uuid(|id| data.notification_rules.contains_key(id))
}

/// A new random (version 4) UUID for which `taken` is false: the ids of v2 objects (rules,
/// webhook auth methods).
pub fn unused_uuid(taken: impl Fn(&str) -> bool) -> String {
    loop {
        let mut bytes: [u8; 16] = rand::random();
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        if !taken(&id) {
            return id;
        }
    }
}

/// A create or PATCH body that passed every check: the id it names (PATCH must) and the
/// attributes to store, without the server's timestamps.
#[derive(Debug, Clone)]
pub struct ValidRule {
    /// `data.id`.
    pub id: Option<String>,
    /// What will be stored.
    pub attributes: RuleAttributes,
}

/// A list of 1 to `max` items, or a 400 saying so.
fn check_count(what: &str, items: &str, len: usize, max: usize) -> Result<(), ApiError> {
    if (1..=max).contains(&len) {
        Ok(())
    } else {
        Err(invalid(
            what,
            format!("{items} must hold between 1 and {max} items, not {len}"),
        ))
    }
}

/// One list of recipients (`items`, in the error of attribute `what`): each a handle without
/// `@`, 1–20 of them.
fn check_recipients(what: &str, items: &str, list: &[String]) -> Result<(), ApiError> {
    for recipient in list {
        if recipient.starts_with('@') {
            return Err(ApiError::bad_request(AT_RECIPIENT));
        }
        if recipient.trim().is_empty() {
            return Err(invalid(
                "recipients",
                "Recipient handle should not be empty",
            ));
        }
    }
    check_count(what, items, list.len(), MAX_RECIPIENTS)
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let chars = name.chars().count();
    if name.trim().is_empty() || chars > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("must be between 1 and {MAX_NAME_CHARS} characters, not {chars}"),
        ));
    }
    Ok(())
}

fn check_filter(attributes: &RuleAttributes) -> Result<(), ApiError> {
    let Some(filter) = &attributes.filter else {
        return Err(invalid(
            "filter",
            "a filter with tags or a scope is required",
        ));
    };
    match (&filter.tags, &filter.scope) {
        (Some(_), Some(_)) => Err(invalid("filter", "use tags or scope, not both")),
        (None, None) => Err(invalid("filter", "a filter needs tags or a scope")),
        (Some(tags), None) => {
            check_count("filter", "tags", tags.len(), MAX_FILTER_TAGS)?;
            if tags.iter().any(|t| t.trim().is_empty()) {
                return Err(invalid("filter", "a tag must not be empty"));
            }
            Ok(())
        }
        (None, Some(scope)) => match Scope::parse(scope) {
            Ok(_) => Ok(()),
            Err(err) => Err(invalid("filter", format!("scope: {err}"))),
        },
    }
}

fn check_routing(attributes: &RuleAttributes) -> Result<(), ApiError> {
    match (&attributes.recipients, &attributes.conditional_recipients) {
        (Some(_), Some(_)) => Err(invalid(
            "recipients",
            "use recipients or conditional_recipients, not both",
        )),
        (None, None) => Err(invalid(
            "recipients",
            "recipients or conditional_recipients is required",
        )),
        (Some(recipients), None) => check_recipients("recipients", "recipients", recipients),
        (None, Some(conditional)) => {
            let conditions = &conditional.conditions;
            for condition in conditions {
                check_recipients(
                    "conditional_recipients",
                    "a condition's recipients",
                    &condition.recipients,
                )?;
                let scope = &condition.scope;
                let understood = !matches!(
                    RuleConditionScope::parse(scope),
                    RuleConditionScope::Other(_)
                );
                if !understood || scope.chars().count() > MAX_SCOPE_CHARS {
                    return Err(invalid(
                        "conditional_recipients",
                        format!(
                            "condition scope '{scope}' must be transition_type:<type> (is_alert, is_recovery, …) or a single key:value tag"
                        ),
                    ));
                }
            }
            if let Some(fallback) = &conditional.fallback_recipients {
                check_recipients("conditional_recipients", "fallback_recipients", fallback)?;
            }
            check_count(
                "conditional_recipients",
                "conditions",
                conditions.len(),
                MAX_CONDITIONS,
            )
        }
    }
}

/// Checks a create or PATCH body against Datadog's rules for a rule (type, name, filter,
/// recipients and their limits, no unknown attribute); `created_at` and `modified_at` sent
/// by a client are dropped, since the server owns them.
pub fn validate(body: &Value) -> Result<ValidRule, ApiError> {
    let document: RuleDocument = parse_body(body)?;
    let data = document.data;
    if data.kind != NOTIFICATION_RULE_TYPE {
        return Err(invalid(
            "type",
            format!("expected '{NOTIFICATION_RULE_TYPE}', got '{}'", data.kind),
        ));
    }
    let mut attributes = data.attributes;
    check_name(&attributes.name)?;
    check_filter(&attributes)?;
    check_routing(&attributes)?;
    if let Some(key) = attributes
        .extra
        .keys()
        .find(|key| !OTHER_ATTRIBUTES.contains(&key.as_str()))
    {
        return Err(invalid("request", format!("unknown attribute '{key}'")));
    }
    if attributes
        .extra
        .get("bundle_config")
        .is_some_and(|v| !v.is_object())
    {
        return Err(invalid("bundle_config", "expected an object"));
    }
    attributes.created_at = None;
    attributes.modified_at = None;
    Ok(ValidRule {
        id: data.id,
        attributes,
    })
}

/// `POST /api/v2/monitor/notification_rule`: stores the rule under `id` and answers it
/// with its creator; `modified_at` reads [`CREATED_MODIFIED_AT`] in that answer only, as
/// recorded (a read afterwards shows the stored time).
pub fn create(
    data: &mut Data,
    rule: ValidRule,
    id: &str,
    now: &Now,
) -> Result<RuleDocument, ApiError> {
    if data.notification_rules.len() >= MAX_RULES {
        return Err(invalid(
            "request",
            format!("an organization can have at most {MAX_RULES} notification rules"),
        ));
    }
    let mut attributes = rule.attributes;
    attributes.created_at = Some(now.rfc3339.clone());
    attributes.modified_at = Some(now.rfc3339.clone());
    data.notification_rules
        .insert(id.to_string(), attributes.clone());
    attributes.modified_at = Some(CREATED_MODIFIED_AT.to_string());
    Ok(written(id, attributes))
}

/// `GET …/{rule_id}`: the rule, without relationships.
pub fn get(data: &Data, id: &str) -> Result<RuleDocument, ApiError> {
    let attributes = data.notification_rules.get(id).ok_or_else(not_found)?;
    Ok(RuleDocument {
        data: rule_data(id, attributes.clone(), false),
        included: None,
    })
}

/// `PATCH …/{rule_id}`: replaces the whole rule (what the body leaves out is gone), keeps
/// `created_at`, sets `modified_at`. The body's `data.id` must be the path's.
pub fn update(
    data: &mut Data,
    id: &str,
    rule: ValidRule,
    now: &Now,
) -> Result<RuleDocument, ApiError> {
    let existing = data.notification_rules.get(id).ok_or_else(not_found)?;
    match rule.id.as_deref() {
        None => return Err(invalid("request", "data.id is required")),
        Some(given) if given != id => {
            return Err(invalid(
                "request",
                format!("data.id '{given}' is not the rule_id of the path ('{id}')"),
            ))
        }
        Some(_) => {}
    }
    let mut attributes = rule.attributes;
    attributes.created_at = existing.created_at.clone();
    attributes.modified_at = Some(now.rfc3339.clone());
    data.notification_rules
        .insert(id.to_string(), attributes.clone());
    Ok(written(id, attributes))
}

/// `DELETE …/{rule_id}`.
pub fn delete(data: &mut Data, id: &str) -> Result<(), ApiError> {
    data.notification_rules
        .remove(id)
        .map(|_| ())
        .ok_or_else(not_found)
}

/// The listing's query parameters as sent (all text, checked by [`ListQuery::parse`]).
#[derive(Debug, Default, serde::Deserialize)]
pub struct RawListQuery {
    page: Option<String>,
    per_page: Option<String>,
    sort: Option<String>,
    filters: Option<String>,
    include: Option<String>,
}

/// What a listing sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    Name,
    CreatedAt,
}

/// `GET /api/v2/monitor/notification_rule`'s parameters, checked.
#[derive(Debug, Clone)]
pub struct ListQuery {
    page: usize,
    per_page: usize,
    sort: SortField,
    descending: bool,
    filters: RuleListFilters,
    include_creator: bool,
}

/// A whole number within `max`, or a 400 naming the parameter.
fn number(
    name: &str,
    text: Option<&str>,
    min: usize,
    max: usize,
) -> Result<Option<usize>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    match text.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(invalid(
            name,
            format!("'{text}' must be an integer between {min} and {max}"),
        )),
    }
}

impl ListQuery {
    /// Checks the parameters: `page` 0–1,000,000 (default 0), `per_page` 1–1000 (default
    /// 100), `sort` `name` or `created_at` with an optional `:asc` or `:desc` (default
    /// `created_at:asc`, so that pages read while rules are created shift nothing already
    /// read), `filters` JSON ([`RuleListFilters`]), `include` only `created_by`.
    pub fn parse(raw: RawListQuery) -> Result<Self, ApiError> {
        let page = number("page", raw.page.as_deref(), 0, MAX_PAGE)?.unwrap_or(0);
        let per_page = number("per_page", raw.per_page.as_deref(), 1, MAX_PER_PAGE)?
            .unwrap_or(DEFAULT_PER_PAGE);
        let sort_text = raw.sort.as_deref().unwrap_or("created_at");
        let (field, direction) = sort_text.split_once(':').unwrap_or((sort_text, "asc"));
        let sort = match field {
            "name" => SortField::Name,
            "created_at" => SortField::CreatedAt,
            _ => {
                return Err(invalid(
                    "sort",
                    format!("'{sort_text}': the fields are name and created_at"),
                ))
            }
        };
        let descending = match direction {
            "asc" => false,
            "desc" => true,
            _ => {
                return Err(invalid(
                    "sort",
                    format!("'{sort_text}': the directions are asc and desc"),
                ))
            }
        };
        let filters = match raw.filters.as_deref() {
            None => RuleListFilters::default(),
            Some(text) => {
                let bad = |reason: String| invalid("filters", format!("'{text}': {reason}"));
                let value: Value =
                    serde_json::from_str(text).map_err(|err| bad(format!("not JSON: {err}")))?;
                if !value.is_object() {
                    return Err(bad("expected a JSON object".to_string()));
                }
                serde_json::from_value(value).map_err(|err| bad(err.to_string()))?
            }
        };
        let mut include_creator = false;
        for path in raw.include.as_deref().unwrap_or_default().split(',') {
            match path.trim() {
                "" => {}
                "created_by" => include_creator = true,
                other => {
                    return Err(invalid(
                        "include",
                        format!("'{other}': the only related resource is created_by"),
                    ))
                }
            }
        }
        Ok(Self {
            page,
            per_page,
            sort,
            descending,
            filters,
            include_creator,
        })
    }
}

/// The tags a rule's filter names: its tags, or the terms of its scope.
fn filter_tags(attributes: &RuleAttributes) -> Vec<String> {
    let Some(filter) = &attributes.filter else {
        return Vec::new();
    };
    if let Some(tags) = &filter.tags {
        return tags.clone();
    }
    filter
        .scope
        .as_deref()
        .and_then(|scope| Scope::parse(scope).ok())
        .map(|scope| scope.terms().iter().map(|t| t.to_string()).collect())
        .unwrap_or_default()
}

/// Every recipient a rule names, in any of its lists.
fn all_recipients(attributes: &RuleAttributes) -> Vec<&String> {
    let mut out: Vec<&String> = attributes.recipients.iter().flatten().collect();
    if let Some(conditional) = &attributes.conditional_recipients {
        out.extend(conditional.conditions.iter().flat_map(|c| &c.recipients));
        out.extend(conditional.fallback_recipients.iter().flatten());
    }
    out
}

/// Whether a rule passes the listing's `filters`: `text` in its name, a tag or a recipient
/// (case-insensitive); any of `tags` among its filter's tags; any of `recipients` among its
/// recipients.
fn passes(filters: &RuleListFilters, attributes: &RuleAttributes) -> bool {
    let tags = filter_tags(attributes);
    let recipients = all_recipients(attributes);
    let any_of = |wanted: &Option<Vec<String>>, have: &[&String]| match wanted {
        Some(wanted) if !wanted.is_empty() => wanted
            .iter()
            .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w))),
        _ => true,
    };
    let tag_refs: Vec<&String> = tags.iter().collect();
    let text_found = match filters.text.as_deref().map(str::to_lowercase) {
        Some(text) if !text.is_empty() => std::iter::once(&attributes.name)
            .chain(tag_refs.iter().copied())
            .chain(recipients.iter().copied())
            .any(|field| field.to_lowercase().contains(&text)),
        _ => true,
    };
    text_found && any_of(&filters.tags, &tag_refs) && any_of(&filters.recipients, &recipients)
}

/// Orders two rules by the listing's field, then by creation, then by id, so that every
/// order is total and pages never overlap.
fn compare(
    field: SortField,
    a: (&String, &RuleAttributes),
    b: (&String, &RuleAttributes),
) -> Ordering {
    let created = |r: (&String, &RuleAttributes)| r.1.created_at.clone().unwrap_or_default();
    let by_name = || {
        a.1.name
            .to_lowercase()
            .cmp(&b.1.name.to_lowercase())
            .then_with(|| a.1.name.cmp(&b.1.name))
    };
    let first = match field {
        SortField::Name => by_name(),
        SortField::CreatedAt => Ordering::Equal,
    };
    first
        .then_with(|| created(a).cmp(&created(b)))
        .then_with(|| a.0.cmp(b.0))
}

/// `GET /api/v2/monitor/notification_rule`: one page of the rules that pass the filters, in
/// the asked order; with `include=created_by`, each with its creator and the users included.
pub fn list(data: &Data, query: &ListQuery) -> RuleList {
    let mut rules: Vec<(&String, &RuleAttributes)> = data
        .notification_rules
        .iter()
        .filter(|(_, attributes)| passes(&query.filters, attributes))
        .collect();
    rules.sort_by(|a, b| {
        let order = compare(query.sort, *a, *b);
        if query.descending {
            order.reverse()
        } else {
            order
        }
    });
    let page: Vec<RuleData> = rules
        .into_iter()
        .skip(query.page.saturating_mul(query.per_page))
        .take(query.per_page)
        .map(|(id, attributes)| rule_data(id, attributes.clone(), query.include_creator))
        .collect();
    let included = query.include_creator.then(|| {
        if page.is_empty() {
            Vec::new()
        } else {
            vec![sandbox_user()]
        }
    });
    RuleList {
        data: page,
        included,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::v2_body;

    fn rule(name: &str) -> Value {
        v2_body(
            NOTIFICATION_RULE_TYPE,
            json!({"name": name, "filter": {"tags": ["team:a"]}, "recipients": ["slack-a"]}),
        )
    }

    fn now(at: &str) -> Now {
        Now {
            millis: 0,
            rfc3339: at.to_string(),
        }
    }

    #[test]
    fn the_rule_limit_refuses_the_next_create_and_stores_nothing() {
        let mut data = Data::default();
        for i in 0..MAX_RULES {
            let id = unused_id(&data);
            let valid = validate(&rule(&format!("r{i}"))).expect("valid");
            create(
                &mut data,
                valid,
                &id,
                &now("2026-01-01T00:00:00.000000+00:00"),
            )
            .expect("created");
        }
        let valid = validate(&rule("one too many")).expect("valid");
        let id = unused_id(&data);
        let err = create(&mut data, valid, &id, &now("x")).expect_err("over the limit");
        assert_eq!(err.status, 400);
        assert!(err.message.contains("at most 1000"), "{}", err.message);
        assert_eq!(data.notification_rules.len(), MAX_RULES);
    }

    #[test]
    fn ids_are_version_4_uuids() {
        let id = unused_id(&Data::default());
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{id}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }

    #[test]
    fn sorting_is_total_even_for_equal_names_and_times() {
        let mut data = Data::default();
        for (id, name) in [("c", "same"), ("a", "same"), ("b", "Same")] {
            let valid = validate(&rule(name)).expect("valid");
            create(
                &mut data,
                valid,
                id,
                &now("2026-01-01T00:00:00.000000+00:00"),
            )
            .expect("created");
        }
        let order = |sort: &str| {
            let query = ListQuery::parse(RawListQuery {
                sort: Some(sort.to_string()),
                ..RawListQuery::default()
            })
            .expect("query");
            list(&data, &query)
                .data
                .into_iter()
                .filter_map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(order("created_at"), ["a", "b", "c"]);
        assert_eq!(
            order("name:asc"),
            ["b", "a", "c"],
            "Same < same, then by time and id"
        );
        assert_eq!(order("name:desc"), ["c", "a", "b"]);
    }
}
