//! The web pages, rendered on the server from the templates in `templates/` (minijinja,
//! HTML auto-escaped), so they work without JavaScript: the search page (query box,
//! collection, sort, year range, facet checkboxes, hits with highlighted snippets,
//! summary and cluster, paging), the document page (metadata, summary or chapter
//! summaries, cluster, related documents, the page that matched, the PDF) and the
//! analytics page. Building a page's view from what the engine returned is pure.

use std::sync::OnceLock;

use minijinja::{context, Environment};
use searchindex::lookup::Named;
use searchindex::query::{Found, Search};
use searchindex::Collection;
use serde::Serialize;
use serde_json::Value;

use crate::html;

static TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("document.html", include_str!("../templates/document.html")),
    (
        "analytics.html",
        include_str!("../templates/analytics.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
];

/// The page's stylesheet and its one small script (typeahead and auto-submitting
/// facets), served under `/static/`.
pub const STYLE: &str = include_str!("../static/style.css");
pub const SCRIPT: &str = include_str!("../static/app.js");

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // HTML-escape as [`html::escape`] does (minijinja's own also escapes `/`,
        // which makes every URL in a page unreadable in its source)
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && value.as_str().is_some()
            {
                out.write_str(&html::escape(value.as_str().unwrap_or_default()))?;
                Ok(())
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e:#}"));
        }
        env
    })
}

/// A template rendered with a context; a template error is a bug the tests catch,
/// shown as a plain message rather than a panic.
pub fn render<S: Serialize>(name: &str, ctx: S) -> String {
    env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| {
            tracing::error!(template = name, error = %e, "template failed");
            format!("<!doctype html><title>error</title><p>page {name} failed to render</p>")
        })
}

/// The facets the search page shows for a collection (or both): the seed front end's
/// (ETD type, degree level; tobacco document type, availability), the collections'
/// own, the year and the cluster. Dates are searched by the year range and facet.
pub fn facets_for(collection: Option<Collection>) -> &'static [&'static str] {
    match collection {
        Some(Collection::Etds) => &[
            "doc_type",
            "degree.level",
            "department",
            "subjects",
            "year",
            "cluster.label",
        ],
        Some(Collection::Tobacco) => &[
            "document_type",
            "availability",
            "organizations",
            "topics",
            "year",
            "cluster.label",
        ],
        None => &[
            "collection",
            "year",
            "cluster.label",
            "doc_type",
            "degree.level",
            "department",
            "document_type",
            "organizations",
        ],
    }
}

/// What a person reads for a facet's field.
pub fn facet_label(field: &str) -> &str {
    match field {
        "collection" => "Collection",
        "doc_type" => "Type",
        "degree.level" => "Degree level",
        "department" => "Department",
        "subjects" => "Subjects",
        "year" => "Year",
        "cluster.label" => "Topic cluster",
        "document_type" => "Document type",
        "availability" => "Availability",
        "organizations" => "Organizations",
        "topics" => "Topics",
        other => other,
    }
}

/// A collection as a person reads it.
pub fn collection_label(name: &str) -> &str {
    match name {
        "etds" => "Thesis or dissertation",
        "tobacco" => "Tobacco settlement document",
        other => other,
    }
}

/// A query string from pairs, each value encoded.
pub fn query_string(pairs: &[(String, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The request's pairs with `page` set to `page` (dropped for the first page).
fn with_page(pairs: &[(String, String)], page: usize) -> String {
    let mut p: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
    if page > 1 {
        p.push(("page".into(), page.to_string()));
    }
    format!("/?{}", query_string(&p))
}

#[derive(Debug, Serialize)]
struct HitView {
    url: String,
    title: String,
    collection: String,
    kind: &'static str,
    year: Option<i64>,
    cluster: Option<String>,
    cluster_url: Option<String>,
    snippets: Vec<String>,
    summary: Option<String>,
    rank: usize,
}

#[derive(Debug, Serialize)]
struct FacetValue {
    value: String,
    count: u64,
    checked: bool,
    id: String,
}

#[derive(Debug, Serialize)]
struct FacetView {
    field: String,
    label: String,
    values: Vec<FacetValue>,
}

/// Cuts a text to about `max` characters at a word boundary.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut} …")
}

/// The link that opens a hit and logs the click: the query id and rank it came from.
pub fn document_url(id: &str, query_id: &str, rank: usize, q: &str) -> String {
    format!(
        "/documents/{id}?{}",
        query_string(&[
            ("qid".into(), query_id.into()),
            ("rank".into(), rank.to_string()),
            ("q".into(), q.into()),
        ])
    )
}

/// The search page for a search, what it found (or the message why not) and the
/// request's own pairs (for paging links).
pub fn search_page(
    s: &Search,
    page: usize,
    pairs: &[(String, String)],
    found: Result<&Found, &str>,
    query_id: &str,
) -> String {
    let collection = s.collection.map(Collection::name).unwrap_or("");
    let (low, high) = s
        .ranges
        .iter()
        .find(|(f, _, _)| f == "year")
        .map_or((None, None), |(_, l, h)| (*l, *h));
    let (hits, facets, total, pages) = match found {
        Ok(f) => {
            let hits: Vec<HitView> = f
                .hits
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let rank = s.from + i + 1;
                    HitView {
                        url: document_url(&h.id, query_id, rank, &s.query),
                        title: h.title.clone().unwrap_or_else(|| h.id.clone()),
                        kind: if h.collection == "etds" {
                            "Thesis"
                        } else {
                            "Tobacco document"
                        },
                        collection: h.collection.clone(),
                        year: h.year,
                        cluster_url: h.cluster.as_ref().map(|c| {
                            format!(
                                "/?{}",
                                query_string(&[
                                    ("collection".into(), h.collection.clone()),
                                    ("filter".into(), format!("cluster.label:{c}")),
                                ])
                            )
                        }),
                        cluster: h.cluster.clone(),
                        snippets: h.snippets.iter().map(|t| html::marked(t)).collect(),
                        summary: h.summary.as_deref().map(|t| shorten(t, 320)),
                        rank,
                    }
                })
                .collect();
            let facets: Vec<FacetView> = f
                .facets
                .iter()
                .filter(|facet| !facet.counts.is_empty())
                .map(|facet| FacetView {
                    label: facet_label(&facet.field).to_owned(),
                    values: facet
                        .counts
                        .iter()
                        .enumerate()
                        .map(|(i, (v, n))| FacetValue {
                            checked: s.filters.iter().any(|(k, x)| *k == facet.field && x == v),
                            value: v.clone(),
                            count: *n,
                            id: format!("f-{}-{i}", facet.field.replace('.', "-")),
                        })
                        .collect(),
                    field: facet.field.clone(),
                })
                .collect();
            let pages = f.total.div_ceil(s.size as u64).max(1);
            (hits, facets, f.total, pages)
        }
        Err(_) => (Vec::new(), Vec::new(), 0, 1),
    };
    // filters whose value the facet lists do not show any more stay ticked as hidden
    // inputs would hide them; show them as ticked boxes of their own instead
    let shown = |k: &str, v: &str| {
        facets
            .iter()
            .any(|f| f.field == k && f.values.iter().any(|x| x.value == v))
    };
    let other_filters: Vec<(String, String, String)> = s
        .filters
        .iter()
        .filter(|(k, v)| !shown(k, v))
        .map(|(k, v)| (format!("{k}:{v}"), facet_label(k).to_owned(), v.clone()))
        .collect();
    let last_page = usize::try_from(pages).unwrap_or(usize::MAX);
    render(
        "search.html",
        context! {
            title => if s.query.is_empty() { "Search the library".to_owned() } else { format!("{} – search", s.query) },
            q => s.query,
            collection,
            mode => s.mode.name(),
            sort => match s.sort {
                searchindex::query::Sort::Relevance => "relevance",
                searchindex::query::Sort::Newest => "newest",
                searchindex::query::Sort::Oldest => "oldest",
            },
            year_from => low,
            year_to => high,
            error => found.err(),
            total,
            page,
            pages,
            hits,
            facets,
            other_filters,
            prev_url => (page > 1).then(|| with_page(pairs, page - 1)),
            next_url => (page < last_page).then(|| with_page(pairs, page + 1)),
        },
    )
}

/// Where in a document the query's words are densest: the page (as the document's
/// `pages` number them; spans in chars) with the most occurrences of the query's words
/// (longer than two letters), and an excerpt of it around the first, as HTML with the
/// words marked.
pub fn best_page(text: &str, pages: &[(u32, usize, usize)], query: &str) -> Option<(u32, String)> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .collect();
    if terms.is_empty() {
        return None;
    }
    let bytes = byte_offsets(text, pages);
    let slice_of = |start: usize, end: usize| {
        let (Some(a), Some(b)) = (bytes.get(&start), bytes.get(&end)) else {
            return "";
        };
        text.get(*a..*b.max(a)).unwrap_or("")
    };
    let mut best: Option<(usize, u32, &str)> = None;
    for &(page, start, end) in pages {
        let slice = slice_of(start, end);
        let lower = slice.to_lowercase();
        let count: usize = terms
            .iter()
            .map(|t| lower.matches(t.as_str()).count())
            .sum();
        if count > 0 && best.is_none_or(|(c, ..)| count > c) {
            best = Some((count, page, slice));
        }
    }
    let (_, page, slice) = best?;
    // the first occurrence, counted in chars (lower case can change byte lengths)
    let words: Vec<&str> = slice.split_whitespace().collect();
    let first = words
        .iter()
        .position(|w| {
            let w = w.to_lowercase();
            terms.iter().any(|t| w.contains(t.as_str()))
        })
        .unwrap_or(0);
    let excerpt = words[first.saturating_sub(30)..(first + 50).min(words.len())].join(" ");
    Some((page, mark_terms(&excerpt, &terms)))
}

/// The byte offset of every char offset the spans name (and the text's end).
fn byte_offsets(
    text: &str,
    pages: &[(u32, usize, usize)],
) -> std::collections::HashMap<usize, usize> {
    let mut wanted: Vec<usize> = pages.iter().flat_map(|&(_, a, b)| [a, b]).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = std::collections::HashMap::new();
    let mut next = wanted.iter().peekable();
    for (chars, (byte, _)) in text.char_indices().enumerate() {
        while next.peek().is_some_and(|w| **w == chars) {
            out.insert(chars, byte);
            next.next();
        }
    }
    for w in next {
        out.insert(*w, text.len());
    }
    out
}

/// A text as HTML with each word that starts with one of the terms in `<mark>`.
fn mark_terms(text: &str, terms: &[String]) -> String {
    let mut out = String::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let lower = word.to_lowercase();
        let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
        if terms.iter().any(|t| bare.starts_with(t.as_str())) {
            out.push_str(&format!("<mark>{}</mark>", html::escape(word)));
        } else {
            out.push_str(&html::escape(word));
        }
    }
    out
}

/// A related document as the page lists it.
#[derive(Debug, Serialize)]
struct RelatedView {
    url: String,
    title: String,
    collection: String,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The facts a document page lists under its title, in order, for the fields it has.
fn facts(doc: &Value) -> Vec<(String, String)> {
    let fields: &[(&str, &str)] = &[
        ("/authors", "Author"),
        ("/advisors", "Advisor"),
        ("/committee_members", "Committee"),
        ("/department", "Department"),
        ("/degree/name", "Degree"),
        ("/degree/level", "Degree level"),
        ("/degree/grantor", "Granted by"),
        ("/doc_type", "Type"),
        ("/date_issued", "Date issued"),
        ("/document_type", "Document type"),
        ("/date", "Document date"),
        ("/case", "Case"),
        ("/organizations", "Organizations"),
        ("/topics", "Topics"),
        ("/witness", "Witness"),
        ("/availability", "Availability"),
        ("/subjects", "Subjects"),
        ("/page_count", "Pages"),
        ("/rights", "Rights"),
    ];
    fields
        .iter()
        .filter_map(|(path, label)| {
            let v = doc.pointer(path)?;
            let text = match v {
                Value::Number(n) => n.to_string(),
                other => strings(other).join("; "),
            };
            (!text.is_empty()).then(|| ((*label).to_owned(), text))
        })
        .collect()
}

/// What the document page shows beside the document itself.
#[derive(Debug, Default)]
pub struct Around {
    /// The query the reader came from, to find the page that matched and to go back.
    pub query: String,
    /// Full text and page spans (when the reader came from a query).
    pub text: Option<searchindex::lookup::TextAndPages>,
    /// Related documents from `recommendations` (`co-click`), or the engine's
    /// more-like-this when there were none (`similar text`).
    pub related: Vec<Named>,
    pub related_reason: &'static str,
    /// The documents nearest this one's embedding (similar by meaning).
    pub similar: Vec<Named>,
    /// The link to the PDF, when the document has one that can be served.
    pub pdf_url: Option<String>,
}

/// The document page.
pub fn document_page(id: &str, doc: &Value, around: &Around) -> String {
    let title = doc["title"].as_str().unwrap_or(id).to_owned();
    let collection = doc["collection"].as_str().unwrap_or_default().to_owned();
    let text_field = if collection == "etds" {
        "abstract"
    } else {
        "description"
    };
    let sections = searchindex::query::chapter_summaries(doc);
    let chapters: Vec<String> = doc["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["title"].as_str().map(str::to_owned))
        .collect();
    let cluster = doc.pointer("/cluster/label").and_then(Value::as_str);
    let view = |named: &[Named]| -> Vec<RelatedView> {
        named
            .iter()
            .map(|n| RelatedView {
                url: format!("/documents/{}", n.id),
                title: n.title.clone().unwrap_or_else(|| n.id.clone()),
                collection: n.collection.clone(),
            })
            .collect()
    };
    let related = view(&around.related);
    let similar = view(&around.similar);
    let matched = around
        .text
        .as_ref()
        .and_then(|(t, p)| best_page(t, p, &around.query));
    let back = (!around.query.is_empty())
        .then(|| format!("/?{}", query_string(&[("q".into(), around.query.clone())])));
    render(
        "document.html",
        context! {
            title,
            id,
            kind => collection_label(&collection),
            collection,
            year => doc["year"].as_i64(),
            facts => facts(doc),
            abstract_text => doc[text_field].as_str(),
            summary => doc["summary"].as_str(),
            sections,
            chapters,
            cluster,
            cluster_url => cluster.map(|c| format!("/?{}", query_string(&[
                ("collection".into(), collection.clone()),
                ("filter".into(), format!("cluster.label:{c}")),
            ]))),
            related,
            related_reason => around.related_reason,
            similar,
            matched_page => matched.as_ref().map(|(p, _)| *p),
            matched_excerpt => matched.map(|(_, e)| e),
            pdf_url => around.pdf_url.as_deref(),
            handle_url => doc["uri"].as_str(),
            back,
            q => around.query,
        },
    )
}

/// One table of the analytics page: a label, a count and the count's share of the
/// largest (for the bar), per row.
#[derive(Debug, Serialize)]
pub struct Table {
    pub title: &'static str,
    pub key: &'static str,
    pub value: &'static str,
    pub rows: Vec<(String, u64, u64)>,
}

impl Table {
    fn new(
        title: &'static str,
        key: &'static str,
        value: &'static str,
        counts: &[(String, u64)],
    ) -> Self {
        let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
        Self {
            title,
            key,
            value,
            rows: counts
                .iter()
                .map(|(k, n)| (k.clone(), *n, n * 100 / max))
                .collect(),
        }
    }
}

/// What the analytics page shows: the engine's counts per collection, year,
/// department and document type, and the logged searches and clicks.
#[derive(Debug, Serialize)]
pub struct AnalyticsView {
    pub documents: u64,
    pub searches: u64,
    pub clicks: u64,
    pub ctr: String,
    pub zero_share: String,
    pub since: String,
    pub tables: Vec<Table>,
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |x| format!("{:.0}%", x * 100.0))
}

impl AnalyticsView {
    /// From an aggregation-only search (facets `collection`, `year`, `department`,
    /// `document_type`) and the tally of logged events.
    pub fn new(found: &Found, tally: &crate::analytics::Tally) -> Self {
        let facet = |f: &str| {
            found
                .facets
                .iter()
                .find(|x| x.field == f)
                .map(|x| x.counts.clone())
                .unwrap_or_default()
        };
        let mut years = facet("year");
        years.sort_by(|a, b| b.0.cmp(&a.0));
        let collections: Vec<(String, u64)> = facet("collection")
            .into_iter()
            .map(|(c, n)| (collection_label(&c).to_owned(), n))
            .collect();
        #[allow(clippy::cast_precision_loss)]
        let zero =
            (tally.searches > 0).then(|| tally.zero_results() as f64 / tally.searches as f64);
        Self {
            documents: found.total,
            searches: tally.searches,
            clicks: tally.clicks,
            ctr: percent(tally.click_through()),
            zero_share: percent(zero),
            since: tally.since.clone().unwrap_or_else(|| "the start".into()),
            tables: vec![
                Table::new(
                    "Documents per collection",
                    "Collection",
                    "Documents",
                    &collections,
                ),
                Table::new(
                    "Documents per year (latest 15 years with documents)",
                    "Year",
                    "Documents",
                    &years,
                ),
                Table::new(
                    "Theses per department",
                    "Department",
                    "Theses",
                    &facet("department"),
                ),
                Table::new(
                    "Tobacco documents per type",
                    "Document type",
                    "Documents",
                    &facet("document_type"),
                ),
                Table::new("Top queries", "Query", "Searches", &tally.top_queries(15)),
                Table::new(
                    "Queries that found nothing",
                    "Query",
                    "Searches",
                    &tally.zero_result_queries(15),
                ),
            ],
        }
    }
}

/// The analytics page.
pub fn analytics_page(view: &AnalyticsView) -> String {
    render(
        "analytics.html",
        context! {
            title => "Analytics", q => "",
            documents => view.documents, searches => view.searches, clicks => view.clicks,
            ctr => view.ctr, zero_share => view.zero_share, since => view.since,
            tables => view.tables,
        },
    )
}

/// A page that says what went wrong (the engine down, no such document, a bad
/// request), never a stack trace.
pub fn error_page(status: u16, message: &str) -> String {
    render(
        "error.html",
        context! { title => format!("{status}"), status, message, q => "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use searchindex::query::{Facet, Hit};

    fn found() -> Found {
        Found {
            total: 23,
            hits: vec![Hit {
                id: "etd:10919/5".into(),
                collection: "etds".into(),
                title: Some("Lasers <in> surgery".into()),
                year: Some(2012),
                score: 1.0,
                snippets: vec![format!("{}laser{} light", html::MARK.0, html::MARK.1)],
                summary: Some("We study lasers.".into()),
                sections: Vec::new(),
                cluster: Some("laser · optics".into()),
                pdf_url: None,
            }],
            facets: vec![Facet {
                field: "department".into(),
                counts: vec![("Physics".into(), 12), ("Biology".into(), 3)],
            }],
        }
    }

    #[test]
    fn the_search_page_shows_hits_facets_and_paging() {
        let pairs = vec![
            ("q".to_owned(), "laser".to_owned()),
            ("filter".to_owned(), "department:Physics".to_owned()),
            ("page".to_owned(), "2".to_owned()),
        ];
        let (s, page) = crate::request::parse(
            Some("q=laser&filter=department:Physics&page=2"),
            crate::request::Limits::default(),
        )
        .expect("valid");
        let html = search_page(&s, page, &pairs, Ok(&found()), "qid1");
        assert!(html.contains("Lasers &lt;in&gt; surgery"), "title escaped");
        assert!(html.contains("<mark>laser</mark> light"), "snippet marked");
        assert!(
            html.contains("/documents/etd:10919/5?qid=qid1&amp;rank=11&amp;q=laser"),
            "the link logs the click with its rank"
        );
        assert!(html.contains("23 results"), "{html}");
        assert!(
            html.contains(r#"value="department:Physics" checked"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<label for="f-department-1">"#),
            "labelled boxes"
        );
        assert!(html.contains("laser · optics"));
        assert!(
            html.contains(r#"href="/?q=laser&amp;filter=department%3APhysics""#),
            "previous page"
        );
        assert!(html.contains("page=3"), "next page");
        let failed = search_page(&s, 1, &pairs, Err("the engine refused it"), "q");
        assert!(failed.contains("the engine refused it"));
    }

    #[test]
    fn the_best_page_is_where_the_words_are() {
        let text = "intro téxt here. lasers and more lasers on page two. the end";
        let pages = [(1, 0, 17), (2, 17, 52), (3, 52, text.len())];
        let (page, excerpt) = best_page(text, &pages, "lasers").expect("found");
        assert_eq!(page, 2);
        assert!(
            excerpt.contains("<mark>lasers</mark> and more"),
            "{excerpt}"
        );
        assert_eq!(
            best_page(text, &pages, "of"),
            None,
            "short words are not looked for"
        );
        assert_eq!(best_page(text, &pages, "quantum"), None);
    }

    #[test]
    fn the_document_page_shows_summary_cluster_related_and_match() {
        let doc = serde_json::json!({
            "title": "Lasers in surgery", "collection": "etds", "year": 2012,
            "authors": ["Doe, Jane"], "department": "Physics", "abstract": "About lasers.",
            "summary": "Lasers cut.", "cluster": {"label": "laser · optics"},
            "summary_sections": [{"title": "Methods", "summary": "We cut."}],
            "uri": "http://hdl.handle.net/10919/5"
        });
        let around = Around {
            query: "lasers".into(),
            text: Some(("a b c lasers here".into(), vec![(4, 0, 17)])),
            related: vec![Named {
                id: "etd:10919/6".into(),
                title: Some("Optics".into()),
                collection: "etds".into(),
                score: 1.0,
            }],
            related_reason: "similar text",
            similar: vec![Named {
                id: "etd:10919/9".into(),
                title: Some("Photonics".into()),
                collection: "etds".into(),
                score: 0.9,
            }],
            pdf_url: Some("/documents/etd:10919/5/pdf".into()),
        };
        let html = document_page("etd:10919/5", &doc, &around);
        for want in [
            "Doe, Jane",
            "Lasers cut.",
            "Methods",
            "laser · optics",
            "/documents/etd:10919/6",
            "similar text",
            "Similar by meaning",
            "/documents/etd:10919/9",
            "page 4",
            "#page=4",
            "http://hdl.handle.net/10919/5",
        ] {
            assert!(html.contains(want), "{want} missing: {html}");
        }
        assert!(error_page(503, "the search engine is unreachable").contains("unreachable"));
    }

    #[test]
    fn the_analytics_page_shows_counts_and_queries() {
        let mut t = crate::analytics::Tally::default();
        t.observe(&crate::logs::search_event(
            "s",
            "q1",
            None,
            "lasers",
            &[],
            0,
            "2026-12-01T00:00:00Z".into(),
        ));
        let f = Found {
            total: 9,
            hits: Vec::new(),
            facets: vec![Facet {
                field: "collection".into(),
                counts: vec![("etds".into(), 6), ("tobacco".into(), 3)],
            }],
        };
        let html = analytics_page(&AnalyticsView::new(&f, &t));
        assert!(html.contains("Thesis or dissertation"), "{html}");
        assert!(
            html.contains("width: 50%"),
            "tobacco's bar is half of the theses'"
        );
        assert!(html.contains("lasers"));
        assert!(html.contains("100%"), "the one search found nothing");
    }
}
