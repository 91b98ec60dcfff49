//! What a real network and a real API add on top of correct answers: latency, failures
//! (5xx or a dropped connection), rate limits, plus the request log with counts per route.
//!
//! These apply to `/api/` paths only, never to the `/sandbox/v1/` simulation interface.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The time the sandbox's rate-limit windows run on: the machine's clock, or one a test
/// moves ([`ManualClock`]), so that a test of a window's end never waits for it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The machine's monotonic clock: what `ddhooks sandbox` and the tests that run the binary
/// against a sandbox use.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until told to move: windows end exactly when a test says.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Instant>,
}

impl ManualClock {
    /// A clock standing at the machine's current instant.
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock {
            now: Mutex::new(Instant::now()),
        })
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A rate-limit budget: `limit` requests per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period.
    pub limit: u32,
    /// Length of the window, in whole seconds.
    pub period_secs: u64,
}

impl FromStr for RateLimit {
    type Err = String;

    /// Parses `N/SECONDS`, e.g. `100/10`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (limit, period) = s
            .split_once('/')
            .ok_or_else(|| format!("expected N/SECONDS, got '{s}'"))?;
        let limit: u32 = limit
            .trim()
            .parse()
            .map_err(|_| format!("'{limit}' is not a number of requests"))?;
        let period_secs: u64 = period
            .trim()
            .parse()
            .map_err(|_| format!("'{period}' is not a number of seconds"))?;
        if limit == 0 || period_secs == 0 {
            return Err("both N and SECONDS must be at least 1".to_string());
        }
        Ok(Self { limit, period_secs })
    }
}

/// What to do with one API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it; attach these rate-limit headers (if any).
    Serve(Vec<(&'static str, String)>),
    /// Answer 429 with these rate-limit headers.
    Limited(Vec<(&'static str, String)>),
    /// Answer with this 5xx status and rate-limit headers, without doing the request.
    Fail(u16, Vec<(&'static str, String)>),
    /// Do the request, then answer with this 5xx status anyway (a gateway that timed out
    /// while the write went through): the client cannot know whether it happened.
    FailAfter(u16, Vec<(&'static str, String)>),
    /// Close the connection without an answer, without doing the request.
    Drop,
    /// Do the request, then close the connection without an answer: a write whose outcome
    /// the client cannot know.
    DropAfter,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    used: u32,
}

/// Failure, latency and rate-limit knobs plus their mutable state.
#[derive(Debug)]
pub struct Faults {
    latency: Duration,
    /// Up to this much more, drawn per request, uniformly.
    jitter: Duration,
    /// The jitter's draws, apart from the failure draws: the same seed injects the same
    /// faults with or without jitter.
    jitter_rng: Mutex<StdRng>,
    fail_rate: f64,
    rate_limit: Option<RateLimit>,
    window: Mutex<Window>,
    rng: Mutex<StdRng>,
    clock: Arc<dyn Clock>,
}

impl Faults {
    /// Knobs as configured; `seed` makes the failure and jitter draws reproducible; the
    /// rate-limit windows run on `clock`.
    pub fn new(
        latency: Duration,
        jitter: Duration,
        fail_rate: f64,
        rate_limit: Option<RateLimit>,
        seed: Option<u64>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        /// Keeps the jitter's stream of draws apart from the failures' (ASCII "jitter").
        const JITTER_STREAM: u64 = 0x6a69_7474_6572;
        let seeded = |seed: Option<u64>| match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let rng = seeded(seed);
        Self {
            latency,
            jitter,
            jitter_rng: Mutex::new(seeded(seed.map(|s| s ^ JITTER_STREAM))),
            fail_rate: fail_rate.clamp(0.0, 1.0),
            rate_limit,
            window: Mutex::new(Window {
                started: clock.now(),
                used: 0,
            }),
            rng: Mutex::new(rng),
            clock,
        }
    }

    /// Starts a new rate-limit window now, its whole budget unused: what a test that needs
    /// a fresh budget asks for (`POST /sandbox/v1/rate_limit/window`) instead of waiting for
    /// the current window to end.
    pub fn start_new_window(&self) {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        window.started = self.clock.now();
        window.used = 0;
    }

    /// How long one API request takes to be answered: the latency, plus a draw from zero to
    /// the jitter (uniform, to the microsecond), so that requests in flight together come
    /// back in any order, as a real API's do.
    pub fn response_time(&self) -> Duration {
        if self.jitter.is_zero() {
            return self.latency;
        }
        let most = u64::try_from(self.jitter.as_micros()).unwrap_or(u64::MAX);
        let drawn = self
            .jitter_rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .random_range(0..=most);
        self.latency + Duration::from_micros(drawn)
    }

    /// Decides the fate of one API request: rate limit first, then the failure draw.
    pub fn judge(&self) -> Verdict {
        let headers = match self.rate_limit {
            None => Vec::new(),
            Some(rl) => {
                let mut window = self
                    .window
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let period = Duration::from_secs(rl.period_secs);
                let now = self.clock.now();
                if now.duration_since(window.started) >= period {
                    window.started = now;
                    window.used = 0;
                }
                let reset = period
                    .saturating_sub(now.duration_since(window.started))
                    .as_secs_f64()
                    .ceil() as u64;
                let allowed = window.used < rl.limit;
                if allowed {
                    window.used += 1;
                }
                let headers = vec![
                    ("x-ratelimit-limit", rl.limit.to_string()),
                    ("x-ratelimit-period", rl.period_secs.to_string()),
                    (
                        "x-ratelimit-remaining",
                        rl.limit.saturating_sub(window.used).to_string(),
                    ),
                    ("x-ratelimit-reset", reset.max(1).to_string()),
                    ("x-ratelimit-name", "sandbox_api".to_string()),
                ];
                if !allowed {
                    return Verdict::Limited(headers);
                }
                headers
            }
        };
        if self.fail_rate > 0.0 {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            if rng.random_bool(self.fail_rate) {
                return match rng.random_range(0..5u8) {
                    0 => Verdict::Fail(500, headers),
                    1 => Verdict::Fail(503, headers),
                    2 => Verdict::Drop,
                    3 => Verdict::DropAfter,
                    _ => Verdict::FailAfter(500, headers),
                };
            }
        }
        Verdict::Serve(headers)
    }
}

/// Counts of API requests by `METHOD /path/{template}`, of the statuses answered per route,
/// and of the faults injected by kind.
#[derive(Debug, Default)]
pub struct RequestLog {
    counts: Mutex<BTreeMap<String, u64>>,
    statuses: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    faults: Mutex<BTreeMap<String, u64>>,
    /// Bumped at every change of `counts`, so that [`RequestLog::wait_for`] wakes on it
    /// instead of polling.
    changes: tokio::sync::watch::Sender<u64>,
}

impl RequestLog {
    /// Records one request.
    pub fn record(&self, method: &str, path: &str) {
        let key = format!("{method} {}", route_template(path));
        {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            *counts.entry(key).or_insert(0) += 1;
        }
        self.changes.send_modify(|n| *n += 1);
    }

    /// How many requests were recorded under keys (`METHOD /route`) starting with `prefix`
    /// (`""`: all of them).
    pub fn count(&self, prefix: &str) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// Waits until [`RequestLog::count`] of `prefix` reaches `at_least`, and answers it:
    /// how a test waits for a child process to get somewhere without polling.
    pub async fn wait_for(&self, prefix: &str, at_least: u64) -> u64 {
        let mut changed = self.changes.subscribe();
        loop {
            let count = self.count(prefix);
            if count >= at_least {
                return count;
            }
            // The sender lives as long as `self`, so this only ever returns `Ok`.
            if changed.changed().await.is_err() {
                return count;
            }
        }
    }

    /// Records the status answered to one request (`dropped` when the connection was closed).
    pub fn record_status(&self, method: &str, path: &str, status: &str) {
        let key = format!("{method} {}", route_template(path));
        let mut statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        *statuses
            .entry(key)
            .or_default()
            .entry(status.to_string())
            .or_insert(0) += 1;
    }

    /// Records one injected fault of `kind` (e.g. `500`, `drop-after`, `429`).
    pub fn record_fault(&self, kind: &str) {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        *faults.entry(kind.to_string()).or_insert(0) += 1;
    }

    /// Statuses answered, by route then status.
    pub fn statuses(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Faults injected, by kind.
    pub fn faults(&self) -> BTreeMap<String, u64> {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `(total, counts)`.
    pub fn snapshot(&self) -> (u64, BTreeMap<String, u64>) {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (counts.values().sum(), counts)
    }

    /// Forgets every request.
    pub fn clear(&self) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.changes.send_modify(|n| *n += 1);
    }
}

/// The route template of an API path: names in webhook/variable paths become
/// `{webhook_name}`/`{name}`, monitor ids become `{id}`, notification-rule ids `{rule_id}`,
/// dashboard ids `{dashboard_id}`.
/// Unknown paths stay as they are.
pub fn route_template(path: &str) -> String {
    const WEBHOOKS: &str = "/api/v1/integration/webhooks/configuration/webhooks/";
    const VARIABLES: &str = "/api/v1/integration/webhooks/configuration/custom-variables/";
    const MONITOR: &str = "/api/v1/monitor/";
    const RULE: &str = "/api/v2/monitor/notification_rule/";
    const DASHBOARD: &str = "/api/v1/dashboard/";
    for (prefix, name) in [
        (RULE, "rule_id"),
        (DASHBOARD, "dashboard_id"),
        (WEBHOOKS, "webhook_name"),
        (VARIABLES, "name"),
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if !rest.is_empty() && !rest.contains('/') {
                return format!("{prefix}{{{name}}}");
            }
        }
    }
    // The destinations of handles: Slack channels per account, PagerDuty services by name.
    const SLACK: &str = "/api/v1/integration/slack/configuration/accounts/";
    if let Some(rest) = path.strip_prefix(SLACK) {
        if let Some((account, tail)) = rest.split_once('/') {
            if !account.is_empty() {
                return match tail.split_once('/') {
                    Some(("channels", name)) if !name.is_empty() => {
                        format!("{SLACK}{{account_name}}/channels/{{channel_name}}")
                    }
                    _ => format!("{SLACK}{{account_name}}/{tail}"),
                };
            }
        }
    }
    const PAGERDUTY: &str = "/api/v1/integration/pagerduty/configuration/services/";
    if let Some(rest) = path.strip_prefix(PAGERDUTY) {
        if !rest.is_empty() && !rest.contains('/') {
            return format!("{PAGERDUTY}{{service_name}}");
        }
    }
    if let Some(rest) = path.strip_prefix(MONITOR) {
        let mut parts = rest.splitn(2, '/');
        let first = parts.next().unwrap_or_default();
        let tail = parts.next();
        if first != "validate" && !first.is_empty() {
            return match tail {
                None => format!("{MONITOR}{{id}}"),
                Some(tail) => format!("{MONITOR}{{id}}/{tail}"),
            };
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(route_template("/api/v1/monitor/12"), "/api/v1/monitor/{id}");
        assert_eq!(
            route_template("/api/v1/monitor/12/validate"),
            "/api/v1/monitor/{id}/validate"
        );
        assert_eq!(
            route_template("/api/v1/monitor/validate"),
            "/api/v1/monitor/validate"
        );
        assert_eq!(route_template("/api/v1/monitor"), "/api/v1/monitor");
        assert_eq!(
            route_template("/api/v2/monitor/notification_rule/5dca07c7-267c-4159"),
            "/api/v2/monitor/notification_rule/{rule_id}"
        );
        assert_eq!(
            route_template("/api/v1/dashboard/abc-def-ghi"),
            "/api/v1/dashboard/{dashboard_id}"
        );
        assert_eq!(route_template("/api/v1/dashboard"), "/api/v1/dashboard");
        assert_eq!(
            route_template("/api/v1/integration/slack/configuration/accounts/main/channels"),
            "/api/v1/integration/slack/configuration/accounts/{account_name}/channels"
        );
        assert_eq!(
            route_template("/api/v1/integration/slack/configuration/accounts/main/channels/ops"),
            "/api/v1/integration/slack/configuration/accounts/{account_name}/channels/{channel_name}"
        );
        assert_eq!(
            route_template("/api/v1/integration/pagerduty/configuration/services/checkout"),
            "/api/v1/integration/pagerduty/configuration/services/{service_name}"
        );
        assert_eq!(
            route_template("/api/v2/monitor/notification_rule"),
            "/api/v2/monitor/notification_rule"
        );
        assert_eq!(
            route_template("/api/v1/integration/webhooks/configuration/webhooks/x-y"),
            "/api/v1/integration/webhooks/configuration/webhooks/{webhook_name}"
        );
    }

    #[test]
    fn rate_limit_parses() {
        assert_eq!(
            "5/10".parse::<RateLimit>(),
            Ok(RateLimit {
                limit: 5,
                period_secs: 10
            })
        );
        assert!("5".parse::<RateLimit>().is_err());
        assert!("0/1".parse::<RateLimit>().is_err());
    }

    /// A budget of two requests a minute, on a clock the test moves.
    fn two_a_minute() -> (Faults, Arc<ManualClock>) {
        let clock = ManualClock::new();
        let rate_limit = RateLimit {
            limit: 2,
            period_secs: 60,
        };
        let faults = Faults::new(
            Duration::ZERO,
            Duration::ZERO,
            0.0,
            Some(rate_limit),
            Some(1),
            clock.clone(),
        );
        (faults, clock)
    }

    fn header<'a>(verdict: &'a Verdict, name: &str) -> &'a str {
        let (Verdict::Serve(headers) | Verdict::Limited(headers)) = verdict else {
            panic!("{verdict:?} carries no rate-limit headers");
        };
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
    }

    #[test]
    fn budget_runs_out() {
        let (faults, _clock) = two_a_minute();
        assert!(matches!(faults.judge(), Verdict::Serve(_)));
        assert!(matches!(faults.judge(), Verdict::Serve(_)));
        assert!(matches!(faults.judge(), Verdict::Limited(_)));
    }

    #[test]
    fn a_window_ends_after_its_period_on_the_injected_clock() {
        let (faults, clock) = two_a_minute();
        faults.judge();
        faults.judge();
        clock.advance(Duration::from_secs(45));
        let limited = faults.judge();
        assert!(matches!(limited, Verdict::Limited(_)), "{limited:?}");
        assert_eq!(header(&limited, "x-ratelimit-reset"), "15");
        assert_eq!(header(&limited, "x-ratelimit-remaining"), "0");
        clock.advance(Duration::from_secs(15));
        let served = faults.judge();
        assert!(matches!(served, Verdict::Serve(_)), "{served:?}");
        assert_eq!(header(&served, "x-ratelimit-remaining"), "1");
        assert_eq!(header(&served, "x-ratelimit-reset"), "60");
    }

    #[test]
    fn a_new_window_gives_the_whole_budget_back_at_once() {
        let (faults, _clock) = two_a_minute();
        faults.judge();
        faults.judge();
        faults.start_new_window();
        assert!(matches!(faults.judge(), Verdict::Serve(_)));
        assert!(matches!(faults.judge(), Verdict::Serve(_)));
        assert!(matches!(faults.judge(), Verdict::Limited(_)));
    }

    /// What `response_time` answers, 2,000 times, for a seed.
    fn response_times(latency_ms: u64, jitter_ms: u64, seed: u64) -> Vec<Duration> {
        let faults = Faults::new(
            Duration::from_millis(latency_ms),
            Duration::from_millis(jitter_ms),
            0.0,
            None,
            Some(seed),
            Arc::new(SystemClock),
        );
        (0..2_000).map(|_| faults.response_time()).collect()
    }

    #[test]
    fn jitter_adds_up_to_its_width_to_the_latency_and_a_seed_repeats_it() {
        let seed = 20_261_207;
        let times = response_times(20, 10, seed);
        let (low, high) = (Duration::from_millis(20), Duration::from_millis(30));
        assert!(
            times.iter().all(|t| (low..=high).contains(t)),
            "seed {seed}: {times:?}"
        );
        // Spread over the whole width: draws in each of its tenths.
        for tenth in 0..10u64 {
            let from = low + Duration::from_millis(tenth);
            let to = from + Duration::from_millis(1);
            assert!(
                times.iter().any(|t| (from..to).contains(t)),
                "seed {seed}: no draw in [{from:?}, {to:?})"
            );
        }
        assert_eq!(times, response_times(20, 10, seed), "seed {seed} repeats");
        assert_ne!(
            times,
            response_times(20, 10, seed + 1),
            "another seed differs"
        );
    }

    #[test]
    fn without_jitter_every_answer_takes_the_latency_exactly() {
        assert!(response_times(15, 0, 1)
            .iter()
            .all(|t| *t == Duration::from_millis(15)));
    }

    #[test]
    fn jitter_leaves_the_failure_draws_of_a_seed_as_they_were() {
        let verdicts = |jitter_ms: u64| {
            let faults = Faults::new(
                Duration::ZERO,
                Duration::from_millis(jitter_ms),
                0.3,
                None,
                Some(7),
                Arc::new(SystemClock),
            );
            (0..200)
                .map(|_| {
                    let _ = faults.response_time();
                    format!("{:?}", faults.judge())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(verdicts(0), verdicts(10));
    }
}
