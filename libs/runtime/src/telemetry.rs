//! Logs and the HTTP endpoints of a service: JSON logs through `tracing`
//! (`DOCSTREAM_LOG_FORMAT=text` for people, `DOCSTREAM_LOG` as the filter), and one
//! small server with `/metrics` (Prometheus text), `/livez` (the process is up) and
//! `/readyz` (ready only while Kafka and the service's own source or sink answer).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Sets up logging once for the process.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOCSTREAM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rdkafka=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let text = std::env::var("DOCSTREAM_LOG_FORMAT").is_ok_and(|f| f == "text");
    let _ = if text {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    };
}

/// What `/readyz` reports: both must be up.
#[derive(Debug, Clone, Default)]
pub struct Health {
    kafka: Arc<AtomicBool>,
    sink: Arc<AtomicBool>,
}

impl Health {
    pub fn set_kafka(&self, up: bool) {
        self.kafka.store(up, Ordering::Relaxed);
    }

    pub fn set_sink(&self, up: bool) {
        self.sink.store(up, Ordering::Relaxed);
    }

    pub fn ready(&self) -> bool {
        self.kafka.load(Ordering::Relaxed) && self.sink.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    health: Health,
}

/// Binds `addr` (port 0 picks one) and serves until `shutdown`; returns the address.
pub async fn serve_http(
    addr: SocketAddr,
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
) -> crate::error::Result<SocketAddr> {
    let failed = |source| crate::error::Error::Http { addr, source };
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(ready_handler))
        .with_state(AppState { metrics, health });
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned());
        if let Err(e) = server.await {
            tracing::error!(error = %e, "http server failed");
        }
    });
    Ok(bound)
}

async fn metrics_handler(State(s): State<AppState>) -> impl IntoResponse {
    s.metrics.set_ready(s.health.ready());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

async fn ready_handler(State(s): State<AppState>) -> impl IntoResponse {
    if s.health.ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}
