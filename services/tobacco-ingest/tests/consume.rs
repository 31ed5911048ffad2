//! tobacco-ingest in its consume mode, as a process against the stack's broker: good
//! documents come out processed, keyed by id; malformed ones go to the dead-letter
//! topic with the reason; pages out of order are repaired; tens of megabytes of text
//! are cut, not fatal; nothing holds up the rest.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// key -> (payload, headers) of every message of a one-partition topic.
fn read(topic: &str, want: usize) -> HashMap<String, (serde_json::Value, HashMap<String, String>)> {
    let mut out = HashMap::new();
    testkit::Read::partitions(1).until(topic, |r| {
        if let Some(m) = r.last() {
            let payload = serde_json::from_slice(&m.payload).unwrap_or(serde_json::Value::Null);
            out.insert(m.key.clone(), (payload, m.headers.clone()));
        }
        out.len() >= want
    });
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn good_bad_disordered_and_huge_documents() {
    testkit::init_tracing();
    let (input, output, dlq) = (
        testkit::unique("raw-t"),
        testkit::unique("proc-t"),
        testkit::unique("dlq-t"),
    );
    testkit::create_topics_with(
        &[(&input, 1), (&output, 1), (&dlq, 1)],
        &[("max.message.bytes", "20000000")],
    )
    .await;

    let huge = "tobacco industry documents ".repeat(30 * 1024 * 1024 / 27);
    let messages: Vec<(&str, String)> = vec![
        ("tobacco:good1", r#"{"schema_version":1,"id":"tobacco:good1","document":{"Legacy_(LTDL2)_Tobacco_Id":"good1","Title":"Memo","Document_Date":"2 January 1998","Topic":"sales; marketing","text_content":[{"page":"2","content":"second"},{"page":"1","content":"1  first\t2  page\t3  end"}]}}"#.into()),
        ("bad-json", "{not json".into()),
        ("no-id", r#"{"schema_version":1,"id":"tobacco:","document":{}}"#.into()),
        ("tobacco:huge", format!(r#"{{"schema_version":1,"id":"tobacco:huge","document":{{"Legacy_(LTDL2)_Tobacco_Id":"huge","text_content":[{{"page":1,"content":"{huge}"}}]}}}}"#)),
        ("tobacco:good2", r#"{"schema_version":1,"id":"tobacco:good2","document":{"Legacy_(LTDL2)_Tobacco_Id":"good2"}}"#.into()),
    ];
    let producer: FutureProducer = testkit::kafka_config()
        .set("message.max.bytes", "100000000")
        .set("compression.type", "lz4")
        .create()
        .expect("producer");
    for (key, payload) in &messages {
        producer
            .send(
                FutureRecord::to(&input).key(*key).payload(payload),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("produce");
    }

    let _service = Service(
        Command::new(env!("CARGO_BIN_EXE_tobacco-ingest"))
            .env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
            .env("DOCSTREAM_INPUT_TOPICS", &input)
            .env("DOCSTREAM_OUTPUT_TOPIC", &output)
            .env("DOCSTREAM_DLQ_TOPIC", &dlq)
            .env("DOCSTREAM_GROUP_ID", testkit::unique("g"))
            .env("DOCSTREAM_HTTP_ADDR", "127.0.0.1:0")
            .env("DOCSTREAM_KAFKA__FETCH_MESSAGE_MAX_BYTES", "20000000")
            .env(
                "DOCSTREAM_LOG",
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn"),
    );

    let out = read(&output, 3);
    let good = &out["tobacco:good1"].0;
    assert_eq!(good["text"], "first\npage\nend\n\nsecond", "{good}");
    assert_eq!(good["date"], "1998-01-02");
    assert_eq!(good["topics"], serde_json::json!(["sales", "marketing"]));
    assert_eq!(
        good["repairs"][0],
        "pages were out of order: sorted by page number"
    );
    assert!(out.contains_key("tobacco:good2"));
    let huge = &out["tobacco:huge"].0;
    assert_eq!(huge["text"].as_str().map(str::len), Some(8 * 1024 * 1024));
    assert!(huge["repairs"][0]
        .as_str()
        .is_some_and(|r| r.starts_with("text cut")));

    let dead = read(&dlq, 2);
    let (_, h) = &dead["bad-json"];
    assert_eq!(h["docstream.error.kind"], "invalid");
    assert!(
        h["docstream.error"].starts_with("not valid json for RawTobacco"),
        "{h:?}"
    );
    let (_, h) = &dead["no-id"];
    assert!(
        h["docstream.error"].contains("invalid document id"),
        "{h:?}"
    );
    assert_eq!(h["docstream.service"], "tobacco-ingest");
}
