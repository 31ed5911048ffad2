//! Every search and every opened document as a `LogEvent` (schema 2) on the `logs`
//! topic, keyed by the pseudonymous session. Producing never slows or fails a
//! request: events go into a bounded buffer a background task drains; when it is full
//! the event is dropped and counted (`…_outcomes_total{kind="log_events",value="dropped"}`).

use contracts::{encode, LogData, LogEvent, SearchActivity};
use rdkafka::producer::FutureProducer;
use runtime::{Metrics, Outgoing};
use tokio::sync::mpsc;

/// The search that was made.
pub fn search_event(
    session: &str,
    query_id: &str,
    collection: Option<&str>,
    query: &str,
    filters: &[(String, String)],
    total: u64,
    time: String,
) -> LogEvent {
    let filters: serde_json::Map<String, serde_json::Value> = filters
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    event(LogData {
        activity: Some(SearchActivity {
            url: None,
            search_text: query.to_owned(),
            filters: serde_json::Value::Object(filters),
        }),
        query_id: Some(query_id.to_owned()),
        collection: collection.map(str::to_owned),
        total: Some(total),
        ..data(session, collection, time)
    })
}

/// A result that was opened: which, at what rank, from which search.
pub fn click_event(
    session: &str,
    query_id: Option<&str>,
    doc: &contracts::DocId,
    rank: Option<u32>,
    time: String,
) -> LogEvent {
    let collection = doc.collection();
    event(LogData {
        query_id: query_id.map(str::to_owned),
        rank,
        collection: Some(collection.to_owned()),
        doc_id: Some(doc.to_string()),
        ..data(session, Some(collection), time)
    })
}

fn data(session: &str, collection: Option<&str>, time: String) -> LogData {
    LogData {
        user: None,
        // the old front end's names: `etd`, `tobacco`
        dataset: match collection {
            Some("etds") => "etd".into(),
            Some(c) => c.to_owned(),
            None => "all".into(),
        },
        time,
        ip: None,
        activity: None,
        hit: None,
        session: Some(session.to_owned()),
        query_id: None,
        rank: None,
        collection: None,
        doc_id: None,
        total: None,
    }
}

fn event(data: LogData) -> LogEvent {
    LogEvent {
        schema_version: 2,
        status: Some(200),
        message: None,
        data,
    }
}

/// The bounded buffer in front of the producer.
#[derive(Debug, Clone)]
pub struct LogSink {
    tx: mpsc::Sender<LogEvent>,
    metrics: Metrics,
}

impl LogSink {
    /// Starts the task that writes the buffer's events to `topic`; it ends when every
    /// sink is dropped and what was buffered is written (await it at shutdown, so a
    /// SIGTERM loses no event).
    pub fn spawn(
        producer: FutureProducer,
        topic: String,
        capacity: usize,
        metrics: Metrics,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<LogEvent>(capacity.max(1));
        let m = metrics.clone();
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while rx.recv_many(&mut batch, 500).await > 0 {
                let out: Vec<Outgoing> = batch
                    .drain(..)
                    .map(|e| Outgoing::keyed(topic.clone(), e.key().to_owned(), encode(&e)))
                    .collect();
                match runtime::publish_all(&producer, &out).await {
                    Ok(()) => m.count_by("log_events", "produced", out.len() as u64),
                    Err(e) => {
                        tracing::warn!(error = %e, events = out.len(), "log events lost");
                        m.count_by("log_events", "dropped", out.len() as u64);
                    }
                }
            }
        });
        (Self { tx, metrics }, task)
    }

    /// Queues `e`, or drops and counts it when the buffer is full.
    pub fn send(&self, e: LogEvent) {
        if self.tx.try_send(e).is_err() {
            self.metrics.count("log_events", "dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_session_and_no_person() {
        let s = search_event(
            "s1",
            "q1",
            Some("etds"),
            "lasers",
            &[("year".into(), "2019".into())],
            7,
            "t".into(),
        );
        assert_eq!(s.key(), "s1");
        assert!(!s.is_click());
        assert_eq!(s.data.dataset, "etd");
        assert_eq!(s.data.total, Some(7));
        assert_eq!(
            s.data.activity.as_ref().map(|a| a.filters["year"].clone()),
            Some("2019".into())
        );
        let id: contracts::DocId = "tobacco:ab12".parse().expect("id");
        let c = click_event("s1", Some("q1"), &id, Some(3), "t".into());
        assert!(c.is_click());
        assert_eq!(c.clicked_doc().as_deref(), Some("tobacco:ab12"));
        let json = String::from_utf8(encode(&c)).expect("utf8");
        assert!(
            !json.contains("\"user\"") && !json.contains("\"ip\""),
            "{json}"
        );
    }
}
