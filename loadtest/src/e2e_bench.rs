//! `loadtest e2e`: raw documents published to both raw topics (one ETD with an inline
//! thesis PDF for every `tobacco_per_etd` tobacco documents), through etd-ingest,
//! tobacco-ingest and the indexer (all on the runtime, in this process) into the
//! search engine. First the saturation rate (a backlog drained as fast as it goes),
//! then documents published at half that rate, each one's latency from publish to
//! searchable (visible to a search). Prints p50 and p99, overall and per collection.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use contracts::encode;
use elasticsearch::{CountParts, Elasticsearch, SearchParts};
use indexer::{Indexer, IndexerSettings, Targets};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use runtime::{Defaults, Health, Metrics, RuntimeConfig};
use searchindex::{Collection, EngineSettings, Layout};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::kafka;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Documents of the saturation backlog.
    #[arg(long, default_value_t = 20_000)]
    backlog: usize,
    /// Seconds of publishing at half the saturation rate.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    /// Tobacco documents per ETD.
    #[arg(long, default_value_t = 10)]
    tobacco_per_etd: usize,
}

/// The `i`th raw document of the mix: (topic choice: true for ETDs, key, payload).
fn raw_document(i: usize, per_etd: usize) -> (bool, String, Vec<u8>) {
    if i.is_multiple_of(per_etd + 1) {
        let g = samples::pdf::thesis(i as u64 + 1, 6);
        let record: contracts::DspaceRecord = serde_json::from_value(serde_json::json!({
            "title-none": format!("Thesis {i}"),
            "contributor-author": "Doe, Jane",
            "contributor-department": "Computer Science",
            "date-issued": "2017-01-05",
            "type-none": "Dissertation",
            "identifier-uri": format!("http://hdl.handle.net/10919/{}", 5_000_000 + i),
        }))
        .unwrap_or_default();
        let pdf = contracts::PdfRef::inline("thesis.pdf", &g.bytes).ok();
        match contracts::RawEtd::new(record, pdf) {
            Ok(raw) => (true, raw.id.to_string(), encode(&raw)),
            Err(_) => (true, String::new(), Vec::new()),
        }
    } else {
        let d = crate::tobacco_bench::document(i);
        (false, d.id.to_string(), encode(&d))
    }
}

type Task = tokio::task::JoinHandle<runtime::Result<()>>;

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let engine = EngineSettings::from_env()?;
    let es = engine.client()?;
    let mut layout = Layout::new(&engine);
    layout.prefix = kafka::unique("bench-e2e");
    layout.ensure(&es).await?;
    let t = Topics {
        raw_etds: kafka::unique("bench-raw-etds"),
        raw_tobacco: kafka::unique("bench-raw"),
        processed_etds: kafka::unique("bench-processed-etds"),
        processed_tobacco: kafka::unique("bench-processed"),
    };
    kafka::create_topics(
        brokers,
        &[
            &t.raw_etds,
            &t.raw_tobacco,
            &t.processed_etds,
            &t.processed_tobacco,
        ],
        args.partitions,
    )
    .await?;

    // saturation: a backlog, drained
    let per = args.tobacco_per_etd;
    let backlog: Vec<(bool, String, Vec<u8>)> =
        (0..args.backlog).map(|i| raw_document(i, per)).collect();
    let etds: Vec<&(bool, String, Vec<u8>)> = backlog.iter().filter(|d| d.0).collect();
    let tobacco: Vec<&(bool, String, Vec<u8>)> = backlog.iter().filter(|d| !d.0).collect();
    kafka::fill(brokers, &t.raw_etds, etds.len(), |i| {
        (etds[i].1.clone(), etds[i].2.clone())
    })
    .await?;
    kafka::fill(brokers, &t.raw_tobacco, tobacco.len(), |i| {
        (tobacco[i].1.clone(), tobacco[i].2.clone())
    })
    .await?;
    let stop = CancellationToken::new();
    let t0 = Instant::now();
    let tasks = start(brokers, &es, &layout, &t, &stop)?;
    wait_count(&es, &layout, args.backlog).await?;
    let saturation = args.backlog as f64 / t0.elapsed().as_secs_f64();
    println!(
        "saturation: {saturation:.0} docs/s ({} raw documents, {} of them ETDs with a 6-page PDF, to searchable)",
        args.backlog,
        etds.len()
    );
    let raw = t.raw_tobacco.clone();
    let raw_etds = t.raw_etds.clone();

    // half that rate, each document timed from publish to searchable
    let rate = saturation / 2.0;
    let total = (rate * args.seconds as f64) as usize;
    let producer: FutureProducer = kafka::config(brokers).set("linger.ms", "1").create()?;
    let published: std::sync::Arc<std::sync::Mutex<HashMap<String, Instant>>> =
        std::sync::Arc::default();
    let publisher = {
        let (published, raw, raw_etds) = (published.clone(), raw.clone(), raw_etds.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..total {
                let (etd, id, payload) = raw_document(10_000_000 + i, per);
                let topic = if etd { &raw_etds } else { &raw };
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                if let Ok(mut p) = published.lock() {
                    p.insert(id.clone(), Instant::now());
                }
                let _ = producer.send_result(FutureRecord::to(topic).key(&id).payload(&payload));
            }
            producer.flush(Duration::from_secs(30))
        })
    };
    let mut latencies = Vec::with_capacity(total);
    let deadline = Instant::now() + Duration::from_secs(args.seconds + 120);
    while latencies.len() < total {
        ensure!(
            Instant::now() < deadline,
            "only {} of {total} searchable",
            latencies.len()
        );
        let waiting: Vec<(String, Instant)> = {
            let p = published.lock().map_err(|_| anyhow::anyhow!("lock"))?;
            let mut v: Vec<_> = p.iter().map(|(k, t)| (k.clone(), *t)).collect();
            v.sort_by_key(|(_, t)| *t);
            v.truncate(5000);
            v
        };
        if waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let ids: Vec<&str> = waiting.iter().map(|(k, _)| k.as_str()).collect();
        let names = [
            layout.alias(Collection::Tobacco),
            layout.alias(Collection::Etds),
        ];
        let r = es
            .search(SearchParts::Index(&[&names[0], &names[1]]))
            .body(json!({"query": {"ids": {"values": ids}}, "_source": false, "size": ids.len()}))
            .send()
            .await?;
        let v: Value = r.json().await?;
        let now = Instant::now();
        let found: Vec<String> = v["hits"]["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h["_id"].as_str().map(str::to_owned))
            .collect();
        {
            let mut p = published.lock().map_err(|_| anyhow::anyhow!("lock"))?;
            for id in found {
                if let Some(t) = p.remove(&id) {
                    latencies.push((id.starts_with("etd:"), now - t));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    publisher.await?.context("flush")?;
    stop.cancel();
    for t in tasks {
        t.await??;
    }
    kafka::delete_topics(
        brokers,
        &[
            &t.raw_etds,
            &t.raw_tobacco,
            &t.processed_etds,
            &t.processed_tobacco,
        ],
    )
    .await;
    let _ = es
        .indices()
        .delete(elasticsearch::indices::IndicesDeleteParts::Index(&[
            &format!("{}-*", layout.prefix),
        ]))
        .send()
        .await;
    let report = |what: &str, pick: &dyn Fn(bool) -> bool| {
        let mut l: Vec<Duration> = latencies
            .iter()
            .filter(|(e, _)| pick(*e))
            .map(|(_, d)| *d)
            .collect();
        if l.is_empty() {
            return;
        }
        l.sort();
        let pct = |q: f64| l[((l.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
        println!(
            "{what}: {} documents, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            l.len(),
            pct(0.5),
            pct(0.99),
            pct(1.0)
        );
    };
    println!(
        "published {total} documents at {rate:.0} docs/s (half the saturation rate) for {} s; the engine refreshes every 1 s",
        args.seconds
    );
    report("etds", &|e| e);
    report("tobacco", &|e| !e);
    report("publish to searchable", &|_| true);
    Ok(())
}

/// The bench's topics.
struct Topics {
    raw_etds: String,
    raw_tobacco: String,
    processed_etds: String,
    processed_tobacco: String,
}

/// etd-ingest, tobacco-ingest and the indexer on the runtime, in this process.
fn start(
    brokers: &str,
    es: &Elasticsearch,
    layout: &Layout,
    t: &Topics,
    stop: &CancellationToken,
) -> Result<Vec<Task>> {
    let (raw, processed) = (t.raw_tobacco.as_str(), t.processed_tobacco.as_str());
    let vars = |service: &str, inputs: &str, output: Option<&str>| -> BTreeMap<String, String> {
        let mut v: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("DOCSTREAM_"))
            .collect();
        v.insert("DOCSTREAM_KAFKA_BROKERS".into(), brokers.into());
        v.insert("DOCSTREAM_INPUT_TOPICS".into(), inputs.into());
        v.insert("DOCSTREAM_GROUP_ID".into(), kafka::unique(service));
        v.insert("DOCSTREAM_DLQ_TOPIC".into(), kafka::unique("bench-dlq"));
        if let Some(o) = output {
            v.insert("DOCSTREAM_OUTPUT_TOPIC".into(), o.into());
        }
        v
    };
    let none = Defaults::default();
    let ingest_config = RuntimeConfig::from_vars(
        "tobacco-ingest",
        &none,
        &vars("bench-ingest", raw, Some(processed)),
    )?;
    let ingest = tobacco_ingest::Ingest {
        output: processed.to_owned(),
        limits: tobacco_ingest::Limits::default(),
    };
    let etd_config = RuntimeConfig::from_vars(
        "etd-ingest",
        &none,
        &vars("bench-etd-ingest", &t.raw_etds, Some(&t.processed_etds)),
    )?;
    let etd_metrics = Metrics::new("etd-ingest");
    let etd = etd_ingest::Ingest::from_vars(
        &runtime::env_vars(),
        t.processed_etds.clone(),
        etd_metrics.clone(),
    )?;
    let mut iv = vars(
        "bench-indexer",
        &format!("{},{}", t.processed_etds, t.processed_tobacco),
        None,
    );
    iv.insert("DOCSTREAM_INDEXER_TOPIC_TOBACCO".into(), processed.into());
    iv.insert(
        "DOCSTREAM_INDEXER_TOPIC_ETDS".into(),
        t.processed_etds.clone(),
    );
    let settings = IndexerSettings::from_vars(&iv)?;
    let index_config = settings.runtime_config(&iv)?;
    let metrics = Metrics::new("indexer");
    let indexer = Indexer::start(
        &settings,
        &index_config,
        Targets::new(layout, None),
        es.clone(),
        &metrics,
    )?;
    Ok(vec![
        tokio::spawn(runtime::run(
            etd_config,
            etd,
            etd_metrics,
            Health::default(),
            stop.clone(),
        )),
        tokio::spawn(runtime::run(
            ingest_config,
            ingest,
            Metrics::new("tobacco-ingest"),
            Health::default(),
            stop.clone(),
        )),
        tokio::spawn(runtime::run(
            index_config,
            indexer,
            metrics,
            Health::default(),
            stop.clone(),
        )),
    ])
}

async fn wait_count(es: &Elasticsearch, layout: &Layout, n: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(900);
    let (a, b) = (
        layout.alias(Collection::Tobacco),
        layout.alias(Collection::Etds),
    );
    loop {
        let r = es.count(CountParts::Index(&[&a, &b])).send().await?;
        let v: Value = r.json().await?;
        let c = v["count"].as_u64().unwrap_or(0);
        if c >= n as u64 {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{c} of {n} searchable after 900 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
