//! Placeholder until the scope parser lands: tag filters only; a scope filter matches nothing.

use crate::model::RuleFilter;

/// Whether a rule's filter selects a monitor with these tags.
pub fn filter_matches(filter: &RuleFilter, tags: &[String]) -> bool {
    match filter {
        RuleFilter::Tags(want) => !want.is_empty() && want.iter().all(|t| tags.contains(t)),
        RuleFilter::Scope(_) => false,
    }
}
