//! Faceted search over the collections' aliases: the request body and the reading of
//! the response are pure functions; [`search`] sends one.

use elasticsearch::{Elasticsearch, SearchParts};
use serde_json::{json, Map, Value};

use crate::layout::mappings;
use crate::{Collection, Error, Layout, Result};

/// A search as a person asks it.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Words to look for; empty matches everything.
    pub query: String,
    /// One collection, or both.
    pub collection: Option<Collection>,
    /// Fields to count values of (`department`, `degree.level`, `organizations`, ...).
    pub facets: Vec<String>,
    /// `field = value` filters, all of which must hold.
    pub filters: Vec<(String, String)>,
    /// `field` between two numbers (either end open), inclusive: the year range.
    pub ranges: Vec<(String, Option<i64>, Option<i64>)>,
    /// Fields a document must have a value for: facets, or the text fields snippets
    /// come from (`summary`, `abstract`, ...).
    pub has: Vec<String>,
    pub size: usize,
    /// Hits skipped (paging: `(page - 1) * size`).
    pub from: usize,
    pub sort: Sort,
    /// Around each highlighted term in snippets.
    pub highlight_tags: (String, String),
    /// Values counted per facet (10 when 0).
    pub facet_size: usize,
}

/// The order of hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// The engine's score (BM25 with the field boosts).
    #[default]
    Relevance,
    /// By year, newest first; documents without a year last.
    Newest,
    Oldest,
}

impl Sort {
    /// `relevance`, `newest` or `oldest`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "relevance" => Some(Self::Relevance),
            "newest" => Some(Self::Newest),
            "oldest" => Some(Self::Oldest),
            _ => None,
        }
    }
}

/// One hit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub id: String,
    pub collection: String,
    pub title: Option<String>,
    pub year: Option<i64>,
    pub score: f64,
    pub snippets: Vec<String>,
    /// The summarizer's summary, and a thesis's chapters (title, summary).
    pub summary: Option<String>,
    pub sections: Vec<(String, String)>,
    /// The clusterer's label of the document's cluster.
    pub cluster: Option<String>,
}

/// The counts of one facet's values, largest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Facet {
    pub field: String,
    pub counts: Vec<(String, u64)>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Found {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Vec<Facet>,
}

/// Fields searched, with their boosts.
const SEARCHED: &[&str] = &[
    "title^3",
    "abstract^2",
    "description^2",
    "summary^2",
    "summary_sections.summary",
    "subjects^2",
    "authors^2",
    "organizations",
    "topics",
    "fulltext",
    "text",
];

/// Fields a phrase of the query is looked for in; a phrase match adds to the score
/// ([`PHRASE_BOOST`]) so that documents with the words together rank above those with
/// them scattered.
const PHRASED: &[&str] = &[
    "title^3",
    "abstract^2",
    "description^2",
    "summary",
    "fulltext",
    "text",
];

/// How much a phrase match weighs against the words matched one by one.
pub const PHRASE_BOOST: f64 = 2.0;

/// Fields snippets come from.
const HIGHLIGHTED: &[&str] = &[
    "title",
    "abstract",
    "description",
    "summary",
    "fulltext",
    "text",
];

/// The exact-value field to aggregate or filter on for a facet name: the field itself
/// when it is a keyword, its `.raw` keyword when it is text; an error naming the
/// facets there are otherwise.
pub fn facet_field(name: &str) -> Result<String> {
    let mut facets = Vec::new();
    for c in Collection::ALL {
        collect_facets(&mappings(c)["properties"], "", &mut facets);
    }
    facets.sort();
    facets.dedup();
    if let Some(f) = facets.iter().find(|f| f.as_str() == name) {
        return Ok(f.clone());
    }
    let raw = format!("{name}.raw");
    if facets.contains(&raw) {
        return Ok(raw);
    }
    let names: Vec<&str> = facets
        .iter()
        .map(|f| f.strip_suffix(".raw").unwrap_or(f))
        .collect();
    Err(Error::Invalid(format!(
        "no facet {name:?}; facets are: {}",
        names.join(", ")
    )))
}

fn collect_facets(properties: &Value, prefix: &str, out: &mut Vec<String>) {
    let Some(map) = properties.as_object() else {
        return;
    };
    for (name, spec) in map {
        let path = format!("{prefix}{name}");
        let indexed = spec.get("index") != Some(&json!(false));
        match spec.get("type").and_then(Value::as_str) {
            Some("keyword" | "integer") if indexed => out.push(path.clone()),
            _ => {}
        }
        if spec.pointer("/fields/raw/type") == Some(&json!("keyword")) {
            out.push(format!("{path}.raw"));
        }
        if let Some(inner) = spec.get("properties") {
            collect_facets(inner, &format!("{path}."), out);
        }
    }
}

/// The indices (aliases) a search goes to.
pub fn indices(layout: &Layout, collection: Option<Collection>) -> Vec<String> {
    match collection {
        Some(c) => vec![layout.alias(c)],
        None => Collection::ALL.iter().map(|c| layout.alias(*c)).collect(),
    }
}

/// The request body.
pub fn body(s: &Search) -> Result<Value> {
    let (text, should) = if s.query.trim().is_empty() {
        (json!({ "match_all": {} }), json!([]))
    } else {
        (
            json!({ "multi_match": {
                "query": s.query, "fields": SEARCHED, "type": "best_fields", "operator": "or"
            }}),
            json!([{ "multi_match": {
                "query": s.query, "fields": PHRASED, "type": "phrase", "slop": 1,
                "boost": PHRASE_BOOST
            }}]),
        )
    };
    let mut filter = Vec::new();
    for (field, value) in &s.filters {
        filter.push(json!({ "term": { facet_field(field)?: value } }));
    }
    for (field, low, high) in &s.ranges {
        let mut bounds = Map::new();
        if let Some(l) = low {
            bounds.insert("gte".into(), json!(l));
        }
        if let Some(h) = high {
            bounds.insert("lte".into(), json!(h));
        }
        filter.push(json!({ "range": { facet_field(field)?: bounds } }));
    }
    for field in &s.has {
        let f = if HIGHLIGHTED.contains(&field.as_str()) || field == "summary_sections.summary" {
            field.clone()
        } else {
            facet_field(field)?
        };
        filter.push(json!({ "exists": { "field": f } }));
    }
    let mut aggs = Map::new();
    for facet in &s.facets {
        aggs.insert(
            facet.clone(),
            json!({ "terms": {
                "field": facet_field(facet)?,
                "size": if s.facet_size == 0 { 10 } else { s.facet_size }
            }}),
        );
    }
    let highlight: Map<String, Value> = HIGHLIGHTED
        .iter()
        .map(|f| ((*f).to_owned(), json!({})))
        .collect();
    let sort = match s.sort {
        Sort::Relevance => json!(["_score"]),
        Sort::Newest => json!([{ "year": { "order": "desc", "missing": "_last" } }, "_score"]),
        Sort::Oldest => json!([{ "year": { "order": "asc", "missing": "_last" } }, "_score"]),
    };
    Ok(json!({
        "size": s.size,
        "from": s.from,
        "sort": sort,
        "track_total_hits": true,
        "query": { "bool": { "must": [text], "should": should, "filter": filter } },
        "aggs": aggs,
        "_source": ["id", "collection", "title", "year", "summary", "summary_sections", "cluster.label"],
        "highlight": {
            "pre_tags": [s.highlight_tags.0], "post_tags": [s.highlight_tags.1],
            "fragment_size": 160, "number_of_fragments": 2,
            "fields": highlight
        }
    }))
}

/// Reads a search response.
pub fn parse(response: &Value, facets: &[String]) -> Result<Found> {
    let hits = response
        .pointer("/hits/hits")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Invalid(format!("not a search response: {response}")))?;
    let total = response
        .pointer("/hits/total/value")
        .or_else(|| response.pointer("/hits/total"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let hits = hits
        .iter()
        .map(|h| {
            let src = &h["_source"];
            let mut snippets = Vec::new();
            if let Some(hl) = h.get("highlight").and_then(Value::as_object) {
                for field in HIGHLIGHTED {
                    for frag in hl
                        .get(*field)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(t) = frag.as_str() {
                            snippets.push(t.split_whitespace().collect::<Vec<_>>().join(" "));
                        }
                    }
                }
            }
            Hit {
                id: h["_id"].as_str().unwrap_or_default().to_owned(),
                collection: src["collection"].as_str().unwrap_or_default().to_owned(),
                title: src["title"].as_str().map(str::to_owned),
                year: src["year"].as_i64(),
                score: h["_score"].as_f64().unwrap_or(0.0),
                snippets,
                summary: src["summary"].as_str().map(str::to_owned),
                sections: chapter_summaries(src),
                cluster: src
                    .pointer("/cluster/label")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }
        })
        .collect();
    let facets = facets
        .iter()
        .map(|f| Facet {
            field: f.clone(),
            counts: response
                .pointer(&format!("/aggregations/{f}/buckets"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|b| {
                    let key = b
                        .get("key_as_string")
                        .or_else(|| b.get("key"))
                        .map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_owned))
                        .unwrap_or_default();
                    (key, b["doc_count"].as_u64().unwrap_or(0))
                })
                .collect(),
        })
        .collect();
    Ok(Found {
        total,
        hits,
        facets,
    })
}

/// A thesis's chapter summaries (title, summary) from its `_source`.
pub fn chapter_summaries(src: &Value) -> Vec<(String, String)> {
    src["summary_sections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["title"].as_str()?.to_owned(),
                s["summary"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// A document by id from its collection's alias, without its full text (`fulltext`,
/// `text`: pages of it are not what a document page shows first); `None` when the
/// engine has no such document.
pub async fn document(
    es: &Elasticsearch,
    layout: &Layout,
    id: &contracts::DocId,
) -> Result<Option<Value>> {
    get_source(es, layout, id, Source::Excludes(&["fulltext", "text"])).await
}

/// Which fields of a document's `_source` a get returns.
pub(crate) enum Source<'a> {
    All,
    Excludes(&'a [&'a str]),
}

/// A document's `_source` (or the part asked for) by id; `None` when there is none.
pub(crate) async fn get_source(
    es: &Elasticsearch,
    layout: &Layout,
    id: &contracts::DocId,
    source: Source<'_>,
) -> Result<Option<Value>> {
    let alias = layout.alias(Collection::of(id));
    let key = id.to_string();
    let get = es.get(elasticsearch::GetParts::IndexId(&alias, &key));
    let get = match source {
        Source::All => get,
        Source::Excludes(f) => get._source_excludes(f),
    };
    let r = get.send().await?;
    let status = r.status_code().as_u16();
    if status == 404 {
        return Ok(None);
    }
    let value: Value = r.json().await?;
    if !(200..300).contains(&status) {
        return Err(Error::Refused {
            what: format!("get {key}"),
            status,
            body: value.to_string(),
        });
    }
    Ok(value.get("_source").cloned())
}

/// Runs a search against the collections' aliases.
pub async fn search(es: &Elasticsearch, layout: &Layout, s: &Search) -> Result<Found> {
    let value = send(es, &indices(layout, s.collection), body(s)?, "search").await?;
    parse(&value, &s.facets)
}

/// Sends a search body to indices (missing ones ignored); the response, or the
/// engine's refusal as an error saying `what` was refused.
pub(crate) async fn send(
    es: &Elasticsearch,
    indices: &[String],
    body: Value,
    what: &str,
) -> Result<Value> {
    let names: Vec<&str> = indices.iter().map(String::as_str).collect();
    let r = es
        .search(SearchParts::Index(&names))
        .ignore_unavailable(true)
        .body(body)
        .send()
        .await?;
    let status = r.status_code().as_u16();
    let value: Value = r.json().await?;
    if !(200..300).contains(&status) {
        return Err(Error::Refused {
            what: what.into(),
            status,
            body: value.to_string(),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facets_resolve_to_keyword_fields() {
        assert_eq!(facet_field("department").expect("facet"), "department");
        assert_eq!(facet_field("degree.level").expect("facet"), "degree.level");
        assert_eq!(
            facet_field("organizations").expect("facet"),
            "organizations.raw"
        );
        assert_eq!(
            facet_field("cluster.label").expect("facet"),
            "cluster.label"
        );
        assert_eq!(facet_field("year").expect("facet"), "year");
        let e = facet_field("fulltext").expect_err("not a facet");
        assert!(e.to_string().contains("department"), "{e}");
    }

    #[test]
    fn body_has_query_filters_and_aggregations() {
        let s = Search {
            query: "nicotine marketing".into(),
            facets: vec!["document_type".into()],
            filters: vec![("year".into(), "2000".into())],
            has: vec!["cluster.label".into()],
            size: 5,
            ..Search::default()
        };
        let b = body(&s).expect("body");
        assert_eq!(
            b.pointer("/query/bool/filter/1/exists/field"),
            Some(&json!("cluster.label"))
        );
        assert_eq!(b["size"], 5);
        assert_eq!(
            b.pointer("/query/bool/must/0/multi_match/query"),
            Some(&json!("nicotine marketing"))
        );
        assert_eq!(
            b.pointer("/query/bool/filter/0/term/year"),
            Some(&json!("2000"))
        );
        assert_eq!(
            b.pointer("/aggs/document_type/terms/field"),
            Some(&json!("document_type"))
        );
        let all = body(&Search::default()).expect("body");
        assert!(all.pointer("/query/bool/must/0/match_all").is_some());
        assert_eq!(all["sort"], json!(["_score"]));
        let paged = body(&Search {
            from: 20,
            sort: Sort::Newest,
            ..Search::default()
        })
        .expect("body");
        assert_eq!(paged["from"], 20);
        assert_eq!(paged.pointer("/sort/0/year/order"), Some(&json!("desc")));
        assert_eq!(Sort::parse("oldest"), Some(Sort::Oldest));
        let ranged = body(&Search {
            query: "smoking".into(),
            ranges: vec![("year".into(), Some(1990), None)],
            ..Search::default()
        })
        .expect("body");
        assert_eq!(
            ranged.pointer("/query/bool/filter/0/range/year"),
            Some(&json!({"gte": 1990}))
        );
        assert_eq!(
            ranged.pointer("/query/bool/should/0/multi_match/type"),
            Some(&json!("phrase"))
        );
        assert_eq!(Sort::parse("random"), None);
    }

    #[test]
    fn responses_are_read_with_snippets_and_counts() {
        let r = json!({
            "hits": { "total": { "value": 7, "relation": "eq" }, "hits": [
                { "_id": "tobacco:ab1", "_score": 2.5,
                  "_source": { "collection": "tobacco", "title": "A memo", "year": 1999 },
                  "highlight": { "text": ["the **nicotine**\n  level"] } }
            ]},
            "aggregations": { "document_type": { "buckets": [
                { "key": "memo", "doc_count": 4 }, { "key": "letter", "doc_count": 3 }
            ]}}
        });
        let f = parse(&r, &["document_type".into()]).expect("parsed");
        assert_eq!(f.total, 7);
        assert_eq!(f.hits[0].id, "tobacco:ab1");
        assert_eq!(f.hits[0].year, Some(1999));
        assert_eq!(f.hits[0].snippets, ["the **nicotine** level"]);
        assert_eq!(
            f.facets[0].counts,
            [("memo".into(), 4), ("letter".into(), 3)]
        );
        assert!(parse(&json!({"error": "x"}), &[]).is_err());
    }
}
