//! Everything that speaks Datadog's HTTP API: sites, the wire types (here and only here),
//! the client with its retries and rate limiting, and the fetch of remote state.

pub mod client;
pub mod fetch;
pub mod handles;
pub mod lock;
pub mod network;
pub mod objects;
pub mod pacing;
pub mod permissions;
pub mod registry_store;
pub mod wire;

pub use client::{ApiError, Client, ClientOptions, Credentials, PageSink, RequestObserver};
pub use network::{CaBundle, CaFileError, NetworkCause};

/// The Datadog sites, as `DD_SITE` spells them; the API lives at `https://api.<site>`.
/// Taken from the `site` server variable of the newest API spec of Datadog's official
/// clients (`DataDog/datadog-api-client-rust`, `.generator/schemas/v{1,2}/openapi.yaml`).
pub const SITES: &[&str] = &[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "datadoghq.eu",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
];

/// Where the API of a site lives, and whether the site is one Datadog lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL requests go to.
    pub url: reqwest::Url,
    /// A site that is not in [`SITES`], used anyway as `https://api.<site>` (a site newer
    /// than this ddhooks): the caller warns.
    pub unlisted_site: Option<String>,
}

/// Errors in choosing where to connect, before any request is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// `DD_SITE` / `--site` is not a host name at all.
    #[error("`{0}` is not a Datadog site: a site is a host name such as {sites} (or pass --api-url for any base URL)", sites = SITES.join(", "))]
    BadSite(String),
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
    endpoint(site, api_url).map(|e| e.url)
}

/// Where to connect, as [`base_url`], and whether the site is one Datadog does not list: a
/// site that is a plain host name but not in [`SITES`] is used as `https://api.<site>`,
/// since Datadog opens new sites, and the caller warns rather than refusing.
pub fn endpoint(site: &str, api_url: Option<&str>) -> Result<Endpoint, EndpointError> {
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
        return Ok(Endpoint {
            url,
            unlisted_site: None,
        });
    }
    let site = site
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("api.")
        .trim_start_matches("app.")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let is_host_name = site.contains('.')
        && site.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !is_host_name {
        return Err(EndpointError::BadSite(site));
    }
    let url = reqwest::Url::parse(&format!("https://api.{site}/"))
        .map_err(|e| EndpointError::BadUrl(site.clone(), e.to_string()))?;
    let unlisted_site = (!SITES.contains(&site.as_str())).then_some(site);
    Ok(Endpoint { url, unlisted_site })
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
        assert_eq!(
            base_url("uk1.datadoghq.com", None).unwrap().as_str(),
            "https://api.uk1.datadoghq.com/"
        );
        assert_eq!(
            base_url("us2.ddog-gov.com", None).unwrap().as_str(),
            "https://api.us2.ddog-gov.com/"
        );
        // A site Datadog does not list is used, and said to be unlisted.
        let unlisted = endpoint("EU2.datadoghq.eu", None).unwrap();
        assert_eq!(unlisted.url.as_str(), "https://api.eu2.datadoghq.eu/");
        assert_eq!(unlisted.unlisted_site.as_deref(), Some("eu2.datadoghq.eu"));
        assert_eq!(endpoint("datadoghq.eu", None).unwrap().unlisted_site, None);
        for bad in [
            "",
            "localhost",
            "exa mple.com",
            "a/b.com",
            "host.com:8080",
            "-a.com",
            "a..com",
        ] {
            assert!(
                matches!(endpoint(bad, None), Err(EndpointError::BadSite(_))),
                "{bad:?} is not a site"
            );
        }
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
