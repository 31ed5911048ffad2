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
/// source's own.) Read by a hand-written visitor ([`ucsf`]) rather than serde's
/// `flatten`, which buffers the whole record (page texts included) in an
/// intermediate tree before reading it again.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

impl<'de> Deserialize<'de> for UcsfDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ucsf::Record)
    }
}

/// Reading a UCSF record field by field: the named fields as their derive would
/// (absent or `null` is `None`, numbers where strings are usual, a field twice is an
/// error), every other field into `other` as it comes.
mod ucsf {
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::Value;

    use super::{string_or_number, PageText, UcsfDocument};

    pub(super) struct Record;

    /// A key, borrowed from the input when it has no escapes.
    struct Key<'de>(Cow<'de, str>);

    impl<'de> Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a field name")
                }
                fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v.to_owned())))
                }
                fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v)))
                }
            }
            d.deserialize_str(V)
        }
    }

    /// A field that comes as a string or a number.
    struct StringOrNumber(Option<String>);

    impl<'de> Deserialize<'de> for StringOrNumber {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            string_or_number(d).map(Self)
        }
    }

    /// The named fields, in the order of the bits that mark them seen.
    const FIELDS: [&str; 15] = [
        "Legacy_(LTDL2)_Tobacco_Id",
        "Title",
        "Document_Date",
        "Date_Added_UCSF",
        "Case",
        "Description",
        "Document_Type",
        "Organization_Mentioned",
        "Topic",
        "Witness_Name",
        "Bates_Number_prefix",
        "Numeric_start_bates",
        "Numeric_end_bates",
        "Page_Count",
        "availablility",
    ];
    const TEXT_CONTENT: &str = "text_content";

    impl<'de> Visitor<'de> for Record {
        type Value = UcsfDocument;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a UCSF record (a JSON object)")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UcsfDocument, A::Error> {
            let mut d = UcsfDocument::default();
            let mut seen = 0u32;
            let mut text_content_seen = false;
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                if key == TEXT_CONTENT {
                    if text_content_seen {
                        return Err(de::Error::duplicate_field(TEXT_CONTENT));
                    }
                    text_content_seen = true;
                    d.text_content = map.next_value::<Vec<PageText>>()?;
                    continue;
                }
                let Some(i) = FIELDS.iter().position(|f| *f == key) else {
                    let v: Value = map.next_value()?;
                    d.other.insert(key.into_owned(), v);
                    continue;
                };
                if seen & (1 << i) != 0 {
                    return Err(de::Error::duplicate_field(FIELDS[i]));
                }
                seen |= 1 << i;
                let slot = match i {
                    0 => &mut d.tobacco_id,
                    1 => &mut d.title,
                    2 => &mut d.document_date,
                    3 => &mut d.date_added,
                    4 => &mut d.case,
                    5 => &mut d.description,
                    6 => &mut d.document_type,
                    7 => &mut d.organizations,
                    8 => &mut d.topics,
                    9 => &mut d.witness,
                    10 => &mut d.bates_prefix,
                    11 => {
                        d.bates_start = map.next_value::<StringOrNumber>()?.0;
                        continue;
                    }
                    12 => {
                        d.bates_end = map.next_value::<StringOrNumber>()?.0;
                        continue;
                    }
                    13 => {
                        d.page_count = map.next_value::<StringOrNumber>()?.0;
                        continue;
                    }
                    _ => &mut d.availability,
                };
                *slot = map.next_value::<Option<String>>()?;
            }
            Ok(d)
        }
    }
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
