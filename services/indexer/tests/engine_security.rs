//! The search engine's credentials and certificate against a node that enforces
//! them: the stack's `opensearch_secure` (OpenSearch's security plugin: HTTPS with the
//! stack's CA, basic authentication). The indexer and the CLI work with the right CA,
//! user and password; with a wrong password, none, or a CA that did not sign the
//! engine's certificate, each stops at start with a message naming the settings,
//! never printing a secret.

mod common;

use std::time::{Duration, Instant};

use common::{tobacco, Setup};
use elasticsearch::GetParts;
use serde_json::Value;

const WRONG_PASSWORD: &str = "not-the-engine-password-81b2";

/// The secured node's settings with one changed.
fn changed(name: &str, value: &str) -> Vec<(String, String)> {
    testkit::engine_secure_vars()
        .into_iter()
        .map(|(k, v)| {
            if k == name {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect()
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
    let right = testkit::engine_secure_vars();
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
    let secure = searchindex::EngineSettings::from_vars(&right.iter().cloned().collect())
        .expect("settings")
        .client()
        .expect("client");
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
    let wrong = changed("DOCSTREAM_ES_PASSWORD", WRONG_PASSWORD);
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
        .filter(|(k, _)| {
            !k.starts_with("DOCSTREAM_ES_USERNAME") && !k.starts_with("DOCSTREAM_ES_PASSWORD")
        })
        .cloned()
        .collect();
    let (ok, err) = testkit::run_until_exit(&cli, &["search", "Guarded"], &with_prefix(&none));
    assert!(!ok, "the CLI searched without credentials");
    assert!(err.contains("none set"), "{err}");

    // a CA that did not sign the engine's certificate: both stop, naming the CA setting
    let untrusted = changed("DOCSTREAM_ES_CA_LOCATION", &testkit::untrusted_ca());
    for (what, program, args, vars) in [
        ("indexer", indexer.to_owned(), vec![], env(&untrusted)),
        (
            "CLI",
            cli.clone(),
            vec!["search", "Guarded"],
            with_prefix(&untrusted),
        ),
    ] {
        let (ok, err) = testkit::run_until_exit(&program, &args, &vars);
        assert!(!ok, "the {what} trusted an engine its CA did not sign");
        assert!(
            err.contains("TLS to the search engine") && err.contains("DOCSTREAM_ES_CA_LOCATION"),
            "{what}: the message does not name the CA setting:\n{err}"
        );
        assert!(
            !err.contains("docstream-engine-secret"),
            "{what}: a secret printed"
        );
    }
}
