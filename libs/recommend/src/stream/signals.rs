//! What the recommender sends itself through its internal topic
//! (`recommender-pairs`), keyed by the document (or cluster) whose state it changes, so
//! that state lives in one partition: the repartition step of a Kafka Streams
//! aggregation.

use serde::{Deserialize, Serialize};

/// One change to a document's (or a cluster's) state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum Signal {
    /// A session opened `doc` (once per session).
    Click { doc: String, time: i64 },
    /// `doc` and `other` were opened in one session, `weight` by how close the clicks
    /// were; `same_query` when both came from one search.
    Pair {
        doc: String,
        other: String,
        weight: f64,
        time: i64,
        same_query: bool,
    },
    /// `of` has been opened in `count` sessions (for normalising `doc`'s scores).
    Popularity { doc: String, of: String, count: u64 },
    /// `doc` belongs to `cluster` (from `clusters`).
    Member { cluster: String, doc: String },
    /// `doc` was opened from a search for `query` (its words, lower case): for the
    /// documents people opened for the same query, in any session.
    Query {
        query: String,
        doc: String,
        time: i64,
    },
    /// `doc`'s content neighbours (its cluster's other members), for a cold start.
    Content {
        doc: String,
        neighbours: Vec<String>,
    },
}

impl Signal {
    /// The key it is partitioned by: the document, `cluster:<id>` or `query:<words>`.
    pub fn key(&self) -> String {
        match self {
            Self::Click { doc, .. }
            | Self::Pair { doc, .. }
            | Self::Popularity { doc, .. }
            | Self::Content { doc, .. } => doc.clone(),
            Self::Member { cluster, .. } => format!("cluster:{cluster}"),
            Self::Query { query, .. } => format!("query:{query}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip_and_key_by_what_they_change() {
        let s = Signal::Member {
            cluster: "etds-3".into(),
            doc: "etd:1/2".into(),
        };
        let json = serde_json::to_string(&s).expect("json");
        assert!(json.contains(r#""signal":"member""#), "{json}");
        assert_eq!(serde_json::from_str::<Signal>(&json).expect("back"), s);
        assert_eq!(s.key(), "cluster:etds-3");
    }
}
