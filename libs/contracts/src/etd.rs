//! Theses and dissertations: the raw DSpace record with its PDF reference (`raw.etds`)
//! and the processed search document (`processed.etds`).
//!
//! The PDF travels by reference, not in the message: theses run to tens of megabytes
//! and Kafka's default message limit is 1 MiB, so a producer puts the file where the
//! ingest service can read it and sends the reference (the claim-check pattern): an
//! object in S3-compatible storage (the normal path: Ceph RGW, a cloud bucket, the
//! stack's versitygw), or a `file://` path on a shared volume or an `http(s)://` URL.
//! Only a PDF of at most [`INLINE_PDF_LIMIT`] may ride inline, base64-encoded, which
//! keeps every raw message well under the limit with its metadata.
//!
//! Versions of `RawEtd`: 1 had `url` and `inline` references; 2 added `s3`. A message is
//! written with the lowest version that can say it (an `s3` reference makes it 2), so a
//! reader of version 1 still reads every message without one and dead-letters, with
//! the reason, one it would misread.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::envelope::contract;
use crate::{DocId, Error, OneOrMany, Result};

/// The largest PDF that may travel inside a message (decoded bytes).
pub const INLINE_PDF_LIMIT: usize = 256 * 1024;

/// `raw.etds`: one ETD as a producer or the MongoDB source publishes it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RawEtd {
    pub schema_version: u32,
    pub id: DocId,
    /// The DSpace metadata, exactly as exported.
    pub metadata: DspaceRecord,
    /// Where the PDF is; absent when the record has no file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf: Option<PdfRef>,
}
contract!(RawEtd, "RawEtd", 2);

impl RawEtd {
    /// A raw ETD for a DSpace record, its id taken from the record's handle.
    pub fn new(metadata: DspaceRecord, pdf: Option<PdfRef>) -> Result<Self> {
        let id = metadata.doc_id()?;
        if let Some(pdf) = &pdf {
            pdf.validate()?;
        }
        Ok(Self {
            schema_version: if matches!(pdf, Some(PdfRef::S3 { .. })) {
                2
            } else {
                1
            },
            id,
            metadata,
            pdf,
        })
    }
}

/// Where an ETD's PDF is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PdfRef {
    /// `file:///shared/etds/x.pdf`, `https://…/x.pdf`.
    Url {
        url: String,
        /// Size in bytes, when the producer knows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<u64>,
        /// Hex SHA-256 of the file, when the producer knows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    /// A small PDF carried in the message, base64.
    Inline { filename: String, base64: String },
    /// An object in S3-compatible storage (since version 2 of `RawEtd`); the reader
    /// reaches it with its own credentials, never ones in the message.
    S3 {
        bucket: String,
        key: String,
        /// Size in bytes, when the producer knows it.
        #[serde(default, alias = "bytes", skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        /// Hex SHA-256 of the object, when the producer knows it; the reader checks it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
}

impl PdfRef {
    /// A reference from a string as producers write it: `s3://bucket/key`, or a
    /// `file://` or `http(s)://` URL.
    pub fn parse(s: &str) -> Result<Self> {
        let r = match s.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                Self::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    size: None,
                    sha256: None,
                }
            }
            None => Self::Url {
                url: s.to_owned(),
                bytes: None,
                sha256: None,
            },
        };
        r.validate()?;
        Ok(r)
    }

    /// The reference as one string (`s3://bucket/key`, the URL), which the processed
    /// document keeps so the library's pages can link the PDF; none for an inline PDF.
    pub fn location(&self) -> Option<String> {
        match self {
            Self::Url { url, .. } => Some(url.clone()),
            Self::S3 { bucket, key, .. } => Some(format!("s3://{bucket}/{key}")),
            Self::Inline { .. } => None,
        }
    }

    /// The SHA-256 the producer gave, if any.
    pub fn sha256(&self) -> Option<&str> {
        match self {
            Self::Url { sha256, .. } | Self::S3 { sha256, .. } => sha256.as_deref(),
            Self::Inline { .. } => None,
        }
    }

    /// Checks the scheme of a URL, an S3 bucket name and key, or the size of an
    /// inline file.
    pub fn validate(&self) -> Result<()> {
        if let Some(h) = self.sha256() {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Invalid(format!(
                    "pdf sha256 {h:?} is not 64 hex digits"
                )));
            }
        }
        match self {
            Self::S3 { bucket, key, .. } => validate_s3(bucket, key),
            Self::Url { url, .. } => {
                let ok = ["file://", "http://", "https://"]
                    .iter()
                    .any(|s| url.starts_with(s) && url.len() > s.len());
                if ok {
                    Ok(())
                } else {
                    Err(Error::Invalid(format!(
                        "pdf url {url:?} is not file://, http:// or https://"
                    )))
                }
            }
            Self::Inline { .. } => self.inline_bytes().map(|_| ()),
        }
    }

    /// The decoded bytes of an inline PDF; `None` for a URL.
    pub fn inline_bytes(&self) -> Result<Option<Vec<u8>>> {
        let Self::Inline { base64, .. } = self else {
            return Ok(None);
        };
        if base64.len() > INLINE_PDF_LIMIT.div_ceil(3) * 4 + 4 {
            return Err(Error::Invalid(format!(
                "inline pdf over {INLINE_PDF_LIMIT} bytes: pass it by url"
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|e| Error::Invalid(format!("inline pdf is not base64: {e}")))?;
        if bytes.len() > INLINE_PDF_LIMIT {
            return Err(Error::Invalid(format!(
                "inline pdf over {INLINE_PDF_LIMIT} bytes: pass it by url"
            )));
        }
        Ok(Some(bytes))
    }

    /// Wraps a small file inline.
    pub fn inline(filename: &str, bytes: &[u8]) -> Result<Self> {
        if bytes.len() > INLINE_PDF_LIMIT {
            return Err(Error::Invalid(format!(
                "inline pdf over {INLINE_PDF_LIMIT} bytes: pass it by url"
            )));
        }
        Ok(Self::Inline {
            filename: filename.to_owned(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}

/// An S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting
/// and ending with a letter or digit) and a key (1 to 1024 bytes, not starting with
/// `/`).
fn validate_s3(bucket: &str, key: &str) -> Result<()> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge_ok(bucket.chars().next())
        && edge_ok(bucket.chars().last());
    if !bucket_ok {
        return Err(Error::Invalid(format!(
            "s3 bucket {bucket:?} is not a bucket name (3 to 63 of a-z 0-9 . -)"
        )));
    }
    if key.is_empty() || key.len() > 1024 || key.starts_with('/') {
        return Err(Error::Invalid(format!(
            "s3 key {key:?} of bucket {bucket} is empty, over 1024 bytes or starts with /"
        )));
    }
    Ok(())
}

/// A DSpace metadata record as exported: repeatable fields are a string or a list,
/// many are absent. Fields docstream does not map stay in `other`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct DspaceRecord {
    #[serde(
        rename = "title-none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<OneOrMany<String>>,
    #[serde(
        rename = "contributor-author",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub authors: Option<OneOrMany<String>>,
    #[serde(
        rename = "contributor-committeechair",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub committee_chair: Option<OneOrMany<String>>,
    #[serde(
        rename = "contributor-committeecochair",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub committee_cochair: Option<OneOrMany<String>>,
    #[serde(
        rename = "contributor-committeemember",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub committee_members: Option<OneOrMany<String>>,
    #[serde(
        rename = "contributor-department",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub department: Option<OneOrMany<String>>,
    #[serde(
        rename = "date-accessioned",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub date_accessioned: Option<OneOrMany<String>>,
    #[serde(
        rename = "date-available",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub date_available: Option<OneOrMany<String>>,
    #[serde(
        rename = "date-issued",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub date_issued: Option<OneOrMany<String>>,
    #[serde(
        rename = "degree-discipline",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub degree_discipline: Option<OneOrMany<String>>,
    #[serde(
        rename = "degree-grantor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub degree_grantor: Option<OneOrMany<String>>,
    #[serde(
        rename = "degree-level",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub degree_level: Option<OneOrMany<String>>,
    #[serde(
        rename = "degree-name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub degree_name: Option<OneOrMany<String>>,
    #[serde(
        rename = "description-abstract",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub abstract_text: Option<OneOrMany<String>>,
    #[serde(rename = "handle", default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<OneOrMany<String>>,
    #[serde(
        rename = "identifier-uri",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub uri: Option<OneOrMany<String>>,
    #[serde(
        rename = "language-iso",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub language: Option<OneOrMany<String>>,
    #[serde(
        rename = "publisher-none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub publisher: Option<OneOrMany<String>>,
    #[serde(
        rename = "rights-none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub rights: Option<OneOrMany<String>>,
    #[serde(
        rename = "subject-none",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub subjects: Option<OneOrMany<String>>,
    #[serde(rename = "type-none", default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<OneOrMany<String>>,
    /// Every field not named above, untouched.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl DspaceRecord {
    /// The full DSpace handle (`10919/73987`): from the handle URI when the record has
    /// one (also behind a proxy host such as `hdl.handle.net.ezproxy.lib.vt.edu`), else
    /// the `handle` field when it is already prefixed.
    pub fn full_handle(&self) -> Option<String> {
        let from_uri = self.uri.as_ref().and_then(OneOrMany::first).and_then(|u| {
            let (_, after_host) = u.split_once("hdl.handle.net")?;
            let (_, path) = after_host.split_once('/')?;
            let path = path.trim_end_matches('/');
            path.contains('/').then(|| path.to_owned())
        });
        from_uri.or_else(|| {
            self.handle
                .as_ref()
                .and_then(OneOrMany::first)
                .filter(|h| h.contains('/'))
                .cloned()
        })
    }

    /// `etd:<handle>`.
    pub fn doc_id(&self) -> Result<DocId> {
        let handle = self.full_handle().ok_or_else(|| {
            Error::Invalid(
                "etd record has no handle: needs identifier-uri or a prefixed handle".into(),
            )
        })?;
        format!("etd:{handle}").parse()
    }
}

/// How the full text of an ETD was obtained, or why it was not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FulltextStatus {
    /// The PDF's text layer.
    Extracted,
    /// Some or all pages by OCR.
    Ocr,
    /// The record has no PDF.
    NoPdf,
    Encrypted,
    Corrupt,
    NotPdf,
    TooLarge,
    Timeout,
    /// Extraction failed for another reason (the error is logged and counted).
    Failed,
}

/// The processed ETD: the search document of `processed.etds`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProcessedEtd {
    pub schema_version: u32,
    pub id: DocId,
    /// Always `etds`.
    pub collection: String,
    pub title: String,
    pub authors: Vec<String>,
    /// Committee chair and co-chair.
    pub advisors: Vec<String>,
    pub committee_members: Vec<String>,
    pub department: Option<String>,
    pub degree: Degree,
    /// `thesis` or `dissertation`.
    pub doc_type: String,
    /// ISO 8601 (`2017-01-05`).
    pub date_issued: Option<String>,
    pub year: Option<i32>,
    pub date_accessioned: Option<String>,
    pub subjects: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: Option<String>,
    pub handle: String,
    pub uri: Option<String>,
    pub language: Option<String>,
    pub rights: Option<String>,
    pub publisher: Option<String>,
    pub fulltext: Option<String>,
    pub fulltext_status: FulltextStatus,
    /// Why extraction failed, when it did.
    pub fulltext_error: Option<String>,
    pub page_count: Option<u32>,
    /// Where each page starts and ends in `fulltext` (char offsets).
    pub pages: Vec<PageSpan>,
    pub sections: Vec<Section>,
    /// Mean Tesseract word confidence (0–100) over OCR'd pages.
    pub ocr_confidence: Option<f32>,
    /// Where the PDF is, as the raw message referenced it (`s3://bucket/key`,
    /// `file://` or `http(s)://`; none for an inline PDF or none at all), so the
    /// library's pages can link it.
    /// Absent in messages of before it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_url: Option<String>,
    /// Every DSpace field not mapped above, untouched.
    pub source: Map<String, Value>,
}
contract!(ProcessedEtd, "ProcessedEtd", 1);

/// Degree facets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Degree {
    pub name: Option<String>,
    /// `doctoral` or `masters`.
    pub level: Option<String>,
    pub discipline: Option<String>,
    pub grantor: Option<String>,
}

/// A page's place in the full text, in chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct PageSpan {
    pub page: u32,
    pub start: usize,
    pub end: usize,
}

/// A detected section (abstract, a chapter) and where it starts in the full text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Section {
    pub title: String,
    pub offset: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_refs_accept_file_and_http_urls_only() {
        let url = |u: &str| PdfRef::Url {
            url: u.into(),
            bytes: None,
            sha256: None,
        };
        assert!(url("file:///data/x.pdf").validate().is_ok());
        assert!(url("https://example.org/x.pdf").validate().is_ok());
        assert!(url("ftp://x/y.pdf").validate().is_err());
        assert!(url("file://").validate().is_err());
    }

    #[test]
    fn s3_references_parse_and_check_bucket_key_and_checksum() {
        let r = PdfRef::parse("s3://etds/pdfs/ab.pdf").expect("s3");
        assert_eq!(
            r,
            PdfRef::S3 {
                bucket: "etds".into(),
                key: "pdfs/ab.pdf".into(),
                size: None,
                sha256: None
            }
        );
        assert_eq!(r.location().as_deref(), Some("s3://etds/pdfs/ab.pdf"));
        assert!(PdfRef::parse("file:///x.pdf").is_ok());
        for bad in [
            "s3://etds",
            "s3://etds/",
            "s3://Etds/x",
            "s3://e/x",
            "s3://-etd/x",
        ] {
            assert!(PdfRef::parse(bad).is_err(), "{bad}");
        }
        let with_sum = |h: &str| PdfRef::S3 {
            bucket: "etds".into(),
            key: "k".into(),
            size: Some(3),
            sha256: Some(h.into()),
        };
        assert!(with_sum(&"a".repeat(64)).validate().is_ok());
        assert!(with_sum("abc").validate().is_err());
    }

    #[test]
    fn a_raw_etd_has_the_lowest_version_that_can_say_it() {
        let record: DspaceRecord =
            serde_json::from_str(r#"{"handle": "10919/5"}"#).expect("record");
        let url = PdfRef::parse("file:///x.pdf").expect("url");
        let s3 = PdfRef::parse("s3://etds/x.pdf").expect("s3");
        assert_eq!(
            RawEtd::new(record.clone(), None)
                .expect("none")
                .schema_version,
            1
        );
        assert_eq!(
            RawEtd::new(record.clone(), Some(url))
                .expect("url")
                .schema_version,
            1
        );
        assert_eq!(RawEtd::new(record, Some(s3)).expect("s3").schema_version, 2);
    }

    #[test]
    fn inline_pdfs_are_bounded() {
        let small = PdfRef::inline("a.pdf", b"%PDF-1.4 tiny").expect("small");
        assert_eq!(
            small.inline_bytes().expect("decodes").as_deref(),
            Some(&b"%PDF-1.4 tiny"[..])
        );
        assert!(PdfRef::inline("big.pdf", &vec![0u8; INLINE_PDF_LIMIT + 1]).is_err());
        let forged = PdfRef::Inline {
            filename: "f.pdf".into(),
            base64: "A".repeat(INLINE_PDF_LIMIT * 2),
        };
        assert!(forged.validate().is_err());
    }

    #[test]
    fn handle_comes_from_the_uri_or_a_prefixed_handle() {
        let r: DspaceRecord = serde_json::from_str(
            r#"{"handle": "73987", "identifier-uri": "http://hdl.handle.net/10919/73987"}"#,
        )
        .expect("record");
        assert_eq!(r.doc_id().expect("id").to_string(), "etd:10919/73987");
        let r: DspaceRecord = serde_json::from_str(
            r#"{"handle": "77866", "identifier-uri": "http://hdl.handle.net.ezproxy.lib.vt.edu/10919/77866"}"#,
        )
        .expect("record");
        assert_eq!(r.doc_id().expect("id").to_string(), "etd:10919/77866");
        let r: DspaceRecord = serde_json::from_str(r#"{"handle": "10919/5"}"#).expect("record");
        assert_eq!(r.doc_id().expect("id").to_string(), "etd:10919/5");
        let r: DspaceRecord = serde_json::from_str(r#"{"handle": "5"}"#).expect("record");
        assert!(r.doc_id().is_err());
    }
}
