//! Datadog message templates: parse monitor messages, evaluate their conditional sections
//! for a state transition, find and rewrite ddhooks' managed blocks, and scan or fill
//! `$VARIABLES` in webhook urls, headers and payloads.
//!
//! Pure text in, text out: no I/O. Shared by the manifest linter, the planner, the
//! sandbox's simulation and `ddhooks preview` (`notify`: the one evaluator of what a
//! monitor sends on a transition).

pub mod blocks;
pub mod message;
pub mod notify;
pub mod rules;
pub mod variables;

pub use blocks::{
    adopt_hand_lines, begin_marker, end_marker, find_blocks, find_hand_lines, render_block,
    set_block, without_blocks, without_found_blocks, BlockError, ManagedBlock,
};
pub use message::{
    check_nesting, evaluate, handles, line_column, parse, render, sent_handles, webhook_mentions,
    Handle, MonitorState, Node, SentHandle, TemplateError, TracedMessage, Transition, MAX_NESTING,
};
pub use notify::{
    builtin_values, event_type, notify, CallTemplate, Event, FilledCall, Filler, Notification,
};
pub use rules::{
    condition_applies, filter_matches, merge_recipients, recipient_webhook, rule_recipients,
};
pub use variables::{is_builtin, scan_variables, substitute, VariableRef, BUILTIN_VARIABLES};
