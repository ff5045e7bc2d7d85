//! The engine's modules should import each other without cycles: at every level of the
//! module tree, the sibling modules' imports should form a directed acyclic graph. A module
//! may use its ancestors and descendants freely (a parent declares its children); between
//! siblings, a cycle means a type lives in the wrong place (issue 16). Those left are
//! listed, and none may be added.
//!
//! A small reader of `src/`, not a parser: it finds `crate::a::b` and `super::a` paths
//! (outside comments), including the names inside `{…}` groups, and lifts each reference
//! to the two siblings below the modules' common ancestor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`["evidence", "disk"]`) of every library source file.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let mut parts: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            // The binary (main.rs, cli/) is another crate; lib.rs is the root.
            if parts.first().is_some_and(|p| p == "main" || p == "cli") {
                continue;
            }
            if parts == ["lib"] {
                parts.clear();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The code of a file without `//` comments (doc comments cite paths too).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path a file names: `crate::…` and `super::…` paths, resolved against the
/// file's own module, with each name of a `{…}` group tried as a continuation.
fn references(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for (start, prefix) in [("crate::", 0usize), ("super::", 1usize)] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            // Part of a longer identifier (`my_crate::`)?
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let mut base: Vec<String> = if prefix == 0 {
                Vec::new()
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            // Further `super::` steps.
            let mut rest = &code[from..];
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            let path_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let mut path = base.clone();
            path.extend(
                rest[..path_end]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
            found.push(path.clone());
            if rest[path_end..].starts_with('{') {
                let group_end = matching_brace(&rest[path_end..]);
                for name in rest[path_end + 1..path_end + group_end]
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|s| !s.is_empty())
                {
                    let mut p = path.clone();
                    p.push(name.to_string());
                    found.push(p);
                }
            }
        }
    }
    found
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// The longest prefix of `path` that is a module.
fn module_of<'a>(
    path: &[String],
    known: &'a BTreeMap<Vec<String>, PathBuf>,
) -> Option<&'a Vec<String>> {
    (0..=path.len())
        .rev()
        .find_map(|n| known.get_key_value(&path[..n]).map(|(k, _)| k))
}

/// A cycle in `edges`, if any, as the modules on it.
fn find_cycle(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    return Some(stack[from..].to_vec());
                }
                Some(_) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if !state.contains_key(node) {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, edges, &mut state, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The sibling edges of the library: `(a, b)` where `a` and `b` share a parent and
/// something in `a` (or below it) names something in `b` (or below it).
fn sibling_edges(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let known = modules(src);
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, path) in &known {
        for reference in references(module, &code(path)) {
            let Some(target) = module_of(&reference, &known) else {
                continue;
            };
            let common = module
                .iter()
                .zip(target)
                .take_while(|(a, b)| a == b)
                .count();
            // An ancestor or a descendant: allowed.
            if common == module.len() || common == target.len() {
                continue;
            }
            let from = module[..=common].to_vec();
            let to = target[..=common].to_vec();
            edges.entry(from).or_default().insert(to);
        }
    }
    edges
}

#[test]
fn no_import_cycle_between_sibling_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = sibling_edges(&src);
    assert!(
        edges.len() > 10,
        "the reader found too few imports: {edges:?}"
    );
    // Each cycle found is cut at its first edge and the search goes on, so that one run
    // names every cycle.
    let mut edges = edges;
    let mut cycles = Vec::new();
    while let Some(cycle) = find_cycle(&edges) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        cycles.push(names.join(" → "));
        let next = cycle.get(1).unwrap_or(&cycle[0]).clone();
        edges.get_mut(&cycle[0]).unwrap().remove(&next);
    }
    assert!(
        cycles.is_empty(),
        "import cycles between sibling modules (a type lives in the wrong module): {cycles:#?}"
    );
}

#[test]
fn the_reader_sees_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::b::{self, B};\n").unwrap();
    std::fs::create_dir(src.join("b")).unwrap();
    std::fs::write(src.join("b/mod.rs"), "mod inner;\n").unwrap();
    std::fs::write(src.join("b/inner.rs"), "use super::super::a::A;\n").unwrap();
    let cycle = find_cycle(&sibling_edges(src)).expect("a → b → a");
    assert_eq!(cycle.len(), 2);
}
