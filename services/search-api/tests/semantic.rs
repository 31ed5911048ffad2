//! Ranking by meaning, as a process against the stack's OpenSearch (its k-NN plugin):
//! documents indexed with their MiniLM embeddings (made here with the model the
//! clusterer uses), a query that shares no word with the document it is about finds it
//! in semantic and hybrid mode and not in lexical mode; hybrid is the default; the
//! document API lists documents similar by meaning, never itself, and leaves the
//! vector out. A search API started lexical without a model says why it cannot rank
//! by meaning.

use serde_json::{json, Value};

mod common;

fn json_of((status, body): (u16, String)) -> (u16, Value) {
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_finds_documents_by_meaning() {
    testkit::init_tracing();
    let model = embed::model_dir(&std::env::vars().collect());
    let embedder = embed::Embedder::load(&model, embed::Options::default()).expect("the model");
    let texts = [
        ("tobacco:ad1", "Cigarette advertisements aimed at teenagers"),
        ("tobacco:lc2", "Lung cancer deaths among coal miners"),
        ("tobacco:ph3", "Pharmacology of nicotine dependence"),
        ("tobacco:br4", "Fatigue cracks in steel bridge girders"),
    ];
    let refs: Vec<&str> = texts.iter().map(|(_, t)| *t).collect();
    let vectors = embedder.embed(&refs).expect("embedded");
    let docs: Vec<Value> = texts
        .iter()
        .zip(&vectors)
        .map(|((id, title), v)| {
            json!({ "id": id, "collection": "tobacco", "title": title, "embedding": v,
                    "embedding_model": embed::MODEL_NAME })
        })
        .collect();
    let (prefix, logs) = common::library("semantic", &docs).await;
    let api = common::search_api(&prefix, &logs, &[]);
    // no word in common with "Cigarette advertisements aimed at teenagers"
    let q = "q=marketing+smoking+to+youths";
    let (status, lexical) = json_of(api.get(&format!("/api/search?{q}&mode=lexical")));
    assert_eq!(status, 200, "{lexical}");
    assert_eq!(lexical["total"], 0, "{lexical}");
    for mode in ["semantic", "hybrid"] {
        let (status, found) = json_of(api.get(&format!("/api/search?{q}&mode={mode}")));
        assert_eq!(status, 200, "{found}");
        assert_eq!(found["mode"], mode);
        assert_eq!(found["hits"][0]["id"], "tobacco:ad1", "{mode}: {found}");
    }
    let (_, default) = json_of(api.get(&format!("/api/search?{q}")));
    assert_eq!(default["mode"], "hybrid");
    // words still count in hybrid: the one document with "girders" comes first
    let (_, words) = json_of(api.get("/api/search?q=girders"));
    assert_eq!(words["hits"][0]["id"], "tobacco:br4", "{words}");

    let (status, doc) = json_of(api.get("/api/documents/tobacco:ad1"));
    assert_eq!(status, 200, "{doc}");
    assert!(doc.get("embedding").is_none(), "the vector stays out");
    let similar: Vec<&str> = doc["similar_by_meaning"]
        .as_array()
        .expect("similar documents")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(similar.len(), 3, "{doc}");
    assert!(
        !similar.contains(&"tobacco:ad1"),
        "never itself: {similar:?}"
    );
    let (status, page) = api.get("/documents/tobacco:ad1");
    assert_eq!(status, 200);
    assert!(page.contains("Similar by meaning"), "{page}");

    // started lexical without a model: searches work, meaning is refused with why
    let lexical_only = common::search_api(
        &prefix,
        &logs,
        &[
            ("DOCSTREAM_SEARCH_MODE", "lexical"),
            ("DOCSTREAM_MODEL_DIR", "/nonexistent/model"),
        ],
    );
    let (status, found) = json_of(lexical_only.get("/api/search?q=girders"));
    assert_eq!(
        (status, found["mode"].as_str()),
        (200, Some("lexical")),
        "{found}"
    );
    let (status, refused) = json_of(lexical_only.get(&format!("/api/search?{q}&mode=semantic")));
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("embedding model"),
        "{refused}"
    );
}
