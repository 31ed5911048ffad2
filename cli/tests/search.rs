//! `docstream search` and `docstream index swap` against the stack's OpenSearch, on
//! an index layout of their own (a unique prefix); a hit's PDF in the stack's S3
//! server is linked by a presigned URL that reads it without the credentials.

use std::process::Command;

use elasticsearch::http::transport::Transport;
use elasticsearch::{BulkOperation, BulkParts, Elasticsearch};
use searchindex::{Collection, Layout};
use serde_json::json;

fn docstream(prefix: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(args)
        .env("DOCSTREAM_ES_URL", testkit::es_url())
        .env("DOCSTREAM_ES_INDEX_PREFIX", prefix)
        .envs(testkit::s3_vars())
        .output()
        .expect("run docstream");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn search_prints_highlighted_hits_and_facet_counts_and_swap_moves_the_alias() {
    let prefix = testkit::unique("cli");
    let es = Elasticsearch::new(Transport::single_node(&testkit::es_url()).expect("url"));
    let layout = Layout {
        prefix: prefix.clone(),
        shards: 1,
        replicas: 0,
        vectors: searchindex::Vectors::Knn,
    };
    layout.ensure(&es).await.expect("layout");
    let s3: settings::Vars = testkit::s3_vars().into_iter().collect();
    let store = blobstore::Store::new(blobstore::S3Settings::from_vars(&s3).expect("s3"));
    let pdf = format!("%PDF-1.4 {}", testkit::unique("linked")).into_bytes();
    let file = std::env::temp_dir().join(testkit::unique("cli-search-pdf"));
    std::fs::write(&file, &pdf).expect("write");
    let up = store.upload_file(&file).await.expect("upload");
    std::fs::remove_file(&file).ok();
    let docs = [
        (
            "tobacco",
            "tobacco:a1",
            json!({"id": "tobacco:a1", "collection": "tobacco", "title": "Nicotine memo", "year": 1998,
            "document_type": "memo", "organizations": ["Acme"], "text": "levels of nicotine in cigarettes"}),
        ),
        (
            "tobacco",
            "tobacco:a2",
            json!({"id": "tobacco:a2", "collection": "tobacco", "title": "Sales letter", "year": 1999,
            "document_type": "letter", "organizations": ["Acme", "Beta"], "text": "nicotine and sales"}),
        ),
        (
            "etds",
            "etd:10919/1",
            json!({"id": "etd:10919/1", "collection": "etds", "title": "Graph learning", "year": 2017,
            "department": "Computer Science", "degree": {"level": "doctoral"}, "fulltext": "graphs and nodes",
            "pdf_url": format!("s3://{}/{}", up.bucket, up.key)}),
        ),
    ];
    let ops: Vec<BulkOperation<serde_json::Value>> = docs
        .iter()
        .map(|(c, id, d)| {
            BulkOperation::index(d.clone())
                .index(layout.alias(Collection::parse(c).expect("collection")))
                .id(*id)
                .into()
        })
        .collect();
    let r = es
        .bulk(BulkParts::None)
        .body(ops)
        .refresh(elasticsearch::params::Refresh::True)
        .send()
        .await
        .expect("bulk");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["errors"], json!(false), "{body}");

    let (ok, out, err) = docstream(
        &prefix,
        &[
            "search",
            "nicotine",
            "--facet",
            "document_type",
            "--facet",
            "organizations",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("2 hit(s) for \"nicotine\" in both collections"),
        "{out}"
    );
    assert!(
        out.contains("**nicotine**") || out.contains("**Nicotine**"),
        "{out}"
    );
    assert!(out.contains("document_type:\n"), "{out}");
    assert!(out.contains("      1  memo"), "{out}");
    assert!(out.contains("      2  Acme"), "{out}");

    let (ok, out, err) = docstream(
        &prefix,
        &[
            "search",
            "",
            "--collection",
            "etds",
            "--filter",
            "degree.level=doctoral",
            "--facet",
            "department",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("1 hit(s)"), "{out}");
    assert!(out.contains("Graph learning (2017)"), "{out}");
    assert!(out.contains("      1  Computer Science"), "{out}");
    let link = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("pdf: "))
        .unwrap_or_else(|| panic!("no pdf link: {out}"));
    assert!(
        link.contains("X-Amz-Signature=") && !link.contains("docstream-secret"),
        "{link}"
    );
    let got = reqwest::get(link)
        .await
        .expect("get")
        .error_for_status()
        .expect("200");
    assert_eq!(got.bytes().await.expect("body").as_ref(), &pdf[..]);

    let (ok, _, err) = docstream(&prefix, &["search", "x", "--facet", "fulltext"]);
    assert!(!ok);
    assert!(err.contains("no facet \"fulltext\""), "{err}");

    // a rebuilt index takes the alias in one step; the old one keeps its documents
    let v2 = layout
        .create_index(&es, Collection::Tobacco, "v2", false)
        .await
        .expect("v2");
    let (ok, out, err) = docstream(&prefix, &["index", "swap", "tobacco", &v2]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("now points at {v2}")), "{out}");
    let (ok, out, _) = docstream(&prefix, &["search", "nicotine", "--collection", "tobacco"]);
    assert!(ok);
    assert!(
        out.starts_with("0 hit(s)"),
        "the empty v2 answers now: {out}"
    );
    let (ok, _, err) = docstream(
        &prefix,
        &[
            "index",
            "swap",
            "tobacco",
            &layout.index(Collection::Tobacco, "v1"),
        ],
    );
    assert!(ok, "roll back: {err}");
    let (_, out, _) = docstream(&prefix, &["search", "nicotine", "--collection", "tobacco"]);
    assert!(out.starts_with("2 hit(s)"), "rolled back: {out}");
}
