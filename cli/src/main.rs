//! `docstream`: the command line for operators and publishers.

mod dlq;
mod eval;
mod publish;
mod ranking;
mod roundtrip;
mod sample;
mod search;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use rdkafka::config::ClientConfig;

/// docstream: the storage and retrieval backbone of the ETD and tobacco library.
///
/// Kafka settings come from DOCSTREAM_KAFKA_* (brokers, TLS, SASL; see the README).
#[derive(Debug, Parser)]
#[command(name = "docstream", version)]
struct Cli {
    /// Kafka bootstrap servers (overrides DOCSTREAM_KAFKA_BROKERS).
    #[arg(long, global = true)]
    brokers: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Topics as code: make the broker match topics.yaml.
    #[command(subcommand)]
    Topics(TopicsCommand),
    /// Send documents to the raw topics, checking each first.
    Publish(PublishArgs),
    /// The dead-letter topics: count, look at, replay after a fix, purge.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// One screen: topic sizes, each service's lag, dead letters, the engine's
    /// documents and indices, which services are ready. Exit 3 when something is wrong.
    Status {
        /// A service's HTTP address, NAME=URL (its /readyz is asked); repeatable, with
        /// DOCSTREAM_STATUS_SERVICES (comma-separated) added.
        #[arg(long = "service")]
        services: Vec<String>,
    },
    /// Search what got indexed: hits with highlighted snippets, and facet counts.
    ///
    /// The engine comes from DOCSTREAM_ES_* (URL, credentials, index prefix).
    Search(SearchArgs),
    /// The index layout: point a collection's alias at a rebuilt index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Load a generated sample collection into the source databases.
    #[command(subcommand)]
    Sample(SampleCommand),
    /// Kubernetes manifests for every service.
    #[command(subcommand)]
    K8s(K8sCommand),
    /// Quality measured: clustering against the records' departments.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Send one record through Kafka into the search engine and find it.
    Roundtrip {
        /// The search engine's URL.
        #[arg(
            long,
            env = "DOCSTREAM_ES_URL",
            default_value = "http://127.0.0.1:9200"
        )]
        es_url: String,
    },
}

#[derive(Debug, clap::Args)]
struct SearchArgs {
    /// Words to look for ("" for everything).
    query: String,
    /// Search one collection only.
    #[arg(long, value_parser = search::parse_collection)]
    collection: Option<searchindex::Collection>,
    /// Count the values of a field (department, degree.level, year, subjects,
    /// document_type, organizations, topics, cluster.label, ...); repeatable.
    #[arg(long = "facet")]
    facets: Vec<String>,
    /// Keep only documents where FIELD has VALUE; repeatable.
    #[arg(long = "filter", value_parser = search::parse_filter)]
    filters: Vec<(String, String)>,
    /// Keep only documents that have a value for the facet FIELD (`--has
    /// cluster.label`: those already clustered); repeatable.
    #[arg(long = "has")]
    has: Vec<String>,
    /// How many hits to show.
    #[arg(long, default_value_t = 10)]
    size: usize,
    /// Which page of `size` hits (1 first).
    #[arg(long, default_value_t = 1)]
    page: usize,
    /// relevance, newest or oldest (by year).
    #[arg(long, default_value = "relevance", value_parser = search::parse_sort)]
    sort: searchindex::query::Sort,
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Embed title + abstract of DSpace ETD records, cluster them (the clusterer's
    /// method, offline k-means, a TF-IDF baseline at the same k) and print each
    /// clustering's NMI against the records' departments.
    Clusters {
        /// A JSON array of DSpace ETD records (as ../shared/data/cs5604-fek/etd_metadata.sample.json).
        #[arg(long)]
        etds: PathBuf,
        #[arg(long, default_value_t = 20)]
        k: usize,
        /// Seeds to average over.
        #[arg(long, default_value_t = 5)]
        seeds: u64,
        /// The clusterer fits on at most this many records (a random sample).
        #[arg(long, default_value_t = 10_000)]
        sample: usize,
    },
    /// Index DSpace ETD records without their subject keywords into a fresh index and
    /// rank them for each keyword three or more records share (those are relevant) and
    /// for the first sentence of each abstract (its record is): nDCG@10, MRR@10 and
    /// recall@100 of BM25, BM25 with tuned boosts, semantic, hybrid and rank fusion.
    Ranking {
        /// A JSON array of DSpace ETD records (as ../shared/data/cs5604-fek/etd_metadata.sample.json).
        #[arg(long)]
        etds: PathBuf,
    },
    /// Train the recommender's method on click sessions (JSON lines as `docstream
    /// sample sessions` writes them) and measure the next click of held-out sessions:
    /// hit rate and MRR at k for it and for the popularity baseline.
    Recommend {
        #[arg(long)]
        sessions: PathBuf,
        #[arg(long, default_value_t = 20)]
        k: usize,
        /// Every n-th session is held out for testing.
        #[arg(long, default_value_t = 5)]
        test_every: usize,
        /// How co-clicks are normalised: cosine (the recommender's) or llr.
        #[arg(long, default_value = "cosine")]
        score: String,
        /// The session's list: the related lists of its last N documents (the search
        /// API's default: 10).
        #[arg(long, default_value_t = recommend::session::Options::default().recent)]
        recent: usize,
        /// The session's list: how much each earlier document counts against the next
        /// (the search API's default: 0.85).
        #[arg(long, default_value_t = recommend::session::Options::default().decay)]
        decay: f64,
    },
    /// Summarise each ACLSum paper's body with the summarizer's method, budget the
    /// abstract's length, and print ROUGE-1/2/L F1 against the abstract for it, Lead and
    /// a plain TF-IDF TextRank.
    Summaries {
        /// The ACLSum folder `scripts/aclsum` makes (default: in the cache).
        #[arg(long)]
        papers: Option<PathBuf>,
        /// train, val or test.
        #[arg(long, default_value = "test")]
        split: String,
        /// MMR's weight of rank against redundancy (tuning; default the summarizer's).
        #[arg(long)]
        lambda: Option<f64>,
        /// Rank bonus of early sentences (tuning; default the summarizer's).
        #[arg(long)]
        lead: Option<f64>,
        /// Also write every summary as JSON lines here (to score them elsewhere).
        #[arg(long)]
        dump: Option<PathBuf>,
        /// Also score the method on the sentences' MiniLM embeddings as similarities
        /// (the model of scripts/model; minutes of embedding).
        #[arg(long)]
        minilm: bool,
    },
}

#[derive(Debug, Subcommand)]
enum K8sCommand {
    /// Write k8s/ from the workspace, topics.yaml and k8s/services.yaml.
    Generate {
        /// The checkout.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Change nothing; fail when a generated file is missing, different or extra.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SampleCommand {
    /// Tobacco documents (UCSF records with OCR'd pages) into the MySQL table the
    /// tobacco source reads (created when missing).
    Tobacco {
        #[arg(long, default_value_t = 300)]
        count: usize,
        #[arg(
            long,
            env = "DOCSTREAM_MYSQL_URL",
            default_value = "mysql://docstream:docstream@127.0.0.1:3306/docstream",
            hide_env_values = true
        )]
        mysql_url: String,
        #[arg(
            long,
            env = "DOCSTREAM_SOURCE_TABLE",
            default_value = "tobacco_documents"
        )]
        table: String,
    },
    /// ETDs: generated thesis PDFs written to a folder, their DSpace records (with the
    /// PDF's path) into the MongoDB collection the ETD source reads.
    Etds {
        #[arg(long, default_value_t = 30)]
        count: usize,
        /// Where the PDFs are written; with DOCSTREAM_S3_BUCKET set they are uploaded
        /// there too and the records point at the objects (`s3://`), else at the files
        /// (`file://`, a volume etd-ingest must read).
        #[arg(long, default_value = ".stack/sample-pdfs")]
        pdf_dir: PathBuf,
        #[arg(
            long,
            env = "DOCSTREAM_MONGO_URL",
            default_value = "mongodb://127.0.0.1:27017/",
            hide_env_values = true
        )]
        mongo_url: String,
        #[arg(long, env = "DOCSTREAM_MONGO_DATABASE", default_value = "docstream")]
        database: String,
        #[arg(long, env = "DOCSTREAM_MONGO_COLLECTION", default_value = "etds")]
        collection: String,
        /// Lay out real papers as the theses: the ACLSum folder `scripts/aclsum` makes
        /// (titles, authors, abstracts, sections as chapters) instead of generated text.
        #[arg(long)]
        papers: Option<PathBuf>,
    },
    /// Click sessions over the sample collections' documents (users following topics,
    /// popular documents, noise), as JSON lines on standard output: one
    /// `{"session": .., "items": [ids]}` per session.
    Sessions {
        #[arg(long, default_value_t = 5000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
enum IndexCommand {
    /// Point the collection's alias at INDEX alone, atomically (the last step of a
    /// rebuild, or a roll-back to the previous index).
    Swap {
        #[arg(value_parser = search::parse_collection)]
        collection: searchindex::Collection,
        index: String,
    },
}

#[derive(Debug, Subcommand)]
enum TopicsCommand {
    /// Create missing topics, raise partition counts and set configs; idempotent.
    Apply(TopicsArgs),
    /// Show what `apply` would change, changing nothing.
    Plan(TopicsArgs),
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// Per dead-letter topic: how many, the oldest and newest, by error kind and reason.
    List {
        /// A dead-letter topic; repeatable (default: every dlq.* of topics.yaml).
        #[arg(long = "topic")]
        topics: Vec<String>,
    },
    /// Dead letters with their docstream.* headers and the payload shortened.
    Show {
        topic: String,
        #[command(flatten)]
        filter: DlqFilter,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Payload characters shown.
        #[arg(long, default_value_t = 200)]
        width: usize,
    },
    /// Send chosen dead letters back to the topic they came from; each replay is
    /// recorded, and one replayed before is skipped unless --again.
    Replay {
        topic: String,
        #[command(flatten)]
        filter: DlqFilter,
        /// Print what would be sent, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send ones replayed before too.
        #[arg(long)]
        again: bool,
        /// The replay record (a compacted topic of topics.yaml).
        #[arg(long, default_value = dlq::REPLAYS_TOPIC)]
        record: String,
    },
    /// Delete every dead letter of a topic (asks you to type its name, or --yes).
    Purge {
        topic: String,
        #[arg(long)]
        yes: bool,
    },
}

/// Which dead letters.
#[derive(Debug, clap::Args)]
struct DlqFilter {
    /// Only those whose error contains this text (case-insensitive).
    #[arg(long)]
    reason: Option<String>,
    /// Only `invalid` or `exhausted` ones.
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    partition: Option<i32>,
    /// Offsets from (included).
    #[arg(long)]
    from: Option<i64>,
    /// Offsets to (included).
    #[arg(long)]
    to: Option<i64>,
}

impl DlqFilter {
    fn filter(&self) -> dlq::Filter {
        dlq::Filter {
            reason: self.reason.clone(),
            kind: self.kind.clone(),
            partition: self.partition,
            from: self.from,
            to: self.to,
        }
    }
}

#[derive(Debug, clap::Args)]
struct TopicsArgs {
    /// The topics file.
    #[arg(long, default_value = "topics.yaml")]
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    #[command(subcommand)]
    what: PublishWhat,
    /// Topic for ETDs.
    #[arg(long, default_value = "raw.etds", global = true)]
    etds_topic: String,
    /// Topic for tobacco documents.
    #[arg(long, default_value = "raw.tobacco", global = true)]
    tobacco_topic: String,
    /// Where a PDF given as a path goes: `s3` (uploaded to DOCSTREAM_S3_BUCKET, the
    /// message carries the object), `file` (the message carries its file:// path, for
    /// a volume every ingest pod shares), `auto` (s3 when DOCSTREAM_S3_BUCKET is set).
    #[arg(long, value_enum, default_value_t = PdfStore::Auto, global = true)]
    pdf_store: PdfStore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PdfStore {
    Auto,
    S3,
    File,
}

#[derive(Debug, Subcommand)]
enum PublishWhat {
    /// One ETD: its DSpace metadata JSON and, optionally, its PDF (sent by reference).
    Etd {
        /// The DSpace metadata record (JSON).
        #[arg(long)]
        metadata: PathBuf,
        /// The PDF: a path (uploaded to the S3 bucket, or sent as a file:// path with
        /// --pdf-store file), or an s3://bucket/key, file:// or http(s) URL sent as is.
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// One tobacco document: its UCSF JSON with the page texts.
    Tobacco {
        /// The UCSF record (JSON).
        file: PathBuf,
    },
    /// Many: a folder of JSON files (x.json takes x.pdf beside it), a JSON array, or
    /// a JSON-lines file; ETDs and tobacco documents are told apart by their fields.
    Batch {
        /// The folder or file.
        path: PathBuf,
    },
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
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let mut settings = settings::KafkaSettings::from_vars(&settings::env_vars());
    if let Some(b) = cli.brokers {
        settings.brokers = b;
    }
    let kafka = settings.client_config();
    if matches!(
        cli.command,
        Command::Topics(_) | Command::Publish(_) | Command::Dlq(_) | Command::Status { .. }
    ) {
        // TLS or SASL refused: say which setting, before any work
        settings.check_access(std::time::Duration::from_secs(10))?;
    }
    match cli.command {
        Command::Topics(TopicsCommand::Apply(args)) => topics_apply(&kafka, &args).await,
        Command::Topics(TopicsCommand::Plan(args)) => topics_plan(&kafka, &args).await,
        Command::Publish(args) => publish(&kafka, args).await,
        Command::Dlq(c) => dead_letters(&kafka, c).await,
        Command::Status { services } => {
            let env = std::env::var("DOCSTREAM_STATUS_SERVICES").ok();
            let services =
                status::parse_services(&services, env.as_deref()).map_err(anyhow::Error::msg)?;
            let engine = searchindex::EngineSettings::from_env()?;
            let s = status::gather(&kafka, &engine, &services).await?;
            print!("{}", status::render(&s));
            Ok(if s.unhealthy() {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Search(args) => {
            let engine = searchindex::EngineSettings::from_env()?;
            let s = searchindex::query::Search {
                query: args.query,
                collection: args.collection,
                facets: args.facets,
                filters: args.filters,
                has: args.has,
                size: args.size,
                from: args.page.saturating_sub(1) * args.size,
                sort: args.sort,
                ..Default::default()
            };
            let s3 = blobstore::S3Settings::from_vars(&settings::env_vars())?;
            let store = s3.configured().then(|| blobstore::Store::new(s3));
            search::run(&engine, s, store.as_ref())
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Index(IndexCommand::Swap { collection, index }) => {
            let engine = searchindex::EngineSettings::from_env()?;
            search::swap(&engine, collection, &index)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::K8s(K8sCommand::Generate { root, check }) => k8s_generate(&root, check),
        Command::Sample(SampleCommand::Tobacco {
            count,
            mysql_url,
            table,
        }) => {
            let n = sample::load_tobacco(&mysql_url, &table, count).await?;
            println!("loaded {n} tobacco documents into {table}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample(SampleCommand::Etds {
            count,
            pdf_dir,
            mongo_url,
            database,
            collection,
            papers,
        }) => {
            let s3 = blobstore::S3Settings::from_vars(&settings::env_vars())?;
            let store = s3.configured().then(|| blobstore::Store::new(s3));
            let place = match store.as_ref().map(blobstore::Store::upload_bucket) {
                Some(Ok(bucket)) => format!("s3://{bucket}/ (written in {})", pdf_dir.display()),
                _ => pdf_dir.display().to_string(),
            };
            let n = sample::load_etds(
                &mongo_url,
                &database,
                &collection,
                &pdf_dir,
                count,
                papers.as_deref(),
                store.as_ref(),
            )
            .await?;
            println!("loaded {n} ETDs into {database}.{collection}, their PDFs in {place}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample(SampleCommand::Sessions { count, seed }) => {
            use std::io::Write as _;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for (i, items) in samples::sessions::sessions(count, seed).iter().enumerate() {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"session": format!("s{i}"), "items": items})
                )?;
            }
            out.flush()?;
            let c = samples::sessions::ceiling(20);
            eprintln!(
                "the generator's ceiling at 20 (expected): a method that knows each session's topic {:.3}, popularity {:.3} ({:.2}x)",
                c.best,
                c.popularity,
                c.best / c.popularity
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Recommend {
            sessions,
            k,
            test_every,
            score,
            recent,
            decay,
        }) => {
            let score = match score.as_str() {
                "cosine" => recommend::Score::Cosine,
                "llr" => recommend::Score::LogLikelihood,
                other => anyhow::bail!("--score {other:?}: cosine or llr"),
            };
            let session = recommend::session::Options { recent, decay };
            eval::recommend(&sessions, k, test_every, score, session).map(|()| ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Ranking { etds }) => {
            let vars: std::collections::BTreeMap<String, String> = std::env::vars().collect();
            let eval = ranking::RankingEval {
                etds: &etds,
                model_dir: &embed::model_dir(&vars),
                engine: searchindex::EngineSettings::from_vars(&vars)?,
            };
            ranking::run(&eval).await.map(|()| ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Clusters {
            etds,
            k,
            seeds,
            sample,
        }) => {
            let dir = embed::model_dir(&std::env::vars().collect());
            eval::clusters(&etds, &dir, &eval::ClusterEval { k, seeds, sample })
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Eval(EvalCommand::Summaries {
            papers,
            split,
            lambda,
            lead,
            dump,
            minilm,
        }) => {
            let papers = papers.unwrap_or_else(|| eval::aclsum_dir(&std::env::vars().collect()));
            let d = summarize::Options::default();
            let options = summarize::Options {
                lambda: lambda.unwrap_or(d.lambda),
                lead: lead.unwrap_or(d.lead),
                ..d
            };
            let model = minilm.then(|| embed::model_dir(&std::env::vars().collect()));
            eval::summaries(&papers, &split, options, dump.as_deref(), model.as_deref())
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Roundtrip { es_url } => roundtrip::run(&kafka, &es_url)
            .await
            .map(|()| ExitCode::SUCCESS),
    }
}

fn k8s_generate(root: &std::path::Path, check: bool) -> Result<ExitCode> {
    let files = deploy::generate(&deploy::read_inputs(root)?)?;
    if check {
        let stale = deploy::stale(root, &files)?;
        for s in &stale {
            println!("stale: {s}");
        }
        if !stale.is_empty() {
            println!("run `docstream k8s generate` and commit the result");
            return Ok(ExitCode::FAILURE);
        }
        println!("k8s/ is up to date ({} files)", files.len());
        return Ok(ExitCode::SUCCESS);
    }
    deploy::write(root, &files)?;
    println!(
        "wrote {} files under {}",
        files.len(),
        root.join("k8s").display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn topics_apply(kafka: &ClientConfig, args: &TopicsArgs) -> Result<ExitCode> {
    let file = topics::TopicsFile::load(&args.file)?;
    let applied = topics::apply(kafka, &file).await.context("topics apply")?;
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
    Ok(ExitCode::SUCCESS)
}

async fn topics_plan(kafka: &ClientConfig, args: &TopicsArgs) -> Result<ExitCode> {
    let file = topics::TopicsFile::load(&args.file)?;
    let existing = topics::current_state(kafka, &file)
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
    Ok(ExitCode::SUCCESS)
}

async fn dead_letters(kafka: &ClientConfig, c: DlqCommand) -> Result<ExitCode> {
    match c {
        DlqCommand::List { mut topics } => {
            if topics.is_empty() {
                topics = topics::TopicsFile::embedded()?
                    .topics
                    .into_iter()
                    .map(|t| t.name)
                    .filter(|n| n.starts_with("dlq."))
                    .collect();
            }
            for t in &topics {
                let letters = dlq::read_all(kafka, t)?;
                print!("{}", dlq::render_summary(t, &dlq::summarize(&letters)));
            }
        }
        DlqCommand::Show {
            topic,
            filter,
            limit,
            width,
        } => {
            let f = filter.filter();
            let letters = dlq::read_all(kafka, &topic)?;
            let chosen: Vec<_> = letters.iter().filter(|l| f.takes(l)).collect();
            for l in chosen.iter().take(limit) {
                print!("{}", dlq::render_letter(l, width));
            }
            println!(
                "{} of {} dead letter(s) shown",
                chosen.len().min(limit),
                chosen.len()
            );
        }
        DlqCommand::Replay {
            topic,
            filter,
            dry_run,
            again,
            record,
        } => {
            let f = filter.filter();
            let chosen: Vec<_> = dlq::read_all(kafka, &topic)?
                .into_iter()
                .filter(|l| f.takes(l))
                .collect();
            let r = dlq::replay(kafka, &chosen, &record, again, dry_run).await?;
            let verb = if dry_run { "would replay" } else { "replayed" };
            println!(
                "{verb} {} of {} chosen from {topic}; skipped {} replayed before (--again sends them), {} without a source topic",
                r.sent,
                chosen.len(),
                r.skipped,
                r.no_source
            );
        }
        DlqCommand::Purge { topic, yes } => {
            if !yes {
                use std::io::{BufRead as _, IsTerminal as _};
                anyhow::ensure!(
                    std::io::stdin().is_terminal(),
                    "purge deletes every dead letter of {topic}: pass --yes to confirm"
                );
                eprint!("purge deletes every dead letter of {topic}; type its name to confirm: ");
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                anyhow::ensure!(line.trim() == topic, "not confirmed; nothing deleted");
            }
            let n = dlq::purge(kafka, &topic).await?;
            println!("purged {n} dead letter(s) of {topic}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn publish(kafka: &ClientConfig, args: PublishArgs) -> Result<ExitCode> {
    let records = match &args.what {
        PublishWhat::Etd { metadata, pdf } => publish::read_records(metadata, pdf.as_deref())?,
        PublishWhat::Tobacco { file } => publish::read_records(file, None)?,
        PublishWhat::Batch { path } => publish::read_records(path, None)?,
    };
    let s3 = blobstore::S3Settings::from_vars(&settings::env_vars())?;
    let store = match (args.pdf_store, s3.configured()) {
        (PdfStore::File, _) | (PdfStore::Auto, false) => None,
        (PdfStore::S3, false) => {
            anyhow::bail!(
                "--pdf-store s3 needs DOCSTREAM_S3_BUCKET (and DOCSTREAM_S3_ENDPOINT unless AWS)"
            )
        }
        (_, true) => Some(blobstore::Store::new(s3)),
    };
    let topics = publish::Topics {
        etds: args.etds_topic,
        tobacco: args.tobacco_topic,
    };
    let total = records.len();
    let tally = publish::Uploads::default();
    let (sent, failed) = match &store {
        None => publish::send(kafka, &topics, futures::stream::iter(records), total).await?,
        Some(store) => {
            let records = publish::upload_pdfs(store, records, &tally);
            let result = publish::send(kafka, &topics, records, total).await?;
            let (up, found) = (tally.sent.into_inner(), tally.found.into_inner());
            if up + found > 0 {
                let bucket = store.upload_bucket()?;
                eprintln!("pdfs: {up} uploaded to s3://{bucket}/, {found} there already");
            }
            result
        }
    };
    println!("sent {sent}, failed {failed}");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
