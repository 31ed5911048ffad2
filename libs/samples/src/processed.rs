//! Processed documents as the ingest services publish them, the smallest the
//! contracts take (JSON, so a test can change any field): for the tests and
//! benchmarks of the services that consume `processed.*`.

use serde_json::{json, Value};

/// A processed ETD: `fulltext` with `sections` (title, char offset) when given
/// (`fulltext_status` then `extracted`, else `no_pdf`).
pub fn etd(
    id: &str,
    title: &str,
    abstract_text: Option<&str>,
    fulltext: Option<&str>,
    sections: &[(String, usize)],
) -> Value {
    let sections: Vec<Value> = sections
        .iter()
        .map(|(title, offset)| json!({"title": title, "offset": offset}))
        .collect();
    json!({
        "schema_version": 1, "id": id, "collection": "etds", "title": title,
        "abstract": abstract_text, "authors": [], "advisors": [], "committee_members": [],
        "degree": {}, "doc_type": "thesis", "subjects": [],
        "handle": id.trim_start_matches("etd:"), "fulltext": fulltext,
        "fulltext_status": if fulltext.is_some() { "extracted" } else { "no_pdf" },
        "pages": [], "sections": sections, "source": {}
    })
}

/// A processed tobacco document.
pub fn tobacco(id: &str, title: Option<&str>, text: &str) -> Value {
    json!({
        "schema_version": 1, "id": id, "collection": "tobacco", "title": title,
        "organizations": [], "topics": [], "text": text, "pages": [], "repairs": [],
        "source": {}
    })
}

/// `v` as the bytes of a message.
pub fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}
