//! Bad input for any consuming service: a corpus of messages no service should choke
//! on (malformed JSON, wrong types, a newer schema version, a huge payload, nesting
//! past any parser's depth, invalid UTF-8, empty and absent values, another topic's
//! message, a wrong key), sent between good ones, and the check that each bad one is
//! dead-lettered with its kind and reason (or, for a wrong key, processed under the
//! document's own id) while the good ones are processed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

/// One message of the corpus.
#[derive(Debug, Clone)]
pub struct Bad {
    /// What is wrong with it (and its key, so its dead letter can be found).
    pub name: &'static str,
    pub payload: Option<Vec<u8>>,
    /// May be processed rather than dead-lettered (a wrong key: the output is keyed
    /// by the document's own id).
    pub may_pass: bool,
}

/// The corpus, built around a valid message of the service's input type (`good`, a
/// JSON object with a `schema_version`).
pub fn corpus(good: &Value) -> Vec<Bad> {
    let with = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = good.clone();
        if let Some(o) = v.as_object_mut() {
            f(o);
        }
        Some(serde_json::to_vec(&v).unwrap_or_default())
    };
    let bad = |name, payload: Option<Vec<u8>>| Bad {
        name,
        payload,
        may_pass: false,
    };
    let huge = format!("\"{}", "x".repeat(6 << 20));
    vec![
        bad(
            "malformed-json",
            Some(b"{\"schema_version\": 1, \"id\": ".to_vec()),
        ),
        bad("not-json", Some(b"%PDF-1.4 binary".to_vec())),
        bad(
            "wrong-types",
            with(&|o| {
                o.insert("schema_version".into(), Value::String("one".into()));
            }),
        ),
        bad(
            "newer-version",
            with(&|o| {
                o.insert("schema_version".into(), Value::from(99));
            }),
        ),
        bad(
            "no-version",
            with(&|o| {
                o.remove("schema_version");
            }),
        ),
        bad("array-not-object", Some(b"[1, 2, 3]".to_vec())),
        bad("huge-unterminated", Some(huge.into_bytes())),
        bad("deeply-nested", Some("[".repeat(100_000).into_bytes())),
        bad(
            "invalid-utf8",
            Some(vec![b'{', b'"', 0xff, 0xfe, 0xfd, b'"', b'}']),
        ),
        bad("empty-bytes", Some(Vec::new())),
        // a tombstone: a withdrawal when the key is a document id (passed on or
        // deleted), invalid otherwise
        Bad {
            name: "absent-value",
            payload: None,
            may_pass: true,
        },
        bad("null-json", Some(b"null".to_vec())),
        bad(
            "another-topics-message",
            Some(br#"{"schema_version":1,"data":{"dataset":"tobacco"}}"#.to_vec()),
        ),
        Bad {
            name: "wrong-key",
            payload: Some(serde_json::to_vec(good).unwrap_or_default()),
            may_pass: true,
        },
    ]
}

/// What [`check`] found.
#[derive(Debug)]
pub struct Outcome {
    /// Bad messages dead-lettered: name → (kind, reason).
    pub dead: HashMap<String, (String, String)>,
    /// Bad messages processed instead (only those that may be).
    pub passed: Vec<String>,
}

/// Sends `good[0]`, the corpus, then the rest of `good` to `input` (keys: the good
/// ones' own, the bad ones' `key_prefix` and name: a prefix that makes a valid
/// document id gets a service that checks its keys to read the payload), waits until the service's counters account for
/// every message (`processed` is its `…_messages_processed_total` prefix, read from
/// `service`), and checks every bad one is dead-lettered to `dlq` with its kind and a
/// reason, or passed when it may, and no good one is dead-lettered.
pub async fn check(
    service: &crate::Service,
    metric_prefix: &str,
    input: &str,
    dlq: &str,
    good: &[(String, Vec<u8>)],
    bad: &[Bad],
    key_prefix: &str,
) -> Outcome {
    let producer: FutureProducer = crate::kafka_config()
        .set("message.max.bytes", "20000000")
        .set("compression.type", "lz4")
        .create()
        .expect("producer");
    let send = |key: String, payload: Option<Vec<u8>>| {
        let producer = producer.clone();
        let topic = input.to_owned();
        async move {
            let mut r = FutureRecord::to(&topic).key(&key);
            if let Some(p) = &payload {
                r = r.payload(p);
            }
            producer
                .send(r, Duration::from_secs(30))
                .await
                .map_err(|(e, _)| e)
                .unwrap_or_else(|e| panic!("produce {key}: {e}"));
        }
    };
    let (first, rest) = good.split_first().expect("at least one good message");
    send(first.0.clone(), Some(first.1.clone())).await;
    for b in bad {
        send(format!("{key_prefix}{}", b.name), b.payload.clone()).await;
    }
    for (k, p) in rest {
        send(k.clone(), Some(p.clone())).await;
    }
    let total = (good.len() + bad.len()) as f64;
    let processed = format!("{metric_prefix}_messages_processed_total");
    let dead_lettered = format!("{metric_prefix}_messages_dead_lettered_total");
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let done = service.metric(&processed) + service.metric(&dead_lettered);
        if done >= total {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 180 s the service accounts for {done} of {total} messages"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let want_dead = bad.iter().filter(|b| !b.may_pass).count();
    let records = crate::Read::partitions(1)
        .timeout(Duration::from_secs(30))
        .settle(Duration::from_secs(1))
        .at_least(dlq, want_dead);
    let mut dead = HashMap::new();
    for r in &records {
        let kind = r
            .headers
            .get("docstream.error.kind")
            .cloned()
            .unwrap_or_default();
        let reason = r
            .headers
            .get("docstream.error")
            .cloned()
            .unwrap_or_default();
        let name = r.key.strip_prefix(key_prefix).unwrap_or(&r.key).to_owned();
        dead.insert(name, (kind, reason));
    }
    for (k, _) in good {
        assert!(
            !dead.contains_key(k),
            "good message {k} was dead-lettered: {:?}",
            dead[k]
        );
    }
    let mut passed = Vec::new();
    for b in bad {
        match dead.get(b.name) {
            Some((kind, reason)) => {
                assert_eq!(kind, "invalid", "{}: {reason}", b.name);
                assert!(!reason.trim().is_empty(), "{}: no reason", b.name);
                assert!(
                    reason.len() < 2000,
                    "{}: a reason of {} bytes",
                    b.name,
                    reason.len()
                );
            }
            None if b.may_pass => passed.push(b.name.to_owned()),
            None => panic!(
                "{} was neither dead-lettered nor allowed through: {dead:?}",
                b.name
            ),
        }
    }
    Outcome { dead, passed }
}
