//! PDFs kept in the stack's S3 server, served by the search API as a process: the
//! document page links the PDF, `/pdf/<id>` streams the object through the API (the
//! browser never sees the store or a credential; the JSON API gives that link, not
//! the object's location), a missing object is a 404 that
//! says so, and an object outside the API's bucket is neither linked nor served.

mod common;

use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_pdf_is_linked_and_streamed_and_only_from_the_bucket() {
    testkit::init_tracing();
    let mut vars: settings::Vars = testkit::s3_vars().into_iter().collect();
    vars.insert(
        "DOCSTREAM_S3_PREFIX".into(),
        testkit::unique("search-pdf-test"),
    );
    let store = blobstore::Store::new(blobstore::S3Settings::from_vars(&vars).expect("settings"));
    let content = format!("%PDF-1.4 {}", testkit::unique("stored thesis")).into_bytes();
    let file = std::env::temp_dir().join(testkit::unique("search-pdf"));
    std::fs::write(&file, &content).expect("write");
    let up = store.upload_file(&file).await.expect("upload");
    std::fs::remove_file(&file).ok();
    let object = |key: &str| format!("s3://{}/{key}", up.bucket);
    let docs = [
        json!({"id": "etd:10919/31", "collection": "etds", "title": "Stored", "year": 2012,
               "pdf_url": object(&up.key)}),
        json!({"id": "etd:10919/32", "collection": "etds", "title": "Gone", "year": 2012,
               "pdf_url": object(&format!("{}-gone", up.key))}),
        json!({"id": "etd:10919/33", "collection": "etds", "title": "Elsewhere", "year": 2012,
               "pdf_url": format!("s3://another-bucket/{}", up.key)}),
    ];
    let (prefix, logs) = common::library("pdf", &docs).await;
    let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("DOCSTREAM_SEARCH_MODE", "lexical"));
    let api = common::search_api(&prefix, &logs, &env);

    let (status, page) = api.get("/documents/etd:10919/31");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"href="/pdf/etd:10919/31""#),
        "the PDF is linked: {page}"
    );
    let (status, pdf) = api.get("/pdf/etd:10919/31");
    assert_eq!(status, 200, "{pdf}");
    assert_eq!(pdf.as_bytes(), &content[..], "the object, whole");
    assert!(!pdf.contains("docstream-secret"));

    let (status, doc) = api.get("/api/documents/etd:10919/31");
    assert_eq!(status, 200, "{doc}");
    let doc: serde_json::Value = serde_json::from_str(&doc).expect("json");
    assert_eq!(doc["pdf"], "/pdf/etd:10919/31", "{doc}");
    assert!(
        !doc.to_string().contains("s3://"),
        "the storage location stays inside: {doc}"
    );

    let (status, page) = api.get("/pdf/etd:10919/32");
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("not in the library"), "{page}");

    let (status, page) = api.get("/pdf/etd:10919/33");
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("outside the bucket"), "{page}");
    assert!(
        !api.get("/documents/etd:10919/33").1.contains("/pdf/"),
        "not linked"
    );
}
