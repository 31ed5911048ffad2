//! The toy service as a process, for the runtime's tests: see the `toy` library.
//! `TOY_DELAY_MS` makes each message take that long, so tests can stop it in the
//! middle of a stream; `TOY_BATCH=<n>` runs it as a batch processor of up to n
//! messages a batch (then the delay is per batch).

use std::time::Duration;

use anyhow::Context as _;
use runtime::{BatchLimits, Batched, Defaults, Metrics, RuntimeConfig};
use toy::{Upper, UpperBatch};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let vars = runtime::env_vars();
    let config = RuntimeConfig::from_vars(
        "toy-upper",
        &Defaults::topics(&["toy.in"], Some("toy.out")),
        &vars,
    )?;
    let delay_ms = std::env::var("TOY_DELAY_MS")
        .ok()
        .map(|v| v.parse::<u64>())
        .transpose()
        .context("TOY_DELAY_MS")?
        .unwrap_or(0);
    let batch = std::env::var("TOY_BATCH")
        .ok()
        .map(|v| v.parse::<usize>())
        .transpose()
        .context("TOY_BATCH")?;
    let output = config.output_topic.clone().unwrap_or_default();
    let delay = Duration::from_millis(delay_ms);
    match batch {
        None => runtime::serve(config, Upper { output, delay }).await?,
        Some(max_messages) => {
            let metrics = Metrics::new(&config.service);
            let limits = BatchLimits {
                max_messages,
                max_wait: Duration::from_millis(20),
            };
            let toy = UpperBatch {
                output,
                delay,
                ..UpperBatch::default()
            };
            let toy = Batched::new(toy, limits, metrics.clone());
            runtime::serve_with_metrics(config, metrics, toy).await?;
        }
    }
    Ok(())
}
