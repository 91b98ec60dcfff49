//! Webhook auth methods in the plan (OAuth2 client credentials, API v2): ownership by id
//! with adoption by name, as for rules; the client secret, which Datadog never returns,
//! compared by the salted fingerprint of the value ddhooks last wrote, as for a secret
//! custom variable; and the links people made from webhooks to auth methods, which ddhooks
//! shows and keeps but never writes.

use super::by_id::{plan_kind, Kind};
use super::model::{
    Address, AuthMethodChange, AuthMethodState, Change, Edit, Fingerprint, Held, Plan, SecretState,
};
use crate::model::{AuthMethod, Desired, RemoteAuthMethod, Unmodelled};
use crate::registry::{OwnedKind, Registry};
use serde::Serialize;
use std::collections::BTreeMap;

/// The fingerprint of an auth method as read: its id and every field Datadog returns (the
/// secret's registry fingerprint is ddhooks' own bookkeeping, not Datadog's state).
pub fn auth_method_fingerprint(id: &str, state: &AuthMethodState) -> Fingerprint {
    #[derive(Serialize)]
    struct Read<'a> {
        id: &'a str,
        name: &'a str,
        access_token_url: &'a str,
        client_id: &'a str,
        audience: Option<&'a str>,
        scope: Option<&'a str>,
    }
    super::fingerprint_json(&Read {
        id,
        name: &state.name,
        access_token_url: &state.access_token_url,
        client_id: &state.client_id,
        audience: state.audience.as_deref(),
        scope: state.scope.as_deref(),
    })
}

/// The auth method the manifests want, with the fingerprint of its secret.
fn desired_state(name: &str, want: &AuthMethod, registry: &Registry) -> AuthMethodState {
    AuthMethodState {
        name: name.to_string(),
        access_token_url: want.access_token_url.clone(),
        client_id: want.client_id.clone(),
        client_secret: SecretState {
            fingerprint: Some(registry.fingerprint(want.client_secret.expose())),
            value: Some(want.client_secret.clone()),
        },
        audience: want.audience.clone(),
        scope: want.scope.clone(),
    }
}

/// An auth method as read, with the fingerprint of the secret ddhooks last wrote to it
/// (`None` when it does not own it, or never wrote it).
fn remote_state(have: &RemoteAuthMethod, secret_fingerprint: Option<&str>) -> AuthMethodState {
    AuthMethodState {
        name: have.name.clone(),
        access_token_url: have.access_token_url.clone(),
        client_id: have.client_id.clone(),
        client_secret: SecretState {
            fingerprint: secret_fingerprint.map(str::to_string),
            value: None,
        },
        audience: have.audience.clone(),
        scope: have.scope.clone(),
    }
}

/// Plans every desired auth method and every owned one no longer desired.
pub(super) fn plan_auth_methods(
    desired: &Desired,
    remote: &BTreeMap<String, RemoteAuthMethod>,
    registry: &Registry,
    out: &mut Plan,
) {
    if desired.auth_methods.is_empty() && registry.owned(OwnedKind::AuthMethod).next().is_none() {
        return;
    }
    let owner: BTreeMap<&str, &str> = registry
        .owned_ids(OwnedKind::AuthMethod)
        .map(|(name, id)| (id, name))
        .collect();
    let wanted: Vec<(&str, AuthMethodState)> = desired
        .auth_methods
        .iter()
        .map(|(name, want)| (name.as_str(), desired_state(name, want, registry)))
        .collect();
    let held: Vec<(&str, AuthMethodState)> = remote
        .values()
        .map(|have| {
            let secret = owner
                .get(have.id.as_str())
                .and_then(|name| registry.fingerprint_of(OwnedKind::AuthMethod, name));
            (have.id.as_str(), remote_state(have, secret))
        })
        .collect();
    let nothing = Unmodelled::default();
    // Planned apart, so that only this kind's changes get the secret's note.
    let mut changes = Plan::default();
    let kind = Kind {
        noun: "auth method",
        keyed: "named",
        desired: wanted
            .iter()
            .map(|(name, state)| (*name, state, *name))
            .collect(),
        remote: held
            .iter()
            .map(|(id, state)| (*id, (state, state.name.as_str(), &nothing)))
            .collect(),
        registry,
        owned: OwnedKind::AuthMethod,
        change: |d| {
            Change::AuthMethod(AuthMethodChange {
                name: d.name,
                id: d.id,
                edit: d.edit,
                notes: d.notes,
            })
        },
        fingerprint: auth_method_fingerprint,
    };
    plan_kind(kind, &mut changes);
    for change in &mut changes.changes {
        if let Change::AuthMethod(c) = change {
            note_secret(c);
        }
    }
    out.changes.extend(changes.changes);
    out.reads.extend(changes.reads);
    out.forget.extend(changes.forget);
}

/// Says why a client secret is written when nothing else changed: Datadog cannot show it.
fn note_secret(c: &mut AuthMethodChange) {
    let (before, after) = match &c.edit {
        Edit::Update { before, after, .. } | Edit::Adopt { before, after, .. } => (before, after),
        _ => return,
    };
    if before.client_secret == after.client_secret {
        return;
    }
    let why = if before.client_secret.fingerprint.is_none() {
        "ddhooks has no record of the client secret it holds"
    } else {
        "the client secret differs from the one ddhooks last wrote"
    };
    c.notes.push(format!(
        "Datadog never returns a client secret, so its remote value cannot be read; {why}, so apply writes it"
    ));
}

/// Deletions of auth methods that webhooks read for this plan still authenticate with are
/// held back, as a webhook a monitor mentions is: deleting one would silently break them.
/// The link is a person's (ddhooks never writes it).
pub(super) fn hold_auth_methods_webhooks_use(
    remote: &crate::model::Remote,
    force: bool,
    out: &mut Plan,
) {
    if force {
        return;
    }
    let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for hook in remote.webhooks.values() {
        if let Some(id) = &hook.auth_method_id {
            users.entry(id.as_str()).or_default().push(&hook.name);
        }
    }
    if users.is_empty() {
        return;
    }
    let mut held = Vec::new();
    out.changes.retain(|c| match c {
        Change::AuthMethod(a) if matches!(a.edit, Edit::Delete { .. }) => {
            match a.id.as_deref().and_then(|id| users.get(id)) {
                Some(hooks) => {
                    held.push(Held {
                        address: Address::AuthMethod(a.name.clone()),
                        reason: format!(
                            "not deleted: webhooks authenticate with it ({}); unlink them in Datadog first, or pass --force",
                            hooks.join(", ")
                        ),
                    });
                    false
                }
                None => true,
            }
        }
        _ => true,
    });
    out.held.extend(held);
}

/// On each webhook change, the auth method a person linked it to: ddhooks keeps the link
/// (its writes never carry it) and says so, by name when the auth method was read.
pub(super) fn note_webhook_links(remote: &crate::model::Remote, out: &mut Plan) {
    for change in &mut out.changes {
        let Change::Webhook(w) = change else { continue };
        let name = match &w.edit {
            Edit::Rename { from, .. } => from.as_str(),
            _ => w.name.as_str(),
        };
        let Some(id) = remote
            .webhooks
            .get(name)
            .and_then(|h| h.auth_method_id.as_deref())
        else {
            continue;
        };
        let which = match remote.auth_methods.get(id) {
            Some(a) => format!("auth method `{}` ({id})", a.name),
            None => format!("auth method {id}"),
        };
        w.notes.push(format!(
            "authenticates with {which}, linked in Datadog: kept (ddhooks does not set this link; the webhooks API does not document it)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{plan, PlanOptions};
    use super::*;
    use crate::model::{Remote, RemoteWebhook, Secret};
    use crate::plan::{Action, OwnedName};
    use crate::registry::Ownership;

    const SECRET: &str = "made-up-client-secret";

    fn want() -> AuthMethod {
        AuthMethod {
            access_token_url: "https://login.example.com/oauth2/token".into(),
            client_id: "client".into(),
            client_secret: Secret::new(SECRET),
            audience: Some("https://api.example.com".into()),
            scope: None,
        }
    }

    fn desired() -> Desired {
        let mut d = Desired::default();
        d.auth_methods.insert("okta".into(), want());
        d
    }

    fn held(id: &str, name: &str) -> RemoteAuthMethod {
        let w = want();
        RemoteAuthMethod {
            id: id.into(),
            name: name.into(),
            access_token_url: w.access_token_url,
            client_id: w.client_id,
            audience: w.audience,
            scope: w.scope,
        }
    }

    fn remote(methods: &[RemoteAuthMethod]) -> Remote {
        let mut r = Remote::default();
        for m in methods {
            r.auth_methods.insert(m.id.clone(), m.clone());
        }
        r
    }

    /// A registry that owns nothing.
    fn unowned() -> Registry {
        Registry::new("salt")
    }

    /// Asserts that a note of `c` says `part`.
    fn assert_noted(c: &AuthMethodChange, part: &str) {
        assert!(c.notes.iter().any(|n| n.contains(part)), "{:?}", c.notes);
    }

    /// A registry that owns `okta` as `id-1`, having written `secret`.
    fn owning(secret: &str) -> Registry {
        let mut reg = Registry::new("salt");
        let fp = reg.fingerprint(secret);
        let with = Ownership {
            id: Some("id-1".into()),
            fingerprint: Some(fp),
        };
        reg.record(OwnedKind::AuthMethod, "okta", with);
        reg
    }

    /// The plan of [`desired`] against `methods` with `registry`, unforced.
    fn plan_of(methods: &[RemoteAuthMethod], registry: &Registry) -> Plan {
        plan(
            &desired(),
            &remote(methods),
            registry,
            &PlanOptions::default(),
        )
    }

    fn only(p: &Plan) -> &AuthMethodChange {
        match p.changes.as_slice() {
            [Change::AuthMethod(c)] => c,
            other => panic!("one auth method change expected: {other:?}"),
        }
    }

    #[test]
    fn one_is_created_from_nothing_with_its_secret_fingerprinted() {
        let reg = Registry::new("salt");
        let p = plan_of(&[], &reg);
        let c = only(&p);
        assert_eq!(c.edit.action(), Action::Create);
        let after = c.edit.after().unwrap();
        assert_eq!(
            after.client_secret.fingerprint,
            Some(reg.fingerprint(SECRET))
        );
        assert_eq!(
            p.reads.get(&Address::AuthMethod("okta".into())),
            Some(&None)
        );
    }

    #[test]
    fn an_owned_one_that_matches_and_whose_secret_is_the_last_written_plans_nothing() {
        let p = plan_of(&[held("id-1", "okta")], &owning(SECRET));
        assert!(p.changes.is_empty(), "{:?}", p.changes);
    }

    #[test]
    fn a_new_secret_or_a_new_field_is_an_update() {
        let p = plan_of(&[held("id-1", "okta")], &owning("an-older-secret"));
        let c = only(&p);
        assert_eq!(c.edit.action(), Action::Update);
        assert_noted(c, "differs from the one ddhooks last wrote");
        let mut moved = held("id-1", "okta");
        moved.scope = Some("read".into());
        let p = plan_of(&[moved], &owning(SECRET));
        let c = only(&p);
        assert_eq!(c.edit.action(), Action::Update);
        assert!(
            c.notes.is_empty(),
            "the secret did not change: {:?}",
            c.notes
        );
    }

    #[test]
    fn one_unowned_auth_method_of_the_name_is_adopted_and_its_secret_written() {
        let p = plan_of(&[held("id-9", "okta"), held("id-8", "other")], &unowned());
        let c = only(&p);
        assert!(matches!(c.edit, Edit::Adopt { writes: true, .. }), "{c:?}");
        assert_eq!(c.id.as_deref(), Some("id-9"));
        assert_noted(c, "no record of the client secret");
    }

    #[test]
    fn several_of_the_name_are_not_adopted() {
        let p = plan_of(&[held("id-8", "okta"), held("id-9", "okta")], &unowned());
        let c = only(&p);
        assert_eq!(c.edit.action(), Action::Create);
        assert_noted(c, "id-8, id-9");
    }

    #[test]
    fn an_owned_one_no_longer_declared_is_deleted_unless_a_webhook_uses_it() {
        let none = Desired::default();
        let mut r = remote(&[held("id-1", "okta")]);
        let p = plan(&none, &r, &owning(SECRET), &PlanOptions::default());
        assert_eq!(only(&p).edit.action(), Action::Delete);
        r.webhooks.insert(
            "hook".into(),
            RemoteWebhook {
                name: "hook".into(),
                url: "https://example.com".into(),
                payload: None,
                custom_headers: None,
                encode_as: crate::model::EncodeAs::Json,
                auth_method_id: Some("id-1".into()),
            },
        );
        let p = plan(&none, &r, &owning(SECRET), &PlanOptions::default());
        assert!(p.changes.is_empty());
        assert!(p.held[0]
            .reason
            .contains("webhooks authenticate with it (hook)"));
        let forced = PlanOptions { force: true };
        let p = plan(&none, &r, &owning(SECRET), &forced);
        assert_eq!(only(&p).edit.action(), Action::Delete);
        // Gone from Datadog: forgotten.
        let p = plan(
            &none,
            &Remote::default(),
            &owning(SECRET),
            &PlanOptions::default(),
        );
        assert_eq!(
            p.forget,
            vec![OwnedName::new(OwnedKind::AuthMethod, "okta")]
        );
    }

    #[test]
    fn the_secret_never_reaches_a_rendered_plan() {
        let p = plan_of(&[], &unowned());
        for format in [
            crate::render::Format::Text,
            crate::render::Format::Json,
            crate::render::Format::Markdown,
        ] {
            let text = crate::render::render(&p, format, false).unwrap();
            assert!(!text.contains(SECRET), "{format:?}: {text}");
            assert!(text.contains("sensitive"), "{format:?}: {text}");
            assert!(
                text.contains("webhook_auth_method.okta"),
                "{format:?}: {text}"
            );
        }
    }
}
