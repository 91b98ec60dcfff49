//! The round trip: the text import wrote is checked before it is returned — no credential
//! found in Datadog is in it, it loads with the manifest loader, and the planner sees every
//! imported webhook and readable variable as unchanged (otherwise a finding says so).

use super::scrub::EnvAlloc;
use super::{Finding, FindingKind, Found, ImportError, ImportOptions};
use crate::manifest::{self, Source};
use crate::model::RemoteWebhook;
use crate::plan::webhook_matches;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Checks that no credential found is in `text`, loads it back (the env values found,
/// placeholders for secrets) and checks that the planner sees every imported webhook and
/// readable variable as unchanged.
pub(super) fn verify(
    text: &str,
    env: &EnvAlloc,
    found: &Found,
    webhooks: &BTreeMap<String, RemoteWebhook>,
    findings: &mut Vec<Finding>,
    options: &ImportOptions,
) -> Result<(), ImportError> {
    // No credential may be in the text: check every value found against it.
    for (name, var) in &env.vars {
        if let Some(v) = &var.value {
            if v.expose().len() >= 6 && text.contains(v.expose()) {
                return Err(ImportError::SecretInOutput(name.clone()));
            }
        }
    }
    let load = env.load_options(options);
    let loaded = manifest::load_sources(
        &[Source {
            path: PathBuf::from("imported.yaml"),
            text: text.to_string(),
        }],
        &load,
    )
    .map_err(ImportError::Invalid)?;
    for (name, want) in &loaded.desired.webhooks {
        if let Some(have) = webhooks.get(name) {
            if !webhook_matches(want, have) && !options.as_pairs {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("webhook {name}"),
                    message: "the manifest does not reproduce it exactly; the plan shows it as an adoption that writes".into(),
                    fix: None,
                });
            }
        }
    }
    for (name, want) in &loaded.desired.custom_variables {
        if let Some(have) = found.remote.custom_variables.get(name) {
            if !have.secret && have.value.as_deref() != Some(want.value.expose()) {
                findings.push(Finding {
                    kind: FindingKind::Note,
                    subject: format!("custom variable {name}"),
                    message: "the manifest does not reproduce its value exactly".into(),
                    fix: None,
                });
            }
        }
    }
    Ok(())
}
