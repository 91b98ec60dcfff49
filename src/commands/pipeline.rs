//! What the commands do for the CI system they run in: GitHub Actions annotations on
//! stderr (the runner reads workflow commands from both streams, so stdout stays the
//! plan or report that a job may redirect to a file), and the job summary.

use crate::annotate::{self, Annotation, Level};
use crate::mask::mask_text;
use std::io::Write;
use std::path::PathBuf;

/// Whether ddhooks runs in a GitHub Actions job (`GITHUB_ACTIONS=true`).
pub fn github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Prints `annotations` as workflow commands on stderr when in GitHub Actions (masked, as
/// all output is); elsewhere does nothing, since the same problems are printed as text.
pub fn annotate(annotations: &[Annotation]) {
    if annotations.is_empty() || !github_actions() {
        return;
    }
    let text = mask_text(&annotate::github_commands(annotations));
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// One error annotation without a file (an apply refused, a failed command).
pub fn annotate_error(title: &str, message: &str) {
    annotate(&[Annotation {
        level: Level::Error,
        pos: None,
        title: title.to_string(),
        message: message.to_string(),
        check: "ddhooks/command",
    }]);
}

/// The job summary file, when the runner gives one (`$GITHUB_STEP_SUMMARY`).
pub fn step_summary() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Appends `markdown` to the job summary, when there is one. A failure to write it is a
/// warning, never a failed plan: the plan itself was printed.
pub fn append_step_summary(markdown: &str) {
    let Some(path) = step_summary() else {
        return;
    };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| {
            file.write_all(mask_text(markdown).as_bytes())?;
            file.write_all(b"\n")
        });
    if let Err(err) = appended {
        eprintln!(
            "warning: could not append the plan to the job summary {} ({err}); the plan above is complete",
            path.display()
        );
    }
}

/// An error whose problems were already annotated one by one (manifest errors): `main`
/// prints it but does not annotate it again as a whole.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AlreadyAnnotated(pub String);
