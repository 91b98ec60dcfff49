//! The destinations' rules, one test each.

use super::*;
use crate::monitors::Now;
use std::collections::BTreeMap;

fn now() -> Now {
    Now::current()
}

#[test]
fn a_slack_channel_needs_its_account_and_nothing_is_stored_on_error() {
    let mut dir = Directory::default();
    let body = json!({"name": "#ops"});
    assert_eq!(
        create_slack_channel(&mut dir, "main", &body)
            .unwrap_err()
            .status,
        400
    );
    assert_eq!(list_slack_channels(&dir, "main").unwrap_err().status, 400);
    add_slack_accounts(
        &mut dir,
        &json!({"service_hooks": [{"account": "main", "url": "https://hooks"}]}),
    )
    .unwrap();
    let answer = create_slack_channel(&mut dir, "main", &body).unwrap();
    assert_eq!(answer["display"]["message"], true);
    assert_eq!(
        list_slack_channels(&dir, "main")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get_slack_channel(&dir, "main", "#nope").unwrap_err().status,
        404
    );
    assert_eq!(
        create_slack_channel(&mut dir, "main", &json!({"display": {}}))
            .unwrap_err()
            .status,
        400
    );
}

#[test]
fn credentials_are_required_but_never_kept() {
    let mut dir = Directory::default();
    let body =
        json!({"data": {"type": "opsgenie-service", "attributes": {"name": "n", "region": "us"}}});
    assert_eq!(
        Named::Opsgenie
            .create(&mut dir, "a", &body)
            .unwrap_err()
            .status,
        400
    );
    let body = json!({"data": {"type": "opsgenie-service", "attributes": {"name": "n", "region": "us", "opsgenie_api_key": "k"}}});
    let answer = Named::Opsgenie.create(&mut dir, "a", &body).unwrap();
    assert_eq!(answer["data"]["attributes"]["custom_url"], Value::Null);
    let text = serde_json::to_string(&dir).unwrap();
    assert!(!text.contains("opsgenie_api_key"), "{text}");
    assert_eq!(
        create_pagerduty_service(&mut dir, &json!({"service_name": "p"}))
            .unwrap_err()
            .status,
        400
    );
}

#[test]
fn a_deleted_user_is_disabled_and_a_login_activates() {
    let mut dir = Directory::default();
    let body = json!({"data": {"type": "users", "attributes": {"email": "A@example.com"}}});
    create_user(&mut dir, "u", &body, &now()).unwrap();
    assert_eq!(dir.users["u"]["status"], "Pending");
    log_in(&mut dir, "u").unwrap();
    assert_eq!(dir.users["u"]["status"], "Active");
    disable_user(&mut dir, "u", &now()).unwrap();
    assert_eq!(dir.users["u"]["status"], "Disabled");
    let query = BTreeMap::from([("filter[status]".to_string(), "Active".to_string())]);
    assert_eq!(
        list_users(&dir, &query).unwrap()["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        get_user(&dir, "x").unwrap_err().message,
        "x is not a valid UUID not found"
    );
}
