//! What the clusterer embeds, pure: a processed document's text (title and abstract
//! of an ETD; title and description, or the first part of the OCR text, of a tobacco
//! document), cut to a bound on a char boundary.

use contracts::{DocId, Processed};

/// How much text is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// Of a tobacco document without a description, the first this many chars of its
    /// text (the OCR's first page names what the document is).
    pub tobacco_text_chars: usize,
    /// Any text is cut to this many chars before tokenizing: the model reads at most
    /// its windows (8 × 256 word pieces, a few chars each) anyway.
    pub max_chars: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        Self {
            tobacco_text_chars: 1000,
            max_chars: 16_384,
        }
    }
}

/// A document to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: DocId,
    pub collection: &'static str,
    /// Empty when the document has none (it then gets no embedding).
    pub text: String,
}

/// The document in a `processed.etds` or `processed.tobacco` payload, or why it is not
/// one.
pub fn document(payload: &[u8], limits: TextLimits) -> Result<Document, String> {
    let (id, text) = match Processed::decode(payload).map_err(|e| e.to_string())? {
        Processed::Etd(d) => {
            let text = join(&[Some(d.title.as_str()), d.abstract_text.as_deref()]);
            (d.id, text)
        }
        Processed::Tobacco(d) => {
            let body = match d.description.as_deref().map(str::trim) {
                Some(desc) if !desc.is_empty() => desc.to_owned(),
                _ => cut(&d.text, limits.tobacco_text_chars).to_owned(),
            };
            (d.id, join(&[d.title.as_deref(), Some(&body)]))
        }
    };
    Ok(Document {
        collection: id.collection(),
        text: cut(&text, limits.max_chars).to_owned(),
        id,
    })
}

/// The non-empty parts, trimmed, as sentences.
fn join(parts: &[Option<&str>]) -> String {
    let parts: Vec<&str> = parts
        .iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    parts.join(". ")
}

/// The first `chars` chars of `s`.
pub fn cut(s: &str, chars: usize) -> &str {
    s.char_indices().nth(chars).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn etd(title: &str, abstract_text: Option<&str>) -> Vec<u8> {
        samples::processed::bytes(&samples::processed::etd(
            "etd:10919/1",
            title,
            abstract_text,
            None,
            &[],
        ))
    }

    #[test]
    fn an_etd_is_its_title_and_abstract() {
        let d = document(
            &etd("Turbine cooling", Some(" Film cooling of blades. ")),
            TextLimits::default(),
        )
        .expect("document");
        assert_eq!(d.id.to_string(), "etd:10919/1");
        assert_eq!(d.collection, "etds");
        assert_eq!(d.text, "Turbine cooling. Film cooling of blades.");
        let d = document(&etd(" ", None), TextLimits::default()).expect("document");
        assert_eq!(d.text, "", "no text: nothing to embed");
    }

    #[test]
    fn a_tobacco_document_is_its_title_and_description_or_first_text() {
        let doc = |description: Option<&str>| {
            let mut d =
                samples::processed::tobacco("tobacco:ab12", Some("Memo"), &"é".repeat(5000));
            d["description"] = json!(description);
            samples::processed::bytes(&d)
        };
        let limits = TextLimits::default();
        let d = document(&doc(Some("Sales to youth")), limits).expect("document");
        assert_eq!(d.text, "Memo. Sales to youth");
        let d = document(&doc(None), limits).expect("document");
        assert_eq!(d.text.chars().count(), "Memo. ".len() + 1000);
        let tight = TextLimits {
            tobacco_text_chars: 1000,
            max_chars: 10,
        };
        assert_eq!(document(&doc(None), tight).expect("doc").text, "Memo. éééé");
    }

    #[test]
    fn what_is_not_a_processed_document_says_why() {
        let e = document(b"not json", TextLimits::default()).expect_err("bad");
        assert!(e.starts_with("not a processed document"), "{e}");
        let e = document(br#"{"collection": "films"}"#, TextLimits::default()).expect_err("bad");
        assert!(e.contains("\"films\""), "{e}");
        let e = document(br#"{"id": "etd:1"}"#, TextLimits::default()).expect_err("bad");
        assert!(e.contains("no \"collection\""), "{e}");
        let e = document(
            br#"{"collection": "etds", "id": "etd:1"}"#,
            TextLimits::default(),
        )
        .expect_err("bad");
        assert!(e.contains("ProcessedEtd"), "{e}");
    }
}
