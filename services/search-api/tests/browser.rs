//! The web pages in a real browser: Debian's headless Chromium driven through its
//! ChromeDriver (fantoccini, WebDriver). A person loads the search page, types a query
//! (the box is labelled, and completions are offered as they type), ticks a facet
//! (the page applies it), opens a result, sees its summary and cluster, goes back and
//! finds the facet still ticked; the searches and the click, with the rank and query id
//! of the link that was followed, arrive on `logs`. Screenshots of the search page and
//! the document page are written under the test's target folder (or
//! `DOCSTREAM_SCREENSHOTS`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use contracts::{decode, LogEvent};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use testkit::Read;

mod common;

/// ChromeDriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Self {
        let port = testkit::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/test installs Debian's chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// Waits for an element the page should show.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

async fn wait_url(c: &Client, contains: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = c.current_url().await.expect("url").to_string();
        if url.contains(contains) {
            return url;
        }
        assert!(Instant::now() < deadline, "{url} never had {contains}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("DOCSTREAM_SCREENSHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn search_tick_open_and_back_in_chromium() {
    testkit::init_tracing();
    let docs: Vec<Value> = vec![
        json!({"id": "tobacco:ab12", "collection": "tobacco", "document_type": "memo",
        "title": "Youth marketing memo", "text": "a long memo on youth marketing plans for 1991",
        "summary": "A memo on marketing cigarettes to youth.", "year": 1991,
        "cluster": {"id": "tobacco-3", "label": "youth · marketing", "model": "tobacco-v1"}}),
        json!({"id": "tobacco:cd34", "collection": "tobacco", "document_type": "letter",
        "title": "Letter on youth smoking prevention", "text": "youth smoking prevention letter",
        "year": 1994}),
        json!({"id": "etd:10919/7", "collection": "etds", "doc_type": "Thesis",
        "title": "Youth sports and marketing of energy drinks",
        "abstract": "We study marketing of energy drinks to youth athletes.",
        "summary": "Energy drink marketing reaches young athletes.", "year": 2015,
        "cluster": {"id": "etds-1", "label": "marketing · sports", "model": "etds-v1"}}),
    ];
    let (prefix, logs) = common::library("browser", &docs).await;
    let api = common::search_api(&prefix, &logs, &[]);
    assert_eq!(api.get("/readyz").0, 200, "the search API is up");
    let base = format!("http://127.0.0.1:{}", api.port);
    let driver = Driver::start();
    let profile = std::env::temp_dir().join(testkit::unique("chromium-profile"));
    let c = browser(&driver, &profile).await;

    // the search page: a labelled box; type, see completions, search
    c.goto(&format!("{base}/")).await.expect("the search page");
    let label = wait_for(&c, "label[for=q]").await;
    assert!(label.text().await.expect("label").contains("Search"));
    let q = wait_for(&c, "#q").await;
    q.send_keys("youth mark").await.expect("typing");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let options = c
            .find_all(Locator::Css("#suggestions option"))
            .await
            .expect("options");
        let mut values = Vec::new();
        for o in &options {
            values.push(o.attr("value").await.expect("value").unwrap_or_default());
        }
        if values.iter().any(|v| v == "Youth marketing memo") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no completion offered: {values:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    q.send_keys("eting\u{E007}").await.expect("enter");
    wait_url(&c, "q=youth+marketing").await;
    let total = wait_for(&c, ".total").await.text().await.expect("total");
    assert!(
        total.starts_with("3 results for “youth marketing”"),
        "{total}"
    );
    let marked = c
        .find_all(Locator::Css(".snippet mark"))
        .await
        .expect("marks");
    assert!(!marked.is_empty(), "snippets mark the words");
    c.screenshot()
        .await
        .map(|png| std::fs::write(screenshots().join("search.png"), png))
        .expect("screenshot")
        .expect("written");

    // tick a facet: the page applies it (the small script; without it, the Apply button)
    c.find(Locator::Css(
        r#"input[type=checkbox][value="collection:tobacco"]"#,
    ))
    .await
    .expect("the tobacco box")
    .click()
    .await
    .expect("tick");
    wait_url(&c, "filter=collection%3Atobacco").await;
    let total = wait_for(&c, ".total").await.text().await.expect("total");
    assert!(total.starts_with("2 results"), "{total}");
    let kinds = c.find_all(Locator::Css(".hit .meta")).await.expect("hits");
    for k in &kinds {
        let t = k.text().await.expect("meta");
        assert!(t.starts_with("Tobacco document"), "{t}");
    }

    // open the first result: its summary and cluster
    let link = c.find(Locator::Css(".hit h2 a")).await.expect("a result");
    let href = link.attr("href").await.expect("href").expect("a link");
    let qid = href
        .split("qid=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("the link carries the query id")
        .to_owned();
    link.click().await.expect("open");
    wait_url(&c, "/documents/tobacco:ab12").await;
    let h1 = wait_for(&c, "h1").await.text().await.expect("title");
    assert_eq!(h1, "Youth marketing memo");
    let page = c.source().await.expect("source");
    assert!(
        page.contains("A memo on marketing cigarettes to youth."),
        "summary"
    );
    assert!(page.contains("youth · marketing"), "cluster");
    assert!(page.contains("Related documents"), "related");
    c.screenshot()
        .await
        .map(|png| std::fs::write(screenshots().join("document.png"), png))
        .expect("screenshot")
        .expect("written");

    // back: the ticked facet is still ticked
    c.back().await.expect("back");
    wait_url(&c, "filter=collection%3Atobacco").await;
    let ticked = wait_for(&c, r#"input[value="collection:tobacco"]"#)
        .await
        .prop("checked")
        .await
        .expect("checked");
    assert_eq!(ticked.as_deref(), Some("true"));
    c.close().await.expect("close the browser");

    // on logs: the searches as typed and filtered, the click with its rank and query id
    let events: Vec<LogEvent> = Read::partitions(1)
        .until(&logs, |r| {
            r.iter()
                .filter_map(|r| decode::<LogEvent>(&r.payload).ok())
                .any(|e| e.is_click())
        })
        .iter()
        .map(|r| decode(&r.payload).expect("a LogEvent"))
        .collect();
    let searched: Vec<&str> = events
        .iter()
        .filter_map(|e| e.data.activity.as_ref().map(|a| a.search_text.as_str()))
        .collect();
    assert!(searched.contains(&"youth marketing"), "{searched:?}");
    let filtered = events
        .iter()
        .find(|e| e.data.query_id.as_deref() == Some(qid.as_str()) && !e.is_click())
        .expect("the filtered search the click came from");
    assert_eq!(filtered.data.total, Some(2));
    assert_eq!(
        filtered.data.activity.as_ref().map(|a| a.filters.clone()),
        Some(json!({"collection": "tobacco"}))
    );
    let click = events.iter().find(|e| e.is_click()).expect("the click");
    assert_eq!(click.data.rank, Some(1));
    assert_eq!(click.data.query_id.as_deref(), Some(qid.as_str()));
    assert_eq!(click.clicked_doc().as_deref(), Some("tobacco:ab12"));
    let sessions: std::collections::HashSet<_> =
        events.iter().map(|e| e.data.session.clone()).collect();
    assert_eq!(sessions.len(), 1, "one browser, one session: {sessions:?}");
    let _ = std::fs::remove_dir_all(profile);
}
