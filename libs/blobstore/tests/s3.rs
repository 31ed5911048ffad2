//! The store against the local stack's S3 server (versitygw): uploads are
//! content-addressed and a second one sends nothing, large files go up in parts, a
//! download is bounded while it streams, a missing object and a store that cannot be
//! reached are told apart, and a presigned URL reads the object without credentials.

use std::path::PathBuf;
use std::time::Duration;

use blobstore::{Error, S3Settings, Store};

fn store_with(extra: &[(&str, &str)]) -> Store {
    let mut vars: settings::Vars = testkit::s3_vars().into_iter().collect();
    // a prefix of its own, so runs never share keys
    vars.insert(
        "DOCSTREAM_S3_PREFIX".into(),
        testkit::unique("blobstore-test"),
    );
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Store::new(S3Settings::from_vars(&vars).expect("settings"))
}

fn temp_file(bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(testkit::unique("blobstore-file"));
    std::fs::write(&p, bytes).expect("write");
    p
}

#[tokio::test]
async fn an_upload_is_content_addressed_and_a_second_one_sends_nothing() {
    let store = store_with(&[]);
    let content = format!("%PDF-1.4 {}", testkit::unique("content")).into_bytes();
    let file = temp_file(&content);
    let first = store.upload_file(&file).await.expect("upload");
    assert!(!first.existed);
    assert_eq!(first.size, content.len() as u64);
    assert_eq!(first.key, store.key_for(&first.sha256));
    assert_eq!(
        store.size(&first.bucket, &first.key).await.expect("head"),
        Some(first.size)
    );
    let again = store.upload_file(&file).await.expect("upload again");
    assert!(again.existed, "the same content is found, not sent");
    assert_eq!(again.key, first.key);

    let dest = std::env::temp_dir().join(testkit::unique("blobstore-down"));
    let got = store
        .download(&first.bucket, &first.key, 1 << 20, &dest)
        .await
        .expect("download");
    assert_eq!(got.sha256, first.sha256);
    assert_eq!(std::fs::read(&dest).expect("read"), content);
    std::fs::remove_file(&dest).ok();
    std::fs::remove_file(&file).ok();
}

#[tokio::test]
async fn a_large_file_goes_up_in_parts_and_comes_back_whole() {
    let store = store_with(&[]);
    // two and a half parts of bytes that differ from part to part
    let content: Vec<u8> = (0..(blobstore::PART_BYTES * 5 / 2))
        .map(|i| (i % 251) as u8 ^ (i / blobstore::PART_BYTES) as u8)
        .collect();
    let file = temp_file(&content);
    let up = store.upload_file(&file).await.expect("multipart upload");
    let dest = std::env::temp_dir().join(testkit::unique("blobstore-down"));
    let got = store
        .download(&up.bucket, &up.key, content.len() as u64, &dest)
        .await
        .expect("download");
    assert_eq!((got.size, &got.sha256), (up.size, &up.sha256));
    assert!(std::fs::read(&dest).expect("read") == content);
    std::fs::remove_file(&dest).ok();
    std::fs::remove_file(&file).ok();
    store.delete(&up.bucket, &up.key).await.expect("delete");
}

#[tokio::test]
async fn a_download_over_the_bound_is_refused_and_leaves_no_file() {
    let store = store_with(&[]);
    let file = temp_file(&[7u8; 4096]);
    let up = store.upload_file(&file).await.expect("upload");
    let dest = std::env::temp_dir().join(testkit::unique("blobstore-down"));
    let err = store
        .download(&up.bucket, &up.key, 1000, &dest)
        .await
        .expect_err("over the bound");
    assert!(
        matches!(
            err,
            Error::TooLarge {
                size: 4096,
                limit: 1000
            }
        ),
        "{err}"
    );
    assert!(!dest.exists());
    std::fs::remove_file(&file).ok();
}

#[tokio::test]
async fn a_missing_object_is_not_found_and_an_unreachable_store_is_transient() {
    let store = store_with(&[]);
    let dest = std::env::temp_dir().join(testkit::unique("blobstore-down"));
    let err = store
        .download("docstream", "no/such/key.pdf", 1 << 20, &dest)
        .await
        .expect_err("missing");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(!err.is_transient());
    assert_eq!(
        err.to_string(),
        "s3://docstream/no/such/key.pdf does not exist"
    );

    let port = testkit::free_port();
    let down = store_with(&[
        ("DOCSTREAM_S3_ENDPOINT", &format!("http://127.0.0.1:{port}")),
        ("DOCSTREAM_S3_RETRIES", "0"),
    ]);
    let err = down
        .download("docstream", "any.pdf", 1 << 20, &dest)
        .await
        .expect_err("nothing listens");
    assert!(err.is_transient(), "{err}");
    assert!(!err.to_string().contains("docstream-secret"), "{err}");
}

#[tokio::test]
async fn a_presigned_url_reads_the_object_without_credentials() {
    let store = store_with(&[]);
    let content = format!("%PDF-1.4 {}", testkit::unique("signed")).into_bytes();
    let file = temp_file(&content);
    let up = store.upload_file(&file).await.expect("upload");
    let url = store
        .presign(&up.bucket, &up.key, Duration::from_secs(60))
        .await
        .expect("presign");
    assert!(!url.contains("docstream-secret"), "{url}");
    let body = reqwest::get(&url)
        .await
        .expect("get")
        .error_for_status()
        .expect("200");
    assert_eq!(body.bytes().await.expect("body").as_ref(), &content[..]);
    // without the signature the same object is refused
    let bare = url.split('?').next().expect("path");
    assert_eq!(reqwest::get(bare).await.expect("get").status(), 403);
    std::fs::remove_file(&file).ok();
}
