//! `loadtest cluster`: the clusterer as a process on the runtime (this binary started
//! again as the service, so its peak RSS is the service's own) next to a bare loop
//! calling `libs/embed` in this process on the same texts and batch size, without
//! Kafka; alternating rounds, best of each. The service assigns too: before its first
//! round a model fitted on the bare loop's embeddings is in its models topic. The
//! service's rate is counted on its embeddings topic from 20% to 90% of the documents
//! (model loading and start-up left out, as the bare loop's loading is). Last line:
//! `clusterer/bare-embed ratio: X`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clusterer::model::{self, FitOptions, Sampled};
use clusterer::text::{document, TextLimits};
use contracts::encode;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::kafka;

/// The variable that makes this binary the clusterer service.
pub const SERVE: &str = "LOADTEST_SERVE_CLUSTERER";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Documents per round (title and an abstract of ~180 words: one or two windows).
    #[arg(long, default_value_t = 400)]
    messages: usize,
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Texts embedded together, by both.
    #[arg(long, default_value_t = 16)]
    batch: usize,
}

const WORDS: &[&str] = &[
    "turbine",
    "blade",
    "cooling",
    "protein",
    "enzyme",
    "binding",
    "network",
    "wireless",
    "protocol",
    "poetry",
    "novel",
    "narrative",
    "bridge",
    "fatigue",
    "concrete",
    "soil",
    "water",
    "policy",
    "education",
    "students",
    "learning",
    "algorithm",
    "graph",
    "model",
    "energy",
    "thermal",
    "boundary",
    "layer",
    "flow",
    "pressure",
    "genome",
    "cell",
    "expression",
    "climate",
    "urban",
    "community",
    "history",
    "market",
    "economic",
    "measurement",
    "experiment",
    "analysis",
    "results",
    "design",
    "control",
    "sensor",
];

/// A processed ETD: a title and an abstract of ~180 words drawn from a few themes.
pub fn etd(i: usize) -> Vec<u8> {
    let mut x = (i as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1);
    let mut word = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        WORDS[usize::try_from(x >> 33).unwrap_or(0) % WORDS.len()]
    };
    let title = format!("A study of {} {} in {}", word(), word(), word());
    let abstract_text: Vec<String> = (0..18)
        .map(|_| {
            format!(
                "The {} of {} {} shows {} {} {} under {}.",
                word(),
                word(),
                word(),
                word(),
                word(),
                word(),
                word()
            )
        })
        .collect();
    let id = format!("etd:10919/{}", 500_000 + i);
    let abstract_text = abstract_text.join(" ");
    samples::processed::bytes(&samples::processed::etd(
        &id,
        &title,
        Some(&abstract_text),
        None,
        &[],
    ))
}

/// Documents per second of the bare loop, and the embeddings.
fn bare(
    embedder: &embed::Embedder,
    texts: &[String],
    batch: usize,
) -> Result<(f64, Vec<Vec<f32>>)> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed(&refs[..batch.min(refs.len())])?; // warm-up, as the service's first batches
    let started = Instant::now();
    let mut out = Vec::with_capacity(refs.len());
    for chunk in refs.chunks(batch) {
        out.extend(embedder.embed(chunk)?);
    }
    #[allow(clippy::cast_precision_loss)]
    Ok((texts.len() as f64 / started.elapsed().as_secs_f64(), out))
}

/// The peak resident set of a process, in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

struct Child_(Child);

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One service round: documents per second and peak RSS in MiB.
async fn service(brokers: &str, input: &str, models: &str, args: &Args) -> Result<(f64, f64)> {
    let out = kafka::unique("bench-embeddings");
    let clusters = kafka::unique("bench-clusters");
    kafka::create_topics(brokers, &[&out, &clusters], args.partitions).await?;
    let child = Command::new(std::env::current_exe()?)
        .env(SERVE, "1")
        .env("DOCSTREAM_KAFKA_BROKERS", brokers)
        .env("DOCSTREAM_INPUT_TOPICS", input)
        .env("DOCSTREAM_CLUSTER_EMBEDDINGS_TOPIC", &out)
        .env("DOCSTREAM_CLUSTER_CLUSTERS_TOPIC", &clusters)
        .env("DOCSTREAM_CLUSTER_MODELS_TOPIC", models)
        .env("DOCSTREAM_CLUSTER_BATCH", args.batch.to_string())
        .env("DOCSTREAM_GROUP_ID", kafka::unique("bench-clusterer"))
        .env("DOCSTREAM_DLQ_TOPIC", kafka::unique("bench-dlq"))
        .env("DOCSTREAM_HTTP_ADDR", "127.0.0.1:0")
        .env("DOCSTREAM_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("start the clusterer")?;
    let child = Child_(child);
    let counter = kafka::Counter::new(brokers, &out, args.partitions)?;
    let n = i64::try_from(args.messages)?;
    let timeout = Duration::from_secs(1800);
    let (t20, c20) = counter.wait_for(n / 5, timeout).await?;
    let (t90, c90) = counter.wait_for(n * 9 / 10, timeout).await?;
    counter.wait_for(n, timeout).await?;
    let rss = peak_rss_mib(child.0.id()).unwrap_or(f64::NAN);
    let assigned = kafka::Counter::new(brokers, &clusters, args.partitions)?
        .count()
        .await?;
    anyhow::ensure!(
        assigned >= n,
        "the service assigned {assigned} of {n} documents"
    );
    kafka::delete_topics(brokers, &[&out, &clusters]).await;
    #[allow(clippy::cast_precision_loss)]
    Ok(((c90 - c20) as f64 / (t90 - t20).as_secs_f64(), rss))
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let dir = embed::model_dir(&runtime::env_vars());
    let embedder = embed::Embedder::load(&dir, embed::Options::default())
        .context("run scripts/model first")?;
    let payloads: Vec<Vec<u8>> = (0..args.messages).map(etd).collect();
    let texts: Vec<String> = payloads
        .iter()
        .map(|p| document(p, TextLimits::default()).map(|d| d.text))
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    let pieces: usize = texts
        .iter()
        .map(|t| embedder.word_pieces(t).unwrap_or(0))
        .sum::<usize>()
        / texts.len().max(1);
    println!(
        "{} documents, {pieces} word pieces each on average, batches of {}",
        args.messages, args.batch
    );
    let input = kafka::unique("bench-cluster-in");
    let models = kafka::unique("bench-cluster-models");
    kafka::create_topics(brokers, &[&input], args.partitions).await?;
    kafka::create_topics(brokers, &[&models], 1).await?;
    kafka::fill(brokers, &input, args.messages, |i| {
        (format!("etd:10919/{}", 500_000 + i), payloads[i].clone())
    })
    .await?;

    let (mut best_bare, mut best_service, mut peak) = (0f64, 0f64, 0f64);
    for round in 1..=args.rounds {
        let (b, vectors) = bare(&embedder, &texts, args.batch)?;
        if round == 1 {
            println!(
                "the bare loop's process: peak RSS {:.0} MiB (the model and its batches)",
                peak_rss_mib(std::process::id()).unwrap_or(f64::NAN)
            );
        }
        if round == 1 {
            let sample: Vec<Sampled> = vectors
                .into_iter()
                .zip(&texts)
                .map(|(vector, t)| Sampled {
                    vector,
                    text: t.clone(),
                })
                .collect();
            let fitted = model::fit(
                "etds",
                None,
                &sample,
                sample.len() as u64,
                FitOptions {
                    k: Some(20),
                    ..FitOptions::default()
                },
                "2026-01-01T00:00:00Z".into(),
            )
            .context("a model")?;
            let producer: FutureProducer = kafka::config(brokers).create()?;
            producer
                .send(
                    FutureRecord::to(&models)
                        .key("etds")
                        .payload(&encode(&fitted)),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)?;
        }
        let (s, rss) = service(brokers, &input, &models, args).await?;
        println!(
            "round {round}: bare embed {b:.1} docs/s, clusterer {s:.1} docs/s (peak RSS {rss:.0} MiB)"
        );
        best_bare = best_bare.max(b);
        best_service = best_service.max(s);
        peak = peak.max(rss);
    }
    kafka::delete_topics(brokers, &[&input, &models]).await;
    println!(
        "best: clusterer {best_service:.1} docs/s, bare embed {best_bare:.1} docs/s; clusterer peak RSS {peak:.0} MiB (target < 500)"
    );
    println!(
        "clusterer/bare-embed ratio: {:.2}",
        best_service / best_bare
    );
    Ok(())
}
