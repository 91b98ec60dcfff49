//! Manifests and message templates, the pure core's inputs: round trips into the model,
//! people's text around managed blocks, and inputs that must never panic. (The bad corpus,
//! read by the loader, `validate` and the schema, is in the root's `tests/end_to_end`.)

/// Written manifests load into exactly the model they describe.
mod manifests_load_into_the_model_they_describe;
/// No manifest or message text panics the loader or the template code.
mod no_input_panics;
/// Every byte outside ddhooks' markers survives block edits.
mod text_outside_markers_is_never_changed;
/// Every relative link of `README.md` and `docs/*.md` resolves, and their manifest
/// examples load with the loader.
mod the_documents_link_to_what_exists_and_their_examples_load;

use ddhooks_core::manifest::{load_sources, LoadOptions, Source};
use ddhooks_core::model::Desired;
use std::path::PathBuf;

/// Loads `texts` as the manifest files `m0.yaml`, `m1.yaml`, … with `options`; the
/// problems as text when they do not load.
fn load<S: AsRef<str>>(texts: &[S], options: &LoadOptions) -> Result<Desired, String> {
    let sources: Vec<Source> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Source {
            path: PathBuf::from(format!("m{i}.yaml")),
            text: text.as_ref().to_string(),
        })
        .collect();
    load_sources(&sources, options)
        .map(|l| l.desired)
        .map_err(|d| d.to_string())
}
