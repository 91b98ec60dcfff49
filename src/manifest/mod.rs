//! Manifests: YAML files into the validated [`crate::model::Desired`], every problem
//! reported at once with its file and line.
