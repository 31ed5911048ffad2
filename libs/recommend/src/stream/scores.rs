//! The second step, per document (the partition `recommender-pairs` is keyed by): a
//! document's co-click weights with its neighbours, decayed with time, the sessions
//! that opened it and those of its neighbours (sent to it by theirs), its content
//! neighbours; and its related documents from them. Per cluster: its latest members,
//! from which a new member gets content neighbours. Pure.
//!
//! Scores: `w(a, b) / sqrt(n(a) · n(b))`, the cosine of the two documents' session
//! vectors with the decayed co-click weight in the numerator, so a document everybody
//! opens does not become everybody's neighbour. A weight decays by half every
//! `half_life` of event time; decaying to the latest event time seen makes the sum the
//! same whatever order the signals arrive in (two instances agree with one). A
//! neighbour opened from the same search counts `same_query_boost` times. Each
//! document keeps at most `max_neighbours` (the lowest weights pruned).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::signals::Signal;

/// The knobs of the scoring step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub related: usize,
    pub max_neighbours: usize,
    pub half_life_ms: f64,
    pub same_query_boost: f64,
    /// Members a cluster remembers (content neighbours come from the latest).
    pub cluster_members: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            related: 10,
            max_neighbours: 100,
            half_life_ms: 90.0 * 24.0 * 3600.0 * 1000.0,
            same_query_boost: 1.5,
            cluster_members: 50,
        }
    }
}

/// A decayed weight: its value at `time`. Written as `[value, time, same_query]`
/// (a document's changelog record holds up to 100 of them; the field names were most
/// of its bytes); read from that or from the object form written before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct Decayed {
    pub value: f64,
    pub time: i64,
    /// Some of it came from the same search.
    pub same_query: bool,
}

impl Serialize for Decayed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.value, self.time, self.same_query).serialize(s)
    }
}

impl Decayed {
    fn factor(dt: i64, o: &Options) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        0.5f64.powf(dt as f64 / o.half_life_ms)
    }

    /// Adds `w` at time `t`, keeping the value at the latest time.
    fn add(&mut self, w: f64, t: i64, o: &Options) {
        if t > self.time {
            self.value = self.value * Self::factor(t - self.time, o) + w;
            self.time = t;
        } else {
            self.value += w * Self::factor(self.time - t, o);
        }
    }

    /// The value at time `t` (not before its own).
    fn at(&self, t: i64, o: &Options) -> f64 {
        self.value * Self::factor((t - self.time).max(0), o)
    }
}

/// What is kept per document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Sessions that opened it.
    pub sessions: u64,
    pub latest: i64,
    pub neighbours: BTreeMap<String, Decayed>,
    /// Sessions that opened each neighbour, as the neighbour last said.
    pub popularity: BTreeMap<String, u64>,
    /// Its cluster's other members.
    pub content: Vec<String>,
    /// What was last published, to publish only changes.
    pub published: Vec<(String, f32, String)>,
}

/// What is kept per cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub members: Vec<String>,
}

/// A document's related documents: (id, score, reason), best first.
pub fn related(d: &Document, o: &Options) -> Vec<(String, f32, String)> {
    #[allow(clippy::cast_precision_loss)]
    let n_a = d.sessions.max(1) as f64;
    let scored: Vec<(&String, f64, &str)> = d
        .neighbours
        .iter()
        .map(|(id, w)| {
            #[allow(clippy::cast_precision_loss)]
            let n_b = d.popularity.get(id).copied().unwrap_or(1).max(1) as f64;
            let boost = if w.same_query {
                o.same_query_boost
            } else {
                1.0
            };
            let reason = if w.same_query {
                "same query"
            } else {
                "co-click"
            };
            (id, w.at(d.latest, o) * boost / (n_a * n_b).sqrt(), reason)
        })
        .collect();
    // ranked by the score as published (f32): sums added in another order differ in
    // their last bits, which must not reorder ties on another instance
    #[allow(clippy::cast_possible_truncation)]
    let mut ranked: Vec<(&String, f32, &str)> = scored
        .into_iter()
        .map(|(id, s, r)| (id, s as f32, r))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked.truncate(o.related);
    let mut out: Vec<(String, f32, String)> = ranked
        .into_iter()
        .map(|(id, s, r)| (id.clone(), s, r.to_owned()))
        .collect();
    // content neighbours all score 0: by id, the same whichever member joined first
    let mut content: Vec<&String> = d.content.iter().collect();
    content.sort();
    for c in content {
        if out.len() >= o.related {
            break;
        }
        if !out.iter().any(|(id, ..)| id == c) {
            out.push((c.clone(), 0.0, "content".to_owned()));
        }
    }
    out
}

/// Applies a signal to its document; the signals it sends on (its popularity to its
/// neighbours).
pub fn apply(doc: &mut Document, s: &Signal, o: &Options) -> Vec<Signal> {
    match s {
        Signal::Click { doc: id, time } => {
            doc.sessions += 1;
            doc.latest = doc.latest.max(*time);
            if !told(doc.sessions) {
                return Vec::new();
            }
            doc.neighbours
                .keys()
                .map(|n| Signal::Popularity {
                    doc: n.clone(),
                    of: id.clone(),
                    count: told_count(doc.sessions),
                })
                .collect()
        }
        Signal::Pair {
            doc: id,
            other,
            weight,
            time,
            same_query,
        } => {
            doc.latest = doc.latest.max(*time);
            let known = doc.neighbours.contains_key(other);
            let w = doc.neighbours.entry(other.clone()).or_default();
            w.add(*weight, *time, o);
            w.same_query |= *same_query;
            prune(doc, o);
            if known || !doc.neighbours.contains_key(other) {
                return Vec::new();
            }
            // a new neighbour learns how popular this document is
            vec![Signal::Popularity {
                doc: other.clone(),
                of: id.clone(),
                count: told_count(doc.sessions),
            }]
        }
        Signal::Popularity { of, count, .. } => {
            let p = doc.popularity.entry(of.clone()).or_default();
            *p = (*p).max(*count);
            Vec::new()
        }
        Signal::Content {
            neighbours,
            doc: id,
        } => {
            doc.content = neighbours.iter().filter(|n| *n != id).cloned().collect();
            Vec::new()
        }
        Signal::Member { .. } | Signal::Query { .. } => Vec::new(),
    }
}

/// Whether a document's count of sessions is told to its neighbours again: every count
/// up to 10, then each time it has grown by about a tenth (the neighbours' `√n` is then
/// within 5% of the truth). Telling every neighbour at every click made most of the
/// recommender's messages (`loadtest recommend`: 37 signals per log event); a document
/// opened 1,000 times tells its neighbours 58 times.
pub fn told(count: u64) -> bool {
    count <= 10 || step(count) != step(count - 1)
}

/// The count a neighbour is told: the last count [`told`] would tell, so what a
/// neighbour holds does not depend on when it became one (the order signals arrive in
/// must not change a result: two instances give what one gives).
pub fn told_count(count: u64) -> u64 {
    if count <= 10 {
        return count;
    }
    let k = step(count);
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let mut m = (1.1f64.powi(i32::try_from(k).unwrap_or(i32::MAX)).ceil() as u64).clamp(11, count);
    // the float's rounding, put right
    while m > 11 && step(m - 1) == k {
        m -= 1;
    }
    while step(m) < k {
        m += 1;
    }
    m
}

/// The bucket of a count: a tenth of growth each.
fn step(n: u64) -> i64 {
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let k = ((n as f64).ln() / 1.1f64.ln()).floor() as i64;
    k
}

/// Keeps the `max_neighbours` heaviest (ties by id, so the choice is the same on any
/// instance).
fn prune(doc: &mut Document, o: &Options) {
    if doc.neighbours.len() <= o.max_neighbours {
        return;
    }
    let latest = doc.latest;
    let mut by: Vec<(String, f64)> = doc
        .neighbours
        .iter()
        .map(|(k, w)| (k.clone(), w.at(latest, o)))
        .collect();
    by.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (k, _) in by.into_iter().skip(o.max_neighbours) {
        doc.neighbours.remove(&k);
        doc.popularity.remove(&k);
    }
}

/// The documents opened for one query, most recent last.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryDocs {
    pub docs: Vec<String>,
}

/// Documents a query remembers (a document among them is not paired again).
pub const QUERY_DOCS: usize = 20;

/// The most recent of them a newly opened one is paired with.
pub const QUERY_PAIRS: usize = 5;

/// How much one "opened for the same query" counts, against a co-click's 1 for
/// adjacent clicks in one session.
pub const QUERY_WEIGHT: f64 = 0.5;

/// A document opened for a query: a `same query` pair (both ways) with each of the
/// [`QUERY_PAIRS`] documents opened for it most recently, once while it is among the
/// [`QUERY_DOCS`] it remembers.
pub fn opened_for(q: &mut QueryDocs, doc: &str, time: i64) -> Vec<Signal> {
    if q.docs.iter().any(|d| d == doc) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for other in q.docs.iter().rev().take(QUERY_PAIRS) {
        for (a, b) in [(other.as_str(), doc), (doc, other.as_str())] {
            out.push(Signal::Pair {
                doc: a.to_owned(),
                other: b.to_owned(),
                weight: QUERY_WEIGHT,
                time,
                same_query: true,
            });
        }
    }
    q.docs.push(doc.to_owned());
    if q.docs.len() > QUERY_DOCS {
        q.docs.remove(0);
    }
    out
}

/// Applies a membership to its cluster; the content neighbours it sends: the new
/// member gets the latest others; while the cluster is small, every member gets the
/// new list too, so the first members are not left with none.
pub fn join(cluster: &mut Cluster, doc: &str, o: &Options) -> Vec<Signal> {
    if cluster.members.iter().any(|m| m == doc) {
        return Vec::new();
    }
    cluster.members.push(doc.to_owned());
    if cluster.members.len() > o.cluster_members {
        cluster.members.remove(0);
    }
    let latest = |except: &str| -> Vec<String> {
        cluster
            .members
            .iter()
            .rev()
            .filter(|m| *m != except)
            .take(o.related)
            .cloned()
            .collect()
    };
    let targets: Vec<String> = if cluster.members.len() <= o.related + 1 {
        cluster.members.clone()
    } else {
        vec![doc.to_owned()]
    };
    targets
        .iter()
        .map(|t| Signal::Content {
            doc: t.clone(),
            neighbours: latest(t),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(doc: &str, other: &str, w: f64, t: i64) -> Signal {
        Signal::Pair {
            doc: doc.into(),
            other: other.into(),
            weight: w,
            time: t,
            same_query: false,
        }
    }

    #[test]
    fn a_count_is_told_at_every_tenth_of_growth() {
        assert!((1..=10).all(told));
        let times: Vec<u64> = (1..=1000).filter(|&n| told(n)).collect();
        assert_eq!(times.len(), 58, "{times:?}");
        // never more than a tenth (rounded up) apart
        for w in times.windows(2) {
            assert!(w[1] - w[0] <= w[0] / 10 + 1, "{w:?}");
        }
        let mut d = Document::default();
        d.neighbours.insert("b".into(), Decayed::default());
        let o = Options::default();
        let click = |d: &mut Document| {
            apply(
                d,
                &Signal::Click {
                    doc: "a".into(),
                    time: 0,
                },
                &o,
            )
            .len()
        };
        let sent: usize = (0..100).map(|_| click(&mut d)).sum();
        assert_eq!(sent, times.iter().filter(|&&n| n <= 100).count());
        // what is told is the bucket's first count, whenever it is asked
        for n in 1..=5000u64 {
            let t = told_count(n);
            assert!(t <= n && told(t), "{n}: {t}");
            assert!(
                (t..=n).skip(1).all(|m| !told(m)),
                "{n}: {t} is not the last told"
            );
        }
    }

    #[test]
    fn documents_opened_for_one_query_become_same_query_pairs_once() {
        let mut q = QueryDocs::default();
        assert!(
            opened_for(&mut q, "a", 1).is_empty(),
            "the first has no partner"
        );
        let out = opened_for(&mut q, "b", 2);
        assert_eq!(out.len(), 2, "both ways: {out:?}");
        assert!(out.iter().all(|s| matches!(s, Signal::Pair { same_query: true, weight, .. } if *weight == QUERY_WEIGHT)));
        assert_eq!(out[0].key(), "a");
        assert!(opened_for(&mut q, "a", 3).is_empty(), "once per document");
        assert_eq!(opened_for(&mut q, "c", 4).len(), 4);
        for d in ["e", "f", "g"] {
            opened_for(&mut q, d, 4);
        }
        assert_eq!(
            opened_for(&mut q, "h", 4).len(),
            2 * QUERY_PAIRS,
            "the recent ones only"
        );
        for i in 0..30 {
            opened_for(&mut q, &format!("d{i}"), 5);
        }
        assert_eq!(q.docs.len(), QUERY_DOCS, "bounded");
    }

    #[test]
    fn a_popular_neighbour_scores_below_a_faithful_one() {
        let o = Options::default();
        let mut a = Document::default();
        apply(
            &mut a,
            &Signal::Click {
                doc: "a".into(),
                time: 0,
            },
            &o,
        );
        for (other, w) in [("popular", 2.0), ("faithful", 1.5)] {
            apply(&mut a, &pair("a", other, w, 0), &o);
        }
        apply(
            &mut a,
            &Signal::Popularity {
                doc: "a".into(),
                of: "popular".into(),
                count: 100,
            },
            &o,
        );
        apply(
            &mut a,
            &Signal::Popularity {
                doc: "a".into(),
                of: "faithful".into(),
                count: 2,
            },
            &o,
        );
        let r = related(&a, &o);
        assert_eq!(r[0].0, "faithful", "{r:?}");
        assert_eq!(r[0].2, "co-click");
        assert!(r[0].1 > r[1].1);
    }

    #[test]
    fn the_order_of_signals_does_not_change_the_result() {
        let o = Options {
            half_life_ms: 1000.0,
            ..Options::default()
        };
        let signals = [
            pair("a", "b", 1.0, 0),
            pair("a", "b", 0.5, 3000),
            pair("a", "c", 1.0, 1500),
        ];
        let mut one = Document::default();
        let mut other = Document::default();
        for s in &signals {
            apply(&mut one, s, &o);
        }
        for s in signals.iter().rev() {
            apply(&mut other, s, &o);
        }
        let (x, y) = (related(&one, &o), related(&other, &o));
        assert_eq!(x.len(), 2);
        for (p, q) in x.iter().zip(&y) {
            assert_eq!(p.0, q.0);
            assert!((p.1 - q.1).abs() < 1e-6, "{x:?} {y:?}");
        }
        // 1.0 decayed 3 half-lives plus 0.5: 0.625
        assert!((one.neighbours["b"].value - 0.625).abs() < 1e-9);
    }

    #[test]
    fn neighbours_are_capped_and_told_the_popularity_once() {
        let o = Options {
            max_neighbours: 2,
            ..Options::default()
        };
        let mut a = Document::default();
        let told = apply(&mut a, &pair("a", "b", 3.0, 0), &o);
        assert_eq!(told.len(), 1, "b learns a's popularity");
        assert!(apply(&mut a, &pair("a", "b", 1.0, 0), &o).is_empty());
        apply(&mut a, &pair("a", "c", 2.0, 0), &o);
        apply(&mut a, &pair("a", "d", 1.0, 0), &o);
        assert_eq!(a.neighbours.keys().collect::<Vec<_>>(), ["b", "c"]);
        let fan = apply(
            &mut a,
            &Signal::Click {
                doc: "a".into(),
                time: 1,
            },
            &o,
        );
        assert_eq!(fan.len(), 2, "a click tells every neighbour");
    }

    #[test]
    fn a_cold_document_gets_its_clusters_members() {
        let o = Options {
            related: 2,
            ..Options::default()
        };
        let mut c = Cluster::default();
        assert_eq!(join(&mut c, "x", &o).len(), 1);
        let sent = join(&mut c, "y", &o);
        assert!(
            sent.contains(&Signal::Content {
                doc: "x".into(),
                neighbours: vec!["y".into()]
            }),
            "{sent:?}"
        );
        assert!(join(&mut c, "y", &o).is_empty(), "joined once");
        join(&mut c, "z", &o);
        let late = join(&mut c, "w", &o);
        assert_eq!(
            late,
            [Signal::Content {
                doc: "w".into(),
                neighbours: vec!["z".into(), "y".into()]
            }]
        );
        let mut d = Document::default();
        apply(&mut d, &late[0], &o);
        let r = related(&d, &o);
        assert_eq!(
            r,
            [
                ("y".into(), 0.0, "content".into()),
                ("z".into(), 0.0, "content".into())
            ]
        );
    }

    #[test]
    fn a_weight_is_written_short_and_read_in_both_forms() {
        let d = Decayed {
            value: 0.5,
            time: 7,
            same_query: true,
        };
        let json = serde_json::to_string(&d).expect("json");
        assert_eq!(json, "[0.5,7,true]");
        assert_eq!(serde_json::from_str::<Decayed>(&json).expect("short"), d);
        let old = r#"{"value": 0.5, "time": 7, "same_query": true}"#;
        assert_eq!(serde_json::from_str::<Decayed>(old).expect("old"), d);
    }
}
