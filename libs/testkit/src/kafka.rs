//! Topics and offsets on the stack's broker, for tests.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

use crate::kafka_config;

/// Creates topics `(name, partitions)` with replication 1; panics on failure.
pub async fn create_topics(topics: &[(&str, i32)]) {
    create_topics_with(topics, &[]).await;
}

/// [`create_topics`] with topic configs (`max.message.bytes`, ...).
pub async fn create_topics_with(topics: &[(&str, i32)], configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = kafka_config().create().expect("admin");
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|(name, p)| {
            configs.iter().fold(
                NewTopic::new(name, *p, TopicReplication::Fixed(1)),
                |t, (k, v)| t.set(k, v),
            )
        })
        .collect();
    for r in admin
        .create_topics(&new, &AdminOptions::new())
        .await
        .expect("create topics")
    {
        r.expect("topic created");
    }
}

/// Sends one message and waits for its acknowledgement; panics on failure.
pub async fn send(producer: &FutureProducer, topic: &str, key: &str, payload: &[u8]) {
    producer
        .send(
            FutureRecord::to(topic).key(key).payload(payload),
            Duration::from_secs(30),
        )
        .await
        .map_err(|(e, _)| e)
        .unwrap_or_else(|e| panic!("produce to {topic}: {e}"));
}

/// A consumer outside any group, assigned to every partition of `topic` from the
/// beginning.
pub fn reader(topic: &str, partitions: i32, read_committed: bool) -> BaseConsumer {
    let consumer: BaseConsumer = kafka_config()
        .set("group.id", crate::unique("reader"))
        .set("enable.auto.commit", "false")
        // documents of tens of megabytes
        .set("fetch.message.max.bytes", "52428800")
        .set(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .expect("reader");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("offset");
    }
    consumer.assign(&tpl).expect("assign");
    consumer
}

/// The offsets `group` committed for each partition of `topic` (-1 for none).
pub fn committed(group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let consumer: BaseConsumer = kafka_config()
        .set("group.id", group)
        // offsets as committed, not waited for: `settings::reading_committed_offsets`
        // says why (testkit imports no crate of the workspace, so it sets it itself)
        .set("isolation.level", "read_uncommitted")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let c = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed");
    c.elements()
        .iter()
        .map(|e| e.offset().to_raw().unwrap_or(-1))
        .collect()
}
