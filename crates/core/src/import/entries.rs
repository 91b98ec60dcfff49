//! What the kinds import writes beside webhooks and variables share (notification rules,
//! managed blocks, status boards, and the next kind): the names already taken, what an entry
//! may refer to, and the check that one entry lowers to exactly what exists.
//!
//! A kind is one emitter: it reads its part of [`super::Found`], writes one entry per object
//! the manifest format can express ([`Section`]), checks each with [`Context::lower`], and
//! reports the others as findings. [`super::import`] joins the sections under their keys.

use super::emit::{comment, yaml_string};
use super::pairs::PairEntry;
use super::{is_valid_webhook_name, Finding, FindingKind, ImportOptions};
use crate::manifest::{self, LoadOptions, Source};
use crate::model::Desired;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The manifest's top-level keys, in the order import writes them.
pub(crate) const KEYS: [&str; 6] = [
    "custom_variables",
    "webhook_auth_methods",
    "webhook_pairs",
    "webhooks",
    "monitor_notifications",
    "status_boards",
];

/// Entries one kind wrote under one top-level key.
#[derive(Debug, Default)]
pub(crate) struct Section {
    /// The top-level key (one of [`KEYS`]).
    pub key: &'static str,
    /// The entries' text, indented under the key.
    pub text: String,
    /// How many entries.
    pub count: usize,
}

impl Section {
    /// An empty section under `key`.
    pub(crate) fn new(key: &'static str) -> Self {
        Section {
            key,
            ..Section::default()
        }
    }

    /// Appends one entry, with a comment line saying where it came from.
    pub(crate) fn push(&mut self, origin: &str, entry: &str) {
        let _ = writeln!(self.text, "  # {}", comment(origin));
        self.text.push_str(entry);
        self.count += 1;
    }
}

/// What every kind's entries may refer to, and the names they have taken.
pub(crate) struct Context<'a> {
    /// How import runs (the site, for the loader).
    pub options: &'a ImportOptions,
    /// Every webhook the manifest declares, plainly or through a pair.
    pub webhooks: BTreeSet<String>,
    /// The pairs the manifest declares.
    pub pairs: &'a [PairEntry],
    /// `monitor_notifications` names taken (blocks and rules share them).
    pub block_names: BTreeSet<String>,
    /// A manifest declaring the pairs (with placeholder keys) and every other webhook as
    /// external, so that one entry loads on its own beside it.
    declarations: String,
}

impl<'a> Context<'a> {
    /// The context of a manifest declaring `webhooks` (pair webhooks included) and `pairs`.
    pub(crate) fn new(
        options: &'a ImportOptions,
        webhooks: BTreeSet<String>,
        pairs: &'a [PairEntry],
    ) -> Self {
        let mut declarations = String::new();
        let in_pairs: BTreeSet<String> = pairs.iter().flat_map(PairEntry::webhooks).collect();
        let keys: BTreeSet<&str> = pairs.iter().map(|p| p.api_key_variable.as_str()).collect();
        if !keys.is_empty() {
            declarations.push_str("custom_variables:\n");
            for key in keys {
                let _ = writeln!(declarations, "  {key}: {{value: x, secret: true}}");
            }
            declarations.push_str("webhook_pairs:\n");
            for pair in pairs {
                pair.write(&mut declarations);
            }
        }
        let external: Vec<String> = webhooks
            .iter()
            .filter(|w| !in_pairs.contains(*w))
            .map(|w| yaml_string(w))
            .collect();
        if !external.is_empty() {
            let _ = writeln!(declarations, "external_webhooks: [{}]", external.join(", "));
        }
        Context {
            options,
            webhooks,
            pairs,
            block_names: BTreeSet::new(),
            declarations,
        }
    }

    /// What `entry` (written under `key`) lowers to beside the declarations; `None` when it
    /// does not load.
    pub(crate) fn lower(&self, key: &str, entry: &str) -> Option<Desired> {
        let load = LoadOptions {
            site: self.options.site.clone(),
            ..LoadOptions::default()
        };
        let sources = [
            Source {
                path: PathBuf::from("declared.yaml"),
                text: self.declarations.clone(),
            },
            Source {
                path: PathBuf::from("entry.yaml"),
                text: format!("{key}:\n{entry}"),
            },
        ];
        manifest::load_sources(&sources, &load)
            .ok()
            .map(|l| l.desired)
    }

    /// Takes `name` for a `monitor_notifications` entry of `subject`; a finding when it is
    /// not a valid name or is taken already (neither can be renamed: the name is what
    /// Datadog holds).
    pub(crate) fn claim_block_name(&mut self, name: &str, subject: &str) -> Result<(), Finding> {
        if !is_valid_webhook_name(name) {
            return Err(not_imported(
                subject,
                format!("its name `{name}` cannot name a `monitor_notifications` entry (only letters, digits, `-` and `_`)"),
                "rename it in Datadog, then import again",
            ));
        }
        if !self.block_names.insert(name.to_string()) {
            return Err(not_imported(
                subject,
                format!("a managed block or another rule is named `{name}` too, and names are unique in `monitor_notifications`"),
                "rename one of them in Datadog, then import again",
            ));
        }
        Ok(())
    }
}

/// A finding for an object left out of the manifest, saying why and how to fix it.
pub(crate) fn not_imported(subject: &str, why: String, fix: &str) -> Finding {
    Finding {
        kind: FindingKind::Note,
        subject: subject.to_string(),
        message: format!("is not imported: {why}"),
        fix: Some(fix.to_string()),
    }
}

/// `items` as a YAML flow list of quoted strings.
pub(crate) fn flow_list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| yaml_string(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}
