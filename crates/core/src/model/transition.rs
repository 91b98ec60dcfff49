//! Monitor states and their changes: [`MonitorState`] as Datadog names it, a [`Transition`]
//! between two (what a message is evaluated for), and the [`SampleTransition`]s that
//! previews, routing and routing tests name.

use super::Condition;

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

impl MonitorState {
    /// Every state, for tests and error messages.
    pub const ALL: [MonitorState; 5] = [
        MonitorState::Ok,
        MonitorState::Alert,
        MonitorState::Warn,
        MonitorState::NoData,
        MonitorState::Unknown,
    ];

    /// Datadog's spelling: `OK`, `Alert`, `Warn`, `No Data`, `Unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorState::Ok => "OK",
            MonitorState::Alert => "Alert",
            MonitorState::Warn => "Warn",
            MonitorState::NoData => "No Data",
            MonitorState::Unknown => "Unknown",
        }
    }

    /// Parses Datadog's spelling (exactly as [`MonitorState::as_str`] writes it).
    pub fn parse(text: &str) -> Option<MonitorState> {
        MonitorState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A change of monitor state, the input to [`crate::template::render`].
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

impl Transition {
    /// Whether `condition` holds for this transition, with Datadog's semantics
    /// (`is_recovery` covers recovery to OK from Alert, Warn, Unknown and No Data).
    pub fn satisfies(&self, condition: Condition) -> bool {
        use MonitorState::*;

        let recovering = self.to == Ok && self.from != Ok;
        match condition {
            Condition::IsAlert => self.to == Alert,
            Condition::IsWarning => self.to == Warn,
            Condition::IsNoData => self.to == NoData,
            Condition::IsUnknown => self.to == Unknown,
            Condition::IsRecovery => recovering,
            Condition::IsAlertRecovery => recovering && self.from == Alert,
            Condition::IsWarningRecovery => recovering && self.from == Warn,
            Condition::IsNoDataRecovery => recovering && self.from == NoData,
            Condition::IsAlertToWarning => self.from == Alert && self.to == Warn,
            Condition::IsRenotify => self.renotify,
            Condition::IsPriority(p) => self.priority == Some(p),
        }
    }
}

/// The transitions a preview shows, in the order it shows them (all of them by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SampleTransition {
    /// OK → Alert.
    Alert,
    /// OK → Warn.
    Warning,
    /// OK → No Data.
    NoData,
    /// Alert → OK.
    Recovery,
    /// Warn → OK.
    WarningRecovery,
    /// No Data → OK.
    NoDataRecovery,
    /// Alert → Warn.
    AlertToWarning,
    /// Alert again, re-notified.
    Renotify,
}

impl SampleTransition {
    /// Every transition, in the order a preview shows them.
    pub const ALL: [SampleTransition; 8] = [
        SampleTransition::Alert,
        SampleTransition::Warning,
        SampleTransition::NoData,
        SampleTransition::Recovery,
        SampleTransition::WarningRecovery,
        SampleTransition::NoDataRecovery,
        SampleTransition::AlertToWarning,
        SampleTransition::Renotify,
    ];

    /// The name on the command line and in JSON: `alert`, `no-data`, `recovery`, …
    pub fn name(self) -> &'static str {
        match self {
            SampleTransition::Alert => "alert",
            SampleTransition::Warning => "warning",
            SampleTransition::NoData => "no-data",
            SampleTransition::Recovery => "recovery",
            SampleTransition::WarningRecovery => "warning-recovery",
            SampleTransition::NoDataRecovery => "no-data-recovery",
            SampleTransition::AlertToWarning => "alert-to-warning",
            SampleTransition::Renotify => "renotify",
        }
    }

    /// Parses [`SampleTransition::name`]'s spelling.
    pub fn parse(text: &str) -> Option<SampleTransition> {
        SampleTransition::ALL
            .into_iter()
            .find(|t| t.name() == text.trim())
    }

    /// The state change, with the monitor's priority.
    pub fn transition(self, priority: Option<u8>) -> Transition {
        use MonitorState::{Alert, NoData, Ok, Warn};
        let (from, to, renotify) = match self {
            SampleTransition::Alert => (Ok, Alert, false),
            SampleTransition::Warning => (Ok, Warn, false),
            SampleTransition::NoData => (Ok, NoData, false),
            SampleTransition::Recovery => (Alert, Ok, false),
            SampleTransition::WarningRecovery => (Warn, Ok, false),
            SampleTransition::NoDataRecovery => (NoData, Ok, false),
            SampleTransition::AlertToWarning => (Alert, Warn, false),
            SampleTransition::Renotify => (Alert, Alert, true),
        };
        Transition {
            from,
            to,
            priority,
            renotify,
        }
    }
}
