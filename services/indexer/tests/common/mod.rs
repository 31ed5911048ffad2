//! The indexer tests' harness: unique topics and index prefix, the indexer as a real
//! process, documents in the contracts' shapes, and reads of the search engine.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use elasticsearch::http::transport::Transport;
use elasticsearch::{CountParts, Elasticsearch, GetParts};
use rdkafka::producer::FutureProducer;
use serde_json::{json, Value};

pub struct Setup {
    pub prefix: String,
    pub etds: String,
    pub tobacco: String,
    pub clusters: String,
    pub summaries: String,
    pub recommendations: String,
    pub embeddings: String,
    pub dlq: String,
    pub group: String,
    pub es: Elasticsearch,
    producer: FutureProducer,
}

pub const PARTITIONS: i32 = 3;

impl Setup {
    pub async fn new() -> Self {
        testkit::init_tracing();
        let prefix = testkit::unique("ix");
        let name = |t: &str| format!("{prefix}.{t}");
        let s = Self {
            etds: name("processed.etds"),
            tobacco: name("processed.tobacco"),
            clusters: name("clusters"),
            summaries: name("summaries"),
            recommendations: name("recommendations"),
            embeddings: name("embeddings"),
            dlq: name("dlq"),
            group: name("group"),
            es: Elasticsearch::new(Transport::single_node(&testkit::es_url()).expect("es")),
            producer: testkit::kafka_config()
                .set("linger.ms", "5")
                .create()
                .expect("producer"),
            prefix,
        };
        testkit::create_topics(&[
            (&s.etds, PARTITIONS),
            (&s.tobacco, PARTITIONS),
            (&s.clusters, PARTITIONS),
            (&s.summaries, PARTITIONS),
            (&s.recommendations, PARTITIONS),
            (&s.embeddings, PARTITIONS),
            (&s.dlq, 1),
        ])
        .await;
        s
    }

    /// The indexer's settings for this setup's topics, group and index prefix.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("DOCSTREAM_INDEXER_TOPIC_ETDS", self.etds.as_str()),
            ("DOCSTREAM_INDEXER_TOPIC_TOBACCO", self.tobacco.as_str()),
            ("DOCSTREAM_INDEXER_TOPIC_CLUSTERS", self.clusters.as_str()),
            ("DOCSTREAM_INDEXER_TOPIC_SUMMARIES", self.summaries.as_str()),
            (
                "DOCSTREAM_INDEXER_TOPIC_RECOMMENDATIONS",
                self.recommendations.as_str(),
            ),
            (
                "DOCSTREAM_INDEXER_TOPIC_EMBEDDINGS",
                self.embeddings.as_str(),
            ),
            ("DOCSTREAM_DLQ_TOPIC", self.dlq.as_str()),
            ("DOCSTREAM_GROUP_ID", self.group.as_str()),
            ("DOCSTREAM_ES_INDEX_PREFIX", self.prefix.as_str()),
            ("DOCSTREAM_ES_URL", &testkit::es_url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    pub fn spawn(&self, extra: &[(&str, &str)]) -> testkit::Service {
        let mut env = self.env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        testkit::Service::spawn(env!("CARGO_BIN_EXE_indexer"), &refs)
    }

    pub async fn send(&self, topic: &str, key: &str, payload: &[u8]) {
        testkit::send(&self.producer, topic, key, payload).await;
    }

    pub fn alias(&self, collection: &str) -> String {
        format!("{}-{collection}", self.prefix)
    }

    /// A document by id from a collection's alias, or None.
    pub async fn get(&self, collection: &str, id: &str) -> Option<Value> {
        let r = self
            .es
            .get(GetParts::IndexId(&self.alias(collection), id))
            .send()
            .await
            .ok()?;
        if !r.status_code().is_success() {
            return None;
        }
        let v: Value = r.json().await.ok()?;
        Some(v["_source"].clone())
    }

    /// A document once `ready` holds of it (polled for up to 30 s), or the last seen.
    pub async fn get_when(
        &self,
        collection: &str,
        id: &str,
        ready: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let doc = self.get(collection, id).await;
            if doc.as_ref().is_some_and(&ready) || Instant::now() > deadline {
                return doc;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A search's response (after a refresh).
    pub async fn search(&self, collection: &str, body: Value) -> Value {
        let alias = self.alias(collection);
        self.count(collection).await;
        let r = self
            .es
            .search(elasticsearch::SearchParts::Index(&[&alias]))
            .body(body)
            .send()
            .await
            .expect("search");
        r.json().await.expect("search response")
    }

    /// Documents in a collection (after a refresh), 0 when the engine does not answer.
    pub async fn count(&self, collection: &str) -> u64 {
        let alias = self.alias(collection);
        let _ = self
            .es
            .indices()
            .refresh(elasticsearch::indices::IndicesRefreshParts::Index(&[
                &alias,
            ]))
            .send()
            .await;
        let Ok(r) = self.es.count(CountParts::Index(&[&alias])).send().await else {
            return 0;
        };
        let v: Value = r.json().await.unwrap_or_default();
        v["count"].as_u64().unwrap_or(0)
    }

    /// Waits until `collection` holds `n` documents; returns the last count seen.
    pub async fn wait_count(&self, collection: &str, n: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        loop {
            let c = self.count(collection).await;
            if c >= n || Instant::now() > deadline {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Every dead letter so far: (key, headers).
    pub fn dead_letters(
        &self,
        wait_for: usize,
    ) -> Vec<(String, std::collections::HashMap<String, String>)> {
        // none expected: read for three seconds to see that none comes
        let read = testkit::Read::partitions(1);
        let got = if wait_for == 0 {
            read.timeout(Duration::from_secs(3))
                .until(&self.dlq, |_| false)
        } else {
            read.at_least(&self.dlq, wait_for)
        };
        got.into_iter().map(|r| (r.key, r.headers)).collect()
    }

    /// Waits until the group has committed `n` offsets on `topic`.
    pub fn wait_committed(&self, topic: &str, n: i64, timeout: Duration) -> i64 {
        let deadline = Instant::now() + timeout;
        loop {
            let c: i64 = testkit::committed(&self.group, topic, PARTITIONS)
                .iter()
                .filter(|o| **o >= 0)
                .sum();
            if c >= n || Instant::now() > deadline {
                return c;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// A processed tobacco document in the contract's shape.
pub fn tobacco(id: &str, title: &str, date: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schema_version": 1, "id": format!("tobacco:{id}"), "collection": "tobacco",
        "title": title, "date": date, "year": 2000, "date_added": null,
        "case": "State of Minnesota v. Philip Morris", "description": "a deposition",
        "document_type": "deposition", "organizations": ["Acme Tobacco", "FTC"],
        "topics": ["marketing"], "witness": null,
        "bates": {"prefix": "ACME", "start": "ACME0001", "end": "ACME0004"},
        "page_count": 2, "availability": "public",
        "text": format!("{title}. The witness discussed nicotine levels.\nPage two."),
        "pages": [{"page": 1, "start": 0, "end": 40}, {"page": 2, "start": 40, "end": 50}],
        "repairs": [], "source": {"unmapped": "kept"}
    }))
    .expect("json")
}

/// A processed ETD in the contract's shape, with `text_kb` KiB of full text.
pub fn etd(handle: &str, title: &str, text_kb: usize) -> Vec<u8> {
    let sentence = "Graph neural networks learn representations of nodes and edges. ";
    let fulltext = sentence.repeat(text_kb * 1024 / sentence.len() + 1);
    serde_json::to_vec(&json!({
        "schema_version": 1, "id": format!("etd:{handle}"), "collection": "etds",
        "title": title, "authors": ["Doe, Jane"], "advisors": ["Roe, Richard"],
        "committee_members": ["Poe, Edgar"], "department": "Computer Science",
        "degree": {"name": "Doctor of Philosophy", "level": "doctoral",
                   "discipline": "Computer Science", "grantor": "Virginia Tech"},
        "doc_type": "dissertation", "date_issued": "2017-01-05", "year": 2017,
        "date_accessioned": "2017-02-01T00:00:00Z", "subjects": ["graphs", "learning"],
        "abstract": "We study graphs.", "handle": handle,
        "uri": format!("http://hdl.handle.net/{handle}"), "language": "en",
        "rights": "In Copyright", "publisher": "Virginia Tech", "fulltext": fulltext,
        "fulltext_status": "extracted", "fulltext_error": null, "page_count": 3,
        "pages": [{"page": 1, "start": 0, "end": 10}], "sections": [{"title": "Introduction", "offset": 0}],
        "ocr_confidence": null, "source": {"dc.format.medium": "ETD"}
    }))
    .expect("json")
}
