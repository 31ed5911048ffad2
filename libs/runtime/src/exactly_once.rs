//! The exactly-once loop for consume-transform-produce services: messages are taken
//! in batches (at most `transaction_max_messages`, at most `transaction_max_wait`),
//! their outputs and dead letters produced inside one Kafka transaction, and the
//! input offsets sent to the same transaction before it commits. Readers with
//! `isolation.level=read_committed` see each output once, across crashes.
//!
//! A rebalance during a batch aborts it: the partitions' new owners (or this instance
//! again) start from the committed offsets, so nothing is lost or doubled. Any other
//! transaction failure aborts and stops the service; the restart resumes from the
//! last committed transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::producer::Producer;
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::consumer::{dead_letter, enqueue, group_consumer, outputs_or_dead_letter, producer};
use crate::context::{Ownership, Tp};
use crate::{Error, Metrics, Processor, Result, RuntimeConfig};

const TIMEOUT: Duration = Duration::from_secs(30);

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

pub(crate) async fn run<P: Processor>(
    config: RuntimeConfig,
    processor: Arc<P>,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    let ownership = Arc::new(Ownership::default());
    let consumer = group_consumer(&config, &metrics, ownership.clone(), true)?;
    let transactional_id = format!("{}-{}", config.group_id, config.instance_id);
    let producer = producer(
        &config.kafka,
        &[
            ("transactional.id", &transactional_id),
            ("transaction.timeout.ms", "60000"),
            // a delivery may not outlive its transaction
            ("delivery.timeout.ms", "60000"),
        ],
    )?;
    blocking(|| producer.init_transactions(TIMEOUT))?;
    let never = CancellationToken::new();

    while !shutdown.is_cancelled() {
        let started = Instant::now();
        let mut next: HashMap<Tp, (i64, u64)> = HashMap::new();
        let mut deliveries = Vec::new();
        let mut received = Vec::new();
        let mut open = false;
        while received.len() < config.transaction_max_messages {
            let left = config
                .transaction_max_wait
                .saturating_sub(started.elapsed());
            let wait = if open {
                left
            } else {
                Duration::from_millis(500)
            };
            let m = tokio::select! {
                () = shutdown.cancelled() => break,
                r = tokio::time::timeout(wait, consumer.recv()) => match r {
                    Err(_) => break,
                    Ok(Err(e)) => { tracing::warn!(error = %e, "consumer error"); continue; }
                    Ok(Ok(m)) => m.detach(),
                },
            };
            let tp: Tp = (m.topic().to_owned(), m.partition());
            let Some(epoch) = ownership.epoch(&tp) else {
                continue;
            };
            if !open {
                blocking(|| producer.begin_transaction())?;
                open = true;
            }
            let incoming = crate::Incoming::from_message(&m);
            // retries here are not interrupted by shutdown: the batch is committed whole
            let Some(output) = outputs_or_dead_letter(
                processor.as_ref(),
                &config,
                &metrics,
                &never,
                &m,
                &incoming,
            )
            .await
            else {
                continue;
            };
            let mut outputs = output.messages;
            // a sink's write is part of the batch: wait for it before the commit
            if let Some(confirmation) = output.confirmation {
                if let Err(reason) = confirmation.await {
                    metrics.failed(m.topic(), "rejected");
                    outputs.extend(dead_letter(&config, &metrics, &m, &reason, "rejected"));
                }
            }
            for out in &outputs {
                deliveries.push(enqueue(&producer, out).await?);
            }
            next.insert(tp, (m.offset() + 1, epoch));
            received.push((m.topic().to_owned(), Instant::now()));
            if started.elapsed() >= config.transaction_max_wait {
                break;
            }
        }
        if !open {
            continue;
        }
        let mut failure = None;
        for d in deliveries {
            match d.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => failure = Some(e.to_string()),
                Err(e) => failure = Some(e.to_string()),
            }
        }
        let rebalanced = next
            .iter()
            .any(|(tp, (_, epoch))| !ownership.owns(tp, *epoch));
        if failure.is_none() && !rebalanced {
            let mut offsets = TopicPartitionList::new();
            for ((topic, partition), (offset, _)) in &next {
                offsets.add_partition_offset(topic, *partition, Offset::Offset(*offset))?;
            }
            let committed = match consumer.group_metadata() {
                Some(group) => blocking(|| {
                    producer
                        .send_offsets_to_transaction(&offsets, &group, TIMEOUT)
                        .and_then(|()| producer.commit_transaction(TIMEOUT))
                })
                .map_err(|e| e.to_string()),
                None => Err("no consumer group metadata".to_owned()),
            };
            match committed {
                Ok(()) => {
                    for (topic, t) in received {
                        metrics.processed(&topic, t.elapsed().as_secs_f64());
                    }
                    continue;
                }
                Err(e) => failure = Some(e),
            }
        }
        blocking(|| producer.abort_transaction(TIMEOUT))?;
        if let Some(reason) = failure {
            if !next.keys().all(|tp| ownership.epoch(tp).is_some()) {
                tracing::info!(error = %reason, "transaction aborted by a rebalance");
                continue;
            }
            return Err(Error::Transaction(reason));
        }
        tracing::info!("rebalance during a transaction: aborted, the batch will be redone");
    }
    Ok(())
}
