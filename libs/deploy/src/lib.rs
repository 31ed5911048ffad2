//! Kubernetes manifests for every docstream service, generated from three inputs: the
//! workspace (each crate under `services/` is an image), `topics.yaml` (what each
//! deployment consumes, and the Strimzi topics) and `k8s/services.yaml` (what an
//! operator edits: replicas, resources, lag threshold, environment, secrets, where
//! Kafka, the search engine and the databases are). Core objects are `k8s-openapi`
//! types; KEDA, Prometheus-operator and Strimzi objects are typed here ([`crd`]).
//! [`generate`] is pure: it returns every file's path and text.

pub mod alerts;
pub mod crd;
pub mod dashboards;
mod error;
mod manifests;
pub mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{Error, Result};
pub use manifests::{generate, watched, Inputs};
pub use settings::Settings;

/// Reads the three inputs from a checkout.
pub fn read_inputs(root: &Path) -> Result<Inputs> {
    let settings_path = root.join("k8s/services.yaml");
    let text = std::fs::read_to_string(&settings_path).map_err(|source| Error::Read {
        path: settings_path.display().to_string(),
        source,
    })?;
    let settings: Settings = serde_yaml::from_str(&text)
        .map_err(|e| Error::Invalid(format!("{}: {e}", settings_path.display())))?;
    let topics = topics::TopicsFile::load(root.join("topics.yaml"))
        .map_err(|e| Error::Invalid(format!("topics.yaml: {e}")))?;
    Ok(Inputs {
        settings,
        topics,
        crates: service_crates(root)?,
    })
}

/// The crates under `services/` (each builds one image of the same name).
pub fn service_crates(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("services");
    let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    out.sort();
    Ok(out)
}

/// Writes generated files under `root`, removing generated files no longer produced.
pub fn write(root: &Path, files: &BTreeMap<PathBuf, String>) -> Result<()> {
    for old in generated_files(root)? {
        if !files.contains_key(&old) {
            let _ = std::fs::remove_file(root.join(&old));
        }
    }
    for (path, text) in files {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&full, text).map_err(|source| Error::Write {
            path: full.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

/// What differs between `files` and the checkout: missing, different, or generated
/// files no longer produced.
pub fn stale(root: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (path, text) in files {
        match std::fs::read_to_string(root.join(path)) {
            Ok(on_disk) if &on_disk == text => {}
            Ok(_) => out.push(format!("{} differs", path.display())),
            Err(_) => out.push(format!("{} is missing", path.display())),
        }
    }
    for old in generated_files(root)? {
        if !files.contains_key(&old) {
            out.push(format!("{} is no longer generated", old.display()));
        }
    }
    Ok(out)
}

/// Files under `k8s/` that carry the generated header, and the dashboards (JSON, no
/// header), relative to `root`.
pub fn generated_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("k8s")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.starts_with(root.join("k8s/dashboards"))
                || std::fs::read_to_string(&p).is_ok_and(|t| t.starts_with(manifests::HEADER))
            {
                if let Ok(rel) = p.strip_prefix(root) {
                    out.push(rel.to_path_buf());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
