//! The shape of `topics.yaml` and its validation.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The whole file: defaults and the topics.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicsFile {
    #[serde(default)]
    pub defaults: Defaults,
    pub topics: Vec<TopicSpec>,
}

/// Values a topic takes when it does not say.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default = "one")]
    pub replication_factor: i32,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            replication_factor: one(),
        }
    }
}

fn one() -> i32 {
    1
}

/// One topic as docstream wants it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: i32,
    #[serde(default)]
    pub replication_factor: Option<i32>,
    /// `retention.ms`; -1 keeps messages forever.
    pub retention_ms: i64,
    pub cleanup_policy: CleanupPolicy,
    /// What the message key is, for people reading the file.
    pub key: String,
    /// The contracts type carried by the topic.
    pub message_type: String,
    pub producers: Vec<String>,
    pub consumers: Vec<String>,
}

/// Kafka's `cleanup.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum CleanupPolicy {
    #[serde(rename = "delete")]
    Delete,
    #[serde(rename = "compact")]
    Compact,
    #[serde(rename = "compact,delete")]
    CompactDelete,
}

impl CleanupPolicy {
    /// The value Kafka stores.
    pub fn as_kafka(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Compact => "compact",
            Self::CompactDelete => "compact,delete",
        }
    }
}

impl TopicsFile {
    /// Reads and validates a topics file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses and validates the text of a topics file.
    /// The repository's `topics.yaml` as compiled into every binary: the services
    /// take their default topics from it, the manifest generator their scaling
    /// triggers, so the two cannot disagree.
    pub fn embedded() -> Result<Self> {
        Self::parse(include_str!("../../../topics.yaml"))
    }

    pub fn parse(text: &str) -> Result<Self> {
        let file: Self = serde_yaml::from_str(text)?;
        file.validate()?;
        Ok(file)
    }

    /// The replication factor of a topic, its own or the default.
    pub fn replication_factor(&self, topic: &TopicSpec) -> i32 {
        topic
            .replication_factor
            .unwrap_or(self.defaults.replication_factor)
    }

    /// The topic configs docstream manages, as Kafka names them.
    pub fn configs(topic: &TopicSpec) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("cleanup.policy", topic.cleanup_policy.as_kafka().to_owned()),
            ("retention.ms", topic.retention_ms.to_string()),
        ])
    }

    /// The topic with this name.
    pub fn get(&self, name: &str) -> Option<&TopicSpec> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// The topics `service` consumes, in file order: its default input.
    pub fn consumed_by(&self, service: &str) -> Vec<String> {
        self.topics
            .iter()
            .filter(|t| t.consumers.iter().any(|c| c == service))
            .map(|t| t.name.clone())
            .collect()
    }

    /// The topics `service` produces other than dead letters, in file order: its
    /// default output.
    pub fn produced_by(&self, service: &str) -> Vec<String> {
        self.topics
            .iter()
            .filter(|t| t.message_type != "DeadLetter")
            .filter(|t| t.producers.iter().any(|c| c == service))
            .map(|t| t.name.clone())
            .collect()
    }

    fn validate(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for t in &self.topics {
            let bad = |why: &str| Err(Error::Invalid(format!("topic {:?}: {why}", t.name)));
            if !seen.insert(t.name.as_str()) {
                return bad("named twice");
            }
            if !valid_name(&t.name) {
                return bad("a name is 1 to 249 of [a-zA-Z0-9._-]");
            }
            if t.partitions < 1 {
                return bad("partitions must be at least 1");
            }
            if self.replication_factor(t) < 1 {
                return bad("replication_factor must be at least 1");
            }
            if t.retention_ms < -1 || t.retention_ms == 0 {
                return bad("retention_ms is -1 (forever) or a positive number");
            }
            if t.message_type.trim().is_empty() {
                return bad("message_type is empty");
            }
        }
        Ok(())
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "topics:\n  - {name: a.b, partitions: 3, retention_ms: -1, cleanup_policy: compact, key: k, message_type: T, producers: [x], consumers: [y]}\n";

    #[test]
    fn parses_a_topic_and_takes_the_default_replication_factor() {
        let file = TopicsFile::parse(ONE).expect("valid");
        let t = file.get("a.b").expect("topic a.b");
        assert_eq!(t.partitions, 3);
        assert_eq!(file.replication_factor(t), 1);
        assert_eq!(TopicsFile::configs(t)["cleanup.policy"], "compact");
    }

    #[test]
    fn rejects_duplicates_bad_names_and_zero_partitions() {
        let twice = format!("{ONE}{}", &ONE["topics:\n".len()..]);
        assert!(TopicsFile::parse(&twice)
            .unwrap_err()
            .to_string()
            .contains("named twice"));
        assert!(TopicsFile::parse(&ONE.replace("a.b", "a b")).is_err());
        assert!(TopicsFile::parse(&ONE.replace("partitions: 3", "partitions: 0")).is_err());
        assert!(TopicsFile::parse(&ONE.replace("compact", "shred")).is_err());
        assert!(TopicsFile::parse(&ONE.replace("key: k", "kee: k")).is_err());
    }

    #[test]
    fn the_repository_topics_file_is_valid_and_has_every_design_topic() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../topics.yaml");
        let file = TopicsFile::load(path).expect("topics.yaml is valid");
        for name in [
            "raw.etds",
            "raw.tobacco",
            "processed.etds",
            "processed.tobacco",
            "clusters",
            "summaries",
            "logs",
            "recommendations",
        ] {
            assert!(file.get(name).is_some(), "{name} missing");
        }
        // every consuming service has its own dead-letter topic
        let services: HashSet<&str> = file
            .topics
            .iter()
            .filter(|t| !t.name.starts_with("dlq."))
            .flat_map(|t| t.consumers.iter().map(String::as_str))
            .filter(|c| !matches!(*c, "operators"))
            .collect();
        for s in services {
            assert!(file.get(&format!("dlq.{s}")).is_some(), "dlq.{s} missing");
        }
        // per-document keyed topics are compacted
        for t in file
            .topics
            .iter()
            .filter(|t| t.key.starts_with("document id"))
        {
            assert_ne!(t.cleanup_policy, CleanupPolicy::Delete, "{}", t.name);
        }
    }

    #[test]
    fn the_embedded_file_is_the_repository_file_and_names_each_service_topics() {
        let file = TopicsFile::embedded().expect("embedded topics.yaml");
        let disk = TopicsFile::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../topics.yaml"))
            .expect("topics.yaml");
        assert_eq!(file.topics, disk.topics);
        assert_eq!(file.consumed_by("tobacco-ingest"), ["raw.tobacco"]);
        assert_eq!(file.produced_by("tobacco-ingest"), ["processed.tobacco"]);
        assert_eq!(
            file.consumed_by("indexer"),
            [
                "processed.etds",
                "processed.tobacco",
                "clusters",
                "embeddings",
                "summaries",
                "recommendations"
            ]
        );
        assert!(file.produced_by("indexer").is_empty());
    }
}
