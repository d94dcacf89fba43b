//! The house's layering: no cycle between top-level modules. Reads the
//! `crate::` paths of every source file (in the style of rust-analyzer's
//! tidy tests), builds the graph of which top-level module uses which, and
//! fails on any cycle, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level module a file of `src/` belongs to (`None` for the crate
/// roots).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// The top-level modules named by `crate::` paths in `code` (comments cut),
/// including each item of a `use crate::{a, b::c}` group.
fn uses(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            found.insert(head(&item));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                found.insert(head(&item));
            } else {
                found.insert(head(rest));
            }
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// The first path segment of `path`.
fn head(path: &str) -> String {
    path.trim().split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_string()
}

/// Multi-line `use crate::{...}` groups joined onto one line.
fn joined(code: &str) -> String {
    let mut out = String::new();
    let mut open = 0i32;
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        if open > 0 || line.contains("use crate::{") {
            open += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        }
        out.push_str(line.trim());
        out.push(if open > 0 { ' ' } else { '\n' });
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
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
            let Some(module) = module_of(path.strip_prefix(&src).unwrap()) else { continue };
            let code = std::fs::read_to_string(&path).unwrap();
            let used = uses(&joined(&code));
            let entry = graph.entry(module.clone()).or_default();
            entry.extend(used.into_iter().filter(|m| *m != module));
        }
    }
    graph
}

/// Every cycle's modules, found by depth-first search (each reported once,
/// from its smallest module).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn walk(graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, found: &mut BTreeSet<Vec<String>>) {
        let last = path.last().unwrap().clone();
        for next in graph.get(&last).into_iter().flatten() {
            if let Some(at) = path.iter().position(|m| m == next) {
                let mut cycle = path[at..].to_vec();
                let min = cycle.iter().enumerate().min_by_key(|(_, m)| *m).unwrap().0;
                cycle.rotate_left(min);
                found.insert(cycle);
            } else if path.len() < 12 {
                path.push(next.clone());
                walk(graph, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        walk(graph, &mut vec![start.clone()], &mut found);
    }
    found.into_iter().collect()
}

#[test]
fn the_parser_reads_paths_and_groups() {
    let code = "use crate::a::B;\nuse crate::{\n    b::C,\n    c::{D, E},\n};\nfn f() { crate::d::g(); } // crate::e\n";
    let got: Vec<String> = uses(&joined(code)).into_iter().collect();
    assert_eq!(got, ["a", "b", "c", "d"]);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string(), "c".to_string()]));
    assert_eq!(cycles(&g), [vec!["a".to_string(), "b".to_string()]]);
}

#[test]
fn no_cycle_between_top_level_modules() {
    let graph = graph();
    assert!(graph.len() > 10, "the modules were read: {:?}", graph.keys());
    let found = cycles(&graph);
    assert!(found.is_empty(), "cycles between top-level modules: {found:?}");
}
