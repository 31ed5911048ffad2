//! Dead letters, one format everywhere: the original key, payload and headers, plus
//! headers that say what went wrong (`docstream.error`, `…error.kind`), where the
//! record came from (a Kafka message's topic, partition and offset, or a source's
//! database record), which service gave up on it, when, and the format's version.
//! Pure; the loops and sources produce them.

use contracts::DeadLetter as H;

use crate::processor::Outgoing;

/// Where a dead-lettered record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A message of an input topic.
    Kafka {
        topic: &'a str,
        partition: i32,
        offset: i64,
    },
    /// A source's database record: `docstream.source.<kind>` = `id` (`row` =
    /// `tobacco_docs/17`, `document` = `etds/65a…`).
    Record { kind: &'a str, id: &'a str },
}

/// The headers of a dead letter: the original ones first, then docstream's.
pub fn dead_letter_headers(
    original: &[(String, Vec<u8>)],
    error: &str,
    kind: &str,
    origin: Origin<'_>,
    service: &str,
    time: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, Vec<u8>)> {
    let mut out = original.to_vec();
    let one_line: String = error.lines().collect::<Vec<_>>().join(" ");
    out.push((H::ERROR.to_owned(), one_line.into_bytes()));
    out.push((H::ERROR_KIND.to_owned(), kind.as_bytes().to_vec()));
    match origin {
        Origin::Kafka {
            topic,
            partition,
            offset,
        } => out.extend([
            (H::SOURCE_TOPIC.to_owned(), topic.as_bytes().to_vec()),
            (
                H::SOURCE_PARTITION.to_owned(),
                partition.to_string().into_bytes(),
            ),
            (H::SOURCE_OFFSET.to_owned(), offset.to_string().into_bytes()),
        ]),
        Origin::Record { kind, id } => {
            out.push((format!("docstream.source.{kind}"), id.as_bytes().to_vec()));
        }
    }
    out.extend([
        (H::SERVICE.to_owned(), service.as_bytes().to_vec()),
        (H::TIME.to_owned(), time.to_rfc3339().into_bytes()),
        (
            H::VERSION.to_owned(),
            H::SCHEMA_VERSION.to_string().into_bytes(),
        ),
    ]);
    out
}

/// The dead letter of a Kafka message: its key, payload and headers as they came,
/// the reason and kind, where it came from, in the one format.
pub fn message_dead_letter(
    dlq_topic: &str,
    m: &rdkafka::message::OwnedMessage,
    reason: &str,
    kind: &str,
    service: &str,
) -> Outgoing {
    use rdkafka::message::{Headers, Message};
    let original: Vec<(String, Vec<u8>)> = m
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                .collect()
        })
        .unwrap_or_default();
    Outgoing {
        topic: dlq_topic.to_owned(),
        partition: None,
        key: m.key().map(<[u8]>::to_vec),
        payload: m.payload().map(<[u8]>::to_vec),
        headers: dead_letter_headers(
            &original,
            reason,
            kind,
            Origin::Kafka {
                topic: m.topic(),
                partition: m.partition(),
                offset: m.offset(),
            },
            service,
            chrono::Utc::now(),
        ),
    }
}

/// The dead letter of a source record that is not a valid document: its original
/// bytes, the reason, where it came from (`origin`: the record's kind and id), in the
/// same format as the loop's.
pub fn source_dead_letter(
    topic: &str,
    key: String,
    payload: Vec<u8>,
    reason: &str,
    origin: (&str, &str),
    service: &str,
) -> Outgoing {
    Outgoing {
        topic: topic.to_owned(),
        partition: None,
        key: Some(key.into_bytes()),
        payload: Some(payload),
        headers: dead_letter_headers(
            &[],
            reason,
            "invalid",
            Origin::Record {
                kind: origin.0,
                id: origin.1,
            },
            service,
            chrono::Utc::now(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(h: &[(String, Vec<u8>)], k: &str) -> Option<String> {
        h.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }

    #[test]
    fn keeps_original_headers_and_adds_the_reason_and_origin() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let h = dead_letter_headers(
            &[("trace".into(), b"abc".to_vec())],
            "bad json\nat line 1",
            "invalid",
            Origin::Kafka {
                topic: "raw.etds",
                partition: 3,
                offset: 42,
            },
            "etd-ingest",
            t,
        );
        assert_eq!(h[0], ("trace".into(), b"abc".to_vec()));
        assert_eq!(
            get(&h, "docstream.error").as_deref(),
            Some("bad json at line 1")
        );
        assert_eq!(get(&h, "docstream.source.partition").as_deref(), Some("3"));
        assert_eq!(get(&h, "docstream.source.offset").as_deref(), Some("42"));
        assert_eq!(
            get(&h, "docstream.time").as_deref(),
            Some("2026-11-25T10:00:00+00:00")
        );
    }

    #[test]
    fn a_source_record_gets_the_same_headers_but_its_own_origin() {
        let out = source_dead_letter(
            "dlq.tobacco-ingest",
            "row:17".into(),
            b"{".to_vec(),
            "no id",
            ("row", "tobacco_docs/17"),
            "tobacco-source",
        );
        let names = |h: &[(String, Vec<u8>)]| -> Vec<String> {
            h.iter()
                .map(|(n, _)| n.clone())
                .filter(|n| !n.starts_with("docstream.source."))
                .collect()
        };
        let kafka = dead_letter_headers(
            &[],
            "x",
            "invalid",
            Origin::Kafka {
                topic: "t",
                partition: 0,
                offset: 0,
            },
            "s",
            chrono::Utc::now(),
        );
        assert_eq!(names(&out.headers), names(&kafka));
        assert_eq!(
            get(&out.headers, "docstream.source.row").as_deref(),
            Some("tobacco_docs/17")
        );
        assert_eq!(
            get(&out.headers, "docstream.dlq.version").as_deref(),
            Some("1")
        );
        assert_eq!(out.key.as_deref(), Some(&b"row:17"[..]));
    }
}
