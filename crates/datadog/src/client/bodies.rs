//! Response buffers of megabytes, reused. A listing of 100,000 monitors is a hundred pages
//! of about 2.8 MB each: a fresh buffer for each is memory the kernel must hand over page
//! by page again (a tenth of a steady plan's CPU went to those page faults), while a
//! buffer given back after its page is decoded is already mapped.

use std::sync::Mutex;

/// A buffer smaller than this is allocated fresh and never kept.
const LARGE: usize = 256 << 10;
/// At most this many buffers are kept: about as many as pages in flight at once.
const KEPT: usize = 16;
/// A buffer larger than this is not kept (no answer ddhooks asks for is near it).
const LARGEST_KEPT: usize = 16 << 20;

/// The buffers given back, ready for the next large answer.
#[derive(Debug, Default)]
pub(crate) struct BodyPool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl BodyPool {
    /// An empty buffer for an answer of `announced` bytes: one given back when the answer
    /// is large, else a new one.
    pub(crate) fn buffer(&self, announced: usize) -> Vec<u8> {
        if announced >= LARGE {
            let kept = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
            if let Some(mut buffer) = kept {
                buffer.clear();
                buffer.reserve(announced);
                return buffer;
            }
        }
        Vec::with_capacity(announced)
    }

    /// Frees every buffer kept: a listing is over, and the memory should not stay held
    /// through what comes after it.
    pub(crate) fn release(&self) {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Gives back a buffer whose answer is decoded, for the next large answer.
    pub(crate) fn give_back(&self, buffer: Vec<u8>) {
        if !(LARGE..=LARGEST_KEPT).contains(&buffer.capacity()) {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < KEPT {
            free.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large buffer given back serves the next large answer (same memory); a small one
    /// is never kept, and the pool keeps at most `KEPT`.
    #[test]
    fn large_buffers_are_reused_and_small_ones_are_not() {
        let pool = BodyPool::default();
        let mut first = pool.buffer(LARGE * 2);
        first.extend_from_slice(b"page");
        let address = first.as_ptr();
        pool.give_back(first);
        let again = pool.buffer(LARGE * 2);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), address, "the same buffer");
        pool.give_back(Vec::with_capacity(100));
        assert!(pool.free.lock().unwrap().is_empty());
        for _ in 0..KEPT + 3 {
            pool.give_back(Vec::with_capacity(LARGE));
        }
        assert_eq!(pool.free.lock().unwrap().len(), KEPT);
        // A small answer never takes a kept buffer.
        assert_eq!(pool.buffer(10).capacity(), 10);
        pool.release();
        assert!(pool.free.lock().unwrap().is_empty());
    }
}
