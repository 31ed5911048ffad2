//! The search API as a process against the stack's OpenSearch and Kafka: a search
//! finds an indexed document with its summary and cluster facet, the document opens
//! without its full text, bad requests are 400s that say why, a missing document a 404;
//! the search and the click arrive on `logs` with the same query id.

use contracts::{decode, LogEvent};
use searchindex::{Collection, EngineSettings, Layout};
use serde_json::{json, Value};
use testkit::{Read, Service};

#[tokio::test(flavor = "multi_thread")]
async fn search_open_and_log() {
    testkit::init_tracing();
    let prefix = testkit::unique_ident("api");
    let logs = testkit::unique("logs");
    testkit::create_topics(&[(&logs, 1)]).await;
    let es_url = testkit::es_url();
    let engine = EngineSettings::from_vars(&settings::vars_of(&[
        ("DOCSTREAM_ES_URL", &es_url),
        ("DOCSTREAM_ES_INDEX_PREFIX", &prefix),
    ]))
    .expect("settings");
    let es = engine.client().expect("client");
    let layout = Layout::new(&engine);
    layout.ensure(&es).await.expect("indices");
    for (c, id, doc) in [
        (
            Collection::Tobacco,
            "tobacco:ab12",
            json!({"id": "tobacco:ab12", "collection": "tobacco",
            "title": "Youth marketing memo", "text": "long OCR text on youth marketing",
            "summary": "A memo on marketing to youth.", "year": 1991,
            "cluster": {"id": "tobacco-3", "label": "youth · marketing", "model": "tobacco-v1"}}),
        ),
        (
            Collection::Etds,
            "etd:10919/5",
            json!({"id": "etd:10919/5", "collection": "etds",
            "title": "Lasers in surgery", "year": 2012}),
        ),
    ] {
        let r = es
            .index(elasticsearch::IndexParts::IndexId(&layout.alias(c), id))
            .body(doc)
            .refresh(elasticsearch::params::Refresh::True)
            .send()
            .await
            .expect("index");
        assert!(r.status_code().is_success());
    }
    let api = Service::spawn(
        env!("CARGO_BIN_EXE_search-api"),
        &[
            ("DOCSTREAM_ES_URL", &es_url),
            ("DOCSTREAM_ES_INDEX_PREFIX", &prefix),
            ("DOCSTREAM_SEARCH_LOGS_TOPIC", &logs),
        ],
    );
    let json = |(status, body): (u16, String)| -> (u16, Value) {
        (
            status,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
        )
    };

    let (status, found) = json(api.get("/api/search?q=youth&facet=cluster.label"));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 1);
    assert_eq!(found["hits"][0]["id"], "tobacco:ab12");
    assert_eq!(found["hits"][0]["summary"], "A memo on marketing to youth.");
    assert_eq!(found["facets"][0]["counts"][0][0], "youth · marketing");
    let qid = found["query_id"].as_str().expect("a query id").to_owned();

    let (status, doc) = json(api.get(&format!("/api/documents/tobacco:ab12?qid={qid}&rank=1")));
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["title"], "Youth marketing memo");
    assert!(doc.get("text").is_none(), "no full text");

    let (status, both) = json(api.get("/api/search?q=&sort=newest&size=5"));
    assert_eq!(status, 200);
    assert_eq!(both["total"], 2);
    assert_eq!(both["hits"][0]["id"], "etd:10919/5", "newest first");

    for (path, status, says) in [
        ("/api/search?size=999", 400, "size must be"),
        ("/api/search?facet=fulltext", 400, "department"),
        ("/api/search?page=500", 400, "past the first"),
        ("/api/documents/nonsense", 400, "not a document id"),
        ("/api/documents/tobacco:none", 404, "no document"),
    ] {
        let (got, body) = json(api.get(path));
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains(says)),
            "{path}: {body}"
        );
    }
    assert_eq!(api.get("/readyz").0, 200);

    // the first search and the click, same query id; the other searches too
    let events: Vec<LogEvent> = Read::partitions(1)
        .until(&logs, |r| r.len() >= 3)
        .iter()
        .map(|r| decode(&r.payload).expect("a LogEvent"))
        .collect();
    let search = events
        .iter()
        .find(|e| e.data.query_id.as_deref() == Some(&qid) && !e.is_click())
        .expect("the search");
    assert_eq!(search.data.total, Some(1));
    assert_eq!(
        search
            .data
            .activity
            .as_ref()
            .map(|a| a.search_text.as_str()),
        Some("youth")
    );
    let click = events.iter().find(|e| e.is_click()).expect("the click");
    assert_eq!(click.data.query_id.as_deref(), Some(qid.as_str()));
    assert_eq!(click.data.rank, Some(1));
    assert_eq!(click.clicked_doc().as_deref(), Some("tobacco:ab12"));
    assert!(events
        .iter()
        .all(|e| e.data.user.is_none() && e.data.ip.is_none() && !e.key().is_empty()));
    assert!(
        api.metric("docstream_search_api_outcomes_total{kind=\"log_events\",value=\"produced\"}")
            >= 3.0
    );
}
