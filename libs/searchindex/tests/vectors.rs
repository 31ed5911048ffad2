//! Vectors against the stack's OpenSearch: the template maps `embedding` as a k-NN
//! vector, so an index made from it can be searched by meaning; an index made before
//! the field existed is recognised and searches fall back to words; an alias not
//! created yet counts as one that will have the field.

use searchindex::{Collection, EngineSettings, Layout, Vectors};

fn layout(prefix: &str, vectors: &str) -> (elasticsearch::Elasticsearch, Layout) {
    let vars = settings::vars_of(&[
        ("DOCSTREAM_ES_URL", &testkit::es_url()),
        ("DOCSTREAM_ES_INDEX_PREFIX", prefix),
        ("DOCSTREAM_ES_VECTORS", vectors),
    ]);
    let engine = EngineSettings::from_vars(&vars).expect("settings");
    (engine.client().expect("client"), Layout::new(&engine))
}

#[tokio::test]
async fn old_indices_without_the_field_rank_by_words() {
    let fresh = testkit::unique_ident("vec");
    let (es, knn) = layout(&fresh, "knn");
    assert_eq!(
        knn.vectors_in_use(&es).await.expect("mapping"),
        Vectors::Knn,
        "no index yet"
    );
    knn.ensure(&es).await.expect("indices");
    assert_eq!(
        knn.vectors_in_use(&es).await.expect("mapping"),
        Vectors::Knn
    );

    // an index as made before the field: the template without it
    let old = testkit::unique_ident("vec");
    let (es, before) = layout(&old, "off");
    before.ensure(&es).await.expect("indices");
    let (_, now) = layout(&old, "knn");
    assert_eq!(
        now.vectors_in_use(&es).await.expect("mapping"),
        Vectors::Off
    );
    // and an alias of one collection only is enough to say so
    let r = es
        .indices()
        .delete(elasticsearch::indices::IndicesDeleteParts::Index(&[
            &now.index(Collection::Etds, "v1")
        ]))
        .send()
        .await
        .expect("delete");
    assert!(r.status_code().is_success());
    assert_eq!(
        now.vectors_in_use(&es).await.expect("mapping"),
        Vectors::Off
    );
}
