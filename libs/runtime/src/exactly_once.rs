//! The exactly-once loop for consume-transform-produce services: messages are taken
//! in batches (at most `transaction_max_messages`, at most `transaction_max_wait`),
//! their outputs and dead letters produced inside one Kafka transaction, and the
//! input offsets sent to the same transaction before it commits. Readers with
//! `isolation.level=read_committed` see each output once, across crashes.
//!
//! A transaction must commit within `transaction.timeout.ms`
//! (`DOCSTREAM_TRANSACTION_TIMEOUT_MS`) or the broker aborts it and fences the
//! producer. Retries of a transient failure could outlast that (ten attempts capped
//! at 30 s wait up to ~80 s), so a batch gets a deadline, three quarters of the
//! timeout after it began: a retry that would wait past it ends the batch instead.
//! What was handled before that message commits; the message itself, with the
//! attempts it has made, opens the next transaction after its wait. Per-partition
//! order holds: nothing after it was read.
//!
//! A rebalance during a batch aborts it: the partitions' new owners (or this instance
//! again) start from the committed offsets, so nothing is lost or doubled. Any other
//! transaction failure aborts and stops the service; the restart resumes from the
//! last committed transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::message::OwnedMessage;
use rdkafka::producer::{DeliveryFuture, FutureProducer, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::clients::{group_consumer, producer, GroupConsumer};
use crate::config::RuntimeConfig;
use crate::context::{Ownership, Tp};
use crate::delivery::{delivered, enqueue};
use crate::error::{Error, Result};
use crate::handling::{dead_letter, handle, Handled, Limits};
use crate::metrics::Metrics;
use crate::processor::Processor;

const TIMEOUT: Duration = Duration::from_secs(30);

fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The latest moment a batch begun at `begun` may still wait for a retry: three
/// quarters of the transaction's timeout, leaving the rest for its deliveries and
/// the commit.
pub(crate) fn batch_deadline(begun: Instant, transaction_timeout: Duration) -> Instant {
    begun + transaction_timeout.mul_f64(0.75)
}

/// A message whose retries did not fit its batch: it opens the next one, as long as
/// its partition is still owned under the assignment it was read in. After a
/// reassignment the consumer reads the partition again from the committed offset,
/// which is at or before this message: carrying it too would process it twice.
struct Carried {
    msg: OwnedMessage,
    epoch: u64,
    backoff: Backoff,
    wait: Duration,
}

impl Carried {
    fn still_owned(&self, ownership: &Ownership) -> bool {
        ownership.owns(
            &(self.msg.topic().to_owned(), self.msg.partition()),
            self.epoch,
        )
    }
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
    let timeout_ms = config.transaction_timeout.as_millis().to_string();
    let producer = producer(
        &config.kafka,
        &[
            ("transactional.id", &transactional_id),
            ("transaction.timeout.ms", &timeout_ms),
            // a delivery may not outlive its transaction
            ("delivery.timeout.ms", &timeout_ms),
        ],
    )?;
    blocking(|| producer.init_transactions(TIMEOUT))?;
    // retries inside a batch are not interrupted by shutdown: the batch commits whole
    let never = CancellationToken::new();
    let mut carried: Option<Carried> = None;

    while !shutdown.is_cancelled() {
        if let Some(c) = &carried {
            // the carried message's wait runs between transactions
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(c.wait) => {}
            }
        }
        let started = Instant::now();
        let mut next: HashMap<Tp, (i64, u64)> = HashMap::new();
        let mut deliveries: Vec<(String, rdkafka::error::KafkaResult<DeliveryFuture>)> = Vec::new();
        let mut received = Vec::new();
        let mut begun: Option<Instant> = None;
        while received.len() < config.transaction_max_messages {
            let (m, mut backoff) = match carried.take() {
                Some(c) if !c.still_owned(&ownership) => continue,
                Some(c) => (c.msg, c.backoff),
                None => {
                    let left = config
                        .transaction_max_wait
                        .saturating_sub(started.elapsed());
                    let wait = if begun.is_some() {
                        left
                    } else {
                        Duration::from_millis(500)
                    };
                    let m = tokio::select! {
                        () = shutdown.cancelled() => break,
                        r = tokio::time::timeout(wait, consumer.recv()) => match r {
                            Err(_) => break,
                            Ok(Err(e)) if crate::error::is_fatal_consumer_error(&e) => {
                                // the open transaction is aborted by the broker, or
                                // fenced by the restarted instance's first one
                                tracing::error!(error = %e, "the consumer failed for good; stopping");
                                return Err(e.into());
                            }
                            Ok(Err(e)) => { tracing::warn!(error = %e, "consumer error"); continue; }
                            Ok(Ok(m)) => m.detach(),
                        },
                    };
                    (m, Backoff::new(config.retry))
                }
            };
            let tp: Tp = (m.topic().to_owned(), m.partition());
            let Some(epoch) = ownership.epoch(&tp) else {
                continue;
            };
            let begun_at = match begun {
                Some(t) => t,
                None => {
                    blocking(|| producer.begin_transaction())?;
                    *begun.insert(Instant::now())
                }
            };
            let limits = Limits {
                stopping: &never,
                deadline: Some(batch_deadline(begun_at, config.transaction_timeout)),
                epoch,
            };
            let output = match handle(
                processor.as_ref(),
                &config,
                &metrics,
                limits,
                &m,
                &mut backoff,
            )
            .await
            {
                Handled::Done(output) => output,
                Handled::OutOfTime { wait } => {
                    carried = Some(Carried {
                        msg: m,
                        epoch,
                        backoff,
                        wait,
                    });
                    break;
                }
                // `never` is never cancelled
                Handled::Stopped => break,
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
                deliveries.push((out.topic.clone(), enqueue(&producer, out).await));
            }
            next.insert(tp, (m.offset() + 1, epoch));
            received.push((m.topic().to_owned(), Instant::now()));
            if started.elapsed() >= config.transaction_max_wait {
                break;
            }
        }
        if begun.is_none() {
            continue;
        }
        for out in processor.before_commit().await {
            deliveries.push((out.topic.clone(), enqueue(&producer, &out).await));
        }
        let Some(abort) = commit(&producer, &consumer, &ownership, &next, deliveries).await else {
            for (topic, t) in received {
                metrics.processed(&topic, t.elapsed().as_secs_f64());
            }
            continue;
        };
        blocking(|| producer.abort_transaction(TIMEOUT))?;
        match abort {
            Abort::Rebalanced => {
                tracing::info!("rebalance during a transaction: aborted, the batch will be redone");
            }
            Abort::Failed(reason) if next.keys().all(|tp| ownership.epoch(tp).is_some()) => {
                return Err(Error::Transaction(reason));
            }
            Abort::Failed(reason) => {
                tracing::info!(error = %reason, "transaction aborted by a rebalance");
                carried = None;
                continue;
            }
        }
        // the carried message's partition may have moved; the new owner redoes it
        carried = carried.filter(|c| c.still_owned(&ownership));
    }
    Ok(())
}

/// Why a batch was not committed.
enum Abort {
    /// A partition of the batch changed owner: redo from the committed offsets.
    Rebalanced,
    Failed(String),
}

/// Waits for the batch's deliveries, then sends its offsets to the transaction and
/// commits it; `None` when committed.
async fn commit(
    producer: &FutureProducer,
    consumer: &GroupConsumer,
    ownership: &Ownership,
    next: &HashMap<Tp, (i64, u64)>,
    deliveries: Vec<(String, rdkafka::error::KafkaResult<DeliveryFuture>)>,
) -> Option<Abort> {
    let mut failure = None;
    for (topic, d) in deliveries {
        if let Err(reason) = delivered(d).await {
            failure = Some(format!("delivery to {topic}: {reason}"));
        }
    }
    if let Some(reason) = failure {
        return Some(Abort::Failed(reason));
    }
    if next
        .iter()
        .any(|(tp, (_, epoch))| !ownership.owns(tp, *epoch))
    {
        return Some(Abort::Rebalanced);
    }
    let mut offsets = TopicPartitionList::new();
    for ((topic, partition), (offset, _)) in next {
        if let Err(e) = offsets.add_partition_offset(topic, *partition, Offset::Offset(*offset)) {
            return Some(Abort::Failed(e.to_string()));
        }
    }
    let Some(group) = consumer.group_metadata() else {
        return Some(Abort::Failed("no consumer group metadata".to_owned()));
    };
    blocking(|| {
        producer
            .send_offsets_to_transaction(&offsets, &group, TIMEOUT)
            .and_then(|()| producer.commit_transaction(TIMEOUT))
    })
    .err()
    .map(|e| Abort::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carried_message_is_dropped_once_its_partition_was_reassigned() {
        use crate::backoff::RetryPolicy;
        let ownership = Ownership::default();
        let tp: Tp = ("in".into(), 0);
        ownership.assign(std::slice::from_ref(&tp));
        let epoch = ownership.epoch(&tp).expect("owned");
        let carried = Carried {
            msg: OwnedMessage::new(
                None,
                None,
                "in".into(),
                rdkafka::message::Timestamp::NotAvailable,
                0,
                5,
                None,
            ),
            epoch,
            backoff: Backoff::new(RetryPolicy::default()),
            wait: Duration::ZERO,
        };
        assert!(carried.still_owned(&ownership));
        // revoked and assigned again: the partition is read again from its commit
        ownership.revoke(std::slice::from_ref(&tp));
        ownership.assign(std::slice::from_ref(&tp));
        assert!(ownership.epoch(&tp).is_some());
        assert!(!carried.still_owned(&ownership));
    }

    #[test]
    fn a_batch_stops_waiting_with_a_quarter_of_its_timeout_left() {
        let t = Instant::now();
        let d = batch_deadline(t, Duration::from_secs(60));
        assert_eq!(d - t, Duration::from_secs(45));
    }
}
