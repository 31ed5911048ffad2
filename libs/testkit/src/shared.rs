//! The library's real records in `../shared/data/cs5604-fek` (beside the checkout;
//! `DOCSTREAM_SHARED_DATA` names another folder). They are not in the repository, so
//! a test that reads them must say what happens when they are missing: under CI
//! (`CI` set) that is a failure naming the path; on a developer's machine the test is
//! skipped with the reason printed, never silently.

use std::path::{Path, PathBuf};

/// The folder of shared data this checkout would read.
fn folder() -> PathBuf {
    match std::env::var("DOCSTREAM_SHARED_DATA") {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cs5604-fek"),
    }
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The path of shared file `name`, or `None` (with the reason printed) when it is
/// missing outside CI. Under CI a missing file fails the test.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let path = folder().join(name);
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "{} is missing: the library's shared data (set DOCSTREAM_SHARED_DATA to its folder)",
        path.display()
    );
    assert!(!under_ci(), "{why}; CI must have it");
    eprintln!("skipping: {why}");
    None
}
