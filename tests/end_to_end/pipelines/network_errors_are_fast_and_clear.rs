//! Network errors are fast and clear: a refused connection, a host name that does not
//! resolve and an untrusted certificate are retried once, quickly, then end the command
//! with one error naming the host, the cause and the fix; `--ca-file` / `SSL_CERT_FILE`
//! add a CA to trust; `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are honoured (a proxy
//! written here sees ddhooks' requests).
//!
//! No wall-clock bound is asserted: that a failure is fast is shown by its structure (at
//! most two attempts per request, the retry after 250 ms; the total is bounded by
//! `pacing`'s unit tests). The time measured is printed for the record.

use crate::kit::cli::{self, Run};
use crate::kit::fixtures::{Workspace, SCENARIO};
use crate::kit::loopback;
use crate::kit::sandbox::Sandbox;
use ddhooks::sandbox::SandboxConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio_rustls::rustls;

/// Every variable a proxy can come from: cleared for each run, so that only what a test
/// sets applies.
const PROXY_VARIABLES: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `ddhooks plan MANIFESTS --api-url URL EXTRA…` with no proxy and no `SSL_CERT_FILE` from
/// the outer environment, then `env`.
fn plan_command(url: &str, work: &Workspace, extra: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = cli::verb("plan", url, &work.manifests(), extra);
    cmd.current_dir(work.dir.path());
    for name in PROXY_VARIABLES {
        cmd.env_remove(name);
    }
    cmd.env_remove("SSL_CERT_FILE");
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd
}

/// Runs a plan (see [`plan_command`]) and prints how long it took.
async fn plan(
    what: &str,
    url: &str,
    work: &Workspace,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let started = Instant::now();
    let run = cli::run(plan_command(url, work, extra, env)).await;
    eprintln!("{what}: exit {} after {:?}", run.code, started.elapsed());
    run
}

/// Manifests that read a webhook pair, its variable and every monitor.
fn workspace() -> Workspace {
    let work = Workspace::new();
    work.write("checkout.yaml", SCENARIO);
    work
}

/// The lines of stderr that are the command's error.
fn error_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect()
}

/// Asserts that the run failed with exactly one `error:` line holding each of `texts`, no
/// warning and no colour; returns that line.
fn assert_one_error<'a>(run: &'a Run, texts: &[&str]) -> &'a str {
    assert_eq!(run.code, 1, "{}", run.all());
    let errors = error_lines(run);
    assert_eq!(errors.len(), 1, "exactly one error line:\n{}", run.all());
    for text in texts {
        assert!(
            errors[0].contains(text),
            "the error says `{text}`:\n{}",
            run.all()
        );
    }
    assert!(
        !run.stderr.contains("WARN"),
        "no warning per attempt:\n{}",
        run.all()
    );
    assert!(
        !run.stderr.contains("\x1b["),
        "no colour codes:\n{}",
        run.all()
    );
    errors[0]
}

/// A loopback address nothing listens on: bound, then let go.
fn refused_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// Text without its ANSI escape sequences.
fn without_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `retrying` debug lines of a `-vv` run, counted by the object they retried, with the
/// waits they announce.
fn retries_by_object(run: &Run) -> (BTreeMap<String, usize>, Vec<u64>) {
    let mut counts = BTreeMap::new();
    let mut waits = Vec::new();
    for line in without_ansi(&run.stderr).lines() {
        if !line.contains(" retrying ") {
            continue;
        }
        let object = line
            .split_once("object=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(object, _)| object.to_string())
            .unwrap_or_else(|| panic!("a retry line names its object: {line}"));
        *counts.entry(object).or_insert(0) += 1;
        if let Some(wait) = line
            .split_once("wait_ms=")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
        {
            waits.push(wait);
        }
    }
    (counts, waits)
}

/// Plans against `url`, asserts one error holding each of `texts`, prints it; then plans
/// again with `-vv` and asserts that each request was tried at most twice.
async fn assert_fails_at_once(what: &str, url: &str, work: &Workspace, texts: &[&str]) {
    let run = plan(what, url, work, &[], &[]).await;
    eprintln!("{}", assert_one_error(&run, texts));
    let run = plan(&format!("{what}, -vv"), url, work, &["-vv"], &[]).await;
    assert_eq!(run.code, 1, "{}", run.all());
    assert_at_most_two_attempts(&run);
}

/// Asserts that a `-vv` run retried each request at most once, after 250 ms, and at least
/// one request was retried.
fn assert_at_most_two_attempts(run: &Run) {
    let (counts, waits) = retries_by_object(run);
    assert!(
        !counts.is_empty(),
        "the retry is logged at debug:\n{}",
        run.all()
    );
    for (object, n) in &counts {
        assert!(*n <= 1, "{object}: retried {n} times:\n{}", run.all());
    }
    assert!(
        waits.iter().all(|w| *w == 250),
        "one quick retry after 250 ms: {waits:?}\n{}",
        run.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_one_clear_error_at_once() {
    let work = workspace();
    let address = refused_address();
    let url = format!("http://{address}");
    assert_fails_at_once(
        "connection refused",
        &url,
        &work,
        &[
            &format!("cannot connect to {address}: connection refused"),
            "--api-url (or DD_HOST)",
            "gave up after 2 attempts (connection refused, connection refused)",
        ],
    )
    .await;
    // Apply, whose lock is a create, fails the same way: a refused create is no unknown
    // outcome (nothing was sent), so it is not read back and retried.
    let mut cmd = cli::verb("apply", &url, &work.manifests(), &["--auto-approve"]);
    for name in PROXY_VARIABLES {
        cmd.env_remove(name);
    }
    let run = cli::run(cmd).await;
    assert_one_error(&run, &["connection refused", "gave up after 2 attempts"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_does_not_resolve_is_one_clear_error() {
    let work = workspace();
    // RFC 6761: no name under .invalid ever resolves. hyper-util reports every resolver
    // failure (no such name, no DNS server reachable) as a `dns error`.
    let run = plan(
        "dns failure",
        "https://api.datadoghq.invalid",
        &work,
        &[],
        &[],
    )
    .await;
    let error = assert_one_error(
        &run,
        &[
            "cannot connect to api.datadoghq.invalid: the host name does not resolve",
            "--api-url (or DD_HOST)",
            "DD_SITE",
            "HTTPS_PROXY",
            "gave up after 2 attempts (dns error, dns error)",
        ],
    );
    eprintln!("{error}");
}

/// A CA and a certificate it issued for 127.0.0.1 and localhost.
struct TestPki {
    ca_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "ddhooks test proxy CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("leaf params")
        .signed_by(&key, &ca)
        .expect("leaf");
    TestPki {
        ca_pem: ca.pem(),
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: key.into(),
    }
}

/// A TLS front on loopback with a certificate of [`test_pki`]'s CA: it terminates TLS and
/// passes the bytes to `upstream`, as a gateway that re-signs TLS does. Returns its
/// `https://127.0.0.1:PORT` URL.
async fn tls_front(pki: &TestPki, upstream: SocketAddr) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let address = loopback::serve(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let Ok(mut upstream) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
        }
    })
    .await;
    format!("https://{address}")
}

/// The sandbox's address, from its `http://127.0.0.1:PORT` URL.
fn address_of(sandbox: &Sandbox) -> SocketAddr {
    sandbox
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("the sandbox listens on an address")
}

/// A sandbox behind a TLS front; the CA's certificate written to `ca.pem` in `work`.
async fn sandbox_behind_tls(work: &Workspace) -> (Sandbox, String, PathBuf) {
    let sandbox = Sandbox::start(SandboxConfig::default()).await;
    let pki = test_pki();
    let url = tls_front(&pki, address_of(&sandbox)).await;
    let ca = work.path("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("ca.pem written");
    (sandbox, url, ca)
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Asserts that a plan succeeded and reached the sandbox.
async fn assert_planned(run: &Run, sandbox: &Sandbox, before: u64) {
    run.assert_exit_shows(0, &["Plan: "]);
    assert!(
        sandbox.requests_total().await > before,
        "the requests reached the sandbox:\n{}",
        run.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_names_the_ca_option_and_the_option_fixes_it() {
    let work = workspace();
    let (sandbox, url, ca) = sandbox_behind_tls(&work).await;
    let host = url.trim_start_matches("https://");
    assert_fails_at_once(
        "untrusted certificate",
        &url,
        &work,
        &[
            &format!("cannot connect to {host}: its TLS certificate is not trusted"),
            "--ca-file",
            "SSL_CERT_FILE",
            "re-signs TLS",
            "gave up after 2 attempts",
        ],
    )
    .await;
    // The CA given by option, or by SSL_CERT_FILE, is trusted.
    let before = sandbox.requests_total().await;
    let run = plan("--ca-file", &url, &work, &["--ca-file", utf8(&ca)], &[]).await;
    assert_planned(&run, &sandbox, before).await;
    let before = sandbox.requests_total().await;
    let run = plan(
        "SSL_CERT_FILE",
        &url,
        &work,
        &[],
        &[("SSL_CERT_FILE", utf8(&ca))],
    )
    .await;
    assert_planned(&run, &sandbox, before).await;
}

/// A plain `http://` API URL (loopback only: the sandbox) uses no TLS, so a CA file, given
/// or from `SSL_CERT_FILE`, is not read: not even one that does not exist stops the plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_loopback_reads_no_ca_file() {
    let work = workspace();
    let sandbox = Sandbox::start(SandboxConfig::default()).await;
    let missing = work.path("missing.pem");
    let extra = ["--ca-file", utf8(&missing)];
    let run = plan("http, missing CA file", &sandbox.base, &work, &extra, &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let env = [("SSL_CERT_FILE", utf8(&missing))];
    let run = plan(
        "http, missing SSL_CERT_FILE",
        &sandbox.base,
        &work,
        &[],
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(sandbox.requests_total().await > 0, "the plan read the org");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_ca_file_is_an_error_naming_it_before_any_request() {
    let work = workspace();
    let sandbox = Sandbox::start(SandboxConfig::default()).await;
    let url = format!("https://{}", address_of(&sandbox));
    let garbage = work.path("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").expect("written");
    let damaged = work.path("damaged.pem");
    std::fs::write(
        &damaged,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .expect("written");
    let missing = work.path("missing.pem");
    for (file, says) in [
        (&garbage, "holds no PEM certificate"),
        (&damaged, "cannot be trusted as a CA"),
        (&missing, "cannot read the CA file"),
    ] {
        let run = plan("bad CA file", &url, &work, &["--ca-file", utf8(file)], &[]).await;
        assert_one_error(&run, &[utf8(file), says]);
    }
    assert_eq!(sandbox.requests_total().await, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_a_plain_http_server_is_a_failed_handshake_at_once() {
    let work = workspace();
    let sandbox = Sandbox::start(SandboxConfig::default()).await;
    let address = address_of(&sandbox);
    let run = plan(
        "https to http",
        &format!("https://{address}"),
        &work,
        &[],
        &[],
    )
    .await;
    assert_one_error(
        &run,
        &[
            &format!("cannot connect to {address}: the TLS handshake failed"),
            "does the server speak https?",
            "gave up after 2 attempts",
        ],
    );
}

/// A proxy on loopback: `CONNECT host:port` is answered `200` and tunnelled; a request in
/// absolute form (`GET http://host:port/…`) is passed on to that host as it is. The first
/// request line of each connection is recorded.
struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    async fn start() -> Proxy {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        let addr = loopback::serve(move |client| Self::serve(client, recorded.clone())).await;
        Proxy {
            url: format!("http://{addr}"),
            seen,
        }
    }

    async fn serve(mut client: TcpStream, seen: Arc<Mutex<Vec<String>>>) {
        let Some(head) = loopback::read_head(&mut client).await else {
            return;
        };
        let first = loopback::request_line(&head);
        seen.lock().expect("lock").push(first.clone());
        let mut words = first.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let authority = if method == "CONNECT" {
            target.to_string()
        } else {
            let rest = target.trim_start_matches("http://");
            rest.split('/').next().unwrap_or("").to_string()
        };
        let Ok(mut upstream) = TcpStream::connect(&authority).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        if method == "CONNECT" {
            if client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
        } else if upstream.write_all(&head).await.is_err() {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Plans that must succeed, and what a proxy saw of them.
struct Through<'a> {
    proxy: &'a Proxy,
    sandbox: &'a Sandbox,
    work: &'a Workspace,
}

impl Through<'_> {
    /// A plan (see [`plan`]) asserted to succeed; the request lines the proxy saw during it.
    async fn plan(
        &self,
        what: &str,
        url: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Vec<String> {
        let before = self.proxy.seen().len();
        let requests = self.sandbox.requests_total().await;
        let run = plan(what, url, self.work, extra, env).await;
        assert_planned(&run, self.sandbox, requests).await;
        self.proxy.seen()[before..].to_vec()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_from_the_environment_carry_the_requests() {
    let work = workspace();
    let (sandbox, url, ca) = sandbox_behind_tls(&work).await;
    let host = url.trim_start_matches("https://").to_string();
    let proxy = Proxy::start().await;
    let through = Through {
        proxy: &proxy,
        sandbox: &sandbox,
        work: &work,
    };
    let ca_file = ["--ca-file", utf8(&ca)];
    // https through a CONNECT tunnel, with the variable in either case.
    for variable in ["HTTPS_PROXY", "https_proxy"] {
        let seen = through
            .plan(variable, &url, &ca_file, &[(variable, &proxy.url)])
            .await;
        assert!(!seen.is_empty(), "{variable}: the proxy saw the requests");
        for line in &seen {
            assert_eq!(line, &format!("CONNECT {host} HTTP/1.1"), "{variable}");
        }
    }
    // NO_PROXY sends them directly.
    let env = [
        ("HTTPS_PROXY", proxy.url.as_str()),
        ("NO_PROXY", "127.0.0.1"),
    ];
    let seen = through.plan("NO_PROXY", &url, &ca_file, &env).await;
    assert_eq!(
        seen,
        Vec::<String>::new(),
        "NO_PROXY: the proxy saw nothing"
    );
    // Plain http through a forward proxy: requests in absolute form.
    let env = [("HTTP_PROXY", proxy.url.as_str())];
    let seen = through.plan("HTTP_PROXY", &sandbox.base, &[], &env).await;
    assert!(!seen.is_empty(), "HTTP_PROXY: the proxy saw the requests");
    for line in &seen {
        assert!(
            line.starts_with(&format!("GET {}/api/", sandbox.base.trim_end_matches('/'))),
            "absolute form: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_is_down_is_named_in_the_error() {
    let work = workspace();
    let dead = refused_address();
    let proxy = format!("http://{dead}");
    let run = plan(
        "proxy down",
        "https://api.datadoghq.com",
        &work,
        &[],
        &[("HTTPS_PROXY", &proxy)],
    )
    .await;
    assert_one_error(
        &run,
        &[
            &format!("cannot connect to the proxy {proxy} (HTTPS_PROXY) (for api.datadoghq.com): connection refused"),
            "gave up after 2 attempts",
        ],
    );
}

/// The seed of the faulty sandbox's draws (printed with every failure).
const FAULT_SEED: u64 = 11;

/// The `succeeded after` lines of a run, counted by the request they sum up.
fn summaries(run: &Run) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in without_ansi(&run.stderr).lines() {
        if let Some((head, _)) = line.split_once(": succeeded after ") {
            let request = head.rsplit_once("client: ").map_or(head, |(_, r)| r);
            *counts.entry(request.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// A plan against a sandbox that fails `fail_rate` of the requests (seeded with
/// [`FAULT_SEED`]), with `--max-retries max_retries`.
async fn plan_with_faults(what: &str, work: &Workspace, fail_rate: f64, max_retries: &str) -> Run {
    let sandbox = Sandbox::start(SandboxConfig {
        fail_rate,
        seed: Some(FAULT_SEED),
        ..SandboxConfig::default()
    })
    .await;
    let extra = ["--max-retries", max_retries, "--timeout", "300"];
    plan(what, &sandbox.base, work, &extra, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_summed_up_once_per_request() {
    let work = workspace();
    let run = plan_with_faults("half the requests fail", &work, 0.5, "12").await;
    let seed = format!("seed {FAULT_SEED}");
    assert_eq!(run.code, 0, "{seed}: {}", run.all());
    eprint!("{}", run.stderr);
    let summed = summaries(&run);
    assert!(
        !summed.is_empty(),
        "{seed}: a retried request is summed up:\n{}",
        run.all()
    );
    for (request, n) in &summed {
        assert_eq!(*n, 1, "{seed}: {request} is summed up once:\n{}", run.all());
    }
    assert!(
        !run.stderr.contains("retrying"),
        "{seed}: no line per attempt at the default level:\n{}",
        run.all()
    );
    // Every request failing: the error says how many attempts were made, and nothing else
    // is printed.
    let run = plan_with_faults("every request fails", &work, 1.0, "2").await;
    let error = assert_one_error(&run, &["gave up after 3 attempts ("]);
    eprintln!("{error}");
}

/// `DD_SITE` chooses `https://api.<site>`: a site of the newest spec's list
/// (`uk1.datadoghq.com`) quietly, one it does not list with a warning rather than a refusal.
/// A recording proxy shows where the requests went (the proxy cannot reach the site: the
/// plan then fails, which is not what is tested).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dd_site_names_the_api_host_listed_or_not() {
    let work = workspace();
    let proxy = Proxy::start().await;
    for (site, listed) in [("uk1.datadoghq.com", true), ("eu9.datadoghq.com", false)] {
        let before = proxy.seen().len();
        let mut cmd = cli::command(&["plan", utf8(&work.manifests()), "--max-retries", "0"]);
        for name in PROXY_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.current_dir(work.dir.path())
            .env("DD_SITE", site)
            .env("HTTPS_PROXY", &proxy.url);
        let run = cli::run(cmd).await;
        let seen = proxy.seen()[before..].to_vec();
        assert!(
            seen.contains(&format!("CONNECT api.{site}:443 HTTP/1.1")),
            "{site}: {seen:?}\n{}",
            run.all()
        );
        let warned = run.stderr.contains(&format!(
            "`{site}` is not one of the Datadog sites this ddhooks knows"
        ));
        assert_eq!(warned, !listed, "{site}:\n{}", run.all());
    }
}
