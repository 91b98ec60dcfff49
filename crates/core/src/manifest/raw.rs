//! The raw manifest types: what the decoder makes of one file, every string and name with
//! where it was written ([`Loc`], [`Str`]), before the lowering checks what needs every file.
//! The decoder writes them, the lowering and the lints read them; keeping them apart lets
//! those depend on the types, not on the decoder. The keys each mapping accepts are the
//! format types' ([`super::format`], read off the schema as [`super::schema::Keys`]).

use super::yaml::{Node, Pos, Style};

/// Where something was written: the file's index in the load and the position in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub file: usize,
    pub pos: Pos,
}

/// A string as written (`raw`, safe to print) and with `${env:…}` resolved (`value`, maybe
/// secret, never printed).
#[derive(Debug, Clone)]
pub(crate) struct Str {
    pub raw: String,
    pub value: String,
    /// Some `${env:…}` could not be resolved (missing and only warned about).
    pub unresolved: bool,
    pub loc: Loc,
    pub style: Style,
}

/// A custom variable as written.
#[derive(Debug, Clone)]
pub(crate) struct RawVariable {
    pub name: Str,
    pub value: Option<Str>,
    pub secret: bool,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A pair's `statuses:`; `None` entries are not generated.
#[derive(Debug, Clone)]
pub(crate) struct RawStatuses {
    pub alert: Option<u8>,
    pub recovery: Option<u8>,
    pub warning: Option<u8>,
    pub no_data: Option<u8>,
    pub loc: Loc,
}

/// A webhook pair as written.
#[derive(Debug, Clone)]
pub(crate) struct RawPair {
    pub name: Str,
    pub check: Option<Str>,
    pub host_name: Option<Str>,
    pub tags: Option<Vec<Str>>,
    pub api_key_variable: Option<Str>,
    pub statuses: Option<RawStatuses>,
    /// `seed_status:` (default true): its monitors get a seeded check run when first wired.
    pub seed_status: bool,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A webhook as written.
#[derive(Debug, Clone)]
pub(crate) struct RawWebhook {
    pub name: Str,
    pub url: Option<Str>,
    /// The payload as JSON (env resolved) and as written (for lints with positions).
    pub payload: Option<(serde_json::Value, Node)>,
    pub payload_loc: Option<Loc>,
    pub custom_headers: Option<Vec<(Str, Str)>>,
    pub encode_as: Option<crate::model::EncodeAs>,
    pub renamed_from: Option<Str>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A block's `monitors:`. The `*_key` fields say where each selector's key was written
/// (present even when its value is empty or wrong), so that a selector a delivery cannot use
/// is reported on its own line.
#[derive(Debug, Clone)]
pub(crate) struct RawSelector {
    pub ids: Vec<i64>,
    pub ids_key: Option<Loc>,
    pub tags: Vec<Str>,
    pub tags_key: Option<Loc>,
    pub name: Option<Str>,
    pub name_key: Option<Loc>,
    /// An event-search expression over the monitors' tags: a notification-rule filter only.
    pub scope: Option<Str>,
    pub scope_key: Option<Loc>,
    pub loc: Loc,
}

/// How a block reaches the monitors it selects (`delivery:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Delivery {
    /// The managed block in the monitors' messages (the default).
    #[default]
    Message,
    /// A monitor notification rule (API v2), which edits no message.
    Rule,
}

impl Delivery {
    /// Every delivery's spelling in manifests (the schema's enum too), the default first.
    pub(crate) const NAMES: [&'static str; 2] = ["message", "rule"];

    /// The delivery spelt `name`, if there is one.
    pub(crate) fn parse(name: &str) -> Option<Delivery> {
        match name {
            "message" => Some(Delivery::Message),
            "rule" => Some(Delivery::Rule),
            _ => None,
        }
    }
}

/// A notification block as written.
#[derive(Debug, Clone)]
pub(crate) struct RawBlock {
    pub name: Str,
    pub monitors: Option<RawSelector>,
    pub pair: Option<Str>,
    /// Condition key -> handles, in manifest order.
    pub notify: Vec<(Str, Vec<Str>)>,
    pub text: Option<Str>,
    /// Where the `text` key was written.
    pub text_key: Option<Loc>,
    /// `delivery:` (the default when absent or unreadable).
    pub delivery: Delivery,
    /// `always:` (rules only: the plain recipients, notified on every notification), with
    /// where its key was written.
    pub always: Option<(Loc, Vec<Str>)>,
    /// `otherwise:` (rules only: the fallback recipients, notified when no condition
    /// applied), with where its key was written.
    pub otherwise: Option<(Loc, Vec<Str>)>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A status board as written (`status_boards:`).
#[derive(Debug, Clone)]
pub(crate) struct RawBoard {
    pub name: Str,
    pub title: Option<Str>,
    pub description: Option<Str>,
    /// The pairs, one widget each, in order; `None` when the key is absent or unreadable.
    pub pairs: Option<Vec<Str>>,
    /// Where the `pairs` key was written.
    pub pairs_key: Option<Loc>,
    /// The tag filter of every widget (`None`: `["*"]`).
    pub tags: Option<Vec<Str>>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A webhook auth method as written (`webhook_auth_methods:`).
#[derive(Debug, Clone)]
pub(crate) struct RawAuthMethod {
    pub name: Str,
    pub access_token_url: Option<Str>,
    pub client_id: Option<Str>,
    /// Its `raw` text is what was written (`${env:NAME}`), its `value` the secret.
    pub client_secret: Option<Str>,
    pub audience: Option<Str>,
    pub scope: Option<Str>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// A `given:` monitor as written.
#[derive(Debug, Clone)]
pub(crate) struct RawGiven {
    pub name: Option<Str>,
    pub tags: Vec<Str>,
    pub priority: Option<u8>,
    pub message: Option<Str>,
}

/// A case as written.
#[derive(Debug, Clone)]
pub(crate) struct RawRoutingTest {
    pub name: Str,
    pub monitors: Option<RawSelector>,
    pub given: Option<(Loc, RawGiven)>,
    pub transition: Option<Str>,
    /// `includes`, `excludes`, `exactly`: where the key was written and the handles.
    pub lists: Vec<(&'static str, Loc, Vec<Str>)>,
    pub nobody: Option<(Loc, bool)>,
    pub somebody: Option<(Loc, bool)>,
    /// A problem was already reported inside it: skip checks that would only repeat it.
    pub broken: bool,
}

/// Everything the files hold, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Raw {
    pub variables: Vec<RawVariable>,
    pub pairs: Vec<RawPair>,
    pub webhooks: Vec<RawWebhook>,
    pub blocks: Vec<RawBlock>,
    pub boards: Vec<RawBoard>,
    pub external: Vec<Str>,
    pub auth_methods: Vec<RawAuthMethod>,
    pub routing_tests: Vec<RawRoutingTest>,
}
