//! The layers' dependency rule, from `cargo metadata`: the core (model, templates,
//! manifests, registry, planner, the apply engine, renderers) is pure, so it depends — directly or through
//! any of its normal dependencies — on no async runtime, HTTP or command-line crate; and no
//! crate depends on a layer above it (core < datadog < sandbox < the binary's crate).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `(package, packages it must not reach through normal dependencies)`.
const RULES: &[(&str, &[&str])] = &[
    (
        "ddhooks-core",
        &[
            "tokio",
            "reqwest",
            "hyper",
            "axum",
            "clap",
            "ddhooks-datadog",
            "ddhooks-sandbox",
            "ddhooks",
        ],
    ),
    ("ddhooks-datadog", &["ddhooks-sandbox", "ddhooks"]),
    ("ddhooks-sandbox", &["ddhooks"]),
];

/// Dependencies the packages do have: were the walk broken (finding nothing), every rule
/// would pass for nothing; these must be found.
const KNOWN: &[(&str, &str)] = &[
    ("ddhooks-core", "serde"),
    ("ddhooks-datadog", "ddhooks-core"),
    ("ddhooks-datadog", "tokio"),
    ("ddhooks-sandbox", "axum"),
    ("ddhooks", "clap"),
    ("ddhooks", "ddhooks-sandbox"),
];

/// The dependency graph: package id → (name, normal dependencies' ids).
struct Graph {
    names: BTreeMap<String, String>,
    deps: BTreeMap<String, Vec<String>>,
}

impl Graph {
    fn load() -> Graph {
        // The graph for this machine's platform only: offline, cargo has the packages the
        // build downloaded, not those of other platforms (Windows console crates).
        let version = std::process::Command::new(env!("CARGO"))
            .arg("-vV")
            .output()
            .expect("cargo -vV runs");
        let version = String::from_utf8_lossy(&version.stdout).into_owned();
        let host = version
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .expect("cargo -vV names the host");
        let out = std::process::Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--offline"])
            .args(["--filter-platform", host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        assert!(
            out.status.success(),
            "cargo metadata: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let metadata: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
        let names = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().expect("id").to_string(),
                    p["name"].as_str().expect("name").to_string(),
                )
            })
            .collect();
        let deps = metadata["resolve"]["nodes"]
            .as_array()
            .expect("resolve nodes")
            .iter()
            .map(|node| {
                let normal = node["deps"]
                    .as_array()
                    .expect("deps")
                    .iter()
                    .filter(|d| {
                        d["dep_kinds"]
                            .as_array()
                            .expect("dep_kinds")
                            .iter()
                            .any(|k| k["kind"].is_null())
                    })
                    .map(|d| d["pkg"].as_str().expect("pkg").to_string())
                    .collect();
                (node["id"].as_str().expect("id").to_string(), normal)
            })
            .collect();
        Graph { names, deps }
    }

    fn id(&self, name: &str) -> &str {
        let ids: Vec<&String> = self
            .names
            .iter()
            .filter(|(_, n)| *n == name)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids.len(), 1, "one package named {name}: {ids:?}");
        ids[0]
    }

    /// Every package `name` reaches through normal dependencies, each with the chain of
    /// names that leads to it.
    fn reachable(&self, name: &str) -> BTreeMap<String, Vec<String>> {
        let start = self.id(name).to_string();
        let mut chains: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut seen = BTreeSet::from([start.clone()]);
        let mut queue = VecDeque::from([(start, vec![name.to_string()])]);
        while let Some((id, chain)) = queue.pop_front() {
            for dep in self.deps.get(&id).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    let mut longer = chain.clone();
                    longer.push(self.names[dep].clone());
                    chains
                        .entry(self.names[dep].clone())
                        .or_insert(longer.clone());
                    queue.push_back((dep.clone(), longer));
                }
            }
        }
        chains
    }
}

#[test]
fn no_layer_depends_on_io_crates_or_on_a_layer_above_it() {
    let graph = Graph::load();
    for (package, dep) in KNOWN {
        assert!(
            graph.reachable(package).contains_key(*dep),
            "{package} is known to depend on {dep}, but the walk does not find it"
        );
    }
    let mut broken = Vec::new();
    for (package, forbidden) in RULES {
        let reached = graph.reachable(package);
        for name in *forbidden {
            if let Some(chain) = reached.get(*name) {
                broken.push(format!(
                    "{package} must not depend on {name}: {}",
                    chain.join(" -> ")
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// The apply engine is the core's: compiled in `ddhooks-core`, which reaches no async
/// runtime (the rules above), so nothing but the binary's driver may do I/O in an apply.
#[test]
fn the_apply_engine_is_compiled_in_the_core() {
    let engine = std::any::type_name::<ddhooks_core::apply::engine::Engine<'static>>();
    assert!(
        engine.starts_with("ddhooks_core::apply::engine::"),
        "{engine}"
    );
}
