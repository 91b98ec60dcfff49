//! Parsing and evaluating Datadog monitor messages.
//! (Signatures fixed; bodies being written.)

use crate::model::SectionCondition;
use std::ops::Range;

/// A monitor's overall state, as the sandbox's simulation and Datadog name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MonitorState {
    /// `OK`
    Ok,
    /// `Alert`
    Alert,
    /// `Warn`
    Warn,
    /// `No Data`
    NoData,
    /// `Unknown`
    Unknown,
}

/// A change of monitor state, the input to [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// State before.
    pub from: MonitorState,
    /// State after.
    pub to: MonitorState,
    /// The monitor's priority 1–5, if set.
    pub priority: Option<u8>,
    /// A re-notification of an unchanged state.
    pub renotify: bool,
}

/// A parsed piece of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Literal text, including template variables such as `{{host.name}}`.
    Text(String),
    /// `{{!-- … --}}` or `{{! … }}`: shown only in the editor.
    Comment(String),
    /// A conditional section.
    Section {
        /// The condition, or the raw text of one ddhooks does not know (`is_match …`).
        when: Result<SectionCondition, String>,
        /// Whether the opener was `{{^…}}` (only meaningful for unknown conditions).
        negated: bool,
        /// The content.
        children: Vec<Node>,
        /// Byte range of the opener in the message.
        open: Range<usize>,
    },
}

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TemplateError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// An `@handle` mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    /// The text after `@`, e.g. `webhook-x-alert-check`.
    pub name: String,
    /// Byte range of `@name` in the text.
    pub range: Range<usize>,
}

impl Handle {
    /// The webhook name when this is `@webhook-NAME`.
    pub fn webhook(&self) -> Option<&str> {
        self.name.strip_prefix("webhook-")
    }
}

/// Parses a message into nodes; unbalanced sections are errors.
pub fn parse(message: &str) -> Result<Vec<Node>, TemplateError> {
    let _ = message;
    todo!("template::parse")
}

/// The message as a notification for `transition` would show it: sections resolved,
/// comments removed.
pub fn render(message: &str, transition: &Transition) -> Result<String, TemplateError> {
    let _ = (message, transition);
    todo!("template::render")
}

/// Every `@handle` in `text` (handles need whitespace or the start of text before them).
pub fn handles(text: &str) -> Vec<Handle> {
    let _ = text;
    todo!("template::handles")
}
