//! Pipelines and everyday use: the real `ddhooks` binary as a pipeline or a person at a
//! terminal meets it, one module per guarantee.

#[path = "../kit/mod.rs"]
mod kit;

/// Network errors: a wrong URL, host or certificate fails at once with one error naming the
/// host, the cause and the fix; proxies and extra CA certificates are honoured.
mod network_errors_are_fast_and_clear;
