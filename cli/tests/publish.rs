//! `docstream publish` as a person runs it, against the stack's real broker and S3
//! server: bad records are reported and skipped, the good ones arrive keyed by
//! document id, PDFs go to the bucket (once, content-addressed) and the message
//! carries the object, a failed upload sends nothing, and the exit code says whether
//! anything failed.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

async fn topics() -> (String, String) {
    let (e, t) = (testkit::unique("pub-etds"), testkit::unique("pub-tobacco"));
    testkit::create_topics(&[(&e, 1), (&t, 1)]).await;
    (e, t)
}

fn publish(args: &[&str], etds: &str, tobacco: &str) -> (bool, String, String) {
    publish_with(args, etds, tobacco, &[])
}

fn publish_with(
    args: &[&str],
    etds: &str,
    tobacco: &str,
    env: &[(String, String)],
) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .arg("publish")
        .args(args)
        .args(["--etds-topic", etds, "--tobacco-topic", tobacco])
        .env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run docstream");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (key, payload) of every message in a one-partition topic.
fn read_all(topic: &str, want: usize) -> Vec<(String, serde_json::Value)> {
    testkit::Read::partitions(1)
        .timeout(Duration::from_secs(30))
        .at_least(topic, want)
        .iter()
        .map(|r| (r.key.clone(), r.json()))
        .collect()
}

fn tmp() -> PathBuf {
    let d = std::env::temp_dir().join(testkit::unique("publish"));
    std::fs::create_dir_all(&d).expect("tmp");
    d
}

#[tokio::test]
async fn a_batch_sends_the_good_records_and_reports_the_bad_ones() {
    let (etds, tobacco) = topics().await;
    let dir = tmp();
    std::fs::write(dir.join("thesis.pdf"), b"%PDF-1.4\n").expect("pdf");
    let batch = dir.join("batch.jsonl");
    std::fs::write(
        &batch,
        [
            r#"{"metadata": {"title-none": "One", "contributor-author": "A", "identifier-uri": "http://hdl.handle.net/10919/11"}, "pdf": "thesis.pdf"}"#,
            r#"{"title-none": "Two", "contributor-author": "B", "handle": "12"}"#,
            r#"{"Legacy_(LTDL2)_Tobacco_Id": "xyz01a00", "Title": "memo", "text_content": [{"page": 1, "content": "hi"}]}"#,
            r#"{not json"#,
            r#"{"title-none": "Three", "contributor-author": "C", "identifier-uri": "http://hdl.handle.net/10919/13"}"#,
        ]
        .join("\n"),
    )
    .expect("batch");
    let (ok, stdout, stderr) = publish(
        &[
            "batch",
            batch.to_str().expect("utf8"),
            "--pdf-store",
            "file",
        ],
        &etds,
        &tobacco,
    );
    assert!(!ok, "bad records must fail the run");
    assert!(stdout.contains("sent 3, failed 2"), "{stdout}");
    assert!(
        stderr.contains("batch.jsonl:2: etd record has no handle"),
        "{stderr}"
    );
    assert!(stderr.contains("batch.jsonl:4: not valid json"), "{stderr}");

    // records are sent concurrently: their order in the topic is not promised
    let mut got = read_all(&etds, 2);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["etd:10919/11", "etd:10919/13"]);
    let pdf = &got[0].1["pdf"];
    assert_eq!(pdf["kind"], "url");
    assert!(
        pdf["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("file:///") && u.ends_with("thesis.pdf")),
        "{pdf}"
    );
    let raw: contracts::RawEtd = serde_json::from_value(got[1].1.clone()).expect("a RawEtd");
    assert_eq!(raw.schema_version, 1);
    let t = read_all(&tobacco, 1);
    assert_eq!(t[0].0, "tobacco:xyz01a00");
}

#[tokio::test]
async fn every_shared_etd_record_publishes() {
    let Some(sample) = testkit::shared_data("etd_metadata.sample.json") else {
        return;
    };
    let (etds, tobacco) = topics().await;
    let (ok, stdout, stderr) = publish(&["batch", sample.to_str().expect("utf8")], &etds, &tobacco);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("sent 400, failed 0"), "{stdout}");
    assert_eq!(read_all(&etds, 400).len(), 400);
}

#[tokio::test]
async fn pdfs_go_to_the_bucket_once_and_a_failed_upload_sends_nothing() {
    let (etds, tobacco) = topics().await;
    let dir = tmp();
    let pdf = format!("%PDF-1.4 {}", testkit::unique("published")).into_bytes();
    std::fs::write(dir.join("a.pdf"), &pdf).expect("pdf");
    std::fs::write(
        dir.join("a.json"),
        r#"{"title-none": "Stored", "contributor-author": "A", "identifier-uri": "http://hdl.handle.net/10919/21"}"#,
    )
    .expect("json");
    let mut s3 = testkit::s3_vars();
    s3.push((
        "DOCSTREAM_S3_PREFIX".into(),
        testkit::unique("publish-test"),
    ));
    let folder = dir.to_str().expect("utf8");
    let (ok, stdout, stderr) = publish_with(&["batch", folder], &etds, &tobacco, &s3);
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.contains("pdfs: 1 uploaded"), "{stderr}");
    let got = read_all(&etds, 1);
    let raw: contracts::RawEtd = serde_json::from_value(got[0].1.clone()).expect("a RawEtd");
    assert_eq!(raw.schema_version, 2);
    let Some(contracts::PdfRef::S3 {
        bucket,
        key,
        size,
        sha256,
    }) = raw.pdf
    else {
        panic!("not an s3 reference: {:?}", got[0].1["pdf"]);
    };
    assert_eq!(size, Some(pdf.len() as u64));
    let store = blobstore::Store::new(
        blobstore::S3Settings::from_vars(&s3.iter().cloned().collect()).expect("settings"),
    );
    let back = dir.join("back.pdf");
    let down = store
        .download(&bucket, &key, 1 << 20, &back)
        .await
        .expect("the object");
    assert_eq!(Some(down.sha256), sha256);
    assert_eq!(std::fs::read(&back).expect("read"), pdf);

    // the same file again: found by its content, not sent
    std::fs::remove_file(&back).ok();
    let (ok, _, stderr) = publish_with(&["batch", folder], &etds, &tobacco, &s3);
    assert!(
        ok && stderr.contains("pdfs: 0 uploaded") && stderr.contains("1 there already"),
        "{stderr}"
    );

    // the store cannot be reached: the record fails and nothing reaches the topic
    let (etds2, tobacco2) = topics().await;
    let mut down = s3.clone();
    down.push((
        "DOCSTREAM_S3_ENDPOINT".into(),
        format!("http://127.0.0.1:{}", testkit::free_port()),
    ));
    down.push(("DOCSTREAM_S3_RETRIES".into(), "0".into()));
    let (ok, stdout, stderr) = publish_with(&["batch", folder], &etds2, &tobacco2, &down);
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("sent 0, failed 1"), "{stdout}");
    assert!(stderr.contains("upload failed, nothing sent"), "{stderr}");
    assert!(!stderr.contains("docstream-secret"), "{stderr}");
    assert_eq!(
        testkit::Read::partitions(1)
            .timeout(Duration::from_secs(3))
            .until(&etds2, |r| !r.is_empty())
            .len(),
        0
    );
}
