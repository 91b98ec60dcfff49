//! What went wrong when a request got no answer, told apart so that each failure gets the
//! retries and the message it deserves; the proxy a request goes through; the extra CA
//! certificates a proxy that re-signs TLS needs; the summary of a request's failed attempts.
//!
//! The classification is pure (an error's chain of sources in, a [`NetworkCause`] out), and
//! so is every message; reading the environment and files happens in the two constructors
//! that say so ([`proxy_for`], [`CaBundle::read`]).

use super::pacing::RetryClass;
use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkCause {
    /// The host name does not resolve: a typo, or no DNS here.
    Dns,
    /// Nothing accepts connections at that address.
    Refused,
    /// The server's TLS certificate is not trusted (an unknown issuer, expired, made out to
    /// another name).
    Certificate,
    /// The TLS handshake failed otherwise (e.g. the server does not speak TLS).
    Tls,
    /// No answer in time.
    Timeout,
    /// The connection dropped, was reset, or the answer was not HTTP.
    Dropped,
}

impl NetworkCause {
    /// How a failure of this cause is retried: the ones that waiting rarely cures are retried
    /// once, quickly; the others with backoff, as often as `--max-retries` says.
    pub fn retry_class(self) -> RetryClass {
        match self {
            NetworkCause::Dns
            | NetworkCause::Refused
            | NetworkCause::Certificate
            | NetworkCause::Tls => RetryClass::Quick,
            NetworkCause::Timeout | NetworkCause::Dropped => RetryClass::Backoff,
        }
    }

    /// Whether the request may have reached the server. Never for a failure to connect: a
    /// name that does not resolve, a refused connection or a failed handshake sent nothing.
    pub fn may_have_been_sent(self) -> bool {
        self.retry_class() == RetryClass::Backoff
    }

    /// A few words for the summary of a request's attempts.
    pub fn label(self) -> &'static str {
        match self {
            NetworkCause::Dns => "dns error",
            NetworkCause::Refused => "connection refused",
            NetworkCause::Certificate => "untrusted certificate",
            NetworkCause::Tls => "tls handshake failed",
            NetworkCause::Timeout => "timeout",
            NetworkCause::Dropped => "connection dropped",
        }
    }
}

/// Classifies a failed request from its error's chain of sources (`timed_out`: the client
/// already knows it timed out, e.g. `reqwest::Error::is_timeout`). Looks for, in order: a
/// rustls error (an untrusted certificate, or another handshake failure), an I/O error of
/// kind `ConnectionRefused`, and a resolver's error (hyper-util's `dns error`, the system's
/// `failed to lookup address`); anything else is [`NetworkCause::Dropped`].
pub fn classify(error: &(dyn Error + 'static), timed_out: bool) -> NetworkCause {
    if timed_out {
        return NetworkCause::Timeout;
    }
    cause_in_chain(error).unwrap_or(NetworkCause::Dropped)
}

fn cause_in_chain(error: &(dyn Error + 'static)) -> Option<NetworkCause> {
    let mut next = Some(error);
    while let Some(err) = next {
        if let Some(cause) = cause_of(err) {
            return Some(cause);
        }
        next = err.source();
    }
    None
}

fn cause_of(err: &(dyn Error + 'static)) -> Option<NetworkCause> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            rustls::Error::InvalidCertificate(_) => NetworkCause::Certificate,
            _ => NetworkCause::Tls,
        });
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        if io.kind() == std::io::ErrorKind::ConnectionRefused {
            return Some(NetworkCause::Refused);
        }
        if io.kind() == std::io::ErrorKind::TimedOut {
            return Some(NetworkCause::Timeout);
        }
        // An I/O error's `source()` skips the error it wraps (it shows that error's text
        // as its own), so the wrapped one is looked at here: rustls' errors travel so.
        if let Some(inner) = io.get_ref() {
            if let Some(cause) = cause_in_chain(inner) {
                return Some(cause);
            }
        }
    }
    let text = err.to_string();
    if text.starts_with("dns error") || text.contains("failed to lookup address") {
        return Some(NetworkCause::Dns);
    }
    None
}

/// The innermost message of an error's chain (`Connection refused (os error 111)`, `invalid
/// peer certificate: UnknownIssuer`): what a person needs of it, without the wrappers.
pub fn innermost(error: &(dyn Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// Every message of an error's chain, outermost first, joined with `: `.
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(err) = next {
        text.push_str(": ");
        text.push_str(&err.to_string());
        next = err.source();
    }
    text
}

/// `host` or `host:port` of a URL, as a person would type it.
pub fn host_and_port(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The proxy requests to `url` go through, as reqwest chooses it (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, upper or lower case, minus `NO_PROXY`), described with the
/// variable that set it, e.g. `http://10.0.0.1:3128 (HTTPS_PROXY)`; `None` when requests go
/// directly. Credentials in the proxy URL are not part of the description.
pub fn proxy_for(url: &url::Url) -> Option<String> {
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_env();
    let uri = url.as_str().parse().ok()?;
    let intercept = matcher.intercept(&uri)?;
    let proxy = intercept.uri();
    let shown = match (proxy.scheme_str(), proxy.host(), proxy.port_u16()) {
        (Some(scheme), Some(host), Some(port)) => format!("{scheme}://{host}:{port}"),
        (Some(scheme), Some(host), None) => format!("{scheme}://{host}"),
        _ => "the proxy".to_string(),
    };
    let names: &[&str] = if url.scheme() == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let variable = names
        .iter()
        .find(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    Some(match variable {
        Some(name) => format!("{shown} ({name})"),
        None => shown,
    })
}

/// Whether `host` (with or without a port) is the API host of a Datadog site: then the URL
/// came from `DD_SITE` / `--site`, not from `--api-url`.
fn is_site_host(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    super::SITES
        .iter()
        .any(|site| name.strip_prefix("api.") == Some(site))
}

/// Where a request that got no answer was going, and what went wrong: the text of
/// [`super::ApiError::Network`] after `METHOD OBJECT: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkFailure {
    /// Why, in kind: what decides the retries and the fix suggested.
    pub cause: NetworkCause,
    /// The host that could not be reached, with its port when the URL gives one.
    pub host: String,
    /// The proxy in between, if any (see [`proxy_for`]).
    pub proxy: Option<String>,
    /// The innermost message of the error (see [`innermost`]).
    pub reason: String,
    /// The whole chain of messages (see [`chain`]).
    pub detail: String,
}

impl fmt::Display for NetworkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let NetworkFailure {
            cause,
            host,
            proxy,
            reason,
            detail,
        } = self;
        let proxy = proxy.as_deref();
        let site = is_site_host(host);
        let via = proxy
            .map(|p| format!(" through the proxy {p}"))
            .unwrap_or_default();
        let endpoint = if site {
            "is DD_SITE (or --site) the org's site?"
        } else {
            "is --api-url (or DD_HOST) right? (without it, DD_SITE or --site picks a Datadog site)"
        };
        match (cause, proxy) {
            (NetworkCause::Refused, Some(proxy)) => write!(
                f,
                "cannot connect to the proxy {proxy} (for {host}): connection refused; is the proxy running and its URL right? (NO_PROXY lists the hosts reached without it)"
            ),
            (NetworkCause::Dns, Some(proxy)) => write!(
                f,
                "cannot connect to the proxy {proxy} (for {host}): its host name does not resolve ({reason}); is the proxy's URL right?"
            ),
            (NetworkCause::Refused, None) if site => write!(
                f,
                "cannot connect to {host}: connection refused; check the network, and set HTTPS_PROXY if connections must go through a proxy"
            ),
            (NetworkCause::Refused, None) => write!(
                f,
                "cannot connect to {host}: connection refused (nothing listens there); {endpoint}"
            ),
            (NetworkCause::Dns, None) if site => write!(
                f,
                "cannot connect to {host}: the host name does not resolve ({reason}); check the network and its DNS, and set HTTPS_PROXY if only a proxy reaches the internet"
            ),
            (NetworkCause::Dns, None) => write!(
                f,
                "cannot connect to {host}: the host name does not resolve ({reason}); is --api-url (or DD_HOST) spelled right? (without it, DD_SITE or --site picks a Datadog site); set HTTPS_PROXY if only a proxy reaches the internet"
            ),
            (NetworkCause::Certificate, _) => write!(
                f,
                "cannot connect to {host}{via}: its TLS certificate is not trusted ({reason}); if a proxy or gateway re-signs TLS, trust its CA with --ca-file PATH (or SSL_CERT_FILE=PATH), a PEM file (the system's CA store is trusted already)"
            ),
            (NetworkCause::Tls, _) => write!(
                f,
                "cannot connect to {host}{via}: the TLS handshake failed ({reason}); does the server speak https? (plain http:// is allowed to loopback only); a proxy that re-signs TLS needs its CA in --ca-file (or SSL_CERT_FILE)"
            ),
            (NetworkCause::Timeout | NetworkCause::Dropped, _) => {
                write!(f, "cannot reach {host}{via}: {detail}")
            }
        }
    }
}

/// What went wrong on each failed attempt of one request, in order: a status (`503`) or a
/// [`NetworkCause::label`]. Shown once per request: on the line that says it succeeded in
/// the end, or at the end of its error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempts(Vec<String>);

impl Attempts {
    /// No failed attempt yet.
    pub fn new() -> Attempts {
        Attempts::default()
    }

    /// Notes one failed attempt.
    pub fn push(&mut self, label: impl Into<String>) {
        self.0.push(label.into());
    }

    /// How many attempts failed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The failures in order, a run of three or more of the same written once with its
    /// count: `503, 503, timeout`, `429 ×30`.
    pub fn list(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            let run = self.0[i..].iter().take_while(|l| **l == self.0[i]).count();
            if run >= 3 {
                parts.push(format!("{} ×{run}", self.0[i]));
            } else {
                parts.extend(self.0[i..i + run].iter().cloned());
            }
            i += run;
        }
        parts.join(", ")
    }

    /// `succeeded after 3 retries (503, 503, timeout)`, for a request that succeeded after
    /// these failures.
    pub fn succeeded(&self) -> String {
        let n = self.0.len();
        let noun = if n == 1 { "retry" } else { "retries" };
        format!("succeeded after {n} {noun} ({})", self.list())
    }
}

/// The end of an error whose request was tried more than once: `; gave up after 9 attempts
/// (503 ×9)`; nothing after a single attempt.
impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() < 2 {
            return Ok(());
        }
        write!(
            f,
            "; gave up after {} attempts ({})",
            self.0.len(),
            self.list()
        )
    }
}

/// Extra CA certificates to trust besides the system's store and Mozilla's roots
/// (`--ca-file`, `SSL_CERT_FILE`): for a proxy or gateway that re-signs TLS with its own CA.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    certificates: Vec<reqwest::Certificate>,
    skipped: usize,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CaBundle({}, {} certificates)",
            self.path.display(),
            self.certificates.len()
        )
    }
}

/// A CA file that cannot be used, with what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    /// The file cannot be read.
    #[error("cannot read the CA file {path}: {source}; --ca-file (or SSL_CERT_FILE) must name a readable PEM file")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds no certificate in PEM form.
    #[error("the CA file {path} holds no PEM certificate (no `-----BEGIN CERTIFICATE-----` block); give the CA's certificates in PEM (a DER file converts with `openssl x509 -inform der -in FILE -out FILE.pem`)")]
    NoCertificate {
        /// The file.
        path: String,
    },
    /// A PEM block is damaged.
    #[error("the CA file {path} is not valid PEM: {detail}; give the CA's certificates in PEM")]
    BadPem {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// A certificate in it cannot be a trust anchor.
    #[error("certificate {index} of the CA file {path} cannot be trusted as a CA: {detail}")]
    BadCertificate {
        /// The file.
        path: String,
        /// Its position in the file, from 1.
        index: usize,
        /// Why.
        detail: String,
    },
}

impl CaBundle {
    /// Reads a PEM file of one or many CA certificates.
    pub fn read(path: &Path) -> Result<CaBundle, CaFileError> {
        let pem = std::fs::read(path).map_err(|source| CaFileError::Unreadable {
            path: path.display().to_string(),
            source,
        })?;
        CaBundle::from_pem(path, &pem)
    }

    /// Certificates from PEM text read from `path` (named in errors). A damaged PEM block is
    /// an error; a certificate that cannot be a trust anchor is skipped, as the system's
    /// bundles hold some ancient ones (`SSL_CERT_FILE` often names such a bundle), unless
    /// none is usable: then the first one's problem is the error.
    pub fn from_pem(path: &Path, pem: &[u8]) -> Result<CaBundle, CaFileError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let shown = || path.display().to_string();
        let mut certificates = Vec::new();
        let mut first_bad = None;
        let mut skipped = 0;
        for (i, der) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let der = der.map_err(|e| CaFileError::BadPem {
                path: shown(),
                detail: e.to_string(),
            })?;
            let usable = rustls::RootCertStore::empty()
                .add(der.clone())
                .map_err(|e| e.to_string())
                .and_then(|()| reqwest::Certificate::from_der(&der).map_err(|e| e.to_string()));
            match usable {
                Ok(certificate) => certificates.push(certificate),
                Err(detail) => {
                    skipped += 1;
                    first_bad.get_or_insert(CaFileError::BadCertificate {
                        path: shown(),
                        index: i + 1,
                        detail,
                    });
                }
            }
        }
        if certificates.is_empty() {
            return Err(first_bad.unwrap_or(CaFileError::NoCertificate { path: shown() }));
        }
        Ok(CaBundle {
            path: path.to_path_buf(),
            certificates,
            skipped,
        })
    }

    /// How many certificates it trusts.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether it trusts none (never: reading fails then).
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// How many certificates of the file were skipped as unusable.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The certificates, for the client's builder.
    pub(crate) fn certificates(&self) -> &[reqwest::Certificate] {
        &self.certificates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// hyper-util's connect error as it travels: a message, and the error it wraps.
    #[derive(Debug)]
    struct Wrapped(&'static str, Box<dyn Error + Send + Sync>);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.1)
        }
    }

    fn outer(inner: impl Error + Send + Sync + 'static) -> Wrapped {
        Wrapped(
            "client error (Connect)",
            Box::new(Wrapped("tcp connect error", Box::new(inner))),
        )
    }

    #[test]
    fn failures_to_connect_are_told_apart() {
        let refused = outer(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&refused, false), NetworkCause::Refused);
        let dns = Wrapped(
            "client error (Connect)",
            Box::new(Wrapped(
                "dns error",
                Box::new(io::Error::other(
                    "failed to lookup address information: Name or service not known",
                )),
            )),
        );
        assert_eq!(classify(&dns, false), NetworkCause::Dns);
        // The system's message alone is recognised too.
        let lookup = outer(io::Error::other(
            "failed to lookup address information: Temporary failure in name resolution",
        ));
        assert_eq!(classify(&lookup, false), NetworkCause::Dns);
        // rustls' errors arrive inside an I/O error, whose `source()` skips them.
        let certificate = outer(io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        assert_eq!(classify(&certificate, false), NetworkCause::Certificate);
        let handshake = outer(io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
        ));
        assert_eq!(classify(&handshake, false), NetworkCause::Tls);
    }

    #[test]
    fn timeouts_and_dropped_connections_keep_their_retries() {
        let reset = outer(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&reset, false), NetworkCause::Dropped);
        assert_eq!(
            classify(&outer(io::Error::from(io::ErrorKind::TimedOut)), false),
            NetworkCause::Timeout
        );
        // A timeout wins over whatever the chain holds.
        let refused = outer(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&refused, true), NetworkCause::Timeout);
        let closed = Wrapped(
            "connection closed before message completed",
            Box::new(io::Error::from(io::ErrorKind::UnexpectedEof)),
        );
        assert_eq!(classify(&closed, false), NetworkCause::Dropped);
        for cause in [NetworkCause::Timeout, NetworkCause::Dropped] {
            assert_eq!(cause.retry_class(), RetryClass::Backoff);
            assert!(cause.may_have_been_sent());
        }
        for cause in [
            NetworkCause::Dns,
            NetworkCause::Refused,
            NetworkCause::Certificate,
            NetworkCause::Tls,
        ] {
            assert_eq!(cause.retry_class(), RetryClass::Quick);
            assert!(!cause.may_have_been_sent(), "{cause:?}: nothing was sent");
        }
    }

    #[test]
    fn the_innermost_message_and_the_chain() {
        let refused = outer(io::Error::other("Connection refused (os error 111)"));
        assert_eq!(innermost(&refused), "Connection refused (os error 111)");
        assert_eq!(
            chain(&refused),
            "client error (Connect): tcp connect error: Connection refused (os error 111)"
        );
    }

    fn explain(cause: NetworkCause, host: &str, proxy: Option<&str>) -> String {
        NetworkFailure {
            cause,
            host: host.to_string(),
            proxy: proxy.map(str::to_string),
            reason: "REASON".to_string(),
            detail: "DETAIL".to_string(),
        }
        .to_string()
    }

    #[test]
    fn each_cause_names_the_host_and_its_fix() {
        let text = explain(NetworkCause::Refused, "127.0.0.1:9", None);
        assert!(
            text.starts_with("cannot connect to 127.0.0.1:9: connection refused"),
            "{text}"
        );
        assert!(text.contains("--api-url (or DD_HOST)"), "{text}");
        let text = explain(NetworkCause::Refused, "api.datadoghq.eu", None);
        assert!(text.contains("HTTPS_PROXY"), "{text}");
        let text = explain(
            NetworkCause::Refused,
            "api.datadoghq.com",
            Some("http://10.0.0.1:3128 (HTTPS_PROXY)"),
        );
        assert!(
            text.starts_with("cannot connect to the proxy http://10.0.0.1:3128 (HTTPS_PROXY) (for api.datadoghq.com)"),
            "{text}"
        );
        let text = explain(NetworkCause::Dns, "api.datadoghq.invalid", None);
        assert!(text.contains("does not resolve (REASON)"), "{text}");
        assert!(text.contains("--api-url"), "{text}");
        let text = explain(NetworkCause::Certificate, "127.0.0.1:8443", None);
        assert!(text.contains("not trusted (REASON)"), "{text}");
        assert!(text.contains("--ca-file"), "{text}");
        assert!(text.contains("SSL_CERT_FILE"), "{text}");
        assert!(text.contains("re-signs TLS"), "{text}");
        let text = explain(NetworkCause::Tls, "127.0.0.1:8443", None);
        assert!(text.contains("handshake failed (REASON)"), "{text}");
        let text = explain(NetworkCause::Timeout, "h", Some("http://p:1"));
        assert_eq!(text, "cannot reach h through the proxy http://p:1: DETAIL");
    }

    #[test]
    fn site_hosts_are_recognised() {
        assert!(is_site_host("api.datadoghq.com"));
        assert!(is_site_host("api.us5.datadoghq.com:443"));
        assert!(!is_site_host("datadoghq.com"));
        assert!(!is_site_host("127.0.0.1:9"));
        assert!(!is_site_host("api.datadoghq.invalid"));
    }

    #[test]
    fn attempts_are_summed_up_once() {
        let mut attempts = Attempts::new();
        assert_eq!(attempts.to_string(), "");
        attempts.push("503");
        assert_eq!(attempts.to_string(), "", "one attempt: nothing to add");
        attempts.push("503");
        attempts.push("timeout");
        assert_eq!(
            attempts.succeeded(),
            "succeeded after 3 retries (503, 503, timeout)"
        );
        assert_eq!(
            attempts.to_string(),
            "; gave up after 3 attempts (503, 503, timeout)"
        );
        let mut limited = Attempts::new();
        for _ in 0..30 {
            limited.push("429");
        }
        limited.push("503");
        assert_eq!(limited.list(), "429 ×30, 503");
        let mut once = Attempts::new();
        once.push("connection dropped");
        assert_eq!(
            once.succeeded(),
            "succeeded after 1 retry (connection dropped)"
        );
    }

    #[test]
    fn a_ca_file_must_hold_usable_pem_certificates() {
        let path = Path::new("/etc/corp-ca.pem");
        let err = CaBundle::from_pem(path, b"not a certificate\n").unwrap_err();
        assert!(matches!(err, CaFileError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("/etc/corp-ca.pem"), "{err}");
        let err = CaBundle::from_pem(
            path,
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(
            matches!(err, CaFileError::BadCertificate { index: 1, .. }),
            "{err}"
        );
        let err = CaBundle::from_pem(
            path,
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("/etc/corp-ca.pem"), "{err}");
        let err = CaBundle::read(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(matches!(err, CaFileError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
