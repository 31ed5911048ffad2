//! `loadtest`: docstream's benchmarks, one subcommand each. Every benchmark runs its
//! subject and its baseline in the same run on the same servers, because these
//! machines are noisy, and prints the ratio as its last line.

mod chaos;
mod cluster_bench;
mod e2e_bench;
mod host;
mod index_bench;
mod kafka;
mod pdf_bench;
mod recommend_bench;
mod runtime_bench;
mod s3_bench;
mod scale_bench;
mod search_bench;
mod served;
mod summarize_bench;
mod tobacco_bench;

use clap::{Parser, Subcommand};

// the same allocator as the services, so the benchmarks measure what runs
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// docstream benchmarks (run with --release against `scripts/stack up`).
#[derive(Debug, Parser)]
#[command(name = "loadtest")]
struct Cli {
    /// Kafka bootstrap servers.
    #[arg(
        long,
        env = "DOCSTREAM_KAFKA_BROKERS",
        default_value = "127.0.0.1:9092",
        global = true
    )]
    brokers: String,
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// The runtime's toy service next to a bare rdkafka consume-and-produce loop.
    Runtime(runtime_bench::Args),
    /// One service as 1 and as 3 instances in one consumer group.
    Scale(scale_bench::Args),
    /// tobacco-ingest next to the runtime's bare passthrough; text cleaning MB/s.
    Tobacco(tobacco_bench::Args),
    /// Kafka and the indexer next to a direct bulk loader into the search engine.
    Index(index_bench::Args),
    /// Raw documents to searchable through ingest and the indexer: p50 and p99 latency
    /// at half the saturation rate.
    E2e(e2e_bench::Args),
    /// etd-ingest's isolated PDF extraction next to bare pdftotext; OCR pages per minute;
    /// with `--source s3`, PDFs read from the S3 server next to local files, and uploads.
    Pdf(pdf_bench::Args),
    /// The clusterer on the runtime next to a bare loop calling libs/embed; peak RSS.
    Cluster(cluster_bench::Args),
    /// The summarizer on the runtime next to its function in a bare loop; pages/s.
    Summarize(summarize_bench::Args),
    /// Simulated users of the web pages next to the same work sent straight to the
    /// engine, at 100 and 1,000 users.
    Search(search_bench::Args),
    /// Log events through the recommender next to the same counting in a bare loop;
    /// the time from a click to its recommendation.
    Recommend(recommend_bench::Args),
    /// The whole pipeline as processes under a steady load while services, the
    /// broker, the engine and the databases fail: documents lost or stale, dead
    /// letters, recovery time per fault.
    Chaos(chaos::Args),
}

fn main() -> anyhow::Result<()> {
    // `loadtest pdf` re-executes this binary as etd-ingest's extraction worker
    etd_ingest::worker::main_or_worker(bench)
}

async fn bench() -> anyhow::Result<()> {
    // `loadtest cluster` runs this binary again as the clusterer service
    if std::env::var_os(cluster_bench::SERVE).is_some() {
        return Ok(clusterer::serve(&runtime::env_vars()).await?);
    }
    // `loadtest search` runs this binary again as the search API
    if std::env::var_os(search_bench::SERVE).is_some() {
        return Ok(search_api::serve(&runtime::env_vars()).await?);
    }
    // `loadtest recommend` runs this binary again as the recommender
    if std::env::var_os(recommend_bench::SERVE).is_some() {
        return Ok(recommender::serve(&runtime::env_vars()).await?);
    }
    let cli = Cli::parse();
    println!("{}", host::describe());
    match cli.bench {
        Bench::Runtime(args) => runtime_bench::run(&cli.brokers, &args).await,
        Bench::Scale(args) => scale_bench::run(&cli.brokers, &args).await,
        Bench::Tobacco(args) => tobacco_bench::run(&cli.brokers, &args).await,
        Bench::Index(args) => index_bench::run(&cli.brokers, &args).await,
        Bench::E2e(args) => e2e_bench::run(&cli.brokers, &args).await,
        Bench::Pdf(args) => pdf_bench::run(&cli.brokers, &args).await,
        Bench::Cluster(args) => cluster_bench::run(&cli.brokers, &args).await,
        Bench::Summarize(args) => summarize_bench::run(&cli.brokers, &args).await,
        Bench::Search(args) => search_bench::run(&cli.brokers, &args).await,
        Bench::Recommend(args) => recommend_bench::run(&cli.brokers, &args).await,
        Bench::Chaos(args) => chaos::run(&cli.brokers, &args).await,
    }
}
