//! summarizer: consumes `processed.tobacco` and `processed.etds` and publishes each
//! document's summary to `summaries`, keyed by its id (the indexer writes `summary`,
//! `summary_sections` and `summary_model`). A tobacco document gets a few sentences of
//! its OCR text; a thesis, whose abstract already summarises it, gets each chapter
//! (the sections etd-ingest found) in two or three sentences, or its full text in a
//! few when no sections were found. The method is `summarize::Extractive` behind the
//! `Summarizer` seam.
//!
//! Bad input: a message that is not a processed document is dead-lettered with the
//! reason; a document without usable text (none, or only boilerplate, headings and
//! numbers) gets no summary, counted as `outcomes_total{kind="skipped",value="no_text"}`;
//! work per document is bounded by the sentence cap (`DOCSTREAM_SUMMARY_MAX_SENTENCES`).

use std::sync::Arc;

use contracts::{encode, Processed, SectionSummary, Summary};
use runtime::{Incoming, Metrics, Outgoing, Output, ProcessError, Processor};
use settings::{parse, Vars};
use summarize::{Budget, Summarizer};

/// Why the summarizer would not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How long summaries are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// A document's summary (tobacco, or a thesis without sections).
    pub document: Budget,
    /// Each chapter's.
    pub section: Budget,
    /// Chapters shorter than this (chars) are not summarised.
    pub min_section_chars: usize,
    pub method: summarize::Options,
}

impl Settings {
    /// `DOCSTREAM_SUMMARY_CHARS` (600), `_SENTENCES` (4), `_SECTION_CHARS` (400),
    /// `_SECTION_SENTENCES` (3), `_MIN_SECTION_CHARS` (300), `_MAX_SENTENCES` (1500), all
    /// `DOCSTREAM_SUMMARY_*`.
    pub fn from_vars(vars: &Vars) -> Result<Self> {
        let d = summarize::Options::default();
        let s = Self {
            document: Budget {
                chars: parse(vars, "DOCSTREAM_SUMMARY_CHARS", 600)?,
                sentences: parse(vars, "DOCSTREAM_SUMMARY_SENTENCES", 4)?,
            },
            section: Budget {
                chars: parse(vars, "DOCSTREAM_SUMMARY_SECTION_CHARS", 400)?,
                sentences: parse(vars, "DOCSTREAM_SUMMARY_SECTION_SENTENCES", 3)?,
            },
            min_section_chars: parse(vars, "DOCSTREAM_SUMMARY_MIN_SECTION_CHARS", 300)?,
            method: summarize::Options {
                max_sentences: parse(vars, "DOCSTREAM_SUMMARY_MAX_SENTENCES", d.max_sentences)?,
                ..d
            },
        };
        if s.document.chars < 50 || s.section.chars < 50 || s.method.max_sentences < 2 {
            return Err(Error::Config(
                "DOCSTREAM_SUMMARY_CHARS and _SECTION_CHARS must be at least 50, _MAX_SENTENCES at least 2".into(),
            ));
        }
        Ok(s)
    }
}

/// A thesis's chapters: (title, text) from the section offsets (chars) into its text.
pub fn chapters<'t>(text: &'t str, sections: &'t [contracts::Section]) -> Vec<(&'t str, &'t str)> {
    let starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    let byte = |chars: usize| starts.get(chars).copied().unwrap_or(text.len());
    sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let from = byte(s.offset);
            let to = sections
                .get(i + 1)
                .map_or(text.len(), |n| byte(n.offset))
                .max(from);
            (s.title.as_str(), &text[from..to])
        })
        .collect()
}

/// A section that is not a chapter to summarise: the abstract (the thesis's own
/// summary), references, acknowledgments, appendices, the table of contents.
pub fn is_apparatus(title: &str) -> bool {
    let t = title.trim().to_lowercase();
    let name = t
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
        .trim_end_matches(':');
    [
        "abstract",
        "references",
        "bibliography",
        "acknowledgments",
        "acknowledgements",
        "acknowledgment",
        "acknowledgement",
        "table of contents",
        "contents",
    ]
    .contains(&name)
        || name.starts_with("appendix")
}

/// The summary of a processed document, or `None` when it has no usable text.
pub fn summary_of(doc: &Processed, method: &dyn Summarizer, s: &Settings) -> Option<Summary> {
    let one = |text: &str, budget: Budget| -> Option<String> {
        let sentences = method.summarize(text, budget);
        (!sentences.is_empty()).then(|| sentences.join(" "))
    };
    let (id, summary, sections) = match doc {
        Processed::Tobacco(d) => (d.id.clone(), one(&d.text, s.document), Vec::new()),
        Processed::Etd(d) => {
            let text = d.fulltext.as_deref().unwrap_or_default();
            let sections: Vec<SectionSummary> = chapters(text, &d.sections)
                .into_iter()
                .filter(|(title, _)| !is_apparatus(title))
                .filter(|(_, t)| t.chars().count() >= s.min_section_chars)
                .filter_map(|(title, t)| {
                    Some(SectionSummary {
                        title: title.trim().to_owned(),
                        summary: one(t, s.section)?,
                    })
                })
                .collect();
            let summary = if sections.is_empty() {
                one(text, s.document)
            } else {
                None
            };
            (d.id.clone(), summary, sections)
        }
    };
    (summary.is_some() || !sections.is_empty()).then(|| Summary {
        schema_version: 2,
        id,
        summary,
        sections,
        model: method.name(),
    })
}

/// The runtime processor: decode, summarise off the async threads, encode.
#[derive(Clone)]
pub struct Summarize {
    pub output: String,
    pub settings: Settings,
    pub method: Arc<dyn Summarizer>,
    pub metrics: Metrics,
}

impl std::fmt::Debug for Summarize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summarize")
            .field("output", &self.output)
            .field("method", &self.method.name())
            .finish_non_exhaustive()
    }
}

impl Processor for Summarize {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        // a withdrawn document: its summary is forgotten too
        if let Some(id) = msg.withdrawn() {
            self.metrics
                .count("withdrawn", id.as_ref().map_or("?", |i| i.collection()));
            return Ok(vec![Outgoing::tombstone(self.output.clone(), id?.to_string())].into());
        }
        let payload = msg.payload.unwrap_or_default();
        let doc = Processed::decode(payload).map_err(|e| ProcessError::Invalid(e.to_string()))?;
        let (method, settings) = (self.method.clone(), self.settings);
        let summary =
            tokio::task::spawn_blocking(move || summary_of(&doc, method.as_ref(), &settings))
                .await
                .map_err(|e| ProcessError::Transient(format!("summarising: {e}")))?;
        let Some(summary) = summary else {
            self.metrics.count("skipped", "no_text");
            return Ok(Vec::new().into());
        };
        self.metrics.count("summarized", summary.id.collection());
        Ok(vec![Outgoing::keyed(
            self.output.clone(),
            summary.id.to_string(),
            encode(&summary),
        )]
        .into())
    }
}

/// The consume loop until SIGTERM.
pub async fn serve(vars: &Vars) -> Result<()> {
    let settings = Settings::from_vars(vars)?;
    let config = runtime::RuntimeConfig::from_vars(
        "summarizer",
        &runtime::Defaults::of("summarizer")?.with_max_in_flight(1000),
        vars,
    )?;
    let metrics = Metrics::new("summarizer");
    let processor = Summarize {
        output: config
            .output_topic
            .clone()
            .unwrap_or_else(|| "summaries".into()),
        settings,
        method: Arc::new(summarize::Extractive::new(settings.method)),
        metrics: metrics.clone(),
    };
    runtime::serve_with_metrics(config, metrics, processor).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::Section;

    use settings::vars_of as vars;

    #[test]
    fn settings_default_and_refuse_nonsense() {
        let s = Settings::from_vars(&Vars::new()).expect("defaults");
        assert_eq!(s.document.chars, 600);
        assert_eq!(s.section.sentences, 3);
        let e =
            Settings::from_vars(&vars(&[("DOCSTREAM_SUMMARY_CHARS", "10")])).expect_err("small");
        assert!(e.to_string().contains("DOCSTREAM_SUMMARY_CHARS"), "{e}");
    }

    #[test]
    fn the_shared_deposition_pages_are_all_boilerplate_and_get_no_summary() {
        // the shared UCSF record holds a deposition's first three pages: caption, index,
        // appearances; none of it is testimony
        let Some(path) = testkit::shared_data("tobacco_demo.json") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("tobacco_demo.json");
        let body = text.split_once('\n').map_or(text.as_str(), |(_, b)| b);
        let doc: contracts::UcsfDocument = serde_json::from_str(body).expect("a UCSF record");
        let (cleaned, _) = textclean::clean_pages(
            doc.text_content
                .iter()
                .enumerate()
                .map(|(i, p)| (u32::try_from(i + 1).unwrap_or(0), p.content.as_str())),
        );
        let method = summarize::Extractive::default();
        let s = Settings::from_vars(&Vars::new()).expect("defaults");
        let got = method.summarize(&cleaned, s.document);
        assert!(
            got.iter()
                .all(|x| !summarize::boilerplate::is_boilerplate(x)),
            "{got:?}"
        );
        let unfiltered = summarize::Extractive::new(summarize::Options {
            drop_boilerplate: false,
            ..summarize::Options::default()
        });
        assert!(
            !unfiltered.summarize(&cleaned, s.document).is_empty(),
            "without the filter the caption and appearances would be the summary"
        );
    }

    #[test]
    fn the_abstract_references_and_appendices_are_not_chapters() {
        for t in [
            "Abstract",
            "REFERENCES",
            "Acknowledgments:",
            "Appendix A Proofs",
            "7 References",
        ] {
            assert!(is_apparatus(t), "{t}");
        }
        for t in ["Chapter 1 Introduction", "3.2 Related Work", "Results"] {
            assert!(!is_apparatus(t), "{t}");
        }
    }

    #[test]
    fn chapters_are_cut_at_their_char_offsets() {
        let text = "Éé intro text. Methods here. Results at last.";
        let sections = [
            Section {
                title: "Intro".into(),
                offset: 0,
            },
            Section {
                title: "Methods".into(),
                offset: 15,
            },
            Section {
                title: "Results".into(),
                offset: 29,
            },
        ];
        let c = chapters(text, &sections);
        assert_eq!(
            c,
            [
                ("Intro", "Éé intro text. "),
                ("Methods", "Methods here. "),
                ("Results", "Results at last.")
            ]
        );
        let past = [Section {
            title: "X".into(),
            offset: 999,
        }];
        assert_eq!(chapters(text, &past), [("X", "")]);
    }
}
