//! The registry: which webhooks and custom variables ddhooks owns (created or adopted), and a
//! salted fingerprint of each secret value it last wrote — never the value.
//!
//! Datadog cannot list webhooks or custom variables, so without this record ddhooks could
//! never delete safely. It is stored by default in Datadog itself, as non-secret custom
//! variables `DDHOOKS_STATE`, `DDHOOKS_STATE_2`, … of at most [`MAX_PART_BYTES`] bytes each;
//! this module only encodes and decodes it (no I/O).
//!
//! # Formats
//!
//! The first line of `DDHOOKS_STATE` names the format:
//!
//! - `ddhooks-state/1 parts=N`: compact JSON split over N parts, no checksum (read only).
//! - `ddhooks-state/2 parts=N slot=a|b sum=HEX`: the same JSON, in two alternating slots of
//!   parts, with a checksum of the joined JSON (read only).
//! - `ddhooks-state/3 parts=N slot=a|b sum=HEX`: the slots and checksum of format 2 over a
//!   compact record — front-coded names, deflated, in base64 ([`compact`]); the checksum is
//!   of the record itself. The scale benchmark's 1,000 webhooks take one part instead of
//!   six. Always written.
//!
//! # Rolling back to an older ddhooks
//!
//! A ddhooks older than format 3 cannot read it: its plan and apply stop with "`DDHOOKS_STATE`
//! does not hold a ddhooks registry (unexpected header)" before writing anything. Do not
//! delete the variables as that message suggests (ownership would be lost). Instead, with
//! this version, `ddhooks export-state --out registry.json` writes the registry as the JSON a
//! state file holds ([`Registry::to_file_text`]), which every version reads; the older
//! version then runs with `--state file:registry.json`. A format this version does not know
//! (a newer ddhooks wrote it) is refused the same way, as [`RegistryError::NewerFormat`].

mod compact;
mod ownership;

pub use compact::{Damage, MAX_PAYLOAD_BYTES};
pub use ownership::{OwnedKind, Ownership};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Name of the first registry variable (the header part); the others are
/// `DDHOOKS_STATE_2`, `_3`, … (slot A) or `DDHOOKS_STATE_B_2`, `_B_3`, … (slot B).
pub const STATE_VARIABLE: &str = "DDHOOKS_STATE";
/// Largest value written to one registry variable.
pub const MAX_PART_BYTES: usize = 4096;
/// Most parts a header may announce (4 MiB of text): far above any real registry, and a
/// bound on what a damaged header makes a reader fetch.
pub const MAX_PARTS: usize = 1024;
/// What every header starts with, the format's number after it.
const HEADER_TAG: &str = "ddhooks-state/";
/// First line of the first part in the first format: part count only.
const HEADER_V1: &str = "ddhooks-state/1 parts=";
/// First line of the first part in format 3 (written while the registry owns no auth
/// method): format, then part count, slot and checksum.
const HEADER_V3: &str = "ddhooks-state/3 ";
/// First line of the first part in format 4: format 3's record with the auth methods after
/// it. Written only when the registry holds auth methods, so that a registry without them
/// stays readable by the ddhooks versions before them, and one with them is refused by
/// those as a newer format (never misread as damaged).
const HEADER_V4: &str = "ddhooks-state/4 ";

/// What ddhooks owns, plus the names whose existence is uncertain.
///
/// **Pending entries.** Before ddhooks sends a create, delete or rename, it saves the names
/// involved as *pending*; after the write it saves them as owned (or removes them). A run
/// killed in between leaves them pending, and the next fetch resolves each by looking the
/// name up: it exists → owned, it is absent → dropped ([`Registry::resolve_pending`]). So the
/// stored registry never lists as owned an object that does not exist, and never misses an
/// object ddhooks created: such an object is at least pending.
///
/// Ownership is read and written through [`OwnedKind`] and the methods of `ownership`
/// ([`Registry::mark_pending`], [`Registry::record`], [`Registry::release`],
/// [`Registry::forget`] and the accessors); the tables stay private, and the state file's
/// JSON is a private wire struct with the keys every version wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ownership::Wire", into = "ownership::Wire")]
pub struct Registry {
    /// Random per registry; salts the fingerprints.
    salt: String,
    /// Owned webhook names, and those a write in flight may have created, deleted or
    /// renamed.
    webhooks: ownership::ByName,
    /// Owned custom variable names, each with the fingerprint of the secret value ddhooks
    /// last wrote (`None` for non-secret variables, whose values Datadog returns), and
    /// those a write in flight may have created or deleted, with the fingerprint to own
    /// them with if they turn out to exist.
    variables: ownership::ByName,
    /// Owned notification rules: block name to the rule's id in Datadog (rules can be
    /// listed, but their names are not unique, so ownership goes by id); pending: block
    /// names whose rule a create in flight may have made (its id is known only from the
    /// answer).
    rules: ownership::ById,
    /// Owned status boards: board name to the dashboard's id.
    boards: ownership::ById,
    /// Owned webhook auth methods: name to the auth method's id in Datadog.
    auth_methods: ownership::ById,
    /// The salted fingerprint of the client secret ddhooks last wrote to each owned auth
    /// method (Datadog never returns it), recorded only once a write succeeded.
    auth_method_secrets: BTreeMap<String, String>,
    /// How many monitors the org had at the last apply that saved the registry: sizes a
    /// concurrent read of the monitor pages (the API gives no count). A hint only: a wrong
    /// one costs a page read more or less, never a wrong listing.
    monitor_count: Option<usize>,
}

/// A registry that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The first part does not start with the expected header.
    #[error("`{STATE_VARIABLE}` does not hold a ddhooks registry (unexpected header); if you created it by hand, delete or rename it")]
    BadHeader,
    /// A part named by the header is missing.
    #[error("registry part `{0}` is missing; if another apply is running, retry when it is done; otherwise restore it from a backup or delete every `{STATE_VARIABLE}*` variable and re-run (objects will be adopted again)")]
    MissingPart(String),
    /// The joined text is not a registry.
    #[error("the registry is corrupted ({0}); delete every `{STATE_VARIABLE}*` variable and re-run (objects will be adopted again)")]
    Corrupt(String),
    /// A format-3 registry's text or record is damaged (or mixes two versions).
    #[error("the registry is damaged ({0}); if another apply is running, retry when it is done; otherwise restore the `{STATE_VARIABLE}*` variables from a backup, or delete them all and re-run (objects will be adopted again)")]
    Damaged(#[from] Damage),
    /// The header names a format this version does not know: a newer ddhooks wrote it.
    #[error("`{STATE_VARIABLE}` holds a registry in format `{HEADER_TAG}{0}`, written by a newer ddhooks than this one; use that version (or newer), or have it write the registry to a file with `ddhooks export-state --out FILE` and run this version with `--state file:FILE`")]
    NewerFormat(String),
    /// The header announces more parts than any registry has.
    #[error("`{STATE_VARIABLE}` announces {0} parts, more than the {MAX_PARTS} a registry may have; the header is damaged: restore it from a backup, or delete every `{STATE_VARIABLE}*` variable and re-run (objects will be adopted again)")]
    TooManyParts(usize),
    /// The registry could not be encoded (nothing was written).
    #[error("the registry could not be encoded ({0}); nothing was written; this is a bug in ddhooks, please report it")]
    Encode(String),
}

impl RegistryError {
    /// Whether a read that failed this way may succeed when repeated: a registry read while
    /// another run rewrites it can miss a part or mix two versions, while a foreign or
    /// newer header stays what it is.
    pub fn may_be_transient(&self) -> bool {
        match self {
            RegistryError::MissingPart(_)
            | RegistryError::Corrupt(_)
            | RegistryError::Damaged(_) => true,
            RegistryError::BadHeader
            | RegistryError::NewerFormat(_)
            | RegistryError::TooManyParts(_)
            | RegistryError::Encode(_) => false,
        }
    }
}

/// One of the two sets of part names the registry alternates between, so that a new
/// version is written completely before the header switches to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `DDHOOKS_STATE_2`, `_3`, …
    A,
    /// `DDHOOKS_STATE_B_2`, `_B_3`, …
    B,
}

impl Slot {
    /// The other slot.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Slot::A => "a",
            Slot::B => "b",
        }
    }
}

/// What the header part says about how the registry is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Number of parts, the header included (at least 1).
    pub parts: usize,
    /// Which slot parts 2… live in.
    pub slot: Slot,
    /// How the joined text is encoded.
    format: Format,
    /// Checksum of the joined JSON (format 2) or of the record (format 3); `None` for
    /// format 1.
    checksum: Option<[u8; 8]>,
}

/// The registry formats this version reads (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// JSON, no checksum.
    V1,
    /// JSON, checksummed.
    V2,
    /// The compact record, deflated, base64, checksummed.
    V3,
    /// Format 3's record with the auth methods after it.
    V4,
}

impl Registry {
    /// An empty registry with the given salt (the caller supplies randomness; this module
    /// stays pure).
    pub fn new(salt: impl Into<String>) -> Registry {
        Registry {
            salt: salt.into(),
            webhooks: Default::default(),
            variables: Default::default(),
            rules: Default::default(),
            boards: Default::default(),
            auth_methods: Default::default(),
            auth_method_secrets: BTreeMap::new(),
            monitor_count: None,
        }
    }

    /// The registry's salt: what its fingerprints, and the plan's, are salted with.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// How many monitors the org had when the registry was last saved (a hint that sizes
    /// the concurrent read of the monitor pages).
    pub fn monitor_count(&self) -> Option<usize> {
        self.monitor_count
    }

    /// Sets the monitor count hint, for the next save.
    pub fn set_monitor_count(&mut self, count: Option<usize>) {
        self.monitor_count = count;
    }

    /// The salted fingerprint of a secret value, as stored in the registry and in plans.
    pub fn fingerprint(&self, value: &str) -> String {
        fingerprint(&self.salt, value)
    }

    /// Resolves every pending entry by existence: an existing object becomes owned, an
    /// absent one is dropped (from the owned sets too). Returns whether anything changed.
    pub fn resolve_pending(
        &mut self,
        webhook_exists: impl Fn(&str) -> bool,
        variable_exists: impl Fn(&str) -> bool,
    ) -> bool {
        let changed = self.has_pending();
        self.webhooks.resolve(webhook_exists);
        self.variables.resolve(variable_exists);
        changed
    }

    /// Resolves every pending rule by the listing (`(id, name)` of every rule). A block
    /// whose owned rule still exists keeps it (a delete that never happened); otherwise a
    /// rule a create made is owned when exactly one rule, owned by no other block, has the
    /// block's name; with none (the create never happened, or the delete did) or several
    /// (ddhooks cannot tell which is its own) the block owns nothing, and the plan adopts
    /// or creates as for any other rule. Returns whether anything changed.
    pub fn resolve_pending_rules<'a>(
        &mut self,
        rules: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> bool {
        let exists = |id: &str| rules.clone().any(|(listed, _)| listed == id);
        self.rules.resolve(exists, rules.clone())
    }

    /// Resolves every pending board by the dashboard listing (`(id, title)` of every
    /// dashboard), as [`Registry::resolve_pending_rules`] does for rules: `titles` maps a
    /// pending board's name to the title its dashboard has.
    pub fn resolve_pending_boards<'a>(
        &mut self,
        dashboards: impl Iterator<Item = (&'a str, &'a str)> + Clone,
        titles: &BTreeMap<String, String>,
    ) -> bool {
        let exists = |id: &str| dashboards.clone().any(|(listed, _)| listed == id);
        // Match by title: list the dashboards under the board names whose title they carry.
        let by_name: Vec<(&str, &str)> = dashboards
            .clone()
            .flat_map(|(id, title)| {
                titles
                    .iter()
                    .filter(move |(_, t)| t.as_str() == title)
                    .map(move |(name, _)| (id, name.as_str()))
            })
            .collect();
        self.boards.resolve(exists, by_name.iter().copied())
    }

    /// Resolves every pending auth method by the listing (`(id, name)` of every auth
    /// method), as [`Registry::resolve_pending_rules`] does for rules. A name that ends up
    /// owning nothing forgets the secret's fingerprint too.
    pub fn resolve_pending_auth_methods<'a>(
        &mut self,
        listed: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> bool {
        let exists = |id: &str| listed.clone().any(|(l, _)| l == id);
        let changed = self.auth_methods.resolve(exists, listed.clone());
        let owned = &self.auth_methods.owned;
        self.auth_method_secrets
            .retain(|name, _| owned.contains_key(name));
        changed
    }

    /// Whether the registry holds auth methods, owned or pending (then it is stored in
    /// format 4, and the fetch lists the org's auth methods).
    pub fn has_auth_methods(&self) -> bool {
        !self.auth_methods.owned.is_empty()
            || !self.auth_method_secrets.is_empty()
            || !self.auth_methods.pending.is_empty()
    }

    /// The variable names and values that store this registry in `slot`, header first, in
    /// format 3, or 4 when it holds auth methods; an error rather than an empty registry if
    /// it cannot be encoded.
    pub fn encode(&self, slot: Slot) -> Result<Vec<(String, String)>, RegistryError> {
        let with_auth = self.has_auth_methods();
        let record = compact::record(self, with_auth);
        let text = compact::pack(&record).map_err(RegistryError::Encode)?;
        Ok(split_into_parts(
            if with_auth { HEADER_V4 } else { HEADER_V3 },
            &checksum_hex(&record),
            &text,
            slot,
        ))
    }

    /// The registry as the state file holds it (pretty JSON); an error rather than an empty
    /// file if it cannot be encoded.
    pub fn to_file_text(&self) -> Result<String, RegistryError> {
        to_json(self, true)
    }

    /// How the registry whose header part is `first` is stored.
    pub fn layout(first: &str) -> Result<Layout, RegistryError> {
        let header = first.lines().next().unwrap_or("");
        let layout = if let Some(n) = header.strip_prefix(HEADER_V1) {
            let parts = n
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(RegistryError::BadHeader)?;
            Layout {
                parts,
                slot: Slot::A,
                format: Format::V1,
                checksum: None,
            }
        } else {
            let rest = header
                .strip_prefix(HEADER_TAG)
                .ok_or(RegistryError::BadHeader)?;
            let (version, fields) = rest.split_once(' ').unwrap_or((rest, ""));
            let format = match version {
                "2" => Format::V2,
                "3" => Format::V3,
                "4" => Format::V4,
                v if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && v != "1" => {
                    return Err(RegistryError::NewerFormat(v.to_string()))
                }
                _ => return Err(RegistryError::BadHeader),
            };
            let (mut parts, mut slot, mut checksum) = (None, None, None);
            for field in fields.split_whitespace() {
                match field.split_once('=') {
                    Some(("parts", n)) => parts = n.parse::<usize>().ok().filter(|n| *n >= 1),
                    Some(("slot", "a")) => slot = Some(Slot::A),
                    Some(("slot", "b")) => slot = Some(Slot::B),
                    Some(("sum", hex)) => checksum = parse_checksum(hex),
                    _ => {}
                }
            }
            match (parts, slot, checksum) {
                (Some(parts), Some(slot), Some(sum)) => Layout {
                    parts,
                    slot,
                    format,
                    checksum: Some(sum),
                },
                _ => return Err(RegistryError::BadHeader),
            }
        };
        if layout.parts > MAX_PARTS {
            return Err(RegistryError::TooManyParts(layout.parts));
        }
        Ok(layout)
    }

    /// How many parts the first part announces.
    pub fn part_count(first: &str) -> Result<usize, RegistryError> {
        Registry::layout(first).map(|l| l.parts)
    }

    /// Reads the registry back from its parts, fetched by name through `part`; checks the
    /// checksum, so a mix of two versions is an error, never a wrong registry.
    pub fn decode(
        mut part: impl FnMut(&str) -> Option<String>,
    ) -> Result<Option<Registry>, RegistryError> {
        let Some(first) = part(STATE_VARIABLE) else {
            return Ok(None);
        };
        let layout = Registry::layout(&first)?;
        // The header line is always followed by a line break, then the text (never empty).
        let Some((_, text)) = first.split_once('\n') else {
            return Err(RegistryError::Corrupt(format!(
                "`{STATE_VARIABLE}` holds a header and nothing after it"
            )));
        };
        let mut joined = text.to_string();
        for i in 2..=layout.parts {
            let name = part_name(layout.slot, i);
            joined.push_str(&part(&name).ok_or(RegistryError::MissingPart(name))?);
        }
        let matches = |bytes: &[u8]| match layout.checksum {
            Some(sum) => parse_checksum(&checksum_hex(bytes)) == Some(sum),
            None => true,
        };
        match layout.format {
            Format::V1 | Format::V2 => {
                if !matches(joined.as_bytes()) {
                    return Err(RegistryError::Corrupt(
                        "checksum mismatch: the parts belong to different versions".into(),
                    ));
                }
                serde_json::from_str(&joined)
                    .map(Some)
                    .map_err(|e| RegistryError::Corrupt(e.to_string()))
            }
            Format::V3 | Format::V4 => {
                let record = compact::unpack(&joined)?;
                if !matches(&record) {
                    return Err(Damage::Checksum.into());
                }
                Ok(Some(compact::parse(&record, layout.format == Format::V4)?))
            }
        }
    }
}

/// `value` as JSON, compact or pretty.
fn to_json(value: &impl Serialize, pretty: bool) -> Result<String, RegistryError> {
    let json = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    json.map_err(|e| RegistryError::Encode(e.to_string()))
}

/// Splits `text` into parts of at most [`MAX_PART_BYTES`], the first behind the header
/// line `HEADER parts=N slot=a|b sum=SUM`; `text` is ASCII or cut at character boundaries.
fn split_into_parts(header: &str, sum: &str, text: &str, slot: Slot) -> Vec<(String, String)> {
    // Header line: "ddhooks-state/N parts=NNN slot=a sum=16hex\n", within 64 bytes past the tag.
    let room = MAX_PART_BYTES - header.len() - 64;
    let mut chunks: Vec<&str> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let limit = if chunks.is_empty() {
            room
        } else {
            MAX_PART_BYTES
        };
        let mut cut = rest.len().min(limit);
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
                    format!(
                        "{header}parts={count} slot={} sum={sum}\n{chunk}",
                        slot.tag()
                    ),
                )
            } else {
                (part_name(slot, i + 1), chunk.to_string())
            }
        })
        .collect()
}

fn checksum_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_checksum(hex: &str) -> Option<[u8; 8]> {
    if hex.len() != 16 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 8];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The name of registry part `n` of `slot` (1-based; part 1 is [`STATE_VARIABLE`]).
pub fn part_name(slot: Slot, n: usize) -> String {
    match (n <= 1, slot) {
        (true, _) => STATE_VARIABLE.to_string(),
        (false, Slot::A) => format!("{STATE_VARIABLE}_{n}"),
        (false, Slot::B) => format!("{STATE_VARIABLE}_B_{n}"),
    }
}

/// Whether a custom variable name belongs to the registry itself (or to the apply lock).
pub fn is_registry_variable(name: &str) -> bool {
    let numbered = |rest: &str| rest.parse::<usize>().is_ok_and(|n| n >= 2);
    name == STATE_VARIABLE
        || name == LOCK_VARIABLE
        || name.strip_prefix(STATE_VARIABLE).is_some_and(|r| {
            r.strip_prefix("_B_")
                .map(numbered)
                .or_else(|| r.strip_prefix('_').map(numbered))
                .unwrap_or(false)
        })
}

/// The custom variable that holds the apply lock.
pub const LOCK_VARIABLE: &str = "DDHOOKS_LOCK";

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
mod tests;
