//! summarizer: consumes processed documents into summaries until shutdown.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    summarizer::serve(&runtime::env_vars()).await?;
    Ok(())
}
