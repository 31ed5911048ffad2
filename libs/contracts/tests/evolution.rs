//! Schema evolution of `raw.etds`: messages written by the previous version (1: `url`
//! and `inline` references, no `s3`) are read by this one unchanged; this version's
//! `s3` messages say version 2, so a reader of version 1 rejects them with the reason
//! instead of misreading them; a version newer than this reader's is rejected too.

use contracts::{decode, encode, PdfRef, RawEtd};

/// As version 1 wrote them, byte for byte (keys in its field order).
const V1_FILE: &str = r#"{"schema_version":1,"id":"etd:10919/5","metadata":{"title-none":"A thesis","handle":"10919/5"},"pdf":{"kind":"url","url":"file:///data/etds/5.pdf","bytes":1234}}"#;
const V1_INLINE: &str = r#"{"schema_version":1,"id":"etd:10919/6","metadata":{"handle":"10919/6"},"pdf":{"kind":"inline","filename":"6.pdf","base64":"JVBERi0xLjQ="}}"#;
const V1_NONE: &str = r#"{"schema_version":1,"id":"etd:10919/7","metadata":{"handle":"10919/7"}}"#;

#[test]
fn version_1_messages_are_read_unchanged() {
    let file: RawEtd = decode(V1_FILE.as_bytes()).expect("v1 file message");
    assert!(matches!(
        &file.pdf,
        Some(PdfRef::Url { url, bytes: Some(1234), sha256: None }) if url == "file:///data/etds/5.pdf"
    ));
    let inline: RawEtd = decode(V1_INLINE.as_bytes()).expect("v1 inline message");
    assert_eq!(
        inline
            .pdf
            .expect("pdf")
            .inline_bytes()
            .expect("bytes")
            .as_deref(),
        Some(&b"%PDF-1.4"[..])
    );
    let none: RawEtd = decode(V1_NONE.as_bytes()).expect("v1 message without a pdf");
    assert!(none.pdf.is_none());
    // and written back, a version 1 message is what version 1 wrote
    assert_eq!(String::from_utf8(encode(&file)).expect("utf-8"), V1_FILE);
}

#[test]
fn an_s3_message_is_version_2_and_round_trips() {
    let raw = RawEtd::new(
        serde_json::from_str(r#"{"handle": "10919/8"}"#).expect("record"),
        Some(PdfRef::S3 {
            bucket: "docstream".into(),
            key: format!("pdfs/{}.pdf", "0".repeat(64)),
            size: Some(10),
            sha256: Some("0".repeat(64)),
        }),
    )
    .expect("raw");
    let bytes = encode(&raw);
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(text.starts_with(r#"{"schema_version":2,"#), "{text}");
    assert!(
        text.contains(r#""kind":"s3","bucket":"docstream""#),
        "{text}"
    );
    assert_eq!(decode::<RawEtd>(&bytes).expect("decodes"), raw);
    // a producer may say `bytes` as for a url
    let alias = text.replace(r#""size":10"#, r#""bytes":10"#);
    assert_eq!(decode::<RawEtd>(alias.as_bytes()).expect("alias"), raw);
}

#[test]
fn a_newer_version_is_rejected_with_the_reason() {
    let v3 = V1_FILE.replace(r#""schema_version":1"#, r#""schema_version":3"#);
    let err = decode::<RawEtd>(v3.as_bytes()).expect_err("newer");
    assert!(
        err.to_string().contains("schema_version 3 is newer"),
        "{err}"
    );
}
