//! insta settings for snapshots of the binary's output: the parts that change from run to
//! run (sandbox ports, temporary paths, fingerprints of salted or timed values) are
//! masked. Snapshots are never written by the tests themselves in CI (insta's default
//! there); review new or changed ones with `cargo insta review`.

/// Settings that mask volatile text; `bind` an `insta::assert_snapshot!` to them at the
/// call site (so that the snapshot's name and directory are the calling module's).
pub fn masked() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "[ADDR]"),
        (r"/tmp/[^\s`]+", "[TMP]"),
        (r"\b[0-9a-f]{16,64}\b", "[FP]"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings
}
