//! No module cycles. In every crate of the workspace, for every module (the crate root
//! included), the modules directly inside it depend on one another without a cycle: a
//! child `a` depends on its sibling `b` when non-test code anywhere inside `a` names a
//! path into `b` (`crate::b::…`, `super::b::…`, `use crate::{b, …}`, a fully qualified
//! path in an expression or a type). Doc comments, string literals, `#[cfg(test)]` items
//! and the test modules they declare do not count. The sources are read with
//! `proc-macro2`'s tokenizer, which drops comments and keeps strings whole.
//!
//! The graph without its cycles is also ARCHITECTURE.md's "Module graph": the block
//! between `<!-- module-graph:start -->` and `<!-- module-graph:end -->` is what
//! [`render`] gives, and `DDHOOKS_BLESS=1 cargo test -p ddhooks-core --test pure
//! module_graph` writes it again.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The workspace's crates whose modules are checked: name and root file, from the
/// repository root.
const CRATES: &[(&str, &str)] = &[
    ("ddhooks-core", "crates/core/src/lib.rs"),
    ("ddhooks-datadog", "crates/datadog/src/lib.rs"),
    ("ddhooks-sandbox", "crates/sandbox/src/lib.rs"),
    ("ddhooks", "src/lib.rs"),
];

/// Cycles that remain, each as `crate::module: child, child, …` (the children of one
/// module that depend on one another in a ring). The test fails when one of these is
/// gone (remove it here) or another appears.
const ALLOWED_CYCLES: &[&str] = &[];

const START: &str = "<!-- module-graph:start -->";
const END: &str = "<!-- module-graph:end -->";

/// A module's path inside its crate (`[]` is the crate root).
type ModPath = Vec<String>;

/// Where a reference was written.
#[derive(Clone, Debug)]
struct Place {
    file: PathBuf,
    line: usize,
}

/// One crate's modules and the references between them.
#[derive(Default)]
struct CrateGraph {
    /// Every non-test module, with the file that declares its body.
    modules: BTreeMap<ModPath, PathBuf>,
    /// `(from module, named path, where)`: every `crate::…`, `super::…` and `self::…`
    /// path of non-test code, already made absolute (a path in the crate, not yet cut
    /// to the module it names).
    references: Vec<(ModPath, Vec<String>, Place)>,
}

/// The siblings' graph inside one module: child → child it uses → the first reference.
type Siblings = BTreeMap<String, BTreeMap<String, Place>>;

impl CrateGraph {
    fn load(root: &Path, file: &str) -> CrateGraph {
        let mut graph = CrateGraph::default();
        let path = root.join(file);
        let dir = path
            .parent()
            .expect("a crate root has a directory")
            .to_path_buf();
        graph.load_file(root, &path, Vec::new(), dir);
        graph
    }

    /// Reads the module at `path` whose children's files are in `children`.
    fn load_file(&mut self, root: &Path, path: &Path, module: ModPath, children: PathBuf) {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        let tokens = TokenStream::from_str(&text)
            .unwrap_or_else(|err| panic!("cannot tokenize {}: {err:?}", path.display()));
        let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        self.modules.insert(module.clone(), shown.clone());
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        if is_test_only_file(&tokens) {
            return;
        }
        self.scan(root, &tokens, &module, &children, &shown);
    }

    /// Scans a stream of tokens of `module` (declared in `file`) for module declarations
    /// and paths, skipping what `#[cfg(test)]` marks.
    fn scan(
        &mut self,
        root: &Path,
        tokens: &[TokenTree],
        module: &ModPath,
        children: &Path,
        file: &Path,
    ) {
        let mut i = 0;
        while i < tokens.len() {
            // `#[cfg(test)]` (and the attributes after it) and the item it marks.
            if let Some(len) = attribute_len(&tokens[i..]) {
                if is_cfg_test(&tokens[i..i + len]) {
                    i = skip_item(tokens, i + len);
                    continue;
                }
                // An attribute's own tokens may hold paths (`#[serde(with = …)]` does
                // not: that is a string).
                if let TokenTree::Group(group) = &tokens[i + len - 1] {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    self.scan(root, &inner, module, children, file);
                }
                i += len;
                continue;
            }
            match &tokens[i] {
                TokenTree::Ident(ident) if ident == "mod" => {
                    let Some(TokenTree::Ident(name)) = tokens.get(i + 1) else {
                        i += 1;
                        continue;
                    };
                    let name = name.to_string();
                    let mut child = module.clone();
                    child.push(name.clone());
                    match tokens.get(i + 2) {
                        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => {
                            let inner: Vec<TokenTree> = body.stream().into_iter().collect();
                            self.modules.insert(child.clone(), file.to_path_buf());
                            self.scan(root, &inner, &child, &children.join(&name), file);
                        }
                        _ => {
                            let flat = children.join(format!("{name}.rs"));
                            let (path, grandchildren) = if flat.is_file() {
                                (flat, children.join(&name))
                            } else {
                                let dir = children.join(&name);
                                (dir.join("mod.rs"), dir)
                            };
                            self.load_file(root, &path, child, grandchildren);
                        }
                    }
                    i += 3;
                }
                TokenTree::Ident(ident)
                    if (ident == "crate" || ident == "super" || ident == "self")
                        && !follows_path_separator(tokens, i)
                        && is_path_separator(tokens, i + 1) =>
                {
                    let place = Place {
                        file: file.to_path_buf(),
                        line: ident.span().start().line,
                    };
                    let (paths, next) = read_path(tokens, i);
                    for path in paths {
                        if let Some(absolute) = absolute(module, &path) {
                            self.references
                                .push((module.clone(), absolute, place.clone()));
                        }
                    }
                    i = next;
                }
                TokenTree::Group(group) => {
                    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                    self.scan(root, &inner, module, children, file);
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    /// The longest prefix of `path` that is a module.
    fn module_of(&self, path: &[String]) -> ModPath {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|prefix| self.modules.contains_key(prefix))
            .unwrap_or_default()
    }

    /// Every module with children, and its children's graph.
    fn siblings(&self) -> BTreeMap<ModPath, Siblings> {
        let mut out: BTreeMap<ModPath, Siblings> = BTreeMap::new();
        for module in self.modules.keys() {
            if let Some((name, parent)) = module.split_last() {
                out.entry(parent.to_vec())
                    .or_default()
                    .entry(name.clone())
                    .or_default();
            }
        }
        for (from, path, place) in &self.references {
            let to = self.module_of(path);
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                // Into its own subtree, or up to an ancestor's own items.
                continue;
            }
            let parent = from[..common].to_vec();
            out.entry(parent)
                .or_default()
                .entry(from[common].clone())
                .or_default()
                .entry(to[common].clone())
                .or_insert_with(|| place.clone());
        }
        out
    }
}

/// A file whose first inner attribute is `#![cfg(test)]`.
fn is_test_only_file(tokens: &[TokenTree]) -> bool {
    let mut i = 0;
    while let Some(len) = attribute_len(&tokens[i..]) {
        if len == 3 && is_cfg_test(&tokens[i..i + len]) {
            return true;
        }
        i += len;
    }
    false
}

/// The length of the attribute at the start of `tokens` (`#[…]` or `#![…]`), if any.
fn attribute_len(tokens: &[TokenTree]) -> Option<usize> {
    let TokenTree::Punct(hash) = tokens.first()? else {
        return None;
    };
    if hash.as_char() != '#' {
        return None;
    }
    let bang = matches!(tokens.get(1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
    let at = if bang { 2 } else { 1 };
    match tokens.get(at)? {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Bracket => Some(at + 1),
        _ => None,
    }
}

/// Whether the attribute is exactly `#[cfg(test)]` (or `#![cfg(test)]`).
fn is_cfg_test(attribute: &[TokenTree]) -> bool {
    let Some(TokenTree::Group(group)) = attribute.last() else {
        return false;
    };
    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
    match inner.as_slice() {
        [TokenTree::Ident(cfg), TokenTree::Group(args)] if cfg == "cfg" => {
            let args: Vec<TokenTree> = args.stream().into_iter().collect();
            matches!(args.as_slice(), [TokenTree::Ident(test)] if test == "test")
        }
        _ => false,
    }
}

/// The index after the item starting at `start` (its other attributes included): up to
/// its `;` or `,`, or its first `{ … }` body.
fn skip_item(tokens: &[TokenTree], start: usize) -> usize {
    let mut i = start;
    while let Some(len) = attribute_len(&tokens[i..]) {
        i += len;
    }
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == ';' || p.as_char() == ',' => return i + 1,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Whether `tokens[i]` and `tokens[i + 1]` are `::`.
fn is_path_separator(tokens: &[TokenTree], i: usize) -> bool {
    matches!(
        (tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// Whether the token at `i` comes right after `::` (a segment, not a path's start).
fn follows_path_separator(tokens: &[TokenTree], i: usize) -> bool {
    i >= 2 && is_path_separator(tokens, i - 2)
}

/// The path starting at `tokens[start]` (its segments; a `{ … }` use group gives one path
/// per leaf) and the index after it.
fn read_path(tokens: &[TokenTree], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut segments = Vec::new();
    let mut i = start;
    loop {
        match tokens.get(i) {
            Some(TokenTree::Ident(ident)) => segments.push(ident.to_string()),
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                let paths = use_group(&inner)
                    .into_iter()
                    .map(|tail| segments.iter().cloned().chain(tail).collect())
                    .collect();
                return (paths, i + 1);
            }
            _ => return (vec![segments], i),
        }
        if !is_path_separator(tokens, i + 1) {
            return (vec![segments], i + 1);
        }
        i += 3;
    }
}

/// The leaves of a use group's inside (`a::{b, c}, d as e, self`), each as its segments
/// (`self` as none).
fn use_group(tokens: &[TokenTree]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for tree in tokens.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
        if tree.is_empty() {
            continue;
        }
        if matches!(&tree[0], TokenTree::Punct(p) if p.as_char() == '*') {
            out.push(Vec::new());
            continue;
        }
        let (paths, _) = read_path(tree, 0);
        for mut path in paths {
            // `self` names the group's prefix; `as` renames only the last segment.
            if path.first().is_some_and(|s| s == "self") {
                path.remove(0);
            }
            out.push(path);
        }
    }
    out
}

/// `path` (starting with `crate`, `super` or `self`) as a path from the crate root, seen
/// from `module`; `None` when it climbs above the root.
fn absolute(module: &ModPath, path: &[String]) -> Option<Vec<String>> {
    let (mut base, mut rest) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (module.clone(), &path[1..]),
        _ => (module.clone(), path),
    };
    while let Some(("super", tail)) = rest.split_first().map(|(s, t)| (s.as_str(), t)) {
        base.pop()?;
        rest = tail;
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The children of one module as strongly connected components (Tarjan), each sorted, in
/// an order where a component comes after every component it uses.
fn components(siblings: &Siblings) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a Siblings,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph[v].keys() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                component.sort();
                self.out.push(component);
            }
        }
    }
    let mut tarjan = Tarjan {
        graph: siblings,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in siblings.keys() {
        if !tarjan.index.contains_key(v.as_str()) {
            tarjan.visit(v);
        }
    }
    tarjan.out
}

/// Layers of the children: a child is in the layer after the highest of what it uses (a
/// cycle's members share a layer), each layer sorted by name.
fn layers(siblings: &Siblings) -> Vec<Vec<String>> {
    let mut layer_of: BTreeMap<String, usize> = BTreeMap::new();
    // Tarjan gives components in reverse topological order: used before users.
    for component in components(siblings) {
        let layer = component
            .iter()
            .flat_map(|v| siblings[v].keys())
            .filter(|w| !component.contains(w))
            .map(|w| layer_of[w] + 1)
            .max()
            .unwrap_or(0);
        for v in component {
            layer_of.insert(v, layer);
        }
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for (v, layer) in layer_of {
        if out.len() <= layer {
            out.resize(layer + 1, Vec::new());
        }
        out[layer].push(v);
    }
    out
}

fn name(krate: &str, module: &ModPath) -> String {
    std::iter::once(krate.to_string())
        .chain(module.iter().cloned())
        .collect::<Vec<_>>()
        .join("::")
}

/// Every crate's graph, loaded once.
fn graphs() -> Vec<(&'static str, CrateGraph)> {
    let root = crate::repository_root();
    CRATES
        .iter()
        .map(|(krate, file)| (*krate, CrateGraph::load(&root, file)))
        .collect()
}

/// The module graph as ARCHITECTURE.md shows it: for each module with two children or
/// more, its children from the bottom layer up, each with the siblings it uses.
fn render(graphs: &[(&str, CrateGraph)]) -> String {
    let mut out = String::new();
    for (krate, graph) in graphs {
        for (module, siblings) in graph.siblings() {
            if siblings.len() < 2 {
                continue;
            }
            let _ = writeln!(out, "{}", name(krate, &module));
            let width = siblings.keys().map(String::len).max().unwrap_or(0);
            for layer in layers(&siblings) {
                for child in layer {
                    let uses: Vec<&str> = siblings[&child].keys().map(String::as_str).collect();
                    if uses.is_empty() {
                        let _ = writeln!(out, "  {child}");
                    } else {
                        let _ = writeln!(out, "  {child:width$}  → {}", uses.join(", "));
                    }
                }
            }
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// Each cycle (`crate::module: a, b, …`) with the references that make it, one per edge
/// inside it.
fn cycles(graphs: &[(&str, CrateGraph)]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (krate, graph) in graphs {
        for (module, siblings) in graph.siblings() {
            for component in components(&siblings) {
                if component.len() < 2 {
                    continue;
                }
                let key = format!("{}: {}", name(krate, &module), component.join(", "));
                let mut edges = Vec::new();
                for from in &component {
                    for (to, place) in &siblings[from] {
                        if component.contains(to) {
                            edges.push(format!(
                                "{from} → {to}: {}:{}",
                                place.file.display(),
                                place.line
                            ));
                        }
                    }
                }
                out.insert(key, edges);
            }
        }
    }
    out
}

#[test]
fn no_module_depends_on_itself_through_its_siblings() {
    let graphs = graphs();
    let found = cycles(&graphs);
    let allowed: BTreeSet<&str> = ALLOWED_CYCLES.iter().copied().collect();
    let mut report = String::new();
    for (cycle, edges) in &found {
        if allowed.contains(cycle.as_str()) {
            continue;
        }
        let _ = writeln!(report, "cycle in {cycle}");
        for edge in edges {
            let _ = writeln!(report, "    {edge}");
        }
    }
    for cycle in &allowed {
        if !found.contains_key(*cycle) {
            let _ = writeln!(
                report,
                "allowed cycle {cycle} is gone: remove it from ALLOWED_CYCLES"
            );
        }
    }
    assert!(
        report.is_empty(),
        "module cycles (each edge with one of its references; move what both sides \
         need into a module below them):\n{report}"
    );
}

/// The walk finds what is there: were it broken, no cycle would be found for nothing.
#[test]
fn the_walk_sees_the_modules_and_their_references() {
    let graphs = graphs();
    let core = &graphs[0].1;
    for module in [&["plan"][..], &["manifest", "lower"], &["render", "fields"]] {
        let path: ModPath = module.iter().map(|s| s.to_string()).collect();
        assert!(core.modules.contains_key(&path), "{module:?}");
    }
    // `#[cfg(test)] mod tests;` is not a module of the graph.
    assert!(!core
        .modules
        .contains_key(&vec!["plan".to_string(), "tests".to_string()]));
    let root = core
        .siblings()
        .remove(&Vec::new())
        .expect("the root has children");
    assert!(root["plan"].contains_key("model"), "{:?}", root["plan"]);
    assert!(root["render"].contains_key("plan"), "{:?}", root["render"]);
}

/// On a crate made for it: a cycle is reported with one reference per edge, and doc
/// comments, strings, `#[cfg(test)]` items and test modules are not references.
#[test]
fn a_cycle_is_reported_with_one_reference_per_edge() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = [
        ("lib.rs", "//! A crate.\nmod a;\nmod b;\nmod c;\n#[cfg(test)]\nmod tests;\n"),
        (
            "a.rs",
            "/// Not [`crate::c`].\npub struct A(pub crate::b::B);\nconst S: &str = \"crate::c::C\";\n",
        ),
        (
            "b.rs",
            "use super::{a, c::C as Sea};\npub struct B(Sea);\nfn f() -> Option<a::A> { None }\n",
        ),
        ("c.rs", "#[cfg(test)]\nuse crate::a::A;\npub struct C;\n"),
        ("tests.rs", "use crate::c::C;\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("a file written");
    }
    let graph = CrateGraph::load(dir.path(), "lib.rs");
    let root = graph
        .siblings()
        .remove(&Vec::new())
        .expect("the root has children");
    let uses = |m: &str| root[m].keys().cloned().collect::<Vec<_>>();
    assert_eq!(uses("a"), ["b"]);
    assert_eq!(uses("b"), ["a", "c"]);
    assert!(uses("c").is_empty());
    let found = cycles(&[("x", graph)]);
    let expected = BTreeMap::from([(
        "x: a, b".to_string(),
        vec!["a → b: a.rs:2".to_string(), "b → a: b.rs:1".to_string()],
    )]);
    assert_eq!(found, expected);
}

#[test]
fn architecture_shows_the_module_graph() {
    let path = crate::repository_root().join("ARCHITECTURE.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let graph = render(&graphs());
    let (Some(start), Some(end)) = (doc.find(START), doc.find(END)) else {
        panic!("ARCHITECTURE.md has no `{START}` … `{END}` lines");
    };
    let start = start + START.len();
    let expected = format!("{}\n```text\n{graph}\n```\n{}", &doc[..start], &doc[end..]);
    if doc == expected {
        return;
    }
    if std::env::var("DDHOOKS_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, expected)
            .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
        return;
    }
    panic!(
        "ARCHITECTURE.md's module graph is not the sources': run \
         `DDHOOKS_BLESS=1 cargo test -p ddhooks-core --test pure module_graph` to write \
         it again\n{graph}"
    );
}

/// No production source file is over 800 lines (issue 24): one that grows past it is split
/// by concern. Files holding only tests are not counted.
#[test]
fn no_production_source_file_is_over_800_lines() {
    let root = crate::repository_root();
    let mut long = Vec::new();
    for (_, graph) in graphs() {
        for file in graph.modules.values() {
            let text = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
            let tokens: Vec<TokenTree> = TokenStream::from_str(&text)
                .unwrap_or_else(|err| panic!("cannot tokenize {}: {err:?}", file.display()))
                .into_iter()
                .collect();
            let lines = text.lines().count();
            if !is_test_only_file(&tokens) && lines > 800 {
                long.push(format!("{}: {lines} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these by concern: {long:?}");
}
