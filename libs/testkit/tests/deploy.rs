//! Containers cannot be built here (no Docker engine), so their files are checked
//! against the workspace: one Dockerfile builds any service named by a build argument
//! and runs its binary as the non-root user, exposing the port the runtime serves on
//! (both `settings::facts`); compose/ builds and runs every service with its packages.

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
    let defaults = runtime::Defaults::topics(&["any"], None);
    runtime::RuntimeConfig::from_vars("any", &defaults, &std::collections::BTreeMap::new())
        .expect("default config")
        .http_addr
        .port()
}

/// The packages a service runs besides its binary (`PACKAGES` of its image).
fn packages(service: &str) -> &'static [&'static str] {
    match service {
        // pdftotext and pdftoppm, tesseract, prlimit
        "etd-ingest" => &[
            "poppler-utils",
            "tesseract-ocr",
            "tesseract-ocr-eng",
            "util-linux",
        ],
        _ => &[],
    }
}

#[test]
fn one_dockerfile_builds_every_service_as_a_build_argument() {
    let port = runtime_port();
    assert_eq!(port, settings::facts::HTTP_PORT);
    let text = std::fs::read_to_string(root().join("services/Dockerfile")).expect("Dockerfile");
    for (service, _) in services() {
        assert!(
            !root()
                .join("services")
                .join(&service)
                .join("Dockerfile")
                .exists(),
            "{service}: its own Dockerfile; services/Dockerfile builds every service"
        );
    }
    for want in [
        "ARG SERVICE",
        "cargo build --release --locked -p \"$SERVICE\"",
        "cp \"target/release/$SERVICE\" \"/usr/local/bin/$SERVICE\"",
        "COPY --from=build /usr/local/bin/$SERVICE /usr/local/bin/$SERVICE",
        "ln -s \"/usr/local/bin/$SERVICE\" /usr/local/bin/docstream-service",
        "ENTRYPOINT [\"/usr/local/bin/docstream-service\"]",
        "apt-get install -y --no-install-recommends ca-certificates libssl3 zlib1g $PACKAGES",
    ] {
        assert!(text.contains(want), "services/Dockerfile lacks {want:?}");
    }
    assert_eq!(
        text.matches("\nFROM ").count() + usize::from(text.starts_with("FROM ")),
        2,
        "not multi-stage"
    );
    let uid = settings::facts::CONTAINER_UID;
    assert!(
        text.contains(&format!("--uid {uid} ")) && text.contains(&format!("\nUSER {uid}:{uid}")),
        "does not run as the non-root user {uid}"
    );
    assert!(
        text.contains(&format!("EXPOSE {port}")),
        "does not expose {port}"
    );
    assert!(
        text.contains(&format!("DOCSTREAM_HTTP_ADDR=0.0.0.0:{port}")),
        "http address"
    );
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
                Some("services/Dockerfile"),
                "{file}: {service} is not built from services/Dockerfile"
            );
            let args = &svc["build"]["args"];
            assert_eq!(
                args["SERVICE"].as_str(),
                Some(service.as_str()),
                "{file}: {service} is built as another service"
            );
            let installed: Vec<&str> = args["PACKAGES"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            for p in packages(&service) {
                assert!(installed.contains(p), "{file}: {service}'s image lacks {p}");
            }
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
