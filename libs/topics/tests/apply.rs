//! `topics::apply` against the stack's real broker: creates, is idempotent, raises
//! partitions, and refuses what Kafka cannot do without touching anything.

use topics::{apply, current_state, Action, Error, TopicsFile};

fn file(name: &str, partitions: i32, rf: i32, retention: i64) -> TopicsFile {
    TopicsFile::parse(&format!(
        "topics:\n  - {{name: {name}, partitions: {partitions}, replication_factor: {rf}, retention_ms: {retention}, cleanup_policy: compact, key: k, message_type: T, producers: [], consumers: []}}\n"
    ))
    .expect("valid topics file")
}

#[tokio::test]
async fn apply_creates_then_changes_nothing_then_raises_and_refuses() {
    testkit::init_tracing();
    let config = testkit::kafka_config();
    let name = testkit::unique("topics-apply");

    let first = apply(&config, &file(&name, 2, 1, -1))
        .await
        .expect("first apply");
    assert!(matches!(first.plan.actions[..], [Action::Create { .. }]));

    let state = current_state(&config, &file(&name, 2, 1, -1))
        .await
        .expect("state");
    let t = &state[&name];
    assert_eq!(t.partitions, 2);
    assert_eq!(t.configs["cleanup.policy"], "compact");
    assert_eq!(t.configs["retention.ms"], "-1");

    let second = apply(&config, &file(&name, 2, 1, -1))
        .await
        .expect("second apply");
    assert!(
        second.changed_nothing(),
        "second run planned {:?}",
        second.plan
    );

    let raised = apply(&config, &file(&name, 4, 1, 86_400_000))
        .await
        .expect("raise");
    assert_eq!(raised.plan.actions.len(), 2, "{:?}", raised.plan);
    let state = current_state(&config, &file(&name, 4, 1, -1))
        .await
        .expect("state");
    assert_eq!(state[&name].partitions, 4);
    assert_eq!(state[&name].configs["retention.ms"], "86400000");

    let err = apply(&config, &file(&name, 3, 1, 86_400_000))
        .await
        .expect_err("shrinking must be refused");
    assert!(matches!(err, Error::Impossible(_)));
    assert!(err.to_string().contains("cannot shrink (4 -> 3)"), "{err}");
    let err = apply(&config, &file(&name, 4, 3, 86_400_000))
        .await
        .expect_err("a replication change must be refused");
    assert!(
        err.to_string().contains("replication factor cannot change"),
        "{err}"
    );

    // nothing changed by the refused runs
    let state = current_state(&config, &file(&name, 4, 1, -1))
        .await
        .expect("state");
    assert_eq!(state[&name].partitions, 4);
    assert_eq!(state[&name].replication_factor, 1);
}
