//! The toy service as a process, for the runtime's tests: see `runtime::toy`.
//! `TOY_DELAY_MS` makes each message take that long, so tests can stop it in the
//! middle of a stream.

use std::time::Duration;

use runtime::{toy::Upper, Defaults, RuntimeConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let config = RuntimeConfig::from_env(
        "toy-upper",
        &Defaults {
            input_topics: &["toy.in"],
            output_topic: Some("toy.out"),
            max_in_flight: None,
        },
    )?;
    let delay_ms = std::env::var("TOY_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let output = config.output_topic.clone().unwrap_or_default();
    runtime::serve(
        config,
        Upper {
            output,
            delay: Duration::from_millis(delay_ms),
        },
    )
    .await
}
