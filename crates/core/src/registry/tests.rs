//! The registry's unit tests: the encoding into parts and slots, formats 1 to 4 read back,
//! damage named, pending names resolved by the listing, fingerprints.

use super::*;
use std::collections::{BTreeSet, HashMap};

/// A registry of several parts even compressed: 600 names of 32 random hex digits.
fn big() -> Registry {
    let mut r = Registry::new("salt");
    for i in 0..600 {
        let name = format!("hook-{}", fingerprint("names", &i.to_string()));
        r.record(OwnedKind::Webhook, &name, Ownership::default());
    }
    let fp = Some(r.fingerprint("k"));
    r.record(
        OwnedKind::CustomVariable,
        "DD_API_KEY",
        Ownership::with_fingerprint(fp),
    );
    r
}

/// What ddhooks before format 3 wrote: the compact JSON in parts, behind a format-2
/// header with the checksum of the joined JSON.
fn encode_v2(r: &Registry, slot: Slot) -> Vec<(String, String)> {
    let json = serde_json::to_string(r).unwrap();
    split_into_parts(
        "ddhooks-state/2 ",
        &checksum_hex(json.as_bytes()),
        &json,
        slot,
    )
}

fn store(parts: Vec<(String, String)>) -> HashMap<String, String> {
    parts.into_iter().collect()
}

#[test]
fn splits_into_parts_of_at_most_4_kib_and_reads_back() {
    let r = big();
    let parts = r.encode(Slot::A).unwrap();
    assert!(parts.len() > 3, "{} parts", parts.len());
    assert!(parts[0].1.starts_with("ddhooks-state/3 parts="));
    assert!(parts.iter().all(|(_, v)| v.len() <= MAX_PART_BYTES));
    assert_eq!(parts[1].0, "DDHOOKS_STATE_2");
    let store: HashMap<_, _> = parts.into_iter().collect();
    assert_eq!(
        Registry::decode(|n| store.get(n).cloned()).unwrap(),
        Some(r)
    );
}

#[test]
fn missing_part_and_garbage_are_clear_errors() {
    let mut store: HashMap<_, _> = big().encode(Slot::A).unwrap().into_iter().collect();
    store.remove("DDHOOKS_STATE_2");
    assert_eq!(
        Registry::decode(|n| store.get(n).cloned()),
        Err(RegistryError::MissingPart("DDHOOKS_STATE_2".into()))
    );
    assert_eq!(
        Registry::decode(|_| Some("hello".into())),
        Err(RegistryError::BadHeader)
    );
    assert!(matches!(
        Registry::decode(|_| Some(format!("{HEADER_V1}1\n{{nope"))),
        Err(RegistryError::Corrupt(_))
    ));
    assert_eq!(Registry::decode(|_| None), Ok(None));
}

#[test]
fn fingerprints_depend_on_salt_and_hide_the_value() {
    let a = fingerprint("s1", "secret-value");
    assert_ne!(a, fingerprint("s2", "secret-value"));
    assert_eq!(a, fingerprint("s1", "secret-value"));
    assert!(!a.contains("secret"));
    assert_eq!(a.len(), 32);
}

#[test]
fn registry_variable_names() {
    assert!(is_registry_variable("DDHOOKS_STATE") && is_registry_variable("DDHOOKS_STATE_12"));
    assert!(!is_registry_variable("DDHOOKS_STATE_X") && !is_registry_variable("DDHOOKS_STATE_1"));
    assert!(is_registry_variable("DDHOOKS_STATE_B_2") && is_registry_variable("DDHOOKS_LOCK"));
    assert!(!is_registry_variable("DDHOOKS_STATE_B_1") && !is_registry_variable("DDHOOKS_STATE_B"));
}

#[test]
fn slots_have_distinct_names_and_a_mix_of_versions_is_detected() {
    let r = big();
    let a: HashMap<_, _> = r.encode(Slot::A).unwrap().into_iter().collect();
    let b = r.encode(Slot::B).unwrap();
    assert_eq!(b[1].0, "DDHOOKS_STATE_B_2");
    assert!(b.iter().all(|(n, _)| is_registry_variable(n)));
    // Header of a newer version, parts of the old one: a clear error, never a wrong registry.
    let mut newer = r.clone();
    newer.record(
        OwnedKind::Webhook,
        "group-9999-alert-check",
        Ownership::default(),
    );
    let mut mixed = a.clone();
    let new_header = newer.encode(Slot::A).unwrap().remove(0);
    mixed.insert(new_header.0, new_header.1);
    assert!(Registry::decode(|n| mixed.get(n).cloned()).is_err());
    assert!(matches!(
        Registry::decode(|n| mixed.get(n).cloned()),
        Err(RegistryError::Damaged(_))
    ));
    // The legacy format still reads.
    let legacy = format!("{HEADER_V1}1\n{}", serde_json::to_string(&r).unwrap());
    assert_eq!(Registry::decode(|_| Some(legacy.clone())).unwrap(), Some(r));
}

#[test]
fn pending_entries_resolve_by_existence() {
    let mut r = Registry::new("s");
    r.record(OwnedKind::Webhook, "deleting", Ownership::default());
    for name in ["created", "never", "deleting"] {
        r.mark_pending(OwnedKind::Webhook, name, None);
    }
    r.mark_pending(OwnedKind::CustomVariable, "V", Some("fp".into()));
    r.mark_pending(OwnedKind::CustomVariable, "GONE", None);
    r.record(OwnedKind::CustomVariable, "GONE", Ownership::default());
    assert!(r.resolve_pending(|n| n == "created", |n| n == "V"));
    assert_eq!(r.owned(OwnedKind::Webhook).collect::<Vec<_>>(), ["created"]);
    assert_eq!(r.fingerprint_of(OwnedKind::CustomVariable, "V"), Some("fp"));
    assert!(!r.owns(OwnedKind::CustomVariable, "GONE"));
    assert!(!r.has_pending());
    assert!(!r.resolve_pending(|_| true, |_| true));
}

/// A value whose encoding fails, as a registry's could if it ever held something JSON
/// cannot express.
struct Unencodable;

impl Serialize for Unencodable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("cannot be encoded"))
    }
}

#[test]
fn an_encoding_failure_is_an_error_never_an_empty_registry() {
    let err = to_json(&Unencodable, false).unwrap_err();
    assert_eq!(err, RegistryError::Encode("cannot be encoded".into()));
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert_eq!(to_json(&Unencodable, true), Err(err));
    let r = big();
    let text = r.to_file_text().unwrap();
    assert_eq!(serde_json::from_str::<Registry>(&text).unwrap(), r);
}

/// A header without the text after it used to be read as an empty first chunk: with
/// the legacy format (no checksum) the other parts alone could pass for the registry.
#[test]
fn a_header_without_its_text_is_corrupt() {
    let r = Registry::new("s");
    let json = serde_json::to_string(&r).unwrap();
    let parts = HashMap::from([
        (STATE_VARIABLE.to_string(), format!("{HEADER_V1}2")),
        ("DDHOOKS_STATE_2".to_string(), json),
    ]);
    assert!(matches!(
        Registry::decode(|n| parts.get(n).cloned()),
        Err(RegistryError::Corrupt(_))
    ));
}

#[test]
fn pending_rules_resolve_by_the_listing() {
    let mut r = Registry::new("s");
    let rule = OwnedKind::NotificationRule;
    r.record(rule, "kept", Ownership::with_id("id-1"));
    r.record(rule, "deleted", Ownership::with_id("id-2"));
    for name in ["kept", "deleted", "created", "twice", "never"] {
        r.mark_pending(rule, name, None);
    }
    let listed = [
        ("id-1", "kept"),
        ("id-3", "created"),
        ("id-4", "twice"),
        ("id-5", "twice"),
        ("id-6", "someone-else"),
    ];
    assert!(r.resolve_pending_rules(listed.iter().copied()));
    assert!(r.pending(rule).next().is_none());
    assert_eq!(
        r.owned_ids(rule).collect::<Vec<_>>(),
        [("created", "id-3"), ("kept", "id-1")]
    );
    assert!(!r.resolve_pending_rules(listed.iter().copied()));
}

#[test]
fn a_pending_board_no_longer_declared_keeps_its_dashboard_while_it_exists() {
    let mut r = Registry::new("s");
    let board = OwnedKind::StatusBoard;
    r.record(board, "grp", Ownership::with_id("abc-def-ghi"));
    r.mark_pending(board, "grp", None);
    let listing = [("abc-def-ghi", "grp monitors status")];
    // No board is declared any more: no titles to match, the id alone keeps it.
    assert!(r.resolve_pending_boards(listing.iter().copied(), &BTreeMap::new()));
    assert_eq!(r.id_of(board, "grp"), Some("abc-def-ghi"));
    r.mark_pending(board, "grp", None);
    assert!(r.resolve_pending_boards(std::iter::empty(), &BTreeMap::new()));
    assert!(r.owned(board).next().is_none(), "deleted: dropped");
}

/// Owns the variables a pair uses: `DD_API_KEY`, secret, written as `api_key` (a made-up
/// value), and `CHECK_HOST`, plain.
fn own_variables(r: &mut Registry, api_key: &str) {
    let fp = Some(r.fingerprint(api_key));
    let variable = OwnedKind::CustomVariable;
    r.record(variable, "DD_API_KEY", Ownership::with_fingerprint(fp));
    r.record(variable, "CHECK_HOST", Ownership::default());
}

/// The registry the golden texts below hold.
fn golden() -> Registry {
    let mut r = Registry::new("3f2a9c");
    r.record(OwnedKind::Webhook, "grp-alert-check", Ownership::default());
    r.record(OwnedKind::Webhook, "grp-ok-check", Ownership::default());
    own_variables(&mut r, "k");
    r.mark_pending(OwnedKind::Webhook, "grp-warning-check", None);
    r.record(
        OwnedKind::NotificationRule,
        "grp",
        Ownership::with_id("00000000-aaaa-bbbb-cccc-000000000001"),
    );
    r.record(
        OwnedKind::StatusBoard,
        "grp",
        Ownership::with_id("abc-def-ghi"),
    );
    r.set_monitor_count(Some(42));
    r
}

/// `DD_API_KEY`'s entry is the salted fingerprint of the made-up value `"k"`, not a key.
const GOLDEN_JSON: &str = r#"{"s":"3f2a9c","w":["grp-alert-check","grp-ok-check"],"c":{"CHECK_HOST":null,"DD_API_KEY":"cbc763a8e78da0cc19c408e64ef27928"},"pw":["grp-warning-check"],"r":{"grp":"00000000-aaaa-bbbb-cccc-000000000001"},"b":{"grp":"abc-def-ghi"},"n":42}"#;

/// Texts as earlier versions (and this one) stored them: every format still reads, so
/// an upgrade needs no migration step.
#[test]
fn formats_1_2_and_3_as_stored_still_decode() {
    let v1 = format!("ddhooks-state/1 parts=1\n{GOLDEN_JSON}");
    let v2 = format!("ddhooks-state/2 parts=1 slot=b sum=32349665b7e0e835\n{GOLDEN_JSON}");
    let v3 = "ddhooks-state/3 parts=1 slot=b sum=ea3f2a557c96e335\nRczNCoJAFAXgq0WELaI3aNEuLow/6LgMFQwXBbVpJdfr+INhIUGv34SC3+pwOJyVWzkU8tGEbT28kZ5q+CA3irvl+tWNyQQrSpMoy9PL7Q5gxXF+up7zLHkYey448F2SKpAlCWY7ZE9I5XuqcoLQkQbs/r9fGvq2r8c/MGChy4OYIGlYaMgaipk9bTdUMJaqwrpp4Qc=";
    for text in [v1.as_str(), v2.as_str(), v3] {
        assert_eq!(
            Registry::decode(|n| (n == STATE_VARIABLE).then(|| text.to_string())),
            Ok(Some(golden())),
            "{text}"
        );
    }
    // Format 2 in several parts, in either slot, still reads; a mix of its versions is
    // still an error.
    for slot in [Slot::A, Slot::B] {
        let r = big();
        let parts = store(encode_v2(&r, slot));
        assert!(parts.len() > 3);
        assert_eq!(
            Registry::decode(|n| parts.get(n).cloned()),
            Ok(Some(r.clone()))
        );
        let mut mixed = parts.clone();
        let mut newer = r.clone();
        newer.record(OwnedKind::Webhook, "one-more", Ownership::default());
        let (name, header) = encode_v2(&newer, slot).remove(0);
        mixed.insert(name, header);
        assert!(matches!(
            Registry::decode(|n| mixed.get(n).cloned()),
            Err(RegistryError::Corrupt(_))
        ));
    }
    // And whatever is read is written back in format 3.
    assert!(golden().encode(Slot::A).unwrap()[0]
        .1
        .starts_with("ddhooks-state/3 parts=1 slot=a sum="));
}

/// The scale benchmark's org: 500 pairs (`team-NNNN-alert-check`, `team-NNNN-ok-check`),
/// the secret variable they use (with its fingerprint) and a plain one, a random salt
/// as `ddhooks` makes it, and the monitor count.
#[test]
fn a_thousand_webhooks_and_their_variables_fit_in_one_part() {
    let mut r = Registry::new(&fingerprint("salt", "bench")[..24]);
    for g in 0..500 {
        for end in ["alert-check", "ok-check"] {
            let name = format!("team-{g:04}-{end}");
            r.record(OwnedKind::Webhook, &name, Ownership::default());
        }
    }
    own_variables(&mut r, "bench-api-key");
    r.set_monitor_count(Some(10_000));
    let size = |parts: &[(String, String)]| parts.iter().map(|(_, v)| v.len()).sum::<usize>();
    let v2 = encode_v2(&r, Slot::A);
    let v3 = r.encode(Slot::A).unwrap();
    eprintln!(
        "1,000 webhooks: format 2 {} parts, {} bytes; format 3 {} parts, {} bytes (a record of {} bytes)",
        v2.len(),
        size(&v2),
        v3.len(),
        size(&v3),
        compact::record(&r, false).len()
    );
    assert!(v3.len() <= 2, "{} parts", v3.len());
    // One part: a save is one variable write, so an apply from scratch writes the
    // registry twice in two requests.
    assert_eq!(v3.len(), 1, "{} bytes", size(&v3));
    assert_eq!(
        Registry::decode(|n| store(v3.clone()).get(n).cloned()),
        Ok(Some(r))
    );
}

/// A format-3 registry whose record is `record`, with the checksum it needs.
fn stored_v3(record: &[u8]) -> HashMap<String, String> {
    let text = compact::pack(record).unwrap();
    store(split_into_parts(
        HEADER_V3,
        &checksum_hex(record),
        &text,
        Slot::A,
    ))
}

#[test]
fn every_damaged_format_3_registry_is_a_typed_error() {
    let decode = |parts: &HashMap<String, String>| Registry::decode(|n| parts.get(n).cloned());
    let damaged = |parts: &HashMap<String, String>| match decode(parts) {
        Err(RegistryError::Damaged(d)) => d,
        other => panic!("not damaged: {other:?}"),
    };
    let header = |text: &str| format!("{HEADER_V3}parts=1 slot=a sum=0011223344556677\n{text}");
    let one = |text: String| HashMap::from([(STATE_VARIABLE.to_string(), text)]);
    assert!(matches!(damaged(&one(header("***"))), Damage::Base64(_)));
    assert!(matches!(
        damaged(&one(header("//////////8="))),
        Damage::Deflate(_)
    ));
    // A valid registry under another checksum.
    let mut good = store(big().encode(Slot::A).unwrap());
    let first = good[STATE_VARIABLE].clone();
    let (head, body) = first.split_once('\n').unwrap();
    let sum = head.rsplit_once("sum=").unwrap().1;
    let wrong = format!("{}\n{body}", head.replace(sum, "0011223344556677"));
    let mut wrong_sum = good.clone();
    wrong_sum.insert(STATE_VARIABLE.into(), wrong);
    assert_eq!(damaged(&wrong_sum), Damage::Checksum);
    // A part cut short, or missing.
    let last = part_name(Slot::A, Registry::layout(&first).unwrap().parts);
    let cut = good[&last][..good[&last].len() / 2].to_string();
    let mut short = good.clone();
    short.insert(last.clone(), cut);
    assert!(matches!(
        damaged(&short),
        Damage::Base64(_) | Damage::TruncatedDeflate | Damage::Deflate(_)
    ));
    good.remove(&last);
    assert_eq!(decode(&good), Err(RegistryError::MissingPart(last)));
    // A decompression bomb: many parts of a few KiB, never 16 MiB in memory.
    let bomb = stored_v3(&vec![0u8; MAX_PAYLOAD_BYTES + 1]);
    assert!(bomb.len() > 1 && bomb.len() < 30, "{} parts", bomb.len());
    assert_eq!(damaged(&bomb), Damage::TooLarge);
    // Records with the right checksum that are not a registry.
    assert_eq!(damaged(&stored_v3(&[])), Damage::Truncated("the salt"));
    assert_eq!(
        damaged(&stored_v3(&[1, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        Damage::Utf8 {
            what: "the salt",
            index: 0
        }
    );
    assert!(matches!(
        damaged(&stored_v3(&[0, 0, 2, 0, 1, b'b', 3, 1, b'c'])),
        Damage::Prefix { .. }
    ));
    let err = decode(&stored_v3(&[
        0, 0, 2, 0, 1, b'b', 0, 1, b'a', 0, 0, 0, 0, 0, 0, 0,
    ]))
    .unwrap_err();
    assert_eq!(
        err,
        RegistryError::Damaged(Damage::Order {
            what: "webhooks",
            index: 1
        })
    );
    assert!(
        err.to_string()
            .contains("webhooks #1 is not after the name before it")
            && err.to_string().contains("retry when it is done"),
        "{err}"
    );
    assert!(err.may_be_transient());
}

#[test]
fn a_newer_format_or_a_damaged_header_is_refused_by_name() {
    let one = |text: &str| {
        let text = text.to_string();
        Registry::decode(move |n| (n == STATE_VARIABLE).then(|| text.clone()))
    };
    let newer = one("ddhooks-state/5 parts=1 slot=a sum=0011223344556677\nwhatever");
    assert_eq!(newer, Err(RegistryError::NewerFormat("5".into())));
    let message = newer.unwrap_err().to_string();
    assert!(
        message.contains("newer ddhooks") && message.contains("export-state"),
        "{message}"
    );
    for text in [
        "ddhooks-state/x parts=1",
        "ddhooks-state/ parts=1",
        "ddhooks-state/3 parts=1 slot=c sum=0011223344556677\nx",
        "ddhooks-state/3 parts=0 slot=a sum=0011223344556677\nx",
        "ddhooks-state/3 parts=1 slot=a sum=00112233\nx",
    ] {
        assert_eq!(one(text), Err(RegistryError::BadHeader), "{text}");
    }
    assert_eq!(
        one("ddhooks-state/3 parts=1025 slot=a sum=0011223344556677\nx"),
        Err(RegistryError::TooManyParts(1025))
    );
    assert!(!RegistryError::NewerFormat("5".into()).may_be_transient());
}

/// A registry that owns auth methods is written in format 4 and reads back whole; one
/// that owns none stays format 3, byte for byte what the versions before read.
#[test]
fn auth_methods_are_kept_in_format_4_and_only_then() {
    let plain = golden();
    let parts = plain.encode(Slot::A).unwrap();
    assert!(parts[0].1.starts_with(HEADER_V3), "{}", parts[0].1);
    let mut with = golden();
    let auth = OwnedKind::AuthMethod;
    let secret = Some(with.fingerprint("made-up"));
    with.record(
        auth,
        "okta",
        Ownership {
            id: Some("7b168e05-f454-4758-b42e-0fcb1f3accaf".into()),
            fingerprint: secret,
        },
    );
    with.mark_pending(auth, "auth0", None);
    let parts = with.encode(Slot::B).unwrap();
    assert!(parts[0].1.starts_with(HEADER_V4), "{}", parts[0].1);
    let stored: BTreeMap<String, String> = parts.into_iter().collect();
    let back = Registry::decode(|n| stored.get(n).cloned()).unwrap();
    assert_eq!(back, Some(with.clone()));
    // Resolving the pending name by the listing: absent, so it owns nothing.
    let mut resolved = with;
    assert!(resolved.resolve_pending_auth_methods(
        [("7b168e05-f454-4758-b42e-0fcb1f3accaf", "okta")].into_iter()
    ));
    assert!(!resolved.is_pending(auth, "auth0"));
    assert!(!resolved.owns(auth, "auth0"));
    assert!(resolved.fingerprint_of(auth, "okta").is_some());
}

/// A registry with one owned and one pending name of every kind, as the wire holds it:
/// the literal names every field, so a kind added to the wire fails to compile here until
/// it is added, and the test below then fails until [`OwnedKind::ALL`] lists it.
fn one_of_each(pending: bool) -> ownership::Wire {
    let names = |name: &str| match pending {
        true => BTreeSet::from([name.to_string()]),
        false => BTreeSet::new(),
    };
    ownership::Wire {
        salt: "s".into(),
        webhooks: BTreeSet::from(["w".to_string()]),
        custom_variables: BTreeMap::from([("C".to_string(), Some("fp".to_string()))]),
        pending_webhooks: names("pw"),
        pending_variables: names("PC").into_iter().map(|n| (n, None)).collect(),
        notification_rules: BTreeMap::from([("r".to_string(), "r-1".to_string())]),
        pending_rules: names("pr"),
        status_boards: BTreeMap::from([("b".to_string(), "b-1".to_string())]),
        pending_boards: names("pb"),
        auth_methods: BTreeMap::from([("a".to_string(), "a-1".to_string())]),
        auth_method_secrets: BTreeMap::from([("a".to_string(), "afp".to_string())]),
        pending_auth_methods: names("pa"),
        monitor_count: Some(3),
    }
}

#[test]
fn every_kind_is_listed_and_released_by_kind() {
    let mut r = Registry::from(one_of_each(true));
    assert!(r.has_pending());
    for kind in OwnedKind::ALL {
        let pending: Vec<String> = r.pending(kind).map(str::to_string).collect();
        assert_eq!(pending.len(), 1, "{kind:?}");
        for name in pending {
            r.release(kind, &name);
        }
    }
    assert!(!r.has_pending());
    assert_eq!(ownership::Wire::from(r), one_of_each(false));
}

#[test]
fn ownership_is_recorded_released_and_forgotten_by_kind() {
    let mut r = Registry::from(one_of_each(false));
    // Release: no longer pending, ownership as it was.
    r.mark_pending(OwnedKind::Webhook, "w", None);
    r.release(OwnedKind::Webhook, "w");
    assert!(r.owns(OwnedKind::Webhook, "w") && !r.has_pending());
    // Forget: no longer owned, pending as it was; an auth method's secret goes with it.
    r.mark_pending(OwnedKind::AuthMethod, "a", None);
    r.forget(OwnedKind::AuthMethod, "a");
    assert!(!r.owns(OwnedKind::AuthMethod, "a") && r.is_pending(OwnedKind::AuthMethod, "a"));
    assert_eq!(r.fingerprint_of(OwnedKind::AuthMethod, "a"), None);
    // A create answered without an id leaves ownership by id as it was.
    r.record(OwnedKind::StatusBoard, "b", Ownership::default());
    assert_eq!(r.id_of(OwnedKind::StatusBoard, "b"), Some("b-1"));
    r.record(OwnedKind::StatusBoard, "new", Ownership::default());
    assert!(!r.owns(OwnedKind::StatusBoard, "new"));
    // A secret's fingerprint is kept only for an auth method owned.
    r.record(
        OwnedKind::AuthMethod,
        "a",
        Ownership::with_fingerprint(Some("x".into())),
    );
    assert_eq!(r.fingerprint_of(OwnedKind::AuthMethod, "a"), None);
    r.record(
        OwnedKind::AuthMethod,
        "a",
        Ownership {
            id: Some("a-2".into()),
            fingerprint: Some("y".into()),
        },
    );
    assert_eq!(r.fingerprint_of(OwnedKind::AuthMethod, "a"), Some("y"));
    // A variable's fingerprint is replaced; a webhook keeps none.
    r.record(OwnedKind::CustomVariable, "C", Ownership::default());
    assert!(r.owns(OwnedKind::CustomVariable, "C"));
    assert_eq!(r.fingerprint_of(OwnedKind::CustomVariable, "C"), None);
    r.record(
        OwnedKind::Webhook,
        "w2",
        Ownership::with_fingerprint(Some("z".into())),
    );
    assert_eq!(r.fingerprint_of(OwnedKind::Webhook, "w2"), None);
    assert_eq!(r.id_of(OwnedKind::Webhook, "w2"), None);
    assert_eq!(r.owned_ids(OwnedKind::Webhook).count(), 0);
    // And it all reads back from the state file as it is.
    let text = r.to_file_text().unwrap();
    assert_eq!(serde_json::from_str::<Registry>(&text).unwrap(), r);
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 128,
            rng_seed: RngSeed::Fixed(0x0d0d_5eed_0033),
            ..ProptestConfig::default()
        })]

        #[test]
        fn every_registry_reads_back_from_its_parts_in_either_slot(
            r in compact::tests::registry(),
            b in any::<bool>(),
        ) {
            let slot = if b { Slot::B } else { Slot::A };
            let parts = r.encode(slot).unwrap();
            for (i, (name, value)) in parts.iter().enumerate() {
                prop_assert_eq!(name, &part_name(slot, i + 1));
                prop_assert!(value.len() <= MAX_PART_BYTES);
                // Text Datadog keeps as is: the header line, then base64.
                let body = if i == 0 { value.split_once('\n').unwrap().1 } else { value };
                prop_assert!(body.bytes().all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c)));
            }
            let stored = store(parts);
            prop_assert_eq!(Registry::decode(|n| stored.get(n).cloned()), Ok(Some(r)));
        }

        #[test]
        fn no_stored_text_panics_the_decoder(
            first in "ddhooks-state/[0-9] parts=[0-9] slot=[ab] sum=[0-9a-f]{16}\n[A-Za-z0-9+/=]{0,64}",
            second in "[A-Za-z0-9+/=]{0,64}",
        ) {
            let _ = Registry::decode(|n| match n {
                STATE_VARIABLE => Some(first.clone()),
                _ => Some(second.clone()),
            });
        }
    }
}
