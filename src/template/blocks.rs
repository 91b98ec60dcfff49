//! ddhooks' managed blocks inside monitor messages.

use std::ops::Range;

/// A managed block found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedBlock {
    /// The name in the markers.
    pub name: String,
    /// Byte range from the start of the begin marker to the end of the end marker.
    pub range: Range<usize>,
    /// The text between the marker lines.
    pub body: String,
}

/// A damaged block: nothing may be written to that monitor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// `begin` with no matching `end`.
    #[error("line {line}: block `{name}` begins but never ends")]
    BeginWithoutEnd { name: String, line: usize },
    /// `end` with no `begin` before it.
    #[error("line {line}: block `{name}` ends but never began")]
    EndWithoutBegin { name: String, line: usize },
    /// A `begin` inside another block.
    #[error("line {line}: block `{inner}` begins inside block `{outer}`")]
    Nested {
        outer: String,
        inner: String,
        line: usize,
    },
    /// The same block twice.
    #[error("line {line}: block `{name}` appears twice")]
    Duplicated { name: String, line: usize },
}

/// Every managed block of `message`, in order.
pub fn find_blocks(message: &str) -> Result<Vec<ManagedBlock>, BlockError> {
    let _ = message;
    todo!("template::find_blocks")
}

/// `message` with block `name` set to `body` (appended, rewritten in place) or removed
/// (`None`); every byte outside the block is kept.
pub fn set_block(message: &str, name: &str, body: Option<&str>) -> Result<String, BlockError> {
    let _ = (message, name, body);
    todo!("template::set_block")
}
