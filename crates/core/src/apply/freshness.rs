//! How apply keeps a monitor write fresh once the plan's read of the monitor is older than
//! [`MONITOR_READ_MAX_AGE`](super::engine::MONITOR_READ_MAX_AGE): by listing the org's
//! monitors again, or by reading each monitor about to be written, by id, a step before its
//! write. A listing is a few requests but every monitor's bytes; the reads by id are one
//! request per written monitor but only their bytes. Which is cheaper depends on the org's
//! size, so it is chosen per apply ([`Freshness::cheaper`]), from what the plan's own
//! listing cost.

/// What one more request is worth in bytes of answer, to weigh requests against bytes: a
/// round trip to Datadog (tens of milliseconds) against decoding and moving the bytes of a
/// listing (a megabyte takes a few milliseconds of CPU on each side, and the bandwidth).
pub const REQUEST_COST_BYTES: u64 = 64 * 1024;

/// What the plan's listing of the monitors cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListingSize {
    /// Monitors listed.
    pub monitors: usize,
    /// Pages asked for.
    pub pages: usize,
    /// Bytes of all the pages' answers.
    pub bytes: u64,
}

/// How the monitor writes of one apply are kept fresh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Freshness {
    /// List the monitors again (a small org: a few pages).
    #[default]
    Relist,
    /// Read each monitor by id a step before its write (a large org: a few thousand small
    /// reads instead of hundreds of megabytes of pages, riding along with the chain).
    ReadEach,
}

impl Freshness {
    /// The cheaper way for `writes` monitor writes in an org whose listing was `listing`,
    /// each request counted as [`REQUEST_COST_BYTES`] bytes more than its answer. An
    /// unknown listing (no monitors) lists again, as it always did.
    pub fn cheaper(listing: ListingSize, writes: usize) -> Freshness {
        if listing.monitors == 0 || writes == 0 {
            return Freshness::Relist;
        }
        let relist = (listing.pages as u64)
            .saturating_mul(REQUEST_COST_BYTES)
            .saturating_add(listing.bytes);
        let per_monitor = listing.bytes / listing.monitors as u64;
        let each = (writes as u64).saturating_mul(REQUEST_COST_BYTES + per_monitor);
        if each < relist {
            Freshness::ReadEach
        } else {
            Freshness::Relist
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(monitors: usize, bytes_each: u64) -> ListingSize {
        ListingSize {
            monitors,
            pages: monitors / 1000 + 1,
            bytes: monitors as u64 * bytes_each,
        }
    }

    #[test]
    fn a_large_org_reads_each_monitor_and_a_small_one_lists_again() {
        // The mix: 100,000 monitors of about 2.1 KB, 2,000 written.
        assert_eq!(
            Freshness::cheaper(org(100_000, 2_150), 2_000),
            Freshness::ReadEach
        );
        // 10,000 monitors: 11 pages (21 MB) are cheaper than 2,000 requests.
        assert_eq!(
            Freshness::cheaper(org(10_000, 2_150), 2_000),
            Freshness::Relist
        );
        // …but not than 20.
        assert_eq!(
            Freshness::cheaper(org(10_000, 2_150), 20),
            Freshness::ReadEach
        );
        // A page of small monitors is one request: listing wins.
        assert_eq!(Freshness::cheaper(org(500, 400), 20), Freshness::Relist);
        // Most of a large org written: listing wins again.
        assert_eq!(
            Freshness::cheaper(org(100_000, 2_150), 60_000),
            Freshness::Relist
        );
    }

    #[test]
    fn nothing_known_lists_again() {
        assert_eq!(
            Freshness::cheaper(ListingSize::default(), 10),
            Freshness::Relist
        );
        assert_eq!(
            Freshness::cheaper(org(100_000, 2_000), 0),
            Freshness::Relist
        );
        let huge = ListingSize {
            monitors: usize::MAX,
            pages: usize::MAX,
            bytes: u64::MAX,
        };
        assert_eq!(Freshness::cheaper(huge, usize::MAX), Freshness::Relist);
    }
}
