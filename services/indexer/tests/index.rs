//! The indexer against the stack's Kafka and OpenSearch: pieces of a document from
//! different topics in any order, reprocessing that keeps what others wrote, engine
//! rejections and bad messages dead-lettered, offsets committed after the writes.

mod common;

use std::time::Duration;

use common::{etd, tobacco, Setup};
use contracts::DeadLetter;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pieces_merge_in_any_order_and_bad_documents_are_dead_lettered() {
    let s = Setup::new().await;
    let indexer = s.spawn(&[("DOCSTREAM_INDEXER_LINGER_MS", "20")]);

    // the summary and the cluster arrive before the document itself
    let summary = json!({"schema_version": 1, "id": "tobacco:t1", "summary": "About nicotine.", "model": "m1"});
    s.send(&s.summaries, "tobacco:t1", summary.to_string().as_bytes())
        .await;
    let cluster = json!({"schema_version": 1, "id": "tobacco:t1", "cluster_id": "c3",
                         "cluster_label": "nicotine", "model": "k1"});
    s.send(&s.clusters, "tobacco:t1", cluster.to_string().as_bytes())
        .await;
    s.send(
        &s.tobacco,
        "tobacco:t1",
        &tobacco("t1", "First version", "2000-03-15"),
    )
    .await;
    // reprocessing the document must not erase the summary or the cluster
    s.send(
        &s.tobacco,
        "tobacco:t1",
        &tobacco("t1", "Second version", "2000-03-15"),
    )
    .await;
    let recs = json!({"schema_version": 1, "id": "etd:10919/7", "model": "als",
                      "related": [{"id": "etd:10919/8", "score": 0.9}]});
    s.send(
        &s.recommendations,
        "etd:10919/7",
        recs.to_string().as_bytes(),
    )
    .await;
    s.send(&s.etds, "etd:10919/7", &etd("10919/7", "Graphs", 50))
        .await;
    // its embedding, as the clusterer publishes it: the engine's k-NN finds it
    let mut vector = vec![0.0f32; 384];
    vector[7] = 1.0;
    let embedding = json!({"schema_version": 1, "id": "etd:10919/7", "collection": "etds",
                           "model": "all-MiniLM-L6-v2", "vector": vector, "text": "Graphs",
                           "assigned_with": null});
    s.send(
        &s.embeddings,
        "etd:10919/7",
        embedding.to_string().as_bytes(),
    )
    .await;
    for i in 0..300 {
        let id = format!("b{i}");
        s.send(
            &s.tobacco,
            &format!("tobacco:{id}"),
            &tobacco(&id, "Batch", "1999-12-31"),
        )
        .await;
    }
    // bad input: not JSON; a date the engine cannot parse; a key that is not the id
    s.send(&s.tobacco, "tobacco:bad1", b"{not json").await;
    s.send(
        &s.tobacco,
        "tobacco:bad2",
        &tobacco("bad2", "Bad date", "someday"),
    )
    .await;
    s.send(
        &s.tobacco,
        "tobacco:bad3",
        &tobacco("other", "Wrong key", "2000-01-01"),
    )
    .await;
    // and a document after them, which must not be held up
    s.send(
        &s.tobacco,
        "tobacco:last",
        &tobacco("last", "After the bad ones", "2001-01-01"),
    )
    .await;

    let n = s.wait_count("tobacco", 302, Duration::from_secs(90)).await;
    assert_eq!(n, 302, "t1, 300 batch documents and the last one");
    assert_eq!(s.wait_count("etds", 1, Duration::from_secs(30)).await, 1);

    let t1 = s.get("tobacco", "tobacco:t1").await.expect("t1 indexed");
    assert_eq!(t1["title"], "Second version");
    assert_eq!(t1["summary"], "About nicotine.");
    assert_eq!(t1["cluster"]["id"], "c3");
    assert_eq!(t1["pages"][1]["page"], 2);
    assert_eq!(t1["source"]["unmapped"], "kept");
    let e = s
        .get_when("etds", "etd:10919/7", |d| {
            d.get("embedding_model").is_some()
        })
        .await
        .expect("etd indexed");
    assert_eq!(e["related"][0]["id"], "etd:10919/8");
    assert_eq!(e["degree"]["level"], "doctoral");
    assert_eq!(e["embedding_model"], "all-MiniLM-L6-v2");
    assert!(e.get("text").is_none(), "the embedded text is not indexed");
    let mut near = vec![0.0f32; 384];
    near[7] = 0.9;
    near[8] = 0.1;
    let found = s
        .search(
            "etds",
            json!({ "query": { "knn": { "embedding": { "vector": near, "k": 3 } } } }),
        )
        .await;
    assert_eq!(
        found.pointer("/hits/hits/0/_id"),
        Some(&json!("etd:10919/7")),
        "{found}"
    );
    assert!(s.get("tobacco", "tobacco:last").await.is_some());
    assert!(s.get("tobacco", "tobacco:bad2").await.is_none());

    let mut dead = s.dead_letters(3);
    dead.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<&str> = dead.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(keys, ["tobacco:bad1", "tobacco:bad2", "tobacco:bad3"]);
    let bad2 = &dead[1].1;
    assert_eq!(bad2[DeadLetter::ERROR_KIND], "rejected");
    assert!(
        bad2[DeadLetter::ERROR].contains("date"),
        "the engine's error text: {}",
        bad2[DeadLetter::ERROR]
    );
    assert_eq!(bad2[DeadLetter::SOURCE_TOPIC], s.tobacco);
    assert_eq!(dead[0].1[DeadLetter::ERROR_KIND], "invalid");
    assert!(
        dead[2].1[DeadLetter::ERROR].contains("does not match"),
        "{:?}",
        dead[2].1
    );

    // every input offset is committed once written or dead-lettered
    let produced = 2 + 300 + 3 + 1;
    assert_eq!(
        s.wait_committed(&s.tobacco, produced, Duration::from_secs(30)),
        produced
    );
    assert_eq!(indexer.get("/readyz").0, 200);
    assert!(indexer.metric("docstream_indexer_sink_items_total{outcome=\"written\"}") >= 305.0);
    assert_eq!(
        indexer.metric("docstream_indexer_sink_items_total{outcome=\"rejected\"}"),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mapping_is_explicit_and_unknown_fields_are_not_indexed() {
    let s = Setup::new().await;
    let _indexer = s.spawn(&[]);
    let mut doc: serde_json::Value =
        serde_json::from_slice(&tobacco("m1", "Mapped", "2000-03-15")).expect("json");
    doc["surprise_field"] = json!("unexpected");
    s.send(&s.tobacco, "tobacco:m1", doc.to_string().as_bytes())
        .await;
    assert_eq!(s.wait_count("tobacco", 1, Duration::from_secs(60)).await, 1);

    let r =
        s.es.indices()
            .get_mapping(elasticsearch::indices::IndicesGetMappingParts::Index(&[
                &s.alias("tobacco")
            ]))
            .send()
            .await
            .expect("mapping");
    let m: serde_json::Value = r.json().await.expect("json");
    let (index, mapping) = m
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("one index");
    assert_eq!(
        index,
        &format!("{}-tobacco-v1", s.prefix),
        "the alias points at -v1"
    );
    let props = &mapping["mappings"]["properties"];
    assert!(
        props.get("surprise_field").is_none(),
        "dynamic mapping added a field"
    );
    assert_eq!(props["document_type"]["type"], "keyword");
    assert_eq!(props["text"]["analyzer"], "english");
    // stored, so a person sees it, but not searchable
    let got = s.get("tobacco", "tobacco:m1").await.expect("indexed");
    assert_eq!(got["surprise_field"], "unexpected");
    let r =
        s.es.count(elasticsearch::CountParts::Index(&[&s.alias("tobacco")]))
            .body(json!({"query": {"match": {"surprise_field": "unexpected"}}}))
            .send()
            .await
            .expect("count");
    let c: serde_json::Value = r.json().await.expect("json");
    assert_eq!(c["count"], 0);
}
