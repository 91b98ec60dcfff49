//! Planning the kinds Datadog addresses by id and can list (notification rules, status
//! boards): ownership is the registry's name → id; an object not owned is adopted when
//! exactly one unowned object carries the key it is known by (a rule's name, a board's
//! title); with several, ddhooks makes its own and says why.

use super::model::{Change, Edit, Fingerprint, OwnedName, Plan, WholeChange};
use crate::model::Unmodelled;
use crate::registry::{OwnedKind, Registry};
use std::collections::{BTreeMap, BTreeSet};

/// One kind of id-addressed object, as the planner sees it.
pub(super) struct Kind<'a, T> {
    /// What the object is called in notes (`rule`, `dashboard`).
    pub noun: &'static str,
    /// What adoption matches on (`named`, `titled`).
    pub keyed: &'static str,
    /// Desired objects by manifest name, with their adoption key.
    pub desired: Vec<(&'a str, &'a T, &'a str)>,
    /// Remote objects by id, with their adoption key and the fields ddhooks does not model.
    pub remote: BTreeMap<&'a str, (&'a T, &'a str, &'a Unmodelled)>,
    /// The registry, whose tables of `owned` map manifest names to ids.
    pub registry: &'a Registry,
    /// The registry's kind of these objects (and their addresses).
    pub owned: OwnedKind,
    /// The kind's change for what was decided (for rules and boards, their variant of
    /// [`Change`]).
    pub change: fn(WholeChange<T>) -> Change,
    /// The fingerprint of a remote object as read.
    pub fingerprint: fn(&str, &T) -> Fingerprint,
}

impl<T> Kind<'_, T> {
    /// The kind's change for `name` (Datadog's `id`, if it has one): `edit`, with `notes`,
    /// carrying `carried` into the write.
    fn decide(
        &self,
        name: &str,
        id: Option<&str>,
        edit: Edit<T>,
        notes: Vec<String>,
        carried: &Unmodelled,
    ) -> Change {
        (self.change)(WholeChange {
            name: name.into(),
            id: id.map(str::to_string),
            edit,
            notes,
            carried: carried.clone(),
        })
    }
}

/// Plans every desired object of the kind and every owned one no longer desired.
pub(super) fn plan_kind<T: Clone + PartialEq>(kind: Kind<'_, T>, out: &mut Plan) {
    let owned_ids: BTreeSet<&str> = kind
        .registry
        .owned_ids(kind.owned)
        .map(|(_, id)| id)
        .collect();
    let mut unowned_by_key: BTreeMap<&str, Vec<(&str, &T, &Unmodelled)>> = BTreeMap::new();
    for (id, (object, key, carried)) in &kind.remote {
        if !owned_ids.contains(id) {
            unowned_by_key
                .entry(key)
                .or_default()
                .push((id, object, carried));
        }
    }
    let noun = kind.noun;
    for &(name, want, key) in &kind.desired {
        let address = OwnedName::new(kind.owned, name).address();
        let owned_id = kind.registry.id_of(kind.owned, name);
        let have = owned_id.and_then(|id| kind.remote.get(id).map(|h| (id, h.0, h.2)));
        if let Some((id, have, carried)) = have {
            let read = (kind.fingerprint)(id, have);
            out.reads.insert(address, Some(read.clone()));
            if have != want {
                let edit = Edit::Update {
                    before: have.clone(),
                    after: want.clone(),
                    read,
                };
                out.changes
                    .push(kind.decide(name, Some(id), edit, Vec::new(), carried));
            }
            continue;
        }
        let mut notes = Vec::new();
        if let Some(id) = owned_id {
            notes.push(format!(
                "the {noun} ddhooks made ({id}) no longer exists in Datadog (deleted by hand?); it is made again"
            ));
        }
        match unowned_by_key.get(key).map(Vec::as_slice) {
            Some([(id, one, carried)]) => {
                let read = (kind.fingerprint)(id, one);
                out.reads.insert(address, Some(read.clone()));
                let edit = Edit::Adopt {
                    before: (*one).clone(),
                    after: want.clone(),
                    read,
                    writes: *one != want,
                };
                out.changes
                    .push(kind.decide(name, Some(*id), edit, notes, carried));
            }
            found => {
                if let Some(many) = found {
                    let ids: Vec<&str> = many.iter().map(|(id, _, _)| *id).collect();
                    notes.push(format!(
                        "{} {noun}s are {} `{key}` ({}) and ddhooks owns none of them, so it cannot tell which to adopt: it creates its own; delete or rename the others",
                        many.len(),
                        kind.keyed,
                        ids.join(", ")
                    ));
                }
                out.reads.insert(address, None);
                let edit = Edit::Create {
                    after: want.clone(),
                };
                out.changes
                    .push(kind.decide(name, None, edit, notes, &Unmodelled::default()));
            }
        }
    }
    let desired: BTreeSet<&str> = kind.desired.iter().map(|(n, _, _)| *n).collect();
    for (name, id) in kind
        .registry
        .owned_ids(kind.owned)
        .filter(|(n, _)| !desired.contains(n))
    {
        let owned = OwnedName::new(kind.owned, name);
        let address = owned.address();
        match kind.remote.get(id) {
            Some((have, _, _)) => {
                let read = (kind.fingerprint)(id, have);
                out.reads.insert(address, Some(read.clone()));
                let edit = Edit::Delete {
                    before: (*have).clone(),
                    read,
                };
                out.changes.push(kind.decide(
                    name,
                    Some(id),
                    edit,
                    Vec::new(),
                    &Unmodelled::default(),
                ));
            }
            None => {
                out.reads.insert(address, None);
                out.forget.push(owned);
            }
        }
    }
}
