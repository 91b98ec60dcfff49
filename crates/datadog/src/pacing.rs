//! When to send the next request: rate-limit pacing from Datadog's `X-RateLimit-*` headers,
//! and the delay before a retry (exponential backoff with jitter, or the wait a 429 asks for).
//!
//! Pure: time comes in as the time elapsed since an origin the caller chose, headers as
//! parsed values, and the jitter as a number the caller drew, so every decision is
//! deterministic and testable. The arithmetic saturates: whatever a server answers, nothing
//! here can panic or overflow, and no single wait exceeds [`MAX_WAIT`].

use reqwest::header::HeaderMap;
use std::time::Duration;

/// The longest any one request waits before it is sent: for its pacing slot, for a rate-limit
/// reset, or before a retry. A server asking for longer is waited for this long, then asked
/// again.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// The cap on one exponential-backoff delay (before jitter).
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Below this share of the budget left, requests are spread over the time to the reset.
const LOW_BUDGET_FRACTION: u64 = 4;

/// What one answer's rate-limit headers say. Absent or unreadable headers are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed per window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in this window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset` (or else `Retry-After` in seconds): the time until the window
    /// resets, between 1 s and [`MAX_WAIT`].
    pub reset: Option<Duration>,
}

/// Reads a header's number as Datadog writes it (decimal seconds or counts), tolerantly:
/// surrounding whitespace and a fractional part are ignored, a negative number is 0, a number
/// too large for a `u64` is `u64::MAX`; anything else (garbage, an HTTP date, non-UTF-8
/// bytes) is `None`.
pub fn parse_header_number(raw: &[u8]) -> Option<u64> {
    let text = raw.trim_ascii();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let (digits, fraction) = match text.iter().position(|b| *b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &[][..]),
    };
    if digits.is_empty() || !digits.iter().chain(fraction).all(u8::is_ascii_digit) {
        return None;
    }
    if negative {
        return Some(0);
    }
    Some(digits.iter().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// The rate-limit headers of an answer (see [`RateLimit`]).
pub fn parse_rate_limit(headers: &HeaderMap) -> RateLimit {
    let num = |name: &str| {
        headers
            .get(name)
            .and_then(|v| parse_header_number(v.as_bytes()))
    };
    RateLimit {
        limit: num("x-ratelimit-limit"),
        remaining: num("x-ratelimit-remaining"),
        reset: num("x-ratelimit-reset")
            .or_else(|| num("retry-after"))
            .map(|secs| Duration::from_secs(secs.max(1)).min(MAX_WAIT)),
    }
}

/// Pacing state shared by all requests of one client: the earliest time the next request may
/// start, and the spacing between requests while the budget is low. Times are durations since
/// the caller's origin (a fixed `Instant`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pace {
    next_slot: Option<Duration>,
    spacing: Duration,
    /// When the current rate-limit window ends, as first estimated while the budget was low
    /// (reset headers are whole seconds, so re-estimating on every answer would overshoot).
    window_end: Option<Duration>,
    last_remaining: Option<u64>,
}

impl Pace {
    /// Books the slot of a request about to start at `now` and returns how long it must wait
    /// for it (at most [`MAX_WAIT`]): `None` while the budget is comfortable; spaced out while
    /// it runs low; until the reset once it is spent or after a 429.
    pub fn delay_before_next(&mut self, now: Duration) -> Option<Duration> {
        let slot = self.next_slot.filter(|at| *at > now);
        if slot.is_some() || !self.spacing.is_zero() {
            let start = slot.unwrap_or(now);
            self.next_slot = Some(start.saturating_add(self.spacing));
        }
        slot.map(|at| at.saturating_sub(now).min(MAX_WAIT))
    }

    /// Takes in an answer received at `now` (`too_many_requests`: it was a 429) and returns
    /// how long the server asks to wait ([`RateLimit::reset`]). Without a reset the pacing
    /// is left as it was.
    pub fn note(
        &mut self,
        now: Duration,
        too_many_requests: bool,
        rate_limit: &RateLimit,
    ) -> Option<Duration> {
        let RateLimit {
            limit,
            remaining,
            reset,
        } = *rate_limit;
        let reset = reset?.min(MAX_WAIT);
        let spent = too_many_requests || remaining == Some(0);
        let low = match (remaining, limit) {
            (Some(r), Some(l)) => r.saturating_mul(LOW_BUDGET_FRACTION) <= l || r <= 2,
            (Some(r), None) => r <= 2,
            _ => false,
        };
        // A budget that went up means a new window.
        if remaining > self.last_remaining || self.window_end.is_some_and(|end| end <= now) {
            self.window_end = None;
        }
        self.last_remaining = remaining;
        if spent {
            let resume = now.saturating_add(reset);
            self.next_slot = Some(self.next_slot.map_or(resume, |at| at.max(resume)));
            self.spacing = Duration::ZERO;
            self.window_end = None;
            self.last_remaining = None;
        } else if low {
            // Spread what is left over the time left in the window.
            let end = *self.window_end.get_or_insert(now.saturating_add(reset));
            let left = u32::try_from(remaining.unwrap_or(1).max(1)).unwrap_or(u32::MAX);
            self.spacing = end
                .saturating_sub(now)
                .checked_div(left)
                .unwrap_or(Duration::ZERO)
                .min(MAX_WAIT);
        } else {
            self.spacing = Duration::ZERO;
            self.window_end = None;
        }
        Some(reset)
    }
}

/// Exponential backoff with full jitter: `base` doubled `attempt` times, capped at
/// [`MAX_BACKOFF`], times a factor between 0.5 and 1 that `jitter` picks (any `u64`, drawn by
/// the caller).
pub fn backoff(base: Duration, attempt: u32, jitter: u64) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    // 500..=1000 thousandths, in integers: no float can overflow or be NaN here.
    let thousandths = 500 + u128::from(jitter % 501);
    let nanos = exp.as_nanos().saturating_mul(thousandths) / 1000;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// How long to wait before sending a failed request again: for a 429 (`status`) the wait the
/// server asked for (`server_wait`, see [`Pace::note`]) when it gave one, otherwise
/// [`backoff`] for retry number `attempt`. Never more than [`MAX_WAIT`].
pub fn retry_delay(
    attempt: u32,
    status: Option<u16>,
    server_wait: Option<Duration>,
    base: Duration,
    jitter: u64,
) -> Duration {
    let asked = server_wait.filter(|_| status == Some(429));
    asked
        .unwrap_or_else(|| backoff(base, attempt, jitter))
        .min(MAX_WAIT)
}

/// How a failed attempt is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// A failure that waiting may cure (5xx, 429, a timeout, a dropped connection): up to
    /// `--max-retries` retries with [`retry_delay`].
    Backoff,
    /// A failure that waiting rarely cures (the host does not resolve, nothing listens, the
    /// certificate is not trusted): at most [`QUICK_RETRIES`] retry after
    /// [`QUICK_RETRY_DELAY`], then the error, so a wrong URL fails in a moment.
    Quick,
}

/// Retries of a [`RetryClass::Quick`] failure: one, for a blip (a DNS server or a
/// listener restarting).
pub const QUICK_RETRIES: u32 = 1;

/// The wait before a [`RetryClass::Quick`] retry.
pub const QUICK_RETRY_DELAY: Duration = Duration::from_millis(250);

/// What the delay before a retry depends on, besides the class and the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// Retries allowed after the first attempt (`--max-retries`).
    pub max_retries: u32,
    /// The first backoff delay (see [`backoff`]).
    pub base: Duration,
}

/// The wait before retry number `attempt` (0-based) of a failure of `class`, or `None` when
/// the request is not tried again: [`retry_delay`] up to `max_retries` times for
/// [`RetryClass::Backoff`]; [`QUICK_RETRY_DELAY`] at most [`QUICK_RETRIES`] times (and never
/// more than `max_retries`) for [`RetryClass::Quick`].
pub fn next_retry(
    class: RetryClass,
    attempt: u32,
    settings: RetrySettings,
    status: Option<u16>,
    jitter: u64,
) -> Option<Duration> {
    match class {
        RetryClass::Backoff => (attempt < settings.max_retries)
            .then(|| retry_delay(attempt, status, None, settings.base, jitter)),
        RetryClass::Quick => {
            (attempt < settings.max_retries.min(QUICK_RETRIES)).then_some(QUICK_RETRY_DELAY)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                map.insert(HeaderName::from_static(name), value);
            }
        }
        map
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// A window of 100 requests with `remaining` of them left, reset in `reset` seconds.
    fn hundred(remaining: u64, reset: u64) -> RateLimit {
        RateLimit {
            limit: Some(100),
            remaining: Some(remaining),
            reset: Some(secs(reset)),
        }
    }

    #[test]
    fn numbers_are_read_tolerantly() {
        assert_eq!(parse_header_number(b" 42 "), Some(42));
        assert_eq!(parse_header_number(b"10.5"), Some(10));
        assert_eq!(parse_header_number(b"-3"), Some(0));
        assert_eq!(parse_header_number(b"+7"), Some(7));
        assert_eq!(
            parse_header_number(b"99999999999999999999999999"),
            Some(u64::MAX)
        );
        for garbage in [
            &b""[..],
            b"-",
            b"abc",
            b"1e3",
            b"\xff\xfe",
            b"Wed, 21 Oct 2015",
            b".",
        ] {
            assert_eq!(parse_header_number(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn reset_falls_back_to_retry_after_and_is_capped() {
        let rl = parse_rate_limit(&headers(&[("retry-after", b"0")]));
        assert_eq!(rl.reset, Some(secs(1)));
        let rl = parse_rate_limit(&headers(&[("x-ratelimit-reset", b"86400")]));
        assert_eq!(rl.reset, Some(MAX_WAIT));
    }

    /// The answer that made `Duration / 0` panic: `4294967296 as u32` is 0.
    #[test]
    fn a_remaining_budget_past_u32_does_not_divide_by_zero() {
        let rl = parse_rate_limit(&headers(&[
            ("x-ratelimit-limit", b"100000000000000"),
            ("x-ratelimit-remaining", b"4294967296"),
            ("x-ratelimit-reset", b"10"),
        ]));
        assert_eq!(rl.remaining, Some(4_294_967_296));
        let mut pace = Pace::default();
        assert_eq!(pace.note(secs(5), false, &rl), Some(secs(10)));
        assert_eq!(pace.delay_before_next(secs(5)), None);
        let wait = pace.delay_before_next(secs(5)).unwrap_or_default();
        assert!(wait < Duration::from_micros(1), "{wait:?}");
    }

    #[test]
    fn a_low_budget_spreads_the_requests_left_over_the_window() {
        let rl = hundred(10, 10);
        let mut pace = Pace::default();
        pace.note(secs(0), false, &rl);
        assert_eq!(pace.delay_before_next(secs(0)), None);
        assert_eq!(pace.delay_before_next(secs(0)), Some(secs(1)));
        assert_eq!(pace.delay_before_next(secs(0)), Some(secs(2)));
        // A comfortable budget again: no more pacing once the booked slots have passed.
        let rl = hundred(90, 10);
        pace.note(secs(3), false, &rl);
        assert_eq!(pace.delay_before_next(secs(3)), None);
    }

    #[test]
    fn a_spent_budget_or_a_429_holds_requests_until_the_reset() {
        let rl = hundred(0, 7);
        let mut pace = Pace::default();
        assert_eq!(pace.note(secs(1), false, &rl), Some(secs(7)));
        assert_eq!(pace.delay_before_next(secs(2)), Some(secs(6)));
        let mut pace = Pace::default();
        let rl = hundred(50, 7);
        pace.note(secs(0), true, &rl);
        assert_eq!(pace.delay_before_next(secs(0)), Some(secs(7)));
        // Headers without a reset change nothing.
        let mut pace = Pace::default();
        assert_eq!(pace.note(secs(0), true, &RateLimit::default()), None);
        assert_eq!(pace, Pace::default());
    }

    #[test]
    fn backoff_doubles_is_capped_and_its_jitter_is_an_input() {
        let base = Duration::from_millis(200);
        assert_eq!(backoff(base, 0, 500), Duration::from_millis(200));
        assert_eq!(backoff(base, 0, 0), Duration::from_millis(100));
        assert_eq!(backoff(base, 3, 500), Duration::from_millis(1600));
        assert_eq!(backoff(base, 40, 500), MAX_BACKOFF);
        assert_eq!(backoff(base, 2, 1234), backoff(base, 2, 1234));
        assert_eq!(
            retry_delay(0, Some(429), Some(secs(9)), base, 0),
            secs(9),
            "a 429 waits as told"
        );
        assert_eq!(
            retry_delay(0, Some(503), Some(secs(9)), base, 500),
            base,
            "other statuses back off"
        );
        assert_eq!(retry_delay(99, None, None, Duration::MAX, 500), MAX_BACKOFF);
    }

    fn header_value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string().into_bytes()),
            // Edges of the integer types: multiples of 2^32, the largest values, 0.
            (any::<u32>(), 0u64..3, any::<bool>()).prop_map(|(k, shift, max)| {
                let n = if max {
                    u64::MAX >> (shift * 16)
                } else {
                    u64::from(k) << 32
                };
                n.to_string().into_bytes()
            }),
            any::<i64>().prop_map(|n| n.to_string().into_bytes()),
            "[0-9]{0,40}".prop_map(String::into_bytes),
            "\\PC{0,12}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..16),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn no_answer_panics_or_makes_a_request_wait_past_the_cap(
            answers in prop::collection::vec(
                (any::<u64>(), any::<bool>(), header_value(), header_value(), header_value(), header_value()),
                1..8,
            ),
            start in any::<u64>(),
        ) {
            let mut pace = Pace::default();
            let mut now = Duration::from_nanos(start);
            for (step, limited, limit, remaining, reset, retry_after) in answers {
                let rl = parse_rate_limit(&headers(&[
                    ("x-ratelimit-limit", &limit),
                    ("x-ratelimit-remaining", &remaining),
                    ("x-ratelimit-reset", &reset),
                    ("retry-after", &retry_after),
                ]));
                if let Some(reset) = pace.note(now, limited, &rl) {
                    prop_assert!(reset >= secs(1) && reset <= MAX_WAIT, "{reset:?}");
                }
                for _ in 0..3 {
                    let wait = pace.delay_before_next(now).unwrap_or_default();
                    prop_assert!(wait <= MAX_WAIT, "{wait:?}");
                }
                now = now.saturating_add(Duration::from_nanos(step));
            }
        }

        #[test]
        fn retry_delays_are_bounded(
            attempt in any::<u32>(),
            status in proptest::option::of(any::<u16>()),
            server_wait in proptest::option::of((any::<u64>(), 0u32..1_000_000_000)),
            base in (any::<u64>(), 0u32..1_000_000_000),
            jitter in any::<u64>(),
        ) {
            let server_wait = server_wait.map(|(s, n)| Duration::new(s, n));
            let base = Duration::new(base.0, base.1);
            let delay = retry_delay(attempt, status, server_wait, base, jitter);
            prop_assert!(delay <= MAX_WAIT, "{delay:?}");
            prop_assert!(backoff(base, attempt, jitter) <= MAX_BACKOFF);
        }

        /// A wrong URL fails in a moment: whatever `--max-retries` and the backoff say, a
        /// failure of the quick class waits at most one second in all before it is an error.
        #[test]
        fn a_quick_failure_waits_at_most_a_second_in_all(
            max_retries in any::<u32>(),
            base in (any::<u64>(), 0u32..1_000_000_000),
            jitter in any::<u64>(),
        ) {
            let settings = RetrySettings { max_retries, base: Duration::new(base.0, base.1) };
            let delays: Vec<Duration> = (0..)
                .map_while(|attempt| next_retry(RetryClass::Quick, attempt, settings, None, jitter))
                .collect();
            prop_assert!(delays.len() as u32 <= QUICK_RETRIES.min(max_retries));
            let total: Duration = delays.iter().sum();
            prop_assert!(total <= Duration::from_secs(1), "{total:?}");
        }

        /// The other failures keep their `--max-retries` retries with backoff.
        #[test]
        fn a_backoff_failure_keeps_every_retry(
            max_retries in 0u32..64,
            jitter in any::<u64>(),
            status in proptest::option::of(any::<u16>()),
        ) {
            let settings = RetrySettings { max_retries, base: Duration::from_millis(200) };
            let delays: Vec<Duration> = (0..)
                .map_while(|attempt| next_retry(RetryClass::Backoff, attempt, settings, status, jitter))
                .collect();
            prop_assert_eq!(delays.len() as u32, max_retries);
            for (attempt, delay) in delays.iter().enumerate() {
                let expected = retry_delay(attempt as u32, status, None, settings.base, jitter);
                prop_assert_eq!(*delay, expected);
            }
        }

        #[test]
        fn header_numbers_never_panic(raw in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_header_number(&raw);
        }
    }
}
