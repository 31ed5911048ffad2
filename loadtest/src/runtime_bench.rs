//! `loadtest runtime`: the toy service on the runtime (at-least-once: outputs
//! acknowledged before offsets are stored, per-partition order, dead letters, metrics)
//! next to a bare rdkafka loop doing the same transformation with none of that
//! (fire-and-forget produce, offset stored on receipt), on the same 1 KiB messages and
//! broker, alternating, best round of each, each rate taken from 20% to 90% of the
//! outputs. Last line: `runtime/bare ratio: X.XX`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message;
use runtime::{Defaults, Health, Metrics, RuntimeConfig};
use tokio_util::sync::CancellationToken;
use toy::Upper;

use crate::kafka;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages per round.
    #[arg(long, default_value_t = 200_000)]
    messages: usize,
    /// Partitions of the input and output topics.
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    /// Rounds of each (alternating); the best of each counts.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The runtime's DOCSTREAM_MAX_IN_FLIGHT (its default when not given).
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Run only one side (for profiling one of them); no ratio is printed.
    #[arg(long, value_parser = ["bare", "runtime"])]
    only: Option<String>,
}

const TIMEOUT: Duration = Duration::from_secs(600);

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let input = kafka::unique("bench-runtime-in");
    kafka::create_topics(brokers, &[&input], args.partitions).await?;
    let text = "a digital library of theses and tobacco documents ".repeat(20);
    let t0 = Instant::now();
    kafka::fill(brokers, &input, args.messages, |i| {
        let id = format!("m{i}");
        let payload = format!(r#"{{"id":"{id}","text":"{}"}}"#, &text[..990 - id.len()]);
        (id, payload.into_bytes())
    })
    .await?;
    println!(
        "filled {input}: {} messages of ~1 KiB in {:.1}s",
        args.messages,
        t0.elapsed().as_secs_f64()
    );

    let (mut best_bare, mut best_rt) = (0f64, 0f64);
    let mut made = vec![input.clone()];
    let runs = |side: &str| args.only.as_deref().is_none_or(|o| o == side);
    for round in 1..=args.rounds {
        if !runs("bare") {
            let rt = measure_runtime(brokers, &input, args, &mut made).await?;
            println!("round {round}: runtime {rt:.0} msg/s");
            continue;
        }
        let out = kafka::unique("bench-bare-out");
        kafka::create_topics(brokers, &[&out], args.partitions).await?;
        made.push(out.clone());
        let bare = measure(
            brokers,
            &out,
            args,
            bare_loop(brokers.to_owned(), input.clone(), out.clone()),
        )
        .await?;

        if !runs("runtime") {
            println!("round {round}: bare {bare:.0} msg/s");
            continue;
        }
        let rt = measure_runtime(brokers, &input, args, &mut made).await?;
        println!("round {round}: bare {bare:.0} msg/s, runtime {rt:.0} msg/s");
        best_bare = best_bare.max(bare);
        best_rt = best_rt.max(rt);
    }
    let names: Vec<&str> = made.iter().map(String::as_str).collect();
    kafka::delete_topics(brokers, &names).await;
    if args.only.is_some() {
        return Ok(());
    }
    println!("best: bare {best_bare:.0} msg/s, runtime {best_rt:.0} msg/s");
    println!("runtime/bare ratio: {:.2}", best_rt / best_bare);
    Ok(())
}

/// One round of the runtime on a fresh output topic.
async fn measure_runtime(
    brokers: &str,
    input: &str,
    args: &Args,
    made: &mut Vec<String>,
) -> Result<f64> {
    let out = kafka::unique("bench-runtime-out");
    kafka::create_topics(brokers, &[&out], args.partitions).await?;
    made.push(out.clone());
    measure(
        brokers,
        &out,
        args,
        runtime_loop(brokers, input, &out, args.max_in_flight)?,
    )
    .await
}

pub type Running = (CancellationToken, tokio::task::JoinHandle<Result<()>>);

/// Runs a loop until its output holds every message; messages per second counted
/// from the first output (so group join time is left out of both).
async fn measure(brokers: &str, out: &str, args: &Args, running: Running) -> Result<f64> {
    measure_loop(brokers, out, args.partitions, args.messages, running).await
}

/// Runs a loop until `out` holds `messages`; messages per second over the steady
/// middle of the run, from 20% to 90% of the outputs, so neither the group join nor a
/// start-up burst of prefetched messages nor the tail counts.
pub async fn measure_loop(
    brokers: &str,
    out: &str,
    partitions: i32,
    messages: usize,
    (stop, task): Running,
) -> Result<f64> {
    let n = i64::try_from(messages)?;
    let counter = kafka::Counter::new(brokers, out, partitions)?;
    let (t20, c20) = counter.wait_for(n / 5, TIMEOUT).await?;
    let (t90, c90) = counter.wait_for(n * 9 / 10, TIMEOUT).await?;
    counter.wait_for(n, TIMEOUT).await?;
    stop.cancel();
    task.await??;
    #[allow(clippy::cast_precision_loss)]
    Ok((c90 - c20) as f64 / (t90 - t20).as_secs_f64())
}

fn runtime_loop(
    brokers: &str,
    input: &str,
    out: &str,
    max_in_flight: Option<usize>,
) -> Result<Running> {
    let processor = Upper {
        output: out.to_owned(),
        delay: Duration::ZERO,
    };
    spawn_runtime(brokers, input, out, max_in_flight, processor)
}

/// Runs `processor` on the runtime from `input`, stoppable.
pub fn spawn_runtime<P: runtime::Processor>(
    brokers: &str,
    input: &str,
    out: &str,
    max_in_flight: Option<usize>,
    processor: P,
) -> Result<Running> {
    spawn_runtime_with(brokers, input, out, max_in_flight, &[], processor)
}

/// [`spawn_runtime`] with more variables (`extra`) over the process's own.
pub fn spawn_runtime_with<P: runtime::Processor>(
    brokers: &str,
    input: &str,
    out: &str,
    max_in_flight: Option<usize>,
    extra: &[(&str, &str)],
    processor: P,
) -> Result<Running> {
    // the process's DOCSTREAM_* variables apply too (e.g. DOCSTREAM_KAFKA__LINGER_MS)
    let mut vars: BTreeMap<String, String> = runtime::env_vars();
    vars.extend(
        [
            ("DOCSTREAM_KAFKA_BROKERS", brokers.to_owned()),
            ("DOCSTREAM_INPUT_TOPICS", input.to_owned()),
            ("DOCSTREAM_OUTPUT_TOPIC", out.to_owned()),
            (
                "DOCSTREAM_GROUP_ID",
                vars.get("DOCSTREAM_GROUP_ID")
                    .cloned()
                    .unwrap_or_else(|| kafka::unique("bench-runtime")),
            ),
            ("DOCSTREAM_DLQ_TOPIC", kafka::unique("bench-dlq")),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    if let Some(n) = max_in_flight {
        vars.insert("DOCSTREAM_MAX_IN_FLIGHT".into(), n.to_string());
    }
    let config = RuntimeConfig::from_vars("toy-upper", &Defaults::default(), &vars)?;
    let stop = CancellationToken::new();
    let token = stop.clone();
    let metrics = Metrics::new("toy-upper");
    let m2 = metrics.clone();
    let t2 = token.clone();
    if std::env::var("LOADTEST_TRACE_IN_FLIGHT").is_ok() {
        tokio::spawn(async move {
            while !t2.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let text = m2.encode();
                let pick = |name: &str| {
                    text.lines()
                        .filter(|l| l.starts_with(name))
                        .map(|l| l.rsplit(' ').next().unwrap_or("").to_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                eprintln!(
                    "in_flight={} processed={} paused={}",
                    pick("docstream_toy_upper_in_flight"),
                    pick("docstream_toy_upper_messages_processed_total"),
                    pick("docstream_toy_upper_paused")
                );
            }
        });
    }
    let task = tokio::spawn(async move {
        runtime::run(config, processor, metrics, Health::default(), token).await?;
        Ok(())
    });
    Ok((stop, task))
}

/// The baseline: receive, transform, hand to the producer, store the offset at once.
fn bare_loop(brokers: String, input: String, out: String) -> Running {
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(async move {
        // the same librdkafka fetch tuning as the runtime's consumer, so the ratio
        // measures the runtime's own work: with librdkafka's defaults (1 s
        // fetch.queue.backoff.ms) this loop ran at either ~115k or ~400k msg/s from one
        // round to the next
        let consumer: StreamConsumer = kafka::config(&brokers)
            .set("group.id", kafka::unique("bench-bare"))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.offset.store", "false")
            .set("queued.max.messages.kbytes", "16384")
            .set("fetch.queue.backoff.ms", "20")
            .set("queued.min.messages", "1000")
            .set("max.partition.fetch.bytes", "8388608")
            .create()?;
        consumer.subscribe(&[&input])?;
        let producer: FutureProducer = kafka::config(&brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            .create()?;
        loop {
            let m = tokio::select! {
                () = token.cancelled() => break,
                m = consumer.recv() => m?,
            };
            let payload = toy::upper(m.payload().unwrap_or_default())?;
            loop {
                let mut record = FutureRecord::to(&out).payload(&payload);
                if let Some(k) = m.key() {
                    record = record.key(k);
                }
                match producer.send_result(record) {
                    Ok(_delivery) => break,
                    Err((
                        rdkafka::error::KafkaError::MessageProduction(
                            rdkafka::types::RDKafkaErrorCode::QueueFull,
                        ),
                        _,
                    )) => {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    Err((e, _)) => return Err(e.into()),
                }
            }
            consumer.store_offset_from_message(&m)?;
        }
        Ok(())
    });
    (stop, task)
}
