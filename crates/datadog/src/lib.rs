//! Everything that speaks Datadog's HTTP API: sites, the wire types (here and only here),
//! the client with its retries and rate limiting, and the fetch of remote state.

pub mod client;
pub mod fetch;
pub mod lock;
pub mod network;
pub mod objects;
pub mod pacing;
pub mod registry_store;
pub mod wire;

pub use client::{ApiError, Client, ClientOptions, Credentials, RequestObserver};
pub use network::{CaBundle, CaFileError, NetworkCause};

/// The Datadog sites, as `DD_SITE` spells them; the API lives at `https://api.<site>`.
pub const SITES: &[&str] = &[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
];

/// Errors in choosing where to connect, before any request is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// `DD_SITE` / `--site` is not a Datadog site.
    #[error("unknown Datadog site `{0}`; use one of: {sites} (or --api-url for any base URL)", sites = SITES.join(", "))]
    UnknownSite(String),
    /// `--api-url` does not parse.
    #[error("--api-url `{0}` is not a valid URL: {1}")]
    BadUrl(String, String),
    /// Plain HTTP to a host that is not loopback.
    #[error("refusing plain http:// to `{0}`: keys would cross the network unencrypted; use https://, or http:// only to 127.0.0.1, ::1 or localhost")]
    InsecureUrl(String),
}

/// The API base URL: `--api-url` when given (plain `http://` only to loopback), otherwise
/// `https://api.<site>`.
pub fn base_url(site: &str, api_url: Option<&str>) -> Result<reqwest::Url, EndpointError> {
    if let Some(raw) = api_url {
        let url = reqwest::Url::parse(raw)
            .map_err(|e| EndpointError::BadUrl(raw.to_string(), e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(EndpointError::InsecureUrl(raw.to_string())),
            other => {
                return Err(EndpointError::BadUrl(
                    raw.to_string(),
                    format!("scheme `{other}` is not http(s)"),
                ))
            }
        }
        return Ok(url);
    }
    let site = site
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("api.")
        .trim_end_matches('/');
    if !SITES.contains(&site) {
        return Err(EndpointError::UnknownSite(site.to_string()));
    }
    reqwest::Url::parse(&format!("https://api.{site}/"))
        .map_err(|e| EndpointError::BadUrl(site.to_string(), e.to_string()))
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_and_api_urls() {
        assert_eq!(
            base_url("datadoghq.eu", None).unwrap().as_str(),
            "https://api.datadoghq.eu/"
        );
        assert!(matches!(
            base_url("example.com", None),
            Err(EndpointError::UnknownSite(_))
        ));
        assert!(base_url("x", Some("http://127.0.0.1:8126")).is_ok());
        assert!(base_url("x", Some("http://[::1]:1")).is_ok());
        assert!(base_url("x", Some("http://localhost:1")).is_ok());
        assert!(matches!(
            base_url("x", Some("http://10.0.0.1")),
            Err(EndpointError::InsecureUrl(_))
        ));
        assert!(matches!(
            base_url("x", Some("ftp://h")),
            Err(EndpointError::BadUrl(..))
        ));
        for site in SITES {
            assert!(base_url(site, None).is_ok());
        }
    }
}
