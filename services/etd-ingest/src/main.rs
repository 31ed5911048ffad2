//! etd-ingest: `etd-ingest` consumes raw.etds into processed.etds; `etd-ingest source`
//! is the MongoDB source of raw.etds (a separate deployment); `etd-ingest
//! extract-worker <pdf> <ocr pages>` is the extraction worker the service runs on
//! itself, under limits.

use etd_ingest::{source, Ingest};
use runtime::{Defaults, Metrics, RuntimeConfig, Vars};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    etd_ingest::worker::main_or_worker(serve)
}

async fn serve() -> anyhow::Result<()> {
    runtime::init_tracing();
    let vars = runtime::env_vars();
    match runtime::Mode::from_args()? {
        runtime::Mode::Consume => consume(&vars).await,
        runtime::Mode::Source => run_source(&vars).await,
    }
}

async fn consume(vars: &Vars) -> anyhow::Result<()> {
    // seconds per document: a small window, so a rebalance drops little work
    let defaults = Defaults::of("etd-ingest")?.with_max_in_flight(etd_ingest::DEFAULT_IN_FLIGHT);
    let config = RuntimeConfig::from_vars("etd-ingest", &defaults, vars)?;
    let metrics = Metrics::new(&config.service);
    let output = config.output_topic.clone().unwrap_or_default();
    let ingest = Ingest::from_vars(vars, output, metrics.clone())?;
    runtime::serve_with_metrics(config, metrics, ingest).await?;
    Ok(())
}

async fn run_source(vars: &Vars) -> anyhow::Result<()> {
    let config = source::SourceConfig::from_vars(vars)?;
    runtime::serve_source("etd-source", vars, |cx| source::poll(config.clone(), cx)).await?;
    Ok(())
}
