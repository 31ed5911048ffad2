//! From the extractor's raw page texts to the processed document's full text: pages
//! cleaned (`textclean`: NFKC, hyphenation across line ends, page numbers), running
//! headers dropped, page offsets kept, sections found. Pure functions; the worker
//! that produces the raw pages is in [`crate::worker`].

use contracts::{FulltextStatus, PageSpan, Section};
use serde::{Deserialize, Serialize};

/// One page as the worker read it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RawPage {
    pub text: String,
    /// Mean Tesseract word confidence when the page was OCR'd.
    pub ocr_confidence: Option<f32>,
}

/// What the worker reports for one PDF.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Extraction {
    pub status: FulltextStatus,
    /// Why it failed, or what was repaired.
    pub error: Option<String>,
    pub page_count: Option<u32>,
    pub pages: Vec<RawPage>,
}

impl Extraction {
    pub fn failed(status: FulltextStatus, error: impl Into<String>) -> Self {
        Self {
            status,
            error: Some(error.into()),
            page_count: None,
            pages: Vec::new(),
        }
    }
}

/// The full text, page spans, sections and mean OCR confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct FullText {
    pub text: String,
    pub pages: Vec<PageSpan>,
    pub sections: Vec<Section>,
    pub ocr_confidence: Option<f32>,
}

/// `pdftotext` output: pages end with a form feed.
pub fn split_pages(out: &str) -> Vec<String> {
    let mut pages: Vec<String> = out.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) && pages.len() > 1 {
        pages.pop();
    }
    pages
}

/// A line's shape for comparing headers across pages: digits ignored.
fn shape(line: &str) -> String {
    line.chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>()
        .trim()
        .to_lowercase()
}

/// Drops a running header or footer: a first or last line that recurs (digits aside)
/// on at least half of the pages, when there are at least four.
pub fn drop_running_lines(pages: Vec<String>) -> Vec<String> {
    if pages.len() < 4 {
        return pages;
    }
    let recurring = |pick: fn(&str) -> Option<&str>| -> Option<String> {
        let mut counts = std::collections::HashMap::<String, usize>::new();
        for p in &pages {
            if let Some(l) = pick(p) {
                let s = shape(l);
                if s.len() >= 3 {
                    *counts.entry(s).or_default() += 1;
                }
            }
        }
        counts
            .into_iter()
            .filter(|(_, n)| n * 2 >= pages.len())
            .max_by_key(|(_, n)| *n)
            .map(|(s, _)| s)
    };
    fn first(p: &str) -> Option<&str> {
        p.lines().find(|l| !l.trim().is_empty())
    }
    fn last(p: &str) -> Option<&str> {
        p.lines().rev().find(|l| !l.trim().is_empty())
    }
    let head = recurring(first);
    let foot = recurring(last);
    pages
        .into_iter()
        .map(|p| {
            let lines: Vec<&str> = p.lines().collect();
            let mut start = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(0);
            let mut end = lines
                .iter()
                .rposition(|l| !l.trim().is_empty())
                .map_or(0, |e| e + 1);
            if start < end && head.as_deref() == Some(shape(lines[start]).as_str()) {
                start += 1;
            }
            if start < end && foot.as_deref() == Some(shape(lines[end - 1]).as_str()) {
                end -= 1;
            }
            lines[start.min(end)..end].join("\n")
        })
        .collect()
}

/// Cleans and joins the pages.
pub fn assemble(pages: &[RawPage]) -> FullText {
    let raw: Vec<String> = pages.iter().map(|p| p.text.clone()).collect();
    let kept = drop_running_lines(raw);
    let (text, spans) = textclean::clean_pages(
        kept.iter()
            .enumerate()
            .map(|(i, p)| (u32::try_from(i + 1).unwrap_or(u32::MAX), p.as_str())),
    );
    let confs: Vec<f32> = pages.iter().filter_map(|p| p.ocr_confidence).collect();
    #[allow(clippy::cast_precision_loss)]
    let ocr_confidence =
        (!confs.is_empty()).then(|| confs.iter().sum::<f32>() / confs.len() as f32);
    FullText {
        sections: sections(&text),
        pages: spans
            .into_iter()
            .map(|s| PageSpan {
                page: s.page,
                start: s.start,
                end: s.end,
            })
            .collect(),
        text,
        ocr_confidence,
    }
}

/// Headings: the abstract, chapters (`Chapter 3 …`, `CHAPTER 3`), numbered headings
/// (`2 Related Work`, `2.1 Methods`) and the usual unnumbered ones, each with its char
/// offset in the full text.
pub fn sections(text: &str) -> Vec<Section> {
    const NAMED: &[&str] = &[
        "abstract",
        "acknowledgments",
        "acknowledgements",
        "introduction",
        "conclusion",
        "conclusions",
        "references",
        "bibliography",
        "appendix",
    ];
    let mut out = Vec::new();
    let mut offset = 0; // chars
    for line in text.split('\n') {
        let t = line.trim();
        let lower = t.to_lowercase();
        let words = t.split_whitespace().count();
        let chapter = lower.starts_with("chapter ")
            && t.split_whitespace().nth(1).is_some_and(|w| {
                w.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            })
            && words <= 12;
        let numbered = {
            let mut parts = t.splitn(2, ' ');
            let num = parts.next().unwrap_or("");
            let rest = parts.next().unwrap_or("");
            !num.is_empty()
                && num.len() <= 5
                && num.chars().all(|c| c.is_ascii_digit() || c == '.')
                && num.chars().next().is_some_and(|c| c.is_ascii_digit())
                && num.split('.').filter(|p| !p.is_empty()).count() <= 2
                && rest.chars().next().is_some_and(char::is_uppercase)
                && (2..=10).contains(&rest.split_whitespace().count())
                && !rest.ends_with('.')
                && rest
                    .chars()
                    .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == ':')
        };
        let named = NAMED.contains(&lower.trim_end_matches(':'));
        if chapter || numbered || named {
            out.push(Section {
                title: t.to_owned(),
                offset: offset + line.chars().take_while(|c| c.is_whitespace()).count(),
            });
        }
        offset += line.chars().count() + 1;
    }
    out
}

/// Tesseract's TSV: the words of each line joined, lines in reading order, and the
/// mean word confidence.
pub fn parse_tesseract_tsv(tsv: &str) -> (String, Option<f32>) {
    /// (page, block, paragraph, line): where a word sits.
    type LineKey = (u32, u32, u32, u32);
    let mut lines: Vec<(LineKey, Vec<String>)> = Vec::new();
    let mut confs = Vec::new();
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let word = cols[11].trim();
        let conf: f32 = cols[10].parse().unwrap_or(-1.0);
        if word.is_empty() || conf < 0.0 {
            continue;
        }
        let n = |i: usize| cols[i].parse::<u32>().unwrap_or(0);
        let key = (n(1), n(2), n(3), n(4));
        match lines.last_mut() {
            Some((k, words)) if *k == key => words.push(word.to_owned()),
            _ => lines.push((key, vec![word.to_owned()])),
        }
        confs.push(conf);
    }
    let text = lines
        .into_iter()
        .map(|(_, w)| w.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    #[allow(clippy::cast_precision_loss)]
    let mean = (!confs.is_empty()).then(|| confs.iter().sum::<f32>() / confs.len() as f32);
    (text, mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_split_on_form_feeds() {
        assert_eq!(split_pages("a\u{c}b\u{c}"), ["a", "b"]);
        assert_eq!(split_pages(""), [""]);
    }

    #[test]
    fn running_headers_and_footers_go_and_body_stays() {
        let pages: Vec<String> = (1..=5)
            .map(|i| format!("My Thesis Title\nbody of page {i}\nmore text\nPage {i} of 5"))
            .collect();
        let out = drop_running_lines(pages);
        for (i, p) in out.iter().enumerate() {
            assert_eq!(p, &format!("body of page {}\nmore text", i + 1));
        }
    }

    #[test]
    fn assembled_text_keeps_page_offsets_and_finds_sections() {
        let pages = vec![
            RawPage {
                text: "Abstract\nWe study graphs and net-\nworks.".into(),
                ocr_confidence: None,
            },
            RawPage {
                text: "Chapter 1 Introduction\nGraphs are everywhere.\n2".into(),
                ocr_confidence: Some(90.0),
            },
            RawPage {
                text: "2.1 Related Work\nOthers did this.".into(),
                ocr_confidence: Some(80.0),
            },
        ];
        let f = assemble(&pages);
        assert!(f.text.contains("graphs and networks."), "{}", f.text);
        assert!(!f.text.contains("\n2\n"), "page number kept: {}", f.text);
        let chars: Vec<char> = f.text.chars().collect();
        let page2: String = chars[f.pages[1].start..f.pages[1].end].iter().collect();
        assert!(page2.starts_with("Chapter 1 Introduction"), "{page2}");
        let titles: Vec<&str> = f.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Abstract", "Chapter 1 Introduction", "2.1 Related Work"]
        );
        let at: String = chars[f.sections[2].offset..].iter().take(4).collect();
        assert_eq!(at, "2.1 ");
        assert_eq!(f.ocr_confidence, Some(85.0));
    }

    #[test]
    fn ordinary_sentences_are_not_headings() {
        let s = sections("3 cats sat on the mat.\n2017 was a year\nChapter and verse are quoted here at length by many");
        assert!(s.is_empty(), "{s:?}");
    }

    #[test]
    fn tesseract_tsv_becomes_lines_and_a_confidence() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tHello\n\
                   5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t80\tworld\n\
                   5\t1\t1\t1\t2\t1\t0\t0\t1\t1\t70\tagain\n";
        let (text, conf) = parse_tesseract_tsv(tsv);
        assert_eq!(text, "Hello world\nagain");
        assert_eq!(conf, Some(80.0));
    }
}
