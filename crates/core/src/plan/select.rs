//! Which desired blocks each monitor carries, without testing every block's selector
//! against every monitor: the blocks are indexed by a tag of their tag selector and by the
//! ids they name, so a monitor looks up its own tags and id and tests only the few blocks
//! found there (plus the blocks that select by name, which no index can narrow down).

use crate::model::{Desired, NotificationBlock, RemoteMonitor};
// The Fx hash (rustc's): a few instructions per word where the default SipHash spends more
// than the lookup itself. Keys are the org's own tags and ids, so hash flooding is not a
// concern.
use rustc_hash::FxHashMap;

/// A desired block and the text ddhooks writes between its markers.
pub(super) struct Wanted<'a> {
    /// The block.
    pub block: &'a NotificationBlock,
    /// [`NotificationBlock::body`], computed once per plan.
    pub body: String,
}

/// The desired blocks, in name order, indexed by what their selectors name.
pub(super) struct BlockIndex<'a> {
    blocks: Vec<Wanted<'a>>,
    /// A block with a tag selector is listed under its first tag: a monitor it selects has
    /// that tag.
    by_tag: FxHashMap<&'a str, Vec<usize>>,
    by_id: FxHashMap<i64, Vec<usize>>,
    /// Blocks that select by name: candidates for every monitor.
    by_name: Vec<usize>,
}

impl<'a> BlockIndex<'a> {
    pub(super) fn new(desired: &'a Desired) -> BlockIndex<'a> {
        let mut index = BlockIndex {
            blocks: Vec::with_capacity(desired.blocks.len()),
            by_tag: FxHashMap::default(),
            by_id: FxHashMap::default(),
            by_name: Vec::new(),
        };
        for (i, block) in desired.blocks.values().enumerate() {
            let selector = &block.monitors;
            if let Some(tag) = selector.tags.first() {
                index.by_tag.entry(tag.as_str()).or_default().push(i);
            }
            for id in &selector.ids {
                index.by_id.entry(*id).or_default().push(i);
            }
            if selector.name.is_some() {
                index.by_name.push(i);
            }
            index.blocks.push(Wanted {
                block,
                body: block.body(),
            });
        }
        index
    }

    /// The blocks `monitor` carries, in name order (the order of `Desired::blocks`), as
    /// [`crate::model::MonitorSelector::matches`] decides. `scratch` is reused between
    /// calls to save allocations.
    pub(super) fn matching(
        &self,
        monitor: &RemoteMonitor,
        scratch: &mut Vec<usize>,
    ) -> Vec<&Wanted<'a>> {
        scratch.clear();
        for tag in &monitor.tags {
            if let Some(found) = self.by_tag.get(tag.as_str()) {
                scratch.extend(found);
            }
        }
        if let Some(found) = self.by_id.get(&monitor.id) {
            scratch.extend(found);
        }
        scratch.extend(&self.by_name);
        scratch.sort_unstable();
        scratch.dedup();
        scratch
            .iter()
            .filter_map(|&i| self.blocks.get(i))
            .filter(|w| {
                w.block
                    .monitors
                    .matches(monitor.id, &monitor.name, &monitor.tags)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MonitorSelector;

    fn block(name: &str, ids: &[i64], tags: &[&str], by_name: Option<&str>) -> NotificationBlock {
        NotificationBlock {
            name: name.into(),
            monitors: MonitorSelector {
                ids: ids.iter().copied().collect(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                name: by_name.map(str::to_string),
            },
            rules: Vec::new(),
            text: None,
        }
    }

    #[test]
    fn the_index_finds_what_every_selector_would() {
        let mut desired = Desired::default();
        for b in [
            block("a-tag", &[], &["team:a"], None),
            block("b-two-tags", &[], &["env:prod", "team:b"], None),
            block("c-ids", &[1, 3, 99], &[], None),
            block("d-name", &[], &[], Some("checkout")),
            block("e-all", &[2], &["team:a", "env:prod"], Some("cpu")),
            block("f-same-tag-twice", &[], &["team:b", "team:b"], None),
            block("g-empty", &[], &[], None),
        ] {
            desired.blocks.insert(b.name.clone(), b);
        }
        let index = BlockIndex::new(&desired);
        let tag_sets: [&[&str]; 6] = [
            &[],
            &["team:a"],
            &["team:b", "env:prod"],
            &["env:prod", "team:a", "team:a"],
            &["team:b"],
            &["env:prod"],
        ];
        let names = ["cpu on checkout", "disk", "Checkout", ""];
        let mut scratch = Vec::new();
        let mut selected = 0;
        for id in 0..5 {
            for tags in tag_sets {
                for name in names {
                    let monitor = RemoteMonitor {
                        id,
                        name: name.into(),
                        tags: tags.iter().map(|t| t.to_string()).collect(),
                        message: String::new(),
                        priority: None,
                        draft: false,
                    };
                    let expected: Vec<&str> = desired
                        .blocks
                        .values()
                        .filter(|b| b.monitors.matches(id, name, &monitor.tags))
                        .map(|b| b.name.as_str())
                        .collect();
                    let found: Vec<&str> = index
                        .matching(&monitor, &mut scratch)
                        .iter()
                        .map(|w| w.block.name.as_str())
                        .collect();
                    assert_eq!(found, expected, "{monitor:?}");
                    selected += found.len();
                }
            }
        }
        assert!(selected > 100, "the cases select something: {selected}");
    }
}
