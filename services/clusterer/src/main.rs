//! clusterer: `clusterer` embeds and assigns processed documents (any number of
//! replicas); `clusterer train` is the one trainer. Each runs until shutdown.

use clusterer::Role;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::init_tracing();
    let vars = runtime::env_vars();
    match Role::parse(std::env::args().nth(1).as_deref())? {
        Role::Assign => clusterer::serve(&vars).await?,
        Role::Train => clusterer::serve_train(&vars).await?,
    }
    Ok(())
}
