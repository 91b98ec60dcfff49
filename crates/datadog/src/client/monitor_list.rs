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
use ddhooks_core::model::RemoteMonitor;
use ddhooks_core::plan::{mentions_mark, MonitorInterest, MARKS};
use futures::{StreamExt, TryStreamExt};
use memchr::memmem;
use reqwest::Method;
use serde_json::value::RawValue;
use std::future::Future;
use std::sync::Arc;

/// Monitors per page: Datadog's maximum.
pub(crate) const PAGE: usize = 1000;
/// Pages read one at a time before an org of unknown size is read in growing windows.
const SEQUENTIAL_PAGES: usize = 4;
/// 10 million monitors: far beyond any org; a server that ignores `page` stops here.
const MAX_PAGES: usize = 10_000;
/// Pages a listing has in flight once no other request waits: enough to overlap the round
/// trips and keep two cores decoding, few enough that a plan of 100,000 monitors holds a
/// few pages of megabytes at a time, not sixteen.
const WIDE_PAGES: usize = 8;

/// The monitors of a listing that were kept, and how many were listed in all.
#[derive(Debug, Default)]
pub struct MonitorListing {
    /// How many monitors the org has (listed, kept or not).
    pub listed: usize,
    /// The monitors kept, in page order.
    pub monitors: Vec<wire::MonitorSummary>,
    /// How many pages were read (empty ones past the end included).
    pub pages: usize,
    /// The bytes of all the pages' answers.
    pub bytes: u64,
}

/// Decodes a listed monitor (monitors without an id are skipped by the caller).
pub(crate) fn remote_monitor(m: wire::MonitorSummary) -> Option<RemoteMonitor> {
    Some(RemoteMonitor {
        id: m.id?,
        name: m.name.unwrap_or_default(),
        tags: m.tags,
        message: m.message.unwrap_or_default(),
        priority: m
            .priority
            .and_then(|p| u8::try_from(p).ok())
            .filter(|p| (1..=5).contains(p)),
        draft: m.draft_status.as_deref() == Some("draft"),
    })
}

/// Where a streamed listing sends each page's monitors as soon as the page is decoded.
pub type PageSink = futures::channel::mpsc::UnboundedSender<Vec<RemoteMonitor>>;

/// What a listing keeps of each page, and where it goes.
#[derive(Clone, Default)]
pub(crate) struct Keep {
    /// The monitors (and messages) kept; `None`: every monitor whole.
    pub(crate) interest: Option<Arc<MonitorInterest>>,
    /// Where each page's kept monitors go as it arrives, instead of into the listing.
    pub(crate) sink: Option<PageSink>,
    /// Read an org of unknown size with at most this many pages in flight, one after
    /// another, instead of in growing windows: a listing read beside many other requests
    /// (import's webhook reads) takes a steady share and holds few pages of megabytes at
    /// once.
    pub(crate) in_flight: Option<usize>,
}

impl From<Option<Arc<MonitorInterest>>> for Keep {
    fn from(interest: Option<Arc<MonitorInterest>>) -> Keep {
        Keep {
            interest,
            ..Keep::default()
        }
    }
}

/// One page as decoded: its size and first id (to tell pages apart), and what was kept.
struct Page {
    listed: usize,
    bytes: u64,
    first_id: Option<i64>,
    kept: Vec<wire::MonitorSummary>,
}

impl Client {
    /// One page (0-based), decoded and filtered as `keep` says.
    async fn monitor_page(&self, page: usize, keep: Keep) -> Result<Page, ApiError> {
        let mut url = self.url(&["monitor"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("page_size", &PAGE.to_string());
        let object = format!("monitor list page {page}");
        let answer = {
            let _page = self.demand.page();
            self.call(Method::GET, url, None, &object, true).await?
        };
        let bytes = self.found(&Method::GET, &object, answer)?;
        let bodies = self.bodies.clone();
        // Megabytes of JSON: decoded on a blocking thread, so that the requests in flight
        // are not held up, and filtered there, borrowing from the page, so that a monitor
        // the planner does not need costs a scan of its bytes and nothing more: only what is
        // kept is copied out, and outlives the page.
        let decode = move || -> Result<Page, ApiError> {
            let page = Self::decode_kept(&object, &bytes, &keep);
            bodies.give_back(bytes);
            page
        };
        tokio::task::spawn_blocking(decode)
            .await
            .map_err(|e| ApiError::Decode {
                object: format!("monitor list page {page}"),
                detail: e.to_string(),
            })?
    }

    /// A page's monitors, decoded and filtered as `keep` says.
    fn decode_kept(object: &str, bytes: &[u8], keep: &Keep) -> Result<Page, ApiError> {
        let size = bytes.len() as u64;
        // Everything kept whole (routes, preview): decoded straight into owned monitors,
        // each message once.
        let everything = keep
            .interest
            .as_ref()
            .map_or(true, |i| i.keeps_everything());
        if everything && keep.sink.is_none() {
            let kept: Vec<wire::MonitorSummary> = Self::decode_page(object, bytes)?;
            return Ok(Page {
                listed: kept.len(),
                bytes: size,
                first_id: kept.first().and_then(|m| m.id),
                kept,
            });
        }
        let all: Vec<wire::MonitorListed<'_>> = Self::decode_page(object, bytes)?;
        let listed = all.len();
        let first_id = all.first().and_then(|m| m.id);
        let mut kept = Vec::new();
        for mut m in all {
            let wanted = match &keep.interest {
                None => true,
                Some(interest) => m.id.is_some_and(|id| {
                    interest.wants_by(id, m.name.as_deref().unwrap_or(""), &m.tags, || {
                        m.message.is_some_and(raw_mentions_mark)
                    })
                }),
            };
            if !wanted {
                continue;
            }
            let unmarked = |i: &Arc<MonitorInterest>| !i.keeps_unmarked_messages();
            if keep.interest.as_ref().is_some_and(unmarked)
                && !m.message.is_some_and(raw_mentions_mark)
            {
                m.message = None;
            }
            kept.push(m.into_summary().map_err(|e| ApiError::Decode {
                object: object.to_string(),
                detail: e.to_string(),
            })?);
        }
        if let Some(sink) = &keep.sink {
            let monitors = std::mem::take(&mut kept);
            // A receiver that stopped listening wants no more pages; the listing goes on
            // to its end all the same.
            let _ = sink.unbounded_send(monitors.into_iter().filter_map(remote_monitor).collect());
        }
        Ok(Page {
            listed,
            bytes: size,
            first_id,
            kept,
        })
    }

    /// Every monitor, page by page. A full last page costs one more (empty) page to know
    /// it was the last.
    pub(crate) async fn list_monitors(&self) -> Result<Vec<wire::MonitorSummary>, ApiError> {
        Ok(self
            .list_monitors_expecting(0, Keep::default())
            .await?
            .monitors)
    }

    /// The monitors `keep` wants (`None`: all), when about `expected` of them are known to
    /// exist (from an earlier listing): the pages that many monitors fill, plus the one
    /// after, are asked for at once.
    pub(crate) async fn list_monitors_expecting(
        &self,
        expected: usize,
        keep: Keep,
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
    /// registry's, read at the same time) sizes the rest, read [`page_share`] at a time
    /// while other requests are under way.
    pub async fn list_monitors_kept(
        &self,
        expected: impl Future<Output = usize>,
        keep: Option<Arc<MonitorInterest>>,
        alongside: usize,
    ) -> Result<MonitorListing, ApiError> {
        let keep = Keep::from(keep);
        let (first, expected) = futures::join!(self.monitor_page(0, keep.clone()), expected);
        let mut pages = vec![first?];
        let round = (expected / PAGE + 1).min(MAX_PAGES);
        if pages[0].listed >= PAGE && round > 1 {
            let share = page_share(self.options.concurrency, round, alongside);
            let rest: Vec<Page> = self
                .paced_pages(1..round, share, keep.clone())
                .try_collect()
                .await?;
            pages.extend(rest);
        }
        self.read_on(pages, keep).await
    }

    /// How many pages a listing given `share` of the requests in flight may ask for now:
    /// its share while other requests wait or are under way, [`WIDE_PAGES`] (within
    /// `--concurrency`) once none is.
    fn page_window(&self, share: usize) -> usize {
        let share = share.max(1);
        if self.demand.besides_pages() == 0 {
            share.max(WIDE_PAGES.min(self.options.concurrency.max(1)))
        } else {
            share
        }
    }

    /// The pages `pages`, in order, each decoded as `keep` says, with
    /// [`Client::page_window`] of them in flight, looked at again as each page arrives.
    fn paced_pages(
        &self,
        mut pages: std::ops::Range<usize>,
        share: usize,
        keep: Keep,
    ) -> impl futures::Stream<Item = Result<Page, ApiError>> + Unpin + '_ {
        let mut in_flight = futures::stream::FuturesOrdered::new();
        futures::stream::poll_fn(move |cx| {
            while in_flight.len() < self.page_window(share) {
                let Some(page) = pages.next() else { break };
                in_flight.push_back(self.monitor_page(page, keep.clone()));
            }
            in_flight.poll_next_unpin(cx)
        })
    }

    /// Checks the pages read so far, then reads on, in doubling windows, while the last is
    /// full: the org grew past the expected count (or none was known). Pages after a short
    /// one were not needed and are dropped.
    async fn read_on(&self, pages: Vec<Page>, keep: Keep) -> Result<MonitorListing, ApiError> {
        let listing = self.read_rest(pages, keep).await;
        // The listing is over: its page buffers go back to the allocator rather than sit
        // in the pool through what follows (an apply's writes, a plan's rendering).
        self.bodies.release();
        listing
    }

    /// [`Client::read_on`]'s reading.
    async fn read_rest(
        &self,
        mut pages: Vec<Page>,
        keep: Keep,
    ) -> Result<MonitorListing, ApiError> {
        check_paging(&pages, 1)?;
        if let Some(short) = pages.iter().position(|p| p.listed < PAGE) {
            pages.truncate(short + 1);
        }
        if let Some(in_flight) = keep.in_flight {
            // Page after page, `in_flight` asked for ahead, until a short one.
            let from = pages.len();
            // Not widened when alone: each page in flight may be one past the end.
            let mut next = futures::stream::iter(from..MAX_PAGES)
                .map(|page| self.monitor_page(page, keep.clone()))
                .buffered(in_flight.max(1));
            while pages.last().is_some_and(|p| p.listed >= PAGE) {
                let Some(page) = next.next().await else {
                    return Err(too_many_pages());
                };
                pages.push(page?);
                check_paging(&pages, pages.len() - 1)?;
            }
        }
        while pages.last().is_some_and(|p| p.listed >= PAGE) {
            if pages.len() >= MAX_PAGES {
                return Err(too_many_pages());
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
        let bytes = pages.iter().map(|p| p.bytes).sum();
        let read = pages.len();
        let monitors = pages.into_iter().flat_map(|p| p.kept).collect();
        Ok(MonitorListing {
            listed,
            monitors,
            pages: read,
            bytes,
        })
    }
}

/// A listing past [`MAX_PAGES`] pages: a server that never gives a short page.
fn too_many_pages() -> ApiError {
    ApiError::Decode {
        object: "monitor list".into(),
        detail: format!("more than {MAX_PAGES} pages of {PAGE} monitors"),
    }
}

/// How long a page keeps its place in a listing's window, in round trips of a named read:
/// its own round trip, then its decoding (100,000 monitors: a page's slot lasts 35–40 ms
/// where a webhook read's lasts 21 ms).
const PAGE_ROUND_TRIPS: usize = 2;

/// How many of `concurrency` requests in flight a listing of `pages` pages takes while
/// `alongside` other requests are made: its share, so that both end together. A page is
/// megabytes of JSON to build and decode, a named read is a few hundred bytes: all pages at
/// once would hold the CPU (the server's and ours) while the cheap reads wait, and then
/// leave it idle. Each page counts [`PAGE_ROUND_TRIPS`] times. 100,000 monitors beside
/// 1,000 webhook reads, 16 at a time: 3 pages at a time; 10,000: 1; nothing alongside: all
/// 16. Should the other reads end first all the same, the listing widens (see
/// [`Client::page_window`]).
fn page_share(concurrency: usize, pages: usize, alongside: usize) -> usize {
    let concurrency = concurrency.max(1);
    if alongside == 0 {
        return concurrency;
    }
    let pages = pages * PAGE_ROUND_TRIPS;
    (concurrency * pages)
        .div_ceil(pages + alongside)
        .clamp(1, concurrency)
}

/// Whether a message, as the raw JSON text of a string, holds one of the interest's marks
/// ([`MARKS`]). None of their characters is escaped in JSON except as `\uXXXX`, so the raw
/// text holds a mark exactly when the message does, unless it has a `\u` escape: then it is
/// decoded first. `null` holds none.
fn raw_mentions_mark(raw: &RawValue) -> bool {
    /// The marks and `\u`, each searched for with SIMD and its search table built once:
    /// 100,000 messages are hundreds of megabytes.
    static FINDERS: std::sync::LazyLock<(Vec<memmem::Finder<'static>>, memmem::Finder<'static>)> =
        std::sync::LazyLock::new(|| {
            let marks = MARKS
                .iter()
                .map(|m| memmem::Finder::new(m.as_bytes()))
                .collect();
            (marks, memmem::Finder::new(b"\\u"))
        });
    let (marks, unicode_escape) = &*FINDERS;
    let text = raw.get();
    if unicode_escape.find(text.as_bytes()).is_some() {
        return serde_json::from_str::<Option<String>>(text)
            .ok()
            .flatten()
            .is_some_and(|message| mentions_mark(&message));
    }
    marks
        .iter()
        .any(|mark| mark.find(text.as_bytes()).is_some())
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
    use super::{page_share, raw_mentions_mark, WIDE_PAGES};
    use crate::client::{Client, ClientOptions, Credentials};
    use ddhooks_core::plan::mentions_mark;
    use proptest::prelude::*;
    use serde_json::value::RawValue;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_string()).expect("valid JSON")
    }

    #[test]
    fn marks_are_found_in_raw_json_escaped_or_not() {
        assert!(raw_mentions_mark(&raw(r#""ping @webhook-a-alert-check""#)));
        assert!(raw_mentions_mark(&raw(
            r#""x\n{{!-- ddhooks:begin b --}}""#
        )));
        assert!(raw_mentions_mark(&raw(r#""\u0040webhook-a""#)));
        assert!(raw_mentions_mark(&raw(r#""\\@webhook-a""#)));
        assert!(!raw_mentions_mark(&raw(r#""@slack-ops \"quoted\"\n""#)));
        assert!(!raw_mentions_mark(&raw(r#""dd\nhooks: @web\thook-""#)));
        assert!(!raw_mentions_mark(&raw(r#""\u0041 plain""#)));
        assert!(!raw_mentions_mark(&raw("null")));
    }

    proptest! {
        /// The raw scan agrees with the decoded message, however the message is escaped:
        /// serde_json's own escaping, and every character written as `\uXXXX`.
        #[test]
        fn the_raw_scan_agrees_with_the_decoded_message(
            message in "(@webhook-|ddhooks:|@webhoo|ddhooks|[\\\\\"\n\t@:a-z]|\\u00e9){0,12}",
        ) {
            let plain = serde_json::to_string(&message).expect("a string");
            prop_assert_eq!(raw_mentions_mark(&raw(&plain)), mentions_mark(&message));
            let escaped: String = std::iter::once("\"".to_string())
                .chain(message.encode_utf16().map(|unit| format!("\\u{unit:04x}")))
                .chain(std::iter::once("\"".to_string()))
                .collect();
            prop_assert_eq!(raw_mentions_mark(&raw(&escaped)), mentions_mark(&message));
        }
    }

    #[test]
    fn a_listing_takes_its_share_of_the_concurrency() {
        assert_eq!(page_share(16, 101, 1_003), 3);
        assert_eq!(page_share(16, 11, 1_003), 1);
        assert_eq!(page_share(16, 101, 0), 16);
        assert_eq!(page_share(16, 1_000, 10), 16);
        assert_eq!(page_share(0, 5, 5), 1);
    }

    /// A listing keeps its share while another request is under way, widens once none is,
    /// and never past `--concurrency`.
    #[test]
    fn a_listing_widens_once_nothing_else_is_under_way() {
        let client = |concurrency| {
            let options = ClientOptions {
                concurrency,
                ..ClientOptions::default()
            };
            let base = "http://127.0.0.1:9/".parse().expect("a url");
            Client::new(base, Credentials::new("k", "a"), options).expect("a client")
        };
        let sixteen = client(16);
        let webhook_read = sixteen.demand.call();
        assert_eq!(sixteen.page_window(2), 2);
        let page = sixteen.demand.page();
        let page_call = sixteen.demand.call();
        assert_eq!(
            sixteen.page_window(2),
            2,
            "the webhook read is still under way"
        );
        drop(webhook_read);
        assert_eq!(
            sixteen.page_window(2),
            WIDE_PAGES,
            "only pages are under way"
        );
        drop((page_call, page));
        assert_eq!(sixteen.page_window(2), WIDE_PAGES);
        assert_eq!(
            sixteen.page_window(12),
            12,
            "a share wider than the widening"
        );
        assert_eq!(client(4).page_window(1), 4, "never past --concurrency");
        assert_eq!(client(4).page_window(0), 4);
    }
}
