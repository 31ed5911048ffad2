//! The search API as a process against the stack's OpenSearch and Kafka: a search
//! finds an indexed document with its summary and cluster facet, the document opens
//! without its full text, bad requests are 400s that say why, a missing document a 404;
//! the search and the click arrive on `logs` with the same query id. The web pages:
//! the search page with marked snippets and facets, the document page with its
//! summary, cluster, the page the query matched and related documents by the engine's
//! more-like-this, completions, the analytics page from the logged events, errors as
//! pages; and with the engine unreachable, 503s that say so.

use contracts::{decode, LogEvent};
use serde_json::{json, Value};
use testkit::{Read, Service};

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn search_open_and_log() {
    testkit::init_tracing();
    let pdfs = std::env::temp_dir().join(testkit::unique("pdfs"));
    std::fs::create_dir_all(&pdfs).expect("pdf folder");
    std::fs::write(pdfs.join("t.pdf"), b"%PDF-1.4 a thesis").expect("a pdf");
    let docs = [
        json!({"id": "tobacco:ab12", "collection": "tobacco",
        "title": "Youth marketing memo", "text": "long OCR text on youth marketing",
        "summary": "A memo on marketing to youth.", "year": 1991,
        "pages": [{"page": 1, "start": 0, "end": 9}, {"page": 2, "start": 9, "end": 32}],
        "cluster": {"id": "tobacco-3", "label": "youth · marketing", "model": "tobacco-v1"}}),
        json!({"id": "tobacco:cd34", "collection": "tobacco",
        "title": "Marketing cigarettes to youth in 1992", "text": "youth marketing plans",
        "year": 1992}),
        json!({"id": "etd:10919/5", "collection": "etds",
        "title": "Lasers in surgery", "year": 2012,
        "pdf_url": format!("file://{}", pdfs.join("t.pdf").display())}),
        json!({"id": "etd:10919/6", "collection": "etds",
        "title": "Elsewhere", "year": 2013, "pdf_url": "file:///etc/hostname"}),
    ];
    let (prefix, logs) = common::library("api", &docs).await;
    let pdf_root = pdfs.display().to_string();
    let api = common::search_api(&prefix, &logs, &[("DOCSTREAM_SEARCH_PDF_ROOT", &pdf_root)]);
    let json = |(status, body): (u16, String)| -> (u16, Value) {
        (
            status,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
        )
    };

    let (status, found) = json(api.get("/api/search?q=youth&facet=cluster.label"));
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 2);
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
    assert_eq!(both["total"], 4);
    assert_eq!(both["hits"][0]["id"], "etd:10919/6", "newest first");

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
    assert_eq!(search.data.total, Some(2));
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

    // the pages
    let (status, page) = api.get("/?q=youth&collection=tobacco");
    assert_eq!(status, 200, "{page}");
    for want in [
        "Youth marketing memo",
        "<mark>youth</mark>",
        "2 results for “youth”",
        "Topic cluster",
        r#"value="cluster.label:youth · marketing""#,
        "/documents/tobacco:ab12?qid=",
    ] {
        assert!(
            page.contains(want),
            "{want} missing from the search page: {page}"
        );
    }
    let (status, page) = api.get("/documents/tobacco:ab12?q=marketing&rank=1&qid=");
    assert_eq!(status, 200, "{page}");
    for want in [
        "A memo on marketing to youth.",
        "youth · marketing",
        "page 2",
        "<mark>marketing</mark>",
        "Marketing cigarettes to youth in 1992",
        "similar text",
    ] {
        assert!(
            page.contains(want),
            "{want} missing from the document page: {page}"
        );
    }
    let (status, page) = api.get("/documents/etd:10919/5");
    assert_eq!(status, 200, "an id with a slash opens: {page}");
    assert!(page.contains("<h1>Lasers in surgery</h1>"), "{page}");
    assert!(
        page.contains(r#"href="/pdf/etd:10919/5""#),
        "the PDF is linked: {page}"
    );
    let (status, pdf) = api.get("/pdf/etd:10919/5");
    assert_eq!(status, 200);
    assert!(
        pdf.contains("%PDF-1.4 a thesis"),
        "streamed (chunked): {pdf}"
    );
    let (status, page) = api.get("/pdf/etd:10919/6");
    assert_eq!(status, 404, "outside the root: {page}");
    assert!(
        !api.get("/documents/etd:10919/6").1.contains("/pdf/"),
        "not linked"
    );
    assert_eq!(json(api.get("/api/documents/etd:10919/5")).0, 200);
    let (status, doc) = json(api.get("/api/documents/tobacco:ab12"));
    assert_eq!(status, 200);
    assert_eq!(doc["related_documents"][0]["id"], "tobacco:cd34", "{doc}");
    let (status, s) = json(api.get("/api/suggest?q=marketing%20cig"));
    assert_eq!(status, 200);
    assert_eq!(
        s["suggestions"][0]["text"], "Marketing cigarettes to youth in 1992",
        "{s}"
    );
    let (status, page) = api.get("/?size=999");
    assert_eq!(status, 400);
    assert!(page.contains("size must be 1 to 50"), "{page}");
    let (status, page) = api.get("/documents/tobacco:none");
    assert_eq!(status, 404);
    assert!(page.contains("no document tobacco:none"), "{page}");
    assert_eq!(api.get("/static/app.js").0, 200);
    // the analytics page follows logs: the searches above appear
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let analytics = loop {
        let (status, page) = api.get("/analytics");
        assert_eq!(status, 200, "{page}");
        if page.contains("<td>youth</td>") || std::time::Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    assert!(analytics.contains("<td>youth</td>"), "{analytics}");
    assert!(
        analytics.contains("Tobacco settlement document"),
        "{analytics}"
    );
    assert!(
        api.metric(
            "docstream_search_api_http_requests_total{route=\"/documents/{*id}\",status=\"200\"}"
        ) >= 1.0
    );
    assert!(
        api.metric("docstream_search_api_engine_request_seconds_count{operation=\"search\"}")
            >= 3.0
    );

    // the engine unreachable: 503s that say so
    let down = Service::spawn(
        env!("CARGO_BIN_EXE_search-api"),
        &[
            ("DOCSTREAM_ES_URL", "http://127.0.0.1:9"),
            ("DOCSTREAM_ES_INDEX_PREFIX", &prefix),
            ("DOCSTREAM_SEARCH_LOGS_TOPIC", &logs),
        ],
    );
    assert_eq!(down.get("/readyz").0, 503);
    let (status, page) = down.get("/?q=youth");
    assert_eq!(status, 503);
    assert!(
        page.contains("unavailable") && !page.contains("panicked"),
        "{page}"
    );
    let (status, body) = json(down.get("/api/search?q=youth"));
    assert_eq!(status, 503);
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("unreachable")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_s_related_documents_keep_the_visit_in_view() {
    testkit::init_tracing();
    let related = |items: &[(&str, f64)]| -> Value {
        items
            .iter()
            .map(|(id, score)| json!({"id": id, "score": score, "reason": "co-click"}))
            .collect()
    };
    let doc = |id: &str, title: &str, rel: Value| json!({"id": id, "collection": "tobacco", "title": title, "text": title, "related": rel});
    let docs = [
        doc(
            "tobacco:first",
            "Read first",
            related(&[("tobacco:after1", 0.9)]),
        ),
        doc(
            "tobacco:now",
            "Read now",
            related(&[("tobacco:after2", 0.5), ("tobacco:after3", 0.4)]),
        ),
        doc("tobacco:after1", "Opened after the first", json!([])),
        doc("tobacco:after2", "Opened after this one", json!([])),
        doc("tobacco:after3", "Also opened after this one", json!([])),
    ];
    let (prefix, logs) = common::library("visit", &docs).await;
    let api = common::search_api(&prefix, &logs, &[]);
    let ids = |body: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        v["related_documents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    let recent_cookie = |headers: &[(String, String)]| -> String {
        headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .find_map(|(_, v)| v.strip_prefix("docstream_recent="))
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no docstream_recent cookie: {headers:?}"))
            .to_owned()
    };

    // a first document: its own list, and the cookie remembers it
    let (status, headers, body) = api.get_with("/api/documents/tobacco:first", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), ["tobacco:after1"]);
    let visit = recent_cookie(&headers);
    assert_eq!(visit, "tobacco:first");

    // the next one alone shows its own list; with the visit, the first one's list too,
    // after its own (the first one's best counts 0.85 of this one's best)
    let (_, _, alone) = api.get_with("/api/documents/tobacco:now", &[]);
    assert_eq!(ids(&alone), ["tobacco:after2", "tobacco:after3"]);
    let cookie = format!("docstream_session=s1; docstream_recent={visit}");
    let (status, headers, body) =
        api.get_with("/api/documents/tobacco:now", &[("Cookie", &cookie)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ids(&body),
        ["tobacco:after2", "tobacco:after1", "tobacco:after3"],
        "{body}"
    );
    assert!(body.contains("the documents you opened before"), "{body}");
    assert_eq!(recent_cookie(&headers), "tobacco:now|tobacco:first");

    // the web page shows the same, and a cookie of nonsense changes nothing
    let (status, _, page) = api.get_with("/documents/tobacco:now", &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    assert!(page.contains("Opened after the first"), "{page}");
    let (_, _, odd) = api.get_with(
        "/api/documents/tobacco:now",
        &[("Cookie", "docstream_recent=%3Cscript%3E|tobacco:")],
    );
    assert_eq!(ids(&odd), ids(&alone));

    // lists of cluster members only (score 0) are not called other readers' clicks
    let content = |items: &[&str]| -> Value {
        items
            .iter()
            .map(|id| json!({"id": id, "score": 0.0, "reason": "content"}))
            .collect()
    };
    let docs = [
        doc("tobacco:c1", "Cold one", content(&["tobacco:c3"])),
        doc("tobacco:c2", "Cold two", content(&["tobacco:c4"])),
        doc("tobacco:c3", "Member three", json!([])),
        doc("tobacco:c4", "Member four", json!([])),
    ];
    let (prefix, logs) = common::library("cold-visit", &docs).await;
    let api = common::search_api(&prefix, &logs, &[]);
    let (_, _, body) = api.get_with(
        "/api/documents/tobacco:c2",
        &[("Cookie", "docstream_recent=tobacco:c1")],
    );
    assert_eq!(ids(&body), ["tobacco:c4", "tobacco:c3"], "{body}");
    assert!(
        body.contains("no one's clicks relate them yet") && !body.contains("other readers"),
        "{body}"
    );
}
