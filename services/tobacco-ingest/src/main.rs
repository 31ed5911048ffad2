//! tobacco-ingest: `tobacco-ingest` consumes raw.tobacco into processed.tobacco;
//! `tobacco-ingest source` is the MySQL source that publishes raw.tobacco (a separate
//! deployment). Each: load config, start telemetry, build, run until shutdown.

use runtime::{Defaults, RuntimeConfig, Vars};
use tobacco_ingest::{source, Ingest, Limits};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let vars = runtime::env_vars();
    match runtime::Mode::from_args()? {
        runtime::Mode::Consume => consume(&vars).await,
        runtime::Mode::Source => run_source(&vars).await,
    }
}

async fn consume(vars: &Vars) -> anyhow::Result<()> {
    let config =
        RuntimeConfig::from_vars("tobacco-ingest", &Defaults::of("tobacco-ingest")?, vars)?;
    let limits = Limits::from_vars(vars)?;
    let output = config.output_topic.clone().unwrap_or_default();
    runtime::serve(config, Ingest { output, limits }).await?;
    Ok(())
}

async fn run_source(vars: &Vars) -> anyhow::Result<()> {
    let config = source::SourceConfig::from_vars(vars)?;
    runtime::serve_source("tobacco-source", vars, |cx| {
        source::poll(config.clone(), cx)
    })
    .await?;
    Ok(())
}
