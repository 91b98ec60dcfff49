//! Reliability: faults, rate limits, concurrent applies, interruption, secrecy and bad
//! input — the real binary against real sandboxes (the `ddhooks sandbox` binary, or
//! in-process) over loopback, what they hold read back through their API.

/// An apply stopped after any step (as SIGKILL would) resumes and converges; the registry
/// never lies in between.
mod apply_killed_after_any_step_converges;
/// Malformed, truncated, huge or never-ending API answers; plain `http://` off loopback.
mod bad_input_is_a_clear_error;
/// Inputs that once crashed ddhooks: overflowing rate-limit headers, deep nesting.
mod crashes_found_in_review_stay_fixed;
/// Credentials read back from Datadog (in URLs, headers, payloads) appear in no output.
mod credentials_read_from_datadog_never_reach_output;
/// Retries with backoff, reads before retried creates, pacing under a rate budget.
mod faults_are_retried_and_nothing_is_created_twice;
/// SIGINT/SIGTERM finish the write in flight; kills never corrupt the registry.
mod interruption_never_leaves_the_registry_lying;
/// The apply lock: a second apply refuses; an abandoned lock is taken over.
mod one_apply_at_a_time;
/// A secret value appears in no output, file, log or registry.
mod secrets_never_reach_output;
/// Webhook and variable writes go one at a time.
mod writes_go_in_order_one_at_a_time;
