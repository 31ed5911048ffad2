//! Handling one message: calling the processor, retrying transient failures with
//! backoff, and turning what cannot be processed into its dead letter. Both loops
//! handle messages through here; neither knows how the other commits.
//!
//! Retries end in one of three ways: the processor succeeds (its outputs), gives up
//! (`Invalid` at once, `Transient` when the attempts run out: the dead letter), or
//! the loop must stop waiting: shutdown (at-least-once leaves the message
//! uncommitted), or the next wait would pass the deadline of the transaction the
//! message is part of (exactly-once commits what it has and carries the message,
//! with its attempts so far, into the next transaction).

use std::time::{Duration, Instant};

use rdkafka::message::OwnedMessage;
use rdkafka::Message;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::config::RuntimeConfig;
use crate::dlq::message_dead_letter;
use crate::metrics::Metrics;
use crate::processor::{Incoming, Outgoing, Output, ProcessError, Processor};

/// When to stop waiting between retries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits<'a> {
    /// Cancelled on shutdown.
    pub stopping: &'a CancellationToken,
    /// No wait may end after this (the open transaction's deadline).
    pub deadline: Option<Instant>,
    /// The partition's assignment epoch, given to the processor ([`Incoming::epoch`]).
    pub epoch: u64,
}

/// How handling a message ended.
#[derive(Debug)]
pub(crate) enum Handled {
    /// Its outputs, or its dead letter.
    Done(Output),
    /// Shutdown interrupted the retries.
    Stopped,
    /// The next retry, after `wait`, would pass the deadline; the caller's
    /// [`Backoff`] keeps the attempts made so far.
    OutOfTime { wait: Duration },
}

/// The processor's outputs for `m`, after retrying transient failures, or its dead
/// letter; or why it had to stop waiting. `backoff` carries the attempts across
/// calls (a message carried into the next transaction resumes its count).
pub(crate) async fn handle<P: Processor>(
    processor: &P,
    config: &RuntimeConfig,
    metrics: &Metrics,
    limits: Limits<'_>,
    m: &OwnedMessage,
    backoff: &mut Backoff,
) -> Handled {
    let incoming = Incoming {
        epoch: limits.epoch,
        ..Incoming::from_message(m)
    };
    loop {
        let reason = match processor.process(&incoming).await {
            Ok(outputs) => return Handled::Done(outputs),
            Err(ProcessError::Invalid(reason)) => {
                metrics.failed(incoming.topic, "invalid");
                return Handled::Done(dead_letter(config, metrics, m, &reason, "invalid").into());
            }
            Err(ProcessError::Transient(reason)) => reason,
        };
        metrics.failed(incoming.topic, "transient");
        let Some(delay) = backoff.next_delay() else {
            metrics.failed(incoming.topic, "exhausted");
            let reason = format!("{reason} (gave up after {} attempts)", backoff.attempts());
            return Handled::Done(dead_letter(config, metrics, m, &reason, "exhausted").into());
        };
        if limits.deadline.is_some_and(|d| Instant::now() + delay > d) {
            tracing::info!(error = %reason, ?delay, attempt = backoff.attempts(), "transient failure; retrying in the next transaction");
            return Handled::OutOfTime { wait: delay };
        }
        tracing::info!(error = %reason, ?delay, attempt = backoff.attempts(), "transient failure, retrying");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = limits.stopping.cancelled() => return Handled::Stopped,
        }
    }
}

/// The dead letter of `m` (counted and logged), as one message to produce.
pub(crate) fn dead_letter(
    config: &RuntimeConfig,
    metrics: &Metrics,
    m: &OwnedMessage,
    reason: &str,
    kind: &str,
) -> Vec<Outgoing> {
    tracing::warn!(error = %reason, kind, "dead-lettering");
    metrics.dead_lettered(m.topic());
    vec![message_dead_letter(
        &config.dlq_topic,
        m,
        reason,
        kind,
        &config.service,
    )]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU32, Ordering};

    use rdkafka::message::Timestamp;

    use super::*;
    use crate::backoff::RetryPolicy;
    use crate::config::Defaults;

    /// Fails transiently, always, counting calls.
    struct Down(AtomicU32);

    impl Processor for Down {
        async fn process(&self, _: &Incoming<'_>) -> Result<Output, ProcessError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(ProcessError::Transient("sink down".into()))
        }
    }

    fn message() -> OwnedMessage {
        OwnedMessage::new(
            Some(b"{}".to_vec()),
            Some(b"k".to_vec()),
            "in".into(),
            Timestamp::NotAvailable,
            2,
            7,
            None,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn retries_never_wait_past_the_deadline_and_resume_their_count_after_it() {
        let config = RuntimeConfig::from_vars(
            "svc",
            &Defaults::topics(&["in"], Some("out")),
            &BTreeMap::new(),
        )
        .expect("config");
        let metrics = Metrics::new("svc");
        let down = Down(AtomicU32::new(0));
        let never = CancellationToken::new();
        // waits of up to 30 s over 6 attempts: far more than one 20 s transaction holds
        let mut backoff = Backoff::new(RetryPolicy {
            initial: Duration::from_secs(8),
            max: Duration::from_secs(30),
            max_attempts: 6,
        });
        let m = message();
        let mut transactions = 0;
        let handled = loop {
            transactions += 1;
            assert!(transactions < 100, "never finished");
            let start = Instant::now();
            let deadline = start + Duration::from_secs(20);
            let limits = Limits {
                stopping: &never,
                deadline: Some(deadline),
                epoch: 0,
            };
            match handle(&down, &config, &metrics, limits, &m, &mut backoff).await {
                Handled::OutOfTime { wait } => {
                    assert!(Instant::now() <= deadline, "waited past the deadline");
                    assert!(Instant::now() + wait > deadline);
                    // between transactions the loop waits out the delay
                    tokio::time::sleep(wait).await;
                }
                other => break other,
            }
        };
        // every attempt of the policy was made, across transactions, then it gave up
        assert_eq!(down.0.load(Ordering::SeqCst), 6);
        let Handled::Done(out) = handled else {
            panic!("expected the dead letter, got {handled:?}")
        };
        let h = &out.messages[0].headers;
        let kind = h.iter().find(|(k, _)| k == "docstream.error.kind");
        assert_eq!(kind.map(|(_, v)| v.as_slice()), Some(&b"exhausted"[..]));
        assert_eq!(out.messages[0].topic, "dlq.svc");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_deadline_shutdown_interrupts_the_retries() {
        let config =
            RuntimeConfig::from_vars("svc", &Defaults::topics(&["in"], None), &BTreeMap::new())
                .expect("config");
        let stop = CancellationToken::new();
        let mut backoff = Backoff::new(RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(1),
            max_attempts: 0,
        });
        let s = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            s.cancel();
        });
        let limits = Limits {
            stopping: &stop,
            deadline: None,
            epoch: 0,
        };
        let down = Down(AtomicU32::new(0));
        let h = handle(
            &down,
            &config,
            &Metrics::new("svc"),
            limits,
            &message(),
            &mut backoff,
        )
        .await;
        assert!(matches!(h, Handled::Stopped), "{h:?}");
        assert!(down.0.load(Ordering::SeqCst) >= 5);
    }
}
