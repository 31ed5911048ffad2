//! The workspace's layering, as docs/ARCHITECTURE.md draws it: each crate's normal
//! (non-dev) dependencies on docstream crates are within what its role allows. No
//! service imports another; the CLI reads settings without the runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// crate folder (libs/x, services/x, cli, loadtest) -> its package name.
fn crates() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for dir in ["libs", "services"] {
        for e in std::fs::read_dir(root().join(dir)).expect(dir) {
            let p = e.expect("entry").path();
            if p.join("Cargo.toml").exists() {
                let name = p.file_name().and_then(|n| n.to_str()).expect("name");
                out.insert(format!("{dir}/{name}"), package_name(&p));
            }
        }
    }
    for dir in ["cli", "loadtest"] {
        out.insert(dir.to_owned(), package_name(&root().join(dir)));
    }
    out
}

fn package_name(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
    text.lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("package name")
        .to_owned()
}

/// The names under `[dependencies]` of a crate.
fn dependencies(dir: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).expect("Cargo.toml");
    let mut inside = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn crates_import_only_what_their_role_allows() {
    let crates = crates();
    let ours: BTreeSet<&str> = crates.values().map(String::as_str).collect();
    let services: BTreeSet<&str> = crates
        .iter()
        .filter(|(dir, _)| dir.starts_with("services/"))
        .map(|(_, n)| n.as_str())
        .collect();
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("settings", &[][..]),
        ("topics", &[]),
        ("contracts", &[]),
        ("dates", &[]),
        ("textclean", &[]),
        ("samples", &[]),
        ("embed", &[]),
        ("cluster", &[]),
        ("summarize", &[]),
        ("recommend", &[]),
        ("testkit", &[]),
        ("runtime", &["settings", "topics", "contracts"]),
        ("searchindex", &["settings", "contracts"]),
        ("blobstore", &["settings"]),
        ("deploy", &["settings", "topics"]),
        ("toy", &["runtime"]),
        (
            "docstream-cli",
            &[
                "settings",
                "topics",
                "contracts",
                "searchindex",
                "blobstore",
                "deploy",
                "samples",
                "embed",
                "cluster",
                "summarize",
                "recommend",
            ],
        ),
    ]);
    let service_may: &[&str] = &[
        "settings",
        "topics",
        "contracts",
        "dates",
        "textclean",
        "runtime",
        "searchindex",
        "blobstore",
        "embed",
        "cluster",
        "summarize",
        "recommend",
    ];
    for (dir, name) in &crates {
        let uses: Vec<String> = dependencies(dir)
            .into_iter()
            .filter(|d| ours.contains(d.as_str()))
            .collect();
        let may: &[&str] = if services.contains(name.as_str()) {
            service_may
        } else if name == "loadtest" {
            continue; // benchmarks measure anything
        } else {
            allowed.get(name.as_str()).unwrap_or_else(|| {
                panic!("{dir}: a new crate; give it a row in docs/ARCHITECTURE.md and here")
            })
        };
        for d in &uses {
            assert!(
                may.contains(&d.as_str()),
                "{dir} depends on {d}; its role allows {may:?} (docs/ARCHITECTURE.md)"
            );
        }
    }
    assert!(services.len() >= 3, "found services {services:?}");
}
