//! Status boards (`status_boards:`) and the pairs whose monitors get a seeded check run
//! (`seed_status:`), lowered after the pairs and the blocks: a board names pairs, and a
//! seeded pair lists the blocks that wire it.
//!
//! A board is a free-layout dashboard with one "Check status" widget per pair, counting the
//! pair's check runs by status (`grouping: cluster`), laid out by [`layout`] alone so the
//! same manifest always gives the same board.

use super::lowering_shared::{pair_statuses, unknown_pair};
use super::raw::{Loc, RawBoard, RawPair, Str};
use super::reporter::Reporter;
use super::DeclaredKind;
use crate::model::{BoardWidget, Condition, SeededPair, StatusBoard, WidgetLayout};
use std::collections::{BTreeMap, HashMap};

/// Widgets in a row of a board.
pub(crate) const COLUMNS: u32 = 2;
/// A widget's width in Datadog's free-layout grid units (the recorded check_status widget's).
pub(crate) const WIDGET_WIDTH: u32 = 15;
/// A widget's height in grid units (the recorded check_status widget's).
pub(crate) const WIDGET_HEIGHT: u32 = 8;
/// Grid units between two widgets, across and down.
pub(crate) const GAP: u32 = 1;
/// Datadog's `grouping` that counts a check's groups by status.
pub(crate) const GROUPING: &str = "cluster";
/// The tag filter of a board without `tags`: every check run.
pub(crate) const ALL_TAGS: &str = "*";

/// Where the `index`th widget of a board sits (0-based): [`COLUMNS`] to a row, left to
/// right then top to bottom, each [`WIDGET_WIDTH`] × [`WIDGET_HEIGHT`] with [`GAP`] between.
pub(crate) fn layout(index: usize) -> WidgetLayout {
    let index = u32::try_from(index).unwrap_or(u32::MAX);
    WidgetLayout {
        x: (index % COLUMNS) * (WIDGET_WIDTH + GAP),
        y: (index / COLUMNS).saturating_mul(WIDGET_HEIGHT + GAP),
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
    }
}

/// What boards and seeding need of a valid pair.
pub(crate) struct PairFacts {
    /// The pair's `check`.
    pub check: String,
    /// What a seeded check run sends (its `blocks` still empty); `None` with
    /// `seed_status: false`, or when the pair has no alert or no recovery status to seed.
    pub seed: Option<SeededPair>,
}

impl PairFacts {
    /// The facts of `pair`, whose webhooks send `check`, `host_name` and `tags`.
    pub(crate) fn new(pair: &RawPair, check: &str, host_name: &str, tags: &[String]) -> Self {
        let statuses = pair_statuses(pair);
        let status = |wanted: Condition| {
            statuses
                .iter()
                .find(|(condition, _, _)| *condition == wanted)
                .map(|(_, _, n)| *n)
        };
        let seed = match (status(Condition::IsRecovery), status(Condition::IsAlert)) {
            (Some(ok), Some(alert)) if pair.seed_status => Some(SeededPair {
                check: check.to_string(),
                host_name: host_name.to_string(),
                tags: tags.to_vec(),
                ok,
                alert,
                warning: status(Condition::IsWarning),
                no_data: status(Condition::IsNoData),
                blocks: Vec::new(),
            }),
            _ => None,
        };
        PairFacts {
            check: check.to_string(),
            seed,
        }
    }
}

/// The seeded pairs: each pair with a seed, with the blocks that name it in `pair:`
/// (`blocks_by_pair`), sorted.
pub(crate) fn seeded_pairs(
    facts: &BTreeMap<String, PairFacts>,
    blocks_by_pair: &HashMap<String, Vec<String>>,
) -> BTreeMap<String, SeededPair> {
    let mut out = BTreeMap::new();
    for (name, fact) in facts {
        let Some(seed) = &fact.seed else {
            continue;
        };
        let mut seed = seed.clone();
        seed.blocks = blocks_by_pair.get(name).cloned().unwrap_or_default();
        seed.blocks.sort();
        seed.blocks.dedup();
        out.insert(name.clone(), seed);
    }
    out
}

/// What a board may refer to, from the rest of the load.
pub(crate) struct BoardRefs<'a> {
    /// Each valid pair's facts.
    pub pairs: &'a BTreeMap<String, PairFacts>,
    /// Every pair defined, valid or not (a broken pair is not reported again).
    pub seen_pairs: &'a HashMap<String, Loc>,
}

/// Every board, checked across files: names unique, titles unique, pairs declared.
pub(crate) fn lower(
    r: &mut Reporter<'_>,
    boards: &[RawBoard],
    refs: &BoardRefs<'_>,
) -> BTreeMap<String, StatusBoard> {
    let mut out = BTreeMap::new();
    let mut seen_names = HashMap::new();
    let mut seen_titles: HashMap<String, (Loc, String)> = HashMap::new();
    for board in boards {
        r.check_webhook_name("status board", &board.name);
        if !r.define(&mut seen_names, DeclaredKind::StatusBoard, &board.name) {
            continue;
        }
        let mut ok = true;
        let title = board_title(r, board, &mut seen_titles, &mut ok);
        let widgets = widgets(r, board, refs, &mut ok);
        if let (true, Some(title)) = (ok, title) {
            let description = board.description.as_ref().map(|d| d.value.clone());
            let lowered = StatusBoard {
                title,
                description: description.filter(|d| !d.is_empty()),
                widgets,
            };
            out.insert(board.name.value.clone(), lowered);
        }
    }
    out
}

/// Reports a board without `key`, with `hint`, unless a problem inside it was reported
/// already.
fn missing(r: &mut Reporter<'_>, board: &RawBoard, key: &str, hint: &str) {
    r.missing(
        board.broken,
        ("status board", &board.name),
        key,
        Some(hint.into()),
    );
}

/// A board's `title`: present, not blank, and no other board's.
fn board_title(
    r: &mut Reporter<'_>,
    board: &RawBoard,
    seen: &mut HashMap<String, (Loc, String)>,
    ok: &mut bool,
) -> Option<String> {
    let Some(title) = &board.title else {
        missing(
            r,
            board,
            "title",
            "give the dashboard's title, e.g. `title: Checkout monitors status`",
        );
        *ok = false;
        return None;
    };
    if title.value.trim().is_empty() && !title.unresolved {
        r.error(
            title.loc,
            format!("status board `{}` has an empty `title`", board.name.raw),
            Some("boards are found by their title in Datadog; give it one".into()),
        );
        *ok = false;
        return None;
    }
    if let Some((first, other)) = seen.get(&title.value) {
        let (first, other) = (*first, other.clone());
        r.error(
            title.loc,
            format!(
                "status board `{}` has the same title as status board `{other}` at {}",
                board.name.raw,
                r.at(first)
            ),
            Some("boards are adopted by their title, so each needs its own".into()),
        );
        *ok = false;
        return None;
    }
    seen.insert(title.value.clone(), (title.loc, board.name.raw.clone()));
    Some(title.value.clone())
}

/// A board's widgets: one per listed pair, in order; `ok` turns false on any problem.
fn widgets(
    r: &mut Reporter<'_>,
    board: &RawBoard,
    refs: &BoardRefs<'_>,
    ok: &mut bool,
) -> Vec<BoardWidget> {
    let tags: Vec<String> = match &board.tags {
        Some(tags) if !tags.is_empty() => tags.iter().map(|t| t.value.clone()).collect(),
        _ => vec![ALL_TAGS.to_string()],
    };
    let Some(pairs) = &board.pairs else {
        missing(
            r,
            board,
            "pairs",
            "list the pairs it shows, e.g. `pairs: [mymonitorgroup]`",
        );
        *ok = false;
        return Vec::new();
    };
    if pairs.is_empty() {
        let loc = board.pairs_key.unwrap_or(board.name.loc);
        r.error(
            loc,
            format!("status board `{}` lists no pair", board.name.raw),
            Some("list at least one pair: one check_status widget is made per pair".into()),
        );
        *ok = false;
    }
    let mut widgets = Vec::new();
    let mut listed: Vec<&Str> = Vec::new();
    for pair in pairs {
        if let Some(first) = listed.iter().find(|p| p.value == pair.value) {
            r.error(
                pair.loc,
                format!(
                    "pair `{}` is listed twice in status board `{}` (first at line {})",
                    pair.raw, board.name.raw, first.loc.pos.line
                ),
                Some("each pair gets one widget; remove the repeat".into()),
            );
            *ok = false;
            continue;
        }
        listed.push(pair);
        let Some(facts) = refs.pairs.get(&pair.value) else {
            unknown_pair(r, pair, refs.seen_pairs);
            *ok = false;
            continue;
        };
        widgets.push(BoardWidget::CheckStatus {
            title: format!("{}: monitors by status", pair.value),
            check: facts.check.clone(),
            grouping: GROUPING.to_string(),
            tags: tags.clone(),
            layout: layout(widgets.len()),
        });
    }
    widgets
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two widgets to a row, the recorded widget's size, one unit apart; the same index
    /// always gives the same place, and no two places overlap.
    #[test]
    fn widgets_are_laid_out_two_to_a_row() {
        let at = |x, y| WidgetLayout {
            x,
            y,
            width: 15,
            height: 8,
        };
        let laid: Vec<WidgetLayout> = (0..5).map(layout).collect();
        assert_eq!(laid, [at(0, 0), at(16, 0), at(0, 9), at(16, 9), at(0, 18)]);
        for (i, a) in laid.iter().enumerate() {
            for b in &laid[i + 1..] {
                let apart = a.x + a.width <= b.x
                    || b.x + b.width <= a.x
                    || a.y + a.height <= b.y
                    || b.y + b.height <= a.y;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
        assert_eq!(layout(usize::MAX).width, WIDGET_WIDTH);
    }
}
