//! `docstream publish` as a person runs it, against the stack's real broker: bad
//! records are reported and skipped, the good ones arrive keyed by document id, and
//! the exit code says whether anything failed.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

async fn topics() -> (String, String) {
    let (e, t) = (testkit::unique("pub-etds"), testkit::unique("pub-tobacco"));
    testkit::create_topics(&[(&e, 1), (&t, 1)]).await;
    (e, t)
}

fn publish(args: &[&str], etds: &str, tobacco: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .arg("publish")
        .args(args)
        .args(["--etds-topic", etds, "--tobacco-topic", tobacco])
        .env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
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
    let (ok, stdout, stderr) = publish(&["batch", batch.to_str().expect("utf8")], &etds, &tobacco);
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
