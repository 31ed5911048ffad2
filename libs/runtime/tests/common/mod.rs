//! The harness of the runtime's tests: topics with unique names on the stack's broker,
//! the toy service as a real child process, and readers of what it wrote.

#![allow(dead_code)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};

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
        let admin: AdminClient<DefaultClientContext> =
            testkit::kafka_config().create().expect("admin");
        let topics = [
            NewTopic::new(&t.input, partitions, TopicReplication::Fixed(1)),
            NewTopic::new(&t.output, partitions, TopicReplication::Fixed(1)),
            NewTopic::new(&t.dlq, 1, TopicReplication::Fixed(1)),
        ];
        for r in admin
            .create_topics(&topics, &AdminOptions::new())
            .await
            .expect("create topics")
        {
            r.expect("topic created");
        }
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
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_toy-upper"));
        cmd.env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
            .env("DOCSTREAM_INPUT_TOPICS", &self.input)
            .env("DOCSTREAM_OUTPUT_TOPIC", &self.output)
            .env("DOCSTREAM_DLQ_TOPIC", &self.dlq)
            .env("DOCSTREAM_GROUP_ID", &self.group)
            .env("DOCSTREAM_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "DOCSTREAM_LOG",
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env("DOCSTREAM_LOG_FORMAT", "text")
            .stdout(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Toy {
            child: cmd.spawn().expect("spawn toy-upper"),
            port,
        }
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
        let consumer = reader(&self.dlq, 1, false);
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while out.len() < want && Instant::now() < deadline {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                let headers = testkit::header_map(&m);
                out.push((
                    m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                    m.payload().unwrap_or_default().to_vec(),
                    headers,
                ));
            }
        }
        out
    }
}

fn reader(topic: &str, partitions: i32, read_committed: bool) -> BaseConsumer {
    let consumer: BaseConsumer = testkit::kafka_config()
        .set("group.id", testkit::unique("reader"))
        .set("enable.auto.commit", "false")
        .set(
            "isolation.level",
            if read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .create()
        .expect("reader");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("offset");
    }
    consumer.assign(&tpl).expect("assign");
    consumer
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
    let consumer = reader(topic, partitions, read_committed);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let deadline = Instant::now() + timeout;
    let mut last_new = Instant::now();
    while Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let v: serde_json::Value =
                    serde_json::from_slice(m.payload().unwrap_or_default()).expect("output json");
                *seen
                    .entry(v["id"].as_str().unwrap_or_default().to_owned())
                    .or_default() += 1;
                last_new = Instant::now();
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None if seen.len() >= want && last_new.elapsed() > Duration::from_secs(2) => break,
            None => {}
        }
    }
    seen
}

/// Waits until the output has at least `n` messages.
pub fn wait_for_output(topic: &str, partitions: i32, n: usize, timeout: Duration) {
    let seen = read_ids_quick(topic, partitions, n, timeout);
    assert!(seen >= n, "only {seen} of {n} outputs within {timeout:?}");
}

fn read_ids_quick(topic: &str, partitions: i32, n: usize, timeout: Duration) -> usize {
    let consumer = reader(topic, partitions, false);
    let deadline = Instant::now() + timeout;
    let mut count = 0;
    while count < n && Instant::now() < deadline {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
            count += 1;
        }
    }
    count
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The toy service running as a child process.
pub struct Toy {
    pub child: Child,
    pub port: u16,
}

impl Toy {
    pub fn sigkill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
    }

    /// Waits for the process to exit, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// GET a path of the toy's HTTP server: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                Ok(mut s) => {
                    write!(
                        s,
                        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                    .expect("write");
                    let mut text = String::new();
                    s.read_to_string(&mut text).expect("read");
                    let status = text
                        .split(' ')
                        .nth(1)
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0);
                    let body = text
                        .split_once("\r\n\r\n")
                        .map(|(_, b)| b.to_owned())
                        .unwrap_or_default();
                    return (status, body);
                }
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("toy http on {}: {e}", self.port),
            }
        }
    }
}

impl Drop for Toy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where each id sits in a topic: id -> (partition, offset), for failure messages.
pub fn locate(topic: &str, partitions: i32, ids: &[String]) -> Vec<(String, i32, i64)> {
    let consumer = reader(topic, partitions, false);
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while out.len() < ids.len() && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
            if ids.contains(&key) {
                out.push((key, m.partition(), m.offset()));
            }
        }
    }
    out
}

impl Topics {
    /// Committed offset per input partition.
    pub fn committed(&self) -> Vec<i64> {
        let consumer: BaseConsumer = testkit::kafka_config()
            .set("group.id", &self.group)
            .create()
            .expect("consumer");
        let mut tpl = TopicPartitionList::new();
        for p in 0..self.partitions {
            tpl.add_partition(&self.input, p);
        }
        let c = consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .expect("committed");
        c.elements()
            .iter()
            .map(|e| e.offset().to_raw().unwrap_or(-1))
            .collect()
    }
}

/// Reads `topic` until `want` messages were seen: id -> the texts in the order read.
pub fn read_versions(
    topic: &str,
    partitions: i32,
    want: usize,
    timeout: Duration,
) -> HashMap<String, Vec<String>> {
    let consumer = reader(topic, partitions, false);
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut n = 0;
    let deadline = Instant::now() + timeout;
    while n < want && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let v: serde_json::Value =
                serde_json::from_slice(m.payload().unwrap_or_default()).expect("json");
            out.entry(v["id"].as_str().unwrap_or_default().to_owned())
                .or_default()
                .push(v["text"].as_str().unwrap_or_default().to_owned());
            n += 1;
        }
    }
    out
}
