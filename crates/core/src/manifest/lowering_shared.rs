//! What the lowering of blocks, boards and rules shares (below [`super::lower`], which
//! calls the kinds' own lowering): a pair's generated statuses, a condition rule with where
//! it was written, and the problems every kind reports the same way.

use super::decode::did_you_mean;
use super::raw::{Loc, RawBlock, RawPair, Str};
use super::reporter::Reporter;
use crate::model::{Condition, NotifyRule};
use std::collections::HashMap;

/// A pair's generated webhooks: (condition, suffix, status).
pub(crate) fn pair_statuses(pair: &RawPair) -> Vec<(Condition, &'static str, u8)> {
    let (alert, recovery, warning, no_data) = match &pair.statuses {
        None => (Some(2), Some(0), None, None),
        Some(s) => (s.alert, s.recovery, s.warning, s.no_data),
    };
    let mut out = Vec::new();
    if let Some(n) = alert {
        out.push((Condition::IsAlert, "alert-check", n));
    }
    if let Some(n) = recovery {
        out.push((Condition::IsRecovery, "ok-check", n));
    }
    if let Some(n) = warning {
        out.push((Condition::IsWarning, "warning-check", n));
    }
    if let Some(n) = no_data {
        out.push((Condition::IsNoData, "no-data-check", n));
    }
    out
}

/// One of a block's condition rules with where it was written: the condition (the `notify`
/// key, or `pair:` for the pair's rules) and each handle, so that what a delivery cannot say
/// is reported there.
pub(crate) struct Located {
    /// The rule, as a message block writes it.
    pub rule: NotifyRule,
    /// Where its condition was written.
    pub at: Loc,
    /// Where each of its handles was written, in the rule's order.
    pub handles: Vec<Loc>,
}

/// Reports a block without `monitors:` (unless a problem inside it was reported already);
/// `example` shows the selectors its delivery accepts.
pub(crate) fn no_monitors(r: &mut Reporter<'_>, block: &RawBlock, example: &str) {
    let hint = format!("select monitors with {example}");
    r.missing(
        block.broken,
        ("notification block", &block.name),
        "monitors",
        Some(hint),
    );
}

/// Reports a reference to a pair that is not valid: one that does not exist (with the
/// closest name), unless it is defined and a problem inside it was reported already.
pub(crate) fn unknown_pair(r: &mut Reporter<'_>, pair: &Str, seen_pairs: &HashMap<String, Loc>) {
    if seen_pairs.contains_key(&pair.value) {
        return;
    }
    let known: Vec<&str> = seen_pairs.keys().map(String::as_str).collect();
    let hint = did_you_mean(&pair.value, &known)
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| "declare it under `webhook_pairs:`".into());
    r.error(
        pair.loc,
        format!("webhook pair `{}` does not exist", pair.raw),
        Some(hint),
    );
}
