//! Unit tests of the typed plan: addresses and actions round trip through their text.

use super::*;

#[test]
fn addresses_round_trip_and_bad_ones_are_errors() {
    for a in [
        Address::CustomVariable("DD_API_KEY".into()),
        Address::Webhook("g-alert-check".into()),
        Address::Monitor(-3),
        Address::NotificationRule("checkout".into()),
        Address::StatusBoard("checkout".into()),
        Address::AuthMethod("okta".into()),
        Address::Monitor(12345),
        Address::MonitorBlock {
            monitor: 7,
            block: "g.x".into(),
        },
    ] {
        assert_eq!(a.to_string().parse::<Address>(), Ok(a.clone()), "{a}");
    }
    for bad in [
        "",
        "webhook",
        "webhook.",
        "monitor.x",
        "monitor.1.block.",
        "dashboard.1",
        "monitor.99999999999999999999",
    ] {
        assert!(bad.parse::<Address>().is_err(), "{bad:?}");
    }
}

#[test]
fn actions_round_trip_through_their_words() {
    for a in [
        Action::Create,
        Action::Update,
        Action::Adopt,
        Action::Rename,
        Action::Delete,
    ] {
        assert_eq!(Action::from_word(a.word()), Some(a));
    }
    assert_eq!(Action::from_word("replace"), None);
}
