//! What the recommender sends itself through its internal topic
//! (`recommender-pairs`), keyed by the document (or cluster) whose state it changes, so
//! that state lives in one partition: the repartition step of a Kafka Streams
//! aggregation.

use std::collections::HashMap;

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
        self.key_ref().into_owned()
    }

    /// [`Signal::key`], borrowed when it is the document's id.
    pub fn key_ref(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Click { doc, .. }
            | Self::Pair { doc, .. }
            | Self::Popularity { doc, .. }
            | Self::Content { doc, .. } => doc.as_str().into(),
            Self::Member { cluster, .. } => format!("cluster:{cluster}").into(),
            Self::Query { query, .. } => format!("query:{query}").into(),
        }
    }
}

/// A message of the internal topic: one key's signals, in order, the key said once
/// (each signal without the document or cluster it changes, in a short form that
/// reads without buffering: most of what decoding a message cost in
/// `loadtest recommend` was serde reading each [`Signal`]'s internal tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub key: String,
    pub signals: Vec<Wire>,
}

/// A [`Signal`] without its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Wire {
    /// [`Signal::Click`]: its time.
    #[serde(rename = "c")]
    Click(i64),
    /// [`Signal::Pair`]: other, weight, time, same query.
    #[serde(rename = "p")]
    Pair(String, f64, i64, bool),
    /// [`Signal::Popularity`]: of, count.
    #[serde(rename = "n")]
    Popularity(String, u64),
    /// [`Signal::Member`]: the document (the key is the cluster's).
    #[serde(rename = "m")]
    Member(String),
    /// [`Signal::Query`]: the document, time (the key is the query's).
    #[serde(rename = "q")]
    Query(String, i64),
    /// [`Signal::Content`]: the neighbours.
    #[serde(rename = "t")]
    Content(Vec<String>),
}

impl Message {
    /// Signals that all have `key` ([`Signal::key`]).
    pub fn new(key: String, signals: Vec<Signal>) -> Self {
        let signals = signals
            .into_iter()
            .map(|s| match s {
                Signal::Click { time, .. } => Wire::Click(time),
                Signal::Pair {
                    other,
                    weight,
                    time,
                    same_query,
                    ..
                } => Wire::Pair(other, weight, time, same_query),
                Signal::Popularity { of, count, .. } => Wire::Popularity(of, count),
                Signal::Member { doc, .. } => Wire::Member(doc),
                Signal::Query { doc, time, .. } => Wire::Query(doc, time),
                Signal::Content { neighbours, .. } => Wire::Content(neighbours),
            })
            .collect();
        Self { key, signals }
    }

    /// The signals again; why not when one cannot have this key.
    pub fn signals(self) -> Result<Vec<Signal>, String> {
        let key = self.key;
        let prefixed = |prefix: &str| {
            key.strip_prefix(prefix)
                .map(str::to_owned)
                .ok_or_else(|| format!("a {prefix}… signal keyed {key}"))
        };
        self.signals
            .into_iter()
            .map(|w| {
                let doc = key.clone();
                Ok(match w {
                    Wire::Click(time) => Signal::Click { doc, time },
                    Wire::Pair(other, weight, time, same_query) => Signal::Pair {
                        doc,
                        other,
                        weight,
                        time,
                        same_query,
                    },
                    Wire::Popularity(of, count) => Signal::Popularity { doc, of, count },
                    Wire::Member(doc) => Signal::Member {
                        cluster: prefixed("cluster:")?,
                        doc,
                    },
                    Wire::Query(doc, time) => Signal::Query {
                        query: prefixed("query:")?,
                        doc,
                        time,
                    },
                    Wire::Content(neighbours) => Signal::Content { doc, neighbours },
                })
            })
            .collect()
    }
}

/// Signals on their way to the internal topic, grouped by the key they change, each
/// key's in the order they were made: a transaction's signals for one document travel
/// together as one message (a combiner before the shuffle, as a map-reduce job has),
/// so the repartition costs a message per changed key per transaction, not one per
/// signal, and the other side reads each key's state once for all of them. Made with
/// [`Outbox::merging_pairs`], the pairs of one document with one other are also added
/// up into one signal (at the first one's place): the weight as of the latest of their
/// times, decayed as the scoring step decays it, "same query" if any was.
#[derive(Debug, Default)]
pub struct Outbox {
    by_key: HashMap<String, Vec<Signal>>,
    /// Per key, per other document: where its pair waits.
    pairs: HashMap<String, HashMap<String, usize>>,
    signals: usize,
    half_life_ms: Option<f64>,
}

impl Outbox {
    /// An outbox that adds up the pairs of one document with another, with weights
    /// halving every `half_life_ms` of event time.
    pub fn merging_pairs(half_life_ms: f64) -> Self {
        Self {
            half_life_ms: Some(half_life_ms),
            ..Self::default()
        }
    }

    /// Adds signals, after those of their keys already waiting.
    pub fn extend(&mut self, signals: impl IntoIterator<Item = Signal>) {
        for s in signals {
            let key = s.key_ref();
            if !self.by_key.contains_key(key.as_ref()) {
                self.by_key.insert(key.clone().into_owned(), Vec::new());
            }
            let Some(list) = self.by_key.get_mut(key.as_ref()) else {
                continue;
            };
            if let (Some(half_life), Signal::Pair { other, .. }) = (self.half_life_ms, &s) {
                if !self.pairs.contains_key(key.as_ref()) {
                    self.pairs.insert(key.clone().into_owned(), HashMap::new());
                }
                if let Some(at) = self.pairs.get_mut(key.as_ref()) {
                    if let Some(&i) = at.get(other) {
                        merge(&mut list[i], &s, half_life);
                        continue;
                    }
                    at.insert(other.clone(), list.len());
                }
            }
            drop(key);
            list.push(s);
            self.signals += 1;
        }
    }

    /// Signals waiting.
    pub fn len(&self) -> usize {
        self.signals
    }

    pub fn is_empty(&self) -> bool {
        self.signals == 0
    }

    /// Everything waiting, by key (in key order), in messages of at most `per_message`
    /// signals (at least 1), so that no message outgrows the broker's limit.
    pub fn drain(&mut self, per_message: usize) -> Vec<(String, Vec<Signal>)> {
        self.signals = 0;
        self.pairs.clear();
        let mut out = Vec::new();
        let mut by_key: Vec<(String, Vec<Signal>)> =
            std::mem::take(&mut self.by_key).into_iter().collect();
        by_key.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, mut signals) in by_key {
            while signals.len() > per_message.max(1) {
                let rest = signals.split_off(per_message.max(1));
                out.push((key.clone(), signals));
                signals = rest;
            }
            out.push((key, signals));
        }
        out
    }
}

/// Adds pair `b` into pair `a` (of the same two documents): the sum as of the later
/// time, the earlier weight halved every `half_life` ms between them (as
/// `scores::Decayed` adds).
fn merge(a: &mut Signal, b: &Signal, half_life: f64) {
    let (
        Signal::Pair {
            weight: wa,
            time: ta,
            same_query: qa,
            ..
        },
        Signal::Pair {
            weight: wb,
            time: tb,
            same_query: qb,
            ..
        },
    ) = (a, b)
    else {
        return;
    };
    #[allow(clippy::cast_precision_loss)]
    let factor = |dt: i64| 0.5f64.powf(dt as f64 / half_life);
    if *tb > *ta {
        *wa = *wa * factor(*tb - *ta) + wb;
        *ta = *tb;
    } else {
        *wa += wb * factor(*ta - *tb);
    }
    *qa |= *qb;
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

    #[test]
    fn an_outbox_groups_by_key_in_order_and_splits_long_groups() {
        let click = |doc: &str, time| Signal::Click {
            doc: doc.into(),
            time,
        };
        let mut o = Outbox::default();
        o.extend([click("b", 1), click("a", 2), click("b", 3)]);
        o.extend([click("b", 4)]);
        assert_eq!(o.len(), 4);
        let out = o.drain(2);
        assert!(o.is_empty() && o.drain(2).is_empty());
        assert_eq!(
            out,
            [
                ("a".to_owned(), vec![click("a", 2)]),
                ("b".to_owned(), vec![click("b", 1), click("b", 3)]),
                ("b".to_owned(), vec![click("b", 4)]),
            ]
        );
    }

    #[test]
    fn a_message_says_its_key_once_and_gives_the_signals_back() {
        let pair = Signal::Pair {
            doc: "a".into(),
            other: "b".into(),
            weight: 0.5,
            time: 7,
            same_query: true,
        };
        let all = vec![
            Signal::Click {
                doc: "a".into(),
                time: 1,
            },
            pair,
            Signal::Popularity {
                doc: "a".into(),
                of: "c".into(),
                count: 3,
            },
            Signal::Content {
                doc: "a".into(),
                neighbours: vec!["d".into()],
            },
        ];
        assert_eq!(Message::new("a".into(), all.clone()).signals(), Ok(all));
        let member = Signal::Member {
            cluster: "k".into(),
            doc: "a".into(),
        };
        let m = Message::new(member.key(), vec![member.clone()]);
        assert_eq!(m.clone().signals(), Ok(vec![member]));
        let query = Signal::Query {
            query: "w".into(),
            doc: "a".into(),
            time: 2,
        };
        assert_eq!(
            Message::new(query.key(), vec![query.clone()]).signals(),
            Ok(vec![query])
        );
        let wrong = Message {
            key: "a".into(),
            signals: m.signals,
        };
        assert!(wrong
            .signals()
            .expect_err("no cluster key")
            .contains("cluster:"));
    }

    #[test]
    fn pairs_of_the_same_two_documents_are_added_up_as_of_the_later_time() {
        let pair = |other: &str, weight, time, same_query| Signal::Pair {
            doc: "a".into(),
            other: other.into(),
            weight,
            time,
            same_query,
        };
        let mut o = Outbox::merging_pairs(10.0);
        o.extend([
            pair("b", 1.0, 10, false),
            Signal::Click {
                doc: "a".into(),
                time: 15,
            },
            pair("c", 1.0, 12, false),
            pair("b", 0.5, 20, true),
            pair("b", 2.0, 0, false),
        ]);
        assert_eq!(o.len(), 3);
        let out = o.drain(10);
        // b: 1 at 10 halves by 20 (0.5) + 0.5; then 2 at 0 is two half-lives old (0.5)
        assert_eq!(
            out[0].1,
            [
                pair("b", 1.5, 20, true),
                Signal::Click {
                    doc: "a".into(),
                    time: 15
                },
                pair("c", 1.0, 12, false)
            ]
        );
        o.extend([pair("b", 1.0, 30, false)]);
        assert_eq!(o.drain(10)[0].1, [pair("b", 1.0, 30, false)], "a new batch");
    }
}
