//! The registry: which webhooks and custom variables ddhooks owns (created or adopted), and a
//! salted fingerprint of each secret value it last wrote — never the value.
//!
//! Datadog cannot list webhooks or custom variables, so without this record ddhooks could
//! never delete safely. It is stored by default in Datadog itself, as non-secret custom
//! variables `DDHOOKS_STATE`, `DDHOOKS_STATE_2`, … of at most [`MAX_PART_BYTES`] bytes each;
//! this module only encodes and decodes it (no I/O).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Name of the first registry variable; the others are `DDHOOKS_STATE_2`, `_3`, ….
pub const STATE_VARIABLE: &str = "DDHOOKS_STATE";
/// Largest value written to one registry variable.
pub const MAX_PART_BYTES: usize = 4096;
/// First line of the first part: format tag and part count.
const HEADER_PREFIX: &str = "ddhooks-state/1 parts=";

/// What ddhooks owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    /// Random per registry; salts the fingerprints.
    #[serde(rename = "s")]
    pub salt: String,
    /// Owned webhook names.
    #[serde(rename = "w", default)]
    pub webhooks: BTreeSet<String>,
    /// Owned custom variable names, each with the fingerprint of the secret value ddhooks
    /// last wrote (`None` for non-secret variables, whose values Datadog returns).
    #[serde(rename = "c", default)]
    pub custom_variables: BTreeMap<String, Option<String>>,
}

/// A registry that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The first part does not start with the expected header.
    #[error("`{STATE_VARIABLE}` does not hold a ddhooks registry (unexpected header); if you created it by hand, delete or rename it")]
    BadHeader,
    /// A part named by the header is missing.
    #[error("registry part `{0}` is missing; a previous run was interrupted while writing the registry: restore it from a backup or delete every `{STATE_VARIABLE}*` variable and re-run (objects will be adopted again)")]
    MissingPart(String),
    /// The joined text is not a registry.
    #[error("the registry is corrupted ({0}); delete every `{STATE_VARIABLE}*` variable and re-run (objects will be adopted again)")]
    Corrupt(String),
}

impl Registry {
    /// An empty registry with the given salt (the caller supplies randomness; this module
    /// stays pure).
    pub fn new(salt: impl Into<String>) -> Registry {
        Registry {
            salt: salt.into(),
            webhooks: BTreeSet::new(),
            custom_variables: BTreeMap::new(),
        }
    }

    /// The salted fingerprint of a secret value, as stored in the registry and in plans.
    pub fn fingerprint(&self, value: &str) -> String {
        fingerprint(&self.salt, value)
    }

    /// The variable names and values that store this registry, first part first.
    pub fn encode(&self) -> Vec<(String, String)> {
        let json = serde_json::to_string(self).unwrap_or_default();
        let room = MAX_PART_BYTES - HEADER_PREFIX.len() - 8;
        let mut chunks: Vec<&str> = Vec::new();
        let mut rest = json.as_str();
        while !rest.is_empty() {
            let mut cut = rest.len().min(room);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (head, tail) = rest.split_at(cut);
            chunks.push(head);
            rest = tail;
        }
        if chunks.is_empty() {
            chunks.push("");
        }
        let count = chunks.len();
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                if i == 0 {
                    (
                        STATE_VARIABLE.to_string(),
                        format!("{HEADER_PREFIX}{count}\n{chunk}"),
                    )
                } else {
                    (part_name(i + 1), chunk.to_string())
                }
            })
            .collect()
    }

    /// How many parts the first part announces.
    pub fn part_count(first: &str) -> Result<usize, RegistryError> {
        let header = first.lines().next().unwrap_or("");
        header
            .strip_prefix(HEADER_PREFIX)
            .and_then(|n| n.trim().parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .ok_or(RegistryError::BadHeader)
    }

    /// Reads the registry back from its parts, fetched by name through `part`.
    pub fn decode(
        mut part: impl FnMut(&str) -> Option<String>,
    ) -> Result<Option<Registry>, RegistryError> {
        let Some(first) = part(STATE_VARIABLE) else {
            return Ok(None);
        };
        let count = Registry::part_count(&first)?;
        let mut json = first
            .split_once('\n')
            .map(|(_, c)| c.to_string())
            .unwrap_or_default();
        for i in 2..=count {
            let name = part_name(i);
            json.push_str(&part(&name).ok_or(RegistryError::MissingPart(name))?);
        }
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| RegistryError::Corrupt(e.to_string()))
    }
}

/// The name of registry part `n` (1-based; part 1 is [`STATE_VARIABLE`]).
pub fn part_name(n: usize) -> String {
    if n <= 1 {
        STATE_VARIABLE.to_string()
    } else {
        format!("{STATE_VARIABLE}_{n}")
    }
}

/// Whether a custom variable name belongs to the registry itself.
pub fn is_registry_variable(name: &str) -> bool {
    name == STATE_VARIABLE
        || name
            .strip_prefix(STATE_VARIABLE)
            .and_then(|r| r.strip_prefix('_'))
            .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n >= 2))
}

/// `hex(sha256(salt NUL value))`, first 32 hex digits: enough to detect a change, useless
/// for recovering a high-entropy secret.
pub fn fingerprint(salt: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0u8]);
    h.update(value.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for byte in &digest[..16] {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn big() -> Registry {
        let mut r = Registry::new("salt");
        for i in 0..600 {
            r.webhooks.insert(format!("group-{i}-alert-check"));
        }
        r.custom_variables
            .insert("DD_API_KEY".into(), Some(r.fingerprint("k")));
        r
    }

    #[test]
    fn splits_into_parts_of_at_most_4_kib_and_reads_back() {
        let r = big();
        let parts = r.encode();
        assert!(parts.len() > 3);
        assert!(parts.iter().all(|(_, v)| v.len() <= MAX_PART_BYTES));
        assert_eq!(parts[1].0, "DDHOOKS_STATE_2");
        let store: HashMap<_, _> = parts.into_iter().collect();
        assert_eq!(
            Registry::decode(|n| store.get(n).cloned()).unwrap(),
            Some(r)
        );
    }

    #[test]
    fn missing_part_and_garbage_are_clear_errors() {
        let mut store: HashMap<_, _> = big().encode().into_iter().collect();
        store.remove("DDHOOKS_STATE_2");
        assert_eq!(
            Registry::decode(|n| store.get(n).cloned()),
            Err(RegistryError::MissingPart("DDHOOKS_STATE_2".into()))
        );
        assert_eq!(
            Registry::decode(|_| Some("hello".into())),
            Err(RegistryError::BadHeader)
        );
        assert!(matches!(
            Registry::decode(|_| Some(format!("{HEADER_PREFIX}1\n{{nope"))),
            Err(RegistryError::Corrupt(_))
        ));
        assert_eq!(Registry::decode(|_| None), Ok(None));
    }

    #[test]
    fn fingerprints_depend_on_salt_and_hide_the_value() {
        let a = fingerprint("s1", "secret-value");
        assert_ne!(a, fingerprint("s2", "secret-value"));
        assert_eq!(a, fingerprint("s1", "secret-value"));
        assert!(!a.contains("secret"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn registry_variable_names() {
        assert!(is_registry_variable("DDHOOKS_STATE") && is_registry_variable("DDHOOKS_STATE_12"));
        assert!(
            !is_registry_variable("DDHOOKS_STATE_X") && !is_registry_variable("DDHOOKS_STATE_1")
        );
    }
}
