//! The toy service as a process, for the runtime's tests: see the `toy` library.
//! `TOY_DELAY_MS` makes each message take that long, so tests can stop it in the
//! middle of a stream.

use std::time::Duration;

use anyhow::Context as _;
use runtime::{Defaults, RuntimeConfig};
use toy::Upper;

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
    let output = config.output_topic.clone().unwrap_or_default();
    let toy = Upper {
        output,
        delay: Duration::from_millis(delay_ms),
    };
    runtime::serve(config, toy).await?;
    Ok(())
}
