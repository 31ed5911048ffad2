//! `loadtest pdf --source s3`: the same generated theses through etd-ingest's own
//! fetch-and-extract path with each PDF read from the stack's S3 server and from a
//! local file, the two ways interleaved thesis by thesis (this machine's noise then
//! falls on both alike), times summed over every round (theses per second, and the
//! fetch alone); then the
//! upload rate of `docstream publish batch` for `--uploads` PDFs (MB/s, the binary
//! run as a person runs it, Kafka sends included) next to a bare `object_store` put
//! loop over the same files at the same concurrency. Last line:
//! `extract/s3-vs-file ratio: X.XX`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use contracts::PdfRef;
use etd_ingest::fetch;
use etd_ingest::worker::{extract_isolated, Limits};
use futures::StreamExt as _;

/// What `loadtest pdf --source s3` measures.
#[derive(Debug, Clone, Copy)]
pub struct Args {
    /// Theses extracted per round, each way.
    pub theses: usize,
    /// Pages of each.
    pub pages: usize,
    pub rounds: usize,
    /// PDFs uploaded by `publish batch` and by the bare loop.
    pub uploads: usize,
}

/// The `DOCSTREAM_S3_*` variables: the environment's, else the local stack's, with
/// `prefix` (the bench's own store and the `publish batch` it runs use the same).
fn s3_vars(prefix: &str) -> runtime::Vars {
    let mut vars = runtime::env_vars();
    for (k, v) in [
        ("DOCSTREAM_S3_ENDPOINT", "http://127.0.0.1:7070"),
        ("DOCSTREAM_S3_BUCKET", "docstream"),
        ("DOCSTREAM_S3_ACCESS_KEY_ID", "docstream"),
        ("DOCSTREAM_S3_SECRET_ACCESS_KEY", "docstream-secret"),
    ] {
        vars.entry(k.to_owned()).or_insert_with(|| v.to_owned());
    }
    vars.insert("DOCSTREAM_S3_PREFIX".into(), prefix.to_owned());
    vars.retain(|k, _| k.starts_with("DOCSTREAM_S3_"));
    vars
}

fn store(prefix: &str) -> Result<blobstore::Store> {
    Ok(blobstore::Store::new(blobstore::S3Settings::from_vars(
        &s3_vars(prefix),
    )?))
}

fn run_id() -> String {
    format!("loadtest-{}", uuid::Uuid::new_v4().simple())
}

/// Fetches and extracts one reference: (seconds fetching, seconds in all).
async fn extract_one(
    http: &reqwest::Client,
    store: &blobstore::Store,
    r: &PdfRef,
    exe: &Path,
    limits: &Limits,
    pages: usize,
) -> Result<(f64, f64)> {
    let t0 = Instant::now();
    let local = fetch::fetch(http, store, r, limits.max_pdf_bytes)
        .await
        .map_err(|e| anyhow::anyhow!("fetch {r:?}: {e}"))?;
    let fetched = t0.elapsed().as_secs_f64();
    let e = extract_isolated(exe, &local.path, limits).await;
    let full = etd_ingest::extract::assemble(&e.pages);
    ensure!(
        e.pages.len() == pages && !full.text.is_empty(),
        "read {} pages: {:?}",
        e.pages.len(),
        e.error
    );
    Ok((fetched, t0.elapsed().as_secs_f64()))
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let id = run_id();
    let dir = std::env::temp_dir().join(&id);
    std::fs::create_dir_all(&dir)?;
    let store = store(&format!("{id}/extract/"))?;
    let (mut files, mut objects) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for i in 0..args.theses {
        let g = samples::pdf::thesis(1000 + i as u64, args.pages);
        let path = dir.join(format!("thesis-{i}.pdf"));
        std::fs::write(&path, &g.bytes)?;
        bytes += g.bytes.len();
        let up = store
            .upload_file(&path)
            .await
            .context("upload to the stack's S3 server (scripts/stack up)")?;
        files.push(PdfRef::Url {
            url: format!("file://{}", path.display()),
            bytes: Some(up.size),
            sha256: Some(up.sha256.clone()),
        });
        objects.push(PdfRef::S3 {
            bucket: up.bucket,
            key: up.key,
            size: Some(up.size),
            sha256: Some(up.sha256),
        });
    }
    println!(
        "theses: {} of {} pages, {:.1} MB in all; both ways check the sha256",
        args.theses,
        args.pages,
        bytes as f64 / 1e6
    );
    let exe = std::env::current_exe()?;
    let limits = Limits::default();
    let http = reqwest::Client::new();
    // (fetching, in all) seconds, summed
    let (mut s3, mut file) = ((0f64, 0f64), (0f64, 0f64));
    for round in 1..=args.rounds {
        let (r3, rf) = (s3, file);
        for (i, (o, f)) in objects.iter().zip(&files).enumerate() {
            // which way goes first alternates too
            let ways = if i % 2 == 0 {
                [(o, &mut s3), (f, &mut file)]
            } else {
                [(f, &mut file), (o, &mut s3)]
            };
            for (r, sum) in ways {
                let (fetched, all) =
                    extract_one(&http, &store, r, &exe, &limits, args.pages).await?;
                sum.0 += fetched;
                sum.1 += all;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let n = args.theses as f64;
        println!(
            "round {round}: from s3 {:.2} theses/s, from a local file {:.2} theses/s",
            n / (s3.1 - r3.1),
            n / (file.1 - rf.1)
        );
    }
    #[allow(clippy::cast_precision_loss)]
    let n = (args.theses * args.rounds) as f64;

    upload_rates(brokers, args, &dir).await?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "all rounds: from s3 {:.2} theses/s (fetch {:.1} ms each), from a local file {:.2} theses/s (fetch {:.1} ms each)",
        n / s3.1,
        s3.0 / n * 1e3,
        n / file.1,
        file.0 / n * 1e3
    );
    println!("extract/s3-vs-file ratio: {:.2}", file.1 / s3.1);
    Ok(())
}

/// `docstream publish batch` of `uploads` theses (JSON beside each PDF) into a fresh
/// prefix, then a bare put loop of the same PDFs into another; MB/s of each.
async fn upload_rates(brokers: &str, args: &Args, dir: &Path) -> Result<()> {
    let docstream = std::env::current_exe()?.with_file_name("docstream");
    ensure!(
        docstream.exists(),
        "{} is missing: cargo build --release -p docstream-cli -p loadtest",
        docstream.display()
    );
    let batch = dir.join("batch");
    std::fs::create_dir_all(&batch)?;
    let mut pdfs: Vec<PathBuf> = Vec::new();
    let mut total = 0u64;
    for i in 0..args.uploads {
        let g = samples::pdf::thesis(5000 + i as u64, 6 + i % 20);
        let pdf = batch.join(format!("t{i:05}.pdf"));
        std::fs::write(&pdf, &g.bytes)?;
        total += g.bytes.len() as u64;
        std::fs::write(
            batch.join(format!("t{i:05}.json")),
            serde_json::json!({
                "title-none": format!("Uploaded thesis {i}"),
                "contributor-author": "Doe, Jane",
                "identifier-uri": format!("http://hdl.handle.net/10919/{}", 900_000 + i),
            })
            .to_string(),
        )?;
        pdfs.push(pdf);
    }
    #[allow(clippy::cast_precision_loss)]
    let mb = total as f64 / 1e6;
    let topic = format!("{}-raw-etds", run_id());
    crate::kafka::create_topics(brokers, &[&topic], 1).await?;
    let t0 = Instant::now();
    let out = std::process::Command::new(&docstream)
        .args(["publish", "--etds-topic", &topic, "batch"])
        .arg(&batch)
        .env("DOCSTREAM_KAFKA_BROKERS", brokers)
        .envs(s3_vars(&format!("{}/publish/", run_id())))
        .output()
        .context("run docstream publish batch")?;
    let publish = t0.elapsed().as_secs_f64();
    crate::kafka::delete_topics(brokers, &[&topic]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.success() && stderr.contains(&format!("pdfs: {} uploaded", args.uploads)),
        "publish batch: {}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );

    let bare = store(&format!("{}/bare/", run_id()))?;
    let bucket = bare.upload_bucket()?.to_owned();
    let t0 = Instant::now();
    let results: Vec<Result<()>> = futures::stream::iter(pdfs.iter().enumerate())
        .map(|(i, p)| {
            let (bare, bucket) = (&bare, &bucket);
            async move {
                let size = std::fs::metadata(p)?.len();
                let key = format!("{}{i}.pdf", bare.settings().prefix);
                bare.put_file(bucket, &key, p, size).await?;
                Ok(())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let bare_secs = t0.elapsed().as_secs_f64();
    results.into_iter().collect::<Result<Vec<()>>>()?;
    println!(
        "upload of {} PDFs ({mb:.1} MB): docstream publish batch {:.1} MB/s ({:.0} PDFs/s, Kafka sends included), bare object_store puts {:.1} MB/s ({:.0} PDFs/s), ratio {:.2}",
        args.uploads,
        mb / publish,
        args.uploads as f64 / publish,
        mb / bare_secs,
        args.uploads as f64 / bare_secs,
        bare_secs / publish
    );
    Ok(())
}
