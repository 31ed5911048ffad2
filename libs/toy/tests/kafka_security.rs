//! Security against a broker that enforces it: the stack's SASL_SSL listener (TLS with
//! the stack's CA, SCRAM-SHA-512 users). A service on the runtime (the toy) and the CLI
//! work with the right credentials; with a wrong password, or trusting a CA that did
//! not sign the broker's certificate, each stops at start with a message naming the
//! setting to fix, and never prints the secret.

mod common;

use std::time::Duration;

use testkit::run_until_exit;

use common::{wait_for_output, Topics};

const WRONG_PASSWORD: &str = "not-the-password-4f1c";

/// The SASL_SSL settings with `change` applied.
fn sasl_vars(change: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars = testkit::kafka_sasl_vars();
    for (k, v) in change {
        match vars.iter_mut().find(|(name, _)| name == k) {
            Some(var) => var.1 = (*v).to_owned(),
            None => vars.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    vars
}

fn refused_clearly(stderr: &str, setting: &str, what: &str) {
    assert!(
        stderr.contains("refused the connection") && stderr.contains(setting),
        "{what}: the message does not name {setting}:\n{stderr}"
    );
    for secret in [WRONG_PASSWORD, "docstream-scram-secret"] {
        assert!(
            !stderr.contains(secret),
            "{what}: a secret printed:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sasl_ssl_listener_takes_the_right_credentials_and_refuses_others_clearly() {
    let t = Topics::create(2).await;
    let toy = env!("CARGO_BIN_EXE_toy-upper");
    let cli = testkit::workspace_binary("docstream");
    let own = [
        ("DOCSTREAM_INPUT_TOPICS", t.input.as_str()),
        ("DOCSTREAM_OUTPUT_TOPIC", t.output.as_str()),
        ("DOCSTREAM_DLQ_TOPIC", t.dlq.as_str()),
        ("DOCSTREAM_GROUP_ID", t.group.as_str()),
    ];
    let with = |change: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v = sasl_vars(change);
        v.extend(own.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        v
    };

    // the right credentials: the service consumes and produces through SASL_SSL
    t.produce("sec", 0..50).await;
    let right = with(&[]);
    let refs: Vec<(&str, &str)> = right
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let service = testkit::Service::spawn(toy, &refs);
    wait_for_output(&t.output, 2, 50, Duration::from_secs(90));
    let (ok, err) = run_until_exit(
        &cli,
        &["topics", "plan", "--file", "../../topics.yaml"],
        &right,
    );
    assert!(ok, "the CLI with the right credentials failed:\n{err}");
    drop(service);

    // a wrong password, and a CA that did not sign the broker's certificate: the service
    // and the CLI stop at start, naming the setting
    let ca = testkit::untrusted_ca();
    for (setting, value, what) in [
        (
            "DOCSTREAM_KAFKA_SASL_PASSWORD",
            WRONG_PASSWORD,
            "a wrong password",
        ),
        (
            "DOCSTREAM_KAFKA_SSL_CA_LOCATION",
            ca.as_str(),
            "an untrusted CA",
        ),
    ] {
        let vars = with(&[(setting, value)]);
        let (ok, err) = run_until_exit(toy, &[], &vars);
        assert!(!ok, "the service ran with {what}");
        refused_clearly(&err, setting, &format!("service, {what}"));
        let (ok, err) = run_until_exit(
            &cli,
            &["topics", "plan", "--file", "../../topics.yaml"],
            &vars,
        );
        assert!(!ok, "the CLI ran with {what}");
        refused_clearly(&err, setting, &format!("CLI, {what}"));
    }
}
