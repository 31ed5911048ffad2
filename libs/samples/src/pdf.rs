//! Deterministic PDFs for the ETD tests, benchmarks and demo, written from scratch at run
//! time (never committed): thesis-like documents with a known text (title page,
//! abstract, chapters, a ligature, words hyphenated across lines, a table, a
//! two-column page), and damaged or hostile files. [`word_error_rate`] compares an
//! extraction with the known text.

use std::fmt::Write as _;
use std::io::Write as _;

/// A PDF and the words a perfect extraction would find, page by page.
#[derive(Debug, Clone)]
pub struct Generated {
    pub bytes: Vec<u8>,
    pub pages: Vec<String>,
}

impl Generated {
    /// All the known text.
    pub fn text(&self) -> String {
        self.pages.join("\n")
    }
}

const VOCAB: &[&str] = &[
    "analysis",
    "boundary",
    "layer",
    "measurements",
    "turbine",
    "network",
    "protein",
    "structure",
    "energy",
    "bridge",
    "design",
    "signal",
    "wireless",
    "control",
    "model",
    "results",
    "experiment",
    "distribution",
    "pressure",
    "velocity",
    "thermal",
    "sensor",
    "algorithm",
    "performance",
    "community",
    "education",
    "policy",
    "material",
    "stress",
    "fatigue",
    "genome",
    "cell",
    "climate",
    "water",
    "urban",
    "history",
    "language",
    "behavior",
    "learning",
    "optimization",
    "robust",
    "efficient",
    "significant",
];

/// A small deterministic generator (no dependency on `rand` for fixtures).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn word(&mut self) -> &'static str {
        VOCAB[usize::try_from(self.next()).unwrap_or(0) % VOCAB.len()]
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut s = String::new();
        for i in 0..words {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.word());
        }
        s
    }
}

/// One page being laid out: PDF operators and the text they show.
struct Page {
    ops: String,
    text: Vec<String>,
}

impl Page {
    fn new() -> Self {
        Self {
            ops: String::new(),
            text: Vec::new(),
        }
    }

    /// Shows `s` at (x, y) in font `font` of `size`. `\u{1}` stands for the fi ligature.
    fn show(&mut self, font: &str, size: u32, x: u32, y: u32, s: &str) {
        let _ = writeln!(
            self.ops,
            "BT /{font} {size} Tf {x} {y} Td ({}) Tj ET",
            escape(s)
        );
    }

    /// Fills lines of about `width` chars from `words` starting at `y`, hyphenating the
    /// word that does not fit when it is long, and records the known text.
    fn paragraph(&mut self, x: u32, mut y: u32, width: usize, text: &str) -> u32 {
        let mut line = String::new();
        let mut known = Vec::new();
        for word in text.split(' ') {
            if line.len() + 1 + word.len() > width && !line.is_empty() {
                if word.len() >= 8 && line.len() + 5 < width {
                    // hyphenate across the line end
                    let cut = word.len() / 2;
                    line.push(' ');
                    line.push_str(&word[..cut]);
                    line.push('-');
                    self.show("F1", 11, x, y, &line);
                    y = y.saturating_sub(14);
                    line = word[cut..].to_owned();
                    known.push(word.to_owned());
                    continue;
                }
                self.show("F1", 11, x, y, &line);
                y = y.saturating_sub(14);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            known.push(word.to_owned());
        }
        if !line.is_empty() {
            self.show("F1", 11, x, y, &line);
            y = y.saturating_sub(14);
        }
        self.text.push(known.join(" ").replace('\u{1}', "fi"));
        y
    }
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\u{1}' => out.push_str("\\001"),
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// A thesis of `pages` pages (at least 6): title page, abstract, chapters of body text
/// with hyphenated words and a ligature, a table, a two-column page; running headers
/// and page numbers, which extraction should drop.
pub fn thesis(seed: u64, pages: usize) -> Generated {
    let mut rng = Lcg(seed);
    let mut out: Vec<Page> = Vec::new();
    let mut title = Page::new();
    let title_text = format!("A Study of {} {}", cap(rng.word()), cap(rng.word()));
    title.show("F2", 20, 100, 600, &title_text);
    title.show("F1", 12, 100, 560, "Jane Doe");
    title.show("F1", 12, 100, 530, "Dissertation submitted to the Faculty");
    title.text.push(format!(
        "{title_text}\nJane Doe\nDissertation submitted to the Faculty"
    ));
    out.push(title);

    let mut abs = Page::new();
    abs.show("F2", 14, 72, 720, "Abstract");
    abs.text.push("Abstract".into());
    let body = format!("This work is ef\u{1}cient. {}", rng.sentence(120));
    abs.paragraph(72, 690, 85, &body);
    out.push(abs);

    let mut chapter = 0;
    for p in 2..pages {
        let mut page = Page::new();
        let mut y = 720;
        if p == pages - 2 {
            // a table
            page.show("F2", 12, 72, y, "Table 1 Results");
            page.text.push("Table 1 Results".into());
            y -= 24;
            for row in 0..8 {
                let cells: Vec<String> = (0..4)
                    .map(|c| {
                        if row == 0 {
                            format!("col{c}")
                        } else {
                            format!("{}", rng.next() % 1000)
                        }
                    })
                    .collect();
                for (c, cell) in cells.iter().enumerate() {
                    page.show("F1", 11, 72 + 110 * u32::try_from(c).unwrap_or(0), y, cell);
                }
                page.text.push(cells.join(" "));
                y -= 16;
            }
        } else if p == pages - 1 {
            // two columns
            let left = rng.sentence(90);
            let right = rng.sentence(90);
            page.paragraph(72, 720, 38, &left);
            page.paragraph(320, 720, 38, &right);
        } else {
            if p % 4 == 2 {
                chapter += 1;
                let heading = format!("Chapter {chapter} {}", cap(rng.word()));
                page.show("F2", 16, 72, y, &heading);
                page.text.push(heading);
                y -= 36;
            }
            let text = rng.sentence(330);
            page.paragraph(72, y, 85, &text);
        }
        out.push(page);
    }
    // running header and page number on every page but the title page
    for (i, page) in out.iter_mut().enumerate().skip(1) {
        page.show("F1", 9, 72, 760, "A Study Running Header");
        page.show("F1", 10, 300, 40, &format!("{}", i + 1));
    }
    let texts = out.iter().map(|p| p.text.join("\n")).collect();
    let streams: Vec<Vec<u8>> = out.into_iter().map(|p| p.ops.into_bytes()).collect();
    Generated {
        bytes: assemble(&streams, None),
        pages: texts,
    }
}

/// Pages filled line by line from the top, a new page when one is full.
struct Flow {
    pages: Vec<Page>,
    y: u32,
}

impl Flow {
    const TOP: u32 = 720;
    const BOTTOM: u32 = 72;

    fn new() -> Self {
        Self {
            pages: vec![Page::new()],
            y: Self::TOP,
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.y < Self::BOTTOM {
            self.pages.push(Page::new());
            self.y = Self::TOP;
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn heading(&mut self, text: &str) {
        if self.y < Self::BOTTOM + 60 {
            self.y = 0; // a heading starts a page rather than end one
        }
        let y = self.y;
        let page = self.page();
        let y = if page.text.is_empty() { Flow::TOP } else { y };
        page.show("F2", 14, 72, y, text);
        page.text.push(text.to_owned());
        self.y = y.saturating_sub(28);
    }

    /// One paragraph in lines of at most 85 chars, then a blank line.
    fn paragraph(&mut self, text: &str) {
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in text.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > 85 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
        for l in lines {
            let y = self.y;
            let page = self.page();
            let y = if page.text.is_empty() && y < Flow::BOTTOM {
                Flow::TOP
            } else {
                y.max(Flow::BOTTOM)
            };
            page.show("F1", 11, 72, y, &l);
            page.text.push(l);
            self.y = y.saturating_sub(14);
        }
        self.y = self.y.saturating_sub(8);
    }
}

/// A thesis laid out from real text: a title page (title, author, degree line), the
/// abstract under `Abstract`, then each chapter under `Chapter N <title>`, pages
/// filled line by line. Characters outside ASCII print as `?`.
pub fn thesis_of(
    title: &str,
    author: &str,
    abstract_text: &str,
    chapters: &[(String, String)],
) -> Generated {
    let mut front = Page::new();
    front.show("F2", 18, 72, 600, title);
    front.show("F1", 12, 72, 560, author);
    front.show("F1", 12, 72, 530, "Dissertation submitted to the Faculty");
    front.text.push(format!(
        "{title}\n{author}\nDissertation submitted to the Faculty"
    ));
    let mut flow = Flow::new();
    flow.heading("Abstract");
    flow.paragraph(abstract_text);
    for (i, (name, text)) in chapters.iter().enumerate() {
        flow.heading(&format!("Chapter {} {name}", i + 1));
        for p in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
            flow.paragraph(p);
        }
    }
    let mut pages = vec![front];
    pages.extend(flow.pages.into_iter().filter(|p| !p.text.is_empty()));
    for (i, page) in pages.iter_mut().enumerate().skip(1) {
        page.show("F1", 10, 300, 40, &format!("{}", i + 1));
    }
    let texts = pages.iter().map(|p| p.text.join("\n")).collect();
    let streams: Vec<Vec<u8>> = pages.into_iter().map(|p| p.ops.into_bytes()).collect();
    Generated {
        bytes: assemble(&streams, None),
        pages: texts,
    }
}

fn cap(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// An image-only page: a grayscale scan (`width` x `height`, 8-bit) filling a letter page.
pub fn scanned(gray: &[u8], width: usize, height: usize) -> Vec<u8> {
    let ops = b"q 612 0 0 792 0 0 cm /Im1 Do Q\n".to_vec();
    assemble(&[ops], Some((gray, width, height)))
}

/// A scan of page `page` (1-based) of `pdf`: the page rendered to gray pixels at
/// `dpi` by poppler's `pdftoppm`, wrapped as an image-only PDF with no text layer.
pub fn scan_of(pdf: &[u8], page: usize, dpi: u32) -> std::io::Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("docstream-scan-{}-{page}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let src = dir.join("src.pdf");
    std::fs::write(&src, pdf)?;
    let n = page.to_string();
    let status = std::process::Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-gray",
            "-singlefile",
            "-f",
            &n,
            "-l",
            &n,
        ])
        .arg(&src)
        .arg(dir.join("scan"))
        .status()?;
    let pgm = std::fs::read(dir.join("scan.pgm"));
    let _ = std::fs::remove_dir_all(&dir);
    if !status.success() {
        return Err(std::io::Error::other("pdftoppm failed"));
    }
    let pgm = pgm?;
    let (w, h, pixels) =
        pgm_pixels(&pgm).ok_or_else(|| std::io::Error::other("not a binary PGM"))?;
    Ok(scanned(pixels, w, h))
}

/// Width, height and pixels of a binary (P5, 8-bit) PGM.
fn pgm_pixels(pgm: &[u8]) -> Option<(usize, usize, &[u8])> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&pgm[start..i]).ok()?.to_owned());
    }
    if fields[0] != "P5" {
        return None;
    }
    let (w, h): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    Some((w, h, pgm.get(i + 1..i + 1 + w * h)?))
}

/// Writes a PDF: fonts F1 (Times-Roman, code 1 = fi) and F2 (Helvetica-Bold), one page
/// per content stream, and optionally an image XObject `Im1` on every page.
fn assemble(streams: &[Vec<u8>], image: Option<(&[u8], usize, usize)>) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1 catalog, 2 pages, 3 F1, 4 F2, 5 image (optional), then page + content pairs
    let n = streams.len();
    let first_page = if image.is_some() { 6 } else { 5 };
    let kids: Vec<String> = (0..n)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /fi] >> >>".to_vec());
    objects.push(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    );
    let xobject = if let Some((gray, w, h)) = image {
        let mut o = format!("<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {} >>\nstream\n", gray.len()).into_bytes();
        o.extend_from_slice(gray);
        o.extend_from_slice(b"\nendstream");
        objects.push(o);
        " /XObject << /Im1 5 0 R >>"
    } else {
        ""
    };
    for (i, s) in streams.iter().enumerate() {
        let content = first_page + 2 * i + 1;
        objects.push(format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >>{xobject} >> /Contents {content} 0 R >>").into_bytes());
        let mut o = format!("<< /Length {} >>\nstream\n", s.len()).into_bytes();
        o.extend_from_slice(s);
        o.extend_from_slice(b"\nendstream");
        objects.push(o);
    }
    write_objects(&objects)
}

/// Serializes numbered objects (1..) with a correct cross-reference table.
fn write_objects(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(out, "{off:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out
}

/// Damaged and hostile files, by name.
pub fn hostile(seed: u64) -> Vec<(&'static str, Vec<u8>)> {
    let good = thesis(seed, 8).bytes;
    let mut rng = Lcg(seed ^ 0x5eed);
    let random: Vec<u8> = (0..20_000).map(|_| (rng.next() & 0xff) as u8).collect();
    let mut header_then_random = b"%PDF-1.5\n".to_vec();
    header_then_random.extend_from_slice(&random);
    let truncated = good[..good.len() * 6 / 10].to_vec();
    let wrong_startxref = {
        let key = b"startxref\n";
        let at = good
            .windows(key.len())
            .rposition(|w| w == key)
            .map_or(0, |p| p + key.len());
        let end = good[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(good.len(), |e| at + e);
        let mut b = good[..at].to_vec();
        b.extend_from_slice(b"123");
        b.extend_from_slice(&good[end..]);
        b
    };
    // a form XObject that draws itself
    let self_drawing = write_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream(b"/X1 Do\n", ""),
        stream(b"/X1 Do\n", "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X1 5 0 R >> >>"),
    ]);
    // a page tree whose kid is its own parent
    let page_tree_loop = write_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>".to_vec(),
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>".to_vec(),
    ]);
    // a content stream of ~300 MB once inflated (~300 KB in the file)
    let bomb = {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..300 {
            let _ = z.write_all(&chunk);
        }
        let data = z.finish().unwrap_or_default();
        write_objects(&[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
            stream(&data, "/Filter /FlateDecode"),
        ])
    };
    vec![
        ("random-bytes", random),
        ("header-then-random", header_then_random),
        ("truncated", truncated),
        ("wrong-startxref", wrong_startxref),
        ("self-drawing-page", self_drawing),
        ("page-tree-loop", page_tree_loop),
        ("inflation-bomb", bomb),
    ]
}

fn stream(data: &[u8], dict: &str) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

/// Word error rate of `got` against `want`: word-level edit distance over the number
/// of words wanted, after lowercasing and dropping punctuation.
pub fn word_error_rate(want: &str, got: &str) -> f64 {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace())
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (a, b) = (words(want), words(got));
    if a.is_empty() {
        return if b.is_empty() { 0.0 } else { 1.0 };
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, wa) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, wb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(wa != wb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theses_are_deterministic_and_well_formed() {
        let a = thesis(7, 8);
        let b = thesis(7, 8);
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.pages.len(), 8);
        assert!(a.bytes.starts_with(b"%PDF-1.4"));
        assert!(a.text().contains("efficient"));
        assert!(a.text().contains("Chapter 1"));
    }

    #[test]
    fn a_thesis_of_real_text_has_its_chapters_on_filled_pages() {
        let body = "The model learns from data. ".repeat(400);
        let chapters = vec![
            ("Introduction".to_owned(), body.clone()),
            ("Methods".to_owned(), format!("{body}\n\n{body}")),
        ];
        let g = thesis_of(
            "Learning (Well)",
            "Ada Lovelace",
            "We study learning.",
            &chapters,
        );
        assert!(g.bytes.starts_with(b"%PDF-1.4"));
        assert!(g.pages.len() > 6, "{} pages", g.pages.len());
        let text = g.text();
        for want in [
            "Learning (Well)",
            "Abstract",
            "Chapter 1 Introduction",
            "Chapter 2 Methods",
        ] {
            assert!(text.contains(want), "{want}");
        }
        assert!(g.pages.iter().skip(1).all(|p| p.lines().count() <= 48));
    }

    #[test]
    fn word_error_rate_counts_edits() {
        assert_eq!(word_error_rate("a b c d", "a b c d"), 0.0);
        assert!((word_error_rate("a b c d", "a x c") - 0.5).abs() < 1e-9);
        assert_eq!(word_error_rate("One, two.", "one two"), 0.0);
    }
}
