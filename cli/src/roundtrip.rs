//! `docstream roundtrip`: one record produced to Kafka, consumed back by a consumer
//! group, indexed into the search engine and found by a search. A check that a
//! deployment's Kafka and search engine work together; the demo shows it.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use elasticsearch::http::transport::Transport;
use elasticsearch::indices::{IndicesCreateParts, IndicesDeleteParts};
use elasticsearch::{Elasticsearch, IndexParts, SearchParts};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;
use serde_json::{json, Value};

/// Runs the round trip and prints each step.
pub async fn run(kafka: &ClientConfig, es_url: &str) -> Result<()> {
    let t0 = Instant::now();
    let tag = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let name = format!("docstream-roundtrip-{tag}");
    let word = format!("zebra{tag}");

    let admin: AdminClient<DefaultClientContext> = kafka.create()?;
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for r in admin
        .create_topics(
            [&NewTopic::new(&name, 1, TopicReplication::Fixed(1))],
            &opts,
        )
        .await?
    {
        r.map_err(|(t, code)| anyhow::anyhow!("create topic {t}: {code}"))?;
    }
    let result = travel(kafka, es_url, &name, &word).await;
    let _ = admin.delete_topics(&[&name], &opts).await;
    let es = Elasticsearch::new(Transport::single_node(es_url)?);
    let _ = es
        .indices()
        .delete(IndicesDeleteParts::Index(&[&name]))
        .send()
        .await;
    result?;
    println!("round trip ok in {:.1}s", t0.elapsed().as_secs_f64());
    Ok(())
}

async fn travel(kafka: &ClientConfig, es_url: &str, name: &str, word: &str) -> Result<()> {
    let record = json!({
        "id": format!("etd:roundtrip/{word}"),
        "title": format!("A thesis about the {word} and its stripes"),
        "collection": "etds",
    });
    let producer: FutureProducer = kafka.clone().set("enable.idempotence", "true").create()?;
    let rdkafka::producer::future_producer::Delivery {
        partition, offset, ..
    } = producer
        .send(
            FutureRecord::to(name)
                .key(record["id"].as_str().unwrap_or_default())
                .payload(&record.to_string()),
            Duration::from_secs(15),
        )
        .await
        .map_err(|(e, _)| e)
        .context("produce")?;
    println!(
        "1. produced {} to {name} [{partition}] at offset {offset}",
        record["id"]
    );

    let consumer: StreamConsumer = kafka
        .clone()
        .set("group.id", name)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(&[name])?;
    let msg = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
        .await
        .context("nothing consumed within 30s")??;
    let doc: Value = serde_json::from_slice(msg.payload().unwrap_or_default())?;
    ensure!(doc == record, "consumed a different record: {doc}");
    consumer.commit_message(&msg, CommitMode::Sync)?;
    println!(
        "2. consumed it back in group {name} and committed offset {}",
        msg.offset() + 1
    );

    let es = Elasticsearch::new(Transport::single_node(es_url)?);
    let r = es
        .indices()
        .create(IndicesCreateParts::Index(name))
        .body(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                     "mappings": {"properties": {"title": {"type": "text", "analyzer": "english"}}}}))
        .send()
        .await?;
    ensure!(
        r.status_code().is_success(),
        "create index: {}",
        r.text().await?
    );
    let id = doc["id"].as_str().unwrap_or_default();
    let r = es
        .index(IndexParts::IndexId(name, id))
        .body(&doc)
        .refresh(elasticsearch::params::Refresh::WaitFor)
        .send()
        .await?;
    ensure!(r.status_code().is_success(), "index: {}", r.text().await?);
    println!("3. indexed it into {name} as {id}");

    let r = es
        .search(SearchParts::Index(&[name]))
        .body(json!({"query": {"match": {"title": word}}, "highlight": {"fields": {"title": {}}}}))
        .send()
        .await?;
    let body: Value = r.json().await?;
    let Some(hit) = body["hits"]["hits"].get(0) else {
        bail!("search for {word} found nothing: {body}");
    };
    println!(
        "4. searched for \"{word}\": found {} — {}",
        hit["_id"],
        hit["highlight"]["title"][0].as_str().unwrap_or_default()
    );
    Ok(())
}
