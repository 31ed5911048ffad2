//! The Kafka clients of the runtime, each configured once: the group consumer (with
//! the context that tracks ownership and lag), the producer of outputs, dead letters
//! and sources, and the readiness probe. The operator's `DOCSTREAM_KAFKA__*`
//! properties are applied last, over the runtime's choices.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::FutureProducer;
use tokio_util::sync::CancellationToken;

use crate::config::RuntimeConfig;
use crate::context::{Ownership, RuntimeContext};
use crate::error::Result;
use crate::metrics::Metrics;
use crate::processor::Processor;
use crate::telemetry::Health;
use settings::KafkaSettings;

pub(crate) type GroupConsumer = StreamConsumer<RuntimeContext>;

/// How long the check of the Kafka security settings at start waits for the brokers.
pub(crate) const KAFKA_ACCESS_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the group consumer with the runtime's context.
pub(crate) fn group_consumer(
    config: &RuntimeConfig,
    metrics: &Metrics,
    ownership: Arc<Ownership>,
    exactly_once: bool,
) -> Result<Arc<GroupConsumer>> {
    let mut c = config.kafka.client_config();
    c.set("group.id", &config.group_id)
        .set(
            "client.id",
            format!("{}-{}", config.service, config.instance_id),
        )
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.offset.store", "false")
        .set("statistics.interval.ms", "5000")
        .set("enable.partition.eof", "false")
        // bounds what librdkafka prefetches while the service is busy ...
        .set("queued.max.messages.kbytes", "16384")
        // ... and once over that bound it waits fetch.queue.backoff.ms (1 s by default)
        // before fetching again: the service then idled ~0.75 s per 16 MiB consumed
        // (loadtest runtime went from 0.07 to 0.90 of the bare loop with this)
        .set("fetch.queue.backoff.ms", "20")
        // librdkafka hands out a rebalance in order with the messages fetched before
        // it, so a revocation waits for the whole prefetch to be processed: bound it
        // by count too (default 100,000 per partition). Slow services lower it further
        // (DOCSTREAM_KAFKA__QUEUED_MIN_MESSAGES): rebalance latency is about
        // prefetched messages x time per message.
        .set("queued.min.messages", "1000")
        // one fetch brings up to 8 MiB per partition (default 1 MiB): with documents
        // of 50 KB and more, 1 MiB per round trip capped the indexer at ~5,100 docs/s
        // where the engine took ~7,500 (loadtest index: 0.68 -> 1.28 of the direct
        // loader); queued.max.messages.kbytes still bounds the prefetch
        .set("max.partition.fetch.bytes", "8388608")
        // a rebalance moves only the partitions that change owner: the others keep
        // flowing (the eager default stops every member's every partition); the
        // runtime's ownership is kept per partition, so it takes either protocol
        .set("partition.assignment.strategy", "cooperative-sticky")
        // how long the partitions of a member that died stay idle before the group
        // gives them to the others (librdkafka's default is 45 s: each SIGKILL of a
        // dynamic member stalled its partitions for ~50 s). 15 s is five heartbeats:
        // the heartbeat is librdkafka's own thread, so a busy service still sends it,
        // and only a process frozen for 15 s is taken for dead. A static member that
        // comes back sooner rejoins without waiting for it at all (below).
        .set("session.timeout.ms", "15000")
        .set("heartbeat.interval.ms", "3000")
        // the rebalance timeout: how long a member may go without polling (a handler
        // stuck on one message) before it is removed, and how long a rebalance waits
        // for every member to rejoin. A rebalance waits for the slowest member's
        // revocation (the drain), so it is bounded by prefetch x time per message,
        // seconds, not this; 5 minutes only bounds a hung handler.
        .set("max.poll.interval.ms", "300000");
    if config.static_membership {
        // a restarted member with the same id rejoins within session.timeout.ms (15 s)
        // and gets its partitions back without a rebalance; one that does not come
        // back is removed after it, as a dynamic member would be
        c.set(
            "group.instance.id",
            format!("{}-{}", config.group_id, config.instance_id),
        );
    }
    if exactly_once {
        c.set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed");
    } else {
        c.set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000");
    }
    // the operator's DOCSTREAM_KAFKA__* win over the runtime's choices above
    config.kafka.apply_overrides(&mut c);
    let context = RuntimeContext {
        ownership,
        metrics: metrics.clone(),
        drain: config.rebalance_drain,
    };
    let consumer: GroupConsumer = c.create_with_context(context)?;
    let topics: Vec<&str> = config.input_topics.iter().map(String::as_str).collect();
    consumer.subscribe(&topics)?;
    Ok(Arc::new(consumer))
}

/// The runtime's producer, for the loop's outputs and dead letters, the
/// exactly-once loop (`more`: its transactional settings) and the sources.
pub(crate) fn producer(kafka: &KafkaSettings, more: &[(&str, &str)]) -> Result<FutureProducer> {
    let mut c = kafka.client_config();
    c.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        .set("delivery.timeout.ms", "300000")
        .set("message.max.bytes", "10485760");
    for (k, v) in more {
        c.set(*k, *v);
    }
    // the operator's DOCSTREAM_KAFKA__* win over the runtime's choices above
    kafka.apply_overrides(&mut c);
    Ok(c.create()?)
}

/// Readiness: Kafka answers a metadata request, and the processor says its own
/// source or sink is up. Checked every 5 seconds.
pub(crate) fn spawn_health_probe<P: Processor>(
    config: &RuntimeConfig,
    processor: Arc<P>,
    health: Health,
    shutdown: CancellationToken,
) -> Result<()> {
    let probe: rdkafka::consumer::BaseConsumer = config.kafka.client_config().create()?;
    let topic = config.input_topics.first().cloned().unwrap_or_default();
    tokio::spawn(async move {
        let probe = Arc::new(probe);
        loop {
            let p = probe.clone();
            let t = topic.clone();
            let kafka_ok = tokio::task::spawn_blocking(move || {
                p.fetch_metadata(Some(&t), Duration::from_secs(3)).is_ok()
            })
            .await
            .unwrap_or(false);
            health.set_kafka(kafka_ok);
            health.set_sink(processor.ready().await);
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    });
    Ok(())
}
