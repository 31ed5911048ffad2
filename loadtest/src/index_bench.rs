//! `loadtest index`: the same generated documents (ETDs with ~50 KB of full text and
//! ~5 KB tobacco documents, 1 to 10) indexed once through Kafka and the indexer, and
//! once by a direct bulk loader sending them straight to the engine as plain index
//! operations with its best batch size (several sizes tried, the best counts), in the
//! same run. Each rate is documents per second from the first write the engine
//! acknowledged to the last (start-up, the consumer group join, is left out); every
//! pass then waits until all are searchable. Last line: `indexer/direct-bulk ratio: X.XX`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use contracts::encode;
use elasticsearch::{BulkParts, CountParts, Elasticsearch};
use indexer::{Indexer, IndexerSettings, Targets};
use runtime::{Health, Metrics};
use searchindex::{Collection, EngineSettings, Layout};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::kafka;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// ETDs per pass (each with `tobacco_per_etd` tobacco documents).
    #[arg(long, default_value_t = 3000)]
    etds: usize,
    #[arg(long, default_value_t = 10)]
    tobacco_per_etd: usize,
    /// Full text per ETD, KiB.
    #[arg(long, default_value_t = 50)]
    etd_text_kb: usize,
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    /// Rounds of each (alternating); the best of each counts.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// What the direct loader sends: plain `index` operations (the baseline), or the
    /// indexer's own partial updates (to see what the engine charges for them).
    #[arg(long, value_enum, default_value = "index")]
    direct_op: DirectOp,
    /// Batch sizes (documents) the direct loader tries.
    #[arg(long, value_delimiter = ',', default_value = "250,500,1000")]
    direct_batches: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DirectOp {
    Index,
    Update,
}

/// One generated document: (collection, id, JSON).
pub struct Doc {
    pub collection: Collection,
    pub id: String,
    pub json: Vec<u8>,
}

/// Words for generated full text, so the analyzer sees varied terms.
const WORDS: &[&str] = &[
    "graph",
    "network",
    "learning",
    "model",
    "protein",
    "energy",
    "bridge",
    "policy",
    "tobacco",
    "nicotine",
    "marketing",
    "statistics",
    "education",
    "virginia",
    "water",
    "soil",
    "engine",
    "control",
    "signal",
    "wireless",
    "theory",
    "analysis",
    "design",
    "structure",
    "behavior",
    "community",
    "health",
    "economic",
    "material",
    "thermal",
    "stress",
    "fatigue",
    "algorithm",
    "optimization",
    "sensor",
    "robot",
    "genome",
    "cell",
    "plant",
    "forest",
    "river",
    "climate",
    "urban",
    "history",
    "language",
];

/// A generated paragraph of about `bytes` bytes; `seed` varies the words.
pub fn prose(seed: usize, bytes: usize) -> String {
    let mut x = (seed as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1);
    let mut s = String::with_capacity(bytes + 16);
    while s.len() < bytes {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let w = WORDS[usize::try_from(x >> 33).unwrap_or(0) % WORDS.len()];
        s.push_str(w);
        s.push(if x.is_multiple_of(13) { '.' } else { ' ' });
    }
    s
}

/// A processed ETD with `kb` KiB of full text.
pub fn etd(i: usize, kb: usize) -> Doc {
    let handle = format!("10919/{}", 100_000 + i);
    let department = ["Computer Science", "Civil Engineering", "Biology"][i % 3];
    let level = ["doctoral", "masters"][i % 2];
    let doc_type = ["dissertation", "thesis"][i % 2];
    let doc = json!({
        "schema_version": 1, "id": format!("etd:{handle}"), "collection": "etds",
        "title": format!("A study of {}", prose(i, 40).trim()),
        "authors": [format!("Author {i}")], "advisors": ["Advisor, A."],
        "committee_members": ["Member, B.", "Member, C."],
        "department": department,
        "degree": {"name": "Doctor of Philosophy", "level": level,
                   "discipline": "Engineering", "grantor": "Virginia Tech"},
        "doc_type": doc_type,
        "date_issued": format!("{}-05-01", 2000 + i % 20), "year": 2000 + i % 20,
        "date_accessioned": null, "subjects": ["one", "two"],
        "abstract": prose(i + 7, 1500), "handle": handle, "uri": null, "language": "en",
        "rights": null, "publisher": "Virginia Tech", "fulltext": prose(i + 11, kb * 1024),
        "fulltext_status": "extracted", "fulltext_error": null, "page_count": 120,
        "pages": [], "sections": [], "ocr_confidence": null, "source": {}
    });
    Doc {
        collection: Collection::Etds,
        id: format!("etd:{handle}"),
        json: serde_json::to_vec(&doc).unwrap_or_default(),
    }
}

/// A processed tobacco document of ~5 KB (the tobacco-ingest output of the tobacco
/// benchmark's raw documents).
pub fn tobacco(i: usize) -> Doc {
    let raw = crate::tobacco_bench::document(1_000_000 + i);
    let d = tobacco_ingest::normalize(raw, tobacco_ingest::Limits::default());
    Doc {
        collection: Collection::Tobacco,
        id: d.id.to_string(),
        json: encode(&d),
    }
}

/// The mix: each ETD followed by its tobacco documents.
pub fn documents(args: &Args) -> Vec<Doc> {
    mix(args.etds, args.tobacco_per_etd, args.etd_text_kb)
}

/// `etds` ETDs with `kb` KiB of text, each followed by `tobacco_per_etd` tobacco
/// documents.
pub fn mix(etds: usize, tobacco_per_etd: usize, kb: usize) -> Vec<Doc> {
    let mut out = Vec::new();
    for e in 0..etds {
        out.push(etd(e, kb));
        for t in 0..tobacco_per_etd {
            out.push(tobacco(e * tobacco_per_etd + t));
        }
    }
    out
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let engine = EngineSettings::from_env()?;
    let es = engine.client()?;
    let docs = documents(args);
    let n = docs.len();
    let bytes: usize = docs.iter().map(|d| d.json.len()).sum();
    println!(
        "{n} documents ({} ETDs, {} tobacco), {:.1} MB of JSON",
        args.etds,
        n - args.etds,
        bytes as f64 / 1e6
    );

    // into Kafka once, not timed
    let (etds_topic, tobacco_topic) = (kafka::unique("bench-pe"), kafka::unique("bench-pt"));
    kafka::create_topics(brokers, &[&etds_topic, &tobacco_topic], args.partitions).await?;
    for (topic, c) in [
        (&etds_topic, Collection::Etds),
        (&tobacco_topic, Collection::Tobacco),
    ] {
        let mine: Vec<&Doc> = docs.iter().filter(|d| d.collection == c).collect();
        kafka::fill(brokers, topic, mine.len(), |i| {
            (mine[i].id.clone(), mine[i].json.clone())
        })
        .await?;
    }

    let (mut best_direct, mut best_indexer) = (0f64, 0f64);
    for round in 1..=args.rounds {
        for &batch in &args.direct_batches {
            let layout = fresh_layout(&engine, &es).await?;
            let rate = direct(&es, &layout, &docs, batch, args.direct_op).await?;
            settle(&es, &layout).await;
            println!("round {round}: direct bulk ({batch} docs/request) {rate:.0} docs/s");
            best_direct = best_direct.max(rate);
        }
        let layout = fresh_layout(&engine, &es).await?;
        let rate = through_indexer(brokers, &es, &layout, &etds_topic, &tobacco_topic, n).await?;
        settle(&es, &layout).await;
        println!("round {round}: kafka + indexer {rate:.0} docs/s");
        best_indexer = best_indexer.max(rate);
    }
    kafka::delete_topics(brokers, &[&etds_topic, &tobacco_topic]).await;
    println!("best: direct bulk {best_direct:.0} docs/s, indexer {best_indexer:.0} docs/s");
    println!(
        "indexer/direct-bulk ratio: {:.2}",
        best_indexer / best_direct
    );
    Ok(())
}

/// Deletes a pass's indices and templates and lets the engine settle, so its merges
/// do not slow the next pass.
pub async fn settle(es: &Elasticsearch, layout: &Layout) {
    let p = &layout.prefix;
    let _ = es
        .indices()
        .delete(elasticsearch::indices::IndicesDeleteParts::Index(&[
            &format!("{p}-*"),
        ]))
        .send()
        .await;
    let _ = es
        .indices()
        .delete_index_template(
            elasticsearch::indices::IndicesDeleteIndexTemplateParts::Name(&format!("{p}-*")),
        )
        .send()
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
}

async fn fresh_layout(engine: &EngineSettings, es: &Elasticsearch) -> Result<Layout> {
    let mut layout = Layout::new(engine);
    layout.prefix = kafka::unique("bench-ix");
    layout.ensure(es).await?;
    Ok(layout)
}

/// Plain index operations, `batch` documents per request, as many requests in flight
/// as the indexer has lanes; until all are searchable.
pub async fn direct(
    es: &Elasticsearch,
    layout: &Layout,
    docs: &[Doc],
    batch: usize,
    op: DirectOp,
) -> Result<f64> {
    let lanes = indexer::BatchSettings::default().lanes;
    let update = op == DirectOp::Update;
    let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let w = written.clone();
    let n = docs.len();
    let rate = tokio::spawn(async move {
        steady_rate(|| w.load(std::sync::atomic::Ordering::Relaxed), n).await
    });
    let chunks: Vec<&[Doc]> = docs.chunks(batch).collect();
    let mut next = 0;
    let mut running = tokio::task::JoinSet::new();
    while next < chunks.len() || !running.is_empty() {
        while running.len() < lanes && next < chunks.len() {
            let mut body: Vec<Vec<u8>> = Vec::with_capacity(chunks[next].len() * 2);
            for d in chunks[next] {
                if update {
                    let lines = indexer::bulk::lines(&indexer::actions::Action::update(
                        layout.alias(d.collection),
                        d.id.clone(),
                        d.json.clone(),
                    ));
                    body.extend(lines.iter().map(|l| l.to_vec()));
                } else {
                    body.push(
                        json!({"index": {"_index": layout.alias(d.collection), "_id": d.id}})
                            .to_string()
                            .into_bytes(),
                    );
                    body.push(d.json.clone());
                }
            }
            let es = es.clone();
            let (written, len) = (written.clone(), chunks[next].len());
            running.spawn(async move {
                let r = es
                    .bulk(BulkParts::None)
                    .filter_path(&["errors"])
                    .body(body)
                    .send()
                    .await?;
                let v: Value = r.json().await?;
                ensure!(v["errors"] == json!(false), "bulk errors: {v}");
                written.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
                Ok::<_, anyhow::Error>(())
            });
            next += 1;
        }
        if let Some(r) = running.join_next().await {
            r??;
        }
    }
    let rate = rate.await??;
    wait_searchable(es, layout, n).await?;
    Ok(rate)
}

/// The indexer on the runtime, in this process, with its default settings; until all
/// are searchable.
async fn through_indexer(
    brokers: &str,
    es: &Elasticsearch,
    layout: &Layout,
    etds_topic: &str,
    tobacco_topic: &str,
    n: usize,
) -> Result<f64> {
    let mut vars: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("DOCSTREAM_"))
        .collect();
    vars.insert("DOCSTREAM_INDEXER_TOPIC_ETDS".into(), etds_topic.into());
    vars.insert(
        "DOCSTREAM_INDEXER_TOPIC_TOBACCO".into(),
        tobacco_topic.into(),
    );
    let settings = IndexerSettings::from_vars(&vars)?;
    vars.extend(
        [
            ("DOCSTREAM_KAFKA_BROKERS", brokers.to_owned()),
            ("DOCSTREAM_GROUP_ID", kafka::unique("bench-indexer")),
            ("DOCSTREAM_DLQ_TOPIC", kafka::unique("bench-dlq")),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let config = settings.runtime_config(&vars)?;
    let metrics = Metrics::new("indexer");
    let m = metrics.clone();
    let rate = tokio::spawn(async move {
        steady_rate(
            || {
                let text = m.encode();
                text.lines()
                    .find(|l| {
                        l.starts_with("docstream_indexer_sink_items_total{outcome=\"written\"}")
                    })
                    .and_then(|l| l.rsplit(' ').next()?.parse().ok())
                    .unwrap_or(0)
            },
            n,
        )
        .await
    });
    let indexer = Indexer::start(
        &settings,
        &config,
        Targets::new(layout, None),
        es.clone(),
        &metrics,
    )?;
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(runtime::run(
        config,
        indexer,
        metrics,
        Health::default(),
        token,
    ));
    let rate = rate.await?;
    let searchable = wait_searchable(es, layout, n).await;
    stop.cancel();
    task.await?.context("indexer")?;
    searchable?;
    rate
}

/// Documents per second from the first write acknowledged to the last, sampling
/// `written` every 25 ms (reading the indexer's metrics costs it some CPU): start-up (the consumer group join) is left out, every
/// document counts (a window of the run would favour whichever kind of document
/// dominates it), and the engine's 1 s refresh, which would quantize a searchable
/// count too coarsely for passes of seconds, plays no part.
async fn steady_rate(written: impl Fn() -> usize, n: usize) -> Result<f64> {
    let deadline = Instant::now() + Duration::from_secs(900);
    let mut first = None;
    loop {
        let c = written();
        if first.is_none() && c > 0 {
            first = Some((Instant::now(), c));
        }
        if c >= n {
            let (t0, c0) = first.unwrap_or((Instant::now(), 0));
            return Ok((c - c0) as f64 / t0.elapsed().as_secs_f64().max(1e-3));
        }
        ensure!(
            Instant::now() < deadline,
            "{c} of {n} documents written after 900 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until both collections together hold `n` documents (every pass is checked
/// to have indexed everything).
async fn wait_searchable(es: &Elasticsearch, layout: &Layout, n: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    let names = [
        layout.alias(Collection::Etds),
        layout.alias(Collection::Tobacco),
    ];
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    loop {
        let r = es.count(CountParts::Index(&names)).send().await?;
        let v: Value = r.json().await?;
        let c = v["count"].as_u64().unwrap_or(0) as usize;
        if c >= n {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{c} of {n} documents searchable after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
