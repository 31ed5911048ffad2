//! The MySQL source against the stack's MariaDB and Kafka: 10,000 rows written by 4
//! concurrent writers, some inside slow transactions and many sharing one timestamp,
//! the source killed and restarted in the middle, then updates; every row, and the
//! latest version of every updated row, arrives in the raw topic.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::mysql::MySqlPoolOptions;

const WRITERS: usize = 4;
const PER_WRITER: usize = 2500;
const PER_STATEMENT: usize = 50;

/// The source process, killed when dropped (also when a test panics).
struct Source(Child);

impl Source {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_source(table: &str, topic: &str, name: &str) -> Source {
    Source(
        Command::new(env!("CARGO_BIN_EXE_tobacco-ingest"))
            .arg("source")
            .env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
            .env("DOCSTREAM_MYSQL_URL", testkit::mysql_url())
            .env("DOCSTREAM_SOURCE_TABLE", table)
            .env("DOCSTREAM_SOURCE_NAME", name)
            .env("DOCSTREAM_SOURCE_TOPIC", topic)
            .env("DOCSTREAM_SOURCE_DELAY_MS", "3000")
            .env("DOCSTREAM_SOURCE_POLL_MS", "100")
            .env("DOCSTREAM_SOURCE_BATCH", "300")
            .env("DOCSTREAM_HTTP_ADDR", "127.0.0.1:0")
            .env(
                "DOCSTREAM_LOG",
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env("DOCSTREAM_LOG_FORMAT", "text")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn the source"),
    )
}

/// id -> titles in the order they arrived.
fn read(
    topic: &str,
    until: impl Fn(&HashMap<String, Vec<String>>) -> bool,
    timeout: Duration,
) -> HashMap<String, Vec<String>> {
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    testkit::Read::partitions(3)
        .timeout(timeout)
        .until(topic, |r| {
            if let Some(m) = r.last() {
                let v = m.json();
                let id = v["document"]["Legacy_(LTDL2)_Tobacco_Id"]
                    .as_str()
                    .unwrap_or_default();
                assert_eq!(format!("tobacco:{id}"), m.key);
                let title = v["document"]["Title"].as_str().unwrap_or_default();
                seen.entry(m.key.clone())
                    .or_default()
                    .push(title.to_owned());
            }
            until(&seen)
        });
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn every_row_arrives_across_slow_transactions_shared_timestamps_and_a_kill() {
    testkit::init_tracing();
    let table = testkit::unique_ident("tobacco");
    let topic = testkit::unique("raw-tobacco");
    let name = testkit::unique("source");
    testkit::create_topics(&[(&topic, 3)]).await;
    let pool = MySqlPoolOptions::new()
        .max_connections(8)
        .connect(&testkit::mysql_url())
        .await
        .expect("mysql");
    sqlx::query(&samples::mariadb::create_tobacco_table(&table))
        .execute(&pool)
        .await
        .expect("create table");

    let mut source = spawn_source(&table, &topic, &name);
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (pool, table) = (pool.clone(), table.clone());
            tokio::spawn(async move {
                for chunk in 0..PER_WRITER / PER_STATEMENT {
                    let mut tx = pool.begin().await.expect("begin");
                    // one statement: its rows share one CURRENT_TIMESTAMP(6)
                    let values: Vec<String> = (0..PER_STATEMENT)
                        .map(|i| {
                            let id = format!("w{w}r{}", chunk * PER_STATEMENT + i);
                            format!("('{{\"Legacy_(LTDL2)_Tobacco_Id\": \"{id}\", \"Title\": \"v1\"}}')")
                        })
                        .collect();
                    sqlx::query(&format!("INSERT INTO {table} (document) VALUES {}", values.join(",")))
                        .execute(&mut *tx)
                        .await
                        .expect("insert");
                    if chunk % 7 == 3 {
                        // a slow transaction: its rows' timestamps are older than its commit
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                    }
                    tx.commit().await.expect("commit");
                }
            })
        })
        .collect();

    // kill the source in the middle of the stream, then start it again
    let some = read(&topic, |s| s.len() >= 2000, Duration::from_secs(60));
    assert!(
        some.len() >= 2000,
        "only {} rows before the kill",
        some.len()
    );
    source.kill();
    let mut source = spawn_source(&table, &topic, &name);
    for w in writers {
        w.await.expect("writer");
    }

    // an update publishes the row again
    sqlx::query(&format!(
        "UPDATE {table} SET document = JSON_SET(document, '$.Title', 'v2') WHERE seq % 100 = 0"
    ))
    .execute(&pool)
    .await
    .expect("update");
    let updated: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT CAST(JSON_UNQUOTE(JSON_EXTRACT(document, '$.\"Legacy_(LTDL2)_Tobacco_Id\"')) AS CHAR) FROM {table} WHERE seq % 100 = 0"
    ))
    .fetch_all(&pool)
    .await
    .expect("updated ids");
    assert_eq!(updated.len(), WRITERS * PER_WRITER / 100);

    let total = WRITERS * PER_WRITER;
    let seen = read(
        &topic,
        |s| {
            s.len() >= total
                && updated.iter().all(|id| {
                    s.get(&format!("tobacco:{id}"))
                        .and_then(|v| v.last())
                        .is_some_and(|t| t == "v2")
                })
        },
        Duration::from_secs(120),
    );
    source.kill();
    let missing: Vec<String> = (0..WRITERS)
        .flat_map(|w| (0..PER_WRITER).map(move |r| format!("tobacco:w{w}r{r}")))
        .filter(|k| !seen.contains_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} rows lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    for id in &updated {
        let versions = &seen[&format!("tobacco:{id}")];
        assert_eq!(
            versions.last().map(String::as_str),
            Some("v2"),
            "{id}: {versions:?}"
        );
    }
    // an update that lands before the row was first read coalesces with it, so the
    // messages are at least one per row and one more per update that was seen apart
    let messages: usize = seen.values().map(Vec::len).sum();
    eprintln!(
        "{} rows, {} updated, {messages} messages",
        seen.len(),
        updated.len()
    );
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&pool)
        .await
        .expect("drop");
}
