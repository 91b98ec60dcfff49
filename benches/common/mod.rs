//! What the benchmarks share: the monitors they seed are written alike.

/// The message of monitor `i` of `service`, as people write them: template variables,
/// conditional sections, a runbook and a dashboard link, and two handles,
/// `@pagerduty-{pagerduty}` on alerts and `@slack-{slack}-alerts` always.
pub fn cpu_message(service: &str, i: usize, pagerduty: &str, slack: &str) -> String {
    format!(
        "{{{{#is_alert}}}}CPU on {{{{host.name}}}} ({service}) has been above {{{{threshold}}}}% for 5 minutes: {{{{value}}}}%.{{{{/is_alert}}}}\n\
         {{{{#is_warning}}}}CPU on {{{{host.name}}}} is climbing ({{{{value}}}}%).{{{{/is_warning}}}}\n\
         {{{{#is_recovery}}}}CPU on {{{{host.name}}}} is back to normal.{{{{/is_recovery}}}}\n\n\
         Runbook: https://wiki.example.com/runbooks/{service}/cpu\n\
         Dashboard: https://app.datadoghq.com/dashboard/abc-{i}\n\n\
         {{{{#is_alert}}}}@pagerduty-{pagerduty} {{{{/is_alert}}}}\n\
         @slack-{slack}-alerts"
    )
}
