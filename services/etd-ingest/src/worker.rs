//! PDF extraction out of process. The service re-executes itself as
//! `etd-ingest extract-worker <pdf>` under `prlimit` (address space and CPU time
//! limits) in its own process group, with a wall-clock deadline; whatever a hostile
//! PDF does to poppler or tesseract (loop, overflow its stack, eat memory) ends in that
//! group, which is killed, and the service carries on with a per-document status.
//!
//! Engines, chosen by measurement (see the README): poppler's `pdftotext` for the
//! text layer (it joins hyphenated words and orders two-column pages, reconstructs a
//! broken cross-reference table, says when a password is needed, and was faster than
//! the `pdf-extract` crate, which panicked on damaged files); pages
//! without text rendered to PGM by `pdftoppm` and read by `tesseract` (English, page
//! segmentation mode 3, one thread).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use contracts::FulltextStatus;

use crate::extract::{parse_tesseract_tsv, split_pages, Extraction, RawPage};

/// Limits on one extraction.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall clock (`DOCSTREAM_ETD_EXTRACT_TIMEOUT_SECS`, default 120).
    pub timeout: Duration,
    /// Address space of the worker and its tools (`DOCSTREAM_ETD_EXTRACT_MEMORY_MB`,
    /// default 1024).
    pub memory_bytes: u64,
    /// Larger PDFs are not opened (`DOCSTREAM_ETD_MAX_PDF_MB`, default 200).
    pub max_pdf_bytes: u64,
    /// OCR pages without text (`DOCSTREAM_ETD_OCR`, default true), at most this many
    /// per document (`DOCSTREAM_ETD_OCR_MAX_PAGES`, default 50).
    pub ocr: bool,
    pub ocr_max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            memory_bytes: 1024 << 20,
            max_pdf_bytes: 200 << 20,
            ocr: true,
            ocr_max_pages: 50,
        }
    }
}

/// A page with fewer visible characters than this has no text layer to speak of.
const MIN_PAGE_CHARS: usize = 20;

/// When this process was started as the worker (`<exe> extract-worker <pdf> <ocr
/// pages>`), does the work, prints the [`Extraction`] as JSON and returns `true`;
/// [`main_or_worker`] calls it before any runtime or thread starts.
fn run_if_worker() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("extract-worker") {
        return false;
    }
    let Some(pdf) = args.get(1) else {
        eprintln!("usage: extract-worker <pdf> <ocr pages>");
        std::process::exit(2);
    };
    let ocr: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    let out = run_worker(Path::new(pdf), ocr);
    match serde_json::to_string(&out) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("worker output: {e}");
            std::process::exit(1);
        }
    }
    true
}

/// A binary's `main` when the binary may be started as the worker (etd-ingest itself,
/// and `loadtest pdf`, which runs it through this one): the worker when it was, else
/// `serve` on a multi-threaded runtime, which only then starts, so the worker runs
/// without threads under its limits.
pub fn main_or_worker<F>(serve: impl FnOnce() -> F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    if run_if_worker() {
        return Ok(());
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

/// The worker's side: runs in the limited child and prints its [`Extraction`] as JSON.
pub fn run_worker(pdf: &Path, ocr_max_pages: usize) -> Extraction {
    // the header is in the first KiB; the file itself may be hundreds of MB
    let mut head = Vec::with_capacity(1024);
    if let Ok(f) = std::fs::File::open(pdf) {
        use std::io::Read as _;
        let _ = f.take(1024).read_to_end(&mut head);
    }
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Extraction::failed(FulltextStatus::NotPdf, "not a pdf: no %PDF- header");
    }
    // one pass of poppler: pdftotext says when a password is needed or the file
    // cannot be read, and a form feed ends every page (an extra pdfinfo pass cost
    // ~15% of the extraction time)
    let text = match tool(
        "pdftotext",
        &[
            "-enc".as_ref(),
            "UTF-8".as_ref(),
            "-eol".as_ref(),
            "unix".as_ref(),
            pdf.as_os_str(),
            "-".as_ref(),
        ],
    ) {
        Ok(out) if out.stderr.contains("Incorrect password") => {
            return Extraction::failed(
                FulltextStatus::Encrypted,
                "encrypted: a password is needed to open it",
            )
        }
        Ok(out) if out.ok => out,
        Ok(out) => {
            return Extraction::failed(
                FulltextStatus::Corrupt,
                format!("corrupt: {}", first_errors(&out.stderr)),
            )
        }
        Err(e) => return Extraction::failed(FulltextStatus::Failed, e),
    };
    let mut pages: Vec<RawPage> = split_pages(&text.stdout)
        .into_iter()
        .map(|t| RawPage {
            text: t,
            ocr_confidence: None,
        })
        .collect();
    let mut ocr_done = 0;
    let mut ocr_errors = Vec::new();
    for (i, page) in pages.iter_mut().enumerate() {
        let visible = page.text.chars().filter(|c| !c.is_whitespace()).count();
        if visible >= MIN_PAGE_CHARS || ocr_done >= ocr_max_pages {
            continue;
        }
        match ocr_page(pdf, i + 1) {
            Ok((t, conf)) => {
                if !t.trim().is_empty() {
                    page.text = t;
                    page.ocr_confidence = conf;
                }
                ocr_done += 1;
            }
            Err(e) => ocr_errors.push(format!("page {}: {e}", i + 1)),
        }
    }
    let any_ocr = pages.iter().any(|p| p.ocr_confidence.is_some());
    let mut notes = Vec::new();
    if text.stderr.contains("Error") {
        notes.push(format!(
            "recovered from a damaged file: {}",
            first_errors(&text.stderr)
        ));
    }
    if !ocr_errors.is_empty() {
        notes.push(format!("ocr failed on {}", ocr_errors.join("; ")));
    }
    if pages.iter().all(|p| p.text.trim().is_empty()) {
        notes.push("no text found".into());
    }
    Extraction {
        status: if any_ocr {
            FulltextStatus::Ocr
        } else {
            FulltextStatus::Extracted
        },
        error: (!notes.is_empty()).then(|| notes.join("; ")),
        page_count: u32::try_from(pages.len()).ok(),
        pages,
    }
}

/// One page to PGM (not PNG: much faster), then Tesseract.
fn ocr_page(pdf: &Path, page: usize) -> Result<(String, Option<f32>), String> {
    let dir = std::env::temp_dir();
    let prefix = dir.join(format!(
        "docstream-ocr-{}-{page}",
        uuid::Uuid::new_v4().simple()
    ));
    let n = page.to_string();
    let out = tool(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "300".as_ref(),
            "-gray".as_ref(),
            "-singlefile".as_ref(),
            "-f".as_ref(),
            n.as_ref(),
            "-l".as_ref(),
            n.as_ref(),
            pdf.as_os_str(),
            prefix.as_os_str(),
        ],
    )?;
    let pgm = PathBuf::from(format!("{}.pgm", prefix.display()));
    let _cleanup = Remove(pgm.clone());
    if !out.ok {
        return Err(format!("render: {}", first_errors(&out.stderr)));
    }
    let out = tool(
        "tesseract",
        &[
            pgm.as_os_str(),
            "stdout".as_ref(),
            "--psm".as_ref(),
            "3".as_ref(),
            "-l".as_ref(),
            "eng".as_ref(),
            "tsv".as_ref(),
        ],
    )?;
    if !out.ok {
        return Err(format!("tesseract: {}", first_errors(&out.stderr)));
    }
    Ok(parse_tesseract_tsv(&out.stdout))
}

struct Remove(PathBuf);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

struct ToolOutput {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn tool(name: &str, args: &[&std::ffi::OsStr]) -> Result<ToolOutput, String> {
    let out = std::process::Command::new(name)
        .args(args)
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {name}: {e} (install poppler-utils and tesseract-ocr)"))?;
    Ok(ToolOutput {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The first distinct error lines of a tool, shortened.
fn first_errors(stderr: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for l in stderr.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !seen.contains(&l) {
            seen.push(l);
        }
        if seen.len() == 3 {
            break;
        }
    }
    let s = seen.join("; ");
    if s.is_empty() {
        "the tool failed without saying why".into()
    } else {
        s.chars().take(300).collect()
    }
}

/// The service's side: runs the worker on `pdf` within `limits`.
pub async fn extract_isolated(exe: &Path, pdf: &Path, limits: &Limits) -> Extraction {
    let size = std::fs::metadata(pdf).map(|m| m.len()).unwrap_or(0);
    if size > limits.max_pdf_bytes {
        return Extraction::failed(
            FulltextStatus::TooLarge,
            format!(
                "pdf of {size} bytes is over the limit of {} (DOCSTREAM_ETD_MAX_PDF_MB)",
                limits.max_pdf_bytes
            ),
        );
    }
    let cpu = limits.timeout.as_secs().max(1) + 5;
    let mut cmd = tokio::process::Command::new("prlimit");
    cmd.arg(format!("--as={}", limits.memory_bytes))
        .arg(format!("--cpu={cpu}"))
        .arg("--")
        .arg(exe)
        .arg("extract-worker")
        .arg(pdf)
        .arg(if limits.ocr { limits.ocr_max_pages } else { 0 }.to_string())
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Extraction::failed(
                FulltextStatus::Failed,
                format!("cannot start the extraction worker: {e}"),
            )
        }
    };
    let pid = child.id();
    match tokio::time::timeout(limits.timeout, child.wait_with_output()).await {
        Err(_) => {
            kill_group(pid);
            Extraction::failed(
                FulltextStatus::Timeout,
                format!("extraction took longer than {:?}", limits.timeout),
            )
        }
        Ok(Err(e)) => Extraction::failed(FulltextStatus::Failed, format!("extraction worker: {e}")),
        Ok(Ok(out)) => {
            kill_group(pid); // any tool the worker left behind
            if out.status.success() {
                return serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                    Extraction::failed(
                        FulltextStatus::Failed,
                        format!("unreadable worker output: {e}"),
                    )
                });
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = match out.status.code() {
                None => {
                    "the extraction worker was killed (a crash, or its cpu time limit)".to_owned()
                }
                Some(c) => format!("the extraction worker failed ({c})"),
            };
            let memory = stderr.contains("memory allocation")
                || stderr.contains("out of memory")
                || stderr.contains("bad_alloc");
            let detail = if memory {
                format!(
                    "; it ran out of memory (limit {} MiB)",
                    limits.memory_bytes >> 20
                )
            } else {
                String::new()
            };
            Extraction::failed(
                FulltextStatus::Failed,
                format!("{why}{detail}: {}", first_errors(&stderr)),
            )
        }
    }
}

/// Kills a worker's process group (the worker and the tools it started).
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    }
}
