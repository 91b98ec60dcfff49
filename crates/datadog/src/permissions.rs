//! The one table of the permission each endpoint of the handles' destinations needs
//! ([`PERMISSIONS`]): the client names it when Datadog answers 403, and the sandbox answers
//! 403 to a scoped application key that lacks it.

/// One endpoint and the permission Datadog requires of the application key for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointPermission {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The path; a `{…}` segment matches any one segment.
    pub path: &'static str,
    /// The permission, as Datadog names it.
    pub permission: &'static str,
}

const fn rule(
    method: &'static str,
    path: &'static str,
    permission: &'static str,
) -> EndpointPermission {
    EndpointPermission {
        method,
        path,
        permission,
    }
}

const SLACK_CHANNELS: &str =
    "/api/v1/integration/slack/configuration/accounts/{account_name}/channels";
const SLACK_CHANNEL: &str =
    "/api/v1/integration/slack/configuration/accounts/{account_name}/channels/{channel_name}";
const PAGERDUTY_SERVICES: &str = "/api/v1/integration/pagerduty/configuration/services";
const PAGERDUTY_SERVICE: &str =
    "/api/v1/integration/pagerduty/configuration/services/{service_name}";
const DASHBOARDS: &str = "/api/v1/dashboard";
const DASHBOARD: &str = "/api/v1/dashboard/{dashboard_id}";
const WEBHOOK: &str = "/api/v1/integration/webhooks/configuration/webhooks/{webhook_name}";
const OPSGENIE_SERVICES: &str = "/api/v2/integration/opsgenie/services";
const OPSGENIE_SERVICE: &str = "/api/v2/integration/opsgenie/services/{integration_service_id}";
const TENANT_HANDLES: &str = "/api/v2/integration/ms-teams/configuration/tenant-based-handles";
const TENANT_HANDLE: &str =
    "/api/v2/integration/ms-teams/configuration/tenant-based-handles/{handle_id}";
const WORKFLOW_HANDLES: &str =
    "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles";
const WORKFLOW_HANDLE: &str =
    "/api/v2/integration/ms-teams/configuration/workflows-webhook-handles/{handle_id}";

/// The permission of each endpoint of the handles' destinations, and of the dashboards
/// (status boards). Sources: the v1 spec's `x-permission` (Slack, PagerDuty, webhooks:
/// `integrations_read` to read, `manage_integrations` to write; dashboards
/// `dashboards_read`, `dashboards_write`); the v2 API reference at docs.datadoghq.com ("This
/// endpoint requires the `…` permission": Opsgenie and Microsoft Teams
/// `integrations_read`/`manage_integrations`, teams `teams_read`/`teams_manage`, users
/// `user_access_read`/`user_access_manage`).
pub const PERMISSIONS: &[EndpointPermission] = &[
    rule("POST", "/api/v1/integration/slack", "manage_integrations"),
    rule("GET", SLACK_CHANNELS, "integrations_read"),
    rule("POST", SLACK_CHANNELS, "manage_integrations"),
    rule("GET", SLACK_CHANNEL, "integrations_read"),
    rule("PATCH", SLACK_CHANNEL, "manage_integrations"),
    rule("DELETE", SLACK_CHANNEL, "manage_integrations"),
    rule("POST", PAGERDUTY_SERVICES, "manage_integrations"),
    rule("GET", PAGERDUTY_SERVICE, "integrations_read"),
    rule("PUT", PAGERDUTY_SERVICE, "manage_integrations"),
    rule("DELETE", PAGERDUTY_SERVICE, "manage_integrations"),
    rule("GET", WEBHOOK, "integrations_read"),
    rule("GET", OPSGENIE_SERVICES, "integrations_read"),
    rule("POST", OPSGENIE_SERVICES, "manage_integrations"),
    rule("GET", OPSGENIE_SERVICE, "integrations_read"),
    rule("PATCH", OPSGENIE_SERVICE, "manage_integrations"),
    rule("DELETE", OPSGENIE_SERVICE, "manage_integrations"),
    rule("GET", TENANT_HANDLES, "integrations_read"),
    rule("POST", TENANT_HANDLES, "manage_integrations"),
    rule("GET", TENANT_HANDLE, "integrations_read"),
    rule("PATCH", TENANT_HANDLE, "manage_integrations"),
    rule("DELETE", TENANT_HANDLE, "manage_integrations"),
    rule("GET", WORKFLOW_HANDLES, "integrations_read"),
    rule("POST", WORKFLOW_HANDLES, "manage_integrations"),
    rule("GET", WORKFLOW_HANDLE, "integrations_read"),
    rule("PATCH", WORKFLOW_HANDLE, "manage_integrations"),
    rule("DELETE", WORKFLOW_HANDLE, "manage_integrations"),
    rule("GET", "/api/v2/team", "teams_read"),
    rule("POST", "/api/v2/team", "teams_manage"),
    rule("GET", "/api/v2/team/{team_id}", "teams_read"),
    rule("PATCH", "/api/v2/team/{team_id}", "teams_manage"),
    rule("DELETE", "/api/v2/team/{team_id}", "teams_manage"),
    rule("GET", "/api/v2/users", "user_access_read"),
    rule("POST", "/api/v2/users", "user_access_manage"),
    rule("GET", "/api/v2/users/{user_id}", "user_access_read"),
    rule("PATCH", "/api/v2/users/{user_id}", "user_access_manage"),
    rule("DELETE", "/api/v2/users/{user_id}", "user_access_manage"),
    rule("GET", DASHBOARDS, "dashboards_read"),
    rule("POST", DASHBOARDS, "dashboards_write"),
    rule("GET", DASHBOARD, "dashboards_read"),
    rule("PUT", DASHBOARD, "dashboards_write"),
    rule("DELETE", DASHBOARD, "dashboards_write"),
];

/// The permission `method path` needs (the path without its query), from [`PERMISSIONS`];
/// `None` for an endpoint the table does not hold.
pub fn permission_for(method: &str, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    PERMISSIONS
        .iter()
        .find(|rule| {
            let pattern: Vec<&str> = rule.path.split('/').collect();
            rule.method.eq_ignore_ascii_case(method)
                && pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(&segments)
                    .all(|(p, s)| p.starts_with('{') || p == s)
        })
        .map(|rule| rule.permission)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_endpoint_has_one_permission_and_templates_match_any_segment() {
        assert_eq!(
            permission_for(
                "GET",
                "/api/v1/integration/slack/configuration/accounts/main/channels"
            ),
            Some("integrations_read")
        );
        assert_eq!(
            permission_for(
                "DELETE",
                "/api/v1/integration/slack/configuration/accounts/main/channels/%23ops"
            ),
            Some("manage_integrations")
        );
        assert_eq!(permission_for("GET", "/api/v2/team"), Some("teams_read"));
        assert_eq!(
            permission_for("get", "/api/v2/users/abc"),
            Some("user_access_read")
        );
        assert_eq!(
            permission_for("PUT", "/api/v1/dashboard/abc-def-ghi"),
            Some("dashboards_write")
        );
        assert_eq!(permission_for("GET", "/api/v1/monitor"), None);
        let mut seen = BTreeSet::new();
        for rule in PERMISSIONS {
            assert!(seen.insert((rule.method, rule.path)), "{rule:?} twice");
        }
    }
}
