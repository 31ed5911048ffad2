//! Kafka helpers the benchmarks share: topics, filling an input, counting an output.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};

pub fn config(brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c
}

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

pub async fn create_topics(brokers: &str, names: &[&str], partitions: i32) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = config(brokers).create()?;
    let topics: Vec<_> = names
        .iter()
        .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1)))
        .collect();
    for r in admin.create_topics(&topics, &AdminOptions::new()).await? {
        r.map_err(|(t, e)| anyhow::anyhow!("create {t}: {e}"))?;
    }
    Ok(())
}

pub async fn delete_topics(brokers: &str, names: &[&str]) {
    if let Ok(admin) = config(brokers).create::<AdminClient<DefaultClientContext>>() {
        let _ = admin.delete_topics(names, &AdminOptions::new()).await;
    }
}

/// Produces `n` messages made by `make(i) -> (key, payload)`.
pub async fn fill(
    brokers: &str,
    topic: &str,
    n: usize,
    make: impl Fn(usize) -> (String, Vec<u8>),
) -> Result<()> {
    let producer: FutureProducer = config(brokers)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let mut pending = Vec::with_capacity(10_000);
    for i in 0..n {
        let (key, payload) = make(i);
        let p = producer.clone();
        let topic = topic.to_owned();
        pending.push(tokio::spawn(async move {
            p.send(
                FutureRecord::to(&topic).key(&key).payload(&payload),
                Duration::from_secs(60),
            )
            .await
            .map(|_| ())
            .map_err(|(e, _)| e)
        }));
        if pending.len() == 10_000 {
            for h in pending.drain(..) {
                h.await?.context("fill")?;
            }
        }
    }
    for h in pending {
        h.await?.context("fill")?;
    }
    Ok(())
}

/// Counts messages in a topic from its high watermarks, with one client kept open.
pub struct Counter {
    consumer: std::sync::Arc<BaseConsumer>,
    topic: String,
    partitions: i32,
}

impl Counter {
    pub fn new(brokers: &str, topic: &str, partitions: i32) -> Result<Self> {
        Ok(Self {
            consumer: std::sync::Arc::new(config(brokers).create()?),
            topic: topic.to_owned(),
            partitions,
        })
    }

    /// Sum of the high watermarks of the topic's partitions (off the async threads).
    pub async fn count(&self) -> Result<i64> {
        let (c, topic, partitions) = (self.consumer.clone(), self.topic.clone(), self.partitions);
        tokio::task::spawn_blocking(move || {
            let mut total = 0;
            for p in 0..partitions {
                let (_, high) = c.fetch_watermarks(&topic, p, Duration::from_secs(5))?;
                total += high;
            }
            Ok(total)
        })
        .await?
    }

    /// Waits until the topic holds `n` messages; returns when it did and the count.
    pub async fn wait_for(&self, n: i64, timeout: Duration) -> Result<(Instant, i64)> {
        let deadline = Instant::now() + timeout;
        loop {
            let c = self.count().await?;
            if c >= n {
                return Ok((Instant::now(), c));
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{}: {c} of {n} messages after {timeout:?}",
                self.topic
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
