//! etd-ingest as a real process on the stack's Kafka: ETDs with a PDF on disk, an
//! inline PDF, no PDF and an encrypted PDF all come out in processed.etds with the
//! right status; a PDF that cannot be fetched is retried then dead-lettered, bad JSON
//! is dead-lettered at once, and nothing else is held up.

use std::collections::HashMap;
use std::time::Duration;

use contracts::{encode, DeadLetter, DspaceRecord, FulltextStatus, PdfRef, ProcessedEtd, RawEtd};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;

fn record(n: u32) -> DspaceRecord {
    serde_json::from_value(json!({
        "title-none": format!("Thesis {n}"),
        "contributor-author": "Doe, Jane",
        "contributor-department": "Computer Science",
        "date-issued": "2017-01-05",
        "degree-level": "doctoral",
        "type-none": "Dissertation",
        "identifier-uri": format!("http://hdl.handle.net/10919/{n}"),
    }))
    .expect("record")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdfs_of_every_kind_come_out_with_a_status_and_unfetchable_ones_are_dead_lettered() {
    testkit::init_tracing();
    let (input, output, dlq) = (
        testkit::unique("raw-etds"),
        testkit::unique("proc-etds"),
        testkit::unique("dlq-etd"),
    );
    testkit::create_topics(&[(&input, 2), (&output, 2), (&dlq, 1)]).await;
    let dir = std::env::temp_dir().join(testkit::unique("etd-consume"));
    std::fs::create_dir_all(&dir).expect("dir");
    let thesis = samples::pdf::thesis(21, 10);
    let on_disk = dir.join("thesis.pdf");
    std::fs::write(&on_disk, &thesis.bytes).expect("write");
    let small = samples::pdf::thesis(22, 6);
    let plain = dir.join("plain.pdf");
    std::fs::write(&plain, &small.bytes).expect("write");
    let encrypted = dir.join("encrypted.pdf");
    assert!(std::process::Command::new("qpdf")
        .args(["--encrypt", "u", "o", "256", "--"])
        .arg(&plain)
        .arg(&encrypted)
        .status()
        .expect("qpdf")
        .success());
    let url = |p: &std::path::Path| PdfRef::Url {
        url: format!("file://{}", p.display()),
        bytes: None,
        sha256: None,
    };
    let messages: Vec<(String, Vec<u8>)> = vec![
        (1, Some(url(&on_disk))),
        (
            2,
            Some(PdfRef::inline("small.pdf", &small.bytes).expect("inline")),
        ),
        (3, None),
        (4, Some(url(&encrypted))),
        (5, Some(url(&dir.join("missing.pdf")))),
        (6, Some(url(&on_disk))),
    ]
    .into_iter()
    .map(|(n, pdf)| {
        let raw = RawEtd::new(record(n), pdf).expect("raw");
        (raw.id.to_string(), encode(&raw))
    })
    .chain([("etd:10919/99".to_owned(), b"{not json".to_vec())])
    .collect();
    let producer: FutureProducer = testkit::kafka_config().create().expect("producer");
    for (key, payload) in &messages {
        producer
            .send(
                FutureRecord::to(&input).key(key).payload(payload),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("produce");
    }
    let service = testkit::Service::spawn(
        env!("CARGO_BIN_EXE_etd-ingest"),
        &[
            ("DOCSTREAM_INPUT_TOPICS", &input),
            ("DOCSTREAM_OUTPUT_TOPIC", &output),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
            ("DOCSTREAM_GROUP_ID", &testkit::unique("etd-group")),
            ("DOCSTREAM_RETRY_INITIAL_MS", "20"),
            ("DOCSTREAM_RETRY_MAX_ATTEMPTS", "3"),
        ],
    );

    let mut docs: HashMap<String, ProcessedEtd> = HashMap::new();
    testkit::Read::partitions(2)
        .timeout(Duration::from_secs(120))
        .until(&output, |r| {
            if let Some(m) = r.last() {
                let d: ProcessedEtd = contracts::decode(&m.payload).expect("processed etd");
                docs.insert(d.id.to_string(), d);
            }
            docs.len() >= 5
        });
    let get = |n: u32| {
        docs.get(&format!("etd:10919/{n}"))
            .unwrap_or_else(|| panic!("etd {n} missing: {:?}", docs.keys()))
    };
    let d1 = get(1);
    assert_eq!(
        d1.fulltext_status,
        FulltextStatus::Extracted,
        "{:?}",
        d1.fulltext_error
    );
    assert_eq!(d1.page_count, Some(10));
    let wer =
        samples::pdf::word_error_rate(&thesis.text(), d1.fulltext.as_deref().unwrap_or_default());
    assert!(wer <= 0.03, "word error rate {wer}");
    assert!(d1.sections.iter().any(|s| s.title == "Abstract"));
    assert_eq!(d1.title, "Thesis 1");
    assert_eq!(get(2).fulltext_status, FulltextStatus::Extracted);
    assert_eq!(get(3).fulltext_status, FulltextStatus::NoPdf);
    assert_eq!(get(4).fulltext_status, FulltextStatus::Encrypted);
    assert!(get(4).fulltext.is_none());
    assert_eq!(get(6).fulltext_status, FulltextStatus::Extracted);
    assert!(
        !docs.contains_key("etd:10919/5"),
        "an unfetchable pdf is not silently dropped to metadata"
    );

    let mut dead = HashMap::new();
    testkit::Read::partitions(1).until(&dlq, |r| {
        if let Some(m) = r.last() {
            dead.insert(m.key.clone(), m.headers.clone());
        }
        dead.len() >= 2
    });
    let missing = dead
        .get("etd:10919/5")
        .expect("the unfetchable pdf is dead-lettered");
    assert_eq!(missing[DeadLetter::ERROR_KIND], "exhausted");
    assert!(
        missing[DeadLetter::ERROR].contains("missing.pdf"),
        "{missing:?}"
    );
    assert_eq!(
        dead.get("etd:10919/99").expect("bad json")[DeadLetter::ERROR_KIND],
        "invalid"
    );
    assert!(
        service
            .metric("docstream_etd_ingest_outcomes_total{kind=\"fulltext\",value=\"encrypted\"}")
            >= 1.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
