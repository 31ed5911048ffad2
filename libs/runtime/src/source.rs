//! The frame of a source connector (the MySQL and MongoDB sources): its HTTP server,
//! a producer, a poll loop restarted with backoff when the database or Kafka fails,
//! and publishing a batch so that the caller moves its position only after Kafka
//! acknowledged every message.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use rdkafka::producer::FutureProducer;
use tokio_util::sync::CancellationToken;

use crate::{Backoff, Health, KafkaSettings, Metrics, Outgoing, RetryPolicy};

/// Which deployment of a service a process is, from its first argument: the consume
/// loop (none, or `consume`) or the service's source connector (`source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Consume,
    Source,
}

impl Mode {
    /// The mode named by `arg`.
    pub fn parse(arg: Option<&str>) -> anyhow::Result<Self> {
        match arg {
            None | Some("consume") => Ok(Self::Consume),
            Some("source") => Ok(Self::Source),
            Some(other) => {
                anyhow::bail!("unknown mode {other:?}: expected consume (default) or source")
            }
        }
    }

    /// The mode named by the process's first argument.
    pub fn from_args() -> anyhow::Result<Self> {
        Self::parse(std::env::args().nth(1).as_deref())
    }
}

/// What a source's poll loop gets.
#[derive(Clone)]
pub struct SourceContext {
    pub producer: FutureProducer,
    pub metrics: Metrics,
    pub health: Health,
    pub shutdown: CancellationToken,
}

impl std::fmt::Debug for SourceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceContext").finish_non_exhaustive()
    }
}

/// Runs a source until SIGTERM or SIGINT: `/metrics`, `/livez` and `/readyz` on
/// `DOCSTREAM_HTTP_ADDR`, an idempotent producer from `DOCSTREAM_KAFKA_*`, and
/// `poll` (which returns `Ok` on shutdown) restarted with backoff after an error.
pub async fn serve_source<F, Fut>(name: &str, mut poll: F) -> anyhow::Result<()>
where
    F: FnMut(SourceContext) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let shutdown = crate::shutdown_on_signals();
    let metrics = Metrics::new(name);
    let health = Health::default();
    let vars = crate::env_vars();
    let addr = crate::parse(
        &vars,
        "DOCSTREAM_HTTP_ADDR",
        SocketAddr::from(([0, 0, 0, 0], 9000)),
    )?;
    crate::serve_http(addr, metrics.clone(), health.clone(), shutdown.clone())
        .await
        .context("start the http server")?;
    let producer = crate::consumer::producer(&KafkaSettings::from_vars(&vars), &[])
        .context("kafka producer")?;
    let cx = SourceContext {
        producer,
        metrics,
        health: health.clone(),
        shutdown: shutdown.clone(),
    };
    let mut backoff = Backoff::new(RetryPolicy {
        max_attempts: 0,
        ..RetryPolicy::default()
    });
    while !shutdown.is_cancelled() {
        match poll(cx.clone()).await {
            Ok(()) => break,
            Err(e) => {
                health.set_sink(false);
                let delay = backoff.next_delay().unwrap_or(Duration::from_secs(30));
                tracing::warn!(error = format!("{e:#}"), ?delay, "source failed, retrying");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    Ok(())
}

/// Hands every message to the producer in order, then waits until Kafka acknowledged
/// all of them.
pub async fn publish_all(producer: &FutureProducer, messages: &[Outgoing]) -> anyhow::Result<()> {
    let mut deliveries = Vec::with_capacity(messages.len());
    for m in messages {
        deliveries.push(crate::enqueue(producer, m).await.context("publish")?);
    }
    for d in deliveries {
        match d.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => return Err(e).context("publish"),
            Err(e) => anyhow::bail!("publish: {e}"),
        }
    }
    Ok(())
}

/// The dead letter of a source record that is not a valid document: its original
/// bytes, the reason, and where it came from.
pub fn source_dead_letter(
    topic: &str,
    key: String,
    payload: Vec<u8>,
    reason: String,
    origin: (&str, String),
    service: &str,
) -> Outgoing {
    Outgoing {
        topic: topic.to_owned(),
        key: Some(key.into_bytes()),
        payload,
        headers: vec![
            (contracts::DeadLetter::ERROR.into(), reason.into_bytes()),
            (
                contracts::DeadLetter::ERROR_KIND.into(),
                b"invalid".to_vec(),
            ),
            (
                format!("docstream.source.{}", origin.0),
                origin.1.into_bytes(),
            ),
            (
                contracts::DeadLetter::SERVICE.into(),
                service.as_bytes().to_vec(),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::Mode;

    #[test]
    fn modes_by_first_argument() {
        assert_eq!(Mode::parse(None).expect("default"), Mode::Consume);
        assert_eq!(
            Mode::parse(Some("consume")).expect("consume"),
            Mode::Consume
        );
        assert_eq!(Mode::parse(Some("source")).expect("source"), Mode::Source);
        let err = Mode::parse(Some("sink")).expect_err("unknown").to_string();
        assert!(
            err.contains("\"sink\"") && err.contains("consume (default) or source"),
            "{err}"
        );
    }
}
