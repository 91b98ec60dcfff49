//! The sandbox: an emulator of the Datadog endpoints ddhooks uses, tested over loopback
//! HTTP against real in-process sandboxes and the `ddhooks sandbox` binary.

use ddhooks_testkit as kit;

/// The v2 webhook auth-method endpoints: answers, 400s, 409s, no secret, keys, the data file.
mod auth_methods_are_served_as_recorded;
/// `GET /sandbox/v1/check_status`: the latest run per tag set, as a check_status widget.
mod check_status_counts_the_latest_run_per_group;
/// Datadog's recorded exchanges, replayed against the sandbox.
mod conformance;
/// The v1 dashboard endpoints: answers, server fields, paging, 400s, keys, log, faults.
mod dashboards_are_served_as_recorded;
/// Latency, failures, rate limits, value limits and lossy writes; never on `/sandbox/v1/`.
mod faults_apply_to_the_api_only;
/// Slack channels, PagerDuty and Opsgenie services, Microsoft Teams handles, teams, users;
/// their 404s and a scoped key's 403s.
mod integration_handles_are_served_as_recorded;
/// The v2 notification-rule endpoints: answers, limits, paging, sort, filters, keys.
mod notification_rules_are_served_as_recorded;
/// Transitions fire the webhooks of matching notification rules, merged with the message's.
mod notification_rules_route_transitions;
/// Status codes, bodies and defaults of every endpoint, as Datadog answers them.
mod serves_datadog_endpoints_as_recorded;
/// `--data FILE`: restarts keep the state; the file is replaced atomically.
mod the_data_file_survives_restarts;
/// The binary prints its address first, serves, and refuses bad flags.
mod the_sandbox_command_serves_on_the_printed_address;
/// `POST /sandbox/v1/monitor/{id}/transition` fires the webhooks a message mentions.
mod transitions_fire_the_webhooks_messages_mention;
/// `GET /sandbox/v1/notifications` records every recipient of a transition and its source.
mod transitions_notify_every_recipient;
/// Trims, types, dropped and unechoed fields, widget ids and `auth_method_id`, as recorded.
mod writes_are_normalised_as_datadog_does_today;
