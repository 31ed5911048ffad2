//! etd-ingest reading PDFs from the stack's S3 server (versitygw) as a real process:
//! an uploaded thesis is extracted, a missing object is `no_pdf` with the reason, a
//! checksum that does not match is `corrupt`, an object over the bound is `too_large`;
//! the store down at the start and back a few seconds later costs retries, not
//! documents; a store that stays down ends in `exhausted` dead letters.

use std::collections::HashMap;
use std::time::Duration;

use contracts::{encode, DeadLetter, DspaceRecord, FulltextStatus, PdfRef, ProcessedEtd, RawEtd};
use serde_json::json;

fn record(n: u32) -> DspaceRecord {
    serde_json::from_value(json!({
        "title-none": format!("Stored thesis {n}"),
        "contributor-author": "Doe, Jane",
        "identifier-uri": format!("http://hdl.handle.net/10919/{n}"),
    }))
    .expect("record")
}

fn store() -> blobstore::Store {
    let mut vars: settings::Vars = testkit::s3_vars().into_iter().collect();
    vars.insert("DOCSTREAM_S3_PREFIX".into(), testkit::unique("etd-s3-test"));
    blobstore::Store::new(blobstore::S3Settings::from_vars(&vars).expect("settings"))
}

async fn upload(store: &blobstore::Store, bytes: &[u8]) -> blobstore::Uploaded {
    let path = std::env::temp_dir().join(testkit::unique("etd-s3-file"));
    std::fs::write(&path, bytes).expect("write");
    let up = store.upload_file(&path).await.expect("upload");
    std::fs::remove_file(&path).ok();
    up
}

fn s3_ref(up: &blobstore::Uploaded, sha256: Option<String>) -> PdfRef {
    PdfRef::S3 {
        bucket: up.bucket.clone(),
        key: up.key.clone(),
        size: Some(up.size),
        sha256,
    }
}

/// A TCP proxy to the S3 server that accepts nothing until `open` is sent: the store
/// "down", then "back".
async fn proxy_opened_later(target: String) -> (u16, tokio::sync::oneshot::Sender<()>) {
    let port = testkit::free_port();
    let (open, opened) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = opened.await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind proxy");
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (port, open)
}

async fn send(topic: &str, raws: &[RawEtd]) {
    let producer: rdkafka::producer::FutureProducer =
        testkit::kafka_config().create().expect("producer");
    for r in raws {
        testkit::send(&producer, topic, &r.id.to_string(), &encode(r)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_pdfs_come_out_with_a_status_and_a_store_down_then_back_loses_nothing() {
    testkit::init_tracing();
    let (input, output, dlq) = (
        testkit::unique("raw-etds-s3"),
        testkit::unique("proc-etds-s3"),
        testkit::unique("dlq-etd-s3"),
    );
    testkit::create_topics(&[(&input, 2), (&output, 2), (&dlq, 1)]).await;
    let store = store();
    let thesis = samples::pdf::thesis(31, 6);
    let good = upload(&store, &thesis.bytes).await;
    let other = upload(&store, &samples::pdf::thesis(32, 3).bytes).await;
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(3 << 20, b' ');
    let big = upload(&store, &big).await;
    let missing = PdfRef::S3 {
        bucket: good.bucket.clone(),
        key: format!("{}-never-uploaded.pdf", good.key),
        size: None,
        sha256: None,
    };
    let raws = vec![
        RawEtd::new(record(101), Some(s3_ref(&good, Some(good.sha256.clone())))).expect("raw"),
        RawEtd::new(record(102), Some(missing)).expect("raw"),
        // the reference says the other file's checksum
        RawEtd::new(record(103), Some(s3_ref(&good, Some(other.sha256.clone())))).expect("raw"),
        RawEtd::new(record(104), Some(s3_ref(&big, None))).expect("raw"),
    ];
    send(&input, &raws).await;

    let s3: HashMap<String, String> = testkit::s3_vars().into_iter().collect();
    let target = s3["DOCSTREAM_S3_ENDPOINT"]
        .trim_start_matches("http://")
        .to_owned();
    let (port, open) = proxy_opened_later(target).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut env: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.retain(|(k, _)| *k != "DOCSTREAM_S3_ENDPOINT");
    let group = testkit::unique("etd-s3-group");
    env.extend([
        ("DOCSTREAM_S3_ENDPOINT", endpoint.as_str()),
        ("DOCSTREAM_S3_RETRIES", "0"),
        ("DOCSTREAM_INPUT_TOPICS", &input),
        ("DOCSTREAM_OUTPUT_TOPIC", &output),
        ("DOCSTREAM_DLQ_TOPIC", &dlq),
        ("DOCSTREAM_GROUP_ID", &group),
        ("DOCSTREAM_ETD_MAX_PDF_MB", "1"),
        ("DOCSTREAM_RETRY_INITIAL_MS", "200"),
        ("DOCSTREAM_RETRY_MAX_MS", "1000"),
        ("DOCSTREAM_RETRY_MAX_ATTEMPTS", "60"),
    ]);
    let service = testkit::Service::spawn(env!("CARGO_BIN_EXE_etd-ingest"), &env);
    // the store is down until the service has failed to reach it
    let start = std::time::Instant::now();
    while service.metric("docstream_etd_ingest_messages_failed_total{") < 2.0 {
        assert!(start.elapsed() < Duration::from_secs(60), "no retries seen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    open.send(()).expect("open the proxy");

    let mut docs: HashMap<String, ProcessedEtd> = HashMap::new();
    testkit::Read::partitions(2)
        .timeout(Duration::from_secs(120))
        .until(&output, |r| {
            if let Some(m) = r.last() {
                let d: ProcessedEtd = contracts::decode(&m.payload).expect("processed etd");
                docs.insert(d.id.to_string(), d);
            }
            docs.len() >= 4
        });
    let get = |n: u32| &docs[&format!("etd:10919/{n}")];
    let d = get(101);
    assert_eq!(
        d.fulltext_status,
        FulltextStatus::Extracted,
        "{:?}",
        d.fulltext_error
    );
    let wer =
        samples::pdf::word_error_rate(&thesis.text(), d.fulltext.as_deref().unwrap_or_default());
    assert!(wer <= 0.03, "word error rate {wer}");
    assert_eq!(
        d.pdf_url.as_deref(),
        Some(format!("s3://{}/{}", good.bucket, good.key).as_str())
    );
    let d = get(102);
    assert_eq!(d.fulltext_status, FulltextStatus::NoPdf);
    assert!(
        d.fulltext_error
            .as_deref()
            .unwrap_or_default()
            .contains("does not exist"),
        "{:?}",
        d.fulltext_error
    );
    let d = get(103);
    assert_eq!(d.fulltext_status, FulltextStatus::Corrupt);
    assert!(
        d.fulltext_error
            .as_deref()
            .unwrap_or_default()
            .contains(&other.sha256),
        "{:?}",
        d.fulltext_error
    );
    assert_eq!(get(104).fulltext_status, FulltextStatus::TooLarge);
    assert!(service.metric("docstream_etd_ingest_messages_failed_total{") >= 2.0);
    drop(service);

    // a store that never comes back: retried, then dead-lettered as exhausted
    let input2 = testkit::unique("raw-etds-s3-down");
    testkit::create_topics(&[(&input2, 1)]).await;
    send(
        &input2,
        &[RawEtd::new(record(105), Some(s3_ref(&good, None))).expect("raw")],
    )
    .await;
    let nowhere = format!("http://127.0.0.1:{}", testkit::free_port());
    let group2 = testkit::unique("etd-s3-group");
    for (k, v) in env.iter_mut() {
        match *k {
            "DOCSTREAM_S3_ENDPOINT" => *v = &nowhere,
            "DOCSTREAM_INPUT_TOPICS" => *v = &input2,
            "DOCSTREAM_GROUP_ID" => *v = &group2,
            "DOCSTREAM_RETRY_MAX_ATTEMPTS" => *v = "3",
            _ => {}
        }
    }
    let _service = testkit::Service::spawn(env!("CARGO_BIN_EXE_etd-ingest"), &env);
    let mut dead = None;
    testkit::Read::partitions(1).until(&dlq, |r| {
        dead = r.last().map(|m| (m.key.clone(), m.headers.clone()));
        dead.is_some()
    });
    let (key, headers) = dead.expect("a dead letter");
    assert_eq!(key, "etd:10919/105");
    assert_eq!(headers[DeadLetter::ERROR_KIND], "exhausted");
    assert!(
        headers[DeadLetter::ERROR].contains(&good.key),
        "{headers:?}"
    );
    assert!(
        !headers[DeadLetter::ERROR].contains("docstream-secret"),
        "{headers:?}"
    );
}
