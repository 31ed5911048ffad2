//! `loadtest tobacco`: tobacco-ingest's processor on the runtime next to the runtime's
//! bare passthrough (a processor that forwards each payload unchanged), on the same
//! ~5 KiB UCSF documents and broker, alternating, best round of each; then text
//! cleaning and the processor's stages alone on one core, and the ceiling that rate
//! sets on this host. Last line: `tobacco/passthrough ratio: X.XX (processing alone N
//! docs/s per core)`: a ratio means little without the host's processing rate (the
//! passthrough is bound by the broker, tobacco-ingest by the CPU).

use std::time::{Duration, Instant};

use anyhow::Result;
use contracts::{encode, PageText, RawTobacco, UcsfDocument};
use runtime::{Incoming, Outgoing, Output, ProcessError, Processor};
use tobacco_ingest::{Ingest, Limits};

use crate::kafka;
use crate::runtime_bench::{measure_loop, spawn_runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Documents per round (200,000: a round of ~2 s; with 50,000 the measured
    /// stretch was under half a second and the rounds disagreed by 15%).
    #[arg(long, default_value_t = 200_000)]
    messages: usize,
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Only the CPU-bound part (cleaning, and the processor's stages alone on one core),
    /// no Kafka: for `perf stat` / `perf record` and for comparing hosts.
    #[arg(long)]
    processing_only: bool,
}

/// Forwards every payload unchanged: the runtime's cost with no work.
struct Passthrough {
    output: String,
}

impl Processor for Passthrough {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        Ok(vec![Outgoing {
            topic: self.output.clone(),
            partition: None,
            key: msg.key.map(<[u8]>::to_vec),
            payload: msg.payload.map(<[u8]>::to_vec),
            headers: Vec::new(),
        }]
        .into())
    }
}

/// A deposition-like page: a page counter, then lines numbered 1 to 25 and separated
/// by tabs, as in the UCSF OCR text, with a word hyphenated across every other line
/// end. (An earlier version numbered both halves of each sentence alike, so the
/// numbers never read as a sequence and the cleaner kept them.)
fn page(i: usize, p: usize) -> String {
    let mut s = format!("{p:05}\t");
    for line in 1..=25 {
        if line % 2 == 1 {
            s.push_str(&format!(
                "{line}  Q. Mr. Witness, document {i} discusses the marketing and distri-\t"
            ));
        } else {
            s.push_str(&format!(
                "{line}  bution of cigarettes in 19{:02}, as page {p} shows.\t",
                line % 100
            ));
        }
    }
    s
}

/// A ~5 KiB raw tobacco document.
pub fn document(i: usize) -> RawTobacco {
    let mut text = String::new();
    let mut pages = Vec::new();
    let mut p = 1;
    while text.len() < 4300 {
        let t = page(i, p);
        text.push_str(&t);
        pages.push(PageText {
            page: p.to_string(),
            content: t,
        });
        p += 1;
    }
    RawTobacco::new(UcsfDocument {
        tobacco_id: Some(format!("bench{i:08}")),
        title: Some(format!("Deposition number {i}")),
        document_date: Some("15 March 2000".into()),
        organizations: Some("Acme Tobacco; Federal Trade Commission".into()),
        topics: Some("marketing; sales".into()),
        text_content: pages,
        ..UcsfDocument::default()
    })
    .unwrap_or_else(|e| unreachable!("generated ids are valid: {e}"))
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    if args.processing_only {
        processing()?;
        return Ok(());
    }
    let input = kafka::unique("bench-tobacco-in");
    kafka::create_topics(brokers, &[&input], args.partitions).await?;
    let sample = encode(&document(0)).len();
    kafka::fill(brokers, &input, args.messages, |i| {
        let d = document(i);
        (d.id.to_string(), encode(&d))
    })
    .await?;
    println!(
        "filled {input}: {} documents of {sample} bytes",
        args.messages
    );

    let (mut best_pass, mut best_ingest) = (0f64, 0f64);
    let mut made = vec![input.clone()];
    for round in 1..=args.rounds {
        let out = kafka::unique("bench-pass-out");
        kafka::create_topics(brokers, &[&out], args.partitions).await?;
        made.push(out.clone());
        let running = spawn_runtime(
            brokers,
            &input,
            &out,
            None,
            Passthrough {
                output: out.clone(),
            },
        )?;
        let pass = measure_loop(brokers, &out, args.partitions, args.messages, running).await?;

        let out = kafka::unique("bench-tobacco-out");
        kafka::create_topics(brokers, &[&out], args.partitions).await?;
        made.push(out.clone());
        let ingest = Ingest {
            output: out.clone(),
            limits: Limits::default(),
        };
        let running = spawn_runtime(brokers, &input, &out, None, ingest)?;
        let rate = measure_loop(brokers, &out, args.partitions, args.messages, running).await?;
        println!("round {round}: passthrough {pass:.0} docs/s, tobacco-ingest {rate:.0} docs/s");
        best_pass = best_pass.max(pass);
        best_ingest = best_ingest.max(rate);
    }
    let names: Vec<&str> = made.iter().map(String::as_str).collect();
    kafka::delete_topics(brokers, &names).await;

    let alone = processing()?;
    println!("best: passthrough {best_pass:.0} docs/s, tobacco-ingest {best_ingest:.0} docs/s");
    // what this host's CPU allows: tobacco-ingest cannot pass its processing rate on
    // every core, whatever the broker does; the ratio is only comparable between hosts
    // together with this ceiling and the processing-alone rate
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    #[allow(clippy::cast_precision_loss)]
    let ceiling = (alone * cores as f64 / best_pass).min(1.0);
    println!(
        "ceiling on this host: {ceiling:.2} ({cores} cores x {alone:.0} docs/s alone / passthrough)"
    );
    println!(
        "tobacco/passthrough ratio: {:.2} (processing alone {alone:.0} docs/s per core)",
        best_ingest / best_pass
    );
    Ok(())
}

/// Rate of `f` over `docs` for ~2 s on this thread, per document.
fn rate<T>(docs: &[T], mut f: impl FnMut(&T) -> Result<()>) -> Result<f64> {
    let t0 = Instant::now();
    let mut n = 0usize;
    while t0.elapsed() < Duration::from_secs(2) {
        for d in docs {
            f(d)?;
            n += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

/// The CPU-bound part on one core: text cleaning, then the processor's stages
/// (decode, normalize, encode) alone and together. Returns the whole processor's
/// documents per second.
fn processing() -> Result<f64> {
    let pages: Vec<String> = (0..2000).map(|i| page(i, i % 30 + 1)).collect();
    let bytes: usize = pages.iter().map(String::len).sum();
    let per_page = rate(&pages, |p| {
        std::hint::black_box(textclean::clean_page(p));
        Ok(())
    })?;
    #[allow(clippy::cast_precision_loss)]
    let mbps = per_page * (bytes as f64 / pages.len() as f64) / 1e6;
    println!("text cleaning: {mbps:.1} MB/s on one core");

    let docs: Vec<Vec<u8>> = (0..2000).map(|i| encode(&document(i))).collect();
    let decode = rate(&docs, |d| {
        std::hint::black_box(contracts::decode::<RawTobacco>(d)?);
        Ok(())
    })?;
    let raws: Vec<RawTobacco> = docs
        .iter()
        .map(|d| contracts::decode(d))
        .collect::<Result<_, _>>()?;
    let normalize = rate(&raws, |r| {
        std::hint::black_box(tobacco_ingest::normalize(r.clone(), Limits::default()));
        Ok(())
    })?;
    let clone = rate(&raws, |r| {
        std::hint::black_box(r.clone());
        Ok(())
    })?;
    let processed: Vec<_> = raws
        .iter()
        .map(|r| tobacco_ingest::normalize(r.clone(), Limits::default()))
        .collect();
    let encode_rate = rate(&processed, |p| {
        std::hint::black_box(encode(p));
        Ok(())
    })?;
    let us = |r: f64| 1e6 / r;
    println!(
        "per document on one core: decode {:.1} us, normalize {:.1} us, encode {:.1} us (clone for the normalize loop {:.1} us, subtracted)",
        us(decode),
        us(normalize) - us(clone),
        us(encode_rate),
        us(clone)
    );
    // the whole processor (decode, normalize, encode) alone, one core: its ceiling
    let alone = rate(&docs, |d| {
        let raw: RawTobacco = contracts::decode(d)?;
        std::hint::black_box(encode(&tobacco_ingest::normalize(raw, Limits::default())));
        Ok(())
    })?;
    println!("tobacco-ingest processing alone: {alone:.0} docs/s on one core (no kafka)");
    Ok(alone)
}
