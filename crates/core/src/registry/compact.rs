//! The payload of registry format 3 (`ddhooks-state/3`): the registry as a compact binary
//! record, deflated, in base64 — so that the scale benchmark's registry (1,000 webhooks of 500
//! pairs and their variables) fits one 4 KiB part (416 bytes) instead of six (22.7 KB of
//! JSON), and a save costs one one-at-a-time variable write instead of up to fourteen.
//!
//! The record, before deflate (integers are unsigned LEB128 varints):
//!
//! ```text
//! salt                 string   (varint length, UTF-8 bytes)
//! monitor count        varint   (0: none, n + 1: n)
//! webhooks             names    (front-coded, below)
//! custom variables     names, each followed by an optional string (0: none, 1: a string)
//! pending webhooks     names
//! pending variables    names, each followed by an optional string
//! notification rules   names, each followed by a string (the rule's id)
//! pending rules        names
//! status boards        names, each followed by a string (the dashboard's id)
//! pending boards       names
//! ```
//!
//! Format 4 (`ddhooks-state/4`, written only when the registry holds webhook auth methods)
//! appends:
//!
//! ```text
//! auth methods         names, each followed by a string (the auth method's id)
//! auth method secrets  names, each followed by a string (the secret's fingerprint)
//! pending auth methods names
//! ```
//!
//! `names` is a count, then each name in ascending byte order as the number of leading bytes
//! it shares with the name before it and the rest as a string (front coding): the pair
//! `team-0042-alert-check`, `team-0042-ok-check` costs `team-0042-` once. The decoder checks
//! everything the encoder guarantees (shared lengths, UTF-8, strictly ascending names, known
//! tags, no trailing bytes), and inflates at most [`MAX_PAYLOAD_BYTES`], so no input panics
//! it or makes it allocate without bound; every fault is a [`Damage`].

use super::ownership::{ById, ByName};
use super::Registry;
use base64::Engine as _;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use std::collections::{BTreeMap, BTreeSet};

/// Largest record the decoder inflates: far above any real registry (the record of 1,000
/// webhooks is about 12 KB), low enough that a crafted or damaged registry (a "decompression bomb")
/// cannot exhaust memory.
pub const MAX_PAYLOAD_BYTES: usize = 16 << 20;

/// Why a format-3 registry's text could not be decoded: each a message for the user, and
/// typed so that tests (and the reader's retry) can tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    /// The joined parts are not base64.
    #[error("not base64: {0}")]
    Base64(String),
    /// The decoded bytes are not a deflate stream.
    #[error("not deflate data: {0}")]
    Deflate(String),
    /// The deflate stream stops before its end.
    #[error("the compressed data is cut short")]
    TruncatedDeflate,
    /// Bytes follow the end of the deflate stream.
    #[error("{0} bytes follow the compressed data")]
    AfterDeflate(usize),
    /// The record inflates past [`MAX_PAYLOAD_BYTES`].
    #[error("it inflates to more than {} MiB", MAX_PAYLOAD_BYTES >> 20)]
    TooLarge,
    /// The record does not match the header's checksum.
    #[error("checksum mismatch: the parts belong to different versions")]
    Checksum,
    /// The record stops in the middle of a field.
    #[error("the record is cut short in {0}")]
    Truncated(&'static str),
    /// A varint is longer than 64 bits, or a number does not fit this machine.
    #[error("a number in {0} is out of range")]
    Number(&'static str),
    /// A string or name is not UTF-8.
    #[error("{what} #{index} is not UTF-8")]
    Utf8 {
        /// Which field.
        what: &'static str,
        /// Which entry (0-based).
        index: usize,
    },
    /// A name shares more bytes with the one before it than that one has.
    #[error("{what} #{index} shares {shared} bytes with a name of {len} bytes before it")]
    Prefix {
        /// Which field.
        what: &'static str,
        /// Which entry (0-based).
        index: usize,
        /// The shared length it claims.
        shared: u64,
        /// The length of the name before it.
        len: usize,
    },
    /// A name does not sort after the one before it (names are sorted and unique).
    #[error("{what} #{index} is not after the name before it")]
    Order {
        /// Which field.
        what: &'static str,
        /// Which entry (0-based).
        index: usize,
    },
    /// An optional value's tag is neither 0 nor 1.
    #[error("{what} #{index} has an unknown value tag {tag}")]
    Tag {
        /// Which field.
        what: &'static str,
        /// Which entry (0-based).
        index: usize,
        /// The tag.
        tag: u8,
    },
    /// Bytes follow the last field.
    #[error("{0} bytes follow the record")]
    Trailing(usize),
}

/// The registry as the record (not yet deflated): format 3's, or format 4's `with_auth`.
pub(super) fn record(registry: &Registry, with_auth: bool) -> Vec<u8> {
    let Registry {
        webhooks,
        variables,
        rules,
        boards,
        auth_methods,
        ..
    } = registry;
    let put_id = |o: &mut Vec<u8>, id: &String| put_str(o, id);
    let mut out = Vec::new();
    put_str(&mut out, &registry.salt);
    put_varint(&mut out, registry.monitor_count.map_or(0, |n| n as u64 + 1));
    put_set(&mut out, webhooks.owned.keys());
    put_names(&mut out, variables.owned.iter(), put_opt);
    put_set(&mut out, webhooks.pending.keys());
    put_names(&mut out, variables.pending.iter(), put_opt);
    put_names(&mut out, rules.owned.iter(), put_id);
    put_set(&mut out, rules.pending.iter());
    put_names(&mut out, boards.owned.iter(), put_id);
    put_set(&mut out, boards.pending.iter());
    if with_auth {
        put_names(&mut out, auth_methods.owned.iter(), put_id);
        put_names(&mut out, registry.auth_method_secrets.iter(), put_id);
        put_set(&mut out, auth_methods.pending.iter());
    }
    out
}

/// Reads a record back (format 4's `with_auth`); see the module documentation for what is
/// checked.
pub(super) fn parse(record: &[u8], with_auth: bool) -> Result<Registry, Damage> {
    let mut r = Reader { rest: record };
    let salt = r.string("the salt", 0)?;
    let monitor_count = match r.varint("the monitor count")? {
        0 => None,
        n => Some(usize::try_from(n - 1).map_err(|_| Damage::Number("the monitor count"))?),
    };
    let webhooks = r.map("webhooks", Reader::nothing)?;
    let variables = r.map("custom variables", Reader::opt)?;
    let mut registry = Registry {
        salt,
        monitor_count,
        webhooks: ByName {
            owned: webhooks,
            pending: r.map("pending webhooks", Reader::nothing)?,
        },
        variables: ByName {
            owned: variables,
            pending: r.map("pending variables", Reader::opt)?,
        },
        rules: ById {
            owned: r.map("notification rules", Reader::string)?,
            pending: r.set("pending rules")?,
        },
        boards: ById {
            owned: r.map("status boards", Reader::string)?,
            pending: r.set("pending boards")?,
        },
        auth_methods: ById::default(),
        auth_method_secrets: BTreeMap::new(),
    };
    if with_auth {
        registry.auth_methods.owned = r.map("auth methods", Reader::string)?;
        registry.auth_method_secrets = r.map("auth method secrets", Reader::string)?;
        registry.auth_methods.pending = r.set("pending auth methods")?;
    }
    match r.rest.len() {
        0 => Ok(registry),
        n => Err(Damage::Trailing(n)),
    }
}

/// `bytes` deflated (raw deflate, best compression), in standard base64 with padding.
pub(super) fn pack(bytes: &[u8]) -> Result<String, String> {
    let mut deflater = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(bytes.len() / 4 + 64);
    loop {
        out.reserve(bytes.len() / 4 + 64);
        let consumed = deflater.total_in() as usize;
        let status = deflater
            .compress_vec(&bytes[consumed..], &mut out, FlushCompress::Finish)
            .map_err(|e| e.to_string())?;
        if status == Status::StreamEnd {
            break;
        }
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// The bytes [`pack`] made `text` from; inflates at most [`MAX_PAYLOAD_BYTES`].
pub(super) fn unpack(text: &str) -> Result<Vec<u8>, Damage> {
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| Damage::Base64(e.to_string()))?;
    let mut inflater = Decompress::new(false);
    let mut out: Vec<u8> = Vec::new();
    loop {
        // Room for what may come, never more than one byte past the limit in all.
        let room = (MAX_PAYLOAD_BYTES + 1 - out.len()).min(deflated.len().max(1024) * 4);
        out.reserve_exact(room);
        let (read, written) = (inflater.total_in(), inflater.total_out());
        let consumed = read as usize;
        let status = inflater
            .decompress_vec(&deflated[consumed..], &mut out, FlushDecompress::None)
            .map_err(|e| Damage::Deflate(e.to_string()))?;
        if out.len() > MAX_PAYLOAD_BYTES {
            return Err(Damage::TooLarge);
        }
        if status == Status::StreamEnd {
            break;
        }
        if out.len() == out.capacity() {
            // Out of room: more next time (the limit above bounds the rounds).
            continue;
        }
        // Room left, yet no end: the input ran out before the stream's end, or the
        // inflater can make no progress with what is left.
        let progressed = inflater.total_in() != read || inflater.total_out() != written;
        if inflater.total_in() as usize == deflated.len() || !progressed {
            return Err(Damage::TruncatedDeflate);
        }
    }
    match deflated.len() - inflater.total_in() as usize {
        0 => Ok(out),
        n => Err(Damage::AfterDeflate(n)),
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, value: &Option<String>) {
    match value {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

/// Names without values.
fn put_set<'a>(out: &mut Vec<u8>, names: impl ExactSizeIterator<Item = &'a String>) {
    put_names(out, names.map(|n| (n, ())), |_, ()| {});
}

/// A count, then each name front-coded against the one before it, then its value.
fn put_names<'a, V: 'a>(
    out: &mut Vec<u8>,
    entries: impl ExactSizeIterator<Item = (&'a String, V)>,
    mut put_value: impl FnMut(&mut Vec<u8>, V),
) {
    put_varint(out, entries.len() as u64);
    let mut before: &[u8] = &[];
    for (name, value) in entries {
        let name = name.as_bytes();
        let shared = name.iter().zip(before).take_while(|(a, b)| a == b).count();
        put_varint(out, shared as u64);
        put_bytes(out, &name[shared..]);
        put_value(out, value);
        before = name;
    }
}

/// The record being read: what is left of it.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self, what: &'static str) -> Result<u64, Damage> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first().ok_or(Damage::Truncated(what))?;
            self.rest = rest;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(Damage::Number(what));
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(Damage::Number(what))
    }

    fn len(&mut self, what: &'static str) -> Result<usize, Damage> {
        let n = self.varint(what)?;
        // A length past the end is a cut-short record, whatever it says (and never an
        // allocation of that size).
        match usize::try_from(n) {
            Ok(n) if n <= self.rest.len() => Ok(n),
            _ => Err(Damage::Truncated(what)),
        }
    }

    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], Damage> {
        let n = self.len(what)?;
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn string(&mut self, what: &'static str, index: usize) -> Result<String, Damage> {
        let bytes = self.bytes(what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Damage::Utf8 { what, index })
    }

    /// No value: a name of a set, kept as a name without a fingerprint.
    fn nothing(&mut self, _: &'static str, _: usize) -> Result<Option<String>, Damage> {
        Ok(None)
    }

    fn opt(&mut self, what: &'static str, index: usize) -> Result<Option<String>, Damage> {
        let (&tag, rest) = self.rest.split_first().ok_or(Damage::Truncated(what))?;
        self.rest = rest;
        match tag {
            0 => Ok(None),
            1 => self.string(what, index).map(Some),
            tag => Err(Damage::Tag { what, index, tag }),
        }
    }

    /// Front-coded names, each followed by what `value` reads, in ascending order.
    fn names<V>(
        &mut self,
        what: &'static str,
        mut value: impl FnMut(&mut Self, &'static str, usize) -> Result<V, Damage>,
    ) -> Result<Vec<(String, V)>, Damage> {
        let count = self.varint(what)?;
        let mut out: Vec<(String, V)> = Vec::new();
        let mut index = 0usize;
        while (index as u64) < count {
            let shared = self.varint(what)?;
            let before = out.last().map_or(&[][..], |(n, _)| n.as_bytes());
            let len = before.len();
            let shared_len =
                usize::try_from(shared)
                    .ok()
                    .filter(|s| *s <= len)
                    .ok_or(Damage::Prefix {
                        what,
                        index,
                        shared,
                        len,
                    })?;
            let suffix = self.bytes(what)?;
            let mut name = Vec::with_capacity(shared_len + suffix.len());
            name.extend_from_slice(&before[..shared_len]);
            name.extend_from_slice(suffix);
            if index > 0 && name.as_slice() <= before {
                return Err(Damage::Order { what, index });
            }
            let name = String::from_utf8(name).map_err(|_| Damage::Utf8 { what, index })?;
            let v = value(self, what, index)?;
            out.push((name, v));
            index += 1;
        }
        Ok(out)
    }

    fn set(&mut self, what: &'static str) -> Result<BTreeSet<String>, Damage> {
        Ok(self
            .names(what, |_, _, _| Ok(()))?
            .into_iter()
            .map(|(n, ())| n)
            .collect())
    }

    fn map<V>(
        &mut self,
        what: &'static str,
        value: impl FnMut(&mut Self, &'static str, usize) -> Result<V, Damage>,
    ) -> Result<BTreeMap<String, V>, Damage> {
        Ok(self.names(what, value)?.into_iter().collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::ownership::Wire;
    use super::super::{OwnedKind, Ownership};
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    /// A record whose fields are given as raw bytes, for the damaged cases.
    fn raw(fields: &[&[u8]]) -> Vec<u8> {
        fields.concat()
    }

    /// The eight name lists of an empty registry, after salt and monitor count.
    const EMPTY_LISTS: [u8; 8] = [0; 8];

    #[test]
    fn a_record_reads_back_and_shares_prefixes() {
        let mut r = Registry::new("salt");
        for name in ["team-0042-alert-check", "team-0042-ok-check"] {
            r.record(OwnedKind::Webhook, name, Ownership::default());
        }
        let bytes = record(&r, false);
        // The second name costs its shared length and "ok-check" only.
        let at = bytes
            .windows(8)
            .position(|w| w == b"ok-check")
            .expect("the suffix");
        assert_eq!(
            &bytes[at - 2..at],
            &[10, 8],
            "shares `team-0042-`, 8 bytes follow"
        );
        assert_eq!(parse(&bytes, false), Ok(r));
    }

    #[test]
    fn a_damaged_record_is_a_typed_error() {
        let head: &[u8] = &[4, b's', b'a', b'l', b't', 0];
        let ok = raw(&[head, &EMPTY_LISTS]);
        assert!(parse(&ok, false).is_ok());
        // Cut short anywhere.
        for n in 0..ok.len() {
            assert!(
                matches!(parse(&ok[..n], false), Err(Damage::Truncated(_))),
                "cut at {n}: {:?}",
                parse(&ok[..n], false)
            );
        }
        assert_eq!(parse(&raw(&[&ok, b"x"]), false), Err(Damage::Trailing(1)));
        // A salt that is not UTF-8; a length past the end.
        assert_eq!(
            parse(&raw(&[&[1, 0xff, 0], &EMPTY_LISTS]), false),
            Err(Damage::Utf8 {
                what: "the salt",
                index: 0
            })
        );
        assert_eq!(
            parse(&raw(&[&[200, 1, b'x'], &EMPTY_LISTS]), false),
            Err(Damage::Truncated("the salt"))
        );
        // A varint of more than 64 bits, and a monitor count this machine cannot hold.
        assert_eq!(
            parse(&raw(&[&[0], &[0xff; 10], &[0x7f], &EMPTY_LISTS]), false),
            Err(Damage::Number("the monitor count"))
        );
        // Webhooks: two names, the second sharing more than the first has.
        let webhooks = |entries: &[u8]| raw(&[&[0, 0], entries, &EMPTY_LISTS[1..]]);
        assert_eq!(
            parse(&webhooks(&[2, 0, 1, b'a', 5, 1, b'b']), false),
            Err(Damage::Prefix {
                what: "webhooks",
                index: 1,
                shared: 5,
                len: 1
            })
        );
        // Not ascending, or twice the same.
        for second in [[0u8, 1, b'a'], [1, 0, 0]] {
            assert_eq!(
                parse(&webhooks(&raw(&[&[2, 0, 1, b'b'], &second])), false),
                Err(Damage::Order {
                    what: "webhooks",
                    index: 1
                }),
                "{second:?}"
            );
        }
        // A name that is not UTF-8 (a shared prefix that ends inside a character).
        assert_eq!(
            parse(&webhooks(&[2, 0, 2, 0xc3, 0xa9, 1, 1, 0xc3]), false),
            Err(Damage::Utf8 {
                what: "webhooks",
                index: 1
            })
        );
        // A huge count with nothing after it.
        assert_eq!(
            parse(&[0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f], false),
            Err(Damage::Truncated("webhooks"))
        );
        // Custom variables: a value tag other than none (0) or a string (1).
        let variables = raw(&[&[0, 0, 0], &[1, 0, 1, b'V', 7], &EMPTY_LISTS[2..]]);
        assert_eq!(
            parse(&variables, false),
            Err(Damage::Tag {
                what: "custom variables",
                index: 0,
                tag: 7
            })
        );
    }

    #[test]
    fn damaged_base64_or_deflate_is_a_typed_error() {
        let packed = pack(b"some record bytes, some record bytes").unwrap();
        assert_eq!(
            unpack(&packed).unwrap(),
            b"some record bytes, some record bytes"
        );
        assert!(matches!(unpack("not base64!"), Err(Damage::Base64(_))));
        assert!(matches!(
            unpack(&packed[..packed.len() - 1]),
            Err(Damage::Base64(_))
        ));
        let engine = base64::engine::general_purpose::STANDARD;
        // Block type 3 does not exist.
        assert!(matches!(
            unpack(&engine.encode([0xff; 8])),
            Err(Damage::Deflate(_))
        ));
        let deflated = engine.decode(&packed).unwrap();
        for n in 0..deflated.len() {
            let cut = unpack(&engine.encode(&deflated[..n]));
            assert!(
                matches!(cut, Err(Damage::TruncatedDeflate | Damage::Deflate(_))),
                "cut at {n}: {cut:?}"
            );
        }
        let longer = [deflated.as_slice(), b"xyz"].concat();
        assert_eq!(unpack(&engine.encode(longer)), Err(Damage::AfterDeflate(3)));
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        let bomb = pack(&vec![0u8; MAX_PAYLOAD_BYTES + 1]).unwrap();
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        assert_eq!(unpack(&bomb), Err(Damage::TooLarge));
        let at_limit = pack(&vec![0u8; MAX_PAYLOAD_BYTES]).unwrap();
        assert_eq!(unpack(&at_limit).map(|b| b.len()), Ok(MAX_PAYLOAD_BYTES));
    }

    /// Names with long shared prefixes (front coding at work) or anything at all.
    fn names() -> impl Strategy<Value = BTreeSet<String>> {
        prop::collection::btree_set(
            prop_oneof![
                "(team|t|é)-[0-9]{0,3}-(alert|ok|warning)-check",
                "[a-c]{0,4}",
                any::<String>(),
            ],
            0..40,
        )
    }

    fn values() -> impl Strategy<Value = BTreeMap<String, Option<String>>> {
        prop::collection::btree_map(
            prop_oneof!["[A-Z_]{1,12}", any::<String>()],
            prop::option::of(prop_oneof!["[0-9a-f]{32}", any::<String>()]),
            0..12,
        )
    }

    fn ids() -> impl Strategy<Value = BTreeMap<String, String>> {
        prop::collection::btree_map(any::<String>(), "[a-z0-9-]{0,40}", 0..8)
    }

    /// Any registry.
    pub(crate) fn registry() -> impl Strategy<Value = Registry> {
        (
            any::<String>(),
            any::<Option<usize>>(),
            (names(), values(), names(), values()),
            (ids(), names(), ids(), names()),
        )
            .prop_map(|(salt, monitor_count, (w, c, pw, pc), (r, pr, b, pb))| {
                Registry::from(Wire {
                    salt,
                    webhooks: w,
                    custom_variables: c,
                    pending_webhooks: pw,
                    pending_variables: pc,
                    notification_rules: r,
                    pending_rules: pr,
                    status_boards: b,
                    pending_boards: pb,
                    auth_methods: BTreeMap::new(),
                    auth_method_secrets: BTreeMap::new(),
                    pending_auth_methods: BTreeSet::new(),
                    monitor_count,
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            rng_seed: RngSeed::Fixed(0x0d0d_5eed_0003),
            ..ProptestConfig::default()
        })]

        #[test]
        fn every_registry_reads_back_from_its_record(r in registry()) {
            let bytes = record(&r, false);
            prop_assert_eq!(unpack(&pack(&bytes).unwrap()), Ok(bytes.clone()));
            prop_assert_eq!(parse(&bytes, false), Ok(r));
        }

        #[test]
        fn every_registry_with_auth_methods_reads_back_from_its_format_4_record(
            r in registry(),
            (a, secrets, pa) in (ids(), ids(), names()),
        ) {
            let r = Registry::from(Wire {
                auth_methods: a,
                auth_method_secrets: secrets,
                pending_auth_methods: pa,
                ..Wire::from(r)
            });
            let bytes = record(&r, true);
            prop_assert_eq!(parse(&bytes, true), Ok(r.clone()));
            // Format 3 has no room for them: a format-4 record is not one.
            if r.has_auth_methods() {
                prop_assert!(parse(&bytes, false).is_err());
            }
        }

        #[test]
        fn no_record_or_text_panics_the_decoder(
            bytes in prop::collection::vec(any::<u8>(), 0..200),
            text in "[A-Za-z0-9+/=]{0,200}",
        ) {
            let _ = parse(&bytes, false);
            let _ = parse(&bytes, true);
            let _ = unpack(&text);
            let engine = base64::engine::general_purpose::STANDARD;
            let _ = unpack(&engine.encode(&bytes));
        }

        #[test]
        fn a_record_with_one_byte_changed_is_an_error_or_another_valid_record(
            r in registry(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = record(&r, false);
            let i = at.index(bytes.len());
            bytes[i] = byte;
            if let Ok(other) = parse(&bytes, false) {
                // Valid after all: then it is canonical, so it writes back the same bytes.
                prop_assert_eq!(record(&other, false), bytes);
            }
        }
    }
}
