//! The harness of the runtime's tests: topics with unique names on the stack's broker,
//! the toy service as a real child process, and readers of what it wrote.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

/// A dead letter as read back: key, payload, headers.
pub type DeadLetter = (Option<String>, Vec<u8>, HashMap<String, String>);

pub struct Topics {
    pub input: String,
    pub output: String,
    pub dlq: String,
    pub group: String,
    pub partitions: i32,
}

impl Topics {
    pub async fn create(partitions: i32) -> Self {
        testkit::init_tracing();
        let t = Self {
            input: testkit::unique("rt-in"),
            output: testkit::unique("rt-out"),
            dlq: testkit::unique("rt-dlq"),
            group: testkit::unique("rt-group"),
            partitions,
        };
        testkit::create_topics(&[(&t.input, partitions), (&t.output, partitions), (&t.dlq, 1)])
            .await;
        t
    }

    /// Produces `{"id": "<prefix><i>", "text": "t<i>"}` for i in range, keyed by id.
    pub async fn produce(&self, prefix: &str, range: std::ops::Range<usize>) {
        let producer: FutureProducer = testkit::kafka_config()
            .set("linger.ms", "5")
            .create()
            .expect("producer");
        let mut pending = Vec::new();
        for i in range {
            let id = format!("{prefix}{i}");
            let payload = format!(r#"{{"id":"{id}","text":"t{i}"}}"#);
            let p = producer.clone();
            let topic = self.input.clone();
            pending.push(async move {
                p.send(
                    FutureRecord::to(&topic).key(&id).payload(&payload),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)
                .expect("produce")
            });
            if pending.len() >= 1000 {
                futures::future::join_all(pending.drain(..)).await;
            }
        }
        futures::future::join_all(pending).await;
    }

    /// Produces one raw payload with a header.
    pub async fn produce_raw(&self, key: &str, payload: &[u8], header: (&str, &str)) {
        let producer: FutureProducer = testkit::kafka_config().create().expect("producer");
        producer
            .send(
                FutureRecord::to(&self.input)
                    .key(key)
                    .payload(payload)
                    .headers(OwnedHeaders::new().insert(Header {
                        key: header.0,
                        value: Some(header.1),
                    })),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("produce");
    }

    /// Starts the toy service as a child process.
    pub fn spawn(&self, extra: &[(&str, &str)]) -> Toy {
        let mut env = vec![
            ("DOCSTREAM_INPUT_TOPICS", self.input.as_str()),
            ("DOCSTREAM_OUTPUT_TOPIC", self.output.as_str()),
            ("DOCSTREAM_DLQ_TOPIC", self.dlq.as_str()),
            ("DOCSTREAM_GROUP_ID", self.group.as_str()),
        ];
        env.extend_from_slice(extra);
        Toy::spawn(env!("CARGO_BIN_EXE_toy-upper"), &env)
    }

    /// Reads the output topic from the beginning: id -> times seen.
    pub fn read_output(
        &self,
        want: usize,
        read_committed: bool,
        timeout: Duration,
    ) -> HashMap<String, usize> {
        read_ids(&self.output, self.partitions, want, read_committed, timeout)
    }

    /// Committed offsets of the group, summed over the input's partitions.
    pub fn committed_total(&self) -> i64 {
        self.committed().iter().filter(|o| **o >= 0).sum()
    }

    /// Every message of the dead-letter topic: (key, payload, headers).
    pub fn read_dlq(&self, want: usize) -> Vec<DeadLetter> {
        testkit::Read::partitions(1)
            .at_least(&self.dlq, want)
            .into_iter()
            .map(|r| (Some(r.key), r.payload, r.headers))
            .collect()
    }
}

/// Reads `topic` until `want` distinct ids have been seen and nothing new arrived for
/// two seconds, or until `timeout`.
pub fn read_ids(
    topic: &str,
    partitions: i32,
    want: usize,
    read_committed: bool,
    timeout: Duration,
) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    testkit::Read::partitions(partitions)
        .timeout(timeout)
        .committed(read_committed)
        .settle(Duration::from_secs(2))
        .until(topic, |r| {
            if let Some(m) = r.last() {
                let id = m.json()["id"].as_str().unwrap_or_default().to_owned();
                *seen.entry(id).or_default() += 1;
            }
            seen.len() >= want
        });
    seen
}

/// Waits until the output has at least `n` messages.
pub fn wait_for_output(topic: &str, partitions: i32, n: usize, timeout: Duration) {
    let seen = testkit::Read::partitions(partitions)
        .timeout(timeout)
        .at_least(topic, n)
        .len();
    assert!(seen >= n, "only {seen} of {n} outputs within {timeout:?}");
}

/// The toy service running as a child process.
pub type Toy = testkit::Service;

/// Where each id sits in a topic: id -> (partition, offset), for failure messages.
pub fn locate(topic: &str, partitions: i32, ids: &[String]) -> Vec<(String, i32, i64)> {
    let mut out = Vec::new();
    testkit::Read::partitions(partitions)
        .timeout(Duration::from_secs(20))
        .until(topic, |r| {
            if let Some(m) = r.last().filter(|m| ids.contains(&m.key)) {
                out.push((m.key.clone(), m.partition, m.offset));
            }
            out.len() >= ids.len()
        });
    out
}

impl Topics {
    /// Committed offset per input partition.
    pub fn committed(&self) -> Vec<i64> {
        testkit::committed(&self.group, &self.input, self.partitions)
    }
}

/// Reads `topic` until `want` messages were seen: id -> the texts in the order read.
pub fn read_versions(
    topic: &str,
    partitions: i32,
    want: usize,
    timeout: Duration,
) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in testkit::Read::partitions(partitions)
        .timeout(timeout)
        .at_least(topic, want)
    {
        let v = m.json();
        out.entry(v["id"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push(v["text"].as_str().unwrap_or_default().to_owned());
    }
    out
}
