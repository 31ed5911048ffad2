//! tobacco-ingest: turns a raw UCSF Industry Documents record (`raw.tobacco`) into the
//! search document of `processed.tobacco`. [`normalize`] is pure; [`Ingest`] is the
//! runtime processor around it.
//!
//! Bad input, and what happens to it:
//! - not JSON, not a `RawTobacco`, no id, a newer schema: dead-lettered (`Invalid`);
//! - pages out of order: sorted by page number (repair noted);
//! - a page number repeated: the first kept, the others dropped (repair noted);
//! - a page number that is not a number: kept in input order after the numbered ones;
//! - empty page text: the page is kept, empty, so page numbers still line up;
//! - text over the size limit: cut at the limit on a char boundary (repair noted).

pub mod source;

use std::collections::HashSet;

use contracts::{decode, encode, Bates, PageSpan, ProcessedTobacco, RawTobacco};
use runtime::{Incoming, Outgoing, Output, ProcessError, Processor};

pub use dates::{parse_date, IsoDate};

/// Limits of one document.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Cleaned text kept per document, in bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Why tobacco-ingest (or its source) would not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Limits {
    /// `DOCSTREAM_TOBACCO_MAX_TEXT_BYTES` from `vars`, the default when unset.
    pub fn from_vars(vars: &std::collections::BTreeMap<String, String>) -> Result<Self> {
        Ok(Self {
            max_text_bytes: runtime::parse(
                vars,
                "DOCSTREAM_TOBACCO_MAX_TEXT_BYTES",
                Self::default().max_text_bytes,
            )?,
        })
    }
}

/// Splits a semicolon list, trimmed, without empties or repeats.
pub fn split_list(s: Option<&str>) -> Vec<String> {
    let mut seen = HashSet::new();
    s.unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .filter(|t| seen.insert(t.to_lowercase()))
        .map(str::to_owned)
        .collect()
}

/// The processed document for a raw one.
pub fn normalize(raw: RawTobacco, limits: Limits) -> ProcessedTobacco {
    let d = raw.document;
    let mut repairs = Vec::new();

    // pages: numbered ones in order, repeats dropped, unnumbered ones after
    let mut numbered: Vec<(u32, usize, String)> = Vec::new();
    let mut unnumbered: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for (i, p) in d.text_content.into_iter().enumerate() {
        match p.page.trim().parse::<u32>() {
            Ok(n) if !seen.insert(n) => repairs.push(format!("dropped repeated page {n}")),
            Ok(n) => numbered.push((n, i, p.content)),
            Err(_) => {
                repairs.push(format!(
                    "page {:?} is not a number: kept after the numbered pages",
                    p.page
                ));
                unnumbered.push(p.content);
            }
        }
    }
    if numbered.windows(2).any(|w| w[0].0 > w[1].0) {
        repairs.push("pages were out of order: sorted by page number".into());
        numbered.sort_by_key(|(n, i, _)| (*n, *i));
    }
    let next = numbered.last().map_or(1, |(n, _, _)| n + 1);
    let (mut text, spans) = textclean::clean_pages(
        numbered
            .iter()
            .map(|(n, _, text)| (*n, text.as_str()))
            .chain(unnumbered.iter().zip(next..).map(|(t, n)| (n, t.as_str()))),
    );
    let mut pages: Vec<PageSpan> = spans
        .into_iter()
        .map(|s| PageSpan {
            page: s.page,
            start: s.start,
            end: s.end,
        })
        .collect();
    if text.len() > limits.max_text_bytes {
        let mut cut = limits.max_text_bytes;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        let chars = text.chars().count();
        pages.retain(|p| p.start < chars);
        if let Some(last) = pages.last_mut() {
            last.end = last.end.min(chars);
        }
        repairs.push(format!("text cut to {} bytes", limits.max_text_bytes));
    }

    let date = d.document_date.as_deref().and_then(parse_date);
    let bates = (d.bates_prefix.is_some() || d.bates_start.is_some() || d.bates_end.is_some())
        .then(|| Bates {
            prefix: d.bates_prefix.clone(),
            start: d.bates_start.clone(),
            end: d.bates_end.clone(),
        });
    ProcessedTobacco {
        schema_version: 1,
        collection: raw.id.collection().to_owned(),
        id: raw.id,
        title: d
            .title
            .map(|t| textclean::clean_page(&t))
            .filter(|t| !t.is_empty()),
        date: date.as_ref().map(|d| d.iso.clone()),
        year: date.as_ref().map(|d| d.year),
        date_added: d.date_added.as_deref().and_then(parse_date).map(|d| d.iso),
        case: d.case,
        description: d.description,
        document_type: d.document_type.map(|t| t.trim().to_lowercase()),
        organizations: split_list(d.organizations.as_deref()),
        topics: split_list(d.topics.as_deref()),
        witness: d.witness,
        bates,
        page_count: d.page_count.as_deref().and_then(|p| p.trim().parse().ok()),
        availability: d.availability,
        text,
        pages,
        repairs,
        source: d.other,
    }
}

/// The runtime processor: decode, normalize, encode, keyed by the document id.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub output: String,
    pub limits: Limits,
}

impl Processor for Ingest {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        // a withdrawal: passed on as the processed document's tombstone
        if let Some(id) = msg.withdrawn() {
            let id = id?;
            if id.collection() != "tobacco" {
                return Err(ProcessError::Invalid(format!(
                    "a withdrawal of {id} on raw.tobacco"
                )));
            }
            return Ok(vec![Outgoing::tombstone(self.output.clone(), id.to_string())].into());
        }
        let payload = msg.payload.unwrap_or_default();
        let raw: RawTobacco = decode(payload).map_err(|e| ProcessError::Invalid(e.to_string()))?;
        let doc = normalize(raw, self.limits);
        Ok(vec![Outgoing::keyed(
            self.output.clone(),
            doc.id.to_string(),
            encode(&doc),
        )]
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::{PageText, UcsfDocument};

    fn raw(pages: &[(&str, &str)]) -> RawTobacco {
        RawTobacco::new(UcsfDocument {
            tobacco_id: Some("abc01x00".into()),
            document_date: Some("15 March 2000".into()),
            organizations: Some("Acme Corp; Beta Inc; ; acme corp".into()),
            page_count: Some(" 3 ".into()),
            text_content: pages
                .iter()
                .map(|(p, c)| PageText {
                    page: (*p).into(),
                    content: (*c).into(),
                })
                .collect(),
            ..UcsfDocument::default()
        })
        .expect("valid")
    }

    #[test]
    fn fields_normalize() {
        let d = normalize(raw(&[("1", "one")]), Limits::default());
        assert_eq!(d.id.to_string(), "tobacco:abc01x00");
        assert_eq!(d.collection, "tobacco");
        assert_eq!(d.date.as_deref(), Some("2000-03-15"));
        assert_eq!(d.year, Some(2000));
        assert_eq!(d.organizations, ["Acme Corp", "Beta Inc"]);
        assert_eq!(d.page_count, Some(3));
        assert!(d.repairs.is_empty());
    }

    #[test]
    fn pages_out_of_order_and_repeated_are_repaired_and_noted() {
        let d = normalize(
            raw(&[("2", "two"), ("1", "one"), ("2", "again"), ("x", "loose")]),
            Limits::default(),
        );
        assert_eq!(d.text, "one\n\ntwo\n\nloose");
        let pages: Vec<u32> = d.pages.iter().map(|p| p.page).collect();
        assert_eq!(pages, [1, 2, 3]);
        assert_eq!(d.repairs.len(), 3, "{:?}", d.repairs);
    }

    #[test]
    fn empty_pages_keep_their_place_and_huge_text_is_cut() {
        let d = normalize(raw(&[("1", ""), ("2", "two")]), Limits::default());
        assert_eq!(d.pages[1].page, 2);
        assert_eq!(&d.text[d.pages[1].start..d.pages[1].end], "two");
        let big = "word ".repeat(1000);
        let d = normalize(
            raw(&[("1", &big), ("2", &big)]),
            Limits {
                max_text_bytes: 3000,
            },
        );
        assert!(d.text.len() <= 3000);
        assert_eq!(d.pages.len(), 1);
        assert!(d.repairs.iter().any(|r| r.starts_with("text cut")));
    }

    #[test]
    fn the_shared_sample_normalizes() {
        let Some(path) = testkit::shared_data("tobacco_demo.json") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("tobacco_demo.json");
        let body = text.split_once('\n').map_or(text.as_str(), |(_, b)| b);
        let doc: UcsfDocument = serde_json::from_str(body).expect("parses");
        let d = normalize(RawTobacco::new(doc).expect("id"), Limits::default());
        assert_eq!(d.date.as_deref(), Some("2000-03-15"));
        assert_eq!(d.date_added.as_deref(), Some("2004-09-15"));
        assert_eq!(
            d.topics,
            [
                "economic analysis",
                "financial investment",
                "profit",
                "promotions"
            ]
        );
        assert_eq!(d.pages.len(), 3);
        assert!(
            d.text.starts_with(
                "IN THE SUPERIOR COURT OF THE STATE OF CALIFORNIA\nIN AND FOR THE COUNTY"
            ),
            "{}",
            &d.text[..200]
        );
        assert!(!d.text.contains('\t'));
        assert!(!d.text.contains("00002"), "page counters dropped");
        assert_eq!(
            d.bates.as_ref().and_then(|b| b.prefix.as_deref()),
            Some("ADAMST")
        );
    }
}
