//! `loadtest pdf`: a generated 300-page thesis extracted through etd-ingest's own path
//! (the isolated worker under prlimit, then cleaning and assembly) and by bare
//! `pdftotext`, alternating, best round of each; the word error rate of each against
//! the thesis's known text; then OCR pages per minute on scanned pages. Last line:
//! `extract/pdftotext pages-per-second ratio: X.XX`. With `--source s3`, the S3 read
//! path against local files instead ([`crate::s3_bench`]).

use std::time::Instant;

use anyhow::{ensure, Context, Result};
use etd_ingest::worker::{extract_isolated, Limits};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 300)]
    pages: usize,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Scanned pages for the OCR rate.
    #[arg(long, default_value_t = 4)]
    ocr_pages: usize,
    /// `file`: extraction next to bare pdftotext; `s3`: the PDF read from the stack's
    /// S3 server next to a local file, and upload rates.
    #[arg(long, default_value = "file", value_parser = ["file", "s3"])]
    source: String,
    /// With `--source s3`: theses per round each way (of `--pages` pages).
    #[arg(long, default_value_t = 40)]
    theses: usize,
    /// With `--source s3`: PDFs uploaded by `docstream publish batch` and a bare loop.
    #[arg(long, default_value_t = 1000)]
    uploads: usize,
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    if args.source == "s3" {
        let s3 = crate::s3_bench::Args {
            theses: args.theses,
            pages: args.pages,
            rounds: args.rounds,
            uploads: args.uploads,
        };
        return crate::s3_bench::run(brokers, &s3).await;
    }
    let dir = std::env::temp_dir().join(format!("docstream-pdf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let g = samples::pdf::thesis(42, args.pages);
    let path = dir.join("thesis.pdf");
    std::fs::write(&path, &g.bytes)?;
    let known = g.text();
    println!("thesis: {} pages, {} bytes", args.pages, g.bytes.len());
    // this binary re-executes itself as the worker, as etd-ingest does
    let exe = std::env::current_exe()?;
    let limits = Limits::default();
    let (mut best_service, mut best_bare) = (0f64, 0f64);
    let (mut wer_service, mut wer_bare) = (0f64, 0f64);
    for round in 1..=args.rounds {
        let t0 = Instant::now();
        let out = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8", "-eol", "unix"])
            .arg(&path)
            .arg("-")
            .output()
            .context("pdftotext")?;
        let bare = t0.elapsed().as_secs_f64();
        ensure!(out.status.success(), "pdftotext failed");
        wer_bare = samples::pdf::word_error_rate(&known, &String::from_utf8_lossy(&out.stdout));

        let t0 = Instant::now();
        let e = extract_isolated(&exe, &path, &limits).await;
        let full = etd_ingest::extract::assemble(&e.pages);
        let service = t0.elapsed().as_secs_f64();
        ensure!(
            e.pages.len() == args.pages,
            "the service path read {} pages: {:?}",
            e.pages.len(),
            e.error
        );
        wer_service = samples::pdf::word_error_rate(&known, &full.text);
        #[allow(clippy::cast_precision_loss)]
        let (ps, pb) = (args.pages as f64 / service, args.pages as f64 / bare);
        println!("round {round}: etd-ingest path {ps:.0} pages/s, bare pdftotext {pb:.0} pages/s");
        best_service = best_service.max(ps);
        best_bare = best_bare.max(pb);
    }
    println!("word error rate: etd-ingest path {wer_service:.4}, bare pdftotext {wer_bare:.4} (running headers and page numbers count as errors)");

    // OCR: scanned pages, one per file, through the same path
    let mut scans = Vec::new();
    for p in 0..args.ocr_pages {
        let scan = samples::pdf::scan_of(&g.bytes, 3 + p, 200).context("render a scan")?;
        let sp = dir.join(format!("scan-{p}.pdf"));
        std::fs::write(&sp, scan)?;
        scans.push((sp, g.pages[2 + p].clone()));
    }
    let t0 = Instant::now();
    let mut ocr_wer = 0.0;
    for (sp, text) in &scans {
        let e = extract_isolated(&exe, sp, &limits).await;
        ensure!(
            e.status == contracts::FulltextStatus::Ocr,
            "not ocr'd: {:?}",
            e.error
        );
        ocr_wer +=
            samples::pdf::word_error_rate(text, &etd_ingest::extract::assemble(&e.pages).text);
    }
    #[allow(clippy::cast_precision_loss)]
    let per_minute = scans.len() as f64 / t0.elapsed().as_secs_f64() * 60.0;
    #[allow(clippy::cast_precision_loss)]
    let mean_wer = ocr_wer / scans.len().max(1) as f64;
    println!("ocr: {per_minute:.1} pages/min on one thread (200 dpi scans rendered at 300 dpi), word error rate {mean_wer:.4}");
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "best: etd-ingest path {best_service:.0} pages/s, bare pdftotext {best_bare:.0} pages/s"
    );
    println!(
        "extract/pdftotext pages-per-second ratio: {:.2}",
        best_service / best_bare
    );
    Ok(())
}
