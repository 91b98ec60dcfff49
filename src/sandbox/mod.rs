//! The Datadog API emulator: a real in-memory implementation served with axum.
