//! Listing monitors: `GET /api/v1/monitor` in pages of 1,000 (Datadog's maximum), read
//! concurrently when the org's size is known, each page decoded on a blocking thread as soon
//! as it arrives and, for a plan, filtered down to the monitors the planner needs (see
//! [`MonitorInterest`]), so that an org of 100,000 monitors is never held in memory whole.
//!
//! The API gives no count. A count known from before (the registry keeps the last one)
//! sizes the first, concurrent round: the pages that many monitors fill plus the one after,
//! which must come back short (or empty) to prove the listing complete. An org that grew
//! past them is read on, one page at a time.

use super::Client;
use crate::{wire, ApiError};
use ddhooks_core::plan::MonitorInterest;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use std::future::Future;
use std::sync::Arc;

/// Monitors per page: Datadog's maximum.
pub(crate) const PAGE: usize = 1000;
/// Pages read one at a time before an org of unknown size is read in growing windows.
const SEQUENTIAL_PAGES: usize = 4;
/// 10 million monitors: far beyond any org; a server that ignores `page` stops here.
const MAX_PAGES: usize = 10_000;

/// The monitors of a listing that were kept, and how many were listed in all.
#[derive(Debug, Default)]
pub struct MonitorListing {
    /// How many monitors the org has (listed, kept or not).
    pub listed: usize,
    /// The monitors kept, in page order.
    pub monitors: Vec<wire::MonitorSummary>,
}

/// One page as decoded: its size and first id (to tell pages apart), and what was kept.
struct Page {
    listed: usize,
    first_id: Option<i64>,
    kept: Vec<wire::MonitorSummary>,
}

impl Client {
    /// One page (0-based), decoded and filtered by `keep` (`None`: keep all).
    async fn monitor_page(
        &self,
        page: usize,
        keep: Option<Arc<MonitorInterest>>,
    ) -> Result<Page, ApiError> {
        let mut url = self.url(&["monitor"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("page_size", &PAGE.to_string());
        let object = format!("monitor list page {page}");
        let answer = self.call(Method::GET, url, None, &object, true).await?;
        let bytes = self.found(&Method::GET, &object, answer)?;
        // Megabytes of JSON: decoded on a blocking thread, so that the requests in flight
        // are not held up, and filtered there, so that only what is kept outlives the page.
        let decode = move || -> Result<Page, ApiError> {
            let all: Vec<wire::MonitorSummary> = Self::decode(&object, &bytes)?;
            drop(bytes);
            let listed = all.len();
            let first_id = all.first().and_then(|m| m.id);
            let kept = match keep {
                None => all,
                Some(interest) => all
                    .into_iter()
                    .filter(|m| {
                        m.id.is_some_and(|id| {
                            interest.wants(
                                id,
                                m.name.as_deref().unwrap_or(""),
                                &m.tags,
                                m.message.as_deref().unwrap_or(""),
                            )
                        })
                    })
                    .collect(),
            };
            Ok(Page {
                listed,
                first_id,
                kept,
            })
        };
        tokio::task::spawn_blocking(decode)
            .await
            .map_err(|e| ApiError::Decode {
                object: format!("monitor list page {page}"),
                detail: e.to_string(),
            })?
    }

    /// Every monitor, page by page. A full last page costs one more (empty) page to know
    /// it was the last.
    pub(crate) async fn list_monitors(&self) -> Result<Vec<wire::MonitorSummary>, ApiError> {
        Ok(self.list_monitors_expecting(0, None).await?.monitors)
    }

    /// The monitors `keep` wants (`None`: all), when about `expected` of them are known to
    /// exist (from an earlier listing): the pages that many monitors fill, plus the one
    /// after, are asked for at once.
    pub(crate) async fn list_monitors_expecting(
        &self,
        expected: usize,
        keep: Option<Arc<MonitorInterest>>,
    ) -> Result<MonitorListing, ApiError> {
        let round = (expected / PAGE + 1).min(MAX_PAGES);
        let pages = futures::future::try_join_all(
            (0..round).map(|page| self.monitor_page(page, keep.clone())),
        )
        .await?;
        self.read_on(pages, keep).await
    }

    /// The monitors `keep` wants (`None`: all), while `alongside` other requests share the
    /// concurrency. Page 0 is asked for at once; the count `expected` resolves to (the
    /// registry's, read at the same time) sizes the rest, read [`page_share`] at a time.
    pub async fn list_monitors_kept(
        &self,
        expected: impl Future<Output = usize>,
        keep: Option<Arc<MonitorInterest>>,
        alongside: usize,
    ) -> Result<MonitorListing, ApiError> {
        let (first, expected) = futures::join!(self.monitor_page(0, keep.clone()), expected);
        let mut pages = vec![first?];
        let round = (expected / PAGE + 1).min(MAX_PAGES);
        if pages[0].listed >= PAGE && round > 1 {
            let share = page_share(self.options.concurrency, round, alongside);
            let rest: Vec<Page> = futures::stream::iter(1..round)
                .map(|page| self.monitor_page(page, keep.clone()))
                .buffered(share)
                .try_collect()
                .await?;
            pages.extend(rest);
        }
        self.read_on(pages, keep).await
    }

    /// Checks the pages read so far, then reads on, in doubling windows, while the last is
    /// full: the org grew past the expected count (or none was known). Pages after a short
    /// one were not needed and are dropped.
    async fn read_on(
        &self,
        mut pages: Vec<Page>,
        keep: Option<Arc<MonitorInterest>>,
    ) -> Result<MonitorListing, ApiError> {
        check_paging(&pages, 1)?;
        if let Some(short) = pages.iter().position(|p| p.listed < PAGE) {
            pages.truncate(short + 1);
        }
        while pages.last().is_some_and(|p| p.listed >= PAGE) {
            if pages.len() >= MAX_PAGES {
                return Err(ApiError::Decode {
                    object: "monitor list".into(),
                    detail: format!("more than {MAX_PAGES} pages of {PAGE} monitors"),
                });
            }
            // The first pages one at a time (an org of up to 4,000 monitors costs exactly its
            // pages), then windows that double (4, 8, 16, … up to `--concurrency` pages at
            // once): an org of unknown size is read in about 4 + log2(c) + pages/c round
            // trips rather than one per page, at the cost of at most one window's pages past
            // the end (empty). 100,000 monitors: 13 round trips instead of 101, ≤ 15 more pages.
            let window = if pages.len() < SEQUENTIAL_PAGES {
                1
            } else {
                pages.len().min(self.options.concurrency.max(1))
            }
            .min(MAX_PAGES - pages.len());
            let from = pages.len();
            let next = futures::future::try_join_all(
                (from..from + window).map(|page| self.monitor_page(page, keep.clone())),
            )
            .await?;
            pages.extend(next);
            check_paging(&pages, from)?;
            if let Some(short) = pages[from..].iter().position(|p| p.listed < PAGE) {
                pages.truncate(from + short + 1);
            }
        }
        let listed = pages.iter().map(|p| p.listed).sum();
        let monitors = pages.into_iter().flat_map(|p| p.kept).collect();
        Ok(MonitorListing { listed, monitors })
    }
}

/// How many of `concurrency` requests in flight a listing of `pages` pages takes while
/// `alongside` other requests are made: its share, so that both end together. A page is
/// megabytes of JSON to build and decode, a named read is a few hundred bytes: all pages at
/// once would hold the CPU (the server's and ours) while the cheap reads wait, and then
/// leave it idle. 100,000 monitors beside 1,000 webhook reads, 16 at a time: 2 pages at a
/// time; 10,000: 1; nothing alongside: all 16.
fn page_share(concurrency: usize, pages: usize, alongside: usize) -> usize {
    let concurrency = concurrency.max(1);
    if alongside == 0 {
        return concurrency;
    }
    (concurrency * pages)
        .div_ceil(pages + alongside)
        .clamp(1, concurrency)
}

/// A server that ignores `page` answers every page with the first one: caught on the first
/// repeat (pages `from..` are checked against the page before each), an error, not a loop.
fn check_paging(pages: &[Page], from: usize) -> Result<(), ApiError> {
    for page in from.max(1)..pages.len() {
        let id = pages[page].first_id;
        if id.is_some() && id == pages[page - 1].first_id {
            return Err(ApiError::Decode {
                object: "monitor list".into(),
                detail: format!(
                    "page {page} repeats page {}: the server ignores paging",
                    page - 1
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::page_share;

    #[test]
    fn a_listing_takes_its_share_of_the_concurrency() {
        assert_eq!(page_share(16, 101, 1_003), 2);
        assert_eq!(page_share(16, 11, 1_003), 1);
        assert_eq!(page_share(16, 101, 0), 16);
        assert_eq!(page_share(16, 1_000, 10), 16);
        assert_eq!(page_share(0, 5, 5), 1);
    }
}
