//! The hand-written reader of UCSF records reads exactly what serde's derive (with
//! `flatten` for the unmapped fields, as the type was before) reads: the same record,
//! or an error for the same inputs. Property-tested over records mixing every named
//! field, pages, unmapped fields, nulls, numbers, escapes and duplicates; and over
//! the repository's and the library's real records.

use contracts::{PageText, UcsfDocument};
use proptest::prelude::*;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The type as serde derived it before: the reference.
#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(rename = "Legacy_(LTDL2)_Tobacco_Id", default)]
    tobacco_id: Option<String>,
    #[serde(rename = "Title", default)]
    title: Option<String>,
    #[serde(rename = "Document_Date", default)]
    document_date: Option<String>,
    #[serde(rename = "Date_Added_UCSF", default)]
    date_added: Option<String>,
    #[serde(rename = "Case", default)]
    case: Option<String>,
    #[serde(rename = "Description", default)]
    description: Option<String>,
    #[serde(rename = "Document_Type", default)]
    document_type: Option<String>,
    #[serde(rename = "Organization_Mentioned", default)]
    organizations: Option<String>,
    #[serde(rename = "Topic", default)]
    topics: Option<String>,
    #[serde(rename = "Witness_Name", default)]
    witness: Option<String>,
    #[serde(rename = "Bates_Number_prefix", default)]
    bates_prefix: Option<String>,
    #[serde(rename = "Numeric_start_bates", default, deserialize_with = "son")]
    bates_start: Option<String>,
    #[serde(rename = "Numeric_end_bates", default, deserialize_with = "son")]
    bates_end: Option<String>,
    #[serde(rename = "Page_Count", default, deserialize_with = "son")]
    page_count: Option<String>,
    #[serde(rename = "availablility", default)]
    availability: Option<String>,
    #[serde(default)]
    text_content: Vec<PageText>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

fn son<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
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

impl From<Reference> for UcsfDocument {
    fn from(r: Reference) -> Self {
        Self {
            tobacco_id: r.tobacco_id,
            title: r.title,
            document_date: r.document_date,
            date_added: r.date_added,
            case: r.case,
            description: r.description,
            document_type: r.document_type,
            organizations: r.organizations,
            topics: r.topics,
            witness: r.witness,
            bates_prefix: r.bates_prefix,
            bates_start: r.bates_start,
            bates_end: r.bates_end,
            page_count: r.page_count,
            availability: r.availability,
            text_content: r.text_content,
            other: r.other,
        }
    }
}

/// Both readers agree on `json`: the same record, or both refuse it.
fn agree(json: &str) {
    let ours = serde_json::from_str::<UcsfDocument>(json);
    let reference = serde_json::from_str::<Reference>(json).map(UcsfDocument::from);
    match (ours, reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("they disagree on {json}: ours {a:?}, derive {b:?}"),
    }
}

const NAMED: [&str; 16] = [
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
    "text_content",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "\\PC{0,12}|[\\x00-\\x1f\"\\\\/\\t]{0,6}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("[a-z]{1,4}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn page() -> impl Strategy<Value = Value> {
    prop_oneof![
        (scalar(), scalar()).prop_map(|(p, c)| serde_json::json!({"page": p, "content": c})),
        scalar().prop_map(|p| serde_json::json!({ "page": p })),
        value(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(&NAMED[..]).prop_map(str::to_owned),
        "[A-Za-z_]{1,10}",
        // an escaped key that still names a field
        Just("Titl\\u0065".to_owned()),
    ]
}

fn field_value(k: &str) -> BoxedStrategy<Value> {
    if k == "text_content" {
        prop_oneof![
            proptest::collection::vec(page(), 0..4).prop_map(Value::Array),
            value(),
        ]
        .boxed()
    } else {
        value().boxed()
    }
}

/// A record as JSON text: keys may repeat, which no `Map` can hold.
fn record() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        key().prop_flat_map(|k| (Just(k.clone()), field_value(&k))),
        0..8,
    )
    .prop_map(|fields| {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn reads_what_the_derive_reads(json in record()) {
        agree(&json);
    }
}

#[test]
fn reads_every_real_record_as_the_derive_does() {
    let mut texts = vec![std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tobacco.json"
    ))
    .unwrap_or_default()];
    if let Some(p) = testkit::shared_data("tobacco_demo.json") {
        let text = std::fs::read_to_string(p).expect("tobacco_demo.json");
        // the file opens with a line of its own before the record
        texts.push(
            text.split_once('\n')
                .map_or(text.clone(), |(_, b)| b.to_owned()),
        );
    }
    for t in texts.iter().filter(|t| !t.is_empty()) {
        agree(t);
    }
    for json in [
        "[]",
        "\"x\"",
        "{}",
        r#"{"Title": 3}"#,
        r#"{"Title": "a", "Title": "b"}"#,
        r#"{"text_content": null}"#,
        r#"{"Page_Count": [1]}"#,
        r#"{"Numeric_start_bates": 2.5, "x": {"y": [1, null]}}"#,
    ] {
        agree(json);
    }
}
