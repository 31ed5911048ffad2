//! `encode` writes with sonic-rs; these hold its bytes to serde_json's for every kind
//! of value the contracts carry: any text, numbers of every size, floats.

use contracts::{encode, DocId, PageSpan, ProcessedTobacco, Recommendation, Related};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn tobacco(text: String, strings: Vec<String>, numbers: (i64, u64, f64)) -> ProcessedTobacco {
    let mut source = Map::new();
    for (i, s) in strings.iter().enumerate() {
        source.insert(format!("{s}{i}"), Value::String(s.clone()));
    }
    source.insert("i64".into(), numbers.0.into());
    source.insert("u64".into(), numbers.1.into());
    if let Some(f) = serde_json::Number::from_f64(numbers.2) {
        source.insert("f64".into(), Value::Number(f));
    }
    source.insert(
        "nested".into(),
        Value::Array(vec![Value::Null, true.into(), Value::Object(Map::new())]),
    );
    ProcessedTobacco {
        schema_version: 1,
        id: "tobacco:abc01".parse().expect("id"),
        collection: "tobacco".into(),
        title: strings.first().cloned(),
        date: None,
        year: Some(2000),
        date_added: None,
        case: None,
        description: strings.get(1).cloned(),
        document_type: None,
        organizations: strings.clone(),
        topics: Vec::new(),
        witness: None,
        bates: None,
        page_count: Some(3),
        availability: None,
        text,
        pages: vec![PageSpan {
            page: 1,
            start: 0,
            end: 5,
        }],
        repairs: strings,
        source,
    }
}

proptest! {
    #[test]
    fn a_processed_document_is_written_as_serde_json_writes_it(
        text in "(.|\\n|\\t|[\\x00-\\x1f\"\\\\\\u{7f}-\\u{a0}\\u{2028}\\u{2029}\\u{fffd}])*",
        strings in proptest::collection::vec("\\PC*|[\\x00-\\x1f\"\\\\/]*", 0..4),
        numbers in (any::<i64>(), any::<u64>(), any::<f64>()),
    ) {
        let doc = tobacco(text, strings, numbers);
        prop_assert_eq!(encode(&doc), serde_json::to_vec(&doc).expect("json"));
    }

    #[test]
    fn scores_are_written_as_serde_json_writes_them(scores in proptest::collection::vec(any::<f32>(), 0..8)) {
        let id: DocId = "etd:10919/73987".parse().expect("id");
        let rec = Recommendation {
            schema_version: 1,
            id: id.clone(),
            related: scores.into_iter().filter(|s| s.is_finite()).map(|score| Related { id: id.clone(), score, reason: None }).collect(),
            model: "m".into(),
        };
        prop_assert_eq!(encode(&rec), serde_json::to_vec(&rec).expect("json"));
    }
}
