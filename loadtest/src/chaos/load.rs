//! The steady load under the faults: tobacco records inserted into MariaDB (one in ten
//! updated a few seconds later: a second version that must win), theses with their
//! PDFs in the S3 bucket inserted into FerretDB, and search clicks on the `logs` topic.
//! A write that fails (its database is down) is retried until it lands, as a
//! producer would; what landed is recorded with its time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use sqlx::mysql::MySqlPoolOptions;
use tokio_util::sync::CancellationToken;

/// What the load wrote, for the checks at the end.
#[derive(Debug, Default)]
pub struct Written {
    /// (document id, seconds since the run began, title the index must show).
    pub docs: Vec<(String, f64, String)>,
    /// Ids of tobacco documents whose second version was written.
    pub updated: Vec<String>,
    pub clicks: usize,
}

pub struct Load {
    pub tag: String,
    pub tobacco_per_sec: f64,
    pub etds_per_sec: f64,
    pub clicks_per_sec: f64,
    pub table: String,
    pub collection: String,
    pub mysql_url: String,
    pub mongo_url: String,
    pub mongo_database: String,
    pub brokers: String,
    pub store: blobstore::Store,
    pub pdf_dir: PathBuf,
    pub began: Instant,
}

pub type Shared = Arc<Mutex<Written>>;

/// A UCSF record of this run; `version` 2 carries the title the index must end with.
fn tobacco(tag: &str, i: usize, version: u32) -> (String, Value) {
    let id = format!("{tag}t{i:07}");
    let title = match version {
        1 => format!("{tag} deposition {i}"),
        _ => format!("{tag} deposition {i} revised"),
    };
    let pages: Vec<Value> = (1..=2)
        .map(|p| {
            json!({"page": p.to_string(), "content": format!(
                "{p}  Testimony {i} of the {tag} run about marketing and sales, page {p}.\t\
                 2  The witness described the campaign in detail and the response of the board.")})
        })
        .collect();
    let doc = json!({
        "Legacy_(LTDL2)_Tobacco_Id": id,
        "Title": title,
        "Document_Date": "15 March 2000",
        "Document_Type": "deposition",
        "Organization_Mentioned": "Acme Tobacco; Federal Trade Commission",
        "Topic": "marketing; sales",
        "text_content": pages,
    });
    (id, doc)
}

/// The document id the pipeline gives a UCSF record.
fn tobacco_doc_id(doc: &Value) -> String {
    serde_json::from_value::<contracts::UcsfDocument>(doc.clone())
        .ok()
        .and_then(|d| contracts::RawTobacco::new(d).ok())
        .map(|r| r.id.to_string())
        .unwrap_or_default()
}

async fn retry<T, F, Fut>(cancel: &CancellationToken, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    loop {
        match f().await {
            Ok(v) => return Some(v),
            Err(_) if cancel.is_cancelled() => return None,
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

impl Load {
    fn now(&self) -> f64 {
        self.began.elapsed().as_secs_f64()
    }

    /// Tobacco records at their rate until cancelled; each tenth gets its second
    /// version 3 s after the first.
    pub async fn tobacco(self: Arc<Self>, out: Shared, cancel: CancellationToken) -> Result<()> {
        let pool = MySqlPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy(&self.mysql_url)?;
        let table = &self.table;
        sqlx::query(&samples::mariadb::create_tobacco_table(table))
            .execute(&pool)
            .await
            .with_context(|| format!("create table {table}"))?;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut pending_updates: Vec<(Instant, usize, i64)> = Vec::new();
        let (mut i, mut due) = (0usize, 0.0f64);
        while !cancel.is_cancelled() {
            tick.tick().await;
            due += self.tobacco_per_sec / 10.0;
            while due >= 1.0 && !cancel.is_cancelled() {
                due -= 1.0;
                let (_, doc) = tobacco(&self.tag, i, 1);
                let text = doc.to_string();
                let inserted = retry(&cancel, || async {
                    Ok(
                        sqlx::query(&format!("INSERT INTO {table} (document) VALUES (?)"))
                            .bind(&text)
                            .execute(&pool)
                            .await?
                            .last_insert_id(),
                    )
                })
                .await;
                let Some(seq) = inserted else { break };
                let title = doc["Title"].as_str().unwrap_or_default().to_owned();
                let id = tobacco_doc_id(&doc);
                if i.is_multiple_of(10) {
                    pending_updates.push((Instant::now() + Duration::from_secs(3), i, seq as i64));
                } else {
                    out.lock().expect("load").docs.push((id, self.now(), title));
                }
                i += 1;
            }
            let now = Instant::now();
            while let Some(&(at, n, seq)) = pending_updates.first() {
                if at > now {
                    break;
                }
                pending_updates.remove(0);
                let (_, doc) = tobacco(&self.tag, n, 2);
                let text = doc.to_string();
                let done = retry(&cancel, || async {
                    sqlx::query(&format!("UPDATE {table} SET document = ? WHERE seq = ?"))
                        .bind(&text)
                        .bind(seq)
                        .execute(&pool)
                        .await?;
                    Ok(())
                })
                .await;
                if done.is_some() {
                    let id = tobacco_doc_id(&doc);
                    let title = doc["Title"].as_str().unwrap_or_default().to_owned();
                    let mut w = out.lock().expect("load");
                    w.docs.push((id.clone(), self.now(), title));
                    w.updated.push(id);
                }
            }
        }
        Ok(())
    }

    /// Theses at their rate: a generated PDF uploaded, then the record inserted.
    pub async fn etds(self: Arc<Self>, out: Shared, cancel: CancellationToken) -> Result<()> {
        use mongodb::bson::{DateTime, Document};
        std::fs::create_dir_all(&self.pdf_dir)?;
        let client = mongodb::Client::with_uri_str(&self.mongo_url)
            .await
            .context("connect to FerretDB")?;
        let etds = client
            .database(&self.mongo_database)
            .collection::<Document>(&self.collection);
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / self.etds_per_sec));
        let mut i = 0usize;
        let base = 7_000_000 + (self.began.elapsed().as_nanos() as usize % 1000) * 1000;
        while !cancel.is_cancelled() {
            tick.tick().await;
            let g = samples::pdf::thesis(i as u64 + 11, 4);
            let title = format!("{} thesis {i}", self.tag);
            let path = self.pdf_dir.join(format!("{}-{i}.pdf", self.tag));
            std::fs::write(&path, &g.bytes)?;
            let Some(up) = retry(&cancel, || async {
                Ok(self.store.upload_file(&path).await?)
            })
            .await
            else {
                break;
            };
            let record = json!({
                "title-none": title,
                "contributor-author": "Chaos, Carla",
                "contributor-department": "Computer Science",
                "date-issued": "2019-05-01",
                "type-none": "Thesis",
                "degree-level": "masters",
                "identifier-uri": format!("http://hdl.handle.net/10919/{}", base + i),
                "handle": format!("{}", base + i),
            });
            let id = serde_json::from_value::<contracts::DspaceRecord>(record.clone())
                .ok()
                .and_then(|r| contracts::RawEtd::new(r, None).ok())
                .map(|r| r.id.to_string())
                .unwrap_or_default();
            let mut d: Document = mongodb::bson::to_document(&record)?;
            d.insert("pdf", format!("s3://{}/{}", up.bucket, up.key));
            let inserted = retry(&cancel, || {
                let mut d = d.clone();
                let etds = etds.clone();
                async move {
                    d.insert("updated_at", DateTime::now());
                    etds.insert_one(d).await?;
                    Ok(())
                }
            })
            .await;
            if inserted.is_none() {
                break;
            }
            out.lock().expect("load").docs.push((id, self.now(), title));
            i += 1;
        }
        Ok(())
    }

    /// Search clicks (version 2 log lines) on documents written so far.
    pub async fn clicks(self: Arc<Self>, out: Shared, cancel: CancellationToken) -> Result<()> {
        let producer: FutureProducer = crate::kafka::config(&self.brokers)
            .set("linger.ms", "20")
            .set("message.timeout.ms", "600000")
            .create()?;
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / self.clicks_per_sec));
        let mut n = 0usize;
        while !cancel.is_cancelled() {
            tick.tick().await;
            let docs: Vec<String> = {
                let w = out.lock().expect("load");
                let len = w.docs.len();
                w.docs[len.saturating_sub(50)..]
                    .iter()
                    .map(|d| d.0.clone())
                    .collect()
            };
            if docs.is_empty() {
                continue;
            }
            let session = format!("{}s{}", self.tag, n / 5);
            let doc = &docs[n % docs.len()];
            let line = json!({
                "schema_version": 2,
                "data": {
                    "dataset": "tobacco",
                    "time": chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                    "session": session,
                    "query_id": format!("{session}q"),
                    "rank": 1 + n % 5,
                    "collection": "tobacco",
                    "doc_id": doc,
                }
            });
            let body = line.to_string();
            // delivery is awaited off the loop: a broker restart only delays it
            let p = producer.clone();
            tokio::spawn(async move {
                let r = FutureRecord::to("logs").key(&session).payload(&body);
                let _ = p.send(r, Duration::from_secs(600)).await;
            });
            n += 1;
            out.lock().expect("load").clicks = n;
        }
        Ok(())
    }
}
