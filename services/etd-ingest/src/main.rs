//! etd-ingest: `etd-ingest` consumes raw.etds into processed.etds; `etd-ingest source`
//! is the MongoDB source of raw.etds (a separate deployment); `etd-ingest
//! extract-worker <pdf> <ocr pages>` is the extraction worker the service runs on
//! itself, under limits.

use etd_ingest::{source, Ingest};
use runtime::{Defaults, Metrics, RuntimeConfig};

fn main() -> anyhow::Result<()> {
    etd_ingest::worker::main_or_worker(serve)
}

async fn serve() -> anyhow::Result<()> {
    runtime::init_tracing();
    match runtime::Mode::from_args()? {
        runtime::Mode::Consume => consume().await,
        runtime::Mode::Source => run_source().await,
    }
}

async fn consume() -> anyhow::Result<()> {
    let config = RuntimeConfig::from_env(
        "etd-ingest",
        &Defaults {
            input_topics: &["raw.etds"],
            output_topic: Some("processed.etds"),
            // seconds per document: a small window, so a rebalance drops little work
            max_in_flight: Some(etd_ingest::DEFAULT_IN_FLIGHT),
        },
    )?;
    let metrics = Metrics::new(&config.service);
    let output = config.output_topic.clone().unwrap_or_default();
    let ingest = Ingest::from_env(output, metrics.clone())?;
    runtime::serve_with_metrics(config, metrics, ingest).await
}

async fn run_source() -> anyhow::Result<()> {
    let config = source::SourceConfig::from_env()?;
    runtime::serve_source("etd-source", |cx| source::poll(config.clone(), cx)).await
}
