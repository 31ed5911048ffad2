//! DSpace metadata into the processed document's fields. Repeatable fields come as a
//! string or a list and many are absent; every field not mapped is kept in `source`.

use contracts::{Degree, DspaceRecord, FulltextStatus, OneOrMany, ProcessedEtd, RawEtd};
use serde_json::{Map, Value};

fn all(f: &Option<OneOrMany<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in f.as_ref().map(OneOrMany::to_vec).unwrap_or_default() {
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        if !v.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&v)) {
            out.push(v);
        }
    }
    out
}

fn first(f: &Option<OneOrMany<String>>) -> Option<String> {
    all(f).into_iter().next()
}

/// `thesis` or `dissertation`: from the DSpace type, else from the degree level.
fn doc_type(r: &DspaceRecord) -> String {
    let t = first(&r.doc_type).unwrap_or_default().to_lowercase();
    if t.contains("dissertation") {
        return "dissertation".into();
    }
    if t.contains("thesis") {
        return "thesis".into();
    }
    match first(&r.degree_level).map(|l| l.to_lowercase()).as_deref() {
        Some(l) if l.contains("doctor") => "dissertation".into(),
        _ => "thesis".into(),
    }
}

/// `doctoral` or `masters` as DSpace writes it; inferred from the degree name when
/// the level is missing.
fn degree_level(r: &DspaceRecord) -> Option<String> {
    if let Some(l) = first(&r.degree_level) {
        return Some(l.to_lowercase());
    }
    let name = first(&r.degree_name)?.to_uppercase();
    if name.starts_with("PH") || name.starts_with("ED") || name.starts_with("DOCTOR") {
        Some("doctoral".into())
    } else if name.starts_with('M') {
        Some("masters".into())
    } else {
        None
    }
}

/// `en_US` → `en`.
fn language(r: &DspaceRecord) -> Option<String> {
    first(&r.language).map(|l| {
        l.split(['_', '-'])
            .next()
            .unwrap_or_default()
            .to_lowercase()
    })
}

/// The processed document from the metadata alone (no full text yet).
pub fn normalize(raw: &RawEtd) -> ProcessedEtd {
    let r = &raw.metadata;
    let issued = first(&r.date_issued).and_then(|d| dates::parse_date(&d));
    let accessioned = first(&r.date_accessioned).and_then(|d| dates::parse_date(&d));
    let year = issued.as_ref().or(accessioned.as_ref()).map(|d| d.year);
    let mut advisors = all(&r.committee_chair);
    advisors.extend(all(&r.committee_cochair));
    let mut source: Map<String, Value> = r.other.clone();
    // kept too: dates in the form DSpace wrote them, and what did not parse
    if let Some(d) = first(&r.date_available) {
        source.insert("date-available".into(), Value::String(d));
    }
    if issued.is_none() {
        if let Some(d) = first(&r.date_issued) {
            source.insert("date-issued".into(), Value::String(d));
        }
    }
    ProcessedEtd {
        schema_version: 1,
        id: raw.id.clone(),
        collection: "etds".into(),
        title: first(&r.title).unwrap_or_else(|| "(untitled)".into()),
        authors: all(&r.authors),
        advisors,
        committee_members: all(&r.committee_members),
        department: first(&r.department),
        degree: Degree {
            name: first(&r.degree_name),
            level: degree_level(r),
            discipline: first(&r.degree_discipline),
            grantor: first(&r.degree_grantor),
        },
        doc_type: doc_type(r),
        date_issued: issued.as_ref().map(|d| d.iso.clone()),
        year,
        date_accessioned: accessioned.map(|d| d.iso),
        subjects: all(&r.subjects),
        abstract_text: all(&r.abstract_text).into_iter().next(),
        handle: r.full_handle().unwrap_or_default(),
        uri: first(&r.uri),
        language: language(r),
        rights: first(&r.rights),
        publisher: first(&r.publisher),
        fulltext: None,
        fulltext_status: FulltextStatus::NoPdf,
        fulltext_error: None,
        page_count: None,
        pages: Vec::new(),
        sections: Vec::new(),
        ocr_confidence: None,
        pdf_url: raw.pdf.as_ref().and_then(contracts::PdfRef::location),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: Value) -> RawEtd {
        RawEtd::new(serde_json::from_value(v).expect("a DSpace record"), None).expect("raw")
    }

    #[test]
    fn fields_map_and_lists_or_strings_both_work() {
        let e = normalize(&raw(json!({
            "title-none": "Graph Learning",
            "contributor-author": ["Doe, Jane", "Doe, Jane"],
            "contributor-committeechair": "Roe, Richard",
            "contributor-committeecochair": ["Poe, Edgar"],
            "contributor-committeemember": "Loe, Lia",
            "contributor-department": ["Computer Science"],
            "date-issued": "2017-01-05",
            "date-accessioned": "2017-01-06T13:34:06Z",
            "degree-name": "PHD", "degree-level": "doctoral",
            "subject-none": "graphs",
            "identifier-uri": "http://hdl.handle.net/10919/73987",
            "handle": "73987",
            "language-iso": "en_US",
            "type-none": "Dissertation",
            "format-medium": "ETD"
        })));
        assert_eq!(e.id.to_string(), "etd:10919/73987");
        assert_eq!(e.title, "Graph Learning");
        assert_eq!(e.authors, ["Doe, Jane"]);
        assert_eq!(e.advisors, ["Roe, Richard", "Poe, Edgar"]);
        assert_eq!(e.committee_members, ["Loe, Lia"]);
        assert_eq!(e.department.as_deref(), Some("Computer Science"));
        assert_eq!(e.date_issued.as_deref(), Some("2017-01-05"));
        assert_eq!(e.date_accessioned.as_deref(), Some("2017-01-06T13:34:06Z"));
        assert_eq!(e.year, Some(2017));
        assert_eq!(e.subjects, ["graphs"]);
        assert_eq!(e.language.as_deref(), Some("en"));
        assert_eq!(e.doc_type, "dissertation");
        assert_eq!(e.handle, "10919/73987");
        assert_eq!(e.source["format-medium"], "ETD");
        assert_eq!(e.fulltext_status, FulltextStatus::NoPdf);
    }

    #[test]
    fn type_and_level_are_inferred_when_missing() {
        let e = normalize(&raw(json!({
            "identifier-uri": "http://hdl.handle.net/10919/1", "degree-name": "MS"
        })));
        assert_eq!(e.doc_type, "thesis");
        assert_eq!(e.degree.level.as_deref(), Some("masters"));
        assert_eq!(e.title, "(untitled)");
    }

    #[test]
    fn every_shared_record_has_title_author_department_year_and_type() {
        let Some(path) = testkit::shared_data("etd_metadata.sample.json") else {
            return;
        };
        let text = std::fs::read_to_string(path).expect("etd_metadata.sample.json");
        let records: Vec<Value> = serde_json::from_str(&text).expect("json");
        assert_eq!(records.len(), 400);
        for r in records {
            let e = normalize(&raw(r));
            assert!(e.title != "(untitled)" && !e.title.is_empty(), "{}", e.id);
            assert!(!e.authors.is_empty(), "{}: no author", e.id);
            assert!(e.department.is_some(), "{}: no department", e.id);
            assert!(e.year.is_some(), "{}: no year", e.id);
            assert!(
                ["thesis", "dissertation"].contains(&e.doc_type.as_str()),
                "{}",
                e.id
            );
        }
    }
}
