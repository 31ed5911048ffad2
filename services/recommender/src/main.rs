//! recommender: consumes the logs and the clusters into recommendations until shutdown.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    recommender::serve(&runtime::env_vars()).await?;
    Ok(())
}
