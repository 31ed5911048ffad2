//! Tobacco-settlement documents: the UCSF Industry Documents record with its OCR'd
//! pages (`raw.tobacco`) and the processed search document (`processed.tobacco`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::envelope::contract;
use crate::{DocId, Error, PageSpan, Result};

/// `raw.tobacco`: one document as a producer or the MySQL source publishes it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RawTobacco {
    pub schema_version: u32,
    pub id: DocId,
    /// The UCSF record, exactly as it comes.
    pub document: UcsfDocument,
}
contract!(RawTobacco, "RawTobacco", 1);

impl RawTobacco {
    /// A raw message for a UCSF record, its id taken from the record.
    pub fn new(document: UcsfDocument) -> Result<Self> {
        Ok(Self {
            schema_version: 1,
            id: document.doc_id()?,
            document,
        })
    }
}

/// A UCSF Industry Documents record. Every field but the id may be absent; fields
/// docstream does not map stay in `other`. (The misspelled `availablility` is the
/// source's own.)
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct UcsfDocument {
    #[serde(
        rename = "Legacy_(LTDL2)_Tobacco_Id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tobacco_id: Option<String>,
    #[serde(rename = "Title", default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `15 March 2000` or `2000-03-15`.
    #[serde(
        rename = "Document_Date",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub document_date: Option<String>,
    #[serde(
        rename = "Date_Added_UCSF",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub date_added: Option<String>,
    #[serde(rename = "Case", default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    #[serde(
        rename = "Document_Type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub document_type: Option<String>,
    /// Semicolon-separated.
    #[serde(
        rename = "Organization_Mentioned",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub organizations: Option<String>,
    /// Semicolon-separated.
    #[serde(rename = "Topic", default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<String>,
    #[serde(
        rename = "Witness_Name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub witness: Option<String>,
    #[serde(
        rename = "Bates_Number_prefix",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub bates_prefix: Option<String>,
    #[serde(
        rename = "Numeric_start_bates",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub bates_start: Option<String>,
    #[serde(
        rename = "Numeric_end_bates",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub bates_end: Option<String>,
    #[serde(
        rename = "Page_Count",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "string_or_number"
    )]
    pub page_count: Option<String>,
    #[serde(
        rename = "availablility",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub availability: Option<String>,
    /// The OCR text of each page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_content: Vec<PageText>,
    /// Every field not named above, untouched.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl UcsfDocument {
    /// `tobacco:<id>`.
    pub fn doc_id(&self) -> Result<DocId> {
        let id = self
            .tobacco_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::Invalid("tobacco record has no Legacy_(LTDL2)_Tobacco_Id".into())
            })?;
        format!("tobacco:{id}").parse()
    }
}

/// One page's OCR text. The page number comes as a string or a number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PageText {
    #[serde(deserialize_with = "required_string_or_number")]
    pub page: String,
    #[serde(default)]
    pub content: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a string or a number, found {other}"
            )))
        }
    })
}

fn required_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    string_or_number(d)?.ok_or_else(|| serde::de::Error::custom("page is null"))
}

/// The processed tobacco document: the search document of `processed.tobacco`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProcessedTobacco {
    pub schema_version: u32,
    pub id: DocId,
    /// Always `tobacco`.
    pub collection: String,
    pub title: Option<String>,
    /// ISO 8601 (`2000-03-15`).
    pub date: Option<String>,
    pub year: Option<i32>,
    pub date_added: Option<String>,
    pub case: Option<String>,
    pub description: Option<String>,
    pub document_type: Option<String>,
    pub organizations: Vec<String>,
    pub topics: Vec<String>,
    pub witness: Option<String>,
    pub bates: Option<Bates>,
    pub page_count: Option<u32>,
    pub availability: Option<String>,
    /// The cleaned OCR text of all pages.
    pub text: String,
    /// Where each page starts and ends in `text` (char offsets).
    pub pages: Vec<PageSpan>,
    /// Repairs made to the input (pages reordered, duplicates dropped, text cut).
    pub repairs: Vec<String>,
    /// Every UCSF field not mapped above.
    pub source: Map<String, Value>,
}
contract!(ProcessedTobacco, "ProcessedTobacco", 1);

/// The Bates numbers a document was produced under.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Bates {
    pub prefix: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}
