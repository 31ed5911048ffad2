//! `loadtest chaos`: the whole pipeline as processes (both sources, both ingests, the
//! indexer, the summarizer, the clusterer and its trainer, the recommender) under a
//! steady load, and one fault after another: SIGKILL of each service (restarted at
//! once under its instance id, as a StatefulSet's pod; and once under a new id, as a
//! Deployment's pod, the baseline), SIGKILL of the Kafka broker, the search engine
//! stopped, MariaDB and FerretDB stopped under their sources, and a frozen engine
//! (the indexer's in-flight window full). For each fault: documents lost, stale or
//! searchable twice, dead letters, and the recovery time (fault or restore to the
//! service's throughput back at 90% of before).

mod load;
mod measure;
mod procs;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use elasticsearch::SearchParts;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use load::{Load, Shared, Written};
use procs::{Proc, Stack};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Tobacco records inserted into MariaDB per second.
    #[arg(long, default_value_t = 30.0)]
    tobacco_per_sec: f64,
    /// Theses (PDF to the bucket, record to FerretDB) per second.
    #[arg(long, default_value_t = 2.0)]
    etds_per_sec: f64,
    /// Search clicks on `logs` per second.
    #[arg(long, default_value_t = 10.0)]
    clicks_per_sec: f64,
    /// SIGKILLs of each service (restarted under the same instance id).
    #[arg(long, default_value_t = 3)]
    kills: usize,
    #[arg(long, default_value_t = 60)]
    engine_down_secs: u64,
    #[arg(long, default_value_t = 30)]
    database_down_secs: u64,
    /// How long the engine is frozen (SIGSTOP) for the full-window fault.
    #[arg(long, default_value_t = 20)]
    slow_engine_secs: u64,
    /// The faults to inject, in this order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "kill,baseline,broker,engine,databases,slow-engine"
    )]
    faults: Vec<String>,
    /// Seconds of undisturbed load between faults (and before the first).
    #[arg(long, default_value_t = 12)]
    settle_secs: u64,
    /// A fault not recovered within this many seconds is reported as not recovered.
    #[arg(long, default_value_t = 120)]
    recovery_timeout_secs: u64,
}

/// The services, in start order: (name, binary, arguments).
const SERVICES: &[(&str, &str, &[&str])] = &[
    ("tobacco-ingest", "tobacco-ingest", &[]),
    ("etd-ingest", "etd-ingest", &[]),
    ("indexer", "indexer", &[]),
    ("summarizer", "summarizer", &[]),
    ("clusterer", "clusterer", &[]),
    ("clusterer-train", "clusterer", &["train"]),
    ("recommender", "recommender", &[]),
    ("tobacco-source", "tobacco-ingest", &["source"]),
    ("etd-source", "etd-ingest", &["source"]),
];

/// The services killed (the trainer refits now and then and has no throughput).
const KILLED: &[&str] = &[
    "tobacco-source",
    "etd-source",
    "tobacco-ingest",
    "etd-ingest",
    "indexer",
    "summarizer",
    "clusterer",
    "recommender",
];

/// What measures a service's throughput: a source's output topics' end offsets, or a
/// consumer group's committed offsets on its inputs.
#[derive(Debug, Clone)]
enum Signal {
    Produced(Vec<(String, i32)>),
    Consumed {
        group: String,
        topics: Vec<(String, i32)>,
    },
}

type Series = Arc<Mutex<HashMap<String, Vec<(f64, i64)>>>>;

/// Samples every signal every 250 ms into `series` until cancelled.
fn sample(
    brokers: &str,
    signals: &BTreeMap<String, Signal>,
    series: &Series,
    began: Instant,
    cancel: &CancellationToken,
) -> Result<()> {
    let client = |group: &str| -> Result<BaseConsumer> {
        Ok(settings::reading_committed_offsets(
            crate::kafka::config(brokers)
                .set("group.id", group)
                .set("enable.auto.commit", "false"),
        )
        .create()?)
    };
    let watermarks = client("docstream-chaos-meter")?;
    let mut groups: HashMap<String, BaseConsumer> = HashMap::new();
    for s in signals.values() {
        if let Signal::Consumed { group, .. } = s {
            groups.insert(group.clone(), client(group)?);
        }
    }
    let timeout = Duration::from_secs(2);
    while !cancel.is_cancelled() {
        let tick = Instant::now();
        for (name, s) in signals {
            let value = match s {
                Signal::Produced(topics) => topics
                    .iter()
                    .flat_map(|(t, n)| (0..*n).map(move |p| (t, p)))
                    .map(|(t, p)| watermarks.fetch_watermarks(t, p, timeout).map(|w| w.1))
                    .sum::<Result<i64, _>>()
                    .ok(),
                Signal::Consumed { group, topics } => {
                    let mut tpl = TopicPartitionList::new();
                    for (t, n) in topics {
                        for p in 0..*n {
                            tpl.add_partition(t, p);
                        }
                    }
                    groups[group].committed_offsets(tpl, timeout).ok().map(|c| {
                        c.elements()
                            .iter()
                            .map(|e| match e.offset() {
                                Offset::Offset(o) => o,
                                _ => 0,
                            })
                            .sum()
                    })
                }
            };
            if let Some(v) = value {
                let t = began.elapsed().as_secs_f64();
                series
                    .lock()
                    .expect("series")
                    .entry(name.clone())
                    .or_default()
                    .push((t, v));
            }
        }
        std::thread::sleep(Duration::from_millis(250).saturating_sub(tick.elapsed()));
    }
    Ok(())
}

/// One injected fault and what it did.
#[derive(Debug)]
struct Fault {
    name: String,
    /// The fault's kind for the summary: `kill`, `baseline`, or the fault's name.
    kind: &'static str,
    /// The signals judged; the slowest one's recovery is the fault's.
    signals: Vec<String>,
    at: f64,
    restored: f64,
    recovery: Option<(String, f64)>,
    /// The phase's end: recovered and settled (documents written until then are its).
    end: f64,
    dead_letters: i64,
    /// The signals not back at 90% when the timeout passed, with their rates.
    stragglers: Vec<String>,
    /// Services that exited on their own during the phase and were restarted.
    restarts: usize,
}

struct Chaos {
    stack: Stack,
    procs: BTreeMap<String, Proc>,
    series: Series,
    began: Instant,
    settle: Duration,
    timeout: Duration,
}

impl Chaos {
    fn now(&self) -> f64 {
        self.began.elapsed().as_secs_f64()
    }

    fn latest(&self, signal: &str) -> i64 {
        self.series
            .lock()
            .expect("series")
            .get(signal)
            .and_then(|s| s.last())
            .map(|s| s.1)
            .unwrap_or(0)
    }

    /// Restarts any service that exited on its own, at once, under the same instance
    /// id (what Kubernetes does with a crashed container); counted on the fault.
    fn supervise(&mut self, f: &mut Fault) -> Result<()> {
        for p in self.procs.values_mut() {
            if let Some(status) = p.exited() {
                println!("          {} exited ({status}); restarted", p.name);
                f.restarts += 1;
                p.restart(false)?;
            }
        }
        Ok(())
    }

    /// A signal's rate before the fault and its recovery after the restore.
    fn judge(&self, signal: &str, f: &Fault) -> (f64, Option<f64>) {
        let series = self.series.lock().expect("series");
        let samples = series.get(signal).map(Vec::as_slice).unwrap_or(&[]);
        let before = measure::rate(samples, f.at - 10.0, f.at).unwrap_or(0.0);
        let window = measure::window_for(before);
        let recovery = measure::recovery(samples, f.restored, before, window);
        (before, recovery.map(|d| d.as_secs_f64()))
    }

    /// Waits until every signal has recovered from `restored` (the slowest counts),
    /// or the timeout; then the settle time.
    fn await_recovery(&mut self, f: &mut Fault) -> Result<()> {
        let deadline = Instant::now() + self.timeout;
        loop {
            self.supervise(f)?;
            let judged: Vec<(&String, f64, Option<f64>)> = f
                .signals
                .iter()
                .map(|s| {
                    let (before, r) = self.judge(s, f);
                    (s, before, r)
                })
                .collect();
            if judged.iter().all(|j| j.2.is_some()) {
                f.recovery = judged
                    .iter()
                    .filter_map(|(s, _, r)| Some(((*s).clone(), (*r)?)))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                break;
            }
            if Instant::now() > deadline {
                let series = self.series.lock().expect("series").clone();
                let now = self.now();
                f.stragglers = judged
                    .iter()
                    .filter(|j| j.2.is_none())
                    .map(|(s, before, _)| {
                        let samples = series.get(*s).map(Vec::as_slice).unwrap_or(&[]);
                        let after = measure::rate(samples, now - 10.0, now).unwrap_or(0.0);
                        format!("{s} (before {before:.1}/s, last 10 s {after:.1}/s)")
                    })
                    .collect();
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let settled = Instant::now() + self.settle;
        while Instant::now() < settled {
            self.supervise(f)?;
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(())
    }

    fn run_fault(
        &mut self,
        name: String,
        kind: &'static str,
        signals: Vec<String>,
        inject: impl FnOnce(&mut Self) -> Result<f64>,
    ) -> Result<Fault> {
        let dead = self.latest("dead-letters");
        let at = self.now();
        println!("{:>7.1}s  {name}", at);
        let restored = inject(self)?;
        let mut f = Fault {
            name,
            kind,
            signals,
            at,
            restored,
            recovery: None,
            end: 0.0,
            dead_letters: 0,
            stragglers: Vec::new(),
            restarts: 0,
        };
        self.await_recovery(&mut f)?;
        f.end = self.now();
        f.dead_letters = self.latest("dead-letters") - dead;
        match &f.recovery {
            Some((s, d)) => println!("          recovered in {d:.1} s ({s})"),
            None => println!(
                "          NOT recovered within {} s: {}",
                self.timeout.as_secs(),
                f.stragglers.join(", ")
            ),
        }
        Ok(f)
    }

    /// Stops a server of the stack for `secs`, then starts it; returns when it is back.
    fn outage(&self, component: &str, secs: u64) -> Result<f64> {
        self.stack.down(component)?;
        std::thread::sleep(Duration::from_secs(secs));
        self.stack.up(component)?;
        Ok(self.now())
    }

    fn kill(&mut self, service: &str, new_id: bool) -> Result<f64> {
        let p = self.procs.get_mut(service).expect("a known service");
        p.kill()?;
        p.restart(new_id)?;
        Ok(self.began.elapsed().as_secs_f64())
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the service binaries beside this one (release) and returns their folder.
fn build_services(root: &Path) -> Result<PathBuf> {
    let mut cmd = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cmd.current_dir(root)
        .args(["build", "--release", "--quiet"]);
    for p in [
        "tobacco-ingest",
        "etd-ingest",
        "indexer",
        "summarizer",
        "clusterer",
        "recommender",
        "docstream-cli",
    ] {
        cmd.args(["-p", p]);
    }
    println!("building the services: cargo build --release (tobacco-ingest, etd-ingest, indexer, summarizer, clusterer, recommender, docstream-cli)");
    ensure!(
        cmd.status()?.success(),
        "cargo build of the services failed"
    );
    let exe = std::env::current_exe()?;
    Ok(exe.parent().context("the binary's folder")?.to_owned())
}

fn output_of(root: &Path, program: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("run {}", program.display()))?;
    ensure!(
        out.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let root = workspace_root().canonicalize()?;
    let stack = Stack::open(&root)?;
    let bin = build_services(&root)?;
    let model = output_of(&root, &root.join("scripts/model"), &[])?;
    output_of(
        &root,
        &bin.join("docstream"),
        &["topics", "apply", "--file", "topics.yaml"],
    )?;
    let topics = topics::TopicsFile::load(root.join("topics.yaml"))?;
    let tag = format!("chaos{}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    println!("run {tag}: documents titled \"{tag} ...\"; logs in .stack/logs/chaos-*.log");

    // every service gets the stack's endpoints; the sources read this run's table
    // and collection from the start
    let mut env: Vec<(String, String)> = stack.env.clone().into_iter().collect();
    env.push(("DOCSTREAM_MODEL_DIR".into(), model));
    let table = format!("{tag}_tobacco");
    let collection = format!("{tag}_etds");
    let logs = root.join(".stack/logs");
    std::fs::create_dir_all(&logs)?;
    let mut procs = BTreeMap::new();
    for (i, (name, binary, argv)) in SERVICES.iter().enumerate() {
        let mut e = env.clone();
        match *name {
            "tobacco-source" => {
                e.push(("DOCSTREAM_SOURCE_TABLE".into(), table.clone()));
                e.push(("DOCSTREAM_SOURCE_NAME".into(), format!("{tag}-tobacco")));
            }
            "etd-source" => {
                e.push(("DOCSTREAM_MONGO_COLLECTION".into(), collection.clone()));
                e.push(("DOCSTREAM_SOURCE_NAME".into(), format!("{tag}-etds")));
            }
            "clusterer-train" => e.push(("DOCSTREAM_CLUSTER_MIN_DOCUMENTS".into(), "20".into())),
            _ => {}
        }
        let mut p = Proc::new(name, bin.join(binary), argv, 9401 + i as u16, e, &logs);
        p.start()?;
        procs.insert((*name).to_owned(), p);
    }
    for p in procs.values_mut() {
        p.wait_live()?;
    }
    println!("{} services up", procs.len());

    // the signals: sources by their raw topics, the others by their group's commits
    let inputs = |service: &str| -> Vec<(String, i32)> {
        topics
            .topics
            .iter()
            .filter(|t| t.consumers.iter().any(|c| c == service))
            .map(|t| (t.name.clone(), t.partitions))
            .collect()
    };
    let partitions = |name: &str| {
        topics
            .topics
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.partitions)
            .unwrap_or(1)
    };
    let mut signals = BTreeMap::new();
    for (source, topic) in [
        ("tobacco-source", "raw.tobacco"),
        ("etd-source", "raw.etds"),
    ] {
        signals.insert(
            source.to_owned(),
            Signal::Produced(vec![(topic.into(), partitions(topic))]),
        );
    }
    for s in KILLED.iter().filter(|s| !s.ends_with("-source")) {
        signals.insert(
            (*s).to_owned(),
            Signal::Consumed {
                group: settings::facts::group_id(s),
                topics: inputs(s),
            },
        );
    }
    let dlq: Vec<(String, i32)> = topics
        .topics
        .iter()
        .filter(|t| t.name.starts_with("dlq."))
        .map(|t| (t.name.clone(), t.partitions))
        .collect();
    signals.insert("dead-letters".into(), Signal::Produced(dlq));

    let began = Instant::now();
    let series: Series = Arc::default();
    let cancel_sampler = CancellationToken::new();
    let sampler = {
        let (b, s, c, sig) = (
            brokers.to_owned(),
            series.clone(),
            cancel_sampler.clone(),
            signals.clone(),
        );
        std::thread::spawn(move || sample(&b, &sig, &s, began, &c))
    };

    let vars: runtime::Vars = stack.env.clone().into_iter().collect();
    let load = Arc::new(Load {
        tag: tag.clone(),
        tobacco_per_sec: args.tobacco_per_sec,
        etds_per_sec: args.etds_per_sec,
        clicks_per_sec: args.clicks_per_sec,
        table,
        collection,
        mysql_url: stack.env["DOCSTREAM_MYSQL_URL"].clone(),
        mongo_url: stack.env["DOCSTREAM_MONGO_URL"].clone(),
        mongo_database: stack
            .env
            .get("DOCSTREAM_MONGO_DATABASE")
            .cloned()
            .unwrap_or("docstream".into()),
        brokers: brokers.to_owned(),
        store: blobstore::Store::new(blobstore::S3Settings::from_vars(&vars)?),
        pdf_dir: root.join(".stack/chaos-pdfs"),
        began,
    });
    let written: Shared = Arc::new(Mutex::new(Written::default()));
    let stop_load = CancellationToken::new();
    let tasks = vec![
        tokio::spawn(load.clone().tobacco(written.clone(), stop_load.clone())),
        tokio::spawn(load.clone().etds(written.clone(), stop_load.clone())),
        tokio::spawn(load.clone().clicks(written.clone(), stop_load.clone())),
    ];
    // the warm-up: the model loads, the trainer fits its first model, rates settle
    let warmup = Duration::from_secs(30 + args.settle_secs);
    println!("load running; {} s of warm-up", warmup.as_secs());
    tokio::time::sleep(warmup).await;

    let chaos = Chaos {
        stack,
        procs,
        series: series.clone(),
        began,
        settle: Duration::from_secs(args.settle_secs),
        timeout: Duration::from_secs(args.recovery_timeout_secs),
    };
    let a = (
        args.faults.clone(),
        args.kills,
        args.engine_down_secs,
        args.database_down_secs,
        args.slow_engine_secs,
    );
    let (mut chaos, faults) = tokio::task::spawn_blocking(move || {
        let mut chaos = chaos;
        let r = inject_all(&mut chaos, &a.0, a.1, a.2, a.3, a.4);
        (chaos, r)
    })
    .await?;
    let faults = faults?;

    stop_load.cancel();
    for t in tasks {
        t.await??;
    }
    let written = std::mem::take(&mut *written.lock().expect("load"));
    println!(
        "load stopped: {} documents written ({} second versions), {} clicks; waiting for the index",
        written.docs.len(),
        written.updated.len(),
        written.clicks
    );
    let found = await_index(&written).await?;
    cancel_sampler.cancel();
    sampler.join().ok();
    for p in chaos.procs.values_mut() {
        p.stop();
    }
    report(&written, &found, &faults);
    Ok(())
}

fn inject_all(
    chaos: &mut Chaos,
    which: &[String],
    kills: usize,
    engine_down: u64,
    db_down: u64,
    slow: u64,
) -> Result<Vec<Fault>> {
    let mut out = Vec::new();
    let consumers: Vec<String> = KILLED.iter().map(|s| (*s).to_owned()).collect();
    for fault in which {
        match fault.as_str() {
            "kill" => {
                for round in 1..=kills {
                    for s in &consumers {
                        out.push(chaos.run_fault(
                            format!("SIGKILL {s} #{round} (restarted, same instance id)"),
                            "kill",
                            vec![s.clone()],
                            |c| c.kill(s, false),
                        )?);
                    }
                }
            }
            "baseline" => {
                for s in &consumers {
                    out.push(chaos.run_fault(
                        format!("SIGKILL {s} (restarted under a new instance id)"),
                        "baseline",
                        vec![s.clone()],
                        |c| c.kill(s, true),
                    )?);
                }
            }
            "broker" => out.push(chaos.run_fault(
                "SIGKILL the Kafka broker, restarted".into(),
                "broker",
                consumers.clone(),
                |c| {
                    c.stack.signal("kafka", "KILL")?;
                    c.stack.up("kafka")?;
                    Ok(c.now())
                },
            )?),
            "engine" => out.push(chaos.run_fault(
                format!("search engine stopped for {engine_down} s"),
                "engine",
                vec!["indexer".into()],
                |c| c.outage("opensearch", engine_down),
            )?),
            "databases" => {
                for (db, source) in [("mariadb", "tobacco-source"), ("ferretdb", "etd-source")] {
                    out.push(chaos.run_fault(
                        format!("{db} stopped for {db_down} s under {source}"),
                        "database",
                        vec![source.into()],
                        |c| c.outage(db, db_down),
                    )?);
                }
            }
            "slow-engine" => out.push(chaos.run_fault(
                format!("search engine frozen (SIGSTOP) for {slow} s: the indexer's window fills"),
                "slow-engine",
                vec!["indexer".into()],
                |c| {
                    c.stack.signal("opensearch", "STOP")?;
                    std::thread::sleep(Duration::from_secs(slow));
                    c.stack.signal("opensearch", "CONT")?;
                    Ok(c.now())
                },
            )?),
            other => anyhow::bail!(
                "unknown fault {other:?} (kill, baseline, broker, engine, databases, slow-engine)"
            ),
        }
    }
    Ok(out)
}

/// What the index holds of this run: id -> (title, how many hits had this id).
type Found = HashMap<String, (String, usize)>;

/// Polls the index until every written document is there in its last version, or
/// 5 minutes pass; returns what it found last.
async fn await_index(written: &Written) -> Result<Found> {
    let engine = searchindex::EngineSettings::from_env()?;
    let es = engine.client()?;
    let layout = searchindex::Layout::new(&engine);
    let indices = [
        layout.alias(searchindex::Collection::Tobacco),
        layout.alias(searchindex::Collection::Etds),
    ];
    let want: HashMap<&str, &str> = written
        .docs
        .iter()
        .map(|(id, _, title)| (id.as_str(), title.as_str()))
        .collect();
    let ids: Vec<&str> = want.keys().copied().collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let mut found = Found::new();
        for batch in ids.chunks(500) {
            let body = json!({
                "size": 2 * batch.len(),
                "_source": ["title"],
                "query": { "bool": { "filter": [
                    { "ids": { "values": batch } },
                    searchindex::query::visible()
                ] } }
            });
            let r: Value = es
                .search(SearchParts::Index(&[&indices[0], &indices[1]]))
                .body(body)
                .send()
                .await?
                .json()
                .await?;
            for h in r["hits"]["hits"].as_array().into_iter().flatten() {
                let id = h["_id"].as_str().unwrap_or_default().to_owned();
                let title = h["_source"]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let e = found.entry(id).or_insert((title, 0));
                e.1 += 1;
            }
        }
        let done = want
            .iter()
            .all(|(id, title)| found.get(*id).is_some_and(|f| f.0 == *title));
        if done || Instant::now() > deadline {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn report(written: &Written, found: &Found, faults: &[Fault]) {
    // the last version written of each document is the one the index must show
    let mut last: HashMap<&str, (f64, &str)> = HashMap::new();
    for (id, t, title) in &written.docs {
        last.insert(id, (*t, title));
    }
    let phases: Vec<(f64, f64)> = faults.iter().map(|f| (f.at, f.end)).collect();
    let mut per: Vec<(usize, usize, usize)> = vec![(0, 0, 0); faults.len() + 1];
    for (id, (t, title)) in &last {
        let k = measure::phase_of(&phases, *t).unwrap_or(faults.len());
        match found.get(*id) {
            None => per[k].0 += 1,
            Some((got, _)) if got != title => per[k].1 += 1,
            Some((_, n)) if *n > 1 => per[k].2 += 1,
            _ => {}
        }
    }
    println!();
    println!(
        "{:<78} {:>5} {:>6} {:>6} {:>5} {:>9} {:>10}",
        "fault", "lost", "stale", "twice", "dlq", "restarts", "recovery"
    );
    for (i, f) in faults.iter().enumerate() {
        let rec = f
            .recovery
            .as_ref()
            .map(|r| format!("{:.1} s", r.1))
            .unwrap_or("none".into());
        println!(
            "{:<78} {:>5} {:>6} {:>6} {:>5} {:>9} {:>10}",
            f.name, per[i].0, per[i].1, per[i].2, f.dead_letters, f.restarts, rec
        );
    }
    let k = faults.len();
    println!(
        "{:<78} {:>5} {:>6} {:>6} {:>5}",
        "(between faults)", per[k].0, per[k].1, per[k].2, ""
    );
    let lost: usize = per.iter().map(|p| p.0).sum();
    let stale: usize = per.iter().map(|p| p.1 + p.2).sum();
    let times = |kind: &str| -> Vec<f64> {
        faults
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.recovery.as_ref().map(|r| r.1).unwrap_or(f64::INFINITY))
            .collect()
    };
    let line = |kind: &str, what: &str| {
        let t = times(kind);
        if let (Some(p50), Some(max)) = (
            measure::percentile(&t, 50.0),
            measure::percentile(&t, 100.0),
        ) {
            println!(
                "{what}: recovery p50 {p50:.1} s, max {max:.1} s over {}",
                t.len()
            );
        }
    };
    println!();
    println!(
        "{} documents checked, {} of them second versions",
        last.len(),
        written.updated.len()
    );
    line(
        "kill",
        "service SIGKILL, restarted under its instance id (a StatefulSet's pod)",
    );
    line(
        "baseline",
        "baseline: service SIGKILL, restarted under a new id (a Deployment's pod)",
    );
    let p50 = measure::percentile(&times("kill"), 50.0).unwrap_or(f64::NAN);
    println!("chaos: lost {lost}, stale {stale}, recovery p50 {p50:.1} s");
}
