//! How many requests are waiting for the concurrency or in flight, and how many of them are
//! monitor pages. A listing beside other reads (a plan's thousand webhook reads, import's)
//! takes a small share of the requests in flight while those wait, so that neither holds
//! the other up; once nothing else waits, it widens (see `Client::page_window`), instead of
//! reading its last pages two at a time on an idle connection pool.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The counts, shared by every request of one client.
#[derive(Debug, Default)]
pub(crate) struct Demand {
    /// Calls begun and not yet returned (waiting for a permit, the pace, a retry, or in
    /// flight).
    calls: AtomicUsize,
    /// Of those, the monitor pages.
    pages: AtomicUsize,
}

/// One request counted while it lasts: dropping it (however the request ends) uncounts it.
#[must_use = "the request is counted only while this lives"]
pub(crate) struct Counted<'a>(&'a AtomicUsize);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Demand {
    /// Counts a call until the guard is dropped.
    pub(crate) fn call(&self) -> Counted<'_> {
        count(&self.calls)
    }

    /// Counts a monitor page until the guard is dropped (its call is counted as well).
    pub(crate) fn page(&self) -> Counted<'_> {
        count(&self.pages)
    }

    /// The calls under way that are not monitor pages. The two counts are read one after
    /// the other, so the answer can be off by a request that starts or ends meanwhile: it
    /// sizes a window, it does not bound anything.
    pub(crate) fn besides_pages(&self) -> usize {
        let pages = self.pages.load(Ordering::Relaxed);
        self.calls.load(Ordering::Relaxed).saturating_sub(pages)
    }
}

fn count(counter: &AtomicUsize) -> Counted<'_> {
    counter.fetch_add(1, Ordering::Relaxed);
    Counted(counter)
}

#[cfg(test)]
mod tests {
    use super::Demand;

    #[test]
    fn pages_are_told_apart_from_other_calls_and_uncounted_when_they_end() {
        let demand = Demand::default();
        let webhook = demand.call();
        let page = demand.page();
        let page_call = demand.call();
        assert_eq!(demand.besides_pages(), 1);
        drop(webhook);
        assert_eq!(demand.besides_pages(), 0);
        drop(page_call);
        drop(page);
        let other = demand.call();
        assert_eq!(demand.besides_pages(), 1);
        drop(other);
        assert_eq!(demand.besides_pages(), 0);
    }
}
