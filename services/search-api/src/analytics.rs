//! The analytics page's figures from the logged events: searches, opened documents,
//! top queries, queries that found nothing, and the click-through rate (the share of
//! searches after which a result was opened). Every replica reads the whole `logs`
//! topic itself (assigned every partition from the start, no consumer group offsets),
//! so each shows every replica's events, as Kibana over a log index would. The tally
//! is pure and bounded: at most [`MAX_QUERIES`] distinct queries (the rarest pruned)
//! and the last [`MAX_SEARCHES`] query ids remembered for the click-through rate.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use contracts::LogEvent;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use settings::KafkaSettings;

/// Distinct queries counted at most.
pub const MAX_QUERIES: usize = 50_000;
/// Searches whose clicks are matched to them at most.
pub const MAX_SEARCHES: usize = 200_000;

/// Counts of the logged events.
#[derive(Debug, Default)]
pub struct Tally {
    pub searches: u64,
    pub clicks: u64,
    /// Since the first event seen (its `time`).
    pub since: Option<String>,
    queries: HashMap<String, (u64, u64)>,
    recent: VecDeque<String>,
    searched: HashSet<String>,
    clicked: HashSet<String>,
}

/// A query as it is counted: lower case, spaces collapsed.
pub fn normalise(q: &str) -> String {
    q.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Tally {
    /// Counts one event: a search (with its text and result count) or an opened
    /// document (with the query id it came from).
    pub fn observe(&mut self, e: &LogEvent) {
        if self.since.is_none() {
            self.since = Some(e.data.time.clone());
        }
        if e.is_click() {
            self.clicks += 1;
            if let Some(q) = &e.data.query_id {
                if self.searched.contains(q) {
                    self.clicked.insert(q.clone());
                }
            }
            return;
        }
        let Some(activity) = &e.data.activity else {
            return;
        };
        self.searches += 1;
        let q = normalise(&activity.search_text);
        if !q.is_empty() {
            let entry = self.queries.entry(q).or_default();
            entry.0 += 1;
            if e.data.total == Some(0) {
                entry.1 += 1;
            }
            if self.queries.len() > MAX_QUERIES {
                self.queries.retain(|_, (n, _)| *n > 1);
            }
        }
        if let Some(id) = &e.data.query_id {
            self.recent.push_back(id.clone());
            self.searched.insert(id.clone());
            if self.recent.len() > MAX_SEARCHES {
                if let Some(old) = self.recent.pop_front() {
                    self.searched.remove(&old);
                    self.clicked.remove(&old);
                }
            }
        }
    }

    /// The share of remembered searches (with a query id) after which a result was
    /// opened; `None` before any.
    pub fn click_through(&self) -> Option<f64> {
        (!self.searched.is_empty()).then(|| self.clicked.len() as f64 / self.searched.len() as f64)
    }

    /// The most frequent queries with their counts.
    pub fn top_queries(&self, n: usize) -> Vec<(String, u64)> {
        top(self.queries.iter().map(|(q, (c, _))| (q.clone(), *c)), n)
    }

    /// The most frequent queries that found nothing.
    pub fn zero_result_queries(&self, n: usize) -> Vec<(String, u64)> {
        top(
            self.queries
                .iter()
                .filter(|(_, (_, z))| *z > 0)
                .map(|(q, (_, z))| (q.clone(), *z)),
            n,
        )
    }

    /// Searches that found nothing.
    pub fn zero_results(&self) -> u64 {
        self.queries.values().map(|(_, z)| z).sum()
    }
}

fn top(items: impl Iterator<Item = (String, u64)>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = items.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// Reads every partition of `topic` from the start into the tally, then follows it,
/// on a thread of its own until the process ends. Lines that are not log events are
/// skipped (the recommender dead-letters them; here they only do not count).
pub fn follow(
    kafka: &KafkaSettings,
    topic: &str,
    tally: Arc<Mutex<Tally>>,
) -> Result<(), rdkafka::error::KafkaError> {
    let mut c = kafka.client_config();
    c.set(
        "group.id",
        format!(
            "docstream-search-api-analytics-{}",
            uuid::Uuid::new_v4().simple()
        ),
    )
    .set("enable.auto.commit", "false")
    .set("enable.partition.eof", "false");
    kafka.apply_overrides(&mut c);
    let consumer: BaseConsumer = c.create()?;
    let topic = topic.to_owned();
    std::thread::Builder::new()
        .name("analytics".into())
        .spawn(move || {
            let mut assigned = 0;
            loop {
                if assigned == 0 {
                    match consumer.fetch_metadata(Some(&topic), Duration::from_secs(5)) {
                        Ok(m) => {
                            let mut list = TopicPartitionList::new();
                            for t in m.topics() {
                                for p in t.partitions() {
                                    let _ = list.add_partition_offset(
                                        t.name(),
                                        p.id(),
                                        Offset::Beginning,
                                    );
                                }
                            }
                            if list.count() > 0 && consumer.assign(&list).is_ok() {
                                assigned = list.count();
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "analytics: no metadata yet"),
                    }
                    if assigned == 0 {
                        std::thread::sleep(Duration::from_secs(2));
                        continue;
                    }
                }
                match consumer.poll(Duration::from_millis(500)) {
                    Some(Ok(m)) => {
                        if let Some(Ok(e)) = m.payload().map(contracts::decode::<LogEvent>) {
                            if let Ok(mut t) = tally.lock() {
                                t.observe(&e);
                            }
                        }
                    }
                    Some(Err(e)) => tracing::warn!(error = %e, "analytics: read failed"),
                    None => {}
                }
            }
        })
        .map(|_| ())
        .map_err(|e| rdkafka::error::KafkaError::ClientCreation(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(qid: &str, q: &str, total: u64) -> LogEvent {
        crate::logs::search_event(
            "s1",
            qid,
            None,
            q,
            &[],
            total,
            "2026-12-01T00:00:00Z".into(),
        )
    }

    fn click(qid: &str) -> LogEvent {
        let id: contracts::DocId = "etd:10919/5".parse().expect("id");
        crate::logs::click_event("s1", Some(qid), &id, Some(1), "2026-12-01T00:00:01Z".into())
    }

    #[test]
    fn searches_clicks_and_empty_queries_are_counted() {
        let mut t = Tally::default();
        for e in [
            search("a", "Deep  Learning", 5),
            search("b", "deep learning", 5),
            search("c", "qwzx", 0),
            click("a"),
            click("a"),
            click("unknown"),
        ] {
            t.observe(&e);
        }
        assert_eq!((t.searches, t.clicks), (3, 3));
        assert_eq!(t.top_queries(1), [("deep learning".to_owned(), 2)]);
        assert_eq!(t.zero_result_queries(5), [("qwzx".to_owned(), 1)]);
        assert_eq!(t.zero_results(), 1);
        let ctr = t.click_through().expect("searches");
        assert!((ctr - 1.0 / 3.0).abs() < 1e-9, "{ctr}");
        assert_eq!(t.since.as_deref(), Some("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Tally::default();
        for i in 0..(MAX_QUERIES + 10) {
            t.observe(&search(&i.to_string(), &format!("q{i}"), 1));
        }
        assert!(t.queries.len() <= MAX_QUERIES, "{}", t.queries.len());
        assert!(t.recent.len() <= MAX_SEARCHES);
    }
}
