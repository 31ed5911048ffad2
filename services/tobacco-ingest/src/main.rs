//! tobacco-ingest: `tobacco-ingest` consumes raw.tobacco into processed.tobacco;
//! `tobacco-ingest source` is the MySQL source that publishes raw.tobacco (a separate
//! deployment). Each: load config, start telemetry, build, run until shutdown.

use runtime::{Defaults, RuntimeConfig};
use tobacco_ingest::{source, Ingest, Limits};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    match runtime::Mode::from_args()? {
        runtime::Mode::Consume => consume().await,
        runtime::Mode::Source => run_source().await,
    }
}

async fn consume() -> anyhow::Result<()> {
    let config = RuntimeConfig::from_env(
        "tobacco-ingest",
        &Defaults {
            input_topics: &["raw.tobacco"],
            output_topic: Some("processed.tobacco"),
            max_in_flight: None,
        },
    )?;
    let limits = Limits::from_vars(&runtime::env_vars())?;
    let output = config.output_topic.clone().unwrap_or_default();
    runtime::serve(config, Ingest { output, limits }).await
}

async fn run_source() -> anyhow::Result<()> {
    let config = source::SourceConfig::from_env()?;
    runtime::serve_source("tobacco-source", |cx| source::poll(config.clone(), cx)).await
}
