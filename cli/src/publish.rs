//! `docstream publish`: people who publish documents send ETDs (DSpace metadata plus a
//! PDF) and tobacco documents (UCSF JSON) to the raw topics. Every record is checked
//! against its contract first; a bad one is reported with where it is and why, and the
//! rest still go. Exits non-zero when anything failed.
//!
//! Reading and checking records is pure ([`read_records`]); with an S3 bucket
//! configured, [`upload_pdfs`] puts every `file://` PDF into it (content-addressed, so
//! a file already there is not sent again) and the message carries the `s3` reference
//! instead; a PDF that cannot be uploaded makes its record fail, with the reason, and
//! nothing of it is sent. Sending is [`send`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use contracts::{encode, DspaceRecord, PdfRef, RawEtd, RawTobacco, UcsfDocument};
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::Value;

/// A record ready to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Etd(Box<RawEtd>),
    Tobacco(Box<RawTobacco>),
}

impl Record {
    fn key(&self) -> String {
        match self {
            Self::Etd(r) => r.id.to_string(),
            Self::Tobacco(r) => r.id.to_string(),
        }
    }

    fn payload(&self) -> Vec<u8> {
        match self {
            Self::Etd(r) => encode(r.as_ref()),
            Self::Tobacco(r) => encode(r.as_ref()),
        }
    }
}

/// A record that was not sent: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    pub location: String,
    pub reason: String,
}

/// Turns one JSON value into a record. `base` resolves a relative PDF path; `pdf`
/// is the PDF given beside it, if any.
pub fn to_record(value: Value, base: &Path, pdf: Option<&Path>) -> Result<Record, String> {
    let Value::Object(obj) = value else {
        return Err("not a json object".into());
    };
    if obj.contains_key("Legacy_(LTDL2)_Tobacco_Id") {
        let doc: UcsfDocument = serde_json::from_value(Value::Object(obj))
            .map_err(|e| format!("tobacco record: {e}"))?;
        return RawTobacco::new(doc)
            .map(|r| Record::Tobacco(Box::new(r)))
            .map_err(|e| e.to_string());
    }
    // an ETD: a bare DSpace record, or {"metadata": {...}, "pdf": "path or url"}
    let (metadata, pdf_field) = if let Some(m) = obj.get("metadata") {
        (
            m.clone(),
            obj.get("pdf").and_then(Value::as_str).map(str::to_owned),
        )
    } else {
        (Value::Object(obj), None)
    };
    let record: DspaceRecord =
        serde_json::from_value(metadata).map_err(|e| format!("etd record: {e}"))?;
    if record.title.is_none() && record.authors.is_none() {
        return Err("neither a tobacco record (no Legacy_(LTDL2)_Tobacco_Id) nor an etd (no title-none or contributor-author)".into());
    }
    let pdf = match (pdf_field, pdf) {
        (Some(p), _) => Some(pdf_ref(&p, base)?),
        (None, Some(p)) => Some(pdf_ref(&p.display().to_string(), base)?),
        (None, None) => None,
    };
    RawEtd::new(record, pdf)
        .map(|r| Record::Etd(Box::new(r)))
        .map_err(|e| e.to_string())
}

/// A URL (`s3://`, `file://`, `http(s)://`) stays as it is; a path must exist and
/// becomes a `file://` URL.
fn pdf_ref(p: &str, base: &Path) -> Result<PdfRef, String> {
    if ["http://", "https://", "file://", "s3://"]
        .iter()
        .any(|s| p.starts_with(s))
    {
        return PdfRef::parse(p).map_err(|e| e.to_string());
    }
    let path = base.join(p);
    let meta = std::fs::metadata(&path).map_err(|e| format!("pdf {}: {e}", path.display()))?;
    let abs = std::fs::canonicalize(&path).map_err(|e| format!("pdf {}: {e}", path.display()))?;
    Ok(PdfRef::Url {
        url: format!("file://{}", abs.display()),
        bytes: Some(meta.len()),
        sha256: None,
    })
}

/// Reads every record of a file or folder: a JSON object, a JSON array, JSON lines,
/// or a folder of such files (an ETD `x.json` takes `x.pdf` beside it). A leading
/// bulk-index action line (`{"index": ...}`) is skipped.
pub fn read_records(path: &Path, pdf: Option<&Path>) -> Result<Vec<Result<Record, BadRecord>>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"))
            .collect();
        files.sort();
        anyhow::ensure!(
            !files.is_empty(),
            "no .json or .jsonl files in {}",
            path.display()
        );
        let mut out = Vec::new();
        for f in files {
            let beside = f.with_extension("pdf");
            let beside = beside.exists().then_some(beside);
            out.extend(read_file(&f, beside.as_deref())?);
        }
        return Ok(out);
    }
    read_file(path, pdf)
}

fn read_file(path: &Path, pdf: Option<&Path>) -> Result<Vec<Result<Record, BadRecord>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    anyhow::ensure!(!text.trim().is_empty(), "{} is empty", path.display());
    let base = path.parent().unwrap_or(Path::new("."));
    let name = path.display().to_string();
    let bad = |location: String, reason: String| Err(BadRecord { location, reason });
    // a whole-file object or array first
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        return Ok(match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| to_record(v, base, None).or_else(|r| bad(format!("{name}[{i}]"), r)))
                .collect(),
            v => vec![to_record(v, base, pdf).or_else(|r| bad(name.clone(), r))],
        });
    }
    // JSON lines (or an action line followed by one pretty-printed record)
    let body = match text.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with("{\"index\"") => {
            if let Ok(v) = serde_json::from_str::<Value>(rest) {
                return Ok(vec![
                    to_record(v, base, pdf).or_else(|r| bad(name.clone(), r))
                ]);
            }
            text.as_str()
        }
        _ => text.as_str(),
    };
    Ok(body
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter(|(_, l)| !l.trim_start().starts_with("{\"index\""))
        .map(|(i, line)| {
            let location = format!("{name}:{}", i + 1);
            match serde_json::from_str::<Value>(line) {
                Ok(v) => to_record(v, base, None).or_else(|r| bad(location, r)),
                Err(e) => bad(location, format!("not valid json: {e}")),
            }
        })
        .collect())
}

/// PDFs uploaded at once.
const UPLOADS_AT_ONCE: usize = 8;

/// PDFs [`upload_pdfs`] sent, and found there already.
#[derive(Debug, Default)]
pub struct Uploads {
    pub sent: std::sync::atomic::AtomicUsize,
    pub found: std::sync::atomic::AtomicUsize,
}

/// Puts the PDF of every ETD with a `file://` reference into the store's bucket and
/// gives the record the `s3` reference (size and SHA-256 included); a record whose
/// PDF cannot be uploaded becomes a bad record saying why. A stream in the records'
/// order, so [`send`] sends each as soon as its PDF is stored; `tally` counts.
pub fn upload_pdfs<'a>(
    store: &'a blobstore::Store,
    records: Vec<Result<Record, BadRecord>>,
    tally: &'a Uploads,
) -> impl futures::Stream<Item = Result<Record, BadRecord>> + 'a {
    use futures::StreamExt as _;
    use std::sync::atomic::Ordering::Relaxed;
    futures::stream::iter(records)
        .map(move |r| async move {
            let Ok(Record::Etd(mut raw)) = r else {
                return r;
            };
            let Some(path) = raw.pdf.as_ref().and_then(local_path) else {
                return Ok(Record::Etd(raw));
            };
            match store.upload_file(&path).await {
                Ok(up) => {
                    if up.existed {
                        &tally.found
                    } else {
                        &tally.sent
                    }
                    .fetch_add(1, Relaxed);
                    raw.pdf = Some(PdfRef::S3 {
                        bucket: up.bucket,
                        key: up.key,
                        size: Some(up.size),
                        sha256: Some(up.sha256),
                    });
                    // the version follows the reference
                    RawEtd::new(raw.metadata, raw.pdf)
                        .map(|r| Record::Etd(Box::new(r)))
                        .map_err(|e| BadRecord {
                            location: path.display().to_string(),
                            reason: e.to_string(),
                        })
                }
                Err(e) => Err(BadRecord {
                    location: format!("{} (pdf {})", raw.id, path.display()),
                    reason: format!("upload failed, nothing sent: {e}"),
                }),
            }
        })
        .buffered(UPLOADS_AT_ONCE)
}

/// The local file of a `file://` reference.
fn local_path(pdf: &PdfRef) -> Option<PathBuf> {
    match pdf {
        PdfRef::Url { url, .. } => url.strip_prefix("file://").map(PathBuf::from),
        _ => None,
    }
}

/// Where each kind goes.
#[derive(Debug, Clone)]
pub struct Topics {
    pub etds: String,
    pub tobacco: String,
}

/// Sends the good records of `records` (`total` of them) as they come, reporting the
/// bad ones and every failed delivery on stderr, with a progress bar for more than one
/// record. Returns (sent, failed).
pub async fn send(
    kafka: &ClientConfig,
    topics: &Topics,
    records: impl futures::Stream<Item = Result<Record, BadRecord>>,
    total: usize,
) -> Result<(usize, usize)> {
    use futures::StreamExt as _;
    let producer: FutureProducer = kafka
        .clone()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "10")
        .set("message.max.bytes", "10485760")
        .create()
        .context("kafka producer")?;
    let bar = indicatif::ProgressBar::new(total as u64);
    if total > 1 {
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let (mut sent, mut failed) = (0, 0);
    let mut pending = Vec::new();
    let mut records = std::pin::pin!(records);
    while let Some(r) = records.next().await {
        match r {
            Err(bad) => {
                bar.suspend(|| eprintln!("bad record {}: {}", bad.location, bad.reason));
                failed += 1;
                bar.inc(1);
            }
            Ok(record) => {
                let topic = match &record {
                    Record::Etd(_) => topics.etds.clone(),
                    Record::Tobacco(_) => topics.tobacco.clone(),
                };
                let (key, payload) = (record.key(), record.payload());
                let p = producer.clone();
                pending.push(tokio::spawn(async move {
                    let r = p
                        .send(
                            FutureRecord::to(&topic).key(&key).payload(&payload),
                            Duration::from_secs(60),
                        )
                        .await;
                    (key, r.map(|_| ()).map_err(|(e, _)| e))
                }));
            }
        }
        if pending.len() >= 1000 {
            for h in pending.drain(..) {
                tally(h.await?, &bar, &mut sent, &mut failed);
            }
        }
    }
    for h in pending {
        tally(h.await?, &bar, &mut sent, &mut failed);
    }
    bar.finish_and_clear();
    Ok((sent, failed))
}

fn tally(
    (key, r): (String, Result<(), rdkafka::error::KafkaError>),
    bar: &indicatif::ProgressBar,
    sent: &mut usize,
    failed: &mut usize,
) {
    match r {
        Ok(()) => *sent += 1,
        Err(e) => {
            bar.suspend(|| eprintln!("not delivered {key}: {e}"));
            *failed += 1;
        }
    }
    bar.inc(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!("publish-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&d).expect("tmp");
        d
    }

    const ETD: &str = r#"{"title-none": "T", "contributor-author": "A", "identifier-uri": "http://hdl.handle.net/10919/1"}"#;
    const TOBACCO: &str = r#"{"Legacy_(LTDL2)_Tobacco_Id": "abc", "Title": "memo"}"#;

    #[test]
    fn json_lines_report_bad_lines_with_their_line_number_and_keep_the_rest() {
        let d = tmp();
        let f = write(
            &d,
            "batch.jsonl",
            &format!("{ETD}\n{{oops\n{TOBACCO}\n{{\"x\": 1}}\n"),
        );
        let rs = read_records(&f, None).expect("read");
        assert_eq!(rs.len(), 4);
        assert!(matches!(&rs[0], Ok(Record::Etd(r)) if r.id.to_string() == "etd:10919/1"));
        let bad = rs[1].as_ref().expect_err("bad json");
        assert!(
            bad.location.ends_with("batch.jsonl:2") && bad.reason.starts_with("not valid json"),
            "{bad:?}"
        );
        assert!(matches!(&rs[2], Ok(Record::Tobacco(r)) if r.id.to_string() == "tobacco:abc"));
        assert!(rs[3]
            .as_ref()
            .expect_err("unknown shape")
            .reason
            .contains("neither a tobacco record"));
    }

    #[test]
    fn a_folder_pairs_each_etd_with_its_pdf_and_a_missing_pdf_is_an_error() {
        let d = tmp();
        write(&d, "a.json", ETD);
        write(&d, "a.pdf", "%PDF-1.4");
        write(
            &d,
            "b.json",
            &format!(r#"{{"metadata": {ETD}, "pdf": "missing.pdf"}}"#),
        );
        let rs = read_records(&d, None).expect("read");
        match &rs[0] {
            Ok(Record::Etd(r)) => match r.pdf.as_ref().expect("pdf") {
                PdfRef::Url { url, bytes, .. } => {
                    assert!(
                        url.starts_with("file:///") && url.ends_with("/a.pdf"),
                        "{url}"
                    );
                    assert_eq!(*bytes, Some(8));
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert!(rs[1]
            .as_ref()
            .expect_err("missing pdf")
            .reason
            .contains("missing.pdf"));
    }

    #[test]
    fn an_array_file_and_a_bulk_action_line_are_read() {
        let d = tmp();
        let f = write(&d, "all.json", &format!("[{ETD}, {TOBACCO}, 3]"));
        let rs = read_records(&f, None).expect("read");
        assert_eq!(rs.iter().filter(|r| r.is_ok()).count(), 2);
        assert!(rs[2]
            .as_ref()
            .expect_err("a number")
            .location
            .ends_with("all.json[2]"));
        let f = write(
            &d,
            "one.json",
            &format!("{{\"index\": {{\"_id\": 0}}}}\n{TOBACCO}"),
        );
        assert!(matches!(
            &read_records(&f, None).expect("read")[..],
            [Ok(Record::Tobacco(_))]
        ));
    }
}
