//! Batches across messages, for processors that want them (model inference): a
//! [`BatchProcessor`] takes many messages at once and returns an outcome per message;
//! [`Batched`] turns it into a [`Processor`] the loops run unchanged. Each message's
//! `process` call hands a copy of the message to one collector task and waits for its
//! own outcome; the collector gathers up to `max_messages`, waiting at most `max_wait`
//! after the first, and calls the batch processor once.
//!
//! Every guarantee of the loop holds because the loop does not know: a message's
//! outcome is still its own (a `Transient` one is retried by the loop and lands in a
//! later batch, an `Invalid` one is dead-lettered alone), offsets are stored in order
//! after the outputs are acknowledged, in-flight bounds and pauses count messages as
//! before. Batches form across partitions, and within one partition when the loop
//! processes several of its messages at once (`DOCSTREAM_PIPELINE`).

use std::future::Future;
use std::time::Duration;

use rdkafka::message::{OwnedMessage, Timestamp};
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::processor::{Incoming, Output, ProcessError, Processor};

/// A transformation that works on many messages at once.
pub trait BatchProcessor: Send + Sync + 'static {
    /// One outcome per message, in the order given. A batch holds messages of any
    /// partitions; within one partition they come in offset order.
    fn process_batch(
        &self,
        msgs: &[Incoming<'_>],
    ) -> impl Future<Output = Vec<Result<Output, ProcessError>>> + Send;

    /// Whether the service's own source or sink is reachable (for `/readyz`).
    fn ready(&self) -> impl Future<Output = bool> + Send {
        async { true }
    }
}

/// How batches are gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_messages: usize,
    /// How long a batch waits for more after its first message.
    pub max_wait: Duration,
}

struct Request {
    msg: OwnedMessage,
    reply: oneshot::Sender<Result<Output, ProcessError>>,
}

/// A [`BatchProcessor`] as a [`Processor`].
pub struct Batched<B> {
    tx: mpsc::Sender<Request>,
    inner: std::sync::Arc<B>,
}

impl<B> std::fmt::Debug for Batched<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batched").finish_non_exhaustive()
    }
}

impl<B: BatchProcessor> Batched<B> {
    /// Starts the collector on the current tokio runtime.
    pub fn new(inner: B, limits: BatchLimits, metrics: Metrics) -> Self {
        let inner = std::sync::Arc::new(inner);
        let max = limits.max_messages.max(1);
        let (tx, mut rx) = mpsc::channel::<Request>(max * 4);
        let b = inner.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                let deadline = tokio::time::Instant::now() + limits.max_wait;
                while batch.len() < max {
                    tokio::select! {
                        r = rx.recv() => match r {
                            Some(r) => batch.push(r),
                            None => break,
                        },
                        () = tokio::time::sleep_until(deadline) => break,
                    }
                }
                metrics.batched(batch.len());
                let views: Vec<Incoming<'_>> = batch
                    .iter()
                    .map(|r| Incoming::from_message(&r.msg))
                    .collect();
                let mut outcomes = b.process_batch(&views).await.into_iter();
                drop(views);
                let n = batch.len();
                for r in batch {
                    let outcome = outcomes.next().unwrap_or_else(|| {
                        Err(ProcessError::Transient(format!(
                            "the batch processor returned fewer outcomes than the {n} messages"
                        )))
                    });
                    // the caller may be gone (shutdown, a revoked partition): fine
                    let _ = r.reply.send(outcome);
                }
            }
        });
        Self { tx, inner }
    }
}

/// A copy of the borrowed message, for the collector.
fn owned(m: &Incoming<'_>) -> OwnedMessage {
    OwnedMessage::new(
        m.payload.map(<[u8]>::to_vec),
        m.key.map(<[u8]>::to_vec),
        m.topic.to_owned(),
        Timestamp::NotAvailable,
        m.partition,
        m.offset,
        m.headers.cloned(),
    )
}

impl<B: BatchProcessor> Processor for Batched<B> {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        let (reply, outcome) = oneshot::channel();
        self.tx
            .send(Request {
                msg: owned(msg),
                reply,
            })
            .await
            .map_err(|_| ProcessError::Transient("the batch collector stopped".into()))?;
        outcome
            .await
            .map_err(|_| ProcessError::Transient("the batch collector dropped a message".into()))?
    }

    async fn ready(&self) -> bool {
        self.inner.ready().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::processor::Outgoing;

    /// Upper-cases payloads; "bad" is invalid, "flaky" transient once; counts
    /// batch sizes.
    #[derive(Default)]
    struct Upper {
        sizes: std::sync::Mutex<Vec<usize>>,
        flaky: AtomicUsize,
    }

    impl BatchProcessor for Arc<Upper> {
        async fn process_batch(&self, msgs: &[Incoming<'_>]) -> Vec<Result<Output, ProcessError>> {
            self.sizes.lock().expect("lock").push(msgs.len());
            msgs.iter()
                .map(|m| {
                    let p = m.payload.unwrap_or_default();
                    match p {
                        b"bad" => Err(ProcessError::Invalid("bad".into())),
                        b"flaky" if self.flaky.fetch_add(1, Ordering::SeqCst) == 0 => {
                            Err(ProcessError::Transient("once".into()))
                        }
                        _ => Ok(vec![Outgoing::keyed("out", "k", p.to_ascii_uppercase())].into()),
                    }
                })
                .collect()
        }
    }

    fn message(payload: &[u8], offset: i64) -> OwnedMessage {
        OwnedMessage::new(
            Some(payload.to_vec()),
            None,
            "in".into(),
            Timestamp::NotAvailable,
            0,
            offset,
            None,
        )
    }

    #[tokio::test]
    async fn messages_sent_together_share_a_batch_and_keep_their_own_outcomes() {
        let upper = Arc::new(Upper::default());
        let limits = BatchLimits {
            max_messages: 8,
            max_wait: Duration::from_millis(50),
        };
        let batched = Arc::new(Batched::new(upper.clone(), limits, Metrics::new("t")));
        let payloads: Vec<&[u8]> = vec![b"a", b"bad", b"c", b"flaky", b"e"];
        let calls = payloads.iter().enumerate().map(|(i, p)| {
            let b = batched.clone();
            let m = message(p, i as i64);
            async move { b.process(&Incoming::from_message(&m)).await }
        });
        let outcomes = futures::future::join_all(calls).await;
        assert_eq!(upper.sizes.lock().expect("lock").as_slice(), [5]);
        assert_eq!(outcomes[0].as_ref().expect("a").messages[0].bytes(), b"A");
        assert!(matches!(outcomes[1], Err(ProcessError::Invalid(_))));
        assert_eq!(outcomes[2].as_ref().expect("c").messages[0].bytes(), b"C");
        assert!(matches!(outcomes[3], Err(ProcessError::Transient(_))));
        // a retry of the transient one goes in a batch of its own and succeeds
        let m = message(b"flaky", 3);
        let retried = batched.process(&Incoming::from_message(&m)).await;
        assert_eq!(retried.expect("retried").messages[0].bytes(), b"FLAKY");
        assert_eq!(upper.sizes.lock().expect("lock").as_slice(), [5, 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_is_bounded_by_count_and_by_its_wait() {
        let upper = Arc::new(Upper::default());
        let limits = BatchLimits {
            max_messages: 3,
            max_wait: Duration::from_millis(100),
        };
        let batched = Arc::new(Batched::new(upper.clone(), limits, Metrics::new("t")));
        let calls = (0..7).map(|i| {
            let b = batched.clone();
            let m = message(b"x", i);
            async move { b.process(&Incoming::from_message(&m)).await }
        });
        let started = tokio::time::Instant::now();
        let outcomes = futures::future::join_all(calls).await;
        assert!(outcomes.iter().all(Result::is_ok));
        assert_eq!(upper.sizes.lock().expect("lock").as_slice(), [3, 3, 1]);
        // the last, lone message waited for company no longer than the bound
        assert!(started.elapsed() <= Duration::from_millis(100));
    }
}
