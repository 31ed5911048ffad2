//! `docstream dlq` against the stack's broker, on dead letters a real service wrote:
//! etd-ingest dead-letters a thesis whose PDF is missing (exhausted) and a line of bad
//! JSON (invalid); `list` counts them by kind and reason, `show` prints their
//! headers, the PDF is put in place (the fix), a dry run sends nothing, `replay` sends
//! the exhausted one back and the thesis comes out processed, a second replay is
//! skipped, and `purge` empties the topic only when confirmed.

use std::process::Command;
use std::time::Duration;

use contracts::{encode, PdfRef, ProcessedEtd, RawEtd};

fn docstream(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(args)
        .env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
        .output()
        .expect("run docstream");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_counted_shown_replayed_once_after_the_fix_and_purged() {
    let (raw, processed, dlq, record) = (
        testkit::unique("dlq-raw"),
        testkit::unique("dlq-processed"),
        testkit::unique("dlq-etd"),
        testkit::unique("dlq-replays"),
    );
    testkit::create_topics(&[(&raw, 1), (&processed, 1), (&dlq, 1), (&record, 1)]).await;
    let dir = std::env::temp_dir().join(testkit::unique("dlq-pdfs"));
    std::fs::create_dir_all(&dir).expect("dir");
    let pdf = dir.join("late.pdf");
    let record_of = serde_json::from_value(serde_json::json!({
        "title-none": "Late thesis", "contributor-author": "Doe, Jane",
        "identifier-uri": "http://hdl.handle.net/10919/77",
    }))
    .expect("record");
    let etd = RawEtd::new(
        record_of,
        Some(PdfRef::parse(&format!("file://{}", pdf.display())).expect("ref")),
    )
    .expect("raw");
    let producer: rdkafka::producer::FutureProducer =
        testkit::kafka_config().create().expect("producer");
    testkit::send(&producer, &raw, "etd:10919/77", &encode(&etd)).await;
    testkit::send(&producer, &raw, "etd:10919/78", b"{not json").await;
    let service = testkit::Service::spawn(
        &testkit::workspace_binary("etd-ingest"),
        &[
            ("DOCSTREAM_INPUT_TOPICS", &raw),
            ("DOCSTREAM_OUTPUT_TOPIC", &processed),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
            ("DOCSTREAM_GROUP_ID", &testkit::unique("dlq-group")),
            ("DOCSTREAM_RETRY_INITIAL_MS", "20"),
            ("DOCSTREAM_RETRY_MAX_ATTEMPTS", "2"),
        ],
    );
    testkit::Read::partitions(1).at_least(&dlq, 2);

    let (ok, out, err) = docstream(&["dlq", "list", "--topic", &dlq]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("{dlq}: 2 dead letter(s), oldest ")),
        "{out}"
    );
    assert!(out.contains("exhausted  pdf file://"), "{out}");
    assert!(out.contains("invalid "), "{out}");

    let (ok, out, err) = docstream(&["dlq", "show", &dlq, "--kind", "exhausted"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("    docstream.source.topic: {raw}\n")),
        "{out}"
    );
    assert!(out.contains("key etd:10919/77"), "{out}");
    assert!(out.ends_with("1 of 1 dead letter(s) shown\n"), "{out}");

    // the fix: the PDF is where the message said
    std::fs::write(&pdf, &samples::pdf::thesis(77, 3).bytes).expect("pdf");
    let replay = |extra: &[&str]| {
        let mut args = vec![
            "dlq",
            "replay",
            &dlq,
            "--kind",
            "exhausted",
            "--record",
            &record,
        ];
        args.extend_from_slice(extra);
        docstream(&args)
    };
    let (ok, out, err) = replay(&["--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("would replay 1 of 1"), "{out}");
    let (ok, out, err) = replay(&[]);
    assert!(ok, "{err}");
    assert!(out.starts_with("replayed 1 of 1"), "{out}");
    let got = testkit::Read::partitions(1)
        .timeout(Duration::from_secs(60))
        .at_least(&processed, 1);
    let doc: ProcessedEtd = contracts::decode(&got[0].payload).expect("processed");
    assert_eq!(doc.id.to_string(), "etd:10919/77");
    assert_eq!(doc.fulltext_status, contracts::FulltextStatus::Extracted);
    assert_eq!(got.len(), 1, "the dry run sent nothing");
    let (ok, out, _) = replay(&[]);
    assert!(
        ok && out.contains("replayed 0 of 1") && out.contains("skipped 1"),
        "{out}"
    );
    drop(service);

    let (ok, _, err) = docstream(&["dlq", "purge", &dlq]);
    assert!(
        !ok && err.contains("--yes"),
        "no confirmation, no purge: {err}"
    );
    let (ok, out, err) = docstream(&["dlq", "purge", &dlq, "--yes"]);
    assert!(ok, "{err}");
    assert_eq!(out, format!("purged 2 dead letter(s) of {dlq}\n"));
    let (_, out, _) = docstream(&["dlq", "list", "--topic", &dlq]);
    assert_eq!(out, format!("{dlq}: none\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
