//! Withdrawn documents: a thesis withdrawn or embargoed, a tobacco record
//! re-designated. A source record says so with a field (`withdrawn` unless the
//! source is told another, `DOCSTREAM_SOURCE_WITHDRAWN_FIELD`) set when the record is
//! withdrawn, in the same write that bumps its timestamp, so a polling source sees it
//! like any change; the source then publishes a tombstone (the document's id, no
//! value) instead of the record, and every service keyed by document passes it on
//! until the indexer deletes the document and the compacted topics forget it.

use serde_json::Value;

/// The field a source record marks a withdrawal with, unless configured otherwise.
pub const WITHDRAWN_FIELD: &str = "withdrawn";

/// Whether a record's withdrawal field says withdrawn: `true`, `1`, or the text
/// `true`, `yes` or `1` (any case). Absent, `false`, `null` and anything else: not.
pub fn is_withdrawn(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => {
            matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_clear_yes_withdraws() {
        for yes in [
            json!(true),
            json!(1),
            json!("TRUE"),
            json!(" yes "),
            json!("1"),
        ] {
            assert!(is_withdrawn(Some(&yes)), "{yes}");
        }
        for no in [
            json!(false),
            json!(0),
            json!("no"),
            json!(null),
            json!({}),
            json!(""),
        ] {
            assert!(!is_withdrawn(Some(&no)), "{no}");
        }
        assert!(!is_withdrawn(None));
    }
}
