//! The frame of a source connector (the MySQL and MongoDB sources): which mode a
//! process runs in, its HTTP server, a producer, and a poll loop restarted with
//! backoff when the database or Kafka fails. A source publishes with
//! [`crate::publish_all`] and moves its position only after Kafka acknowledged every
//! message; its dead letters are [`crate::source_dead_letter`]s.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use rdkafka::producer::FutureProducer;
use settings::{KafkaSettings, Vars};
use tokio_util::sync::CancellationToken;

use crate::backoff::{Backoff, RetryPolicy};
use crate::clients::producer;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::shutdown::shutdown_on_signals;
use crate::telemetry::{serve_http, Health};

/// Which deployment of a service a process is, from its first argument: the consume
/// loop (none, or `consume`) or the service's source connector (`source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Consume,
    Source,
}

impl Mode {
    /// The mode named by `arg`.
    pub fn parse(arg: Option<&str>) -> Result<Self> {
        match arg {
            None | Some("consume") => Ok(Self::Consume),
            Some("source") => Ok(Self::Source),
            Some(other) => Err(Error::Mode(other.to_owned())),
        }
    }

    /// The mode named by the process's first argument.
    pub fn from_args() -> Result<Self> {
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

impl SourceContext {
    /// A read from the source database succeeded: ready, and counted in
    /// `…_outcomes_total{kind="source",value="reads"}` (the alert on a source that
    /// stopped advancing watches it).
    pub fn read_ok(&self) {
        self.health.set_sink(true);
        self.health.set_kafka(true);
        self.metrics.count("source", "reads");
    }
}

impl fmt::Debug for SourceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceContext").finish_non_exhaustive()
    }
}

/// Runs a source until SIGTERM or SIGINT: `/metrics`, `/livez` and `/readyz` on
/// `DOCSTREAM_HTTP_ADDR`, an idempotent producer from `DOCSTREAM_KAFKA_*` (both from
/// `vars`), and `poll` (which returns `Ok` on shutdown) restarted with backoff after
/// an error, which is logged with its causes (`{:#}`).
pub async fn serve_source<F, Fut, E>(name: &str, vars: &Vars, mut poll: F) -> Result<()>
where
    F: FnMut(SourceContext) -> Fut,
    Fut: Future<Output = std::result::Result<(), E>>,
    E: fmt::Display,
{
    let kafka = KafkaSettings::from_vars(vars);
    kafka.check_access(crate::clients::KAFKA_ACCESS_TIMEOUT)?;
    let shutdown = shutdown_on_signals();
    let metrics = Metrics::new(name);
    // at zero from the start: a source that never reads is still a series the alert
    // on a stalled source sees stay flat
    for value in ["reads", "failures"] {
        metrics.count_by("source", value, 0);
    }
    let health = Health::default();
    serve_http(
        settings::http_addr(vars)?,
        metrics.clone(),
        health.clone(),
        shutdown.clone(),
    )
    .await?;
    let cx = SourceContext {
        producer: producer(&kafka, &[])?,
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
                cx.metrics.count("source", "failures");
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
