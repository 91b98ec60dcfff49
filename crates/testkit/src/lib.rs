//! The one test kit the integration test binaries share, compiled once as a crate (a
//! dev-dependency of the root package): `use ddhooks_testkit as kit;` at a test binary's
//! root.
//!
//! - [`sandbox`]: a sandbox, started in-process or as the `ddhooks sandbox` binary, and
//!   everything the tests say to it over loopback HTTP (the API, `/sandbox/v1/`, the
//!   request log);
//! - [`org`]: what the sandbox holds, read back through its API (never from its data file,
//!   whose format is the sandbox's business), and the registry invariant;
//! - [`cli`]: the `ddhooks` binary as a child process, and the one [`cli::Run`] type;
//! - [`e2e`]: a sandbox, a directory of manifests and the binary pointed at the one from
//!   the other;
//! - [`fixtures`]: the manifests and monitors the tests share;
//! - [`guide`]: an org set up by hand as Datadog's guide does, credentials in plain sight;
//! - [`inproc`]: ddhooks in process (a session and an applier as the binary builds them);
//! - [`loopback`]: hand-made servers on loopback (raw answers, proxies) and their
//!   request-head reading;
//! - [`snapshots`]: masking of volatile text for insta snapshots;
//! - [`seed`]: seeded randomness whose seed every failure message carries;
//! - [`pty`]: the binary with its stderr on a pseudo-terminal, as a person at a terminal
//!   runs it.
//!
//! No test asserts an upper bound on wall-clock time. The only clock limit is
//! [`cli::HANG_GUARD`], which turns a hung child process into a failure instead of a
//! suite that never ends.

/// The secret `DD_API_KEY` variable (from the environment) that opens the shared
/// manifests, as a literal that `concat!` can build them from.
macro_rules! the_variable {
    () => {
        "custom_variables:\n  DD_API_KEY:\n    value: ${env:DD_API_KEY}\n    secret: true\n"
    };
}

pub mod cli;
pub mod e2e;
pub mod fixtures;
pub mod guide;
pub mod inproc;
pub mod loopback;
pub mod org;
pub mod pty;
pub mod sandbox;
pub mod seed;
pub mod snapshots;
