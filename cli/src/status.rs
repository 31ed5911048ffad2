//! `docstream status`: one screen for an operator. Each topic of topics.yaml and how
//! many messages it holds; each consuming service's group and its lag per input topic;
//! the dead letters per service; the engine's documents per collection and the index
//! behind each alias; which services answer `/readyz`. What cannot be read says why on
//! its line; the exit status is 3 when a topic is missing, the engine cannot be asked,
//! or a service is not ready.
//!
//! Gathering talks to the servers ([`gather`]); printing is pure ([`render`]).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use searchindex::{Collection, EngineSettings, Layout};

/// A topic: messages now held (end minus start, summed over partitions), or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicState {
    pub name: String,
    pub partitions: usize,
    pub messages: Result<i64, String>,
    /// Per partition: (start, end) offsets.
    pub offsets: Vec<(i64, i64)>,
}

/// A consuming service's group and its lag per input topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    pub service: String,
    pub group: String,
    pub lag: Vec<TopicLag>,
}

/// Messages of one input topic a group has not processed, or why not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLag {
    pub topic: String,
    pub lag: Result<i64, String>,
    /// False when the group committed nothing yet (the lag is then all the topic holds).
    pub committed: bool,
}

/// A collection's alias: the indices behind it with their documents, or why not known.
pub type Indices = Result<Vec<(String, u64)>, String>;

/// Everything `status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub topics: Vec<TopicState>,
    pub groups: Vec<GroupState>,
    /// (collection, alias, indices with their documents) or why not.
    pub engine: Vec<(String, String, Indices)>,
    /// (service, url, ready or why not).
    pub ready: Vec<(String, String, Result<(), String>)>,
}

impl Status {
    /// True when something needs a look: a missing topic, the engine not answering, a
    /// service not ready.
    pub fn unhealthy(&self) -> bool {
        self.topics.iter().any(|t| t.messages.is_err())
            || self.engine.iter().any(|e| e.2.is_err())
            || self.ready.iter().any(|r| r.2.is_err())
    }
}

/// A topic's size from the broker's metadata of every topic (one request) and its
/// partitions' offsets.
fn topic_state(
    consumer: &BaseConsumer,
    meta: &Result<rdkafka::metadata::Metadata, String>,
    name: &str,
) -> TopicState {
    let mut t = TopicState {
        name: name.to_owned(),
        partitions: 0,
        messages: Err("not read".into()),
        offsets: Vec::new(),
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) => {
            t.messages = Err(format!("metadata: {e}"));
            return t;
        }
    };
    let Some(mt) = meta
        .topics()
        .iter()
        .find(|m| m.name() == name && m.error().is_none() && !m.partitions().is_empty())
    else {
        t.messages = Err("missing on the broker (docstream topics apply)".into());
        return t;
    };
    t.partitions = mt.partitions().len();
    let mut total = 0;
    for p in mt.partitions() {
        match consumer.fetch_watermarks(name, p.id(), Duration::from_secs(5)) {
            Ok((low, high)) => {
                total += high - low;
                t.offsets.push((low, high));
            }
            Err(e) => {
                t.messages = Err(format!("offsets of partition {}: {e}", p.id()));
                return t;
            }
        }
    }
    t.messages = Ok(total);
    t
}

/// The lag of `group` on each of `topics` (by name, with their offsets as read; `None`
/// for one topics.yaml lacks), from one request for the group's committed offsets of
/// all of them.
fn group_lag(
    kafka: &ClientConfig,
    group: &str,
    topics: &[(String, Option<&TopicState>)],
) -> Vec<TopicLag> {
    let committed = (|| {
        let consumer: BaseConsumer = settings::reading_committed_offsets(
            kafka
                .clone()
                .set("group.id", group)
                .set("enable.auto.commit", "false"),
        )
        .create()
        .map_err(|e| e.to_string())?;
        let mut tpl = TopicPartitionList::new();
        for t in topics.iter().filter_map(|(_, t)| *t) {
            for p in 0..t.offsets.len() {
                tpl.add_partition(&t.name, i32::try_from(p).unwrap_or(i32::MAX));
            }
        }
        consumer
            .committed_offsets(tpl, Duration::from_secs(5))
            .map_err(|e| format!("committed offsets: {e}"))
    })();
    topics
        .iter()
        .map(|(name, t)| {
            let (lag, committed) = match (t, &committed) {
                (None, _) => (Err("not in topics.yaml".to_owned()), false),
                (Some(_), Err(e)) => (Err(e.clone()), false),
                (Some(t), Ok(c)) => match lag_of(t, c) {
                    Ok((n, any)) => (Ok(n), any),
                    Err(e) => (Err(e), false),
                },
            };
            TopicLag {
                topic: name.clone(),
                lag,
                committed,
            }
        })
        .collect()
}

/// A topic's lag against the committed offsets: (lag, committed anything).
fn lag_of(topic: &TopicState, committed: &TopicPartitionList) -> Result<(i64, bool), String> {
    if topic.offsets.is_empty() {
        return Err(topic
            .messages
            .clone()
            .err()
            .unwrap_or_else(|| "no partitions".into()));
    }
    let (mut lag, mut any) = (0, false);
    for (p, (low, high)) in topic.offsets.iter().enumerate() {
        let at = committed
            .find_partition(&topic.name, i32::try_from(p).unwrap_or(i32::MAX))
            .map(|e| e.offset());
        lag += match at {
            Some(Offset::Offset(o)) => {
                any = true;
                (high - o.max(*low)).max(0)
            }
            _ => high - low,
        };
    }
    Ok((lag, any))
}

/// Reads everything: the broker's topics and groups, the engine, the services.
pub async fn gather(
    kafka: &ClientConfig,
    engine: &EngineSettings,
    services: &[(String, String)],
) -> Result<Status> {
    let file = topics::TopicsFile::embedded()?;
    let consumer: BaseConsumer = kafka.clone().create().context("kafka client")?;
    let meta = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(|e| e.to_string());
    let topics: Vec<TopicState> = file
        .topics
        .iter()
        .map(|t| topic_state(&consumer, &meta, &t.name))
        .collect();
    let by_name: BTreeMap<&str, &TopicState> =
        topics.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut consumers: Vec<&str> = file
        .topics
        .iter()
        .flat_map(|t| t.consumers.iter().map(String::as_str))
        .filter(|c| *c != "operators")
        .collect();
    consumers.sort_unstable();
    consumers.dedup();
    let groups = consumers
        .into_iter()
        .map(|service| {
            let group = settings::facts::group_id(service);
            let inputs: Vec<(String, Option<&TopicState>)> = file
                .consumed_by(service)
                .into_iter()
                .map(|t| {
                    let state = by_name.get(t.as_str()).copied();
                    (t, state)
                })
                .collect();
            let lag = group_lag(kafka, &group, &inputs);
            GroupState {
                service: service.to_owned(),
                group,
                lag,
            }
        })
        .collect();

    let layout = Layout::new(engine);
    let mut engine_rows = Vec::new();
    match engine.client() {
        Ok(es) => {
            for c in Collection::ALL {
                let got = layout.behind(&es, c).await.map_err(|e| e.to_string());
                engine_rows.push((c.name().to_owned(), layout.alias(c), got));
            }
        }
        Err(e) => engine_rows.push(("-".into(), "-".into(), Err(e.to_string()))),
    }

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .context("http client")?;
    let mut ready = Vec::new();
    for (name, url) in services {
        let answer = match http
            .get(format!("{}/readyz", url.trim_end_matches('/')))
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("not ready ({})", r.status())),
            Err(e) => Err(format!("no answer: {}", e.without_url())),
        };
        ready.push((name.clone(), url.clone(), answer));
    }
    Ok(Status {
        topics,
        groups,
        engine: engine_rows,
        ready,
    })
}

/// The screen.
pub fn render(s: &Status) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("topics (messages held)\n");
    for t in s.topics.iter().filter(|t| !t.name.starts_with("dlq.")) {
        match &t.messages {
            Ok(n) => {
                let _ = writeln!(
                    out,
                    "  {:<28} {n:>10}  ({} partitions)",
                    t.name, t.partitions
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  {:<28} {:>10}  {e}", t.name, "-");
            }
        }
    }
    out.push_str("\nconsumer groups (lag: messages not yet processed)\n");
    for g in &s.groups {
        let parts: Vec<String> = g
            .lag
            .iter()
            .map(|l| match (&l.lag, l.committed) {
                (Ok(n), true) => format!("{} {n}", l.topic),
                (Ok(n), false) => format!(
                    "{} {n} (nothing committed: not yet, or read beside the group)",
                    l.topic
                ),
                (Err(e), _) => format!("{} ? ({e})", l.topic),
            })
            .collect();
        // what the group itself committed; a topic it never committed is shown, not summed
        let total: i64 = g
            .lag
            .iter()
            .filter(|l| l.committed)
            .filter_map(|l| l.lag.as_ref().ok())
            .sum();
        let _ = writeln!(
            out,
            "  {:<16} {total:>10}  {}  [{}]",
            g.service,
            parts.join(", "),
            g.group
        );
    }
    out.push_str("\ndead letters\n");
    for t in s.topics.iter().filter(|t| t.name.starts_with("dlq.")) {
        let service = t.name.trim_start_matches("dlq.");
        match &t.messages {
            Ok(0) => {
                let _ = writeln!(out, "  {service:<16} {:>10}", 0);
            }
            Ok(n) => {
                let _ = writeln!(
                    out,
                    "  {service:<16} {n:>10}  (docstream dlq list --topic {})",
                    t.name
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  {service:<16} {:>10}  {e}", "-");
            }
        }
    }
    out.push_str("\nsearch engine (documents per collection)\n");
    for (c, alias, got) in &s.engine {
        match got {
            Ok(indices) if indices.is_empty() => {
                let _ = writeln!(out, "  {c:<16} {:>10}  no index behind {alias} yet", 0);
            }
            Ok(indices) => {
                let docs: u64 = indices.iter().map(|i| i.1).sum();
                let names: Vec<&str> = indices.iter().map(|i| i.0.as_str()).collect();
                let _ = writeln!(out, "  {c:<16} {docs:>10}  {alias} -> {}", names.join(", "));
            }
            Err(e) => {
                let _ = writeln!(out, "  {c:<16} {:>10}  {e}", "-");
            }
        }
    }
    out.push_str("\nservices (/readyz)\n");
    if s.ready.is_empty() {
        out.push_str("  none given (--service NAME=URL, or DOCSTREAM_STATUS_SERVICES)\n");
    }
    for (name, url, r) in &s.ready {
        let state = match r {
            Ok(()) => "ready".to_owned(),
            Err(e) => e.clone(),
        };
        let _ = writeln!(out, "  {name:<16} {state}  {url}");
    }
    out
}

/// `NAME=URL` pairs, from flags and `DOCSTREAM_STATUS_SERVICES` (comma-separated).
pub fn parse_services(
    flags: &[String],
    env: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    flags
        .iter()
        .map(String::as_str)
        .chain(
            env.into_iter()
                .flat_map(|e| e.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty()),
        )
        .map(|s| {
            s.split_once('=')
                .filter(|(n, u)| {
                    !n.is_empty() && (u.starts_with("http://") || u.starts_with("https://"))
                })
                .map(|(n, u)| (n.to_owned(), u.to_owned()))
                .ok_or_else(|| format!("{s:?} is not NAME=http://host:port"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_shows_sizes_lag_dead_letters_indices_and_readiness() {
        let s = Status {
            topics: vec![
                TopicState {
                    name: "raw.etds".into(),
                    partitions: 6,
                    messages: Ok(120),
                    offsets: vec![],
                },
                TopicState {
                    name: "logs".into(),
                    partitions: 0,
                    messages: Err("missing on the broker (docstream topics apply)".into()),
                    offsets: vec![],
                },
                TopicState {
                    name: "dlq.etd-ingest".into(),
                    partitions: 1,
                    messages: Ok(2),
                    offsets: vec![],
                },
            ],
            groups: vec![GroupState {
                service: "etd-ingest".into(),
                group: "docstream-etd-ingest".into(),
                lag: vec![TopicLag {
                    topic: "raw.etds".into(),
                    lag: Ok(7),
                    committed: true,
                }],
            }],
            engine: vec![(
                "etds".into(),
                "docstream-etds".into(),
                Ok(vec![("docstream-etds-v1".into(), 113)]),
            )],
            ready: vec![
                ("indexer".into(), "http://127.0.0.1:9103".into(), Ok(())),
                (
                    "summarizer".into(),
                    "http://127.0.0.1:9108".into(),
                    Err("no answer: refused".into()),
                ),
            ],
        };
        let text = render(&s);
        assert!(
            text.contains("  raw.etds                            120  (6 partitions)\n"),
            "{text}"
        );
        assert!(
            text.contains("logs") && text.contains("missing on the broker"),
            "{text}"
        );
        assert!(
            text.contains("  etd-ingest                7  raw.etds 7  [docstream-etd-ingest]\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "  etd-ingest                2  (docstream dlq list --topic dlq.etd-ingest)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  etds                    113  docstream-etds -> docstream-etds-v1\n"),
            "{text}"
        );
        assert!(
            text.contains("  indexer          ready  http://127.0.0.1:9103\n"),
            "{text}"
        );
        assert!(
            text.contains("  summarizer       no answer: refused"),
            "{text}"
        );
        assert!(s.unhealthy());
    }

    #[test]
    fn services_come_from_flags_and_the_variable() {
        let got = parse_services(
            &["indexer=http://127.0.0.1:9103".into()],
            Some("a=http://x:1, b=https://y:2"),
        )
        .expect("pairs");
        assert_eq!(got.len(), 3);
        assert_eq!(got[2], ("b".into(), "https://y:2".into()));
        assert!(parse_services(&["indexer".into()], None).is_err());
        assert!(parse_services(&["x=ftp://y".into()], None).is_err());
    }
}
