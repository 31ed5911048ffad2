//! search-api: the library's search over HTTP, for people and for programs. The web
//! pages ([`pages`]: `/` the search page, `/documents/{id}` the document page,
//! `/analytics`) are rendered on the server and work without JavaScript; the JSON API
//! they stand on: `GET /api/search` (faceted search of one or both collections: hits
//! with snippets, summary and cluster; facet counts; paging; sort; year range),
//! `GET /api/documents/{id}` (one document without its full text, with its related
//! documents and those similar by meaning), `GET /api/suggest` (completions as a query is typed); `/livez`,
//! `/readyz` (the engine answers) and `/metrics` (requests by route and status,
//! latency, engine time, log events). Every search and every opened document is logged
//! to `logs` ([`logs`]) under a pseudonymous session cookie; the documents a reader
//! opened lately stay in the reader's browser ([`recent`]) and rank a document's
//! related documents with the visit in view.
//!
//! Ranking is hybrid by default (BM25 plus the similarity of the query's MiniLM
//! embedding to the documents', in one engine query: what ranked best on the held-out
//! queries of `docstream eval ranking`); `mode=lexical|semantic|hybrid` chooses. The
//! query is embedded here, on the search API's CPU, with the model
//! folder the clusterer uses; the documents' embeddings are the clusterer's, written
//! to the index by the indexer.
//!
//! Errors: a malformed request is a 400 with what was wrong ([`request`]); the engine
//! unreachable a 503 (a page that says so on the web routes); a request the engine
//! refuses a message with its reason; never a stack trace.

pub mod analytics;
pub mod html;
pub mod logs;
pub mod pages;
pub mod recent;
pub mod request;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rdkafka::producer::FutureProducer;
use runtime::Metrics;
use searchindex::lookup::{Named, TextAndPages};
use searchindex::query::{Found, Mode, Search};
use searchindex::{Collection, EngineSettings, Layout};
use serde_json::{json, Value};
use settings::{parse, var, KafkaSettings, Vars};

/// Why the search API would not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error(transparent)]
    Engine(#[from] searchindex::Error),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("http: {0}")]
    Http(#[from] std::io::Error),
    #[error("{0} (DOCSTREAM_SEARCH_MODE=lexical runs without the model)")]
    Model(#[from] embed::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Related documents a document's page shows.
const RELATED_SHOWN: usize = 10;

/// How the visit's documents rank a page's related documents (the defaults
/// `docstream eval recommend` measures).
const SESSION: recommend::session::Options = recommend::session::Options::DEFAULT;

/// The name of the session cookie: a random value, nothing about the person.
pub const SESSION_COOKIE: &str = "docstream_session";

/// What the search API is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub engine: EngineSettings,
    pub kafka: KafkaSettings,
    pub limits: request::Limits,
    /// `DOCSTREAM_SEARCH_LOGS_TOPIC` (`logs`).
    pub logs_topic: String,
    /// `DOCSTREAM_SEARCH_LOG_BUFFER` (10000): events waiting for Kafka at most.
    pub log_buffer: usize,
    pub http_addr: std::net::SocketAddr,
    /// `DOCSTREAM_SEARCH_ENGINE_CONCURRENCY` (16): requests to the engine in flight at
    /// most; the rest wait in the search API rather than in the engine's queue, which
    /// rejects (429) when full.
    pub engine_concurrency: usize,
    /// `DOCSTREAM_SEARCH_ENGINE_WAIT_MS` (20000): how long a request waits for its turn
    /// before it is answered 503 busy, with `Retry-After`.
    pub engine_wait: std::time::Duration,
    /// `DOCSTREAM_SEARCH_PDF_ROOT`: the folder `file://` PDF references may be served
    /// from (the shared volume etd-ingest reads); unset, only `http(s)://` PDFs are
    /// linked (by redirect).
    pub pdf_root: Option<std::path::PathBuf>,
    /// `DOCSTREAM_S3_*`: `s3://` PDF references are streamed from the object store,
    /// from `DOCSTREAM_S3_BUCKET` only; unset, they are not linked.
    pub s3: blobstore::S3Settings,
    /// The embedding model's folder (`DOCSTREAM_MODEL_DIR`, as the clusterer's):
    /// needed unless the default mode is lexical, then used when it is there.
    pub model_dir: std::path::PathBuf,
    /// `DOCSTREAM_SEARCH_EMBED_CONCURRENCY` (2): queries embedded at once, each on a
    /// blocking thread (a short query takes a few milliseconds of one core).
    pub embed_concurrency: usize,
}

impl Settings {
    /// The engine's and Kafka's settings, `DOCSTREAM_HTTP_ADDR`, and
    /// `DOCSTREAM_SEARCH_{LOGS_TOPIC,LOG_BUFFER,MAX_QUERY_CHARS,MAX_SIZE,MAX_RESULTS}`.
    pub fn from_vars(vars: &Vars) -> Result<Self> {
        let d = request::Limits::default();
        Ok(Self {
            engine: EngineSettings::from_vars(vars)?,
            kafka: KafkaSettings::from_vars(vars),
            limits: request::Limits {
                max_query_chars: parse(
                    vars,
                    "DOCSTREAM_SEARCH_MAX_QUERY_CHARS",
                    d.max_query_chars,
                )?,
                max_size: parse(vars, "DOCSTREAM_SEARCH_MAX_SIZE", d.max_size)?,
                max_results: parse(vars, "DOCSTREAM_SEARCH_MAX_RESULTS", d.max_results)?,
                default_mode: match var(vars, "DOCSTREAM_SEARCH_MODE") {
                    None => d.default_mode,
                    Some(m) => Mode::parse(&m).ok_or_else(|| settings::Error::Invalid {
                        key: "DOCSTREAM_SEARCH_MODE".into(),
                        value: m.clone(),
                        reason: "lexical, semantic or hybrid".into(),
                    })?,
                },
            },
            logs_topic: var(vars, "DOCSTREAM_SEARCH_LOGS_TOPIC").unwrap_or_else(|| "logs".into()),
            log_buffer: parse(vars, "DOCSTREAM_SEARCH_LOG_BUFFER", 10_000)?,
            http_addr: settings::http_addr(vars)?,
            pdf_root: var(vars, "DOCSTREAM_SEARCH_PDF_ROOT").map(std::path::PathBuf::from),
            s3: blobstore::S3Settings::from_vars(vars)?,
            model_dir: embed::model_dir(vars),
            embed_concurrency: parse(vars, "DOCSTREAM_SEARCH_EMBED_CONCURRENCY", 2usize)?.max(1),
            engine_concurrency: parse(vars, "DOCSTREAM_SEARCH_ENGINE_CONCURRENCY", 16usize)?.max(1),
            engine_wait: std::time::Duration::from_millis(parse(
                vars,
                "DOCSTREAM_SEARCH_ENGINE_WAIT_MS",
                20_000u64,
            )?),
        })
    }
}

struct App {
    es: elasticsearch::Elasticsearch,
    layout: Layout,
    limits: request::Limits,
    logs: logs::LogSink,
    metrics: Metrics,
    tally: Arc<Mutex<analytics::Tally>>,
    engine_turns: tokio::sync::Semaphore,
    engine_wait: std::time::Duration,
    pdf_root: Option<std::path::PathBuf>,
    store: Option<blobstore::Store>,
    embedding: Option<Embedding>,
}

impl App {
    /// Where the PDF of a document is served from, or why it is not.
    fn pdf_source(&self, doc: &serde_json::Value) -> Result<PdfSource, &'static str> {
        pdf_source(
            doc["pdf_url"].as_str(),
            self.pdf_root.as_deref(),
            self.store
                .as_ref()
                .and_then(|s| s.settings().bucket.as_deref()),
        )
    }
}

/// Queries embedded for semantic and hybrid ranking, a bounded number at once.
struct Embedding {
    embedder: Arc<embed::Embedder>,
    turns: Arc<tokio::sync::Semaphore>,
}

impl Embedding {
    /// The model of `dir`, or `None` when `required` is false and it is not there.
    fn load(dir: &std::path::Path, concurrency: usize, required: bool) -> Result<Option<Self>> {
        match embed::Embedder::load(dir, embed::Options::default()) {
            Ok(embedder) => Ok(Some(Self {
                embedder: Arc::new(embedder),
                turns: Arc::new(tokio::sync::Semaphore::new(concurrency)),
            })),
            Err(e) if required => Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "no embedding model: searches rank lexically");
                Ok(None)
            }
        }
    }

    /// The embedding of `text`.
    async fn embed(&self, text: &str) -> Result<Vec<f32>, String> {
        let _turn = self.turns.acquire().await.map_err(|e| e.to_string())?;
        let (embedder, text) = (self.embedder.clone(), text.to_owned());
        tokio::task::spawn_blocking(move || embedder.embed(&[text.as_str()]))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
            .pop()
            .ok_or_else(|| "the model gave no embedding".to_owned())
    }
}

/// Where a document's PDF is served from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfSource {
    /// An `http(s)://` reference: the browser is sent there.
    Redirect(String),
    /// A `file://` reference under the PDF root.
    File(std::path::PathBuf),
    /// An `s3://` object in the search API's bucket, streamed through it (the browser
    /// never sees the store or its credentials).
    Object { bucket: String, key: String },
}

/// The PDF of a document's `pdf_url`, or why it is not served: a `file://` path must
/// lie under `root` (no `..`; symlinks are checked again when it is opened), an
/// `s3://` object must be in `bucket`.
pub fn pdf_source(
    url: Option<&str>,
    root: Option<&std::path::Path>,
    bucket: Option<&str>,
) -> Result<PdfSource, &'static str> {
    let url = url.ok_or("this document has no PDF the library can link")?;
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(PdfSource::Redirect(url.to_owned()));
    }
    if url.starts_with("s3://") {
        let ours =
            bucket.ok_or("this document's PDF is in object storage the search API is not given")?;
        return match contracts::PdfRef::parse(url) {
            Ok(contracts::PdfRef::S3 { bucket, key, .. }) if bucket == ours => {
                Ok(PdfSource::Object { bucket, key })
            }
            _ => Err("this document's PDF is outside the bucket the search API serves"),
        };
    }
    let path = std::path::Path::new(
        url.strip_prefix("file://")
            .ok_or("this document's PDF is not at a URL the library serves")?,
    );
    let root =
        root.ok_or("this document's PDF is on a shared volume the search API is not given")?;
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
        || !path.starts_with(root)
    {
        return Err("this document's PDF is outside the folder the search API serves");
    }
    Ok(PdfSource::File(path.to_owned()))
}

/// The session of a request: its cookie's value, or a new random one (then `true`).
pub fn session(headers: &HeaderMap) -> (String, bool) {
    let found = recent::cookies(headers, SESSION_COOKIE)
        .find(|v| !v.is_empty() && v.len() <= 64)
        .map(str::to_owned);
    match found {
        Some(s) => (s, false),
        None => (uuid::Uuid::new_v4().simple().to_string(), true),
    }
}

fn with_session(mut r: Response, session: &str, new: bool) -> Response {
    if new {
        let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The reader's recent documents with `opened` first, in their cookie ([`recent`]).
fn with_recent(
    mut r: Response,
    earlier: &[contracts::DocId],
    opened: &contracts::DocId,
) -> Response {
    let now = recent::opened(earlier, opened, SESSION.recent);
    if let Some(v) = recent::set_cookie(&now) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A 503 says when to come back.
fn retry_after(mut r: Response) -> Response {
    if r.status() == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    r
}

fn error(status: StatusCode, message: &str) -> Response {
    retry_after((status, Json(json!({ "error": message }))).into_response())
}

fn error_page(status: StatusCode, message: &str) -> Response {
    retry_after((status, Html(pages::error_page(status.as_u16(), message))).into_response())
}

/// What the engine says when its queue is full, and what the search API says when
/// its own wait for a turn ran out.
const BUSY: &str = "the library's search is busy; try again in a moment";

/// The status and message for an engine failure: unreachable 503, a request it found
/// invalid 400, anything else it refused 502 with its reason.
fn engine_failure(e: &searchindex::Error) -> (StatusCode, String) {
    match e {
        searchindex::Error::Unreachable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the search engine is unreachable; try again in a moment".into(),
        ),
        searchindex::Error::Invalid(m) => (StatusCode::BAD_REQUEST, m.clone()),
        searchindex::Error::Refused {
            status: 429 | 503, ..
        } => (StatusCode::SERVICE_UNAVAILABLE, BUSY.into()),
        other => (StatusCode::BAD_GATEWAY, other.to_string()),
    }
}

fn engine_error(e: &searchindex::Error) -> Response {
    let (status, m) = engine_failure(e);
    error(status, &m)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl App {
    /// Times one engine call under its operation's name, when its turn comes (at most
    /// `engine_concurrency` at once; after `engine_wait`, busy).
    async fn timed<T>(
        &self,
        operation: &str,
        call: impl std::future::Future<Output = searchindex::Result<T>>,
    ) -> searchindex::Result<T> {
        let Ok(Ok(_turn)) =
            tokio::time::timeout(self.engine_wait, self.engine_turns.acquire()).await
        else {
            self.metrics.count("engine", "busy");
            return Err(searchindex::Error::Refused {
                what: operation.into(),
                status: 503,
                body: BUSY.into(),
            });
        };
        let t = Instant::now();
        let r = call.await;
        self.metrics
            .engine_request(operation, t.elapsed().as_secs_f64());
        r
    }

    /// The query's embedding when its mode ranks by meaning; an error when the
    /// search API has no model to make one.
    async fn with_vector(&self, s: &mut Search) -> searchindex::Result<()> {
        if s.mode == Mode::Lexical || s.query.trim().is_empty() || s.vector.is_some() {
            return Ok(());
        }
        let Some(embedding) = &self.embedding else {
            return Err(searchindex::Error::Invalid(format!(
                "mode {} needs the embedding model, which this search API was started without",
                s.mode.name()
            )));
        };
        let t = Instant::now();
        let vector = embedding.embed(&s.query).await.map_err(|e| {
            searchindex::Error::Invalid(format!("the query could not be embedded: {e}"))
        })?;
        self.metrics
            .engine_request("embed_query", t.elapsed().as_secs_f64());
        s.vector = Some(vector);
        Ok(())
    }

    /// Runs a search (embedding its query when its mode needs it) and logs it; the
    /// query id the log event carries.
    async fn search(&self, session: &str, s: &mut Search) -> searchindex::Result<(Found, String)> {
        self.with_vector(s).await?;
        let found = self
            .timed(
                "search",
                searchindex::query::search(&self.es, &self.layout, s),
            )
            .await?;
        let query_id = uuid::Uuid::new_v4().simple().to_string();
        self.logs.send(logs::search_event(
            session,
            &query_id,
            s.collection.map(Collection::name),
            &s.query,
            &s.filters,
            found.total,
            now(),
        ));
        Ok((found, query_id))
    }

    /// A document without its full text, logging that it was opened (from the query
    /// id and rank in the request, when it came from a search); with `text`, its full
    /// text and page spans beside it, from the same request.
    async fn open(
        &self,
        session: &str,
        id: &contracts::DocId,
        params: &[(String, String)],
        text: bool,
    ) -> searchindex::Result<Option<(Value, Option<TextAndPages>)>> {
        let (es, layout) = (&self.es, &self.layout);
        let doc = self
            .timed("get", async {
                if text {
                    searchindex::lookup::document_and_text(es, layout, id).await
                } else {
                    let doc = searchindex::query::document(es, layout, id).await?;
                    Ok(doc.map(|d| (d, None)))
                }
            })
            .await?;
        if doc.is_some() {
            let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            self.logs.send(logs::click_event(
                session,
                param("qid").filter(|q| !q.is_empty()),
                id,
                param("rank").and_then(|r| r.parse().ok()),
                now(),
            ));
        }
        Ok(doc)
    }

    /// A document's related documents: those `recommendations` wrote (`related`), with
    /// the visit in view when the reader opened other documents before (`earlier`, most
    /// recent first: their lists count after its own, `recommend::session`), or the
    /// engine's more-like-this when there are none yet; with the reason shown.
    async fn related(
        &self,
        id: &contracts::DocId,
        doc: &Value,
        earlier: &[contracts::DocId],
    ) -> searchindex::Result<(Vec<Named>, &'static str)> {
        let own = searchindex::lookup::related_of(doc);
        let earlier: Vec<String> = earlier
            .iter()
            .filter(|d| *d != id)
            .take(SESSION.recent.saturating_sub(1))
            .map(ToString::to_string)
            .collect();
        let mut lists = vec![own];
        if !earlier.is_empty() {
            let theirs = self
                .timed(
                    "related_lists",
                    searchindex::lookup::related_lists(&self.es, &self.layout, &earlier),
                )
                .await?;
            lists.extend(theirs.into_iter().filter(|l| !l.is_empty()));
        }
        let ids: Vec<String> = if lists.len() > 1 {
            recommend::session::combine(&lists, SESSION.decay, &id.to_string(), RELATED_SHOWN)
        } else {
            lists[0]
                .iter()
                .take(RELATED_SHOWN)
                .map(|(i, _)| i.clone())
                .collect()
        };
        if !ids.is_empty() {
            let named = self
                .timed(
                    "related",
                    searchindex::lookup::titles(&self.es, &self.layout, &ids),
                )
                .await?;
            if !named.is_empty() {
                // content neighbours score 0: a cluster's members, nobody's clicks
                let by_content = doc["related"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|r| r["reason"] == "content")
                    && lists[1..].iter().flatten().all(|(_, score)| *score <= 0.0);
                let reason = match (lists.len() > 1, by_content) {
                    (true, false) => {
                        "what other readers opened, with the documents you opened before"
                    }
                    (true, true) => {
                        "the topic clusters of this and the documents you opened before (no one's clicks relate them yet)"
                    }
                    (false, true) => "the same topic cluster (no one's clicks relate it yet)",
                    (false, false) => "what other readers opened",
                };
                return Ok((named, reason));
            }
        }
        let similar = self
            .timed(
                "more_like_this",
                searchindex::lookup::more_like_this(&self.es, &self.layout, id, 5),
            )
            .await?;
        Ok((similar, "similar text"))
    }

    /// A document's related documents (the visit's `earlier` documents in view) and
    /// those similar by meaning, asked of the engine at once.
    async fn neighbours(
        &self,
        id: &contracts::DocId,
        doc: &Value,
        earlier: &[contracts::DocId],
    ) -> (
        searchindex::Result<(Vec<Named>, &'static str)>,
        searchindex::Result<Vec<Named>>,
    ) {
        tokio::join!(
            self.related(id, doc, earlier),
            self.similar_by_meaning(id, doc)
        )
    }

    /// The documents nearest a document's embedding (none without one).
    async fn similar_by_meaning(
        &self,
        id: &contracts::DocId,
        doc: &Value,
    ) -> searchindex::Result<Vec<Named>> {
        let vector = searchindex::vectors::of(doc);
        if vector.is_empty() {
            return Ok(Vec::new());
        }
        self.timed(
            "nearest",
            searchindex::lookup::nearest(&self.es, &self.layout, id, &vector, 5),
        )
        .await
    }
}

fn pairs_of(q: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(q.unwrap_or("")).unwrap_or_default()
}

async fn api_search(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (session, new) = session(&headers);
    let (mut s, page) = match request::parse(q.as_deref(), app.limits) {
        Ok(r) => r,
        Err(m) => return error(StatusCode::BAD_REQUEST, &m),
    };
    let (mut found, query_id) = match app.search(&session, &mut s).await {
        Ok(f) => f,
        Err(e) => return engine_error(&e),
    };
    for h in &mut found.hits {
        h.snippets = h.snippets.iter().map(|t| html::marked(t)).collect();
    }
    let body = json!({
        "query_id": query_id, "page": page, "size": s.size, "mode": s.mode.name(),
        "total": found.total, "hits": found.hits, "facets": found.facets
    });
    with_session(Json(body).into_response(), &session, new)
}

fn doc_id(id: &str) -> Result<contracts::DocId, String> {
    id.parse::<contracts::DocId>()
        .map_err(|_| format!("{id:?} is not a document id (etd:<handle> or tobacco:<id>)"))
}

async fn api_document(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (session, new) = session(&headers);
    let doc_id = match doc_id(&id) {
        Ok(d) => d,
        Err(m) => return error(StatusCode::BAD_REQUEST, &m),
    };
    match app
        .open(&session, &doc_id, &pairs_of(q.as_deref()), false)
        .await
    {
        Ok(Some((mut doc, _))) => {
            let earlier = recent::read(&headers, SESSION.recent);
            let (related, similar) = app.neighbours(&doc_id, &doc, &earlier).await;
            match related {
                Ok((related, reason)) => {
                    doc["related_documents"] = json!(related);
                    doc["related_reason"] = json!(reason);
                }
                Err(e) => tracing::warn!(error = %e, "related documents failed"),
            }
            match similar {
                Ok(similar) => doc["similar_by_meaning"] = json!(similar),
                Err(e) => tracing::warn!(error = %e, "similar documents failed"),
            }
            // the PDF as the API serves it, never where it is stored
            let pdf = app.pdf_source(&doc).ok().map(|_| format!("/pdf/{doc_id}"));
            // 384 numbers no reader wants
            if let Some(d) = doc.as_object_mut() {
                d.remove(searchindex::vectors::FIELD);
                d.remove("pdf_url");
                if let Some(p) = pdf {
                    d.insert("pdf".into(), json!(p));
                }
            }
            let r = with_recent(Json(doc).into_response(), &earlier, &doc_id);
            with_session(r, &session, new)
        }
        Ok(None) => error(StatusCode::NOT_FOUND, &format!("no document {doc_id}")),
        Err(e) => engine_error(&e),
    }
}

async fn api_suggest(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let pairs = pairs_of(q.as_deref());
    let typed = pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if typed.chars().count() > app.limits.max_query_chars {
        return error(StatusCode::BAD_REQUEST, "q is too long");
    }
    match app
        .timed(
            "suggest",
            searchindex::lookup::suggest(&app.es, &app.layout, typed, 8),
        )
        .await
    {
        Ok(s) => Json(json!({ "suggestions": s })).into_response(),
        Err(e) => engine_error(&e),
    }
}

async fn search_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (session, new) = session(&headers);
    let pairs = pairs_of(q.as_deref());
    let (mut s, page) = match request::parse(q.as_deref(), app.limits) {
        Ok(r) => r,
        Err(m) => {
            let (s, _) = request::parse(None, app.limits).unwrap_or_default();
            let html = pages::search_page(&s, 1, &pairs, Err(&m), "");
            return (StatusCode::BAD_REQUEST, Html(html)).into_response();
        }
    };
    if !pairs.iter().any(|(k, _)| k == "facet") {
        s.facets = pages::facets_for(s.collection)
            .iter()
            .map(|f| (*f).to_owned())
            .collect();
    }
    let r = match app.search(&session, &mut s).await {
        Ok((found, qid)) => {
            Html(pages::search_page(&s, page, &pairs, Ok(&found), &qid)).into_response()
        }
        Err(e @ searchindex::Error::Unreachable(_)) => {
            let (status, m) = engine_failure(&e);
            error_page(status, &m)
        }
        Err(e) => {
            let (status, m) = engine_failure(&e);
            (
                status,
                Html(pages::search_page(&s, page, &pairs, Err(&m), "")),
            )
                .into_response()
        }
    };
    with_session(r, &session, new)
}

async fn document_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (session, new) = session(&headers);
    let doc_id = match doc_id(&id) {
        Ok(d) => d,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m),
    };
    let pairs = pairs_of(q.as_deref());
    let query: String = pairs
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.chars().take(app.limits.max_query_chars).collect())
        .unwrap_or_default();
    // the full text only to find the page the query matched
    let opened = app.open(&session, &doc_id, &pairs, !query.is_empty()).await;
    let (doc, text) = match found(&doc_id, opened) {
        Ok(d) => d,
        Err(page) => return *page,
    };
    let mut around = pages::Around {
        query,
        text,
        ..pages::Around::default()
    };
    let earlier = recent::read(&headers, SESSION.recent);
    let (related, similar) = app.neighbours(&doc_id, &doc, &earlier).await;
    match related {
        Ok((related, reason)) => {
            around.related = related;
            around.related_reason = reason;
        }
        Err(e) => tracing::warn!(error = %e, "related documents failed"),
    }
    match similar {
        Ok(similar) => around.similar = similar,
        Err(e) => tracing::warn!(error = %e, "similar documents failed"),
    }
    around.pdf_url = app.pdf_source(&doc).ok().map(|_| format!("/pdf/{doc_id}"));
    let html = pages::document_page(&doc_id.to_string(), &doc, &around);
    let r = with_recent(Html(html).into_response(), &earlier, &doc_id);
    with_session(r, &session, new)
}

/// A document the engine was asked for, or the page that says why there is none.
fn found<T>(
    id: &contracts::DocId,
    got: searchindex::Result<Option<T>>,
) -> Result<T, Box<Response>> {
    match got {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(Box::new(error_page(
            StatusCode::NOT_FOUND,
            &format!("The library has no document {id}."),
        ))),
        Err(e) => {
            let (status, m) = engine_failure(&e);
            Err(Box::new(error_page(status, &m)))
        }
    }
}

async fn pdf(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let doc_id = match doc_id(&id) {
        Ok(d) => d,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m),
    };
    let got = app
        .timed(
            "get",
            searchindex::query::document(&app.es, &app.layout, &doc_id),
        )
        .await;
    let doc = match found(&doc_id, got) {
        Ok(d) => d,
        Err(page) => return *page,
    };
    match app.pdf_source(&doc) {
        Ok(PdfSource::Redirect(url)) => match HeaderValue::from_str(&url) {
            Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
            Err(_) => error_page(
                StatusCode::NOT_FOUND,
                "this document's PDF link is not a valid URL",
            ),
        },
        Ok(PdfSource::File(path)) => serve_pdf(&path, app.pdf_root.as_deref()).await,
        Ok(PdfSource::Object { bucket, key }) => match &app.store {
            Some(store) => stream_object(store, &bucket, &key).await,
            None => error_page(StatusCode::NOT_FOUND, "this document's PDF is not served"),
        },
        Err(why) => error_page(StatusCode::NOT_FOUND, why),
    }
}

/// Streams an object of the store, its length said up front.
async fn stream_object(store: &blobstore::Store, bucket: &str, key: &str) -> Response {
    match store.open(bucket, key).await {
        Ok(o) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/pdf"),
                ),
                (header::CONTENT_LENGTH, HeaderValue::from(o.size)),
            ],
            axum::body::Body::from_stream(o.body),
        )
            .into_response(),
        Err(blobstore::Error::NotFound { .. }) => error_page(
            StatusCode::NOT_FOUND,
            "this document's PDF is not in the library's storage",
        ),
        Err(e) => {
            tracing::warn!(error = %e, "pdf from object storage");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "the library's storage cannot be reached; try again in a moment",
            )
        }
    }
}

/// Streams a PDF file, after checking its real path is still under the root.
async fn serve_pdf(path: &std::path::Path, root: Option<&std::path::Path>) -> Response {
    let (Ok(real), Some(Ok(root))) = (
        tokio::fs::canonicalize(path).await,
        match root {
            Some(r) => Some(tokio::fs::canonicalize(r).await),
            None => None,
        },
    ) else {
        return error_page(StatusCode::NOT_FOUND, "this document's PDF is not there");
    };
    if !real.starts_with(&root) {
        return error_page(
            StatusCode::NOT_FOUND,
            "this document's PDF is outside the folder the search API serves",
        );
    }
    match tokio::fs::File::open(&real).await {
        Ok(f) => (
            [(header::CONTENT_TYPE, "application/pdf")],
            axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(f)),
        )
            .into_response(),
        Err(_) => error_page(StatusCode::NOT_FOUND, "this document's PDF is not there"),
    }
}

async fn analytics_page(State(app): State<Arc<App>>) -> Response {
    let s = searchindex::query::Search {
        size: 0,
        facets: ["collection", "year", "department", "document_type"]
            .iter()
            .map(|f| (*f).to_owned())
            .collect(),
        facet_size: 15,
        ..searchindex::query::Search::default()
    };
    let found = match app
        .timed(
            "analytics",
            searchindex::query::search(&app.es, &app.layout, &s),
        )
        .await
    {
        Ok(f) => f,
        Err(e) => {
            let (status, m) = engine_failure(&e);
            return error_page(status, &m);
        }
    };
    let view = {
        let Ok(t) = app.tally.lock() else {
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "analytics unavailable");
        };
        pages::AnalyticsView::new(&found, &t)
    };
    Html(pages::analytics_page(&view)).into_response()
}

async fn ready(State(app): State<Arc<App>>) -> StatusCode {
    match app.es.ping().send().await {
        Ok(r) if r.status_code().is_success() => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

async fn metrics(State(app): State<Arc<App>>) -> String {
    app.metrics.encode()
}

/// Counts and times every request by its route pattern and status.
async fn measured(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let t = Instant::now();
    let r = next.run(req).await;
    app.metrics
        .http_request(&route, r.status().as_u16(), t.elapsed().as_secs_f64());
    r
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The routes. A document id holds a `/` (`etd:10919/5`), so document routes take the
/// rest of the path.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(search_page))
        .route("/documents/{*id}", get(document_page))
        .route("/analytics", get(analytics_page))
        .route("/pdf/{*id}", get(pdf))
        .route("/api/search", get(api_search))
        .route("/api/documents/{*id}", get(api_document))
        .route("/api/suggest", get(api_suggest))
        .route(
            "/static/style.css",
            get(|| async { asset("text/css; charset=utf-8", pages::STYLE) }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", pages::SCRIPT) }),
        )
        .route("/livez", get(|| async { StatusCode::OK }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(app.clone(), measured))
        .with_state(app)
}

/// Serves until SIGTERM or SIGINT.
pub async fn serve(vars: &Vars) -> Result<()> {
    let s = Settings::from_vars(vars)?;
    let metrics = Metrics::new("search-api");
    let mut c = s.kafka.client_config();
    c.set("enable.idempotence", "true").set("linger.ms", "20");
    s.kafka.apply_overrides(&mut c);
    let producer: FutureProducer = c.create()?;
    let tally = Arc::new(Mutex::new(analytics::Tally::default()));
    analytics::follow(&s.kafka, &s.logs_topic, tally.clone())?;
    let (logs, writing) = logs::LogSink::spawn(
        producer,
        s.logs_topic.clone(),
        s.log_buffer,
        metrics.clone(),
    );
    let es = s.engine.client()?;
    // credentials refused: stop at start, naming the settings (an engine that does
    // not answer yet is waited for by every request instead)
    match s.engine.check_access(&es).await {
        Err(e @ (searchindex::Error::Credentials { .. } | searchindex::Error::Tls { .. })) => {
            return Err(e.into())
        }
        Err(e) => tracing::warn!(error = %e, "search engine not answering at start"),
        Ok(()) => {}
    }
    let mut layout = Layout::new(&s.engine);
    // an index made before the embedding field cannot be searched by meaning; an
    // engine that does not answer yet is assumed to get the template's field
    match layout.vectors_in_use(&es).await {
        Ok(v) => layout.vectors = v,
        Err(e) => tracing::warn!(error = %e, "could not read the index mapping"),
    }
    let app = Arc::new(App {
        es,
        layout,
        limits: s.limits,
        logs,
        metrics,
        tally,
        engine_turns: tokio::sync::Semaphore::new(s.engine_concurrency),
        engine_wait: s.engine_wait,
        pdf_root: s.pdf_root.clone(),
        store: s
            .s3
            .configured()
            .then(|| blobstore::Store::new(s.s3.clone())),
        embedding: Embedding::load(
            &s.model_dir,
            s.embed_concurrency,
            s.limits.default_mode != Mode::Lexical,
        )?,
    });
    let listener = tokio::net::TcpListener::bind(s.http_addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "search-api listening");
    let shutdown = runtime::shutdown_on_signals();
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    // the router and its sinks are gone: the buffered events are written, then it ends
    let deadline = std::time::Duration::from_secs(settings::facts::SHUTDOWN_DEADLINE_SECS / 2);
    if tokio::time::timeout(deadline, writing).await.is_err() {
        tracing::warn!("log events still buffered at the shutdown deadline were lost");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdfs_are_linked_from_the_web_or_served_from_under_the_root_only() {
        let root = std::path::Path::new("/shared/etds");
        assert_eq!(
            pdf_source(Some("https://x.org/a.pdf"), None, None),
            Ok(PdfSource::Redirect("https://x.org/a.pdf".into()))
        );
        assert_eq!(
            pdf_source(Some("file:///shared/etds/a.pdf"), Some(root), None),
            Ok(PdfSource::File("/shared/etds/a.pdf".into()))
        );
        assert!(pdf_source(
            Some("file:///shared/etds/../../etc/passwd"),
            Some(root),
            None
        )
        .is_err());
        assert!(pdf_source(Some("file:///etc/passwd"), Some(root), None).is_err());
        assert!(pdf_source(Some("file:///shared/etds/a.pdf"), None, None).is_err());
        assert!(pdf_source(None, Some(root), None).is_err());
        assert_eq!(
            pdf_source(Some("s3://etds/pdfs/a.pdf"), None, Some("etds")),
            Ok(PdfSource::Object {
                bucket: "etds".into(),
                key: "pdfs/a.pdf".into()
            })
        );
        assert!(pdf_source(Some("s3://other/a.pdf"), None, Some("etds")).is_err());
        assert!(pdf_source(Some("s3://etds/a.pdf"), None, None).is_err());
        assert!(pdf_source(Some("s3://etds/"), None, Some("etds")).is_err());
    }

    #[test]
    fn a_full_engine_queue_is_busy_not_a_bad_gateway() {
        let full = searchindex::Error::Refused {
            what: "search".into(),
            status: 429,
            body: "rejected_execution_exception".into(),
        };
        assert_eq!(
            engine_failure(&full),
            (StatusCode::SERVICE_UNAVAILABLE, BUSY.into())
        );
        let r = error(StatusCode::SERVICE_UNAVAILABLE, BUSY);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        let other = searchindex::Error::Refused {
            what: "search".into(),
            status: 400,
            body: "parse".into(),
        };
        assert_eq!(engine_failure(&other).0, StatusCode::BAD_GATEWAY);
    }

    #[test]
    fn the_session_comes_from_its_cookie_or_is_made() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; docstream_session=abc123"),
        );
        assert_eq!(session(&h), ("abc123".to_owned(), false));
        let (made, new) = session(&HeaderMap::new());
        assert!(new && made.len() == 32, "{made}");
        let r = with_session(StatusCode::OK.into_response(), &made, true);
        let cookie = r.headers()[header::SET_COOKIE].to_str().expect("ascii");
        assert!(
            cookie.starts_with("docstream_session=") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
    }
}
