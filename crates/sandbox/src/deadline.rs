//! Answering at a deadline to within tens of microseconds, so that the latency the sandbox
//! adds is the latency a client sees. Tokio's timer ticks every millisecond and wakes on the
//! tick after the deadline (every answer up to a millisecond late); sleeping the last
//! stretch on a blocking thread is precise but hands the answer back across threads, which
//! on a virtual machine whose idle cores sleep costs most of a millisecond as well (a
//! plain Python client on the 2-core bench machine: 21.3 ms a request at L = 20 ms, where
//! L = 0 takes 0.2-0.3 ms; with the timer below, 21.0 ms).
//!
//! On Linux, a `timerfd` armed for the deadline is registered with tokio's own reactor: the
//! worker that waits in `epoll` is woken by the timer itself, with no second thread.
//! Elsewhere, or if the timer cannot be made, the blocking-thread way is kept.
//!
//! Even a timer the kernel fires on time wakes its thread late on a virtual machine: on the
//! bench machine 100–200 µs after the deadline (an idle virtual core must be woken first).
//! So the timer is armed that much early, by how late the last timers woke (a running
//! average, [`EarlyWake`]), and the few microseconds left are spun, yielding to the worker's
//! other tasks: an answer leaves at its deadline, not a wake-up later, for at most
//! [`MAX_EARLY`] of spinning per answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest the timer is armed ahead of a deadline (so the longest spin after it).
const MAX_EARLY: Duration = Duration::from_micros(300);

/// What is spun on top of the expected lateness, for the wake-ups that come a little
/// later than the average.
const SPIN_MARGIN: Duration = Duration::from_micros(25);

/// How late timers have been waking their thread: a running average (each wake-up counts
/// an eighth), shared by every wait of the process.
struct EarlyWake(AtomicU64);

static LATENESS: EarlyWake = EarlyWake(AtomicU64::new(0));

impl EarlyWake {
    /// How long before a deadline to arm its timer.
    fn lead(&self) -> Duration {
        (Duration::from_nanos(self.0.load(Ordering::Relaxed)) + SPIN_MARGIN).min(MAX_EARLY)
    }

    /// Counts one wake-up that came `late` after the time it was armed for.
    fn note(&self, late: Duration) {
        let late = u64::try_from(late.min(MAX_EARLY).as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |average| {
                Some(average - average / 8 + late / 8)
            });
    }
}

/// Waits until `deadline` (returns at once if it has passed): a timer armed
/// [`EarlyWake::lead`] ahead, then a spin for what is left.
pub(crate) async fn wait_until(deadline: Instant) {
    let now = Instant::now();
    if deadline <= now {
        return;
    }
    let armed_for = deadline.checked_sub(LATENESS.lead()).filter(|at| *at > now);
    if let Some(at) = armed_for {
        sleep_until(at).await;
        LATENESS.note(Instant::now().saturating_duration_since(at));
    }
    // Yielding, not spinning in place: the other answers this worker holds go out
    // meanwhile.
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}

/// Sleeps until `deadline`: the timer below on Linux, else the fallback.
async fn sleep_until(deadline: Instant) {
    #[cfg(target_os = "linux")]
    if timerfd::wait_until(deadline).await.is_ok() {
        return;
    }
    coarse_then_blocking(deadline).await;
}

/// Tokio's timer to within a few milliseconds of `deadline`, then a blocking thread's sleep.
async fn coarse_then_blocking(deadline: Instant) {
    const TICK: Duration = Duration::from_millis(5);
    if let Some(coarse) = deadline.checked_sub(TICK) {
        if coarse > Instant::now() {
            tokio::time::sleep_until(coarse.into()).await;
        }
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

#[cfg(target_os = "linux")]
mod timerfd {
    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    use std::time::Instant;
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    /// A one-shot monotonic `timerfd` for the time left until `deadline`, awaited through
    /// tokio's reactor. An error (no timer, no registration) leaves the caller its fallback.
    pub(super) async fn wait_until(deadline: Instant) -> std::io::Result<()> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        let rest = deadline.saturating_duration_since(Instant::now());
        if rest.is_zero() {
            return Ok(());
        }
        // A zero value would disarm the timer: `rest` is at least a nanosecond here.
        let value = Timespec {
            tv_sec: i64::try_from(rest.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(rest.subsec_nanos()),
        };
        timerfd_settime(
            &fd,
            TimerfdTimerFlags::empty(),
            &Itimerspec {
                it_interval: Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: value,
            },
        )?;
        // SAFETY: `fd` is an `OwnedFd` the `AsyncFd` takes ownership of: it stays open, and
        // its `as_raw_fd` names the same timer, until the `AsyncFd` is dropped.
        let registered = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        // Readable once the timer has expired; nothing needs to be read from a one-shot
        // timer that is never armed again.
        let _ready = registered.readable().await?;
        // Closing the timer (two system calls) can wait until the answer is written: this
        // task writes it as soon as it returns, and the spawned drop runs after.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { drop(registered) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn never_answers_before_the_deadline() {
        for micros in [0u64, 1, 250, 1_500, 6_000] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            wait_until(deadline).await;
            assert!(
                Instant::now() >= deadline,
                "woke before a {micros} µs deadline"
            );
        }
    }

    #[test]
    fn the_timer_is_armed_as_early_as_timers_wake_late_and_never_more_than_the_cap() {
        let wake = EarlyWake(AtomicU64::new(0));
        assert_eq!(wake.lead(), SPIN_MARGIN);
        for _ in 0..64 {
            wake.note(Duration::from_micros(150));
        }
        let lead = wake.lead();
        assert!(
            lead >= Duration::from_micros(170) && lead <= Duration::from_micros(175),
            "{lead:?}"
        );
        // A worker busy for milliseconds is not a timer waking late: counted at the cap.
        for _ in 0..64 {
            wake.note(Duration::from_millis(10));
        }
        assert_eq!(wake.lead(), MAX_EARLY);
    }

    #[tokio::test]
    async fn a_passed_deadline_returns_at_once_and_the_fallback_waits_too() {
        let past = Instant::now();
        wait_until(past).await;
        let deadline = Instant::now() + Duration::from_millis(2);
        coarse_then_blocking(deadline).await;
        assert!(Instant::now() >= deadline);
    }
}
