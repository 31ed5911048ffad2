//! `loadtest search`: simulated people using the library's web pages, as Locust users
//! would, next to the same work sent straight to the search engine, at each number of
//! concurrent users. A user's visit: search (a query from the shared FEK search logs or
//! the collection's vocabulary), perhaps the next page, perhaps a facet ticked,
//! perhaps a result opened (with the query id and rank of its link, so it is logged as
//! a click), with a think time before every request. The direct run makes, per
//! action, the engine requests the search API would make for it (a search; a get, the
//! full text for the matched page in the same request when it came from a query, the
//! more-like-this and the nearest by meaning for an opened document).
//! These runs rank lexically (`mode=lexical`, on both sides: what is compared is the
//! search API's own cost). Then each ranking mode (`--modes`: lexical, semantic,
//! hybrid) through the search API at `--mode-users` users, lexical the baseline in the
//! same run: semantic and hybrid searches embed the query in the search API (the real
//! model) and ask the engine's k-NN for the nearest documents. The generated documents'
//! embeddings are synthetic, gathered around topics as real ones are ([`with_embeddings`]:
//! embedding 10,000 documents would take the run's length many times over). Each mode's
//! run ends with the mean time per engine operation and per query embedding, from the
//! search API's own `/metrics`.
//! Prints requests per second, p50 and p99 per route and errors for both, checks that
//! every click the users made is on `logs`, and ends with
//! `search-api/direct-engine ratio: X` at the largest number of users.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use contracts::LogEvent;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;
use searchindex::{EngineSettings, Layout};

use crate::index_bench::{self, DirectOp};
use crate::kafka;
use crate::served::{quantile, Server};

/// Set when this binary is started again as the search API.
pub const SERVE: &str = "LOADTEST_SERVE_SEARCH_API";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Generated theses (each with 20 KiB of full text).
    #[arg(long, default_value_t = 2000)]
    etds: usize,
    /// Generated tobacco documents per thesis.
    #[arg(long, default_value_t = 4)]
    tobacco_per_etd: usize,
    /// Concurrent users, one run each (direct, then through the search API).
    #[arg(long, value_delimiter = ',', default_values_t = [100, 1000])]
    users: Vec<usize>,
    /// Seconds each run lasts (after a ramp-up of a tenth of it).
    #[arg(long, default_value_t = 40)]
    seconds: u64,
    /// Mean think time before each request, seconds (uniform over ±50%).
    #[arg(long, default_value_t = 1.0)]
    think: f64,
    /// The FEK search logs queries are drawn from.
    #[arg(long, default_value = "../shared/data/cs5604-fek")]
    fek: std::path::PathBuf,
    /// Ranking modes measured through the search API after the levels (none: skip).
    #[arg(long, value_delimiter = ',', default_values_t = ["lexical".to_owned(), "semantic".to_owned(), "hybrid".to_owned()])]
    modes: Vec<String>,
    /// Concurrent users of each mode's run.
    #[arg(long, default_value_t = 100)]
    mode_users: usize,
}

/// What one request was, for the per-route figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Route {
    Search,
    Page,
    Facet,
    Document,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Self::Search => "search",
            Self::Page => "next page",
            Self::Facet => "facet",
            Self::Document => "document",
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    latencies: HashMap<Route, Vec<f64>>,
    errors: HashMap<Route, u64>,
    clicks: u64,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, route: Route, seconds: f64, ok: Result<(), String>) {
        match ok {
            Ok(()) => self.latencies.entry(route).or_default().push(seconds),
            Err(e) => {
                *self.errors.entry(route).or_default() += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }
}

/// What a results page offered the user next.
#[derive(Debug, Default)]
struct Offered {
    documents: Vec<String>,
    facets: Vec<String>,
    more: bool,
}

/// A tiny deterministic generator per user.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    #[allow(clippy::cast_precision_loss)]
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        (!v.is_empty()).then(|| &v[usize::try_from(self.next()).unwrap_or(0) % v.len()])
    }
}

/// Queries: the FEK logs' search texts (field prefixes such as `title-none:` dropped)
/// and pairs of the generated collection's words; how many came from the logs.
fn queries(fek: &std::path::Path) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    for file in ["etd_search_log.json", "tobacco_search_log.json"] {
        let Ok(text) = std::fs::read_to_string(fek.join(file)) else {
            continue;
        };
        for line in text.lines() {
            if let Ok(e) = contracts::decode::<LogEvent>(line.as_bytes()) {
                if let Some(a) = e.data.activity {
                    let q = a.search_text.rsplit(':').next().unwrap_or("").trim();
                    if !q.is_empty() && q.len() < 100 {
                        out.push(q.to_owned());
                    }
                }
            }
        }
    }
    let from_logs = out.len();
    let words = index_bench::prose(7, 4000);
    let words: Vec<&str> = words
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() > 3)
        .collect();
    for pair in words.chunks(2).take(200) {
        out.push(pair.join(" "));
    }
    (out, from_logs)
}

/// Links and facet values in a results page's HTML (its markup is ours: `href` to
/// `/documents/…` and `name="filter" value="…"`).
fn offered_by_page(html: &str) -> Offered {
    let unescape = |s: &str| s.replace("&amp;", "&").replace("&quot;", "\"");
    let mut o = Offered::default();
    for part in html.split("href=\"").skip(1) {
        let link = part.split('"').next().unwrap_or("");
        if link.starts_with("/documents/") {
            o.documents.push(unescape(link));
        }
        if link.contains("page=") && part.contains("rel=\"next\"") {
            o.more = true;
        }
    }
    for part in html.split("name=\"filter\" value=\"").skip(1) {
        o.facets
            .push(unescape(part.split('"').next().unwrap_or("")));
    }
    o
}

/// One user's way of making requests: through the search API's pages, or the same
/// work straight to the engine.
#[derive(Clone)]
enum Target {
    Api {
        http: reqwest::Client,
        base: String,
    },
    Direct {
        es: elasticsearch::Elasticsearch,
        layout: Layout,
        /// The same bound on requests in flight as the search API's (its default), as
        /// any client of an engine whose queue rejects when full must keep.
        turns: Arc<tokio::sync::Semaphore>,
    },
}

/// What the results page for `pairs` (its query string's) offers; the session
/// cookie kept.
async fn results(
    t: &Target,
    pairs: &[(String, String)],
    cookie: &mut Option<String>,
) -> Result<Offered, String> {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let query = query.as_str();
    match t {
        Target::Api { http, base } => {
            let mut req = http.get(format!("{base}/?{query}"));
            if let Some(c) = cookie.as_deref() {
                req = req.header(reqwest::header::COOKIE, c);
            }
            let r = req.send().await.map_err(|e| e.to_string())?;
            if let Some(set) = r.headers().get(reqwest::header::SET_COOKIE) {
                *cookie = set
                    .to_str()
                    .ok()
                    .and_then(|s| s.split(';').next())
                    .map(str::to_owned);
            }
            let status = r.status();
            let body = r.text().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!(
                    "{status}: {}",
                    body.chars().take(200).collect::<String>()
                ));
            }
            Ok(offered_by_page(&body))
        }
        Target::Direct { es, layout, turns } => {
            let (mut s, page) =
                search_api::request::parse(Some(query), search_api::request::Limits::default())?;
            s.facets = search_api::pages::facets_for(s.collection)
                .iter()
                .map(|f| (*f).to_owned())
                .collect();
            let turn = turns.acquire().await.map_err(|e| e.to_string())?;
            let found = searchindex::query::search(es, layout, &s)
                .await
                .map_err(|e| e.to_string())?;
            drop(turn);
            Ok(Offered {
                documents: found
                    .hits
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        search_api::pages::document_url(&h.id, "direct", s.from + i + 1, &s.query)
                    })
                    .collect(),
                facets: found
                    .facets
                    .iter()
                    .flat_map(|f| {
                        f.counts
                            .iter()
                            .map(move |(v, _)| format!("{}:{v}", f.field))
                    })
                    .collect(),
                more: (page * s.size) < usize::try_from(found.total).unwrap_or(0),
            })
        }
    }
}

/// Opens a document at its link (`/documents/{id}?qid=…&rank=…&q=…`).
async fn open(t: &Target, link: &str, cookie: Option<&str>) -> Result<(), String> {
    match t {
        Target::Api { http, base } => {
            let mut req = http.get(format!("{base}{link}"));
            if let Some(c) = cookie {
                req = req.header(reqwest::header::COOKIE, c);
            }
            let r = req.send().await.map_err(|e| e.to_string())?;
            let status = r.status();
            r.bytes().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("{status} for {link}"))
            }
        }
        Target::Direct { es, layout, turns } => {
            let turn = || async { turns.acquire().await.map_err(|e| e.to_string()) };
            let (path, query) = link.split_once('?').unwrap_or((link, ""));
            let id: contracts::DocId = path
                .trim_start_matches("/documents/")
                .parse()
                .map_err(|e| format!("{e}"))?;
            let has_q = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .unwrap_or_default()
                .iter()
                .any(|(k, v)| k == "q" && !v.is_empty());
            let t = turn().await?;
            let found = if has_q {
                searchindex::lookup::document_and_text(es, layout, &id)
                    .await
                    .map(|d| d.map(|(doc, _)| doc))
            } else {
                searchindex::query::document(es, layout, &id).await
            };
            let doc = found
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no {id}"))?;
            drop(t);
            let t = turn().await?;
            searchindex::lookup::more_like_this(es, layout, &id, 5)
                .await
                .map_err(|e| e.to_string())?;
            drop(t);
            // similar by meaning, from the document's own embedding
            let vector = searchindex::vectors::of(&doc);
            if !vector.is_empty() {
                let _t = turn().await?;
                searchindex::lookup::nearest(es, layout, &id, &vector, 5)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
    }
}

/// One simulated user, from `start` (when what it does starts to count) to `until`.
async fn user(
    t: Target,
    mode: String,
    seed: u64,
    queries: Arc<Vec<String>>,
    think: f64,
    tally: Arc<Mutex<Tally>>,
    (start, until): (Instant, Instant),
) {
    let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut cookie: Option<String> = None;
    let pause = |dice: &mut Dice| Duration::from_secs_f64(think * (0.5 + dice.unit()));
    // start spread over the first think time, as users arrive
    tokio::time::sleep(Duration::from_secs_f64(think * dice.unit())).await;
    let timed = |route: Route, t0: Instant, ok: &Result<Offered, String>| {
        if t0 >= start {
            let r = ok.as_ref().map(|_| ()).map_err(Clone::clone);
            if let Ok(mut t) = tally.lock() {
                t.record(route, t0.elapsed().as_secs_f64(), r);
            }
        }
    };
    while Instant::now() < until {
        let q = dice.pick(&queries).cloned().unwrap_or_default();
        let collection = ["", "etds", "tobacco"][usize::try_from(dice.next() % 3).unwrap_or(0)];
        let base: Vec<(String, String)> = vec![
            ("q".into(), q),
            ("collection".into(), collection.into()),
            ("mode".into(), mode.clone()),
        ];
        let t0 = Instant::now();
        let mut r = results(&t, &base, &mut cookie).await;
        timed(Route::Search, t0, &r);
        if r.as_ref().is_ok_and(|o| o.more) && dice.unit() < 0.3 {
            tokio::time::sleep(pause(&mut dice)).await;
            let mut p = base.clone();
            p.push(("page".into(), "2".into()));
            let t0 = Instant::now();
            r = results(&t, &p, &mut cookie).await;
            timed(Route::Page, t0, &r);
        }
        if dice.unit() < 0.4 {
            if let Some(f) = r.as_ref().ok().and_then(|o| dice.pick(&o.facets).cloned()) {
                tokio::time::sleep(pause(&mut dice)).await;
                let mut p = base.clone();
                p.push(("filter".into(), f));
                let t0 = Instant::now();
                r = results(&t, &p, &mut cookie).await;
                timed(Route::Facet, t0, &r);
            }
        }
        if dice.unit() < 0.6 {
            if let Some(link) = r
                .as_ref()
                .ok()
                .and_then(|o| dice.pick(&o.documents).cloned())
            {
                tokio::time::sleep(pause(&mut dice)).await;
                let t0 = Instant::now();
                let ok = open(&t, &link, cookie.as_deref()).await;
                if ok.is_ok() {
                    if let Ok(mut t) = tally.lock() {
                        t.clicks += 1;
                    }
                }
                timed(Route::Document, t0, &ok.map(|()| Offered::default()));
            }
        }
        tokio::time::sleep(pause(&mut dice)).await;
    }
}

/// Users for `seconds` after a ramp-up; requests per second and the tally.
async fn run_users(
    t: &Target,
    mode: &str,
    users: usize,
    args: &Args,
    queries: &Arc<Vec<String>>,
) -> (f64, Tally) {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let ramp = Duration::from_secs(args.seconds / 10 + 2);
    let start = Instant::now() + ramp;
    let until = start + Duration::from_secs(args.seconds);
    let mut set = tokio::task::JoinSet::new();
    for u in 0..users {
        set.spawn(user(
            t.clone(),
            mode.to_owned(),
            u as u64 + 1,
            queries.clone(),
            args.think,
            tally.clone(),
            (start, until),
        ));
    }
    while set.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let tally = Arc::try_unwrap(tally)
        .map(|m| m.into_inner().unwrap_or_default())
        .unwrap_or_default();
    let requests: usize = tally.latencies.values().map(Vec::len).sum();
    #[allow(clippy::cast_precision_loss)]
    (requests as f64 / elapsed, tally)
}

fn report(label: &str, users: usize, rps: f64, tally: &mut Tally) {
    let errors: u64 = tally.errors.values().sum();
    println!("{label}, {users} users: {rps:.0} requests/s, {errors} errors");
    let mut routes: Vec<Route> = tally
        .latencies
        .keys()
        .chain(tally.errors.keys())
        .copied()
        .collect();
    routes.sort();
    routes.dedup();
    for r in routes {
        let v = tally.latencies.entry(r).or_default();
        println!(
            "  {:<10} {:>6} ok, {:>4} errors, p50 {:>6.1} ms, p99 {:>7.1} ms",
            r.name(),
            v.len(),
            tally.errors.get(&r).copied().unwrap_or(0),
            quantile(v, 0.5) * 1e3,
            quantile(v, 0.99) * 1e3
        );
    }
    if let Some(e) = &tally.first_error {
        println!("  first error: {e}");
    }
}

/// The search API's `engine_request_seconds` sum and count per operation (empty for
/// the direct target or when `/metrics` does not answer).
async fn engine_times(t: &Target) -> std::collections::BTreeMap<String, (f64, f64)> {
    let mut out = std::collections::BTreeMap::new();
    let Target::Api { http, base } = t else {
        return out;
    };
    let Ok(r) = http.get(format!("{base}/metrics")).send().await else {
        return out;
    };
    let text = r.text().await.unwrap_or_default();
    for line in text.lines() {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Some((metric, labels)) = name.split_once("{operation=\"") else {
            continue;
        };
        let op = labels.trim_end_matches("\"}").to_owned();
        let Ok(v) = value.parse::<f64>() else {
            continue;
        };
        let e = out.entry(op).or_insert((0.0, 0.0));
        if metric.ends_with("engine_request_seconds_sum") {
            e.0 = v;
        } else if metric.ends_with("engine_request_seconds_count") {
            e.1 = v;
        }
    }
    out
}

/// Topics the generated embeddings gather around.
const TOPICS: usize = 50;

/// The documents with an `embedding` each: a unit vector near one of [`TOPICS`] random
/// centres (noise 0.7 per dimension against 1 for a centre's), deterministic. Real
/// embeddings gather by topic (the clusterer's clusters); uniformly random vectors
/// would be HNSW's worst case: measured beside this, a k = 100 search of 10,000 took
/// 19.7 ms on random vectors and 5.1 ms on these, 2.6 ms against 6.3 for k = 5.
fn with_embeddings(docs: Vec<index_bench::Doc>) -> Vec<index_bench::Doc> {
    let mut dice = Dice(0x5eed);
    let mut gauss = move || {
        // Box-Muller
        let (u, v) = (dice.unit().max(1e-12), dice.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let dims = searchindex::vectors::DIMENSIONS;
    let centres: Vec<Vec<f64>> = (0..TOPICS)
        .map(|_| (0..dims).map(|_| gauss()).collect())
        .collect();
    docs.into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            let centre = &centres[(i * 7919) % TOPICS];
            let mut v: Vec<f64> = centre.iter().map(|c| c + 0.7 * gauss()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-9);
            v.iter_mut().for_each(|x| *x /= norm);
            if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&d.json) {
                json[searchindex::vectors::FIELD] = serde_json::json!(v);
                d.json = json.to_string().into_bytes();
            }
            d
        })
        .collect()
}

/// Clicks (opened documents) on the logs topic.
fn clicks_on(brokers: &str, topic: &str) -> Result<u64> {
    let c: BaseConsumer = kafka::config(brokers)
        .set("group.id", kafka::unique("bench-logs-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()?;
    c.subscribe(&[topic])?;
    let (_, high) = c.fetch_watermarks(topic, 0, Duration::from_secs(5))?;
    let (mut seen, mut clicks) = (0i64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen < high && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(500)) {
            seen = m.offset() + 1;
            if let Some(Ok(e)) = m.payload().map(contracts::decode::<LogEvent>) {
                if e.is_click() {
                    clicks += 1;
                }
            }
        }
    }
    Ok(clicks)
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let engine = EngineSettings::from_env()?;
    let es = engine.client()?;
    let mut layout = Layout::new(&engine);
    layout.prefix = kafka::unique("bench-search");
    layout.ensure(&es).await?;
    let docs = with_embeddings(index_bench::mix(args.etds, args.tobacco_per_etd, 20));
    index_bench::direct(&es, &layout, &docs, 500, DirectOp::Index).await?;
    let (queries, from_logs) = queries(&args.fek);
    let queries = Arc::new(queries);
    println!(
        "{} documents indexed ({} theses), {} queries ({} from the FEK logs), think time {:.1} s",
        docs.len(),
        args.etds,
        queries.len(),
        from_logs,
        args.think
    );

    let logs = kafka::unique("bench-logs");
    kafka::create_topics(brokers, &[&logs], 1).await?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let mut server = Server(
        Command::new(std::env::current_exe()?)
            .env(SERVE, "1")
            .env("DOCSTREAM_KAFKA_BROKERS", brokers)
            .env("DOCSTREAM_ES_INDEX_PREFIX", &layout.prefix)
            .env("DOCSTREAM_SEARCH_LOGS_TOPIC", &logs)
            .env("DOCSTREAM_SEARCH_LOG_BUFFER", "100000")
            .env("DOCSTREAM_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("DOCSTREAM_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start the search API")?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(4096)
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the search API did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let api = Target::Api { http, base };
    let direct = Target::Direct {
        es: es.clone(),
        layout: layout.clone(),
        turns: Arc::new(tokio::sync::Semaphore::new(16)),
    };

    let (mut ratio, mut api_errors, mut clicks) = (f64::NAN, 0, 0);
    for &users in &args.users {
        let (d_rps, mut d) = run_users(&direct, "lexical", users, args, &queries).await;
        report("direct to the engine", users, d_rps, &mut d);
        let (a_rps, mut a) = run_users(&api, "lexical", users, args, &queries).await;
        report("through the search API", users, a_rps, &mut a);
        ratio = a_rps / d_rps;
        api_errors = a.errors.values().sum::<u64>() + d.errors.values().sum::<u64>();
        clicks += a.clicks;
        println!("{users} users: search-api/direct-engine {ratio:.2}");
    }
    let mut before = engine_times(&api).await;
    for mode in &args.modes {
        let (rps, mut t) = run_users(&api, mode, args.mode_users, args, &queries).await;
        report(
            &format!("mode {mode}, through the search API"),
            args.mode_users,
            rps,
            &mut t,
        );
        clicks += t.clicks;
        // where a request's time went, from the search API's own histograms
        let after = engine_times(&api).await;
        let mut parts = Vec::new();
        for (op, (sum, n)) in &after {
            let (s0, n0) = before.get(op).copied().unwrap_or((0.0, 0.0));
            if n - n0 > 0.0 {
                parts.push(format!(
                    "{op} {:.1} ms × {:.0}",
                    1e3 * (sum - s0) / (n - n0),
                    n - n0
                ));
            }
        }
        println!("  mean per call: {}", parts.join(", "));
        before = after;
    }
    server.stop()?;
    let logged = clicks_on(brokers, &logs)?;
    println!("clicks made through the search API: {clicks}, click events on logs: {logged}");
    kafka::delete_topics(brokers, &[&logs]).await;
    index_bench::settle(&es, &layout).await;
    println!("errors at the last level: {api_errors}");
    println!("search-api/direct-engine ratio: {ratio:.2}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_results_page_offers_its_links_and_facets() {
        let html = r#"<a href="/documents/etd:1/2?qid=a&amp;rank=1&amp;q=x">T</a>
            <input type="checkbox" id="f" name="filter" value="year:2001">
            <a href="/?q=x&amp;page=2" rel="next">next</a>"#;
        let o = offered_by_page(html);
        assert_eq!(o.documents, ["/documents/etd:1/2?qid=a&rank=1&q=x"]);
        assert_eq!(o.facets, ["year:2001"]);
        assert!(o.more);
    }
}
