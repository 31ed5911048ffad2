//! Reading a whole topic: from the beginning (or a group's committed offsets) to the
//! end offsets it had when opened, then on as messages come. What the clusterer reads
//! `cluster-models` with, and the trainer `embeddings`.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use rdkafka::{Message, Offset, TopicPartitionList};
use settings::KafkaSettings;

use crate::{Error, Result};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A consumer assigned every partition of one topic.
pub struct Tail {
    consumer: StreamConsumer,
    topic: String,
    /// Partitions not yet read up to the end offset they had at the start.
    behind: BTreeMap<i32, i64>,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail")
            .field("topic", &self.topic)
            .field("behind", &self.behind)
            .finish_non_exhaustive()
    }
}

impl Tail {
    /// Every partition of `topic` from its first message; `group` names the consumer
    /// (its offsets are only committed by [`Tail::commit`]).
    pub fn from_beginning(kafka: &KafkaSettings, group: &str, topic: &str) -> Result<Self> {
        let mut c = kafka.client_config();
        c.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("isolation.level", "read_committed");
        kafka.apply_overrides(&mut c);
        let consumer: StreamConsumer = c.create().map_err(|e| Error::kafka(topic, &e))?;
        let metadata = consumer
            .fetch_metadata(Some(topic), TIMEOUT)
            .map_err(|e| Error::kafka(topic, &e))?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            return Err(Error::Config(format!(
                "topic {topic} does not exist (`docstream topics apply` creates it)"
            )));
        }
        let mut behind = BTreeMap::new();
        let mut list = TopicPartitionList::new();
        for p in partitions {
            let (low, high) = consumer
                .fetch_watermarks(topic, p, TIMEOUT)
                .map_err(|e| Error::kafka(topic, &e))?;
            if high > low {
                behind.insert(p, high);
            }
            list.add_partition_offset(topic, p, Offset::Beginning)
                .map_err(|e| Error::kafka(topic, &e))?;
        }
        consumer
            .assign(&list)
            .map_err(|e| Error::kafka(topic, &e))?;
        Ok(Self {
            consumer,
            topic: topic.to_owned(),
            behind,
        })
    }

    /// The group's committed offset of each partition (0 where none).
    pub fn committed(&self) -> Result<BTreeMap<i32, i64>> {
        let assigned = self
            .consumer
            .assignment()
            .map_err(|e| Error::kafka(&self.topic, &e))?;
        let list = self
            .consumer
            .committed_offsets(assigned, TIMEOUT)
            .map_err(|e| Error::kafka(&self.topic, &e))?;
        Ok(list
            .elements()
            .iter()
            .map(|e| (e.partition(), e.offset().to_raw().unwrap_or(0).max(0)))
            .collect())
    }

    /// Whether every partition has been read to the end offset it had at the start.
    pub fn caught_up(&self) -> bool {
        self.behind.is_empty()
    }

    /// The next message, or `None` when none came within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Result<Option<OwnedMessage>> {
        let got = tokio::time::timeout(wait, self.consumer.recv()).await;
        match got {
            Ok(Ok(m)) => {
                let m = m.detach();
                if self
                    .behind
                    .get(&m.partition())
                    .is_some_and(|&high| m.offset() + 1 >= high)
                {
                    self.behind.remove(&m.partition());
                }
                Ok(Some(m))
            }
            Ok(Err(e)) => Err(Error::kafka(&self.topic, &e)),
            Err(_) => {
                // nothing more: a partition whose last offsets are transaction
                // markers is read to its end all the same
                self.check_positions();
                Ok(None)
            }
        }
    }

    fn check_positions(&mut self) {
        let Ok(positions) = self.consumer.position() else {
            return;
        };
        for e in positions.elements() {
            if let Some(next) = e.offset().to_raw() {
                if self.behind.get(&e.partition()).is_some_and(|&h| next >= h) {
                    self.behind.remove(&e.partition());
                }
            }
        }
    }

    /// Commits the offsets after the messages read so far (the next to read).
    pub fn commit(&self) -> Result<()> {
        let positions = self
            .consumer
            .position()
            .map_err(|e| Error::kafka(&self.topic, &e))?;
        let mut list = TopicPartitionList::new();
        for e in positions.elements() {
            if let Offset::Offset(o) = e.offset() {
                list.add_partition_offset(&self.topic, e.partition(), Offset::Offset(o))
                    .map_err(|e| Error::kafka(&self.topic, &e))?;
            }
        }
        if list.count() > 0 {
            self.consumer
                .commit(&list, CommitMode::Sync)
                .map_err(|e| Error::kafka(&self.topic, &e))?;
        }
        Ok(())
    }

    /// Reads on until every partition is at its start's end offset, handing each
    /// message to `each`.
    pub async fn catch_up(&mut self, mut each: impl FnMut(&OwnedMessage)) -> Result<()> {
        while !self.caught_up() {
            if let Some(m) = self.next(Duration::from_secs(1)).await? {
                each(&m);
            }
        }
        Ok(())
    }
}
