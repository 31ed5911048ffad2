//! compose/ cannot run here (no Docker engine), so its files are checked against the
//! local stack: the same five servers on the same ports, each with a healthcheck.

use std::collections::BTreeMap;

use serde_yaml::Value;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Ports of scripts/stack, from the file it sources.
fn stack_ports() -> BTreeMap<String, u16> {
    let text =
        std::fs::read_to_string(root().join("scripts/stack.d/ports.env")).expect("ports.env");
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim().parse().expect("port number")))
        .collect()
}

fn published_ports(service: &Value) -> Vec<u16> {
    service["ports"]
        .as_sequence()
        .map(|ports| {
            ports
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|p| p.rsplit(':').nth(1).and_then(|host| host.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

fn check(file: &str, engine: &str) {
    let text = std::fs::read_to_string(root().join("compose").join(file)).expect(file);
    let doc: Value = serde_yaml::from_str(&text).expect("valid yaml");
    let services = doc["services"].as_mapping().expect("services");
    let ports = stack_ports();
    for (name, port) in [
        ("kafka", ports["KAFKA_PORT"]),
        (engine, ports["OPENSEARCH_PORT"]),
        ("ferretdb", ports["FERRETDB_PORT"]),
        ("mariadb", ports["MARIADB_PORT"]),
        ("versitygw", ports["S3_PORT"]),
    ] {
        let svc = services
            .get(name)
            .unwrap_or_else(|| panic!("{file}: no service {name}"));
        assert!(
            published_ports(svc).contains(&port),
            "{file}: {name} does not publish {port}"
        );
        assert!(
            svc.get("healthcheck").is_some(),
            "{file}: {name} has no healthcheck"
        );
        let image = svc["image"].as_str().unwrap_or_default();
        assert!(!image.is_empty(), "{file}: {name} has no image");
    }
}

#[test]
fn compose_matches_the_stack() {
    check("docker-compose.yml", "opensearch");
}

#[test]
fn compose_elasticsearch_variant_matches_the_stack() {
    check("docker-compose.elasticsearch.yml", "elasticsearch");
}
