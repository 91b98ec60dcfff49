//! Progress on stderr while plan, apply and the other connecting verbs talk to Datadog:
//! how many objects were read and written, and the one in hand. Only on a terminal, never
//! with `-q`: a pipeline's log gets the results, not a spinner.

use crate::datadog::{Client, RequestObserver};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The spinner and its counts.
struct Progress {
    bar: ProgressBar,
    read: AtomicU64,
    written: AtomicU64,
}

impl RequestObserver for Progress {
    fn completed(&self, method: &str, object: &str) {
        let counter = if method == "GET" {
            &self.read
        } else {
            &self.written
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.bar.set_message(format!(
            "{} read, {} written · {method} {}",
            self.read.load(Ordering::Relaxed),
            self.written.load(Ordering::Relaxed),
            crate::mask::mask_text(object)
        ));
    }
}

/// The spinner on screen, if any, so that log lines can clear it while they print.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `write` (a log line going to stderr) with the spinner cleared, then redraws it.
pub fn suspend<R>(write: impl FnOnce() -> R) -> R {
    let shown = SHOWN.lock().ok().and_then(|bar| bar.clone());
    match shown {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Shows progress for `client`'s requests when [`super::Printer::progress_allowed`];
/// returns the bar to clear when the work is done (`None`: nothing is shown).
pub fn show(client: &Client, printer: super::Printer) -> Option<ProgressBar> {
    if !printer.progress_allowed() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} {elapsed} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_message("connecting…");
    bar.enable_steady_tick(Duration::from_millis(120));
    if let Ok(mut shown) = SHOWN.lock() {
        *shown = Some(bar.clone());
    }
    client.observe(Arc::new(Progress {
        bar: bar.clone(),
        read: AtomicU64::new(0),
        written: AtomicU64::new(0),
    }));
    Some(bar)
}
