//! indexer: load config, make sure the index layout exists, start the bulk writer,
//! run the consume loop until shutdown.

use std::time::Duration;

use anyhow::Context;
use indexer::{Indexer, IndexerSettings, Targets};
use runtime::Metrics;
use searchindex::{EngineSettings, Layout};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let vars = runtime::env_vars();
    let settings = IndexerSettings::from_vars(&vars)?;
    let config = settings.runtime_config(&vars)?;
    let engine = EngineSettings::from_vars(&vars)?;
    let es = engine.client()?;
    let layout = Layout::new(&engine);
    ensure_layout(&engine, &layout, &es, settings.index_version.as_deref()).await?;
    let targets = Targets::new(&layout, settings.index_version.as_deref());
    let metrics = Metrics::new(&config.service);
    let indexer = Indexer::start(&settings, &config, targets, es, &metrics)?;
    runtime::serve_with_metrics(config, metrics, indexer).await?;
    Ok(())
}

/// Templates and aliases (and a rebuild's new indices), waiting for the engine while
/// it is unreachable; a refusal (bad credentials, a conflicting template) stops here.
async fn ensure_layout(
    engine: &EngineSettings,
    layout: &Layout,
    es: &elasticsearch::Elasticsearch,
    version: Option<&str>,
) -> anyhow::Result<()> {
    let mut backoff = runtime::Backoff::new(runtime::RetryPolicy {
        initial: Duration::from_millis(500),
        max: Duration::from_secs(10),
        max_attempts: 0,
    });
    loop {
        let r = async {
            // credentials refused: stop at start, naming the settings
            engine.check_access(es).await?;
            layout.ensure(es).await?;
            if let Some(v) = version {
                for c in searchindex::Collection::ALL {
                    layout.create_index(es, c, v, false).await?;
                }
            }
            Ok::<_, searchindex::Error>(())
        }
        .await;
        match r {
            Ok(()) => return Ok(()),
            Err(searchindex::Error::Unreachable(e)) => {
                let delay = backoff.next_delay().unwrap_or(Duration::from_secs(10));
                tracing::warn!(error = %e, ?delay, "search engine unreachable; waiting");
                tokio::time::sleep(delay).await;
            }
            Err(e @ (searchindex::Error::Credentials { .. } | searchindex::Error::Tls { .. })) => {
                return Err(e.into())
            }
            Err(e) => return Err(e).context("set up the index layout"),
        }
    }
}
