//! Containers cannot be built here (no Docker engine), so their files are checked
//! against the workspace: every service has a Dockerfile that builds and runs a binary
//! the workspace builds, as a non-root user, exposing the port the runtime serves on;
//! and compose/ runs every service.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (service folder name, its binary names) for every crate under services/.
fn services() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("services")).expect("services/") {
        let dir = entry.expect("entry").path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        // the package's default binary has the package name (no [[bin]] sections)
        assert!(
            !manifest.contains("[[bin]]"),
            "{name}: expected one default binary"
        );
        assert!(dir.join("src/main.rs").exists(), "{name}: no src/main.rs");
        out.push((name.clone(), vec![name]));
    }
    assert!(!out.is_empty(), "no services found");
    out
}

/// The port the runtime serves /metrics, /livez and /readyz on by default.
fn runtime_port() -> u16 {
    let defaults = runtime::Defaults {
        input_topics: &["any"],
        output_topic: None,
        max_in_flight: None,
    };
    runtime::RuntimeConfig::from_vars("any", &defaults, &std::collections::BTreeMap::new())
        .expect("default config")
        .http_addr
        .port()
}

#[test]
fn every_service_has_a_dockerfile_for_its_binary_and_port() {
    let port = runtime_port();
    for (service, bins) in services() {
        let path = root().join("services").join(&service).join("Dockerfile");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{service}: no Dockerfile"));
        let bin = &bins[0];
        assert!(
            text.contains(&format!("cargo build --release --locked -p {service}")),
            "{service}: does not build its crate"
        );
        assert!(
            text.contains(&format!("target/release/{bin}")),
            "{service}: does not copy target/release/{bin}"
        );
        assert!(
            text.contains(&format!("ENTRYPOINT [\"/usr/local/bin/{bin}\"]")),
            "{service}: entrypoint is not {bin}"
        );
        assert_eq!(
            text.matches("\nFROM ").count() + usize::from(text.starts_with("FROM ")),
            2,
            "{service}: not multi-stage"
        );
        assert!(
            text.contains("\nUSER 10001"),
            "{service}: does not run as a non-root user"
        );
        assert!(
            text.contains(&format!("EXPOSE {port}")),
            "{service}: does not expose the runtime's port {port}"
        );
        assert!(
            text.contains(&format!("DOCSTREAM_HTTP_ADDR=0.0.0.0:{port}")),
            "{service}: http address"
        );
    }
}

#[test]
fn compose_runs_every_service() {
    for file in ["docker-compose.yml", "docker-compose.elasticsearch.yml"] {
        let text = std::fs::read_to_string(root().join("compose").join(file)).expect(file);
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("yaml");
        let declared = doc["services"].as_mapping().expect("services");
        for (service, _) in services() {
            let svc = declared
                .get(service.as_str())
                .unwrap_or_else(|| panic!("{file}: no service {service}"));
            assert_eq!(
                svc["build"]["dockerfile"].as_str(),
                Some(format!("services/{service}/Dockerfile").as_str()),
                "{file}: {service} is not built from its Dockerfile"
            );
            assert_eq!(
                svc["read_only"].as_bool(),
                Some(true),
                "{file}: {service} root filesystem"
            );
            let brokers = svc["environment"]["DOCSTREAM_KAFKA_BROKERS"]
                .as_str()
                .unwrap_or_default();
            assert_eq!(
                brokers, "kafka:19092",
                "{file}: {service} must use the broker's internal listener"
            );
        }
    }
}
