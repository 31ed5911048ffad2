//! The search engine goes away under load: the stack's OpenSearch is stopped for 60
//! seconds while documents keep arriving. The indexer reports not-ready, retries,
//! dead-letters nothing, and when the engine is back every document is searchable
//! and every offset committed. (Its own test binary: it stops a shared server.)

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{tobacco, Setup};

fn stack(cmd: &str) {
    let script: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/stack");
    let status = Command::new(script)
        .arg(cmd)
        .env("DOCSTREAM_STACK_COMPONENTS", "opensearch")
        .status()
        .expect("scripts/stack");
    assert!(status.success(), "scripts/stack {cmd} opensearch failed");
}

/// Brings OpenSearch back even when the test fails half-way.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        stack("up");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_outage_of_60_seconds_loses_and_skips_nothing() {
    let s = Setup::new().await;
    let indexer = s.spawn(&[("DOCSTREAM_INDEXER_RETRY_MAX_MS", "2000")]);
    let total = 3000usize;

    // documents keep arriving for ~90 s: before, during and after the outage
    let producer = {
        let topic = s.tobacco.clone();
        tokio::spawn(async move {
            let p: rdkafka::producer::FutureProducer =
                testkit::kafka_config().create().expect("producer");
            let started = Instant::now();
            for i in 0..total {
                let id = format!("o{i}");
                p.send(
                    rdkafka::producer::FutureRecord::to(&topic)
                        .key(&format!("tobacco:{id}"))
                        .payload(&tobacco(&id, "Outage", "2000-01-01")),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)
                .expect("produce");
                // 3000 over 90 s
                let due = Duration::from_millis(30 * (i as u64 + 1));
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
        })
    };

    tokio::time::sleep(Duration::from_secs(10)).await;
    let before = s.count("tobacco").await;
    assert!(before > 0, "nothing indexed before the outage");
    let _restore = Restore;
    stack("down");
    let down_at = Instant::now();

    // not ready while the engine is away (probed every 5 s)
    let mut not_ready = false;
    while down_at.elapsed() < Duration::from_secs(30) {
        if indexer.get("/readyz").0 == 503 {
            not_ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        not_ready,
        "the indexer stayed ready while the engine was down"
    );
    tokio::time::sleep(Duration::from_secs(60).saturating_sub(down_at.elapsed())).await;
    assert!(indexer.child.id() > 0);
    stack("up");

    producer.await.expect("producer");
    let n = s
        .wait_count("tobacco", total as u64, Duration::from_secs(180))
        .await;
    assert_eq!(n, total as u64, "documents missing after the outage");
    assert!(s.dead_letters(0).is_empty(), "something was dead-lettered");
    let committed = s.wait_committed(&s.tobacco, total as i64, Duration::from_secs(30));
    assert_eq!(committed, total as i64);
    let ready_deadline = Instant::now() + Duration::from_secs(30);
    while indexer.get("/readyz").0 != 200 && Instant::now() < ready_deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        indexer.get("/readyz").0,
        200,
        "not ready after the engine came back"
    );
    assert!(indexer.metric("docstream_indexer_sink_requests_total{outcome=\"retried\"}") > 0.0);
}
