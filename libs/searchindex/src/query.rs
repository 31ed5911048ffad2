//! Faceted search over the collections' aliases: the request body and the reading of
//! the response are pure functions; [`search`] sends one.

use elasticsearch::{Elasticsearch, SearchParts};
use serde_json::{json, Map, Value};

use crate::layout::mappings;
use crate::{Collection, Error, Layout, Result, Vectors};

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
    /// Lexical, semantic or both; semantic and hybrid need [`Search::vector`].
    pub mode: Mode,
    /// The query's embedding (`libs/embed`, L2-normalised), for semantic and hybrid
    /// ranking; without it every mode ranks lexically.
    pub vector: Option<Vec<f32>>,
    pub boosts: Boosts,
}

/// How hits are ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// BM25 over the searched fields with [`Boosts`], phrase matches boosted.
    Lexical,
    /// The documents nearest the query's embedding (cosine), among those the filters
    /// admit.
    Semantic,
    /// Both in one query: a document matched by the words, or among the nearest by
    /// meaning, scores its BM25 plus [`Boosts::semantic`] times its similarity. The
    /// default: it ranked best on the held-out queries of `docstream eval ranking`
    /// (BENCHMARKS.md); a search without a vector ranks lexically.
    #[default]
    Hybrid,
}

impl Mode {
    /// `lexical`, `semantic` or `hybrid`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lexical" => Some(Self::Lexical),
            "semantic" => Some(Self::Semantic),
            "hybrid" => Some(Self::Hybrid),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Lexical => "lexical",
            Self::Semantic => "semantic",
            Self::Hybrid => "hybrid",
        }
    }
}

/// How much each field's match weighs in the lexical score, and the similarity in the
/// hybrid one; fields not named weigh 1. The default is what `docstream eval ranking`
/// chose on the tuning half of its queries (title 1, abstract 1, authors 2, phrase 2,
/// similarity 200: BENCHMARKS.md), doubled for every field the benchmark's records have
/// so that the full text (which they lack) weighs half of title and abstract, as the
/// short fields written to describe a document should: on documents without full text
/// the ranking is the benchmark's (every score doubles). The summary and subjects,
/// which the benchmark's index leaves out, weigh what the abstract does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boosts {
    pub title: f64,
    /// `abstract` and a tobacco document's `description`.
    pub abstract_: f64,
    pub summary: f64,
    pub subjects: f64,
    /// `authors`.
    pub people: f64,
    /// A match of the query's words together (slop 1); 0 turns it off.
    pub phrase: f64,
    /// The weight of the cosine similarity ((1 + cos) / 2, in 0..1) in hybrid mode.
    pub semantic: f64,
}

impl Default for Boosts {
    fn default() -> Self {
        Self {
            title: 2.0,
            abstract_: 2.0,
            summary: 2.0,
            subjects: 2.0,
            people: 4.0,
            // the phrase clause's fields carry the doubled weights already
            phrase: PHRASE_BOOST,
            semantic: HYBRID_WEIGHT,
        }
    }
}

/// The nearest documents a semantic query asks the engine for (at least a page's
/// worth more when paging deeper).
pub const SEMANTIC_K: usize = 100;

/// [`Boosts::semantic`] by default (the benchmark's 200, doubled with the fields).
pub const HYBRID_WEIGHT: f64 = 400.0;

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
    /// Where its PDF is (`s3://`, `file://`, `http(s)://`), for a tool that can link
    /// it; never in the search API's answers (its `/pdf/<id>` serves the file).
    #[serde(skip)]
    pub pdf_url: Option<String>,
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
fn searched(b: &Boosts) -> Vec<String> {
    [
        ("title", b.title),
        ("abstract", b.abstract_),
        ("description", b.abstract_),
        ("summary", b.summary),
        ("summary_sections.summary", 1.0),
        ("subjects", b.subjects),
        ("authors", b.people),
        ("organizations", 1.0),
        ("topics", 1.0),
        ("fulltext", 1.0),
        ("text", 1.0),
    ]
    .iter()
    .map(|(f, w)| weighted(f, *w))
    .collect()
}

/// Fields a phrase of the query is looked for in; a phrase match adds to the score
/// ([`Boosts::phrase`]) so that documents with the words together rank above those with
/// them scattered.
fn phrased(b: &Boosts) -> Vec<String> {
    [
        ("title", b.title),
        ("abstract", b.abstract_),
        ("description", b.abstract_),
        ("summary", 1.0),
        ("fulltext", 1.0),
        ("text", 1.0),
    ]
    .iter()
    .map(|(f, w)| weighted(f, *w))
    .collect()
}

fn weighted(field: &str, weight: f64) -> String {
    if weight == 1.0 {
        field.to_owned()
    } else {
        format!("{field}^{weight}")
    }
}

/// How much a phrase match weighs against the words matched one by one, by default.
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

/// The request body, for an engine whose vectors are `vectors`.
pub fn body(s: &Search, vectors: Vectors) -> Result<Value> {
    let words = !s.query.trim().is_empty();
    let (text, should) = if words {
        let mut should = Vec::new();
        if s.boosts.phrase > 0.0 {
            should.push(json!({ "multi_match": {
                "query": s.query, "fields": phrased(&s.boosts), "type": "phrase", "slop": 1,
                "boost": s.boosts.phrase
            }}));
        }
        (
            json!({ "multi_match": {
                "query": s.query, "fields": searched(&s.boosts), "type": "best_fields", "operator": "or"
            }}),
            should,
        )
    } else {
        (json!({ "match_all": {} }), Vec::new())
    };
    let filter = filters(s)?;
    let mode = match (&s.vector, words) {
        (Some(_), true) if vectors != Vectors::Off => s.mode,
        _ => Mode::Lexical,
    };
    let k = SEMANTIC_K.max(s.from + s.size);
    let vector = s.vector.as_deref().unwrap_or_default();
    let mut top_knn = None;
    let query = match mode {
        Mode::Lexical => json!({ "bool": { "must": [text], "should": should, "filter": filter } }),
        Mode::Semantic => match vectors.knn_query(vector, k, &filter, 1.0) {
            Some(knn) => knn,
            None => {
                // Elasticsearch: the top-level kNN section alone (a query beside it
                // would add every document it matches)
                top_knn = vectors.knn_section(vector, k, &filter, 1.0);
                Value::Null
            }
        },
        Mode::Hybrid => {
            let mut any = vec![text];
            any.extend(should);
            match vectors.knn_query(vector, k, &filter, s.boosts.semantic) {
                Some(knn) => {
                    any.push(knn);
                    json!({ "bool": { "should": any, "minimum_should_match": 1, "filter": filter } })
                }
                None => {
                    top_knn = vectors.knn_section(vector, k, &filter, s.boosts.semantic);
                    json!({ "bool": { "should": any, "filter": filter } })
                }
            }
        }
    };
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
    let mut highlight = json!({
        "pre_tags": [s.highlight_tags.0], "post_tags": [s.highlight_tags.1],
        "fragment_size": 160, "number_of_fragments": 2,
        "fields": highlight
    });
    if mode == Mode::Semantic {
        // the nearest documents' snippets still mark the query's words
        highlight["highlight_query"] = json!({ "multi_match": {
            "query": s.query, "fields": searched(&s.boosts), "type": "best_fields"
        }});
    }
    let mut body = json!({
        "size": s.size,
        "from": s.from,
        "sort": sort,
        "track_total_hits": true,
        "query": query,
        "aggs": aggs,
        "_source": ["id", "collection", "title", "year", "summary", "summary_sections", "cluster.label", "pdf_url"],
        "highlight": highlight
    });
    if let Some(knn) = top_knn {
        body["knn"] = knn;
    }
    if body["query"].is_null() {
        body.as_object_mut().map(|b| b.remove("query"));
    }
    Ok(body)
}

/// The clause every search, lookup and document page applies: not a record of pieces
/// only. The indexer writes each topic's fields as they come, so a summary or a
/// cluster that arrives before its document (or after the document was withdrawn and
/// deleted) creates a record with [`crate::layout::PIECES_ONLY`] set, which its
/// processed document clears when it comes; nobody is shown such a record.
pub fn visible() -> Value {
    json!({ "bool": { "must_not": [{ "term": { crate::layout::PIECES_ONLY: true } }] } })
}

/// Whether a document's `_source` is one [`visible`] lets through.
pub fn is_visible(source: &Value) -> bool {
    source.get(crate::layout::PIECES_ONLY) != Some(&Value::Bool(true))
}

/// The filters of a search: its terms, ranges and required fields.
fn filters(s: &Search) -> Result<Vec<Value>> {
    let mut filter = vec![visible()];
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
    Ok(filter)
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
                pdf_url: src["pdf_url"].as_str().map(str::to_owned),
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
    // pieces without their document are not a document (see `visible`)
    Ok(value.get("_source").filter(|s| is_visible(s)).cloned())
}

/// Runs a search against the collections' aliases.
pub async fn search(es: &Elasticsearch, layout: &Layout, s: &Search) -> Result<Found> {
    let body = body(s, layout.vectors)?;
    let value = send(es, &indices(layout, s.collection), body, "search").await?;
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
        let b = body(&s, Vectors::Knn).expect("body");
        assert_eq!(
            b.pointer("/query/bool/filter/2/exists/field"),
            Some(&json!("cluster.label"))
        );
        // only documents whose processed document is there (not pieces alone)
        assert_eq!(b.pointer("/query/bool/filter/0"), Some(&visible()));
        assert_eq!(b["size"], 5);
        assert_eq!(
            b.pointer("/query/bool/must/0/multi_match/query"),
            Some(&json!("nicotine marketing"))
        );
        assert_eq!(
            b.pointer("/query/bool/filter/1/term/year"),
            Some(&json!("2000"))
        );
        assert_eq!(
            b.pointer("/aggs/document_type/terms/field"),
            Some(&json!("document_type"))
        );
        let all = body(&Search::default(), Vectors::Knn).expect("body");
        assert!(all.pointer("/query/bool/must/0/match_all").is_some());
        assert_eq!(all["sort"], json!(["_score"]));
        let paged = body(
            &Search {
                from: 20,
                sort: Sort::Newest,
                ..Search::default()
            },
            Vectors::Knn,
        )
        .expect("body");
        assert_eq!(paged["from"], 20);
        assert_eq!(paged.pointer("/sort/0/year/order"), Some(&json!("desc")));
        assert_eq!(Sort::parse("oldest"), Some(Sort::Oldest));
        let ranged = body(
            &Search {
                query: "smoking".into(),
                ranges: vec![("year".into(), Some(1990), None)],
                ..Search::default()
            },
            Vectors::Knn,
        )
        .expect("body");
        assert_eq!(
            ranged.pointer("/query/bool/filter/1/range/year"),
            Some(&json!({"gte": 1990}))
        );
        assert_eq!(
            ranged.pointer("/query/bool/should/0/multi_match/type"),
            Some(&json!("phrase"))
        );
        assert_eq!(Sort::parse("random"), None);
    }

    #[test]
    fn semantic_and_hybrid_bodies_find_the_nearest_within_the_filters() {
        let s = Search {
            query: "tobacco advertising".into(),
            filters: vec![("year".into(), "1999".into())],
            mode: Mode::Semantic,
            vector: Some(vec![0.6, 0.8]),
            size: 10,
            ..Search::default()
        };
        let b = body(&s, Vectors::Knn).expect("body");
        assert_eq!(
            b.pointer("/query/knn/embedding/vector"),
            Some(&json!([0.6f32, 0.8f32]))
        );
        assert_eq!(
            b.pointer("/query/knn/embedding/k"),
            Some(&json!(SEMANTIC_K))
        );
        assert_eq!(
            b.pointer("/query/knn/embedding/filter/bool/filter/1/term/year"),
            Some(&json!("1999"))
        );
        assert!(b
            .pointer("/highlight/highlight_query/multi_match")
            .is_some());
        let es = body(&s, Vectors::DenseVector).expect("body");
        assert!(es.get("query").is_none(), "{es}");
        assert_eq!(es.pointer("/knn/field"), Some(&json!("embedding")));
        let hybrid = body(
            &Search {
                mode: Mode::Hybrid,
                from: 200,
                ..s.clone()
            },
            Vectors::Knn,
        )
        .expect("body");
        assert_eq!(
            hybrid.pointer("/query/bool/minimum_should_match"),
            Some(&json!(1))
        );
        assert_eq!(
            hybrid.pointer("/query/bool/should/0/multi_match/type"),
            Some(&json!("best_fields"))
        );
        assert_eq!(
            hybrid.pointer("/query/bool/should/2/knn/embedding/boost"),
            Some(&json!(HYBRID_WEIGHT))
        );
        assert_eq!(
            hybrid.pointer("/query/bool/should/2/knn/embedding/k"),
            Some(&json!(210))
        );
        // without a vector, without words or without vectors in the engine: lexical
        for lexical in [
            body(
                &Search {
                    vector: None,
                    ..s.clone()
                },
                Vectors::Knn,
            ),
            body(
                &Search {
                    query: " ".into(),
                    ..s.clone()
                },
                Vectors::Knn,
            ),
            body(&s, Vectors::Off),
        ] {
            let lexical = lexical.expect("body");
            assert!(lexical.pointer("/query/bool/must/0").is_some(), "{lexical}");
        }
        let no_phrase = body(
            &Search {
                mode: Mode::Lexical,
                boosts: Boosts {
                    phrase: 0.0,
                    title: 5.0,
                    ..Boosts::default()
                },
                ..s
            },
            Vectors::Knn,
        )
        .expect("body");
        assert_eq!(no_phrase.pointer("/query/bool/should"), Some(&json!([])));
        assert_eq!(
            no_phrase.pointer("/query/bool/must/0/multi_match/fields/0"),
            Some(&json!("title^5"))
        );
        assert_eq!(Mode::parse("hybrid"), Some(Mode::Hybrid));
        assert_eq!(Mode::parse("neural"), None);
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
