//! State per input partition, kept in memory and in a compacted changelog topic, as a
//! Kafka Streams state store is: every change is written to the changelog's partition
//! of the same number as the input partition, with the input offset that made it,
//! before that input offset is committed. An instance restores a partition's state
//! from its changelog partition when it first sees the partition, and again whenever
//! the input offsets it is given do not follow the last it applied (another instance
//! owned the partition meanwhile). A replayed message (a crash before its commit) is
//! recognised per key by the offset its state already reflects and applied once.
//!
//! The changelog's record: key = the state's key, value = `{"offset": o, "state": …}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use settings::KafkaSettings;
use tokio::sync::Mutex;

/// One key's state and the input offset it reflects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry<V> {
    pub offset: i64,
    pub state: V,
}

/// One partition's state.
#[derive(Debug)]
pub struct Partition<V> {
    pub values: HashMap<String, Entry<V>>,
    /// The next input offset expected: one past the last applied.
    pub next: Option<i64>,
}

impl<V> Default for Partition<V> {
    fn default() -> Self {
        Self {
            values: HashMap::new(),
            next: None,
        }
    }
}

impl<V: Clone + Default> Partition<V> {
    /// Whether the partition's state must be restored before applying `offset`: never
    /// seen, or offsets skipped since the last applied (someone else applied them).
    pub fn stale(&self, offset: i64) -> bool {
        self.next.is_none_or(|n| offset > n)
    }

    /// The state of `key` to change for the message at `offset`; `None` when the
    /// state already reflects it (a replay).
    pub fn for_offset(&mut self, key: &str, offset: i64) -> Option<V> {
        self.next = Some(self.next.map_or(offset + 1, |n| n.max(offset + 1)));
        match self.values.get(key) {
            Some(e) if e.offset >= offset => None,
            Some(e) => Some(e.state.clone()),
            None => Some(V::default()),
        }
    }

    /// Keeps `state` for `key` as of `offset`; the changelog record to write.
    pub fn put(&mut self, key: &str, offset: i64, state: V) -> Entry<V> {
        let e = Entry { offset, state };
        self.values.insert(key.to_owned(), e.clone());
        e
    }
}

/// Why a restore failed (retried by the runtime as a transient failure).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("restoring {topic}/{partition}: {source}")]
    Kafka {
        topic: String,
        partition: i32,
        source: rdkafka::error::KafkaError,
    },
    #[error("restoring {0}: the task failed")]
    Task(String),
}

/// The partitions of one changelog topic.
pub struct Store<V> {
    kafka: KafkaSettings,
    pub changelog: String,
    partitions: std::sync::Mutex<HashMap<i32, Arc<Mutex<Partition<V>>>>>,
}

impl<V> std::fmt::Debug for Store<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("changelog", &self.changelog)
            .finish_non_exhaustive()
    }
}

impl<V: Clone + Default + DeserializeOwned + Send + 'static> Store<V> {
    pub fn new(kafka: KafkaSettings, changelog: String) -> Self {
        Self {
            kafka,
            changelog,
            partitions: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The partition's state, restored from the changelog first when it is stale for
    /// `offset`. Messages of one partition come one at a time, so the lock is not
    /// contended.
    pub async fn partition(
        &self,
        partition: i32,
        offset: i64,
    ) -> Result<tokio::sync::OwnedMutexGuard<Partition<V>>, Error> {
        let p = {
            let mut all = self
                .partitions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            all.entry(partition).or_default().clone()
        };
        let mut guard = p.lock_owned().await;
        if guard.stale(offset) {
            let (kafka, topic) = (self.kafka.clone(), self.changelog.clone());
            let values =
                tokio::task::spawn_blocking(move || restore::<V>(&kafka, &topic, partition))
                    .await
                    .map_err(|_| Error::Task(self.changelog.clone()))??;
            tracing::info!(changelog = %self.changelog, partition, keys = values.len(), "restored");
            *guard = Partition { values, next: None };
        }
        Ok(guard)
    }

    /// Keys held in memory over all partitions (the state-size metric).
    pub fn keys(&self) -> usize {
        let all = self
            .partitions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.values()
            .filter_map(|p| p.try_lock().ok().map(|p| p.values.len()))
            .sum()
    }
}

/// Reads a changelog partition from its start to its end.
fn restore<V: DeserializeOwned>(
    kafka: &KafkaSettings,
    topic: &str,
    partition: i32,
) -> Result<HashMap<String, Entry<V>>, Error> {
    let err = |source| Error::Kafka {
        topic: topic.to_owned(),
        partition,
        source,
    };
    let mut c = kafka.client_config();
    c.set("group.id", format!("docstream-recommender-restore-{topic}"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    kafka.apply_overrides(&mut c);
    let consumer: BaseConsumer = c.create().map_err(err)?;
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(10))
        .map_err(err)?;
    let mut values = HashMap::new();
    if high <= low {
        return Ok(values);
    }
    let mut list = TopicPartitionList::new();
    list.add_partition_offset(topic, partition, Offset::Beginning)
        .map_err(err)?;
    consumer.assign(&list).map_err(err)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut at = low;
    while at < high {
        if std::time::Instant::now() > deadline {
            return Err(err(rdkafka::error::KafkaError::Global(
                rdkafka::types::RDKafkaErrorCode::OperationTimedOut,
            )));
        }
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                at = m.offset() + 1;
                let Some(key) = m.key().and_then(|k| std::str::from_utf8(k).ok()) else {
                    continue;
                };
                match m.payload() {
                    None => {
                        values.remove(key);
                    }
                    Some(p) => match serde_json::from_slice::<Entry<V>>(p) {
                        Ok(e) => {
                            values.insert(key.to_owned(), e);
                        }
                        Err(e) => tracing::warn!(%key, error = %e, "changelog record skipped"),
                    },
                }
            }
            Some(Err(e)) => return Err(err(e)),
            None => {}
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_stale_until_restored_and_after_a_gap_and_a_replay_applies_once() {
        let mut p: Partition<u32> = Partition::default();
        assert!(p.stale(5), "never seen");
        let s = p.for_offset("k", 5).expect("new");
        p.put("k", 5, s + 1);
        assert!(!p.stale(6));
        assert!(p.stale(9), "offsets 6 to 8 went elsewhere");
        assert!(!p.stale(3), "an older offset is a replay, not a gap");
        assert_eq!(p.for_offset("k", 5), None, "already applied");
        assert_eq!(p.for_offset("k", 6), Some(1));
        assert_eq!(p.for_offset("other", 2), Some(0), "a key never changed");
    }
}
