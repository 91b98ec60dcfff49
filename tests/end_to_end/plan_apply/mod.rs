//! Plan and apply end to end: the real `ddhooks` binary against a real sandbox over
//! loopback HTTP, one module per guarantee of the docs (docs/guarantees.md) that these runs prove.

/// Import: an org of several pages is read page by page, each page's webhooks as it arrives.
mod a_large_org_imports_page_by_page;
/// Import: an org ddhooks partly manages (registry lost, a rule added by hand) imports into
/// manifests whose plan adopts everything and touches no monitor.
mod a_partly_managed_org_imports_into_a_plan_of_adoptions_only;
/// Import: an org set up by hand becomes manifests that plan as adoptions only, with no
/// credential in any file or output.
mod an_org_set_up_by_hand_is_taken_over_safely;
/// Idempotence: apply followed by plan shows `No changes.`
mod apply_then_plan_shows_no_changes;
/// Import: dashboards are listed beside the monitors but needed only when a pair may show
/// on one; a key that may not read them imports an org without pairs.
mod dashboards_are_read_for_import_only_when_a_pair_may_show;
/// The handle check's lookups: one request per name or page; 403s and 404s as answers.
mod every_handle_is_checked_against_the_org;
mod every_handle_is_looked_up_once;
/// Nothing ddhooks does not model is lost: rules, boards and webhooks keep people's fields.
mod nothing_ddhooks_does_not_model_is_lost;
/// What is never deleted: only what the registry owns, never what people still mention.
mod nothing_is_deleted_that_is_not_owned;
/// The text, Markdown and JSON plans reviewers read.
mod plans_are_rendered_for_review;
/// Requests: exactly what the API requires, at most `--concurrency` in flight.
mod requests_are_the_minimum_the_api_allows;
/// Routing tests: a checked-in case fails `test` and `plan` once a change breaks its route.
mod routing_tests_catch_a_broken_route;
/// `delivery: rule`: a notification rule routes the group; no message is edited.
mod rules_deliver_without_editing_a_message;
/// Stale plans: refused as a whole; monitors that moved during a long apply are refused.
mod stale_plans_are_refused;
/// People's text: every byte outside the markers is kept.
mod text_outside_markers_is_never_changed;
/// Status boards: built by apply, every monitor counted from the first minute.
mod the_board_counts_every_monitor_from_the_first_minute;
/// Exit codes, apply asking on a terminal, the demo and `--sandbox`.
mod the_command_line_works_as_documented;
/// Webhook auth methods: planned, applied, adopted, imported and deleted, secret hidden.
mod webhook_auth_methods_are_managed_and_their_secret_never_shown;
/// `ddhooks preview`: what a monitor will send on each transition, before merge.
mod what_a_monitor_will_send_is_shown_before_merge;
/// Routing: who is notified, on which transition, shown in plans and by `ddhooks routes`.
mod who_is_notified_is_shown_before_merge;
