//! A document by id against the stack's OpenSearch: found through its collection's
//! alias without its full text, `None` when missing; a search finds it and serialises
//! as the search API will send it.

use searchindex::query::{self, Search};
use searchindex::{Collection, EngineSettings, Layout};
use serde_json::json;

#[tokio::test]
async fn a_document_by_id_without_its_full_text_and_a_search_as_json() {
    let prefix = testkit::unique_ident("docs");
    let vars = settings::vars_of(&[
        ("DOCSTREAM_ES_URL", &testkit::es_url()),
        ("DOCSTREAM_ES_INDEX_PREFIX", &prefix),
    ]);
    let engine = EngineSettings::from_vars(&vars).expect("settings");
    let es = engine.client().expect("client");
    let layout = Layout::new(&engine);
    layout.ensure(&es).await.expect("templates and indices");
    let id: contracts::DocId = "tobacco:ab12".parse().expect("id");
    let r = es
        .index(elasticsearch::IndexParts::IndexId(
            &layout.alias(Collection::Tobacco),
            "tobacco:ab12",
        ))
        .body(json!({
            "id": "tobacco:ab12", "collection": "tobacco", "title": "Youth marketing memo",
            "text": "a very long OCR text about youth marketing", "summary": "A memo.",
            "cluster": {"id": "tobacco-3", "label": "youth · marketing", "model": "tobacco-v1"}
        }))
        .refresh(elasticsearch::params::Refresh::True)
        .send()
        .await
        .expect("index");
    assert!(r.status_code().is_success(), "{:?}", r.text().await);

    let doc = query::document(&es, &layout, &id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(doc["title"], "Youth marketing memo");
    assert_eq!(doc["cluster"]["label"], "youth · marketing");
    assert!(doc.get("text").is_none(), "no full text: {doc}");
    let missing: contracts::DocId = "tobacco:nope".parse().expect("id");
    assert!(query::document(&es, &layout, &missing)
        .await
        .expect("get")
        .is_none());

    let found = query::search(
        &es,
        &layout,
        &Search {
            query: "youth".into(),
            collection: Some(Collection::Tobacco),
            facets: vec!["cluster.label".into()],
            size: 5,
            ..Search::default()
        },
    )
    .await
    .expect("search");
    let json = serde_json::to_value(&found).expect("serialises");
    assert_eq!(json["total"], 1);
    assert_eq!(json["hits"][0]["summary"], "A memo.");
    assert_eq!(json["facets"][0]["counts"][0][0], "youth · marketing");

    // paging and sorting by year, against the engine
    for (id, year) in [("tobacco:y1990", 1990), ("tobacco:y2001", 2001)] {
        es.index(elasticsearch::IndexParts::IndexId(
            &layout.alias(Collection::Tobacco),
            id,
        ))
        .body(json!({"id": id, "collection": "tobacco", "title": "Youth", "year": year}))
        .refresh(elasticsearch::params::Refresh::True)
        .send()
        .await
        .expect("index");
    }
    let page = |from: usize, sort: query::Sort| Search {
        query: "youth".into(),
        collection: Some(Collection::Tobacco),
        size: 1,
        from,
        sort,
        ..Search::default()
    };
    let first = query::search(&es, &layout, &page(0, query::Sort::Newest))
        .await
        .expect("search");
    assert_eq!(first.total, 3);
    assert_eq!(first.hits[0].id, "tobacco:y2001");
    let second = query::search(&es, &layout, &page(1, query::Sort::Newest))
        .await
        .expect("search");
    assert_eq!(second.hits[0].id, "tobacco:y1990");
    let oldest = query::search(&es, &layout, &page(0, query::Sort::Oldest))
        .await
        .expect("search");
    assert_eq!(oldest.hits[0].id, "tobacco:y1990");
}
