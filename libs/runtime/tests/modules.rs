//! The runtime's modules form no import loop: every `crate::<module>` path in a
//! module names another module (never the crate root's re-exports, which would hide
//! a loop), and following those paths never comes back to where it started.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// module -> the modules it names with `crate::<module>`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        if name == "lib" || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        // code only: doc links may name the crate root's re-exports
        let text: String = std::fs::read_to_string(&path)
            .expect("module")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut named = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
                .collect();
            named.insert(word);
        }
        out.insert(name, named);
    }
    out
}

fn visit<'a>(
    m: &'a str,
    graph: &'a BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
) {
    if done.contains(m) {
        return;
    }
    if let Some(at) = path.iter().position(|p| *p == m) {
        panic!("import loop: {} -> {m}", path[at..].join(" -> "));
    }
    path.push(m);
    for n in &graph[m] {
        visit(n, graph, path, done);
    }
    path.pop();
    done.insert(m);
}

#[test]
fn modules_import_modules_and_never_in_a_loop() {
    let graph = imports();
    assert!(graph.len() > 10, "found only {:?}", graph.keys());
    for (module, named) in &graph {
        for n in named {
            assert!(
                graph.contains_key(n),
                "{module}.rs imports crate::{n}, which is not a module (import from the module that defines it)"
            );
        }
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}
