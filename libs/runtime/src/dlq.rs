//! Dead letters: the original key, payload and headers, plus headers that say what
//! went wrong, where the message came from and when. Pure; the loop produces them.

use contracts::DeadLetter as H;

/// The headers of a dead letter: the original ones first, then docstream's.
pub fn dead_letter_headers(
    original: &[(String, Vec<u8>)],
    error: &str,
    kind: &str,
    source: (&str, i32, i64),
    service: &str,
    time: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, Vec<u8>)> {
    let mut out = original.to_vec();
    let one_line: String = error.lines().collect::<Vec<_>>().join(" ");
    out.extend([
        (H::ERROR.to_owned(), one_line.into_bytes()),
        (H::ERROR_KIND.to_owned(), kind.as_bytes().to_vec()),
        (H::SOURCE_TOPIC.to_owned(), source.0.as_bytes().to_vec()),
        (
            H::SOURCE_PARTITION.to_owned(),
            source.1.to_string().into_bytes(),
        ),
        (
            H::SOURCE_OFFSET.to_owned(),
            source.2.to_string().into_bytes(),
        ),
        (H::SERVICE.to_owned(), service.as_bytes().to_vec()),
        (H::TIME.to_owned(), time.to_rfc3339().into_bytes()),
        (H::VERSION.to_owned(), b"1".to_vec()),
    ]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_original_headers_and_adds_the_reason_and_origin() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let h = dead_letter_headers(
            &[("trace".into(), b"abc".to_vec())],
            "bad json\nat line 1",
            "invalid",
            ("raw.etds", 3, 42),
            "etd-ingest",
            t,
        );
        let get = |k: &str| {
            h.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(h[0], ("trace".into(), b"abc".to_vec()));
        assert_eq!(
            get("docstream.error").as_deref(),
            Some("bad json at line 1")
        );
        assert_eq!(get("docstream.source.partition").as_deref(), Some("3"));
        assert_eq!(get("docstream.source.offset").as_deref(), Some("42"));
        assert_eq!(
            get("docstream.time").as_deref(),
            Some("2026-11-25T10:00:00+00:00")
        );
    }
}
