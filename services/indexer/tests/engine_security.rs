//! The search engine's credentials against a node that enforces them: the stack's
//! `opensearch_secure` (OpenSearch's security plugin, basic authentication). The
//! indexer and the CLI work with the right user and password; with a wrong password
//! each stops at start with a message naming the settings, never printing a secret.

mod common;

use std::time::{Duration, Instant};

use common::{tobacco, Setup};
use elasticsearch::auth::Credentials;
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::{Elasticsearch, GetParts};
use serde_json::Value;

const WRONG_PASSWORD: &str = "not-the-engine-password-81b2";

fn with_password(password: Option<&str>) -> Vec<(String, String)> {
    testkit::engine_secure_vars()
        .into_iter()
        .map(|(k, v)| match (k.as_str(), password) {
            ("DOCSTREAM_ES_PASSWORD", Some(p)) => (k, p.to_owned()),
            _ => (k, v),
        })
        .collect()
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    vars.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn refused_clearly(stderr: &str, what: &str) {
    assert!(
        stderr.contains("refused the credentials")
            && stderr.contains("DOCSTREAM_ES_USERNAME and DOCSTREAM_ES_PASSWORD"),
        "{what}: the message does not name the settings:\n{stderr}"
    );
    for secret in [WRONG_PASSWORD, "docstream-engine-secret"] {
        assert!(
            !stderr.contains(secret),
            "{what}: a secret printed:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_secured_engine_takes_the_right_password_and_refuses_a_wrong_one_clearly() {
    let s = Setup::new().await;
    let right = with_password(None);
    let env = |vars: &[(String, String)]| -> Vec<(String, String)> {
        let mut all = s.env();
        all.push(("DOCSTREAM_KAFKA_BROKERS".into(), testkit::kafka_brokers()));
        all.extend(vars.iter().cloned());
        all
    };

    // the right password: the indexer sets up its layout and indexes a document
    let pairs: Vec<(&str, &str)> = right
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let indexer = s.spawn(&pairs);
    s.send(
        &s.tobacco,
        "tobacco:sec1",
        &tobacco("sec1", "Guarded", "2001-02-03"),
    )
    .await;
    let transport = TransportBuilder::new(SingleNodeConnectionPool::new(
        var(&right, "DOCSTREAM_ES_URL").parse().expect("url"),
    ))
    .auth(Credentials::Basic(
        var(&right, "DOCSTREAM_ES_USERNAME").to_owned(),
        var(&right, "DOCSTREAM_ES_PASSWORD").to_owned(),
    ))
    .build()
    .expect("transport");
    let secure = Elasticsearch::new(transport);
    let alias = s.alias("tobacco");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut found = None;
    while Instant::now() < deadline && found.is_none() {
        if let Ok(r) = secure
            .get(GetParts::IndexId(&alias, "tobacco:sec1"))
            .send()
            .await
        {
            if r.status_code().is_success() {
                found = r.json::<Value>().await.ok();
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let doc = found.expect("the document indexed through the secured engine");
    assert_eq!(doc["_source"]["title"], "Guarded");
    drop(indexer);
    let cli = testkit::workspace_binary("docstream");
    let with_prefix = |vars: &[(String, String)]| {
        let mut v = vars.to_vec();
        v.push(("DOCSTREAM_ES_INDEX_PREFIX".into(), s.prefix.clone()));
        v
    };
    let (ok, err) = testkit::run_until_exit(&cli, &["search", "Guarded"], &with_prefix(&right));
    assert!(ok, "the CLI with the right password failed:\n{err}");

    // a wrong password: the indexer and the CLI stop at start, naming the settings
    let wrong = with_password(Some(WRONG_PASSWORD));
    let indexer = env!("CARGO_BIN_EXE_indexer");
    let (ok, err) = testkit::run_until_exit(indexer, &[], &env(&wrong));
    assert!(!ok, "the indexer ran with a wrong password");
    refused_clearly(&err, "indexer");
    let (ok, err) = testkit::run_until_exit(&cli, &["search", "Guarded"], &with_prefix(&wrong));
    assert!(!ok, "the CLI searched with a wrong password");
    refused_clearly(&err, "CLI");
    // and no credentials at all: the same, saying none were set
    let none: Vec<(String, String)> = right
        .iter()
        .filter(|(k, _)| k == "DOCSTREAM_ES_URL")
        .cloned()
        .collect();
    let (ok, err) = testkit::run_until_exit(&cli, &["search", "Guarded"], &with_prefix(&none));
    assert!(!ok, "the CLI searched without credentials");
    assert!(err.contains("none set"), "{err}");
}
