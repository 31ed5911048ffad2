//! search-api: the library's search over HTTP. This first part is the JSON API the web
//! pages will be built on: `GET /api/search` (faceted search of one or both
//! collections: hits with snippets, summary and cluster; facet counts; paging; sort),
//! `GET /api/documents/{id}` (one document, without its full text), `/livez`,
//! `/readyz` (the engine answers) and `/metrics`. Every search and every opened
//! document is logged to `logs` ([`logs`]) under a pseudonymous session cookie.
//!
//! Errors: a malformed request is a 400 with what was wrong ([`request`]); the engine
//! unreachable a 503; a request the engine refuses a 502 with its reason; never a
//! stack trace.

pub mod logs;
pub mod request;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rdkafka::producer::FutureProducer;
use runtime::Metrics;
use searchindex::{EngineSettings, Layout};
use serde_json::json;
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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
            },
            logs_topic: var(vars, "DOCSTREAM_SEARCH_LOGS_TOPIC").unwrap_or_else(|| "logs".into()),
            log_buffer: parse(vars, "DOCSTREAM_SEARCH_LOG_BUFFER", 10_000)?,
            http_addr: settings::http_addr(vars)?,
        })
    }
}

struct App {
    es: elasticsearch::Elasticsearch,
    layout: Layout,
    limits: request::Limits,
    logs: logs::LogSink,
    metrics: Metrics,
}

/// The session of a request: its cookie's value, or a new random one (then `true`).
pub fn session(headers: &HeaderMap) -> (String, bool) {
    let found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == SESSION_COOKIE && !v.is_empty() && v.len() <= 64)
        .map(|(_, v)| v.to_owned());
    match found {
        Some(s) => (s, false),
        None => (uuid::Uuid::new_v4().simple().to_string(), true),
    }
}

fn with_session(mut r: Response, session: &str, new: bool) -> Response {
    if new {
        let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    r
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn engine_error(e: &searchindex::Error) -> Response {
    match e {
        searchindex::Error::Unreachable(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the search engine is unreachable",
        ),
        searchindex::Error::Invalid(m) => error(StatusCode::BAD_REQUEST, m),
        other => error(StatusCode::BAD_GATEWAY, &other.to_string()),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn search(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (session, new) = session(&headers);
    let (s, page) = match request::parse(q.as_deref(), app.limits) {
        Ok(r) => r,
        Err(m) => {
            app.metrics.count("requests", "search_400");
            return error(StatusCode::BAD_REQUEST, &m);
        }
    };
    let found = match searchindex::query::search(&app.es, &app.layout, &s).await {
        Ok(f) => f,
        Err(e) => {
            app.metrics.count("requests", "search_error");
            return engine_error(&e);
        }
    };
    let query_id = uuid::Uuid::new_v4().simple().to_string();
    app.logs.send(logs::search_event(
        &session,
        &query_id,
        s.collection.map(searchindex::Collection::name),
        &s.query,
        &s.filters,
        found.total,
        now(),
    ));
    app.metrics.count("requests", "search_200");
    let body = json!({
        "query_id": query_id, "page": page, "size": s.size,
        "total": found.total, "hits": found.hits, "facets": found.facets
    });
    with_session(Json(body).into_response(), &session, new)
}

async fn document(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (session, new) = session(&headers);
    let Ok(doc_id) = id.parse::<contracts::DocId>() else {
        app.metrics.count("requests", "document_400");
        return error(
            StatusCode::BAD_REQUEST,
            &format!("{id:?} is not a document id (etd:<handle> or tobacco:<id>)"),
        );
    };
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(q.as_deref().unwrap_or("")).unwrap_or_default();
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match searchindex::query::document(&app.es, &app.layout, &doc_id).await {
        Ok(Some(doc)) => {
            app.logs.send(logs::click_event(
                &session,
                param("qid").as_deref(),
                &doc_id,
                param("rank").and_then(|r| r.parse().ok()),
                now(),
            ));
            app.metrics.count("requests", "document_200");
            with_session(Json(doc).into_response(), &session, new)
        }
        Ok(None) => {
            app.metrics.count("requests", "document_404");
            error(StatusCode::NOT_FOUND, &format!("no document {doc_id}"))
        }
        Err(e) => {
            app.metrics.count("requests", "document_error");
            engine_error(&e)
        }
    }
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

/// The routes.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/api/search", get(search))
        .route("/api/documents/{id}", get(document))
        .route("/livez", get(|| async { StatusCode::OK }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
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
    let app = Arc::new(App {
        es: s.engine.client()?,
        layout: Layout::new(&s.engine),
        limits: s.limits,
        logs: logs::LogSink::spawn(
            producer,
            s.logs_topic.clone(),
            s.log_buffer,
            metrics.clone(),
        ),
        metrics,
    });
    let listener = tokio::net::TcpListener::bind(s.http_addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "search-api listening");
    let shutdown = runtime::shutdown_on_signals();
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
