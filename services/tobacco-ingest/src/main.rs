//! tobacco-ingest: load config, start telemetry, build the processor, run until shutdown.

use runtime::{Defaults, RuntimeConfig};
use tobacco_ingest::{Ingest, Limits};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let config = RuntimeConfig::from_env(
        "tobacco-ingest",
        &Defaults {
            input_topics: &["raw.tobacco"],
            output_topic: Some("processed.tobacco"),
        },
    )?;
    let mut limits = Limits::default();
    if let Some(max) = std::env::var("DOCSTREAM_TOBACCO_MAX_TEXT_BYTES")
        .ok()
        .map(|v| v.parse::<usize>())
        .transpose()
        .map_err(|e| anyhow::anyhow!("DOCSTREAM_TOBACCO_MAX_TEXT_BYTES: {e}"))?
    {
        limits.max_text_bytes = max;
    }
    let output = config.output_topic.clone().unwrap_or_default();
    runtime::serve(config, Ingest { output, limits }).await
}
