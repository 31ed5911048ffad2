//! Reading a topic back, for every test: one reader outside any group, assigned to
//! every partition from the beginning, polling until the test's condition holds (and,
//! if asked, nothing new arrived for a while) or the timeout passes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::Message;

/// A message as read back.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: String,
    pub payload: Vec<u8>,
    pub headers: HashMap<String, String>,
    pub partition: i32,
    pub offset: i64,
}

impl Record {
    /// A header's value, empty when absent (`docstream.error` of a dead letter).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The payload as JSON; panics with the key when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload)
            .unwrap_or_else(|e| panic!("{}: payload is not json: {e}", self.key))
    }
}

/// How to read: the topic's partitions, how long at most, read_committed or not,
/// and how long nothing new must arrive after the condition holds.
#[derive(Debug, Clone, Copy)]
pub struct Read {
    pub partitions: i32,
    pub timeout: Duration,
    pub read_committed: bool,
    pub settle: Duration,
}

impl Read {
    /// Every partition of a `partitions`-partition topic, for up to a minute.
    pub fn partitions(partitions: i32) -> Self {
        Self {
            partitions,
            timeout: Duration::from_secs(60),
            read_committed: false,
            settle: Duration::ZERO,
        }
    }

    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// Only committed transactions' messages.
    #[must_use]
    pub fn committed(self, read_committed: bool) -> Self {
        Self {
            read_committed,
            ..self
        }
    }

    /// After the condition holds, read on until nothing new came for `settle` (to
    /// catch duplicates).
    #[must_use]
    pub fn settle(self, settle: Duration) -> Self {
        Self { settle, ..self }
    }

    /// Reads `topic` until `until(read so far)` holds (then settles), or the timeout.
    /// Panics on a consumer error.
    pub fn until(self, topic: &str, mut until: impl FnMut(&[Record]) -> bool) -> Vec<Record> {
        let consumer = crate::reader(topic, self.partitions, self.read_committed);
        let mut out = Vec::new();
        let deadline = Instant::now() + self.timeout;
        let mut last_new = Instant::now();
        let mut done = until(&out);
        while Instant::now() < deadline && !(done && last_new.elapsed() >= self.settle) {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    out.push(Record {
                        key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                        payload: m.payload().unwrap_or_default().to_vec(),
                        headers: crate::header_map(&m),
                        partition: m.partition(),
                        offset: m.offset(),
                    });
                    last_new = Instant::now();
                    done = until(&out);
                }
                Some(Err(e)) => panic!("reading {topic}: {e}"),
                None => {}
            }
        }
        out
    }

    /// Reads `topic` until at least `n` messages arrived, or the timeout.
    pub fn at_least(self, topic: &str, n: usize) -> Vec<Record> {
        self.until(topic, |r| r.len() >= n)
    }
}
