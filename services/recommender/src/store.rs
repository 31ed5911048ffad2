//! State per input partition, kept in memory and in a compacted changelog topic, as a
//! Kafka Streams state store is: the keys a transaction changed are written to the
//! changelog's partition of the same number as the input partition, each once with
//! its last value and the input offset that made it, at the end of the same Kafka
//! transaction as the outputs they caused and the input offsets' commit (the
//! recommender runs the runtime's exactly-once loop, which asks for them in
//! `Processor::before_commit`; a compacted changelog keeps only a key's last value
//! anyway, and writing every intermediate one cost `loadtest recommend` most of its
//! time). An instance restores a
//! partition's state from its changelog partition (committed records only) when it
//! first sees the partition, and again whenever the input offsets it is given do not
//! continue from the last it applied: another instance owned the partition meanwhile,
//! or a transaction was aborted and its messages come again, so the memory is ahead of
//! what was committed. Committed state and committed input offsets then agree, and the
//! per-key offset check (a message its key's state already reflects is not applied
//! twice) is only a safety net.
//!
//! Why not at-least-once: there a crash can leave a changelog record written and an
//! output of the same message not; the replayed message is then recognised as applied
//! and its output is never sent (the process test caught a lost recommendation).
//!
//! The changelog's record: key = the state's key, value = `{"offset": o, "state": …}`;
//! an empty value deletes the key (the runtime writes empty, not null, payloads, so
//! compaction keeps these small records rather than removing them).

use std::collections::{HashMap, HashSet};
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
    /// The assignment the state was restored under.
    pub epoch: Option<u64>,
    /// Keys changed since the changelog was last written.
    dirty: HashSet<String>,
}

impl<V> Default for Partition<V> {
    fn default() -> Self {
        Self {
            values: HashMap::new(),
            next: None,
            epoch: None,
            dirty: HashSet::new(),
        }
    }
}

impl<V: Default> Partition<V> {
    /// Whether the partition's state must be restored before applying `offset` under
    /// assignment `epoch`: never restored, assigned again since (another instance may
    /// have applied offsets meanwhile; a rebalance aborts the open transaction), or an
    /// offset already applied given again. Offsets may skip ahead within one
    /// assignment: a transactional topic's markers take offsets of their own.
    pub fn stale(&self, offset: i64, epoch: u64) -> bool {
        self.epoch != Some(epoch) || self.next.is_some_and(|n| offset < n)
    }

    /// The state of `key` to change in place for the message at `offset`, kept as of
    /// that offset and written to the changelog with the transaction
    /// ([`Partition::take_changed`]); `None` when the state already reflects it (a
    /// replay). The caller changes it only once nothing about the message can fail.
    pub fn update(&mut self, key: &str, offset: i64) -> Option<&mut V> {
        self.next = Some(self.next.map_or(offset + 1, |n| n.max(offset + 1)));
        if self.values.get(key).is_some_and(|e| e.offset >= offset) {
            return None;
        }
        if !self.dirty.contains(key) {
            self.dirty.insert(key.to_owned());
        }
        if !self.values.contains_key(key) {
            self.values.insert(
                key.to_owned(),
                Entry {
                    offset,
                    state: V::default(),
                },
            );
        }
        let e = self.values.get_mut(key)?;
        e.offset = offset;
        Some(&mut e.state)
    }

    /// Drops the keys whose state `keep` refuses; their names, for the changelog's
    /// deletions.
    pub fn expire(&mut self, keep: impl Fn(&V) -> bool) -> Vec<String> {
        let gone: Vec<String> = self
            .values
            .iter()
            .filter(|(_, e)| !keep(&e.state))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.values.remove(k);
            // its deletion is written now: a later write of its old value must not follow
            self.dirty.remove(k);
        }
        gone
    }

    /// The keys changed since the last call, with their entries (each once).
    pub fn take_changed(&mut self) -> Vec<(String, &Entry<V>)> {
        let mut keys: Vec<String> = self.dirty.drain().collect();
        keys.sort();
        keys.into_iter()
            .filter_map(|k| {
                let e = self.values.get(&k)?;
                Some((k, e))
            })
            .collect()
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
    /// The consumer restores read with, made by the first and kept: a new client
    /// cost ~100 ms before it could ask for a partition's offsets (`loadtest
    /// recommend`: 1.1 s of a 2.9 s run went to restoring 12 empty partitions).
    restorer: Arc<std::sync::Mutex<Option<BaseConsumer>>>,
}

impl<V> std::fmt::Debug for Store<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("changelog", &self.changelog)
            .finish_non_exhaustive()
    }
}

impl<V: Clone + Default + Serialize + DeserializeOwned + Send + 'static> Store<V> {
    pub fn new(kafka: KafkaSettings, changelog: String) -> Self {
        Self {
            kafka,
            changelog,
            partitions: std::sync::Mutex::new(HashMap::new()),
            restorer: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Makes the restore consumer and connects it (asking for the changelog's first
    /// partition's offsets) before the first restore needs it; blocks.
    pub fn warm(&self) -> Result<(), Error> {
        let mut consumer = self
            .restorer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = restore_consumer(&mut consumer, &self.kafka, &self.changelog)?;
        c.fetch_watermarks(&self.changelog, 0, Duration::from_secs(10))
            .map_err(|source| Error::Kafka {
                topic: self.changelog.clone(),
                partition: 0,
                source,
            })?;
        Ok(())
    }

    /// The partition's state, restored from the changelog first when it is stale for
    /// `offset`. Messages of one partition come one at a time, so the lock is not
    /// contended.
    pub async fn partition(
        &self,
        partition: i32,
        offset: i64,
        epoch: u64,
    ) -> Result<tokio::sync::OwnedMutexGuard<Partition<V>>, Error> {
        let p = {
            let mut all = self
                .partitions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            all.entry(partition).or_default().clone()
        };
        let mut guard = p.lock_owned().await;
        if guard.stale(offset, epoch) {
            let (kafka, topic) = (self.kafka.clone(), self.changelog.clone());
            let restorer = self.restorer.clone();
            let values = tokio::task::spawn_blocking(move || {
                let mut consumer = restorer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let got = restore::<V>(&mut consumer, &kafka, &topic, partition);
                if got.is_err() {
                    // a fresh client for the next try
                    *consumer = None;
                }
                got
            })
            .await
            .map_err(|_| Error::Task(self.changelog.clone()))??;
            tracing::info!(changelog = %self.changelog, partition, keys = values.len(), "restored");
            *guard = Partition {
                values,
                next: None,
                epoch: Some(epoch),
                dirty: HashSet::new(),
            };
        }
        Ok(guard)
    }

    /// The partitions held, each with its lock.
    fn held(&self) -> Vec<(i32, Arc<Mutex<Partition<V>>>)> {
        self.partitions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(p, s)| (*p, s.clone()))
            .collect()
    }

    /// Every partition held (its values as last applied): (partition, keys, and how
    /// many keys `classify` says yes to, per question), for gauges. Called between
    /// messages, so no partition is locked.
    pub async fn census<const N: usize>(
        &self,
        classify: impl Fn(&str, &V) -> [bool; N],
    ) -> Vec<(i32, usize, [usize; N])> {
        let parts = self.held();
        let mut out = Vec::new();
        for (p, state) in parts {
            let guard = state.lock().await;
            let mut counts = [0; N];
            for (k, e) in &guard.values {
                for (c, yes) in counts.iter_mut().zip(classify(k, &e.state)) {
                    *c += usize::from(yes);
                }
            }
            out.push((p, guard.values.len(), counts));
        }
        out.sort_by_key(|(p, ..)| *p);
        out
    }

    /// Every partition's changed keys since the last call: (partition, key, the
    /// changelog record's value). Called between messages, so no partition is locked.
    pub async fn changed(&self) -> Vec<(i32, String, Vec<u8>)> {
        let parts = self.held();
        let mut out = Vec::new();
        for (p, state) in parts {
            let mut guard = state.lock().await;
            for (key, entry) in guard.take_changed() {
                out.push((p, key, serde_json::to_vec(entry).unwrap_or_default()));
            }
        }
        out
    }
}

/// The restore consumer of `topic`, made when there is none.
fn restore_consumer<'a>(
    consumer: &'a mut Option<BaseConsumer>,
    kafka: &KafkaSettings,
    topic: &str,
) -> Result<&'a BaseConsumer, Error> {
    if let Some(c) = consumer {
        return Ok(c);
    }
    let mut c = kafka.client_config();
    c.set("group.id", format!("docstream-recommender-restore-{topic}"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        // the end is where the committed records end: an aborted transaction's records
        // and the transactions' markers take offsets no message is delivered for
        .set("enable.partition.eof", "true");
    kafka.apply_overrides(&mut c);
    let made = c.create().map_err(|source| Error::Kafka {
        topic: topic.to_owned(),
        partition: -1,
        source,
    })?;
    Ok(consumer.insert(made))
}

/// Reads a changelog partition from its start to its end, with `consumer` (made first
/// when there is none).
fn restore<V: DeserializeOwned>(
    consumer: &mut Option<BaseConsumer>,
    kafka: &KafkaSettings,
    topic: &str,
    partition: i32,
) -> Result<HashMap<String, Entry<V>>, Error> {
    let err = |source| Error::Kafka {
        topic: topic.to_owned(),
        partition,
        source,
    };
    let consumer = restore_consumer(consumer, kafka, topic)?;
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
    loop {
        if std::time::Instant::now() > deadline {
            return Err(err(rdkafka::error::KafkaError::Global(
                rdkafka::types::RDKafkaErrorCode::OperationTimedOut,
            )));
        }
        match consumer.poll(Duration::from_millis(500)) {
            // what an earlier assignment fetched
            Some(Ok(m)) if m.partition() != partition || m.topic() != topic => {}
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) if p != partition => {}
            Some(Ok(m)) => {
                let Some(key) = m.key().and_then(|k| std::str::from_utf8(k).ok()) else {
                    continue;
                };
                match m.payload().filter(|p| !p.is_empty()) {
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
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => return Err(err(e)),
            None => {}
        }
    }
    // nothing fetched in the background until the next restore
    consumer.unassign().map_err(err)?;
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_stale_until_restored_and_after_a_gap_and_a_replay_applies_once() {
        let mut p: Partition<u32> = Partition::default();
        assert!(p.stale(5, 1), "never restored");
        p.epoch = Some(1);
        *p.update("k", 5).expect("new") += 1;
        let changed: Vec<(String, u32)> = p
            .take_changed()
            .into_iter()
            .map(|(k, e)| (k, e.state))
            .collect();
        assert_eq!(changed, [("k".to_owned(), 1)], "once, its last value");
        assert!(p.take_changed().is_empty());
        assert!(!p.stale(6, 1));
        assert!(!p.stale(9, 1), "a transaction marker took offsets");
        assert!(p.stale(9, 2), "assigned again");
        assert!(p.stale(3, 1), "offsets again");
        assert_eq!(p.update("k", 5), None, "already applied");
        assert_eq!(p.update("k", 6).copied(), Some(1));
        assert_eq!(
            p.update("other", 2).copied(),
            Some(0),
            "a key never changed"
        );
        *p.update("other", 3).expect("on") = 4;
        *p.update("old", 7).expect("new") = 0;
        *p.update("k", 8).expect("on") += 1;
        assert_eq!(p.expire(|v| *v > 0), ["old"]);
        assert!(p.values.contains_key("k") && !p.values.contains_key("old"));
        let changed: Vec<(String, i64, u32)> = p
            .take_changed()
            .into_iter()
            .map(|(k, e)| (k, e.offset, e.state))
            .collect();
        assert_eq!(
            changed,
            [("k".to_owned(), 8, 2), ("other".to_owned(), 3, 4)],
            "an expired key is deleted, not written again"
        );
    }
}
