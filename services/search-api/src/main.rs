//! search-api: serves the library's search over HTTP until shutdown.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    search_api::serve(&runtime::env_vars()).await?;
    Ok(())
}
