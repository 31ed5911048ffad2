//! What the search API's process tests share: a fresh index prefix with documents in
//! it, a fresh logs topic, and the search API started on them.

use searchindex::{Collection, EngineSettings, Layout};
use serde_json::Value;

/// An index prefix and a logs topic of the test's own, with `docs` indexed and
/// searchable.
pub async fn library(name: &str, docs: &[Value]) -> (String, String) {
    let prefix = testkit::unique_ident(name);
    let logs = testkit::unique("logs");
    testkit::create_topics(&[(&logs, 1)]).await;
    let engine = EngineSettings::from_vars(&settings::vars_of(&[
        ("DOCSTREAM_ES_URL", &testkit::es_url()),
        ("DOCSTREAM_ES_INDEX_PREFIX", &prefix),
    ]))
    .expect("settings");
    let es = engine.client().expect("client");
    let layout = Layout::new(&engine);
    layout.ensure(&es).await.expect("indices");
    for doc in docs {
        let id = doc["id"].as_str().expect("an id");
        let c = Collection::parse(doc["collection"].as_str().expect("a collection"))
            .expect("etds or tobacco");
        let r = es
            .index(elasticsearch::IndexParts::IndexId(&layout.alias(c), id))
            .body(doc.clone())
            .refresh(elasticsearch::params::Refresh::True)
            .send()
            .await
            .expect("index");
        assert!(r.status_code().is_success(), "index {id}");
    }
    (prefix, logs)
}

/// The search API on the stack's engine, the test's prefix and logs topic, with `extra`
/// variables.
#[allow(dead_code)]
pub fn search_api(prefix: &str, logs: &str, extra: &[(&str, &str)]) -> testkit::Service {
    let es_url = testkit::es_url();
    let mut env = vec![
        ("DOCSTREAM_ES_URL", es_url.as_str()),
        ("DOCSTREAM_ES_INDEX_PREFIX", prefix),
        ("DOCSTREAM_SEARCH_LOGS_TOPIC", logs),
    ];
    env.extend_from_slice(extra);
    testkit::Service::spawn(env!("CARGO_BIN_EXE_search-api"), &env)
}
