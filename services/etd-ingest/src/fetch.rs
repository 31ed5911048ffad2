//! Getting an ETD's PDF onto local disk: an `s3` object is streamed from the object
//! store, a `file://` path is read in place, an `http(s)://` URL is downloaded, an
//! inline PDF is written out. A PDF that cannot be fetched is a transient failure
//! (retried by the runtime, then dead-lettered as `exhausted`); an S3 object that does
//! not exist is [`FetchError::Missing`] (the document says `no_pdf` and why); one over
//! the size limit is not fetched, or stops being fetched when it passes the limit.
//! When the reference carries a SHA-256, what arrived must have it
//! ([`FetchError::Mismatch`] otherwise: the document says `corrupt`).

use std::path::{Path, PathBuf};

use contracts::PdfRef;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

/// Why a PDF could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Worth retrying: missing file, network, server error.
    #[error("{0}")]
    Unavailable(String),
    #[error("pdf of {0} bytes is over the limit of {1} (DOCSTREAM_ETD_MAX_PDF_MB)")]
    TooLarge(u64, u64),
    /// The reference points at nothing, for good (an S3 object that does not exist).
    #[error("{0}")]
    Missing(String),
    /// What arrived is not what the reference's SHA-256 says.
    #[error("{0}")]
    Mismatch(String),
    /// Never going to work (a bad inline PDF).
    #[error("{0}")]
    Invalid(String),
}

/// A PDF on local disk; a downloaded or inline one is deleted when dropped.
#[derive(Debug)]
pub struct LocalPdf {
    pub path: PathBuf,
    /// Hex SHA-256 of the file when it was computed on the way (an S3 download).
    pub sha256: Option<String>,
    temporary: bool,
}

impl LocalPdf {
    /// The file when it is what the reference's SHA-256 says (or it says none).
    async fn checked(self, pdf: &PdfRef) -> Result<Self, FetchError> {
        let Some(want) = pdf.sha256() else {
            return Ok(self);
        };
        let got = match &self.sha256 {
            Some(h) => h.clone(),
            None => {
                blobstore::hash_file(&self.path)
                    .await
                    .map_err(|e| FetchError::Unavailable(e.to_string()))?
                    .1
            }
        };
        if got.eq_ignore_ascii_case(want) {
            Ok(self)
        } else {
            Err(FetchError::Mismatch(format!(
                "corrupt: the file's sha256 {got} is not its reference's {want}"
            )))
        }
    }
}

impl Drop for LocalPdf {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn temp_path() -> PathBuf {
    std::env::temp_dir().join(format!(
        "docstream-etd-{}.pdf",
        uuid::Uuid::new_v4().simple()
    ))
}

/// Fetches `pdf` within `max_bytes` and checks its SHA-256 when the reference has one.
pub async fn fetch(
    http: &reqwest::Client,
    store: &blobstore::Store,
    pdf: &PdfRef,
    max_bytes: u64,
) -> Result<LocalPdf, FetchError> {
    fetch_unchecked(http, store, pdf, max_bytes)
        .await?
        .checked(pdf)
        .await
}

async fn fetch_unchecked(
    http: &reqwest::Client,
    store: &blobstore::Store,
    pdf: &PdfRef,
    max_bytes: u64,
) -> Result<LocalPdf, FetchError> {
    match pdf {
        PdfRef::S3 { bucket, key, .. } => {
            let path = temp_path();
            match store.download(bucket, key, max_bytes, &path).await {
                Ok(got) => Ok(LocalPdf {
                    path,
                    sha256: Some(got.sha256),
                    temporary: true,
                }),
                Err(blobstore::Error::TooLarge { size, limit }) => {
                    Err(FetchError::TooLarge(size, limit))
                }
                Err(e @ blobstore::Error::NotFound { .. }) => {
                    Err(FetchError::Missing(e.to_string()))
                }
                Err(e) => Err(FetchError::Unavailable(e.to_string())),
            }
        }
        PdfRef::Inline { .. } => {
            let bytes = pdf
                .inline_bytes()
                .map_err(|e| FetchError::Invalid(e.to_string()))?
                .unwrap_or_default();
            let path = temp_path();
            tokio::fs::write(&path, &bytes)
                .await
                .map_err(|e| FetchError::Unavailable(format!("write {}: {e}", path.display())))?;
            Ok(LocalPdf {
                path,
                sha256: None,
                temporary: true,
            })
        }
        PdfRef::Url { url, .. } => {
            if let Some(p) = url.strip_prefix("file://") {
                let path = Path::new(p).to_path_buf();
                let meta = tokio::fs::metadata(&path)
                    .await
                    .map_err(|e| FetchError::Unavailable(format!("pdf {url}: {e}")))?;
                if meta.len() > max_bytes {
                    return Err(FetchError::TooLarge(meta.len(), max_bytes));
                }
                return Ok(LocalPdf {
                    path,
                    sha256: None,
                    temporary: false,
                });
            }
            download(http, url, max_bytes).await
        }
    }
}

async fn download(
    http: &reqwest::Client,
    url: &str,
    max_bytes: u64,
) -> Result<LocalPdf, FetchError> {
    let r = http
        .get(url)
        .send()
        .await
        .map_err(|e| FetchError::Unavailable(format!("get {url}: {e}")))?;
    if !r.status().is_success() {
        return Err(FetchError::Unavailable(format!(
            "get {url}: status {}",
            r.status()
        )));
    }
    if let Some(n) = r.content_length().filter(|n| *n > max_bytes) {
        return Err(FetchError::TooLarge(n, max_bytes));
    }
    let local = LocalPdf {
        path: temp_path(),
        sha256: None,
        temporary: true,
    };
    let mut file = tokio::fs::File::create(&local.path)
        .await
        .map_err(|e| FetchError::Unavailable(format!("write {}: {e}", local.path.display())))?;
    let mut body = r.bytes_stream();
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| FetchError::Unavailable(format!("get {url}: {e}")))?;
        n += chunk.len() as u64;
        if n > max_bytes {
            return Err(FetchError::TooLarge(n, max_bytes));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| FetchError::Unavailable(format!("write {}: {e}", local.path.display())))?;
    }
    file.flush()
        .await
        .map_err(|e| FetchError::Unavailable(e.to_string()))?;
    Ok(local)
}
