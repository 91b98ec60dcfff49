//! Everything that speaks Datadog's HTTP API: sites, the wire types (here and only here),
//! and the client.

pub mod wire;
