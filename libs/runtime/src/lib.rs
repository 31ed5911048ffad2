//! The docstream service runtime. A service is only its transformation, a
//! [`Processor`]; the runtime consumes its input topics in a consumer group, calls it,
//! produces what it returns, and commits input offsets, with these guarantees:
//!
//! - **At-least-once** (default): an input offset is stored for commit only after every
//!   message produced for it (outputs or a dead letter) is acknowledged by the broker.
//!   Offsets advance in order per partition, never past a message that has not
//!   succeeded, so a crash replays from the last commit and loses nothing.
//! - **Exactly-once** (`DOCSTREAM_EXACTLY_ONCE=true`): outputs and input offsets are
//!   written in one Kafka transaction; readers with `isolation.level=read_committed`
//!   see each output once.
//! - **Order per key**: a partition is processed by one task in offset order; keys map
//!   to partitions, so per-key order holds while partitions run in parallel.
//! - **Bounded memory**: at most `max_in_flight` messages are in flight; when full, the
//!   assigned partitions are paused and resumed as work drains.
//! - **No poison pill**: a message the processor calls invalid, or whose transient
//!   failures outlive the retries, goes to the dead-letter topic with the reason and
//!   its origin in headers, and the loop goes on.
//!
//! The modules, by job (none imports one that imports it; a test holds that):
//! `batch` (a processor of many messages at once, run by the loops unchanged),
//! `clients` (the Kafka clients), `handling` (a message with retries and its dead
//! letter), `delivery` (producing and acknowledgements), `at_least_once` and
//! `exactly_once` (the two loops), `source` (the frame of source connectors), `dlq`
//! (the one dead-letter format), `context` (ownership, lag and rebalances), `config`,
//! `metrics`, `telemetry`, `shutdown`, `backoff`, `processor`, `error`.
//!
//! The runtime sets no allocator: each service's `main.rs` chooses mimalloc
//! (`loadtest runtime`: glibc's malloc cost the loop about a quarter of its
//! throughput, BENCHMARKS.md).

mod at_least_once;
mod backoff;
mod batch;
mod clients;
mod config;
mod context;
mod delivery;
mod dlq;
mod error;
mod exactly_once;
mod handling;
mod metrics;
mod processor;
mod shutdown;
mod source;
mod telemetry;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use backoff::{Backoff, RetryPolicy};
pub use batch::{BatchLimits, BatchProcessor, Batched};
pub use config::{Defaults, RuntimeConfig};
pub use delivery::{enqueue, publish_all};
pub use dlq::{dead_letter_headers, message_dead_letter, source_dead_letter, Origin};
pub use error::{Error, Result};
pub use metrics::Metrics;
pub use processor::{Confirmation, Incoming, Outgoing, Output, ProcessError, Processor};
pub use settings::{env_vars, parse, var, KafkaSettings, Secret, Vars};
pub use shutdown::shutdown_on_signals;
pub use source::{serve_source, Mode, SourceContext};
pub use telemetry::{init_tracing, serve_http, Health};

/// Runs a service until SIGTERM or SIGINT: tracing, the HTTP server for `/metrics`,
/// `/livez` and `/readyz`, and the consume loop. What a service's `main` calls.
pub async fn serve<P: Processor>(config: RuntimeConfig, processor: P) -> Result<()> {
    let metrics = Metrics::new(&config.service);
    serve_with_metrics(config, metrics, processor).await
}

/// [`serve`] with metrics the processor also records into (a sink's requests).
pub async fn serve_with_metrics<P: Processor>(
    config: RuntimeConfig,
    metrics: Metrics,
    processor: P,
) -> Result<()> {
    // TLS or SASL refused: stop at start and say which setting (a broker that does
    // not answer yet is not refused: the clients retry)
    config.kafka.check_access(clients::KAFKA_ACCESS_TIMEOUT)?;
    metrics.start_topics(&config.input_topics);
    let shutdown = shutdown_on_signals();
    let health = Health::default();
    let http = serve_http(
        config.http_addr,
        metrics.clone(),
        health.clone(),
        shutdown.clone(),
    )
    .await?;
    tracing::info!(service = %config.service, http = %http, "starting");
    run(config, processor, metrics, health, shutdown).await
}

/// Runs the service's loop (at-least-once, or exactly-once when configured) until
/// `shutdown` is cancelled, then drains in-flight work within the shutdown deadline
/// and commits. Returns an error only when the broker will not take an output (or,
/// in exactly-once mode, a transaction fails).
pub async fn run<P: Processor>(
    config: RuntimeConfig,
    processor: P,
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
) -> Result<()> {
    let processor = Arc::new(processor);
    clients::spawn_health_probe(&config, processor.clone(), health, shutdown.clone())?;
    if config.exactly_once {
        exactly_once::run(config, processor, metrics, shutdown).await
    } else {
        at_least_once::run(config, processor, metrics, shutdown).await
    }
}
