//! Batches updates into `_bulk` requests: bounded by count and bytes, sent after a
//! linger time, several requests in flight.
//!
//! Updates are spread over `lanes` by document id; a lane has one request in flight
//! at a time and retries its failed items before it takes new ones, so two updates of
//! one document are always applied in the order they arrived, while the lanes keep
//! several requests in flight. Failures the engine may get over (down, 429, 5xx) are
//! retried with backoff without end: a message is confirmed only once written or
//! rejected for good, so offsets stay behind until then and nothing is lost.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use elasticsearch::{BulkParts, Elasticsearch};
use runtime::{Backoff, Confirmation, Metrics, RetryPolicy};
use tokio::sync::{mpsc, oneshot};

use crate::actions::Action;
use crate::bulk::{self, ItemOutcome, Response};

/// Batch bounds and parallelism.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// Most updates per request (`DOCSTREAM_INDEXER_BATCH_DOCS`).
    pub max_docs: usize,
    /// Most bytes per request (`DOCSTREAM_INDEXER_BATCH_BYTES`).
    pub max_bytes: usize,
    /// How long a request waits to fill (`DOCSTREAM_INDEXER_LINGER_MS`).
    pub linger: Duration,
    /// Requests in flight (`DOCSTREAM_INDEXER_CONCURRENCY`).
    pub lanes: usize,
    /// Backoff between retries; the attempts are unbounded.
    pub retry: RetryPolicy,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            max_docs: 500,
            max_bytes: 8 << 20,
            linger: Duration::from_millis(50),
            lanes: 4,
            retry: RetryPolicy {
                initial: Duration::from_millis(200),
                max: Duration::from_secs(10),
                max_attempts: 0,
            },
        }
    }
}

/// One update waiting for its request.
struct Item {
    action: Action,
    done: oneshot::Sender<Result<(), String>>,
}

impl Item {
    fn bytes(&self) -> usize {
        self.action.fields.len() + self.action.id.len() + 96
    }
}

/// The writer's handle: cheap to clone, one channel per lane.
#[derive(Debug, Clone)]
pub struct Writer {
    lanes: Vec<mpsc::UnboundedSender<Item>>,
}

impl Writer {
    /// Starts the lanes on the current runtime.
    pub fn start(es: &Elasticsearch, settings: BatchSettings, metrics: &Metrics) -> Self {
        let lanes = (0..settings.lanes.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                let lane = Lane {
                    es: es.clone(),
                    settings,
                    metrics: metrics.clone(),
                };
                tokio::spawn(lane.run(rx));
                tx
            })
            .collect();
        Self { lanes }
    }

    /// Queues an update; the confirmation resolves when it is written (`Ok`) or
    /// rejected for good (`Err` with the engine's reason).
    pub fn submit(&self, action: Action) -> Confirmation {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        action.id.hash(&mut h);
        let lane = usize::try_from(h.finish() % self.lanes.len() as u64).unwrap_or(0);
        let (done, rx) = oneshot::channel();
        let sent = self.lanes[lane].send(Item { action, done });
        Confirmation::new(async move {
            if sent.is_err() {
                return Err("the indexer's writer has stopped".into());
            }
            rx.await
                .unwrap_or_else(|_| Err("the indexer's writer has stopped".into()))
        })
    }
}

struct Lane {
    es: Elasticsearch,
    settings: BatchSettings,
    metrics: Metrics,
}

impl Lane {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Item>) {
        let s = self.settings;
        loop {
            let Some(first) = rx.recv().await else { return };
            let mut bytes = first.bytes();
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + s.linger;
            while batch.len() < s.max_docs && bytes < s.max_bytes {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(item)) => {
                        bytes += item.bytes();
                        batch.push(item);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            self.write(batch).await;
        }
    }

    /// Writes a batch until every item is written or rejected.
    async fn write(&self, mut batch: Vec<Item>) {
        let mut backoff = Backoff::new(self.settings.retry);
        loop {
            let outcomes = self.attempt(&batch).await;
            let mut retry = Vec::new();
            // a document with an update to redo has its later updates in this batch
            // redone after it, so the last one still wins
            let mut redo: HashSet<String> = HashSet::new();
            let (mut written, mut rejected, mut first_reason) = (0, 0, None);
            for (mut item, outcome) in batch.into_iter().zip(outcomes) {
                match outcome {
                    ItemOutcome::Exists => {
                        // created first, found there: the partial update, at once
                        item.action.create = false;
                        redo.insert(item.action.id.clone());
                        retry.push(item);
                    }
                    ItemOutcome::Retry(reason) => {
                        first_reason.get_or_insert(reason);
                        redo.insert(item.action.id.clone());
                        retry.push(item);
                    }
                    _ if redo.contains(&item.action.id) => retry.push(item),
                    ItemOutcome::Written => {
                        written += 1;
                        let _ = item.done.send(Ok(()));
                    }
                    ItemOutcome::Rejected(reason) => {
                        rejected += 1;
                        tracing::warn!(id = %item.action.id, error = %reason, "the engine rejected a document");
                        let _ = item.done.send(Err(reason));
                    }
                }
            }
            self.metrics.sink_items("written", written);
            self.metrics.sink_items("rejected", rejected);
            if retry.is_empty() {
                return;
            }
            if first_reason.is_none() {
                // only documents that existed: send their updates now
                batch = retry;
                continue;
            }
            self.metrics.sink_items("retried", retry.len());
            let delay = backoff.next_delay().unwrap_or(self.settings.retry.max);
            // an outage retries for as long as it lasts: say so on the first attempt
            // and every tenth, not on each
            let attempt = backoff.attempts();
            if attempt == 1 || attempt.is_multiple_of(10) {
                tracing::warn!(
                    items = retry.len(),
                    attempt,
                    ?delay,
                    error = first_reason.as_deref().unwrap_or(""),
                    "bulk items failed; retrying"
                );
            } else {
                tracing::debug!(
                    items = retry.len(),
                    attempt,
                    ?delay,
                    "bulk items failed; retrying"
                );
            }
            tokio::time::sleep(delay).await;
            batch = retry;
        }
    }

    /// One pass over a batch: an outcome per item. A request refused as too large is
    /// split in halves.
    async fn attempt(&self, items: &[Item]) -> Vec<ItemOutcome> {
        let mut out = vec![ItemOutcome::Retry(String::new()); items.len()];
        let mut ranges = Vec::new();
        ranges.push(0..items.len());
        while let Some(r) = ranges.pop() {
            let started = Instant::now();
            let response = self.send(&items[r.clone()]).await;
            let outcome = if matches!(response, Response::Items(_)) {
                "ok"
            } else {
                "retried"
            };
            self.metrics
                .sink_request(outcome, r.len(), started.elapsed().as_secs_f64());
            match response {
                Response::Items(v) => {
                    for (slot, o) in out[r].iter_mut().zip(v) {
                        *slot = o;
                    }
                }
                Response::RetryAll(reason) => {
                    out[r].fill(ItemOutcome::Retry(reason));
                }
                Response::RejectAll(reason) => {
                    out[r].fill(ItemOutcome::Rejected(reason));
                }
                Response::TooLarge if r.len() == 1 => {
                    out[r].fill(ItemOutcome::Rejected(
                        "the engine refused the document as too large (413)".into(),
                    ));
                }
                Response::TooLarge => {
                    let mid = r.start + r.len() / 2;
                    ranges.push(mid..r.end);
                    ranges.push(r.start..mid);
                }
            }
        }
        out
    }

    async fn send(&self, items: &[Item]) -> Response {
        let body: Vec<bytes::Bytes> = items.iter().flat_map(|i| bulk::lines(&i.action)).collect();
        let sent = self
            .es
            .bulk(BulkParts::None)
            // the result tells a delete of what is not there (not_found) from a failure
            .filter_path(&[
                "errors",
                "items.*.status",
                "items.*.error",
                "items.*.result",
            ])
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) => {
                let status = r.status_code().as_u16();
                match r.bytes().await {
                    Ok(b) => bulk::read(status, &b, items.len()),
                    Err(e) => Response::RetryAll(format!("reading the bulk response: {e}")),
                }
            }
            Err(e) => Response::RetryAll(format!("search engine unreachable: {e}")),
        }
    }
}
