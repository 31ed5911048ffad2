//! `docstream dlq`: the dead-letter topics for an operator. `list` counts each topic's
//! dead letters by error kind and reason (numbers in a reason masked, so one cause is
//! one line), with the oldest and newest; `show` prints chosen ones with their
//! `docstream.*` headers and the payload shortened; `replay` sends chosen ones back to
//! the topic they came from (key, payload and the producer's own headers as they were,
//! plus `docstream.replay.of`), and writes each replay to the compacted `dlq-replays`
//! topic, so a second replay of the same dead letter is skipped unless asked for;
//! `purge` deletes a topic's dead letters, only when confirmed.
//!
//! Choosing and counting are pure ([`Letter`], [`Filter`], [`summarize`]); reading and
//! sending are the `async` functions.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use contracts::DeadLetter;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

/// Where replays are recorded (topics.yaml).
pub const REPLAYS_TOPIC: &str = "dlq-replays";
/// The header a replayed message carries: `<dead-letter topic>/<partition>/<offset>`.
pub const REPLAY_OF: &str = "docstream.replay.of";

/// One dead letter as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    /// The message's timestamp (ms since the epoch), when it has one.
    pub timestamp_ms: Option<i64>,
}

impl Letter {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// `invalid`, `exhausted`, or `unknown` for a message without the header.
    pub fn kind(&self) -> &str {
        self.header(DeadLetter::ERROR_KIND).unwrap_or("unknown")
    }

    pub fn error(&self) -> &str {
        self.header(DeadLetter::ERROR)
            .unwrap_or("(no docstream.error header)")
    }

    /// The error with its numbers masked, at most 100 characters: one cause, one line.
    pub fn reason(&self) -> String {
        let mut out = String::new();
        let mut in_number = false;
        for c in self.error().chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push('N');
                }
                in_number = true;
            } else {
                in_number = false;
                out.push(c);
            }
        }
        match out.char_indices().nth(100) {
            Some((i, _)) => format!("{}…", &out[..i]),
            None => out,
        }
    }

    /// When it was dead-lettered: its `docstream.time`, else the message's timestamp.
    pub fn time(&self) -> String {
        self.header(DeadLetter::TIME)
            .map(str::to_owned)
            .unwrap_or_else(|| {
                self.timestamp_ms
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map_or_else(
                        || "?".into(),
                        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    )
            })
    }

    /// Its name in the replay record.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.topic, self.partition, self.offset)
    }

    /// The producer's own headers: all but the ones the dead-lettering added.
    pub fn original_headers(&self) -> impl Iterator<Item = &(String, Vec<u8>)> {
        const ADDED: [&str; 9] = [
            DeadLetter::ERROR,
            DeadLetter::ERROR_KIND,
            DeadLetter::SOURCE_TOPIC,
            DeadLetter::SOURCE_PARTITION,
            DeadLetter::SOURCE_OFFSET,
            DeadLetter::SERVICE,
            DeadLetter::TIME,
            DeadLetter::VERSION,
            REPLAY_OF,
        ];
        self.headers
            .iter()
            .filter(|(k, _)| !ADDED.contains(&k.as_str()))
    }
}

/// Which dead letters a command takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The error contains this text (case-insensitive).
    pub reason: Option<String>,
    /// `invalid` or `exhausted`.
    pub kind: Option<String>,
    pub partition: Option<i32>,
    /// Offsets from and to, both included.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Filter {
    pub fn takes(&self, l: &Letter) -> bool {
        self.reason
            .as_ref()
            .is_none_or(|r| l.error().to_lowercase().contains(&r.to_lowercase()))
            && self.kind.as_ref().is_none_or(|k| l.kind() == k)
            && self.partition.is_none_or(|p| l.partition == p)
            && self.from.is_none_or(|f| l.offset >= f)
            && self.to.is_none_or(|t| l.offset <= t)
    }
}

/// A topic's dead letters counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub oldest: Option<String>,
    pub newest: Option<String>,
    /// (kind, reason) → how many, most first when printed.
    pub by_reason: BTreeMap<(String, String), usize>,
}

pub fn summarize(letters: &[Letter]) -> Summary {
    let mut s = Summary::default();
    for l in letters {
        s.count += 1;
        let t = l.time();
        if s.oldest.as_ref().is_none_or(|o| &t < o) {
            s.oldest = Some(t.clone());
        }
        if s.newest.as_ref().is_none_or(|n| &t > n) {
            s.newest = Some(t);
        }
        *s.by_reason
            .entry((l.kind().to_owned(), l.reason()))
            .or_default() += 1;
    }
    s
}

/// The text `list` prints for one topic.
pub fn render_summary(topic: &str, s: &Summary) -> String {
    use std::fmt::Write as _;
    if s.count == 0 {
        return format!("{topic}: none\n");
    }
    let mut out = format!(
        "{topic}: {} dead letter(s), oldest {}, newest {}\n",
        s.count,
        s.oldest.as_deref().unwrap_or("?"),
        s.newest.as_deref().unwrap_or("?")
    );
    let mut rows: Vec<_> = s.by_reason.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for ((kind, reason), n) in rows {
        let _ = writeln!(out, "  {n:>7}  {kind:<9}  {reason}");
    }
    out
}

/// The text `show` prints for one dead letter; the payload cut at `width` characters.
pub fn render_letter(l: &Letter, width: usize) -> String {
    use std::fmt::Write as _;
    let text = |b: &Option<Vec<u8>>| {
        b.as_deref().map_or_else(
            || "(none)".to_owned(),
            |b| String::from_utf8_lossy(b).into_owned(),
        )
    };
    let mut out = format!("{}  key {}  {}\n", l.id(), text(&l.key), l.time());
    for (k, v) in &l.headers {
        if k.starts_with("docstream.") {
            let _ = writeln!(out, "    {k}: {}", String::from_utf8_lossy(v));
        }
    }
    let payload = text(&l.payload);
    let n = l.payload.as_ref().map_or(0, Vec::len);
    let short: String = payload.chars().take(width).collect();
    let more = if payload.chars().count() > width {
        "…"
    } else {
        ""
    };
    let _ = writeln!(out, "    payload ({n} bytes): {short}{more}");
    out
}

/// Every message of `topic` from its start to its end as it is now.
pub fn read_all(kafka: &ClientConfig, topic: &str) -> Result<Vec<Letter>> {
    let consumer: BaseConsumer = kafka
        .clone()
        .set(
            "group.id",
            format!("docstream-dlq-{}", uuid::Uuid::new_v4().simple()),
        )
        .set("enable.auto.commit", "false")
        .set("fetch.message.max.bytes", "52428800")
        .create()
        .context("kafka consumer")?;
    let timeout = Duration::from_secs(10);
    let meta = consumer
        .fetch_metadata(Some(topic), timeout)
        .with_context(|| format!("metadata of {topic}"))?;
    let Some(t) = meta.topics().first().filter(|t| t.error().is_none()) else {
        bail!("no topic {topic} on the broker");
    };
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for p in t.partitions() {
        let (low, high) = consumer
            .fetch_watermarks(topic, p.id(), timeout)
            .with_context(|| format!("offsets of {topic}/{}", p.id()))?;
        if high > low {
            tpl.add_partition_offset(topic, p.id(), Offset::Offset(low))?;
            ends.insert(p.id(), high);
        }
    }
    let mut out = Vec::new();
    if ends.is_empty() {
        return Ok(out);
    }
    consumer.assign(&tpl)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut done = BTreeSet::new();
    while done.len() < ends.len() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "reading {topic} took over 60 s"
        );
        let Some(m) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let m = m.with_context(|| format!("reading {topic}"))?;
        let end = ends[&m.partition()];
        if m.offset() + 1 >= end {
            done.insert(m.partition());
        }
        if m.offset() >= end {
            continue;
        }
        out.push(Letter {
            topic: topic.to_owned(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(<[u8]>::to_vec),
            payload: m.payload().map(<[u8]>::to_vec),
            headers: m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                })
                .unwrap_or_default(),
            timestamp_ms: m.timestamp().to_millis(),
        });
    }
    Ok(out)
}

/// The ids already replayed, from the replay record (empty when it does not exist).
pub fn replayed(kafka: &ClientConfig, record: &str) -> Result<BTreeSet<String>> {
    match read_all(kafka, record) {
        Ok(letters) => Ok(letters
            .into_iter()
            .filter(|l| l.payload.is_some())
            .filter_map(|l| l.key.and_then(|k| String::from_utf8(k).ok()))
            .collect()),
        Err(e) if e.to_string().starts_with("no topic") => Ok(BTreeSet::new()),
        Err(e) => Err(e),
    }
}

/// What `replay` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    pub sent: usize,
    /// Replayed before (not sent again without `again`).
    pub skipped: usize,
    /// Without a `docstream.source.topic` header: nowhere to send them.
    pub no_source: usize,
}

/// Sends `letters` back to their source topics and records each replay; with
/// `dry_run`, prints what it would send and sends nothing.
pub async fn replay(
    kafka: &ClientConfig,
    letters: &[Letter],
    record: &str,
    again: bool,
    dry_run: bool,
) -> Result<Replayed> {
    let done = replayed(kafka, record)?;
    let producer: FutureProducer = kafka
        .clone()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.max.bytes", "10485760")
        .create()
        .context("kafka producer")?;
    let mut r = Replayed::default();
    for l in letters {
        let Some(target) = l.header(DeadLetter::SOURCE_TOPIC) else {
            r.no_source += 1;
            continue;
        };
        if done.contains(&l.id()) && !again {
            r.skipped += 1;
            continue;
        }
        if dry_run {
            println!("would send {} to {target}", l.id());
            r.sent += 1;
            continue;
        }
        let mut headers = OwnedHeaders::new();
        for (k, v) in l.original_headers() {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let id = l.id();
        headers = headers.insert(Header {
            key: REPLAY_OF,
            value: Some(&id),
        });
        let mut message = FutureRecord::to(target).headers(headers);
        if let Some(k) = &l.key {
            message = message.key(k);
        }
        if let Some(p) = &l.payload {
            message = message.payload(p);
        }
        producer
            .send(message, Duration::from_secs(30))
            .await
            .map_err(|(e, _)| e)
            .with_context(|| format!("send {id} to {target}"))?;
        let note = serde_json::json!({
            "to": target,
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .to_string();
        producer
            .send(
                FutureRecord::to(record).key(&id).payload(&note),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .with_context(|| format!("record the replay of {id} in {record}"))?;
        r.sent += 1;
    }
    Ok(r)
}

/// Deletes every message of `topic` up to its end as it is now; how many.
pub async fn purge(kafka: &ClientConfig, topic: &str) -> Result<i64> {
    use rdkafka::admin::{AdminClient, AdminOptions};
    let consumer: BaseConsumer = kafka.create().context("kafka client")?;
    let timeout = Duration::from_secs(10);
    let meta = consumer.fetch_metadata(Some(topic), timeout)?;
    let Some(t) = meta.topics().first().filter(|t| t.error().is_none()) else {
        bail!("no topic {topic} on the broker");
    };
    let mut tpl = TopicPartitionList::new();
    let mut n = 0;
    for p in t.partitions() {
        let (low, high) = consumer.fetch_watermarks(topic, p.id(), timeout)?;
        n += high - low;
        tpl.add_partition_offset(topic, p.id(), Offset::Offset(high))?;
    }
    let admin: AdminClient<_> = kafka.create().context("kafka admin client")?;
    let result = admin
        .delete_records(&tpl, &AdminOptions::new().operation_timeout(Some(timeout)))
        .await
        .with_context(|| format!("delete the records of {topic}"))?;
    for e in result.elements() {
        if let Err(err) = e.error() {
            bail!("delete the records of {topic}/{}: {err}", e.partition());
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(offset: i64, kind: &str, error: &str) -> Letter {
        Letter {
            topic: "dlq.x".into(),
            partition: 0,
            offset,
            key: Some(b"k".to_vec()),
            payload: Some(b"{\"a\": 1}".to_vec()),
            headers: vec![
                (DeadLetter::ERROR.into(), error.as_bytes().to_vec()),
                (DeadLetter::ERROR_KIND.into(), kind.as_bytes().to_vec()),
                (
                    DeadLetter::TIME.into(),
                    format!("2026-12-01T10:00:0{offset}Z").into_bytes(),
                ),
                ("traceparent".into(), b"00-abc".to_vec()),
            ],
            timestamp_ms: None,
        }
    }

    #[test]
    fn one_cause_is_one_line_and_the_times_bound_the_topic() {
        let ls = [
            letter(1, "exhausted", "get pdf 17: status 503"),
            letter(2, "exhausted", "get pdf 123: status 503"),
            letter(3, "invalid", "RawEtd: expected value at line 1 column 2"),
        ];
        let s = summarize(&ls);
        assert_eq!(s.count, 3);
        assert_eq!(s.oldest.as_deref(), Some("2026-12-01T10:00:01Z"));
        assert_eq!(s.newest.as_deref(), Some("2026-12-01T10:00:03Z"));
        assert_eq!(
            s.by_reason[&("exhausted".into(), "get pdf N: status N".into())],
            2
        );
        let text = render_summary("dlq.x", &s);
        assert!(
            text.starts_with("dlq.x: 3 dead letter(s), oldest 2026-12-01T10:00:01Z"),
            "{text}"
        );
        assert!(
            text.contains("\n        2  exhausted  get pdf N: status N\n"),
            "{text}"
        );
        assert_eq!(
            render_summary("dlq.y", &Summary::default()),
            "dlq.y: none\n"
        );
    }

    #[test]
    fn filters_take_reason_kind_and_offsets() {
        let ls = [
            letter(1, "exhausted", "PDF missing"),
            letter(2, "invalid", "bad json"),
            letter(3, "exhausted", "pdf missing"),
        ];
        let take = |f: Filter| -> Vec<i64> {
            ls.iter().filter(|l| f.takes(l)).map(|l| l.offset).collect()
        };
        assert_eq!(
            take(Filter {
                reason: Some("pdf MISSING".into()),
                ..Filter::default()
            }),
            [1, 3]
        );
        assert_eq!(
            take(Filter {
                kind: Some("invalid".into()),
                ..Filter::default()
            }),
            [2]
        );
        assert_eq!(
            take(Filter {
                from: Some(2),
                to: Some(3),
                ..Filter::default()
            }),
            [2, 3]
        );
        assert_eq!(take(Filter::default()), [1, 2, 3]);
    }

    #[test]
    fn a_replay_keeps_the_producers_headers_and_drops_the_dead_letters() {
        let l = letter(1, "exhausted", "x");
        let kept: Vec<&str> = l.original_headers().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kept, ["traceparent"]);
        assert_eq!(l.id(), "dlq.x/0/1");
        let shown = render_letter(&l, 4);
        assert!(
            shown.contains("    docstream.error.kind: exhausted\n"),
            "{shown}"
        );
        assert!(shown.contains("payload (8 bytes): {\"a\"…"), "{shown}");
        assert!(!shown.contains("traceparent"), "{shown}");
    }
}
