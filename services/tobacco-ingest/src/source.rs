//! The MySQL source: polls the tobacco table and publishes new and changed rows to
//! `raw.tobacco`, as Kafka Connect's JDBC source does in timestamp+incrementing mode,
//! without its known holes:
//!
//! - **Rows sharing a timestamp**: the position is the pair (timestamp, incrementing
//!   id) and rows are read in that order, so a batch boundary inside one timestamp
//!   loses nothing.
//! - **Rows committed late by a long transaction**: only rows older than the database's
//!   own `NOW(6)` minus `delay` are read, so a transaction that commits within `delay`
//!   of its rows' timestamps is never skipped. Set `delay` above your longest write
//!   transaction.
//! - **Restarts**: the position is saved in a table of the database after every batch's
//!   messages are acknowledged by Kafka, so a restart resumes there (at-least-once: a
//!   crash between the two re-sends that batch).
//!
//! Each poll sees a row's latest version: updates between two polls coalesce, as on
//! the compacted `raw.tobacco` topic itself.
//!
//! Expected table (names configurable, see [`SourceConfig`]; the demo, the tests and
//! the chaos load make it with `samples::mariadb::create_tobacco_table`):
//!
//! ```sql
//! CREATE TABLE tobacco_documents (
//!   seq BIGINT AUTO_INCREMENT PRIMARY KEY,               -- incrementing column
//!   document JSON NOT NULL,                              -- the UCSF record with text_content
//!   updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
//!              ON UPDATE CURRENT_TIMESTAMP(6),            -- timestamp column
//!   KEY (updated_at, seq)
//! );
//! ```

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::NaiveDateTime;
use contracts::{encode, RawTobacco, UcsfDocument};
use runtime::Outgoing;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::Row;

/// Where to read and how.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub mysql_url: runtime::Secret,
    /// Key of this source's position.
    pub name: String,
    pub table: String,
    pub incrementing_column: String,
    pub timestamp_column: String,
    pub document_column: String,
    pub position_table: String,
    pub delay: Duration,
    pub poll: Duration,
    pub batch: u32,
    pub topic: String,
    pub dlq_topic: String,
    /// `DOCSTREAM_SOURCE_WITHDRAWN_FIELD` (`withdrawn`): a document with it true is
    /// published as its id's tombstone.
    pub withdrawn_field: String,
}

/// A row's document as the source publishes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Published {
    Record(Box<RawTobacco>),
    /// Its withdrawal field is true: the tombstone of this id.
    Withdrawn(contracts::DocId),
}

impl SourceConfig {
    /// From `DOCSTREAM_*` variables (tests pass their own).
    pub fn from_vars(vars: &runtime::Vars) -> crate::Result<Self> {
        let var = |k: &str, d: &str| runtime::var(vars, k).unwrap_or_else(|| d.to_owned());
        let num = |k: &str, d: u64| runtime::parse(vars, k, d);
        let c = Self {
            mysql_url: runtime::Secret::new(var(
                "DOCSTREAM_MYSQL_URL",
                "mysql://docstream:docstream@127.0.0.1:3306/docstream",
            )),
            name: var("DOCSTREAM_SOURCE_NAME", "tobacco-source"),
            table: var("DOCSTREAM_SOURCE_TABLE", "tobacco_documents"),
            incrementing_column: var("DOCSTREAM_SOURCE_INCREMENTING_COLUMN", "seq"),
            timestamp_column: var("DOCSTREAM_SOURCE_TIMESTAMP_COLUMN", "updated_at"),
            document_column: var("DOCSTREAM_SOURCE_DOCUMENT_COLUMN", "document"),
            position_table: var(
                "DOCSTREAM_SOURCE_POSITION_TABLE",
                "docstream_source_positions",
            ),
            delay: Duration::from_millis(num("DOCSTREAM_SOURCE_DELAY_MS", 5000)?),
            poll: Duration::from_millis(num("DOCSTREAM_SOURCE_POLL_MS", 1000)?),
            batch: runtime::parse(vars, "DOCSTREAM_SOURCE_BATCH", 500)?,
            topic: var("DOCSTREAM_SOURCE_TOPIC", "raw.tobacco"),
            dlq_topic: var("DOCSTREAM_DLQ_TOPIC", "dlq.tobacco-ingest"),
            withdrawn_field: var(
                "DOCSTREAM_SOURCE_WITHDRAWN_FIELD",
                contracts::WITHDRAWN_FIELD,
            ),
        };
        for (k, v) in [
            ("DOCSTREAM_SOURCE_TABLE", &c.table),
            (
                "DOCSTREAM_SOURCE_INCREMENTING_COLUMN",
                &c.incrementing_column,
            ),
            ("DOCSTREAM_SOURCE_TIMESTAMP_COLUMN", &c.timestamp_column),
            ("DOCSTREAM_SOURCE_DOCUMENT_COLUMN", &c.document_column),
            ("DOCSTREAM_SOURCE_POSITION_TABLE", &c.position_table),
        ] {
            if !is_identifier(v) {
                return Err(crate::Error::Config(format!(
                    "{k}={v:?} is not a plain sql name ([A-Za-z0-9_], 1 to 64)"
                )));
            }
        }
        if c.batch == 0 {
            return Err(crate::Error::Config(
                "DOCSTREAM_SOURCE_BATCH must be at least 1".into(),
            ));
        }
        Ok(c)
    }
}

/// Only plain names are spliced into SQL; everything else is a bound parameter.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The poll query: rows after the position, older than `NOW(6) - delay`, in order.
/// Binds: delay (µs), ts, ts, inc, limit.
pub fn poll_query(c: &SourceConfig) -> String {
    let (t, inc, ts, doc) = (
        &c.table,
        &c.incrementing_column,
        &c.timestamp_column,
        &c.document_column,
    );
    format!(
        "SELECT `{inc}` AS inc, CAST(`{ts}` AS DATETIME(6)) AS ts, CAST(`{doc}` AS CHAR) AS doc FROM `{t}` \
         WHERE `{ts}` < NOW(6) - INTERVAL ? MICROSECOND \
         AND (`{ts}` > ? OR (`{ts}` = ? AND `{inc}` > ?)) \
         ORDER BY `{ts}`, `{inc}` LIMIT ?"
    )
}

/// A position: the last (timestamp, incrementing id) published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub ts: NaiveDateTime,
    pub inc: i64,
}

impl Position {
    fn start() -> Self {
        Self {
            ts: NaiveDateTime::default(),
            inc: i64::MIN,
        }
    }
}

async fn connect(c: &SourceConfig) -> Result<MySqlPool> {
    let pool = MySqlPoolOptions::new()
        .max_connections(2)
        // a database that cannot be reached is an error in 10 s, not sqlx's 30: the
        // source's readiness and its failures count (and the alert on them) say so
        .acquire_timeout(std::time::Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET time_zone = '+00:00'")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect(c.mysql_url.expose())
        .await
        .context("connect to mysql")?;
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS `{}` (source VARCHAR(190) PRIMARY KEY, ts DATETIME(6) NOT NULL, inc BIGINT NOT NULL)",
        c.position_table
    ))
    .execute(&pool)
    .await
    .context("create the position table")?;
    Ok(pool)
}

async fn load_position(pool: &MySqlPool, c: &SourceConfig) -> Result<Position> {
    let row = sqlx::query(&format!(
        "SELECT ts, inc FROM `{}` WHERE source = ?",
        c.position_table
    ))
    .bind(&c.name)
    .fetch_optional(pool)
    .await
    .context("read the position")?;
    Ok(match row {
        Some(r) => Position {
            ts: r.try_get("ts")?,
            inc: r.try_get("inc")?,
        },
        None => Position::start(),
    })
}

async fn save_position(pool: &MySqlPool, c: &SourceConfig, p: Position) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO `{}` (source, ts, inc) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE ts = VALUES(ts), inc = VALUES(inc)",
        c.position_table
    ))
    .bind(&c.name)
    .bind(p.ts)
    .bind(p.inc)
    .execute(pool)
    .await
    .context("save the position")?;
    Ok(())
}

/// Polls and publishes until shutdown (run by [`runtime::serve_source`], which
/// restarts it with backoff after an error); the position only moves after Kafka
/// acknowledged the batch.
pub async fn poll(c: SourceConfig, cx: runtime::SourceContext) -> Result<()> {
    poll_forever(&c, &cx).await
}

async fn poll_forever(c: &SourceConfig, cx: &runtime::SourceContext) -> Result<()> {
    let (metrics, shutdown) = (&cx.metrics, &cx.shutdown);
    let pool = connect(c).await?;
    let mut pos = load_position(&pool, c).await?;
    tracing::info!(table = %c.table, ts = %pos.ts, inc = pos.inc, "source starting");
    let query = poll_query(c);
    let delay_us = i64::try_from(c.delay.as_micros()).unwrap_or(i64::MAX);
    loop {
        if shutdown.is_cancelled() {
            return Ok(());
        }
        let rows = sqlx::query(&query)
            .bind(delay_us)
            .bind(pos.ts)
            .bind(pos.ts)
            .bind(pos.inc)
            .bind(c.batch)
            .fetch_all(&pool)
            .await
            .context("poll")?;
        cx.read_ok();
        let full = rows.len() == c.batch as usize;
        let mut messages = Vec::with_capacity(rows.len());
        let mut last = pos;
        for row in &rows {
            let inc: i64 = row.try_get("inc")?;
            let ts: NaiveDateTime = row.try_get("ts")?;
            let doc: Option<String> = row.try_get("doc")?;
            last = Position { ts, inc };
            messages.push(
                match to_row(doc.as_deref().unwrap_or_default(), &c.withdrawn_field) {
                    Ok(Published::Record(raw)) => {
                        Outgoing::keyed(c.topic.clone(), raw.id.to_string(), encode(raw.as_ref()))
                    }
                    Ok(Published::Withdrawn(id)) => {
                        metrics.count("withdrawn", "tobacco");
                        Outgoing::tombstone(c.topic.clone(), id.to_string())
                    }
                    Err(reason) => {
                        tracing::warn!(inc, error = %reason, "bad row: dead-lettering");
                        metrics.dead_lettered(&c.table);
                        runtime::source_dead_letter(
                            &c.dlq_topic,
                            format!("row:{inc}"),
                            doc.unwrap_or_default().into_bytes(),
                            &reason,
                            ("row", &format!("{}/{inc}", c.table)),
                            "tobacco-source",
                        )
                    }
                },
            );
        }
        runtime::publish_all(&cx.producer, &messages).await?;
        if last != pos {
            save_position(&pool, c, last).await?;
            for _ in &rows {
                metrics.processed(&c.table, 0.0);
            }
            tracing::debug!(rows = rows.len(), ts = %last.ts, inc = last.inc, "published");
            pos = last;
        }
        if !full {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(c.poll) => {}
            }
        }
    }
}

/// A row's document as a raw message, or why it cannot be one.
pub fn to_raw(doc: &str) -> Result<RawTobacco, String> {
    let d: UcsfDocument =
        serde_json::from_str(doc).map_err(|e| format!("document is not a ucsf record: {e}"))?;
    RawTobacco::new(d).map_err(|e| e.to_string())
}

/// A row's document as the source publishes it: the raw message, or, when its
/// `withdrawn_field` says so, its withdrawal; or why it cannot be either.
pub fn to_row(doc: &str, withdrawn_field: &str) -> Result<Published, String> {
    let raw = to_raw(doc)?;
    if contracts::is_withdrawn(raw.document.other.get(withdrawn_field)) {
        return Ok(Published::Withdrawn(raw.id));
    }
    Ok(Published::Record(Box::new(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_orders_by_timestamp_then_id_and_keeps_a_delay() {
        let c = SourceConfig::from_vars(&runtime::Vars::new()).expect("defaults");
        let q = poll_query(&c);
        assert!(
            q.contains("WHERE `updated_at` < NOW(6) - INTERVAL ? MICROSECOND"),
            "{q}"
        );
        assert!(
            q.contains("(`updated_at` > ? OR (`updated_at` = ? AND `seq` > ?))"),
            "{q}"
        );
        assert!(q.ends_with("ORDER BY `updated_at`, `seq` LIMIT ?"), "{q}");
    }

    #[test]
    fn names_that_are_not_plain_sql_are_refused_with_the_variable() {
        let vars: runtime::Vars = [("DOCSTREAM_SOURCE_TABLE", "x`; DROP TABLE y")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let err = SourceConfig::from_vars(&vars)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("DOCSTREAM_SOURCE_TABLE"), "{err}");
    }

    #[test]
    fn only_plain_names_reach_sql() {
        assert!(is_identifier("tobacco_documents"));
        for bad in ["", "a-b", "x`; DROP TABLE y", "a b", &"x".repeat(65)] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }

    #[test]
    fn rows_become_raw_messages_or_a_reason() {
        let raw = to_raw(r#"{"Legacy_(LTDL2)_Tobacco_Id": "ab1", "Title": "t"}"#).expect("valid");
        assert_eq!(raw.id.to_string(), "tobacco:ab1");
        let gone = to_row(
            r#"{"Legacy_(LTDL2)_Tobacco_Id": "ab1", "withdrawn": true}"#,
            "withdrawn",
        )
        .expect("withdrawn");
        assert_eq!(
            gone,
            Published::Withdrawn("tobacco:ab1".parse().expect("id"))
        );
        assert!(matches!(
            to_row(
                r#"{"Legacy_(LTDL2)_Tobacco_Id": "ab1", "withdrawn": false}"#,
                "withdrawn"
            ),
            Ok(Published::Record(_))
        ));
        assert!(to_raw("{oops")
            .expect_err("bad json")
            .starts_with("document is not a ucsf record"));
        assert!(to_raw(r#"{"Title": "no id"}"#)
            .expect_err("no id")
            .contains("no Legacy_(LTDL2)_Tobacco_Id"));
    }
}
