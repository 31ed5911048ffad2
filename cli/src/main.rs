//! `docstream`: the command line for operators and publishers.

use std::path::PathBuf;
use std::process::ExitCode;

mod roundtrip;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use rdkafka::config::ClientConfig;

/// docstream: the storage and retrieval backbone of the ETD and tobacco library.
#[derive(Debug, Parser)]
#[command(name = "docstream", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Topics as code: make the broker match topics.yaml.
    #[command(subcommand)]
    Topics(TopicsCommand),
    /// Send one record through Kafka into the search engine and find it.
    Roundtrip {
        /// Kafka bootstrap servers.
        #[arg(
            long,
            env = "DOCSTREAM_KAFKA_BROKERS",
            default_value = "127.0.0.1:9092"
        )]
        brokers: String,
        /// The search engine's URL.
        #[arg(
            long,
            env = "DOCSTREAM_ES_URL",
            default_value = "http://127.0.0.1:9200"
        )]
        es_url: String,
    },
}

#[derive(Debug, Subcommand)]
enum TopicsCommand {
    /// Create missing topics, raise partition counts and set configs; idempotent.
    Apply(TopicsArgs),
    /// Show what `apply` would change, changing nothing.
    Plan(TopicsArgs),
}

#[derive(Debug, clap::Args)]
struct TopicsArgs {
    /// The topics file.
    #[arg(long, default_value = "topics.yaml")]
    file: PathBuf,
    /// Kafka bootstrap servers.
    #[arg(
        long,
        env = "DOCSTREAM_KAFKA_BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    brokers: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOCSTREAM_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Topics(TopicsCommand::Apply(args)) => topics_apply(&args).await,
        Command::Topics(TopicsCommand::Plan(args)) => topics_plan(&args).await,
        Command::Roundtrip { brokers, es_url } => {
            let mut kafka = ClientConfig::new();
            kafka.set("bootstrap.servers", brokers);
            roundtrip::run(&kafka, &es_url).await
        }
    }
}

fn kafka(args: &TopicsArgs) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &args.brokers);
    c
}

async fn topics_apply(args: &TopicsArgs) -> Result<()> {
    let file = topics::TopicsFile::load(&args.file)?;
    let applied = topics::apply(&kafka(args), &file)
        .await
        .context("topics apply")?;
    if applied.changed_nothing() {
        println!(
            "nothing to change: {} topics match {}",
            file.topics.len(),
            args.file.display()
        );
    } else {
        for action in &applied.plan.actions {
            println!("{action}");
        }
        println!("applied {} change(s)", applied.plan.actions.len());
    }
    Ok(())
}

async fn topics_plan(args: &TopicsArgs) -> Result<()> {
    let file = topics::TopicsFile::load(&args.file)?;
    let existing = topics::current_state(&kafka(args), &file)
        .await
        .context("reading topics from the broker")?;
    let plan = topics::plan(&file, &existing);
    if plan.is_empty() {
        println!("nothing to change: {} topics match", file.topics.len());
    }
    for action in &plan.actions {
        println!("{action}");
    }
    for refusal in &plan.refusals {
        println!("refused: {refusal}");
    }
    Ok(())
}
