//! Every consuming service, as a process on the stack's broker, fed the bad-input
//! corpus (`testkit::poison`: malformed JSON, wrong types, a newer or no schema
//! version, 6 MB unterminated, nested 100,000 deep, invalid UTF-8, empty and absent
//! values, another topic's message, a wrong key) between good messages: each bad one
//! is dead-lettered as `invalid` with a reason (a wrong key may instead be processed
//! under the document's own id), and the good ones after them are processed.

use serde_json::{json, Value};
use testkit::poison::{self, Bad};

/// A log event: the message of another topic for every service but the recommender.
const LOG_EVENT: &[u8] = br#"{"schema_version": 2, "data": {"dataset": "tobacco", "time": "2026-12-01T10:00:00Z", "session": "s-1", "query_id": "q-1", "rank": 1, "collection": "tobacco", "doc_id": "tobacco:x1"}}"#;

/// The corpus with `foreign` as the other topic's message.
fn corpus(good: &[u8], foreign: &[u8]) -> Vec<Bad> {
    let v: Value = serde_json::from_slice(good).expect("a good message is json");
    let mut c = poison::corpus(&v);
    for b in &mut c {
        if b.name == "another-topics-message" {
            b.payload = Some(foreign.to_vec());
        }
    }
    c
}

struct Topics {
    input: String,
    dlq: String,
}

async fn topics(name: &str, others: &[&str]) -> Topics {
    let t = Topics {
        input: testkit::unique(&format!("bad-{name}")),
        dlq: testkit::unique(&format!("bad-{name}-dlq")),
    };
    let mut all: Vec<(&str, i32)> = vec![(&t.input, 1), (&t.dlq, 1)];
    all.extend(others.iter().map(|o| (*o, 1)));
    testkit::create_topics_with(&all, &[("max.message.bytes", "20000000")]).await;
    t
}

fn common<'a>(t: &'a Topics, group: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("DOCSTREAM_INPUT_TOPICS", t.input.as_str()),
        ("DOCSTREAM_DLQ_TOPIC", t.dlq.as_str()),
        ("DOCSTREAM_GROUP_ID", group),
        ("DOCSTREAM_KAFKA__FETCH_MESSAGE_MAX_BYTES", "20000000"),
    ]
}

fn report(service: &str, o: &poison::Outcome) {
    let mut dead: Vec<_> = o.dead.iter().collect();
    dead.sort();
    for (name, (kind, reason)) in dead {
        let short: String = reason.chars().take(110).collect();
        println!("{service}: {name}: {kind}: {short}");
    }
    println!("{service}: processed instead: {:?}", o.passed);
}

fn tobacco_raw(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"schema_version": 1, "id": format!("tobacco:{id}"),
        "document": {"Legacy_(LTDL2)_Tobacco_Id": id, "Title": "Memo", "text_content": [{"page": 1, "content": "a memo on sales"}]}}))
    .expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn tobacco_ingest() {
    let output = testkit::unique("bad-tobacco-out");
    let t = topics("tobacco", &[&output]).await;
    let group = testkit::unique("bad-g");
    let mut env = common(&t, &group);
    env.push(("DOCSTREAM_OUTPUT_TOPIC", &output));
    let service = testkit::Service::spawn(&testkit::workspace_binary("tobacco-ingest"), &env);
    let good = vec![
        ("tobacco:g1".to_owned(), tobacco_raw("g1")),
        ("tobacco:g2".to_owned(), tobacco_raw("g2")),
    ];
    let o = poison::check(
        &service,
        "docstream_tobacco_ingest",
        &t.input,
        &t.dlq,
        &good,
        &corpus(&good[0].1, LOG_EVENT),
        "",
    )
    .await;
    report("tobacco-ingest", &o);
}

#[tokio::test(flavor = "multi_thread")]
async fn etd_ingest() {
    let output = testkit::unique("bad-etd-out");
    let t = topics("etd", &[&output]).await;
    let group = testkit::unique("bad-g");
    let mut env = common(&t, &group);
    env.push(("DOCSTREAM_OUTPUT_TOPIC", &output));
    let service = testkit::Service::spawn(&testkit::workspace_binary("etd-ingest"), &env);
    let etd = |n: u32| {
        serde_json::to_vec(&json!({"schema_version": 1, "id": format!("etd:10919/{n}"),
            "metadata": {"handle": format!("10919/{n}"), "title-none": "A thesis", "contributor-author": "Doe, Jane"}}))
        .expect("json")
    };
    let good = vec![
        ("etd:10919/1".to_owned(), etd(1)),
        ("etd:10919/2".to_owned(), etd(2)),
    ];
    let o = poison::check(
        &service,
        "docstream_etd_ingest",
        &t.input,
        &t.dlq,
        &good,
        &corpus(&good[0].1, LOG_EVENT),
        "",
    )
    .await;
    report("etd-ingest", &o);
}

fn processed_tobacco(id: &str) -> Vec<u8> {
    samples::processed::bytes(&samples::processed::tobacco(
        id,
        Some("Memo"),
        &samples::text::deposition(1, 40),
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn summarizer() {
    let output = testkit::unique("bad-sum-out");
    let t = topics("summarizer", &[&output]).await;
    let group = testkit::unique("bad-g");
    let mut env = common(&t, &group);
    env.push(("DOCSTREAM_OUTPUT_TOPIC", &output));
    let service = testkit::Service::spawn(&testkit::workspace_binary("summarizer"), &env);
    let good = vec![
        ("tobacco:s1".to_owned(), processed_tobacco("tobacco:s1")),
        ("tobacco:s2".to_owned(), processed_tobacco("tobacco:s2")),
    ];
    let o = poison::check(
        &service,
        "docstream_summarizer",
        &t.input,
        &t.dlq,
        &good,
        &corpus(&good[0].1, LOG_EVENT),
        "",
    )
    .await;
    report("summarizer", &o);
}

#[tokio::test(flavor = "multi_thread")]
async fn indexer() {
    let t = topics("indexer", &[]).await;
    let group = testkit::unique("bad-g");
    let prefix = testkit::unique_ident("bad");
    let es = testkit::es_url();
    let mut env = common(&t, &group);
    env.extend([
        ("DOCSTREAM_INDEXER_TOPIC_ETDS", "unused-etds"),
        ("DOCSTREAM_INDEXER_TOPIC_TOBACCO", t.input.as_str()),
        ("DOCSTREAM_ES_INDEX_PREFIX", prefix.as_str()),
        ("DOCSTREAM_ES_URL", es.as_str()),
    ]);
    let service = testkit::Service::spawn(&testkit::workspace_binary("indexer"), &env);
    let good = vec![
        ("tobacco:i1".to_owned(), processed_tobacco("tobacco:i1")),
        ("tobacco:i2".to_owned(), processed_tobacco("tobacco:i2")),
    ];
    let o = poison::check(
        &service,
        "docstream_indexer",
        &t.input,
        &t.dlq,
        &good,
        &corpus(&good[0].1, LOG_EVENT),
        // keys that are document ids, so the indexer reads each payload
        "tobacco:bad-",
    )
    .await;
    report("indexer", &o);
}

#[tokio::test(flavor = "multi_thread")]
async fn clusterer() {
    let (embeddings, clusters, models) = (
        testkit::unique("bad-emb"),
        testkit::unique("bad-clu"),
        testkit::unique("bad-models"),
    );
    let t = topics("clusterer", &[&embeddings, &clusters, &models]).await;
    let group = testkit::unique("bad-g");
    let model = embed::model_dir(&std::env::vars().collect())
        .display()
        .to_string();
    let mut env = common(&t, &group);
    env.extend([
        ("DOCSTREAM_CLUSTER_EMBEDDINGS_TOPIC", embeddings.as_str()),
        ("DOCSTREAM_CLUSTER_CLUSTERS_TOPIC", clusters.as_str()),
        ("DOCSTREAM_CLUSTER_MODELS_TOPIC", models.as_str()),
        ("DOCSTREAM_MODEL_DIR", model.as_str()),
    ]);
    let service = testkit::Service::spawn(&testkit::workspace_binary("clusterer"), &env);
    let good = vec![
        ("tobacco:c1".to_owned(), processed_tobacco("tobacco:c1")),
        ("tobacco:c2".to_owned(), processed_tobacco("tobacco:c2")),
    ];
    let o = poison::check(
        &service,
        "docstream_clusterer",
        &t.input,
        &t.dlq,
        &good,
        &corpus(&good[0].1, LOG_EVENT),
        "",
    )
    .await;
    report("clusterer", &o);
}

#[tokio::test(flavor = "multi_thread")]
async fn recommender() {
    let (output, pairs, clusters, sessions, state) = (
        testkit::unique("bad-rec-out"),
        testkit::unique("bad-rec-pairs"),
        testkit::unique("bad-rec-clusters"),
        testkit::unique("bad-rec-sessions"),
        testkit::unique("bad-rec-state"),
    );
    let t = topics(
        "recommender",
        &[&output, &pairs, &clusters, &sessions, &state],
    )
    .await;
    let group = testkit::unique("bad-g");
    let mut env = common(&t, &group);
    env.extend([
        ("DOCSTREAM_OUTPUT_TOPIC", output.as_str()),
        ("DOCSTREAM_RECOMMEND_PAIRS_TOPIC", pairs.as_str()),
        ("DOCSTREAM_RECOMMEND_CLUSTERS_TOPIC", clusters.as_str()),
        ("DOCSTREAM_RECOMMEND_SESSIONS_TOPIC", sessions.as_str()),
        ("DOCSTREAM_RECOMMEND_STATE_TOPIC", state.as_str()),
    ]);
    let service = testkit::Service::spawn(&testkit::workspace_binary("recommender"), &env);
    let click = |n: u32| {
        serde_json::to_vec(&json!({"schema_version": 2, "data": {"dataset": "tobacco",
            "time": "2026-12-01T10:00:00Z", "session": "s-bad", "query_id": "q-1", "rank": 1,
            "collection": "tobacco", "doc_id": format!("tobacco:r{n}")}}))
        .expect("json")
    };
    let good = vec![
        ("s-bad".to_owned(), click(1)),
        ("s-bad".to_owned(), click(2)),
    ];
    // a line without a schema version is the front end's own (FEK) format, read as
    // version 1: accepted, not dead-lettered
    let mut bad = corpus(&good[0].1, &tobacco_raw("x"));
    for b in &mut bad {
        b.may_pass |= b.name == "no-version";
    }
    let o = poison::check(
        &service,
        "docstream_recommender",
        &t.input,
        &t.dlq,
        &good,
        &bad,
        "",
    )
    .await;
    report("recommender", &o);
}
