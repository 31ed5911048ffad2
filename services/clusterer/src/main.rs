//! clusterer: `clusterer` embeds and assigns processed documents (any number of
//! replicas); `clusterer train` is the one trainer. Each: load config, build, run
//! until shutdown.

use anyhow::Context;
use clusterer::{assign, train, AssignSettings, Role, TrainSettings};
use runtime::{Batched, Defaults, KafkaSettings, Metrics, RuntimeConfig, Vars};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let vars = runtime::env_vars();
    match Role::parse(std::env::args().nth(1).as_deref())? {
        Role::Assign => consume(&vars).await,
        Role::Train => run_train(&vars).await,
    }
}

async fn consume(vars: &Vars) -> anyhow::Result<()> {
    let settings = AssignSettings::from_vars(vars)?;
    let defaults = Defaults::of("clusterer")?
        .with_max_in_flight(256)
        .with_pipeline(settings.batch.max_messages);
    let config = RuntimeConfig::from_vars("clusterer", &defaults, vars)?;
    let embedder = embed::Embedder::load(&embed::model_dir(vars), embed::Options::default())
        .context(
        "the clusterer needs its model (scripts/model makes it; DOCSTREAM_MODEL_DIR points at it)",
    )?;
    let metrics = Metrics::new("clusterer");
    let models = assign::ModelView::default();
    assign::follow_models(
        &config.kafka,
        &settings.topics.models,
        models.clone(),
        metrics.clone(),
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .context("reading the cluster models")?;
    let processor = assign::Clusterer {
        embedder: std::sync::Arc::new(embedder),
        models,
        topics: settings.topics,
        text: settings.text,
        metrics: metrics.clone(),
    };
    let processor = Batched::new(processor, settings.batch, metrics.clone());
    runtime::serve_with_metrics(config, metrics, processor).await?;
    Ok(())
}

async fn run_train(vars: &Vars) -> anyhow::Result<()> {
    let settings = TrainSettings::from_vars(vars)?;
    let kafka = KafkaSettings::from_vars(vars);
    runtime::serve_source(train::NAME, vars, |cx| {
        train::run(settings.clone(), kafka.clone(), cx)
    })
    .await?;
    Ok(())
}
