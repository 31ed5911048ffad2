//! Every raw contract reads the real records of the library (from ../shared: a
//! failure under CI when missing, a printed skip elsewhere, `testkit::shared_data`)
//! and the repo's own fixtures of the same shapes; every message type in topics.yaml
//! exists here.

use std::path::{Path, PathBuf};

use contracts::{decode, encode, DspaceRecord, LogEvent, RawEtd, RawTobacco, UcsfDocument};

fn shared() -> Option<PathBuf> {
    testkit::shared_data("")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect(name)
}

fn check_etds(text: &str) -> usize {
    let records: Vec<DspaceRecord> = serde_json::from_str(text).expect("dspace records parse");
    for r in &records {
        let raw = RawEtd::new(r.clone(), None).expect("every record has a handle");
        let bytes = encode(&raw);
        assert_eq!(
            bytes,
            serde_json::to_vec(&raw).expect("json"),
            "encode writes serde_json's bytes"
        );
        let back: RawEtd = decode(&bytes).expect("round trip");
        assert_eq!(back, raw);
        assert!(r.title.is_some(), "{:?} has no title", raw.id);
    }
    records.len()
}

#[test]
fn every_shared_etd_record_parses_and_round_trips() {
    let Some(dir) = shared() else { return };
    let text = std::fs::read_to_string(dir.join("etd_metadata.sample.json")).expect("read");
    assert_eq!(check_etds(&text), 400);
    // unmapped fields survive in `other`
    let records: Vec<DspaceRecord> = serde_json::from_str(&text).expect("parse");
    assert!(records[0].other.contains_key("description-provenance"));
}

#[test]
fn fixture_etds_parse_with_string_or_list_fields() {
    let text = fixture("etd.json");
    assert_eq!(check_etds(&text), 2);
    let records: Vec<DspaceRecord> = serde_json::from_str(&text).expect("parse");
    let chairs = records[1]
        .committee_chair
        .as_ref()
        .expect("chairs")
        .to_vec();
    assert_eq!(chairs, ["Chair, One", "Chair, Two"]);
    assert_eq!(
        records[0].subjects.as_ref().expect("subject").to_vec(),
        ["Information retrieval"]
    );
}

fn check_tobacco(text: &str) -> RawTobacco {
    // the shared file starts with a bulk-index action line; the record is the rest
    let body = if text.trim_start().starts_with("{\"index\"") {
        text.split_once('\n').map(|(_, rest)| rest).unwrap_or(text)
    } else {
        text
    };
    let doc: UcsfDocument = serde_json::from_str(body).expect("ucsf record parses");
    let raw = RawTobacco::new(doc).expect("has an id");
    assert_eq!(
        encode(&raw),
        serde_json::to_vec(&raw).expect("json"),
        "encode writes serde_json's bytes"
    );
    let back: RawTobacco = decode(&encode(&raw)).expect("round trip");
    assert_eq!(back, raw);
    raw
}

#[test]
fn the_shared_tobacco_document_parses_with_its_pages() {
    let Some(dir) = shared() else { return };
    let raw = check_tobacco(&std::fs::read_to_string(dir.join("tobacco_demo.json")).expect("read"));
    assert_eq!(raw.id.to_string(), "tobacco:cfn05a00");
    assert_eq!(raw.document.text_content.len(), 3);
    assert_eq!(raw.document.page_count.as_deref(), Some("29"));
}

#[test]
fn fixture_tobacco_takes_numbers_where_strings_are_usual() {
    let raw = check_tobacco(&fixture("tobacco.json"));
    assert_eq!(raw.document.text_content[0].page, "1");
    assert_eq!(raw.document.bates_start.as_deref(), Some("100"));
    assert!(raw.document.other.contains_key("Attached_Artifacts"));
}

fn check_logs(text: &str) -> Vec<LogEvent> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| decode::<LogEvent>(l.as_bytes()).unwrap_or_else(|e| panic!("{e}: {l}")))
        .inspect(|e| assert_eq!(encode(e), serde_json::to_vec(e).expect("json")))
        .collect()
}

#[test]
fn every_shared_log_line_parses() {
    let Some(dir) = shared() else { return };
    let mut clicks = 0;
    for name in [
        "etd_search_log.json",
        "tobacco_search_log.json",
        "tobacco_hit_log.json",
    ] {
        let events = check_logs(&std::fs::read_to_string(dir.join(name)).expect("read"));
        assert!(!events.is_empty(), "{name} is empty");
        clicks += events.iter().filter(|e| e.is_click()).count();
        if name == "tobacco_hit_log.json" {
            assert_eq!(events[0].clicked_doc().as_deref(), Some("tobacco:cfn05a00"));
        }
    }
    assert!(clicks > 0, "the hit log has clicks");
}

#[test]
fn a_version_2_click_carries_session_query_rank_and_document_but_no_person() {
    let line =
        br#"{"schema_version": 2, "data": {"dataset": "tobacco", "time": "2026-12-01T10:00:00Z",
        "session": "s-4f2a", "query_id": "q-17", "rank": 3, "collection": "tobacco",
        "doc_id": "tobacco:cfn05a00"}}"#;
    let e = decode::<LogEvent>(line).expect("a version 2 event");
    assert_eq!(e.key(), "s-4f2a");
    assert!(e.is_click());
    assert_eq!(e.clicked_doc().as_deref(), Some("tobacco:cfn05a00"));
    assert_eq!(e.data.rank, Some(3));
    let json = String::from_utf8(encode(&e)).expect("utf8");
    assert!(!json.contains("user") && !json.contains("ip"), "{json}");
}

#[test]
fn fixture_logs_are_searches_and_clicks() {
    let events = check_logs(&fixture("logs.jsonl"));
    assert_eq!(events.len(), 2);
    assert!(!events[0].is_click() && events[1].is_click());
    assert_eq!(events[0].key(), "ann");
    assert_eq!(events[0].schema_version, 1);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let err = decode::<RawTobacco>(b"{not json").expect_err("bad json");
    assert!(
        err.to_string().starts_with("not valid json for RawTobacco"),
        "{err}"
    );
    let err =
        decode::<RawTobacco>(br#"{"id": "tobacco:x", "document": {}}"#).expect_err("no version");
    assert_eq!(err.to_string(), "RawTobacco: missing schema_version");
    let err = decode::<RawTobacco>(br#"{"schema_version": 9, "id": "tobacco:x", "document": {}}"#)
        .expect_err("too new");
    assert!(
        err.to_string().contains("schema_version 9 is newer"),
        "{err}"
    );
    let err = decode::<RawTobacco>(br#"{"schema_version": 1, "id": "etd:x", "document": {}}"#)
        .expect_err("bad id");
    assert!(err.to_string().contains("invalid document id"), "{err}");
}

#[test]
fn every_message_type_of_topics_yaml_is_a_contract() {
    let file =
        topics::TopicsFile::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../topics.yaml"))
            .expect("topics.yaml");
    for t in &file.topics {
        assert!(
            contracts::MESSAGE_TYPES
                .iter()
                .any(|(name, _)| *name == t.message_type),
            "{}: no contract type {}",
            t.name,
            t.message_type
        );
    }
}
