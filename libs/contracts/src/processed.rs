//! A message of `processed.etds` or `processed.tobacco` read without knowing which:
//! the `collection` field says, then the collection's contract decodes it. What the
//! clusterer and the summarizer, which consume both, read.

use serde::Deserialize;

use crate::{decode, Error, ProcessedEtd, ProcessedTobacco, Result};

/// A processed document of either collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Processed {
    Etd(Box<ProcessedEtd>),
    Tobacco(Box<ProcessedTobacco>),
}

#[derive(Deserialize)]
struct Peek {
    collection: Option<String>,
}

impl Processed {
    /// The document in `payload`, or why it is not a processed document.
    pub fn decode(payload: &[u8]) -> Result<Self> {
        let peek: Peek = serde_json::from_slice(payload).map_err(|e| {
            Error::Invalid(format!("not a processed document: not a JSON object ({e})"))
        })?;
        match peek.collection.as_deref() {
            Some("etds") => Ok(Self::Etd(Box::new(decode(payload)?))),
            Some("tobacco") => Ok(Self::Tobacco(Box::new(decode(payload)?))),
            Some(other) => Err(Error::Invalid(format!(
                "not a processed document: collection {other:?} is neither \"etds\" nor \"tobacco\""
            ))),
            None => Err(Error::Invalid(
                "not a processed document: no \"collection\" field".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collection_decides_the_contract_and_bad_input_says_why() {
        let t = br#"{"schema_version": 1, "id": "tobacco:ab12", "collection": "tobacco",
            "organizations": [], "topics": [], "text": "memo", "pages": [], "repairs": [], "source": {}}"#;
        assert!(matches!(Processed::decode(t), Ok(Processed::Tobacco(d)) if d.text == "memo"));
        let e = |b: &[u8]| Processed::decode(b).expect_err("bad").to_string();
        assert!(e(b"not json").starts_with("not a processed document"));
        assert!(e(br#"{"collection": "films"}"#).contains("\"films\""));
        assert!(e(br#"{"id": "etd:1"}"#).contains("no \"collection\""));
        assert!(e(br#"{"collection": "etds", "id": "etd:1"}"#).contains("ProcessedEtd"));
    }
}
