//! etd-ingest: `raw.etds` into `processed.etds`. The DSpace metadata is normalised
//! ([`metadata`]); the PDF is fetched ([`fetch`]), its text extracted out of process
//! under limits ([`worker`]) and cleaned ([`extract`]). A PDF that cannot be read gives
//! the document a `fulltext_status` saying why, never an error; one that cannot be
//! fetched is retried, then dead-lettered. In `source` mode it is the MongoDB source
//! of `raw.etds` ([`source`]).

pub mod extract;
pub mod fetch;
pub mod metadata;
pub mod source;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;

use contracts::{decode, encode, FulltextStatus, ProcessedEtd, RawEtd};
use runtime::{Incoming, Metrics, Outgoing, Output, ProcessError, Processor};
use tokio::sync::Semaphore;

pub use worker::Limits;

/// Why etd-ingest (or its source) would not start; a document's failures are its
/// `fulltext_status`, a retry or a dead letter, never this.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error("{0}")]
    Config(String),
    #[error("locate this binary for the extraction worker: {0}")]
    Exe(#[source] std::io::Error),
    #[error("http client: {0}")]
    Http(#[source] reqwest::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Messages in flight when `DOCSTREAM_MAX_IN_FLIGHT` is not set. Extraction takes
/// seconds per thesis and runs `DOCSTREAM_ETD_WORKERS` at a time, so more than a few
/// per owned partition only queues work that a rebalance drops and the next owner
/// redoes (the runtime's 10,000 is for services that take microseconds).
pub const DEFAULT_IN_FLIGHT: usize = 16;

/// The runtime processor.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub output: String,
    pub limits: Limits,
    /// This binary, re-executed as the extraction worker.
    pub exe: PathBuf,
    pub http: reqwest::Client,
    pub metrics: Metrics,
    /// Where `s3` references are read (`DOCSTREAM_S3_*`).
    pub store: Arc<blobstore::Store>,
    /// Extractions at once (`DOCSTREAM_ETD_WORKERS`, default: the CPUs).
    pub workers: Arc<Semaphore>,
}

impl Ingest {
    /// From `DOCSTREAM_ETD_*` variables.
    pub fn from_vars(vars: &runtime::Vars, output: String, metrics: Metrics) -> Result<Self> {
        let num = |k: &str, d: u64| runtime::parse(vars, k, d);
        let d = Limits::default();
        let limits = Limits {
            timeout: std::time::Duration::from_secs(num(
                "DOCSTREAM_ETD_EXTRACT_TIMEOUT_SECS",
                d.timeout.as_secs(),
            )?),
            memory_bytes: num("DOCSTREAM_ETD_EXTRACT_MEMORY_MB", d.memory_bytes >> 20)? << 20,
            max_pdf_bytes: num("DOCSTREAM_ETD_MAX_PDF_MB", d.max_pdf_bytes >> 20)? << 20,
            ocr: runtime::var(vars, "DOCSTREAM_ETD_OCR").is_none_or(|v| v != "false" && v != "0"),
            ocr_max_pages: runtime::parse(vars, "DOCSTREAM_ETD_OCR_MAX_PAGES", 50)?,
        };
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let workers = runtime::parse(vars, "DOCSTREAM_ETD_WORKERS", cpus)?.max(1);
        Ok(Self {
            output,
            limits,
            exe: std::env::current_exe().map_err(Error::Exe)?,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .map_err(Error::Http)?,
            metrics,
            store: Arc::new(blobstore::Store::new(blobstore::S3Settings::from_vars(
                vars,
            )?)),
            workers: Arc::new(Semaphore::new(workers)),
        })
    }

    /// The processed document for a raw ETD; `Err` only when its PDF could not be
    /// fetched (transient) or the message is invalid.
    pub async fn ingest(&self, raw: &RawEtd) -> Result<ProcessedEtd, ProcessError> {
        let mut doc = metadata::normalize(raw);
        let Some(pdf) = &raw.pdf else {
            self.metrics.count("fulltext", "no_pdf");
            return Ok(doc);
        };
        let extraction =
            match fetch::fetch(&self.http, &self.store, pdf, self.limits.max_pdf_bytes).await {
                Err(fetch::FetchError::Unavailable(e)) => return Err(ProcessError::Transient(e)),
                Err(fetch::FetchError::Invalid(e)) => return Err(ProcessError::Invalid(e)),
                Err(e @ fetch::FetchError::TooLarge(..)) => {
                    extract::Extraction::failed(FulltextStatus::TooLarge, e.to_string())
                }
                Err(fetch::FetchError::Missing(e)) => {
                    extract::Extraction::failed(FulltextStatus::NoPdf, e)
                }
                Err(fetch::FetchError::Mismatch(e)) => {
                    extract::Extraction::failed(FulltextStatus::Corrupt, e)
                }
                Ok(local) => {
                    let _slot = self
                        .workers
                        .acquire()
                        .await
                        .map_err(|e| ProcessError::Transient(e.to_string()))?;
                    worker::extract_isolated(&self.exe, &local.path, &self.limits).await
                }
            };
        let status = serde_json::to_value(extraction.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.metrics.count("fulltext", &status);
        if let Some(e) = &extraction.error {
            tracing::info!(id = %doc.id, status, error = %e, "pdf extraction");
        }
        apply(&mut doc, extraction);
        Ok(doc)
    }
}

/// Puts an extraction into the document.
pub fn apply(doc: &mut ProcessedEtd, e: extract::Extraction) {
    doc.fulltext_status = e.status;
    doc.fulltext_error = e.error;
    doc.page_count = e.page_count;
    if e.pages.is_empty() {
        return;
    }
    let full = extract::assemble(&e.pages);
    doc.fulltext = (!full.text.trim().is_empty()).then_some(full.text);
    doc.pages = full.pages;
    doc.sections = full.sections;
    doc.ocr_confidence = full.ocr_confidence;
}

impl Processor for Ingest {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        // a withdrawal: passed on as the processed document's tombstone
        if let Some(id) = msg.withdrawn() {
            let id = id?;
            if id.collection() != "etds" {
                return Err(ProcessError::Invalid(format!(
                    "a withdrawal of {id} on raw.etds"
                )));
            }
            return Ok(vec![Outgoing::tombstone(self.output.clone(), id.to_string())].into());
        }
        let payload = msg.payload.unwrap_or_default();
        let raw: RawEtd = decode(payload).map_err(|e| ProcessError::Invalid(e.to_string()))?;
        let doc = self.ingest(&raw).await?;
        Ok(vec![Outgoing::keyed(
            self.output.clone(),
            doc.id.to_string(),
            encode(&doc),
        )]
        .into())
    }
}
