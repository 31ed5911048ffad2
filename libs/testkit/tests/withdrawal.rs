//! A withdrawn document leaves search, end to end, through the real processes: two
//! tobacco records in MariaDB go through tobacco-source, tobacco-ingest, the
//! summarizer and the indexer into OpenSearch; one is re-designated (its row's
//! `withdrawn` set true, the timestamp bumped); its tombstone goes down every topic
//! (raw, processed, summaries), the indexer deletes it, the other stays searchable, and
//! a late summary of the withdrawn one (a piece in flight) does not bring it back
//! into search. The keyed topics are compacted (as `topics.yaml` makes them, with
//! segments rolled every second so the log cleaner works within the test): at the
//! end raw and processed hold nothing of the withdrawn document, not even its
//! tombstone.

use std::time::{Duration, Instant};

use sqlx::mysql::MySqlPoolOptions;

/// Documents of `alias` that searches show, by id.
async fn searchable(alias: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let body = serde_json::json!({"size": 100, "query": {"bool": {"filter": searchindex::query::visible()}}});
    let r: serde_json::Value = http
        .post(format!("{}/{alias}/_search", testkit::es_url()))
        .json(&body)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    let mut ids: Vec<String> = r["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

async fn until_searchable(alias: &str, want: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = searchable(alias).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "searchable {now:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_document_leaves_search_and_every_topic_carries_its_tombstone() {
    testkit::init_tracing();
    let table = testkit::unique_ident("withdraw");
    let (raw, processed, summaries, dlq) = (
        testkit::unique("wd-raw"),
        testkit::unique("wd-processed"),
        testkit::unique("wd-summaries"),
        testkit::unique("wd-dlq"),
    );
    // compacted like topics.yaml's keyed topics; small segments and a short tombstone
    // retention so the broker's cleaner (every 15 s) forgets within the test
    testkit::create_topics_with(
        &[(&raw, 1), (&processed, 1), (&summaries, 1)],
        &[
            ("cleanup.policy", "compact"),
            ("segment.ms", "1000"),
            ("min.cleanable.dirty.ratio", "0.01"),
            ("delete.retention.ms", "1000"),
        ],
    )
    .await;
    testkit::create_topics(&[(&dlq, 1)]).await;
    let prefix = testkit::unique_ident("wd");
    let pool = MySqlPoolOptions::new()
        .max_connections(2)
        .connect(&testkit::mysql_url())
        .await
        .expect("mysql");
    sqlx::query(&samples::mariadb::create_tobacco_table(&table))
        .execute(&pool)
        .await
        .expect("create table");
    let text = samples::text::deposition(1, 60)
        .replace('"', "'")
        .replace('\n', " ");
    for id in ["wd1", "wd2"] {
        let doc = serde_json::json!({"Legacy_(LTDL2)_Tobacco_Id": id, "Title": format!("Memo {id}"),
            "text_content": [{"page": 1, "content": text}]});
        sqlx::query(&format!("INSERT INTO {table} (document) VALUES (?)"))
            .bind(doc.to_string())
            .execute(&pool)
            .await
            .expect("insert");
    }

    let es = testkit::es_url();
    let name = testkit::unique("wd-source");
    let _source = testkit::Service::spawn_with_args(
        &testkit::workspace_binary("tobacco-ingest"),
        &["source"],
        &[
            ("DOCSTREAM_MYSQL_URL", &testkit::mysql_url()),
            ("DOCSTREAM_SOURCE_TABLE", &table),
            ("DOCSTREAM_SOURCE_NAME", &name),
            ("DOCSTREAM_SOURCE_TOPIC", &raw),
            ("DOCSTREAM_SOURCE_DELAY_MS", "200"),
            ("DOCSTREAM_SOURCE_POLL_MS", "100"),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
        ],
    );
    let group = |s: &str| testkit::unique(&format!("wd-{s}"));
    let (g1, g2, g3) = (group("ingest"), group("summarizer"), group("indexer"));
    let _ingest = testkit::Service::spawn(
        &testkit::workspace_binary("tobacco-ingest"),
        &[
            ("DOCSTREAM_INPUT_TOPICS", &raw),
            ("DOCSTREAM_OUTPUT_TOPIC", &processed),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
            ("DOCSTREAM_GROUP_ID", &g1),
        ],
    );
    let _summarizer = testkit::Service::spawn(
        &testkit::workspace_binary("summarizer"),
        &[
            ("DOCSTREAM_INPUT_TOPICS", &processed),
            ("DOCSTREAM_OUTPUT_TOPIC", &summaries),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
            ("DOCSTREAM_GROUP_ID", &g2),
        ],
    );
    let inputs = format!("{processed},{summaries}");
    let _indexer = testkit::Service::spawn(
        &testkit::workspace_binary("indexer"),
        &[
            ("DOCSTREAM_INPUT_TOPICS", &inputs),
            ("DOCSTREAM_INDEXER_TOPIC_TOBACCO", &processed),
            ("DOCSTREAM_INDEXER_TOPIC_SUMMARIES", &summaries),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
            ("DOCSTREAM_GROUP_ID", &g3),
            ("DOCSTREAM_ES_URL", &es),
            ("DOCSTREAM_ES_INDEX_PREFIX", &prefix),
        ],
    );
    let alias = format!("{prefix}-tobacco");
    until_searchable(&alias, &["tobacco:wd1", "tobacco:wd2"]).await;

    // wd1 is re-designated: withdrawn, in the same write that bumps its timestamp
    sqlx::query(&format!(
        "UPDATE {table} SET document = JSON_SET(document, '$.withdrawn', true) \
         WHERE JSON_EXTRACT(document, '$.\"Legacy_(LTDL2)_Tobacco_Id\"') = 'wd1'"
    ))
    .execute(&pool)
    .await
    .expect("withdraw");
    until_searchable(&alias, &["tobacco:wd2"]).await;

    // every topic keyed by document ends with the tombstone of the withdrawn one
    for topic in [&raw, &processed, &summaries] {
        let records = testkit::Read::partitions(1).until(topic, |r| {
            r.iter()
                .any(|m| m.key == "tobacco:wd1" && m.payload.is_empty())
        });
        let last = records
            .iter()
            .rev()
            .find(|m| m.key == "tobacco:wd1")
            .expect("wd1");
        assert!(
            last.payload.is_empty(),
            "{topic}: the last message of wd1 is its tombstone"
        );
    }
    let dead = testkit::Read::partitions(1)
        .timeout(Duration::from_secs(2))
        .until(&dlq, |r| !r.is_empty());
    assert!(
        dead.is_empty(),
        "nothing dead-lettered: {:?}",
        dead.iter().map(|d| &d.headers).collect::<Vec<_>>()
    );

    // a summary of wd1 that was in flight arrives after the deletion: the piece is
    // stored, but searches do not show a document that has only pieces
    let late = serde_json::json!({"schema_version": 1, "id": "tobacco:wd1", "summary": "late",
        "sections": [], "model": "test"});
    let producer: rdkafka::producer::FutureProducer =
        testkit::kafka_config().create().expect("producer");
    testkit::send(
        &producer,
        &summaries,
        "tobacco:wd1",
        late.to_string().as_bytes(),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(searchable(&alias).await, ["tobacco:wd2"]);

    // compaction forgets the withdrawn document: its record and then its tombstone
    // leave raw and processed (the late summary is the newest value of its key in
    // summaries, so compaction rightly keeps that one). Tombstones of a document that
    // never existed roll the segments (the cleaner skips the active one) and pass
    // harmlessly through the pipeline.
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut n = 0;
    loop {
        n += 1;
        producer
            .send(
                rdkafka::producer::FutureRecord::<str, [u8]>::to(&raw)
                    .key(&format!("tobacco:roll{n}")),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("roll");
        let left: Vec<(String, usize)> = [&raw, &processed]
            .iter()
            .map(|topic| {
                let records = testkit::Read::partitions(1)
                    .timeout(Duration::from_secs(2))
                    .until(topic, |_| false);
                let wd1 = records.iter().filter(|m| m.key == "tobacco:wd1").count();
                ((*topic).clone(), wd1)
            })
            .collect();
        if left.iter().all(|(_, c)| *c == 0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "records of the withdrawn document still in {left:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // and the document that stays is still there
    let kept = testkit::Read::partitions(1)
        .timeout(Duration::from_secs(2))
        .until(&processed, |r| r.iter().any(|m| m.key == "tobacco:wd2"));
    assert!(kept
        .iter()
        .any(|m| m.key == "tobacco:wd2" && !m.payload.is_empty()));
}
