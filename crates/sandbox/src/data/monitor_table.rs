//! The stored monitors, each with the bytes the listing answers for it.
//!
//! A page of `GET /api/v1/monitor` is 1,000 monitors, megabytes of JSON, and ddhooks lists
//! every page on every plan. Serialising each monitor again for every page made the sandbox
//! spend as much CPU as the client it serves, on the same machine, while Datadog's own
//! servers are not on the user's machine at all. So each monitor is serialised once, when it
//! is written, and a page is assembled from stored bytes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One monitor: the object as the API returns it, and its listing answer as bytes.
#[derive(Debug, Clone)]
struct Stored {
    object: Map<String, Value>,
    listed: Box<[u8]>,
}

impl Stored {
    fn new(object: Map<String, Value>) -> Stored {
        let listed = listing_bytes(&object);
        Stored { object, listed }
    }
}

/// Monitors by id. Every write goes through [`MonitorTable::insert`],
/// [`MonitorTable::update`] or [`MonitorTable::remove`], which keep the listing bytes in
/// step with the object, so that no page can answer an old version of a monitor.
/// Serialised (in the data file, snapshots and the journal) as the map of objects alone.
///
/// Held as a vector sorted by id rather than a tree: ids only grow, so a create appends,
/// and a page of an unfiltered listing is a slice ([`MonitorTable::listed_from`]) instead
/// of a walk past every monitor of the pages before it (page 100 of 100,000 monitors
/// walked 99,000).
#[derive(Debug, Clone, Default)]
pub struct MonitorTable(Vec<(i64, Stored)>);

impl MonitorTable {
    fn position(&self, id: &i64) -> Result<usize, usize> {
        self.0.binary_search_by_key(id, |(stored, _)| *stored)
    }

    /// The monitor `id`, as stored.
    pub fn get(&self, id: &i64) -> Option<&Map<String, Value>> {
        let at = self.position(id).ok()?;
        Some(&self.0[at].1.object)
    }

    /// Whether monitor `id` exists.
    pub fn contains_key(&self, id: &i64) -> bool {
        self.position(id).is_ok()
    }

    /// Stores `object` as monitor `id` (its listing bytes serialised now); the monitor it
    /// replaces, if any.
    pub fn insert(&mut self, id: i64, object: Map<String, Value>) -> Option<Map<String, Value>> {
        let stored = Stored::new(object);
        match self.position(&id) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, stored).object),
            Err(at) => {
                self.0.insert(at, (id, stored));
                None
            }
        }
    }

    /// Changes monitor `id` in place and serialises it again; `false` when there is none.
    pub fn update(&mut self, id: &i64, change: impl FnOnce(&mut Map<String, Value>)) -> bool {
        let Ok(at) = self.position(id) else {
            return false;
        };
        let stored = &mut self.0[at].1;
        change(&mut stored.object);
        stored.listed = listing_bytes(&stored.object);
        true
    }

    /// Removes monitor `id`; the monitor removed, if any.
    pub fn remove(&mut self, id: &i64) -> Option<Map<String, Value>> {
        let at = self.position(id).ok()?;
        Some(self.0.remove(at).1.object)
    }

    /// How many monitors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids, ascending.
    pub fn keys(&self) -> impl Iterator<Item = &i64> {
        self.0.iter().map(|(id, _)| id)
    }

    /// Every monitor by ascending id.
    pub fn iter(&self) -> impl Iterator<Item = (&i64, &Map<String, Value>)> {
        self.0.iter().map(|(id, s)| (id, &s.object))
    }

    /// Every monitor by ascending id, with the bytes the listing answers for it.
    pub fn listed(&self) -> impl Iterator<Item = (&i64, &Map<String, Value>, &[u8])> {
        self.listed_from(0)
    }

    /// [`MonitorTable::listed`] from the `skip`-th monitor on, without walking the ones
    /// before it.
    pub fn listed_from(
        &self,
        skip: usize,
    ) -> impl Iterator<Item = (&i64, &Map<String, Value>, &[u8])> {
        self.0
            .get(skip..)
            .unwrap_or_default()
            .iter()
            .map(|(id, s)| (id, &s.object, &*s.listed))
    }
}

/// A JSON array of listing answers: `[a,b,…]`, from stored bytes.
pub fn listing_array<'a>(answers: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let answers: Vec<&[u8]> = answers.into_iter().collect();
    let size = answers.iter().map(|a| a.len() + 1).sum::<usize>() + 2;
    let mut body = Vec::with_capacity(size);
    body.push(b'[');
    for (n, answer) in answers.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(answer);
    }
    body.push(b']');
    body
}

/// A monitor as the listing shows it: the stored object with `matching_downtimes: []`
/// (the stored one, if any, is not shown), as recorded.
fn listing_bytes(object: &Map<String, Value>) -> Box<[u8]> {
    /// Serialises the object with `matching_downtimes` last, without copying it.
    struct Listed<'d>(&'d Map<String, Value>);
    impl Serialize for Listed<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(self.0.len() + 1))?;
            for (key, value) in self.0 {
                if key != "matching_downtimes" {
                    map.serialize_entry(key, value)?;
                }
            }
            map.serialize_entry("matching_downtimes", &[] as &[Value])?;
            map.end()
        }
    }
    // A map of JSON values with string keys always serialises.
    serde_json::to_vec(&Listed(object))
        .unwrap_or_default()
        .into_boxed_slice()
}

impl PartialEq for MonitorTable {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

#[cfg(test)]
impl std::ops::Index<&i64> for MonitorTable {
    type Output = Map<String, Value>;

    /// Panics when there is no monitor `id`, as a map's index does (tests only).
    fn index(&self, id: &i64) -> &Map<String, Value> {
        self.get(id).expect("no monitor with this id")
    }
}

impl FromIterator<(i64, Map<String, Value>)> for MonitorTable {
    fn from_iter<I: IntoIterator<Item = (i64, Map<String, Value>)>>(objects: I) -> Self {
        let mut table = MonitorTable::default();
        for (id, object) in objects {
            table.insert(id, object);
        }
        table
    }
}

impl Serialize for MonitorTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for MonitorTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let objects = BTreeMap::<i64, Map<String, Value>>::deserialize(deserializer)?;
        Ok(objects.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    /// What a page of `table` answers, parsed back.
    fn page(table: &MonitorTable) -> Value {
        let body = listing_array(table.listed().map(|(_, _, bytes)| bytes));
        serde_json::from_slice(&body).expect("a page is JSON")
    }

    #[test]
    fn a_page_answers_every_write_and_no_stored_downtimes() {
        let mut table = MonitorTable::default();
        assert_eq!(page(&table), json!([]));
        table.insert(
            1,
            object(json!({"id": 1, "message": "a \"quoted\" line\n"})),
        );
        table.insert(
            2,
            object(json!({"id": 2, "message": "b", "matching_downtimes": [{"id": 9}]})),
        );
        assert_eq!(
            page(&table),
            json!([
                {"id": 1, "message": "a \"quoted\" line\n", "matching_downtimes": []},
                {"id": 2, "message": "b", "matching_downtimes": []},
            ])
        );
        assert!(table.update(&1, |m| {
            m.insert("message".into(), json!("changed"));
        }));
        assert!(!table.update(&3, |_| panic!("no monitor 3")));
        assert_eq!(page(&table)[0]["message"], "changed");
        assert_eq!(
            table.remove(&2).map(|m| m["message"].clone()),
            Some(json!("b"))
        );
        assert_eq!(
            page(&table),
            json!([{"id": 1, "message": "changed", "matching_downtimes": []}])
        );
        // Stored whole, downtimes included: only the listing leaves them out.
        table.insert(4, object(json!({"id": 4, "matching_downtimes": [1]})));
        assert_eq!(table[&4]["matching_downtimes"], json!([1]));
    }

    #[test]
    fn it_is_stored_as_the_map_of_objects_and_read_back_with_its_bytes() {
        let table: MonitorTable = [(7, object(json!({"id": 7, "name": "n"})))]
            .into_iter()
            .collect();
        let text = serde_json::to_string(&table).expect("serialises");
        assert_eq!(text, r#"{"7":{"id":7,"name":"n"}}"#);
        let back: MonitorTable = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, table);
        assert_eq!(page(&back)[0]["name"], "n");
    }

    #[test]
    fn ids_stay_sorted_and_a_page_starts_anywhere() {
        let mut table = MonitorTable::default();
        for id in [5, 1, 9, 3] {
            assert!(table.insert(id, object(json!({"id": id}))).is_none());
        }
        assert!(table.insert(3, object(json!({"id": 3, "v": 2}))).is_some());
        assert_eq!(table.keys().copied().collect::<Vec<_>>(), [1, 3, 5, 9]);
        let from = |skip| {
            table
                .listed_from(skip)
                .map(|(id, _, _)| *id)
                .collect::<Vec<_>>()
        };
        assert_eq!(from(2), [5, 9]);
        assert_eq!(from(4), Vec::<i64>::new());
        assert_eq!(from(usize::MAX), Vec::<i64>::new());
        assert_eq!(table.remove(&5).map(|m| m["id"].clone()), Some(json!(5)));
        assert_eq!(table.remove(&5), None);
        assert_eq!(table.get(&3).map(|m| m["v"].clone()), Some(json!(2)));
        assert_eq!(table.len(), 3);
    }
}
