//! The MongoDB source against the stack's FerretDB: 1,000 records, the source killed
//! midway and restarted, every record in raw.etds; an update publishes the record
//! again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use contracts::RawEtd;
use mongodb::bson::{doc, DateTime, Document};

fn spawn(db: &str, topic: &str, name: &str) -> testkit::Service {
    testkit::Service::spawn_with_args(
        env!("CARGO_BIN_EXE_etd-ingest"),
        &["source"],
        &[
            ("DOCSTREAM_MONGO_URL", &testkit::mongo_url()),
            ("DOCSTREAM_MONGO_DATABASE", db),
            ("DOCSTREAM_SOURCE_TOPIC", topic),
            ("DOCSTREAM_SOURCE_NAME", name),
            ("DOCSTREAM_SOURCE_DELAY_MS", "500"),
            ("DOCSTREAM_SOURCE_POLL_MS", "200"),
            ("DOCSTREAM_SOURCE_BATCH", "50"),
        ],
    )
}

/// Titles seen per id, in order: at least `want` messages, then on while more come
/// (a kill re-sends some, so `want` messages can be fewer than `want` records).
fn read(topic: &str, want: usize, timeout: Duration) -> HashMap<String, Vec<String>> {
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    testkit::Read::partitions(3)
        .timeout(timeout)
        .settle(Duration::from_millis(500))
        .at_least(topic, want)
        .iter()
        .filter(|m| !m.payload.is_empty())
        .for_each(|m| {
            let raw: RawEtd = contracts::decode(&m.payload).expect("raw etd");
            let title = raw
                .metadata
                .title
                .as_ref()
                .and_then(|t| t.first().cloned())
                .unwrap_or_default();
            seen.entry(raw.id.to_string()).or_default().push(title);
        });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_across_a_kill_and_updates_publish_again() {
    testkit::init_tracing();
    let db = testkit::unique_ident("etds");
    let topic = testkit::unique("raw-etds");
    let name = testkit::unique("etd-source");
    testkit::create_topics(&[(&topic, 3)]).await;
    let client = mongodb::Client::with_uri_str(testkit::mongo_url())
        .await
        .expect("mongo");
    let etds = client.database(&db).collection::<Document>("etds");
    // 1,000 records in batches, many sharing a timestamp (ms precision)
    for chunk in 0..10 {
        let now = DateTime::now();
        let docs: Vec<Document> = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                doc! {
                    "title-none": format!("Thesis {n}"),
                    "contributor-author": "Doe, Jane",
                    "identifier-uri": format!("http://hdl.handle.net/10919/{}", 50_000 + n),
                    "updated_at": now,
                }
            })
            .collect();
        etds.insert_many(docs).await.expect("insert");
    }

    let mut source = spawn(&db, &topic, &name);
    // kill it midway
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let published = source.metric("docstream_etd_source_messages_processed_total");
        if published >= 200.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "source published {published} in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    source.sigkill();
    let _source = spawn(&db, &topic, &name);
    let seen = read(&topic, 1000, Duration::from_secs(90));
    assert_eq!(seen.len(), 1000, "records missing from raw.etds");
    let total: usize = seen.values().map(Vec::len).sum();
    assert!(
        total < 2000,
        "the restart re-sent the whole collection: {total}"
    );

    // an update publishes the record again
    etds.update_one(
        doc! { "identifier-uri": "http://hdl.handle.net/10919/50007" },
        doc! { "$set": { "title-none": "Thesis 7, revised", "updated_at": DateTime::now() } },
    )
    .await
    .expect("update");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = read(&topic, total + 1, Duration::from_secs(5));
        if seen
            .get("etd:10919/50007")
            .is_some_and(|t| t.last().map(String::as_str) == Some("Thesis 7, revised"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "the update was not published");
    }

    // a withdrawal (the writer sets `withdrawn` and bumps the timestamp) publishes
    // the record's tombstone: its id, no value
    etds.update_one(
        doc! { "identifier-uri": "http://hdl.handle.net/10919/50008" },
        doc! { "$set": { "withdrawn": true, "updated_at": DateTime::now() } },
    )
    .await
    .expect("withdraw");
    let records = testkit::Read::partitions(3)
        .timeout(Duration::from_secs(60))
        .until(&topic, |r| {
            r.iter()
                .any(|m| m.key == "etd:10919/50008" && m.payload.is_empty())
        });
    assert!(
        records
            .iter()
            .any(|m| m.key == "etd:10919/50008" && m.payload.is_empty()),
        "no tombstone for the withdrawn thesis"
    );
    let _ = client.database(&db).drop().await;
}
