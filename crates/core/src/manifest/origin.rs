//! Where each declared object was written: a plan problem about `webhook.x` or a held delete
//! can then point at the manifest line a reviewer should look at (CI annotations do).

pub use crate::model::SourcePos;
use std::collections::BTreeMap;

/// The kinds of objects a manifest declares by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeclaredKind {
    /// An entry of `custom_variables:`.
    CustomVariable,
    /// An entry of `webhooks:`, or a webhook a pair generates (placed at the pair).
    Webhook,
    /// An entry of `webhook_pairs:`.
    Pair,
    /// An entry of `notification_blocks:` (its monitor blocks, or its notification rule).
    Block,
    /// An entry of `status_boards:`.
    StatusBoard,
    /// An entry of `webhook_auth_methods:`.
    AuthMethod,
    /// An entry of `routing_tests:` (a failing case is shown at its name).
    RoutingTest,
}

impl DeclaredKind {
    /// The noun used in messages (`webhook pair `x` is defined twice`).
    pub fn noun(self) -> &'static str {
        match self {
            DeclaredKind::CustomVariable => "custom variable",
            DeclaredKind::Webhook => "webhook",
            DeclaredKind::Pair => "webhook pair",
            DeclaredKind::Block => "notification block",
            DeclaredKind::StatusBoard => "status board",
            DeclaredKind::AuthMethod => "webhook auth method",
            DeclaredKind::RoutingTest => "routing test",
        }
    }
}

/// Where each declared object's name was written, by kind and name; and where each handle
/// a block writes was (what the handle check points at).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(BTreeMap<(DeclaredKind, String), SourcePos>, Vec<HandleUse>);

/// A handle a block writes (in a message or a notification rule), where it was written:
/// checked against the org before apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleUse {
    /// The handle without `@`.
    pub handle: String,
    /// The block that writes it.
    pub block: String,
    /// Where it was written.
    pub at: SourcePos,
}

impl Origins {
    /// Records where `name` of `kind` was declared (the first declaration wins).
    pub fn insert(&mut self, kind: DeclaredKind, name: &str, pos: SourcePos) {
        self.0.entry((kind, name.to_string())).or_insert(pos);
    }

    /// Where `name` of `kind` was declared, if the manifests declare it.
    pub fn get(&self, kind: DeclaredKind, name: &str) -> Option<&SourcePos> {
        self.0.get(&(kind, name.to_string()))
    }

    /// Records a handle `block` writes, written at `at`.
    pub fn insert_handle(&mut self, handle: &str, block: &str, at: SourcePos) {
        self.1.push(HandleUse {
            handle: handle.trim_start_matches('@').to_string(),
            block: block.to_string(),
            at,
        });
    }

    /// The handles the blocks write, in the order they were written.
    pub fn handles(&self) -> &[HandleUse] {
        &self.1
    }

    /// How many declarations are recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
