//! The notification log behind `GET|DELETE /sandbox/v1/notifications`: one record per
//! transition the simulation made, saying whom it notified — every recipient, not only the
//! webhooks that fired — and why, so a routing model can be checked against something that
//! fires.
//!
//! The log is simulation output, not API state: it lives in memory beside the store
//! ([`crate::Shared::notifications`]), is never persisted to the data file, and starts empty
//! after a restart.

use serde::Serialize;
use std::sync::Mutex;

/// Why a recipient was notified: the monitor's message named it, or a notification rule did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    /// A handle of the evaluated message (outside sections, or in sections that held).
    Message,
    /// A recipient of a notification rule whose filter matched the monitor.
    Rule {
        /// The rule's id.
        rule_id: String,
        /// The rule's name.
        rule_name: String,
    },
}

/// One recipient of a notification and every source that named it (the first one put it in
/// the merged list; the others were de-duplicated away).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientSources {
    /// The handle without `@` (`slack-oncall`, `webhook-NAME`).
    pub recipient: String,
    /// Who named it, the message first, then the rules in the order they were applied.
    pub from: Vec<Source>,
}

/// What one transition notified, as `GET /sandbox/v1/notifications` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// The transition's event id (`$ID`), which orders the log.
    pub event_id: i64,
    /// The monitor that moved.
    pub monitor_id: i64,
    /// The state it left (`OK`, `Alert`, …).
    pub from: String,
    /// The state it entered.
    pub to: String,
    /// The priority the transition carried (`P1`…`P5`), if any.
    pub priority: Option<String>,
    /// Whether it was a re-notification.
    pub renotify: bool,
    /// The firing group's tags the transition carried (empty for a simple alert).
    pub group_tags: Vec<String>,
    /// Whether the monitor was a draft (then nobody is notified).
    pub draft: bool,
    /// Every handle notified, each once, in Datadog's merge order: the message's, then each
    /// matching rule's.
    pub recipients: Vec<String>,
    /// For each of `recipients`, in the same order, where it came from.
    pub sources: Vec<RecipientSources>,
}

/// Recipients merged in order with their sources: `lists` are the message's handles, then
/// each rule's recipients, each tagged with its source. Mirrors
/// [`ddhooks_core::template::merge_recipients`] (same order, each once) and keeps every
/// source of a recipient named twice.
pub fn sourced(lists: &[(Source, &[String])]) -> Vec<RecipientSources> {
    let mut out: Vec<RecipientSources> = Vec::new();
    for (source, recipients) in lists {
        for recipient in *recipients {
            match out.iter_mut().find(|r| &r.recipient == recipient) {
                Some(entry) if !entry.from.contains(source) => entry.from.push(source.clone()),
                Some(_) => {}
                None => out.push(RecipientSources {
                    recipient: recipient.clone(),
                    from: vec![source.clone()],
                }),
            }
        }
    }
    out
}

/// The records of the transitions so far, in event order.
#[derive(Debug, Default)]
pub struct NotificationLog {
    records: Mutex<Vec<Notification>>,
}

impl NotificationLog {
    /// Adds one transition's record, kept in event-id order (transitions answered
    /// concurrently may finish out of order).
    pub fn record(&self, notification: Notification) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let at = records.partition_point(|r| r.event_id <= notification.event_id);
        records.insert(at, notification);
    }

    /// Every record so far, in order.
    pub fn snapshot(&self) -> Vec<Notification> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Forgets every record.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sources_follow_the_merge_order_and_keep_every_naming() {
        let message = strings(&["webhook-x", "slack-a"]);
        let rule = Source::Rule {
            rule_id: "r1".into(),
            rule_name: "one".into(),
        };
        let from_rule = strings(&["pagerduty-p", "webhook-x", "pagerduty-p"]);
        let merged = sourced(&[
            (Source::Message, message.as_slice()),
            (rule.clone(), from_rule.as_slice()),
        ]);
        let names: Vec<&str> = merged.iter().map(|r| r.recipient.as_str()).collect();
        assert_eq!(names, ["webhook-x", "slack-a", "pagerduty-p"]);
        let core = ddhooks_core::template::merge_recipients([&message[..], &from_rule[..]]);
        assert_eq!(names, core, "the same order as the core's merge");
        assert_eq!(merged[0].from, [Source::Message, rule.clone()]);
        assert_eq!(merged[2].from, [rule]);
    }

    #[test]
    fn records_are_kept_in_event_order() {
        let log = NotificationLog::default();
        let record = |event_id| Notification {
            event_id,
            monitor_id: 1,
            from: "OK".into(),
            to: "Alert".into(),
            priority: None,
            renotify: false,
            group_tags: Vec::new(),
            draft: false,
            recipients: Vec::new(),
            sources: Vec::new(),
        };
        log.record(record(2));
        log.record(record(1));
        log.record(record(3));
        let ids: Vec<i64> = log.snapshot().iter().map(|r| r.event_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        log.clear();
        assert!(log.snapshot().is_empty());
    }
}
