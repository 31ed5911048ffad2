//! The recommender service's method as a stream: per session its recent clicks
//! ([`sessions`]) make signals ([`signals`]) to the documents they concern, and per
//! document those signals make its related documents ([`scores`]). The service runs
//! these steps on Kafka partitions; [`InMemory`] runs them in one process, in order,
//! which is what `docstream eval recommend` measures.

pub mod scores;
pub mod sessions;
pub mod signals;

use std::collections::{HashMap, VecDeque};

use signals::Signal;

/// Both steps over in-memory state.
#[derive(Debug, Default)]
pub struct InMemory {
    pub sessions: sessions::Options,
    pub scores: scores::Options,
    session_state: HashMap<String, sessions::Session>,
    documents: HashMap<String, scores::Document>,
    clusters: HashMap<String, scores::Cluster>,
    queries: HashMap<String, scores::QueryDocs>,
}

impl InMemory {
    pub fn new(sessions: sessions::Options, scores: scores::Options) -> Self {
        Self {
            sessions,
            scores,
            ..Self::default()
        }
    }

    /// One event of `session`: `doc` opened (from search `query`) at `time`.
    pub fn observe(&mut self, session: &str, doc: Option<&str>, query: Option<&str>, time: i64) {
        let s = self.session_state.entry(session.to_owned()).or_default();
        if let sessions::Outcome::Signals(out) =
            sessions::observe(s, doc, query, time, &self.sessions)
        {
            self.apply(out);
        }
    }

    /// `doc` is in `cluster`.
    pub fn member(&mut self, cluster: &str, doc: &str) {
        self.apply(vec![Signal::Member {
            cluster: cluster.to_owned(),
            doc: doc.to_owned(),
        }]);
    }

    /// Applies signals (a session's, as step 1 makes them) and those they cause, as
    /// step 2 does.
    pub fn apply(&mut self, first: Vec<Signal>) {
        let mut queue: VecDeque<Signal> = first.into();
        while let Some(s) = queue.pop_front() {
            let next = match &s {
                Signal::Member { cluster, doc } => scores::join(
                    self.clusters.entry(cluster.clone()).or_default(),
                    doc,
                    &self.scores,
                ),
                Signal::Query { doc, time, .. } => {
                    scores::opened_for(self.queries.entry(s.key()).or_default(), doc, *time)
                }
                other => scores::apply(
                    self.documents.entry(s.key()).or_default(),
                    other,
                    &self.scores,
                ),
            };
            queue.extend(next);
        }
    }

    /// A document's related documents (id, score, reason), best first.
    pub fn related(&self, doc: &str) -> Vec<(String, f32, String)> {
        self.documents
            .get(doc)
            .map(|d| scores::related(d, &self.scores))
            .unwrap_or_default()
    }
}

/// [`crate::evaluate`] for the stream: the training sessions and the test sessions'
/// prefixes observed in order (session `i` an hour after `i - 1`, clicks 20 s apart, so
/// no idle gap splits one and no cap cuts one), then `k` related documents asked of
/// each test session: (the related list of its last-but-one click, as a document's
/// page shows it; the session's list, [`crate::session::combine`] over the related
/// lists of its last `session.recent` clicks).
pub fn evaluate<S: AsRef<str>>(
    train: &[Vec<S>],
    test: &[Vec<S>],
    k: usize,
    sessions: sessions::Options,
    scores: scores::Options,
    session: crate::session::Options,
) -> (crate::Measured, crate::Measured) {
    let mut m = InMemory::new(
        sessions,
        scores::Options {
            related: k,
            ..scores
        },
    );
    let prefixes = test
        .iter()
        .filter(|s| s.len() >= 2)
        .map(|s| &s[..s.len() - 1]);
    for (i, s) in train.iter().map(Vec::as_slice).chain(prefixes).enumerate() {
        for (j, d) in s.iter().enumerate() {
            #[allow(clippy::cast_possible_wrap)]
            let time = i as i64 * 3_600_000 + j as i64 * 20_000;
            m.observe(&format!("s{i}"), Some(d.as_ref()), None, time);
        }
    }
    let document = crate::measure(test, k, |d| m.related(d).into_iter().map(|r| r.0).collect());
    let of_session = crate::measure_sessions(test, k, |prefix| {
        let lists: Vec<Vec<(String, f32)>> = prefix
            .iter()
            .rev()
            .take(session.recent)
            .map(|d| {
                m.related(d.as_ref())
                    .into_iter()
                    .map(|(id, s, _)| (id, s))
                    .collect()
            })
            .collect();
        let reading = prefix.last().map_or("", AsRef::as_ref);
        crate::session::combine(&lists, session.decay, reading, k)
    });
    (document, of_session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_opened_together_become_related_and_a_cold_one_gets_its_cluster() {
        let mut m = InMemory::default();
        for (i, s) in [["a", "b"], ["a", "b"], ["a", "c"]].iter().enumerate() {
            for (j, d) in s.iter().enumerate() {
                m.observe(&format!("s{i}"), Some(d), None, (i * 100 + j) as i64);
            }
        }
        let r = m.related("a");
        assert_eq!(
            r.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            ["b", "c"],
            "{r:?}"
        );
        m.member("k", "cold");
        m.member("k", "b");
        assert_eq!(
            m.related("cold"),
            [("b".to_owned(), 0.0, "content".to_owned())]
        );
    }
}
