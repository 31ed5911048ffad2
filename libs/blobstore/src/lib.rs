//! The claim-check store: theses' PDFs as objects in S3-compatible storage (Ceph's
//! RADOS Gateway in production, a cloud bucket, the local stack's versitygw), through
//! the `object_store` crate.
//!
//! - [`Store::upload_file`]: a file under a content-addressed key (`<prefix><sha256>.pdf`),
//!   so the same file uploaded again is found by a `HEAD` and not sent twice; large
//!   files go up in parts, never read into memory whole.
//! - [`Store::download`]: an object streamed to a file, the size bound enforced before
//!   and while streaming, its SHA-256 computed on the way.
//! - [`Store::open`]: an object as a stream of bytes (the search API serves PDFs so).
//! - [`Store::presign`]: a URL that reads one object for a short time, without the
//!   credentials.
//!
//! Errors say which object and whether trying again may help ([`Error::is_transient`]).

mod settings;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::signer::Signer;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use crate::settings::S3Settings;

/// Files up to this size go up in one request; larger ones in parts of this size.
pub const PART_BYTES: usize = 8 << 20;
/// Parts of one upload in flight at once.
const PARTS_IN_FLIGHT: usize = 4;
/// How much of a file is read at a time.
const READ_BYTES: usize = 1 << 20;

/// What went wrong with an object.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings cannot make a client (never retried).
    #[error("s3 settings: {0}")]
    Config(String),
    /// No such object (or no such bucket).
    #[error("s3://{bucket}/{key} does not exist")]
    NotFound { bucket: String, key: String },
    /// The store could not be reached or failed: worth trying again.
    #[error("s3://{bucket}/{key}: {reason}")]
    Unavailable {
        bucket: String,
        key: String,
        reason: String,
    },
    #[error("object of {size} bytes is over the limit of {limit}")]
    TooLarge { size: u64, limit: u64 },
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the same request may succeed later (the store down, a timeout, a
    /// local disk error), false when it never will.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::File { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An object put in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// True when the object was already there (nothing was sent).
    pub existed: bool,
}

/// An object written to a local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub size: u64,
    /// Hex SHA-256 of what was written.
    pub sha256: String,
}

/// An object as a stream.
pub struct Opened {
    pub size: u64,
    pub body: BoxStream<'static, Result<Bytes>>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// The object store: one client per bucket, made on first use, all with the same
/// endpoint and credentials.
#[derive(Debug)]
pub struct Store {
    settings: S3Settings,
    clients: Mutex<HashMap<String, Arc<AmazonS3>>>,
}

impl Store {
    pub fn new(settings: S3Settings) -> Self {
        Self {
            settings,
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    /// The upload bucket, or why there is none.
    pub fn upload_bucket(&self) -> Result<&str> {
        self.settings.bucket.as_deref().ok_or_else(|| {
            Error::Config("DOCSTREAM_S3_BUCKET is not set: no bucket to upload to".into())
        })
    }

    /// The content-addressed key of content with this SHA-256.
    pub fn key_for(&self, sha256: &str) -> String {
        format!("{}{sha256}.pdf", self.settings.prefix)
    }

    fn client(&self, bucket: &str) -> Result<Arc<AmazonS3>> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = clients.get(bucket) {
            return Ok(c.clone());
        }
        let s = &self.settings;
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&s.region)
            .with_virtual_hosted_style_request(!s.path_style)
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: s.retries,
                retry_timeout: s.timeout,
            })
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(s.timeout)
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_allow_http(
                        s.endpoint
                            .as_deref()
                            .is_some_and(|e| e.starts_with("http://")),
                    ),
            );
        if let Some(e) = &s.endpoint {
            b = b.with_endpoint(e);
        }
        if let (Some(id), Some(secret)) = (&s.access_key_id, &s.secret_access_key) {
            b = b
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
        }
        let c = Arc::new(b.build().map_err(|e| Error::Config(e.to_string()))?);
        clients.insert(bucket.to_owned(), c.clone());
        Ok(c)
    }

    fn failure(bucket: &str, key: &str, e: object_store::Error) -> Error {
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            },
            e => Error::Unavailable {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                reason: one_line(&e),
            },
        }
    }

    /// The size of an object, `None` when there is none.
    pub async fn size(&self, bucket: &str, key: &str) -> Result<Option<u64>> {
        match self.client(bucket)?.head(&key.into()).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(Self::failure(bucket, key, e)),
        }
    }

    /// Puts a file into the upload bucket under its content's key, unless an object
    /// of that key and size is there already.
    pub async fn upload_file(&self, path: &Path) -> Result<Uploaded> {
        let bucket = self.upload_bucket()?.to_owned();
        let (size, sha256) = hash_file(path).await?;
        let key = self.key_for(&sha256);
        let found = Uploaded {
            bucket,
            key,
            size,
            sha256,
            existed: true,
        };
        if self.size(&found.bucket, &found.key).await? == Some(size) {
            return Ok(found);
        }
        self.put_file(&found.bucket, &found.key, path, size).await?;
        Ok(Uploaded {
            existed: false,
            ..found
        })
    }

    /// Puts a file under `key`: one request up to [`PART_BYTES`], parts beyond.
    pub async fn put_file(&self, bucket: &str, key: &str, path: &Path, size: u64) -> Result<()> {
        let client = self.client(bucket)?;
        let location = key.into();
        let file_error = |source| Error::File {
            path: path.to_owned(),
            source,
        };
        if size <= PART_BYTES as u64 {
            let bytes = tokio::fs::read(path).await.map_err(file_error)?;
            client
                .put(&location, PutPayload::from(bytes))
                .await
                .map_err(|e| Self::failure(bucket, key, e))?;
            return Ok(());
        }
        let upload = client
            .put_multipart(&location)
            .await
            .map_err(|e| Self::failure(bucket, key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut file = tokio::fs::File::open(path).await.map_err(file_error)?;
        let mut buf = vec![0u8; READ_BYTES];
        loop {
            let n = match file.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(file_error(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(Self::failure(bucket, key, e));
            }
            writer.write(&buf[..n]);
        }
        writer
            .finish()
            .await
            .map_err(|e| Self::failure(bucket, key, e))?;
        Ok(())
    }

    /// Opens an object for reading.
    pub async fn open(&self, bucket: &str, key: &str) -> Result<Opened> {
        let got = self
            .client(bucket)?
            .get(&key.into())
            .await
            .map_err(|e| Self::failure(bucket, key, e))?;
        let size = got.meta.size;
        let (b, k) = (bucket.to_owned(), key.to_owned());
        let body = got
            .into_stream()
            .map_err(move |e| Self::failure(&b, &k, e))
            .boxed();
        Ok(Opened { size, body })
    }

    /// Streams an object into `dest`, at most `max_bytes` of it: a larger object is
    /// refused from its size before any of the body is read, and a body longer than
    /// its stated size is cut off when it passes the bound. On any error `dest` is
    /// removed.
    pub async fn download(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
        dest: &Path,
    ) -> Result<Downloaded> {
        let opened = self.open(bucket, key).await?;
        if opened.size > max_bytes {
            return Err(Error::TooLarge {
                size: opened.size,
                limit: max_bytes,
            });
        }
        let result = write_bounded(opened.body, max_bytes, dest).await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(dest).await;
        }
        result
    }

    /// A URL that reads the object with `GET` for `expires`, signed with the store's
    /// credentials, which it does not contain.
    pub async fn presign(&self, bucket: &str, key: &str, expires: Duration) -> Result<String> {
        let url = self
            .client(bucket)?
            .signed_url(reqwest::Method::GET, &key.into(), expires)
            .await
            .map_err(|e| Self::failure(bucket, key, e))?;
        Ok(url.to_string())
    }

    /// Removes an object (tests and tools; the pipeline never deletes a PDF).
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.client(bucket)?
            .delete(&key.into())
            .await
            .map_err(|e| Self::failure(bucket, key, e))
    }
}

async fn write_bounded(
    mut body: BoxStream<'static, Result<Bytes>>,
    max_bytes: u64,
    dest: &Path,
) -> Result<Downloaded> {
    let file_error = |source| Error::File {
        path: dest.to_owned(),
        source,
    };
    let mut file = tokio::fs::File::create(dest).await.map_err(file_error)?;
    let mut hash = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(Error::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        hash.update(&chunk);
        file.write_all(&chunk).await.map_err(file_error)?;
    }
    file.flush().await.map_err(file_error)?;
    Ok(Downloaded {
        size,
        sha256: hex::encode(hash.finalize()),
    })
}

/// The size and hex SHA-256 of a file, read in pieces.
pub async fn hash_file(path: &Path) -> Result<(u64, String)> {
    let file_error = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    let mut file = tokio::fs::File::open(path).await.map_err(file_error)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; READ_BYTES];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(file_error)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hash.update(&buf[..n]);
    }
    Ok((size, hex::encode(hash.finalize())))
}

/// An error of the store on one line (object_store's nest their sources).
fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let m = inner.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        source = inner.source();
    }
    s.replace('\n', " ")
}
