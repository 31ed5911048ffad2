//! The at-least-once loop: one dispatcher reading the consumer group, one task per
//! owned partition processing its messages in offset order.
//!
//! A partition task processes a message, hands its outputs to the producer without
//! waiting, and queues the delivery acknowledgements in offset order. When the oldest
//! message's outputs are all acknowledged its offset + 1 is stored, and librdkafka's
//! auto-commit commits stored offsets (also synchronously on revoke and at shutdown).
//! A delivery that fails after librdkafka's own retries (`delivery.timeout.ms`) stops
//! the service with an error before anything later is stored for that partition: the
//! restart replays from there. Nothing is skipped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::FuturesOrdered;
use futures::{FutureExt, StreamExt};
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::FutureProducer;
use rdkafka::Message;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::backoff::Backoff;
use crate::clients::{group_consumer, producer, GroupConsumer};
use crate::config::RuntimeConfig;
use crate::context::{Ownership, Tp};
use crate::delivery::{delivered, enqueue};
use crate::error::{Error, Result};
use crate::handling::{dead_letter, Handled, Limits};
use crate::metrics::Metrics;
use crate::processor::{Output, Processor};

/// Runs the loop until `shutdown` is cancelled, then drains in-flight work within
/// the shutdown deadline and commits synchronously. Returns an error only when the
/// broker will not take an output.
pub(crate) async fn run<P: Processor>(
    config: RuntimeConfig,
    processor: Arc<P>,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    Loop::start(config, processor, metrics)?.run(shutdown).await
}

/// A message's share of the in-flight budget, in units of which there are
/// `max_in_flight`: one, or its bytes' share of `max_in_flight_bytes` when that is
/// more, and at most all of them (a message over the byte budget runs alone).
fn units(bytes: usize, max_in_flight: usize, max_in_flight_bytes: usize) -> u32 {
    let share =
        (bytes as u128 * max_in_flight as u128).div_ceil(max_in_flight_bytes.max(1) as u128);
    u32::try_from(share.clamp(1, max_in_flight.max(1) as u128)).unwrap_or(u32::MAX)
}

/// One message handed to a partition task, with its share of the in-flight bound
/// (the permit is released when the message's outputs are acknowledged).
struct Job {
    msg: OwnedMessage,
    permit: OwnedSemaphorePermit,
    received: Instant,
}

/// What a partition task needs.
struct Shared<P> {
    config: RuntimeConfig,
    processor: Arc<P>,
    consumer: Arc<GroupConsumer>,
    producer: FutureProducer,
    ownership: Arc<Ownership>,
    metrics: Metrics,
    /// Cancelled on shutdown: stop retrying, finish what is acknowledged.
    stopping: CancellationToken,
    /// Set by a task whose output could not be delivered.
    fatal: mpsc::UnboundedSender<Error>,
}

struct Loop<P> {
    shared: Arc<Shared<P>>,
    permits: Arc<Semaphore>,
    fatal_rx: mpsc::UnboundedReceiver<Error>,
}

struct Worker {
    epoch: u64,
    tx: mpsc::UnboundedSender<Job>,
    handle: tokio::task::JoinHandle<()>,
    /// The partition's in-flight count, shared with the rebalance drain.
    counter: Arc<AtomicI64>,
}

impl<P: Processor> Loop<P> {
    fn start(config: RuntimeConfig, processor: Arc<P>, metrics: Metrics) -> Result<Self> {
        let ownership = Arc::new(Ownership::default());
        let consumer = group_consumer(&config, &metrics, ownership.clone(), false)?;
        let producer = producer(&config.kafka, &[])?;
        let (fatal, fatal_rx) = mpsc::unbounded_channel();
        let permits = Arc::new(Semaphore::new(config.max_in_flight));
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                processor,
                consumer,
                producer,
                ownership,
                metrics,
                stopping: CancellationToken::new(),
                fatal,
            }),
            permits,
            fatal_rx,
        })
    }

    /// A message's share of the in-flight budget.
    fn units(&self, m: &OwnedMessage) -> u32 {
        let c = &self.shared.config;
        let bytes = m.payload().map_or(0, <[u8]>::len) + m.key().map_or(0, <[u8]>::len);
        units(bytes, c.max_in_flight, c.max_in_flight_bytes)
    }

    /// Takes `n` units of the in-flight budget. A wait longer than a second pauses the
    /// assignment and polls on (into `overflow`), so the consumer stays in its group
    /// (`max.poll.interval.ms`) and rebalances run. `Err` with the loop's outcome on
    /// shutdown or a fatal error.
    async fn acquire(
        &mut self,
        n: u32,
        overflow: &mut std::collections::VecDeque<OwnedMessage>,
        shutdown: &CancellationToken,
    ) -> std::result::Result<OwnedSemaphorePermit, Result<()>> {
        if let Ok(p) = self.permits.clone().try_acquire_many_owned(n) {
            return Ok(p);
        }
        let waited = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Err(Ok(())),
            Some(e) = self.fatal_rx.recv() => return Err(Err(e)),
            p = tokio::time::timeout(Duration::from_secs(1), self.permits.clone().acquire_many_owned(n)) => p,
        };
        match waited {
            Ok(Ok(p)) => return Ok(p),
            Ok(Err(_)) => return Err(Ok(())),
            Err(_) => {}
        }
        let s = &self.shared;
        let paused = s.consumer.assignment().map_err(|e| Err(e.into()))?;
        s.consumer.pause(&paused).map_err(|e| Err(e.into()))?;
        s.metrics.set_paused(true);
        let got = loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break Err(Ok(())),
                Some(e) = self.fatal_rx.recv() => break Err(Err(e)),
                p = self.permits.clone().acquire_many_owned(n) => break p.map_err(|_| Ok(())),
                m = s.consumer.recv() => match m {
                    Ok(m) => overflow.push_back(m.detach()),
                    Err(e) if crate::error::is_fatal_consumer_error(&e) => break Err(Err(e.into())),
                    Err(e) => tracing::warn!(error = %e, "consumer error"),
                },
            }
        };
        // resume what is still ours (a rebalance may have run meanwhile)
        let now = s.consumer.assignment().map_err(|e| Err(e.into()))?;
        s.consumer.resume(&now).map_err(|e| Err(e.into()))?;
        s.metrics.set_paused(false);
        got
    }

    async fn run(mut self, shutdown: CancellationToken) -> Result<()> {
        let s = self.shared.clone();
        let mut workers: HashMap<Tp, Worker> = HashMap::new();
        // messages received while paused and waiting for a permit
        let mut overflow: std::collections::VecDeque<OwnedMessage> =
            std::collections::VecDeque::new();
        let outcome = loop {
            // back-pressure: with the budget spent, stop polling, so librdkafka's
            // bounded queue (queued.max.messages.kbytes) stops fetching
            let mut permit = match self.acquire(1, &mut overflow, &shutdown).await {
                Ok(p) => p,
                Err(stop) => break stop,
            };
            let msg = if let Some(m) = overflow.pop_front() {
                Ok(m)
            } else {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break Ok(()),
                    Some(e) = self.fatal_rx.recv() => break Err(e),
                    m = s.consumer.recv() => m.map(|m| m.detach()),
                }
            };
            let mut msg = match msg {
                Ok(m) => m,
                Err(e) if crate::error::is_fatal_consumer_error(&e) => {
                    tracing::error!(error = %e, "the consumer failed for good; stopping");
                    break Err(e.into());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "consumer error");
                    continue;
                }
            };
            let more = self.units(&msg) - 1;
            if more > 0 {
                overflow.push_front(msg);
                match self.acquire(more, &mut overflow, &shutdown).await {
                    Ok(p) => permit.merge(p),
                    Err(stop) => break stop,
                }
                let Some(m) = overflow.pop_front() else {
                    continue;
                };
                msg = m;
            }
            let tp: Tp = (msg.topic().to_owned(), msg.partition());
            let Some(epoch) = s.ownership.epoch(&tp) else {
                tracing::debug!(topic = %tp.0, partition = tp.1, offset = msg.offset(), "skipping a message of a partition no longer ours");
                continue;
            };
            let stale = workers
                .get(&tp)
                .is_none_or(|w| w.epoch != epoch || w.tx.is_closed());
            if stale {
                let (tx, rx) = mpsc::unbounded_channel();
                let handle = tokio::spawn(partition_task(s.clone(), tp.clone(), epoch, rx));
                let counter = s.ownership.counter(&tp);
                workers.insert(
                    tp.clone(),
                    Worker {
                        epoch,
                        tx,
                        handle,
                        counter,
                    },
                );
            }
            let Some(w) = workers.get(&tp) else { continue };
            w.counter.fetch_add(1, Ordering::AcqRel);
            s.metrics.in_flight().inc();
            let job = Job {
                msg,
                permit,
                received: Instant::now(),
            };
            if w.tx.send(job).is_err() {
                w.counter.fetch_sub(1, Ordering::AcqRel);
                s.metrics.in_flight().dec();
            }
        };
        self.drain(workers, outcome.is_err()).await;
        outcome
    }

    /// Stops fetching, lets partition tasks finish within the deadline, commits.
    async fn drain(&mut self, workers: HashMap<Tp, Worker>, failed: bool) {
        let s = &self.shared;
        s.stopping.cancel();
        let deadline = s.config.shutdown_deadline;
        let handles: Vec<_> = workers
            .into_values()
            .map(|w| {
                drop(w.tx);
                w.handle
            })
            .collect();
        let aborts: Vec<_> = handles
            .iter()
            .map(tokio::task::JoinHandle::abort_handle)
            .collect();
        if tokio::time::timeout(deadline, futures::future::join_all(handles))
            .await
            .is_err()
        {
            tracing::warn!(
                ?deadline,
                "in-flight work did not finish before the deadline; dropping it"
            );
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
        if failed {
            tracing::error!(
                "stopping on an undeliverable output; committing only offsets stored before it"
            );
        }
        let offsets = s.ownership.to_commit(None);
        if offsets.count() > 0 {
            match s.consumer.commit(&offsets, CommitMode::Sync) {
                Ok(()) => tracing::info!(partitions = offsets.count(), "offsets committed"),
                Err(e) => {
                    tracing::warn!(error = %e, "final commit failed; a restart may redo some work")
                }
            }
        }
    }
}

/// The acknowledgement of one input: its offset once all its outputs are delivered.
type Ack = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(i64, Instant)>> + Send>>;

/// One partition's messages in offset order: up to `DOCSTREAM_PIPELINE` of them are
/// processed at once (a batch processor batches them), their outputs are handed to
/// the producer strictly in offset order, and offsets are stored in that order as the
/// broker acknowledges them.
async fn partition_task<P: Processor>(
    s: Arc<Shared<P>>,
    tp: Tp,
    epoch: u64,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    let counter = s.ownership.counter(&tp);
    let processed = s.metrics.topic_handles(&tp.0);
    let depth = s.config.pipeline.max(1);
    let mut acks: FuturesOrdered<Ack> = FuturesOrdered::new();
    // messages being processed, each yielding itself back with how that ended
    let mut working = FuturesOrdered::new();
    let mut open = true;
    let mut halted = false;
    while open || !acks.is_empty() || !working.is_empty() {
        tokio::select! {
            Some(done) = acks.next(), if !acks.is_empty() => {
                // take every acknowledgement that is already in, then store once: a
                // store takes librdkafka's client lock, so not once per message
                let mut done = Some(done);
                let mut last = None;
                while let Some(d) = done.take() {
                    match d {
                        Ok((offset, received)) => {
                            processed.processed(received.elapsed().as_secs_f64());
                            finish(&s, &counter);
                            last = Some(offset);
                        }
                        Err(e) => {
                            // never store past a message whose output the broker refused
                            store(&s, &tp, epoch, last);
                            let _ = s.fatal.send(e);
                            finish(&s, &counter);
                            drop_pending(&s, &counter, &mut rx, acks.len() + working.len());
                            return;
                        }
                    }
                    done = acks.next().now_or_never().flatten();
                }
                store(&s, &tp, epoch, last);
            }
            // in offset order, whatever order their processing finished in
            Some((job, handled)) = working.next(), if !working.is_empty() => {
                complete(&s, &counter, &mut acks, &mut halted, job, handled).await;
            }
            job = rx.recv(), if open && working.len() < depth => match job {
                None => open = false,
                Some(job) => {
                    if halted || !s.ownership.owns(&tp, epoch) {
                        tracing::debug!(topic = %tp.0, partition = tp.1, offset = job.msg.offset(), "dropping a job of a revoked or stopping partition");
                        finish(&s, &counter); // the next owner, or the restart, replays it
                        continue;
                    }
                    if depth == 1 {
                        // one at a time: processed right here, as before the pipeline
                        // (a boxed future per message through the queue cost
                        // tobacco-ingest a fifth, BENCHMARKS.md)
                        let (job, handled) = process(s.clone(), job).await;
                        complete(&s, &counter, &mut acks, &mut halted, job, handled).await;
                    } else {
                        working.push_back(process(s.clone(), job));
                    }
                }
            },
        }
    }
}

/// What a processed message comes to, in offset order: its outputs handed to the
/// producer (their acknowledgement queued), or, when shutdown interrupted its
/// retries, the partition halted there. After a halt nothing more is sent.
async fn complete<P: Processor>(
    s: &Arc<Shared<P>>,
    counter: &AtomicI64,
    acks: &mut FuturesOrdered<Ack>,
    halted: &mut bool,
    job: Job,
    handled: Handled,
) {
    if *halted {
        finish(s, counter); // after a halted message: left for the restart
        return;
    }
    match handled {
        Handled::Done(output) => acks.push_back(send_all(s.clone(), job, output).await),
        // no deadline here: only shutdown stops the retries
        Handled::Stopped | Handled::OutOfTime { .. } => {
            // shutdown interrupted its retries: it stays uncommitted, and so must
            // everything after it in this partition
            *halted = true;
            finish(s, counter);
        }
    }
}

/// Records that every message up to `last` is done: for our commits, and in
/// librdkafka's offset store for its auto-commit.
fn store<P>(s: &Shared<P>, tp: &Tp, epoch: u64, last: Option<i64>) {
    let Some(offset) = last else { return };
    if s.ownership.store(tp, epoch, offset + 1) {
        // rd_kafka_offset_store takes the message's own offset and stores offset + 1
        // itself (passing offset + 1 here skipped a message at every rebalance: a
        // test caught it)
        if let Err(e) = s.consumer.store_offset(&tp.0, tp.1, offset) {
            tracing::debug!(error = %e, topic = %tp.0, partition = tp.1, "store offset");
        }
    }
}

fn finish<P>(s: &Shared<P>, counter: &AtomicI64) {
    counter.fetch_sub(1, Ordering::AcqRel);
    s.metrics.in_flight().dec();
}

fn drop_pending<P>(
    s: &Shared<P>,
    counter: &AtomicI64,
    rx: &mut mpsc::UnboundedReceiver<Job>,
    acks: usize,
) {
    let mut n = acks;
    rx.close();
    while rx.try_recv().is_ok() {
        n += 1;
    }
    for _ in 0..n {
        finish(s, counter);
    }
}

/// Processes one message with retries: its outputs or its dead letter, or why it
/// stopped (shutdown during its retries).
async fn process<P: Processor>(s: Arc<Shared<P>>, job: Job) -> (Job, Handled) {
    let m = &job.msg;
    // borrowed when the key is UTF-8: no allocation per message
    let key = m.key().map(String::from_utf8_lossy);
    let span = tracing::info_span!(
        "message",
        topic = m.topic(),
        partition = m.partition(),
        offset = m.offset(),
        key = key.as_deref().unwrap_or("")
    );
    let limits = Limits {
        stopping: &s.stopping,
        deadline: None,
        epoch: 0,
    };
    let mut backoff = Backoff::new(s.config.retry);
    let handled = crate::handling::handle(
        s.processor.as_ref(),
        &s.config,
        &s.metrics,
        limits,
        m,
        &mut backoff,
    )
    .instrument(span)
    .await;
    (job, handled)
}

/// Hands every output to the producer now, in order (per-key order depends on it),
/// and returns a future of their acknowledgements and the sink's confirmation; a
/// message the sink rejects is dead-lettered there. The future owns the job, so its
/// in-flight permit is released when it resolves.
async fn send_all<P: Processor>(s: Arc<Shared<P>>, job: Job, output: Output) -> Ack {
    let mut deliveries = Vec::with_capacity(output.messages.len());
    for out in output.messages {
        let d = enqueue(&s.producer, &out).await;
        deliveries.push((out.topic, d));
    }
    Box::pin(async move {
        let m = &job.msg;
        let fail = |topic: String, reason: String| Error::Delivery {
            topic,
            source_topic: m.topic().to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            reason,
        };
        for (topic, d) in deliveries {
            delivered(d).await.map_err(|r| fail(topic, r))?;
        }
        if let Some(confirmation) = output.confirmation {
            if let Err(reason) = confirmation.await {
                s.metrics.failed(m.topic(), "rejected");
                for out in dead_letter(&s.config, &s.metrics, m, &reason, "rejected") {
                    let d = enqueue(&s.producer, &out).await;
                    delivered(d).await.map_err(|r| fail(out.topic, r))?;
                }
            }
        }
        drop(job.permit);
        Ok((m.offset(), job.received))
    })
}

#[cfg(test)]
mod tests {
    use super::units;

    #[test]
    fn a_message_takes_its_share_of_whichever_budget_is_tighter() {
        // 10,000 messages or 64 MiB: a unit is 6,710.9 bytes
        let (n, b) = (10_000, 64 << 20);
        assert_eq!(units(0, n, b), 1);
        assert_eq!(units(1024, n, b), 1);
        assert_eq!(units(6_710, n, b), 1);
        assert_eq!(units(6_711, n, b), 2);
        assert_eq!(units(1 << 20, n, b), 157);
        // 64 such messages fill the byte budget
        assert!(64 * units(1 << 20, n, b) >= 10_000);
        assert!(63 * units(1 << 20, n, b) < 10_000);
        // larger than the whole budget: all of it, never more (it would wait forever)
        assert_eq!(units(1 << 30, n, b), 10_000);
        assert_eq!(units(700, 1000, 1024), 684);
    }
}
