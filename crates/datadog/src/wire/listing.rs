//! Monitors as a listing gives them: what the planner keeps of each ([`MonitorSummary`]),
//! what it reads again by id ([`MonitorMessage`]), and a listed monitor borrowing its page
//! ([`MonitorListed`]), so that deciding whether the planner needs it copies nothing.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A monitor as the planner needs it from a listing: `GET /api/v1/monitor` answers with the
/// whole object (options, creator, state…), and an org of tens of thousands of monitors
/// would hold all of it in memory; every field not named here is skipped while decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorSummary {
    /// Monitor id.
    #[serde(default)]
    pub id: Option<i64>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The notification message.
    #[serde(default)]
    pub message: Option<String>,
    /// The monitor's own tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Its current state: `OK`, `Alert`, `Warn`, `No Data`, …
    #[serde(default)]
    pub overall_state: Option<String>,
    /// Its priority (1–5, or `null`).
    #[serde(default)]
    pub priority: Option<i64>,
    /// `published` or `draft` (absent in older answers: published).
    #[serde(default)]
    pub draft_status: Option<String>,
}

/// A monitor as apply reads it again by id: its message alone (every other field is
/// skipped while decoding).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MonitorMessage {
    /// The notification message.
    #[serde(default)]
    pub message: Option<String>,
}

/// A string of an answer, borrowed from the answer's bytes unless it holds an escape.
/// `Cow<'a, str>` would not do: serde borrows a `Cow` only as a field of its own, never
/// inside an `Option` or a `Vec`, where it allocates every string (a listing of 100,000
/// monitors: half a million allocations for names and tags nobody keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStr<'a>(pub Cow<'a, str>);

impl JsonStr<'_> {
    /// The string, owned.
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl std::ops::Deref for JsonStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for JsonStr<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A listed monitor as first read from its page, borrowing the page's bytes: what decides
/// whether the planner needs it costs no copy. The message stays raw JSON text, looked
/// through for the interest's marks; only a monitor kept becomes a [`MonitorSummary`].
#[derive(Debug, Deserialize)]
pub struct MonitorListed<'a> {
    /// Monitor id.
    #[serde(default)]
    pub id: Option<i64>,
    /// Display name (borrowed unless it holds an escape).
    #[serde(default, borrow)]
    pub name: Option<JsonStr<'a>>,
    /// The message as raw JSON (a string, or `null`).
    #[serde(default, borrow)]
    pub message: Option<&'a RawValue>,
    /// The monitor's own tags.
    #[serde(default, borrow)]
    pub tags: Vec<JsonStr<'a>>,
    /// Its current state.
    #[serde(default, borrow)]
    pub overall_state: Option<JsonStr<'a>>,
    /// Its priority (1–5, or `null`).
    #[serde(default)]
    pub priority: Option<i64>,
    /// `published` or `draft`.
    #[serde(default, borrow)]
    pub draft_status: Option<JsonStr<'a>>,
}

impl MonitorListed<'_> {
    /// The monitor kept, its message decoded (an error when it is neither a string nor
    /// `null`).
    pub fn into_summary(self) -> Result<MonitorSummary, serde_json::Error> {
        let message = match self.message {
            Some(raw) => serde_json::from_str::<Option<String>>(raw.get())?,
            None => None,
        };
        Ok(MonitorSummary {
            id: self.id,
            name: self.name.map(JsonStr::into_owned),
            message,
            tags: self.tags.into_iter().map(JsonStr::into_owned).collect(),
            overall_state: self.overall_state.map(JsonStr::into_owned),
            priority: self.priority,
            draft_status: self.draft_status.map(JsonStr::into_owned),
        })
    }
}
