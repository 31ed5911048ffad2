//! The consumer's context: which partitions this instance owns (with an epoch per
//! assignment), how much work is in flight per partition, lag from librdkafka's
//! statistics, and the rebalance callbacks.
//!
//! On revocation, librdkafka calls `pre_rebalance` on the thread that polls. We give
//! in-flight work for the revoked partitions up to `rebalance_drain` to finish (the
//! partition workers keep running on other threads and store offsets as outputs are
//! acknowledged), then mark the partitions as no longer owned, so nothing more is
//! stored for them, and commit synchronously. Work still in flight after the drain
//! is dropped; the partition's next owner replays it (at-least-once).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;
use rdkafka::TopicPartitionList;

use crate::metrics::Metrics;

pub(crate) type Tp = (String, i32);

/// State shared by the context, the dispatcher and the partition workers.
#[derive(Debug, Default)]
pub(crate) struct Ownership {
    /// Partition -> epoch of its current assignment.
    owned: Mutex<HashMap<Tp, u64>>,
    /// Partition -> messages dispatched and not yet finished.
    in_flight: Mutex<HashMap<Tp, Arc<AtomicI64>>>,
    /// Partition -> the next offset to read, stored after its outputs were acknowledged.
    /// This, never the consumer's position, is what the runtime commits.
    stored: Mutex<HashMap<Tp, i64>>,
    next_epoch: AtomicU64,
}

impl Ownership {
    /// The epoch of the partition's current assignment, if this instance owns it.
    pub(crate) fn epoch(&self, tp: &Tp) -> Option<u64> {
        self.owned.lock().ok()?.get(tp).copied()
    }

    /// True while the partition is owned under this epoch.
    pub(crate) fn owns(&self, tp: &Tp, epoch: u64) -> bool {
        self.epoch(tp) == Some(epoch)
    }

    /// Records `next` as the partition's offset to commit, if the partition is still
    /// owned under `epoch`. Returns whether it was recorded.
    pub(crate) fn store(&self, tp: &Tp, epoch: u64, next: i64) -> bool {
        let owned = self
            .owned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if owned.get(tp) != Some(&epoch) {
            return false;
        }
        let mut stored = self
            .stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = stored.entry(tp.clone()).or_insert(next);
        *slot = (*slot).max(next);
        true
    }

    /// The stored offsets of these partitions (all owned ones when `None`), as a list
    /// to commit.
    pub(crate) fn to_commit(&self, only: Option<&[Tp]>) -> TopicPartitionList {
        let stored = self
            .stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut tpl = TopicPartitionList::new();
        for (tp, next) in stored.iter() {
            if only.is_none_or(|o| o.contains(tp)) {
                let _ = tpl.add_partition_offset(&tp.0, tp.1, rdkafka::Offset::Offset(*next));
            }
        }
        tpl
    }

    pub(crate) fn counter(&self, tp: &Tp) -> Arc<AtomicI64> {
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(tp.clone()).or_default().clone()
    }

    pub(crate) fn assign(&self, tps: &[Tp]) {
        let mut owned = self
            .owned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for tp in tps {
            let epoch = self.next_epoch.fetch_add(1, Ordering::Relaxed) + 1;
            owned.insert(tp.clone(), epoch);
        }
    }

    fn owned_count(&self) -> usize {
        self.owned.lock().map(|o| o.len()).unwrap_or(0)
    }

    pub(crate) fn revoke(&self, tps: &[Tp]) {
        let mut owned = self
            .owned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for tp in tps {
            owned.remove(tp);
        }
    }
}

/// librdkafka's hooks into the runtime.
pub(crate) struct RuntimeContext {
    pub(crate) ownership: Arc<Ownership>,
    pub(crate) metrics: Metrics,
    pub(crate) drain: Duration,
}

fn tps(list: &TopicPartitionList) -> Vec<Tp> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_owned(), e.partition()))
        .collect()
}

impl ClientContext for RuntimeContext {
    fn stats(&self, stats: Statistics) {
        for (topic, t) in &stats.topics {
            for (id, p) in &t.partitions {
                // librdkafka reports -1 for the internal UA partition and for
                // partitions it does not consume (any more): those series go
                if *id >= 0 {
                    self.metrics.set_lag(topic, *id, p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for RuntimeContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.metrics.rebalanced();
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        let revoked = tps(list);
        let deadline = Instant::now() + self.drain;
        let counters: Vec<_> = revoked
            .iter()
            .map(|tp| self.ownership.counter(tp))
            .collect();
        while counters.iter().any(|c| c.load(Ordering::Acquire) > 0) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let left: i64 = counters
            .iter()
            .map(|c| c.load(Ordering::Acquire).max(0))
            .sum();
        // commit what was stored, never the consumer's position: the position can be
        // past messages that were fetched but never processed
        let offsets = self.ownership.to_commit(Some(&revoked));
        self.ownership.revoke(&revoked);
        self.metrics.set_assigned(self.ownership.owned_count());
        tracing::debug!(offsets = ?offsets.to_topic_map(), "commit on revoke");
        if offsets.count() > 0 {
            if let Err(e) = consumer.commit(&offsets, CommitMode::Sync) {
                tracing::warn!(error = %e, "commit on revoke failed; the next owner may redo some work");
            }
        }
        tracing::info!(
            partitions = revoked.len(),
            dropped_in_flight = left,
            "partitions revoked"
        );
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let assigned = tps(list);
            tracing::debug!(assignment = ?list.to_topic_map(), "assign");
            self.ownership.assign(&assigned);
            self.metrics.set_assigned(self.ownership.owned_count());
            tracing::info!(partitions = assigned.len(), "partitions assigned");
        }
    }
}
