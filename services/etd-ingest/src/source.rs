//! The MongoDB source: polls the ETD collection and publishes new and changed
//! records to `raw.etds`, as a producer would.
//!
//! Two ways, chosen by `DOCSTREAM_SOURCE_MODE` (`auto`, the default, tries the first
//! and falls back to the second):
//!
//! - **Change streams**, where the server offers them (a MongoDB replica set): the
//!   stream is opened first, existing records are published by one polling pass, then
//!   every insert, update and replace is published as it happens; the stream's resume
//!   token is saved after Kafka acknowledged the event, so a restart resumes there.
//! - **Polling** (the stack's FerretDB has no change streams): by a modification
//!   timestamp with `_id` as the tie-breaker: records after the position
//!   `(timestamp, _id)`, older than now minus `delay` (so a write that lands late with an
//!   earlier timestamp is not skipped), in that order.
//!
//! Positions are saved in a collection of the same database after Kafka acknowledged
//! the batch, so a restart neither loses records nor re-sends the collection.
//!
//! Expected documents: the DSpace record's fields at the top level, plus
//! `updated_at` (a date the writer sets on every insert and update) and optionally
//! `pdf`, the PDF's `s3://bucket/key` object, `file://` path or `http(s)://` URL, or
//! a reference object as in the contract (names configurable).

use std::time::Duration;

use anyhow::{Context, Result};
use contracts::{encode, DspaceRecord, PdfRef, RawEtd};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::change_stream::event::{OperationType, ResumeToken};
use mongodb::options::{FindOptions, FullDocumentType, ReplaceOptions};
use runtime::Outgoing;

/// Where to read and how (`DOCSTREAM_MONGO_*`, `DOCSTREAM_SOURCE_*`).
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub mongo_url: runtime::Secret,
    pub database: String,
    pub collection: String,
    pub timestamp_field: String,
    pub pdf_field: String,
    /// `DOCSTREAM_SOURCE_WITHDRAWN_FIELD` (`withdrawn`): a record with it true is
    /// published as its id's tombstone (a thesis withdrawn or embargoed).
    pub withdrawn_field: String,
    pub name: String,
    pub position_collection: String,
    pub delay: Duration,
    pub poll: Duration,
    pub batch: i64,
    pub topic: String,
    pub dlq_topic: String,
    pub mode: Mode,
}

/// How the source follows the collection (`DOCSTREAM_SOURCE_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change streams when the server offers them, else polling.
    Auto,
    Poll,
    ChangeStream,
}

impl SourceConfig {
    /// From `DOCSTREAM_*` variables.
    pub fn from_vars(vars: &runtime::Vars) -> crate::Result<Self> {
        let var = |k: &str, d: &str| runtime::var(vars, k).unwrap_or_else(|| d.to_owned());
        let num = |k: &str, d: u64| runtime::parse(vars, k, d);
        let c = Self {
            mongo_url: runtime::Secret::new(var(
                "DOCSTREAM_MONGO_URL",
                "mongodb://127.0.0.1:27017/",
            )),
            database: var("DOCSTREAM_MONGO_DATABASE", "docstream"),
            collection: var("DOCSTREAM_MONGO_COLLECTION", "etds"),
            timestamp_field: var("DOCSTREAM_SOURCE_TIMESTAMP_FIELD", "updated_at"),
            pdf_field: var("DOCSTREAM_SOURCE_PDF_FIELD", "pdf"),
            withdrawn_field: var(
                "DOCSTREAM_SOURCE_WITHDRAWN_FIELD",
                contracts::WITHDRAWN_FIELD,
            ),
            name: var("DOCSTREAM_SOURCE_NAME", "etd-source"),
            position_collection: var(
                "DOCSTREAM_SOURCE_POSITION_COLLECTION",
                "docstream_source_positions",
            ),
            delay: Duration::from_millis(num("DOCSTREAM_SOURCE_DELAY_MS", 2000)?),
            poll: Duration::from_millis(num("DOCSTREAM_SOURCE_POLL_MS", 1000)?),
            batch: runtime::parse(vars, "DOCSTREAM_SOURCE_BATCH", 500)?,
            topic: var("DOCSTREAM_SOURCE_TOPIC", "raw.etds"),
            dlq_topic: var("DOCSTREAM_DLQ_TOPIC", "dlq.etd-ingest"),
            mode: match var("DOCSTREAM_SOURCE_MODE", "auto").as_str() {
                "auto" => Mode::Auto,
                "poll" => Mode::Poll,
                "change_stream" => Mode::ChangeStream,
                other => {
                    return Err(crate::Error::Config(format!(
                        "DOCSTREAM_SOURCE_MODE={other:?}: expected auto, poll or change_stream"
                    )))
                }
            },
        };
        if c.batch == 0 {
            return Err(crate::Error::Config(
                "DOCSTREAM_SOURCE_BATCH must be at least 1".into(),
            ));
        }
        Ok(c)
    }
}

/// The filter of one poll: after `(ts, id)`, older than `until`.
pub fn poll_filter(c: &SourceConfig, after: Option<(DateTime, Bson)>, until: DateTime) -> Document {
    let ts = c.timestamp_field.as_str();
    match after {
        None => doc! { ts: { "$lt": until } },
        Some((t, id)) => doc! {
            ts: { "$lt": until },
            "$or": [
                { ts: { "$gt": t } },
                { ts: t, "_id": { "$gt": id } },
            ],
        },
    }
}

/// A stored document as the source publishes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Raw(Box<RawEtd>),
    /// Its withdrawal field is true: the tombstone of this id.
    Withdrawn(contracts::DocId),
}

/// A stored document as the source publishes it: the raw message, or, when its
/// withdrawal field says so, its withdrawal; or why it cannot be either.
pub fn to_record(c: &SourceConfig, mut d: Document) -> Result<Record, String> {
    let withdrawn = d
        .remove(&c.withdrawn_field)
        .map(|b| serde_json::to_value(b).unwrap_or_default());
    let raw = to_raw(c, d)?;
    Ok(if contracts::is_withdrawn(withdrawn.as_ref()) {
        Record::Withdrawn(raw.id)
    } else {
        Record::Raw(Box::new(raw))
    })
}

/// A stored document as a raw message, or why it cannot be one.
pub fn to_raw(c: &SourceConfig, mut d: Document) -> Result<RawEtd, String> {
    d.remove("_id");
    d.remove(&c.timestamp_field);
    let pdf = match d.remove(&c.pdf_field) {
        None | Some(Bson::Null) => None,
        Some(Bson::String(url)) => Some(PdfRef::parse(&url).map_err(|e| e.to_string())?),
        Some(other) => Some(
            mongodb::bson::from_bson::<PdfRef>(other)
                .map_err(|e| format!("{} is not a pdf reference: {e}", c.pdf_field))?,
        ),
    };
    let json = serde_json::to_value(&d).map_err(|e| e.to_string())?;
    let record: DspaceRecord =
        serde_json::from_value(json).map_err(|e| format!("not a dspace record: {e}"))?;
    RawEtd::new(record, pdf).map_err(|e| e.to_string())
}

/// Polls and publishes until shutdown (run by [`runtime::serve_source`], which
/// restarts it with backoff after an error); the position only moves after Kafka
/// acknowledged the batch.
pub async fn poll(c: SourceConfig, cx: runtime::SourceContext) -> Result<()> {
    poll_forever(&c, &cx).await
}

/// The collections a source reads and writes.
struct Collections {
    records: mongodb::Collection<Document>,
    positions: mongodb::Collection<Document>,
}

async fn poll_forever(c: &SourceConfig, cx: &runtime::SourceContext) -> Result<()> {
    let client = mongodb::Client::with_uri_str(c.mongo_url.expose())
        .await
        .context("connect to mongodb")?;
    let db = client.database(&c.database);
    let cols = Collections {
        records: db.collection::<Document>(&c.collection),
        positions: db.collection::<Document>(&c.position_collection),
    };
    let saved = cols
        .positions
        .find_one(doc! { "_id": &c.name })
        .await
        .context("read the position")?
        .unwrap_or_default();
    let mut pos: Option<(DateTime, Bson)> = saved
        .get_datetime("ts")
        .ok()
        .copied()
        .zip(saved.get("id").cloned());
    if c.mode != Mode::Poll {
        let token: Option<ResumeToken> = saved
            .get("resume_token")
            .and_then(|t| mongodb::bson::from_bson(t.clone()).ok());
        let resuming = token.is_some();
        // opened before the catch-up, so nothing written meanwhile is missed
        match cols
            .records
            .watch()
            .full_document(FullDocumentType::UpdateLookup)
            .resume_after(token)
            .await
        {
            Ok(stream) => {
                tracing::info!(collection = %c.collection, resuming, "following a change stream");
                if !resuming {
                    while poll_once(c, cx, &cols, &mut pos).await? {}
                }
                return follow(c, cx, &cols, stream).await;
            }
            Err(e) if c.mode == Mode::ChangeStream => {
                return Err(e).context("open a change stream (DOCSTREAM_SOURCE_MODE=change_stream)")
            }
            Err(e) => {
                tracing::info!(error = %e, "no change streams on this server: polling");
            }
        }
    }
    tracing::info!(collection = %c.collection, position = ?pos, "polling");
    loop {
        if cx.shutdown.is_cancelled() {
            return Ok(());
        }
        if !poll_once(c, cx, &cols, &mut pos).await? {
            tokio::select! {
                () = cx.shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(c.poll) => {}
            }
        }
    }
}

/// One poll: publishes a batch after `pos` and saves the new position; `true` when the
/// batch was full (more may be waiting).
async fn poll_once(
    c: &SourceConfig,
    cx: &runtime::SourceContext,
    cols: &Collections,
    pos: &mut Option<(DateTime, Bson)>,
) -> Result<bool> {
    let delay_ms = i64::try_from(c.delay.as_millis()).unwrap_or(i64::MAX);
    let until = DateTime::from_millis(DateTime::now().timestamp_millis() - delay_ms);
    let options = FindOptions::builder()
        .sort(doc! { &c.timestamp_field: 1, "_id": 1 })
        .limit(c.batch)
        .build();
    let batch: Vec<Document> = cols
        .records
        .find(poll_filter(c, pos.clone(), until))
        .with_options(options)
        .await
        .context("poll")?
        .try_collect()
        .await
        .context("poll")?;
    cx.read_ok();
    let full = i64::try_from(batch.len()).unwrap_or(0) == c.batch;
    let mut last = pos.clone();
    for d in &batch {
        if let (Ok(ts), Some(id)) = (d.get_datetime(&c.timestamp_field), d.get("_id")) {
            last = Some((*ts, id.clone()));
        }
    }
    publish(c, cx, batch).await?;
    if last != *pos {
        if let Some((ts, id)) = &last {
            save(
                c,
                cols,
                doc! { "_id": &c.name, "ts": *ts, "id": id.clone() },
            )
            .await?;
        }
        *pos = last;
    }
    Ok(full)
}

/// Publishes every insert, update and replace of the stream as it comes, saving the
/// resume token after each is acknowledged.
async fn follow(
    c: &SourceConfig,
    cx: &runtime::SourceContext,
    cols: &Collections,
    mut stream: mongodb::change_stream::ChangeStream<
        mongodb::change_stream::event::ChangeStreamEvent<Document>,
    >,
) -> Result<()> {
    loop {
        let event = tokio::select! {
            () = cx.shutdown.cancelled() => return Ok(()),
            e = stream.next_if_any() => e.context("change stream")?,
        };
        cx.read_ok();
        let Some(event) = event else { continue };
        if matches!(
            event.operation_type,
            OperationType::Insert | OperationType::Update | OperationType::Replace
        ) {
            if let Some(d) = event.full_document {
                publish(c, cx, vec![d]).await?;
            }
        }
        if let Some(token) = stream.resume_token() {
            let token = mongodb::bson::to_bson(&token).context("resume token")?;
            save(c, cols, doc! { "_id": &c.name, "resume_token": token }).await?;
        }
    }
}

async fn save(c: &SourceConfig, cols: &Collections, position: Document) -> Result<()> {
    cols.positions
        .replace_one(doc! { "_id": &c.name }, position)
        .with_options(ReplaceOptions::builder().upsert(true).build())
        .await
        .context("save the position")?;
    Ok(())
}

/// Publishes records to `raw.etds` (bad ones to the dead-letter topic) and waits for
/// Kafka's acknowledgements.
async fn publish(c: &SourceConfig, cx: &runtime::SourceContext, docs: Vec<Document>) -> Result<()> {
    let mut messages = Vec::with_capacity(docs.len());
    for d in docs {
        let id = d.get("_id").cloned().unwrap_or(Bson::Null);
        let original = serde_json::to_vec(&d).unwrap_or_default();
        messages.push(match to_record(c, d) {
            Ok(Record::Raw(raw)) => {
                Outgoing::keyed(c.topic.clone(), raw.id.to_string(), encode(raw.as_ref()))
            }
            Ok(Record::Withdrawn(id)) => {
                cx.metrics.count("withdrawn", "etds");
                Outgoing::tombstone(c.topic.clone(), id.to_string())
            }
            Err(reason) => {
                tracing::warn!(?id, error = %reason, "bad record: dead-lettering");
                cx.metrics.dead_lettered(&c.collection);
                runtime::source_dead_letter(
                    &c.dlq_topic,
                    format!("mongo:{id}"),
                    original,
                    &reason,
                    ("document", &format!("{}/{id}", c.collection)),
                    "etd-source",
                )
            }
        });
    }
    runtime::publish_all(&cx.producer, &messages).await?;
    for _ in &messages {
        cx.metrics.processed(&c.collection, 0.0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SourceConfig {
        SourceConfig::from_vars(&std::collections::BTreeMap::new()).expect("defaults")
    }

    #[test]
    fn the_filter_takes_what_follows_the_position_and_keeps_a_delay() {
        let until = DateTime::from_millis(5000);
        let f = poll_filter(&config(), None, until);
        assert_eq!(f, doc! { "updated_at": { "$lt": until } });
        let at = DateTime::from_millis(1000);
        let f = poll_filter(&config(), Some((at, Bson::Int32(7))), until);
        assert_eq!(
            f.get_array("$or").expect("or").len(),
            2,
            "after the timestamp, or at it with a larger _id: {f}"
        );
    }

    #[test]
    fn the_mode_is_auto_unless_told() {
        assert_eq!(config().mode, Mode::Auto);
        let vars = |v: &str| {
            std::collections::BTreeMap::from([("DOCSTREAM_SOURCE_MODE".to_owned(), v.to_owned())])
        };
        assert_eq!(
            SourceConfig::from_vars(&vars("poll")).expect("poll").mode,
            Mode::Poll
        );
        let e = SourceConfig::from_vars(&vars("tail")).expect_err("unknown");
        assert!(e.to_string().contains("DOCSTREAM_SOURCE_MODE"), "{e}");
    }

    #[test]
    fn documents_become_raw_messages_or_a_reason() {
        let c = config();
        let d = doc! {
            "_id": 1, "updated_at": DateTime::now(), "pdf": "file:///data/x.pdf",
            "title-none": "T", "identifier-uri": "http://hdl.handle.net/10919/5",
        };
        let raw = to_raw(&c, d).expect("valid");
        assert_eq!(raw.id.to_string(), "etd:10919/5");
        assert!(
            matches!(raw.pdf, Some(PdfRef::Url { ref url, .. }) if url == "file:///data/x.pdf")
        );
        assert!(raw.metadata.other.get("updated_at").is_none());
        let d = doc! {
            "pdf": "s3://etds/pdfs/x.pdf", "identifier-uri": "http://hdl.handle.net/10919/6",
        };
        let raw = to_raw(&c, d).expect("s3");
        assert!(
            matches!(raw.pdf, Some(PdfRef::S3 { ref bucket, ref key, .. }) if bucket == "etds" && key == "pdfs/x.pdf")
        );
        assert_eq!(raw.schema_version, 2);
        let gone = to_record(
            &c,
            doc! { "identifier-uri": "http://hdl.handle.net/10919/7", "withdrawn": true },
        )
        .expect("withdrawn");
        assert_eq!(gone, Record::Withdrawn("etd:10919/7".parse().expect("id")));
        assert!(matches!(
            to_record(
                &c,
                doc! { "identifier-uri": "http://hdl.handle.net/10919/7", "withdrawn": "no" }
            ),
            Ok(Record::Raw(_))
        ));
        let e = to_raw(&c, doc! { "title-none": "no handle" }).expect_err("no handle");
        assert!(e.contains("handle"), "{e}");
        let e = to_raw(
            &c,
            doc! { "identifier-uri": "http://hdl.handle.net/10919/5", "pdf": "ftp://x" },
        )
        .expect_err("bad url");
        assert!(e.contains("ftp://x"), "{e}");
    }
}
