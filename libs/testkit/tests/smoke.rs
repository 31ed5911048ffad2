//! Smoke tests: one real round trip through each server of the local stack, with
//! names no other run uses.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use futures::TryStreamExt;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;

#[tokio::test]
async fn kafka_produce_then_consume_in_a_group_with_manual_commit() -> Result<()> {
    testkit::init_tracing();
    let topic = testkit::unique("smoke");
    let group = testkit::unique("smoke-group");
    let admin: AdminClient<DefaultClientContext> = testkit::kafka_config().create()?;
    let created = admin
        .create_topics(
            [&NewTopic::new(&topic, 3, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await?;
    ensure!(
        created.iter().all(Result::is_ok),
        "create topic: {created:?}"
    );

    let producer: FutureProducer = testkit::kafka_config()
        .set("enable.idempotence", "true")
        .create()?;
    for i in 0..10 {
        let (key, payload) = (format!("k{i}"), format!("v{i}"));
        producer
            .send(
                FutureRecord::to(&topic).key(&key).payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .context("delivery")?;
    }

    let consumer: StreamConsumer = testkit::kafka_config()
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[&topic])?;
    let mut seen = Vec::new();
    while seen.len() < 10 {
        let m = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .context("no message within 30s")??;
        seen.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        consumer.commit_message(&m, CommitMode::Sync)?;
    }
    seen.sort();
    let want: Vec<String> = (0..10).map(|i| format!("v{i}")).collect();
    assert_eq!(seen, want);

    // the group's committed offsets add up to every message
    let committed = consumer.committed(Duration::from_secs(10))?;
    let total: i64 = committed
        .elements()
        .iter()
        .filter_map(|e| e.offset().to_raw())
        .sum();
    assert_eq!(total, 10);
    admin.delete_topics(&[&topic], &AdminOptions::new()).await?;
    Ok(())
}

#[tokio::test]
async fn search_engine_create_index_bulk_and_search() -> Result<()> {
    use elasticsearch::http::transport::Transport;
    use elasticsearch::indices::{IndicesCreateParts, IndicesDeleteParts};
    use elasticsearch::{BulkOperation, BulkParts, Elasticsearch, SearchParts};
    use serde_json::{json, Value};

    let es = Elasticsearch::new(Transport::single_node(&testkit::es_url())?);
    let index = testkit::unique("smoke");
    let r = es
        .indices()
        .create(IndicesCreateParts::Index(&index))
        .body(json!({
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {
                "title": {"type": "text", "analyzer": "english"},
                "year": {"type": "integer"}
            }}
        }))
        .send()
        .await?;
    ensure!(
        r.status_code().is_success(),
        "create index: {}",
        r.text().await?
    );

    let ops: Vec<BulkOperation<Value>> = vec![
        BulkOperation::index(json!({"title": "Running theses on tobacco", "year": 2017}))
            .id("a")
            .into(),
        BulkOperation::index(json!({"title": "A dissertation about bridges", "year": 2018}))
            .id("b")
            .into(),
    ];
    let r = es
        .bulk(BulkParts::Index(&index))
        .body(ops)
        .refresh(elasticsearch::params::Refresh::True)
        .send()
        .await?;
    let body: Value = r.json().await?;
    assert_eq!(body["errors"], json!(false), "{body}");

    // "run" matches "Running" only through the english analyzer's stemming
    let r = es
        .search(SearchParts::Index(&[&index]))
        .body(json!({"query": {"match": {"title": "run"}}}))
        .send()
        .await?;
    let body: Value = r.json().await?;
    let hits = body["hits"]["hits"].as_array().context("hits")?;
    assert_eq!(hits.len(), 1, "{body}");
    assert_eq!(hits[0]["_id"], "a");

    es.indices()
        .delete(IndicesDeleteParts::Index(&[&index]))
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn mongo_insert_and_find() -> Result<()> {
    use mongodb::bson::{doc, Document};

    let client = mongodb::Client::with_uri_str(testkit::mongo_url()).await?;
    let db = client.database(&testkit::unique_ident("smoke"));
    let coll = db.collection::<Document>("etds");
    coll.insert_many([
        doc! {"handle": "10919/1", "title": "one", "year": 2017},
        doc! {"handle": "10919/2", "title": "two", "year": 2018},
    ])
    .await?;
    let found: Vec<Document> = coll
        .find(doc! {"year": {"$gte": 2018}})
        .await?
        .try_collect()
        .await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].get_str("handle")?, "10919/2");
    db.drop().await?;
    Ok(())
}

#[tokio::test]
async fn mysql_create_insert_select() -> Result<()> {
    use sqlx::Connection;

    let mut conn = sqlx::MySqlConnection::connect(&testkit::mysql_url()).await?;
    let table = testkit::unique_ident("smoke");
    sqlx::query(&format!(
        "CREATE TABLE {table} (id VARCHAR(32) PRIMARY KEY, title TEXT NOT NULL, pages INT NOT NULL)"
    ))
    .execute(&mut conn)
    .await?;
    for (id, title, pages) in [("cfn05a00", "deposition", 12), ("abc123", "memo", 1)] {
        sqlx::query(&format!("INSERT INTO {table} VALUES (?, ?, ?)"))
            .bind(id)
            .bind(title)
            .bind(pages)
            .execute(&mut conn)
            .await?;
    }
    let rows: Vec<(String, i32)> = sqlx::query_as(&format!(
        "SELECT id, pages FROM {table} WHERE pages > ? ORDER BY id"
    ))
    .bind(5)
    .fetch_all(&mut conn)
    .await?;
    assert_eq!(rows, vec![("cfn05a00".to_owned(), 12)]);
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&mut conn)
        .await?;
    Ok(())
}
