//! Lookups beside search: completing a query as it is typed ([`suggest`]: titles,
//! authors and subjects that start with the typed words), documents like a given one
//! ([`more_like_this`], the engine's term-vector similarity, for a document no one's
//! clicks have related yet), documents nearest a document's embedding ([`nearest`]:
//! "similar by meaning"), titles of documents by id ([`titles`]) and their related
//! lists ([`related_lists`]). Request bodies
//! and the reading of responses are pure functions.

use elasticsearch::Elasticsearch;
use serde_json::{json, Value};

use crate::query::{get_source, indices, send, Source};
use crate::{Collection, Layout, Result, Vectors};

/// What a typed prefix may complete to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub text: String,
    /// `title`, `author` or `subject`.
    pub kind: &'static str,
}

/// A document named by id and title, with a score where one ranked it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Named {
    pub id: String,
    pub title: Option<String>,
    pub collection: String,
    pub score: f64,
}

const SUGGESTED: &[(&str, &str)] = &[
    ("title", "title"),
    ("authors", "author"),
    ("subjects", "subject"),
];

/// The body of a completion lookup: the typed words, the last one as a prefix.
pub fn suggest_body(typed: &str, candidates: usize) -> Value {
    json!({
        "size": candidates,
        "_source": ["title", "authors", "subjects"],
        "query": { "multi_match": {
            "query": typed, "type": "bool_prefix", "operator": "and",
            "fields": ["title^3", "authors^2", "subjects^2"]
        }}
    })
}

/// Lower-case words of a text, letters and digits only.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether every typed word starts some word of the candidate (the last typed word may
/// be unfinished; the others must too, as typed, since people type stems).
pub fn completes(typed: &str, candidate: &str) -> bool {
    let want = words(typed);
    let have = words(candidate);
    !want.is_empty() && want.iter().all(|w| have.iter().any(|h| h.starts_with(w)))
}

/// The suggestions in a completion response: each title, author and subject of the hits
/// that the typed words complete, in the hits' order, without repeats, at most `limit`.
pub fn suggestions(typed: &str, response: &Value, limit: usize) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = Vec::new();
    let hits = response
        .pointer("/hits/hits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for hit in hits {
        for (field, kind) in SUGGESTED {
            let values: Vec<&str> = match &hit["_source"][*field] {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for v in values {
                let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
                if completes(typed, &v)
                    && !out.iter().any(|s| s.text.eq_ignore_ascii_case(&v))
                    && out.len() < limit
                {
                    out.push(Suggestion { text: v, kind });
                }
            }
        }
    }
    out
}

/// Titles, authors and subjects completing what was typed, from both collections.
pub async fn suggest(
    es: &Elasticsearch,
    layout: &Layout,
    typed: &str,
    limit: usize,
) -> Result<Vec<Suggestion>> {
    if words(typed).is_empty() {
        return Ok(Vec::new());
    }
    let r = send(
        es,
        &indices(layout, None),
        suggest_body(typed, limit * 3),
        "suggest",
    )
    .await?;
    Ok(suggestions(typed, &r, limit))
}

/// The body of a more-like-this lookup for one document.
pub fn more_like_this_body(index: &str, id: &str, size: usize) -> Value {
    json!({
        "size": size,
        "_source": ["title", "collection"],
        "query": { "bool": { "filter": [crate::query::visible()], "must": [{ "more_like_this": {
            "fields": ["title", "abstract", "description", "subjects", "summary", "topics"],
            "like": [{ "_index": index, "_id": id }],
            "min_term_freq": 1, "min_doc_freq": 1, "max_query_terms": 40,
            "minimum_should_match": "10%"
        }}]}}
    })
}

/// The documents of a search response, named.
pub fn named(response: &Value) -> Vec<Named> {
    response
        .pointer("/hits/hits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|h| Named {
            id: h["_id"].as_str().unwrap_or_default().to_owned(),
            title: h["_source"]["title"].as_str().map(str::to_owned),
            collection: h["_source"]["collection"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            score: h["_score"].as_f64().unwrap_or(0.0),
        })
        .collect()
}

/// Documents of the same collection like the given one, best first.
pub async fn more_like_this(
    es: &Elasticsearch,
    layout: &Layout,
    id: &contracts::DocId,
    size: usize,
) -> Result<Vec<Named>> {
    let alias = layout.alias(Collection::of(id));
    let body = more_like_this_body(&alias, &id.to_string(), size);
    Ok(named(&send(es, &[alias], body, "more like this").await?))
}

/// The body of [`nearest`]: the `size` documents nearest `vector`, `id` left out;
/// `None` when the engine holds no vectors.
pub fn nearest_body(vectors: Vectors, id: &str, vector: &[f32], size: usize) -> Option<Value> {
    let not_itself = [
        json!({ "bool": { "must_not": [{ "ids": { "values": [id] } }] } }),
        crate::query::visible(),
    ];
    let mut body = json!({ "size": size, "_source": ["title", "collection"] });
    if let Some(q) = vectors.knn_query(vector, size, &not_itself, 1.0) {
        body["query"] = q;
    } else {
        body["knn"] = vectors.knn_section(vector, size, &not_itself, 1.0)?;
    }
    Some(body)
}

/// The documents of `id`'s collection nearest its embedding `vector` (cosine): similar
/// by meaning. Empty when the engine holds no vectors.
pub async fn nearest(
    es: &Elasticsearch,
    layout: &Layout,
    id: &contracts::DocId,
    vector: &[f32],
    size: usize,
) -> Result<Vec<Named>> {
    let Some(body) = nearest_body(layout.vectors, &id.to_string(), vector, size) else {
        return Ok(Vec::new());
    };
    let alias = layout.alias(Collection::of(id));
    Ok(named(&send(es, &[alias], body, "nearest").await?))
}

/// The titles of documents by id, in the order asked; ids the engine does not have
/// are left out.
pub async fn titles(es: &Elasticsearch, layout: &Layout, ids: &[String]) -> Result<Vec<Named>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let body = json!({
        "size": ids.len(), "_source": ["title", "collection"],
        "query": { "bool": { "filter": [{ "ids": { "values": ids } }, crate::query::visible()] } }
    });
    let found = named(&send(es, &indices(layout, None), body, "titles").await?);
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|n| &n.id == id).cloned())
        .collect())
}

/// A document's related documents as the recommender wrote them (`related`: id and
/// score, best first); none when it has none.
pub fn related_of(src: &Value) -> Vec<(String, f32)> {
    src["related"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            #[allow(clippy::cast_possible_truncation)]
            let score = r["score"].as_f64().unwrap_or(0.0) as f32;
            Some((r["id"].as_str()?.to_owned(), score))
        })
        .collect()
}

/// The related lists ([`related_of`]) of documents by id, in the order asked (an empty
/// list for an id the engine does not have): one request.
pub async fn related_lists(
    es: &Elasticsearch,
    layout: &Layout,
    ids: &[String],
) -> Result<Vec<Vec<(String, f32)>>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let body = json!({
        "size": ids.len(), "_source": ["related"],
        "query": { "bool": { "filter": [{ "ids": { "values": ids } }, crate::query::visible()] } }
    });
    let response = send(es, &indices(layout, None), body, "related").await?;
    let hits: Vec<&Value> = response
        .pointer("/hits/hits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    Ok(ids
        .iter()
        .map(|id| {
            hits.iter()
                .find(|h| h["_id"].as_str() == Some(id))
                .map(|h| related_of(&h["_source"]))
                .unwrap_or_default()
        })
        .collect())
}

/// A document's text and its pages: (page, start, end) in chars of the text.
pub type TextAndPages = (String, Vec<(u32, usize, usize)>);

/// A document as [`crate::query::document`] gives it (without `fulltext` and `text`),
/// with its full text and page spans (page, start, end: char offsets into the text)
/// taken out beside it, for finding the page a query matched: one request for both.
/// `None` when the engine has no such document; no text when it has none.
pub async fn document_and_text(
    es: &Elasticsearch,
    layout: &Layout,
    id: &contracts::DocId,
) -> Result<Option<(Value, Option<TextAndPages>)>> {
    Ok(get_source(es, layout, id, Source::All)
        .await?
        .map(|mut src| {
            let text = text_of(&src);
            if let Some(m) = src.as_object_mut() {
                m.remove("fulltext");
                m.remove("text");
            }
            (src, text)
        }))
}

/// The text and page spans of a document's `_source`.
pub fn text_of(src: &Value) -> Option<TextAndPages> {
    let text = src["fulltext"].as_str().or_else(|| src["text"].as_str())?;
    let pages = src["pages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                u32::try_from(p["page"].as_u64()?).ok()?,
                usize::try_from(p["start"].as_u64()?).ok()?,
                usize::try_from(p["end"].as_u64()?).ok()?,
            ))
        })
        .collect();
    Some((text.to_owned(), pages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_by_meaning_leave_the_document_out() {
        let b = nearest_body(Vectors::Knn, "etd:10919/5", &[0.6, 0.8], 5).expect("body");
        assert_eq!(b.pointer("/query/knn/embedding/k"), Some(&json!(5)));
        assert_eq!(
            b.pointer("/query/knn/embedding/filter/bool/filter/0/bool/must_not/0/ids/values/0"),
            Some(&json!("etd:10919/5"))
        );
        let es = nearest_body(Vectors::DenseVector, "etd:10919/5", &[0.6, 0.8], 5).expect("body");
        assert_eq!(es.pointer("/knn/k"), Some(&json!(5)));
        assert!(nearest_body(Vectors::Off, "etd:10919/5", &[0.6], 5).is_none());
    }

    #[test]
    fn typed_words_complete_words_of_a_candidate() {
        assert!(completes("mach lear", "Machine Learning for Bridges"));
        assert!(completes("Smith", "Smith, John A."));
        assert!(!completes("mach lear", "Machine vision"));
        assert!(!completes("  ", "anything"));
    }

    #[test]
    fn suggestions_come_from_titles_authors_and_subjects_once_each() {
        let r = json!({"hits": {"hits": [
            {"_source": {"title": "Deep  learning of bridges", "authors": ["Deeds, Ann"],
                         "subjects": ["deep learning", "bridges"]}},
            {"_source": {"title": "Deep learning of bridges", "subjects": "Deep Learning"}}
        ]}});
        let s = suggestions("dee", &r, 10);
        let texts: Vec<(&str, &str)> = s.iter().map(|s| (s.text.as_str(), s.kind)).collect();
        assert_eq!(
            texts,
            [
                ("Deep learning of bridges", "title"),
                ("Deeds, Ann", "author"),
                ("deep learning", "subject")
            ]
        );
        assert_eq!(suggestions("dee", &r, 1).len(), 1);
        let b = suggest_body("deep lea", 24);
        assert_eq!(
            b.pointer("/query/multi_match/type"),
            Some(&json!("bool_prefix"))
        );
    }

    #[test]
    fn text_and_pages_are_read_from_either_collection() {
        let etd = json!({"fulltext": "abc", "pages": [{"page": 1, "start": 0, "end": 3}]});
        assert_eq!(text_of(&etd), Some(("abc".into(), vec![(1, 0, 3)])));
        assert_eq!(text_of(&json!({"text": "x"})), Some(("x".into(), vec![])));
        assert_eq!(text_of(&json!({})), None);
    }

    #[test]
    fn more_like_this_names_the_document_and_reads_hits() {
        let b = more_like_this_body("docstream-etds", "etd:1/2", 5);
        assert_eq!(
            b.pointer("/query/bool/must/0/more_like_this/like/0/_id"),
            Some(&json!("etd:1/2"))
        );
        let r = json!({"hits": {"hits": [
            {"_id": "etd:1/3", "_score": 1.5, "_source": {"title": "T", "collection": "etds"}}
        ]}});
        assert_eq!(
            named(&r),
            [Named {
                id: "etd:1/3".into(),
                title: Some("T".into()),
                collection: "etds".into(),
                score: 1.5
            }]
        );
    }
}
