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
//! Every binary that links the runtime allocates with mimalloc: the loop allocates per
//! message (the copy out of librdkafka, outputs, delivery futures), and glibc's malloc
//! cost it about a quarter of its throughput (`loadtest runtime`, BENCHMARKS.md).

mod backoff;
mod config;
mod consumer;
mod context;
mod dlq;
mod error;
mod exactly_once;
mod metrics;
mod processor;
mod shutdown;
mod source;
mod telemetry;
pub mod toy;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use backoff::{Backoff, RetryPolicy};
pub use config::{env_vars, parse, var, Defaults, KafkaSettings, RuntimeConfig, Secret};
pub use consumer::{enqueue, run};
pub use dlq::dead_letter_headers;
pub use error::{Error, Result};
pub use metrics::Metrics;
pub use processor::{Confirmation, Incoming, Outgoing, Output, ProcessError, Processor};
pub use shutdown::shutdown_on_signals;
pub use source::{publish_all, serve_source, source_dead_letter, Mode, SourceContext};
pub use telemetry::{init_tracing, serve_http, Health};

/// Runs a service until SIGTERM or SIGINT: tracing, the HTTP server for `/metrics`,
/// `/livez` and `/readyz`, and the consume loop. What a service's `main` calls.
pub async fn serve<P: Processor>(config: RuntimeConfig, processor: P) -> anyhow::Result<()> {
    let metrics = Metrics::new(&config.service);
    serve_with_metrics(config, metrics, processor).await
}

/// [`serve`] with metrics the processor also records into (a sink's requests).
pub async fn serve_with_metrics<P: Processor>(
    config: RuntimeConfig,
    metrics: Metrics,
    processor: P,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let shutdown = shutdown_on_signals();
    let health = Health::default();
    let http = serve_http(
        config.http_addr,
        metrics.clone(),
        health.clone(),
        shutdown.clone(),
    )
    .await
    .context("start the http server")?;
    tracing::info!(service = %config.service, http = %http, "starting");
    run(config, processor, metrics, health, shutdown).await?;
    Ok(())
}
