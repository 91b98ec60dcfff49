//! Seeded randomness: every random choice a test makes comes from one seed, which the
//! test prints when it starts and names in every assertion message, so a failure can be
//! replayed with `DDHOOKS_TEST_SEED=<seed>`.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// The environment variable that chooses the seed.
pub const SEED_VARIABLE: &str = "DDHOOKS_TEST_SEED";
/// The seed when the variable is not set.
pub const DEFAULT_SEED: u64 = 0x00dd_500c_5eed;

/// A seed and the generator it started.
pub struct Seeded {
    /// The seed.
    pub seed: u64,
    /// Draw every random choice from this.
    pub rng: StdRng,
}

impl Seeded {
    /// `seed N (DDHOOKS_TEST_SEED=N replays it)`, for assertion messages.
    pub fn replay(&self) -> String {
        format!(
            "seed {} ({SEED_VARIABLE}={} replays it)",
            self.seed, self.seed
        )
    }
}

/// The seed from `DDHOOKS_TEST_SEED`, or [`DEFAULT_SEED`]; printed for `test`.
pub fn seeded(test: &str) -> Seeded {
    let seed = match std::env::var(SEED_VARIABLE) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VARIABLE}={text:?} is not a whole number")),
        Err(_) => DEFAULT_SEED,
    };
    let seeded = Seeded {
        seed,
        rng: StdRng::seed_from_u64(seed),
    };
    eprintln!("{test}: {}", seeded.replay());
    seeded
}
