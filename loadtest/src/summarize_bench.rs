//! `loadtest summarize`: the summarizer's processor on the runtime (Kafka in and out,
//! in this process) next to the same summarisation function (`summarizer::summary_of`,
//! and the encoding) in a bare loop without Kafka on as many threads as the host has
//! cores (the runtime summarises on the blocking pool, one document per partition at
//! a time), on the same generated depositions (50 pages, with boilerplate) and theses
//! (5 chapters); alternating rounds, best of each. Then the longest document alone: a
//! 1,000-page deposition. Last line: `summarizer/bare ratio: X`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use contracts::{encode, Processed};
use summarizer::{summary_of, Settings, Summarize};

use crate::kafka;
use crate::runtime_bench::{measure_loop, spawn_runtime};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Documents per round, half depositions and half theses (600: ~4 s measured per
    /// round; with 200 the measured stretch was ~1.3 s).
    #[arg(long, default_value_t = 600)]
    messages: usize,
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Pages of each deposition.
    #[arg(long, default_value_t = 50)]
    pages: usize,
}

/// Document `i`: its payload and its pages (a thesis page: ~350 words).
fn document(i: usize, pages: usize) -> (Vec<u8>, usize) {
    let seed = i as u64;
    if i.is_multiple_of(2) {
        let text = samples::text::deposition(seed, pages);
        let id = format!("tobacco:bench{i:06}");
        let doc = samples::processed::tobacco(&id, Some("Deposition"), &text);
        (samples::processed::bytes(&doc), pages)
    } else {
        let (text, chapters) = samples::text::thesis_text(seed, 5, 2000);
        let id = format!("etd:10919/{}", 800_000 + i);
        let doc = samples::processed::etd(&id, "Cooling", None, Some(&text), &chapters);
        (samples::processed::bytes(&doc), 5 * 2000 / 350)
    }
}

/// Documents per second of the bare loop over `payloads` on every core.
fn bare(payloads: &[Vec<u8>], settings: Settings) -> Result<f64> {
    let method = summarize::Extractive::new(settings.method);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let started = Instant::now();
    let chunk = payloads.len().div_ceil(cores);
    std::thread::scope(|s| {
        let handles: Vec<_> = payloads
            .chunks(chunk.max(1))
            .map(|part| {
                let method = &method;
                s.spawn(move || -> Result<usize> {
                    let mut bytes = 0;
                    for p in part {
                        let doc = Processed::decode(p)?;
                        if let Some(summary) = summary_of(&doc, method, &settings) {
                            bytes += encode(&summary).len();
                        }
                    }
                    Ok(bytes)
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a bare thread panicked"))??;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    #[allow(clippy::cast_precision_loss)]
    Ok(payloads.len() as f64 / started.elapsed().as_secs_f64())
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let settings = Settings::from_vars(&runtime::Vars::new())?;
    let docs: Vec<(Vec<u8>, usize)> = (0..args.messages)
        .map(|i| document(i, args.pages))
        .collect();
    let pages: usize = docs.iter().map(|(_, p)| p).sum();
    let payloads: Vec<Vec<u8>> = docs.into_iter().map(|(p, _)| p).collect();
    #[allow(clippy::cast_precision_loss)]
    let pages_per_doc = pages as f64 / payloads.len().max(1) as f64;
    println!(
        "{} documents (depositions of {} pages, theses of 5 chapters), {:.0} KiB on average",
        payloads.len(),
        args.pages,
        payloads.iter().map(Vec::len).sum::<usize>() as f64 / 1024.0 / payloads.len().max(1) as f64
    );
    let input = kafka::unique("bench-summarize-in");
    kafka::create_topics(brokers, &[&input], args.partitions).await?;
    kafka::fill(brokers, &input, payloads.len(), |i| {
        (format!("doc{i}"), payloads[i].clone())
    })
    .await?;

    let (mut best_bare, mut best_service) = (0f64, 0f64);
    let mut made = vec![input.clone()];
    for round in 1..=args.rounds {
        let b = bare(&payloads, settings)?;
        let out = kafka::unique("bench-summaries");
        kafka::create_topics(brokers, &[&out], args.partitions).await?;
        made.push(out.clone());
        let processor = Summarize {
            output: out.clone(),
            settings,
            method: Arc::new(summarize::Extractive::new(settings.method)),
            metrics: runtime::Metrics::new("bench-summarizer"),
        };
        let running = spawn_runtime(brokers, &input, &out, None, processor)?;
        let s = measure_loop(brokers, &out, args.partitions, payloads.len(), running).await?;
        println!(
            "round {round}: bare {b:.1} docs/s ({:.0} pages/s), summarizer {s:.1} docs/s ({:.0} pages/s)",
            b * pages_per_doc,
            s * pages_per_doc
        );
        best_bare = best_bare.max(b);
        best_service = best_service.max(s);
    }
    let names: Vec<&str> = made.iter().map(String::as_str).collect();
    kafka::delete_topics(brokers, &names).await;

    // the longest document, alone on one core
    let (long, _) = document(0, 1000);
    let method = summarize::Extractive::new(settings.method);
    let started = Instant::now();
    let doc = Processed::decode(&long)?;
    let summary = summary_of(&doc, &method, &settings);
    println!(
        "a 1,000-page deposition ({:.1} MiB): summarised in {:.2} s ({} chars)",
        long.len() as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64(),
        summary
            .and_then(|s| s.summary)
            .map_or(0, |s| s.chars().count())
    );
    // boilerplate: what the filter keeps out of a deposition's summary
    let text = samples::text::deposition(7, args.pages);
    for (name, drop) in [("on", true), ("off", false)] {
        let m = summarize::Extractive::new(summarize::Options {
            drop_boilerplate: drop,
            ..settings.method
        });
        let chosen = summarize::Summarizer::summarize(&m, &text, settings.document);
        let bad = chosen
            .iter()
            .filter(|s| summarize::boilerplate::is_boilerplate(s))
            .count();
        println!(
            "boilerplate filter {name}: {bad} of {} summary sentences of a {}-page deposition are boilerplate",
            chosen.len(),
            args.pages
        );
    }
    println!(
        "best: summarizer {best_service:.1} docs/s ({:.0} pages/s), bare {best_bare:.1} docs/s ({:.0} pages/s)",
        best_service * pages_per_doc,
        best_bare * pages_per_doc
    );
    println!("summarizer/bare ratio: {:.2}", best_service / best_bare);
    Ok(())
}
