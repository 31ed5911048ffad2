//! What integration tests share: where the local stack's servers are (the same
//! `DOCSTREAM_*` variables the services read, defaulting to `scripts/stack`'s ports),
//! names that never collide between runs, and tracing that stays quiet unless
//! `TEST_LOG` is set.
//!
//! Tests that need a server fail when it is not there: `scripts/test` brings the
//! stack up first, so a missing server is a real failure, never a silent skip.

mod kafka;
pub mod poison;
mod read;
mod service;
mod shared;

use std::sync::Once;

pub use kafka::{committed, create_topics, create_topics_with, reader, send};
pub use read::{Read, Record};
pub use service::{free_port, run_until_exit, workspace_binary, Service};
pub use shared::shared_data;

use rdkafka::config::ClientConfig;

/// Kafka bootstrap servers of the local stack.
pub fn kafka_brokers() -> String {
    var("DOCSTREAM_KAFKA_BROKERS", "127.0.0.1:9092")
}

/// The `DOCSTREAM_KAFKA_*` variables that reach the local stack's SASL_SSL listener
/// (SCRAM-SHA-512, the stack's CA), as `scripts/stack env` prints its parts.
pub fn kafka_sasl_vars() -> Vec<(String, String)> {
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.stack/kafka/tls/ca.crt");
    [
        (
            "DOCSTREAM_KAFKA_BROKERS",
            var("STACK_KAFKA_SASL_BROKERS", "127.0.0.1:9094"),
        ),
        ("DOCSTREAM_KAFKA_SECURITY_PROTOCOL", "sasl_ssl".into()),
        ("DOCSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512".into()),
        (
            "DOCSTREAM_KAFKA_SASL_USERNAME",
            var("STACK_KAFKA_SCRAM_USER", "docstream"),
        ),
        (
            "DOCSTREAM_KAFKA_SASL_PASSWORD",
            var("STACK_KAFKA_SCRAM_PASSWORD", "docstream-scram-secret"),
        ),
        (
            "DOCSTREAM_KAFKA_SSL_CA_LOCATION",
            var("STACK_KAFKA_CA", &ca.display().to_string()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The `DOCSTREAM_ES_*` variables that reach the local stack's secured engine node
/// (`opensearch_secure`: the security plugin, HTTPS with the stack's CA, basic
/// authentication).
pub fn engine_secure_vars() -> Vec<(String, String)> {
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.stack/opensearch_secure/config/root-ca.pem");
    [
        (
            "DOCSTREAM_ES_URL",
            var("STACK_ENGINE_SECURE_URL", "https://127.0.0.1:9210"),
        ),
        (
            "DOCSTREAM_ES_CA_LOCATION",
            var("STACK_ENGINE_CA", &ca.display().to_string()),
        ),
        (
            "DOCSTREAM_ES_USERNAME",
            var("STACK_ENGINE_USER", "docstream"),
        ),
        (
            "DOCSTREAM_ES_PASSWORD",
            var("STACK_ENGINE_PASSWORD", "docstream-engine-secret"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A CA certificate of its own (made by openssl in a fresh temporary folder) that
/// signed nothing the stack's servers have: its path, for untrusted-certificate tests.
pub fn untrusted_ca() -> String {
    let dir = std::env::temp_dir().join(unique("untrusted-ca"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (key, crt) = (dir.join("ca.key"), dir.join("ca.crt"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=not the stack CA", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(ok.success(), "openssl made no CA");
    crt.display().to_string()
}

/// Base URL of the Elasticsearch-API engine of the local stack.
pub fn es_url() -> String {
    var("DOCSTREAM_ES_URL", "http://127.0.0.1:9200")
}

/// MongoDB-wire URL of the local stack (FerretDB).
pub fn mongo_url() -> String {
    var("DOCSTREAM_MONGO_URL", "mongodb://127.0.0.1:27017/")
}

/// MySQL-wire URL of the local stack (MariaDB), with the stack's test user.
pub fn mysql_url() -> String {
    var(
        "DOCSTREAM_MYSQL_URL",
        "mysql://docstream:docstream@127.0.0.1:3306/docstream",
    )
}

/// The `DOCSTREAM_S3_*` variables of the local stack's S3 server (versitygw), as
/// `scripts/stack env` prints them, into `vars` (a service's or a tool's settings).
pub fn s3_vars() -> Vec<(String, String)> {
    [
        ("DOCSTREAM_S3_ENDPOINT", "http://127.0.0.1:7070"),
        ("DOCSTREAM_S3_BUCKET", "docstream"),
        ("DOCSTREAM_S3_REGION", "us-east-1"),
        ("DOCSTREAM_S3_ACCESS_KEY_ID", "docstream"),
        ("DOCSTREAM_S3_SECRET_ACCESS_KEY", "docstream-secret"),
    ]
    .into_iter()
    .map(|(k, d)| (k.to_owned(), var(k, d)))
    .collect()
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A name no other test or run uses: `<prefix>-<random>`, lowercase, safe for topics,
/// indices, groups, databases (with `_` for `-` where needed) and tables.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

/// [`unique`] with underscores, for SQL and MongoDB names.
pub fn unique_ident(prefix: &str) -> String {
    unique(prefix).replace('-', "_")
}

/// A client config pointing at the stack's broker.
pub fn kafka_config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", kafka_brokers());
    c
}

/// A message's headers as text, by name (for checking dead letters).
pub fn header_map(m: &impl rdkafka::Message) -> std::collections::HashMap<String, String> {
    use rdkafka::message::Headers;
    m.headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    let value = String::from_utf8_lossy(h.value.unwrap_or_default());
                    (h.key.to_owned(), value.into_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Turns tracing on for tests when `TEST_LOG` is set (to a filter such as `debug`).
pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_keep_their_prefix() {
        let (a, b) = (unique("t"), unique("t"));
        assert_ne!(a, b);
        assert!(a.starts_with("t-") && a.len() == 14);
        assert!(!unique_ident("a-b").contains('-'));
    }
}
