//! `docstream status` against the stack's broker and engine: after `topics apply`
//! every topic of topics.yaml is there with its size, dead letters written to a
//! service's topic show on its line, documents nobody processed yet are the lag of
//! every group that reads them, the
//! engine's collections are listed, a service that answers `/readyz` is ready and one
//! that does not is named, with exit status 3.

use std::process::Command;

fn docstream(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docstream"))
        .args(args)
        .env("DOCSTREAM_KAFKA_BROKERS", testkit::kafka_brokers())
        .env("DOCSTREAM_ES_URL", testkit::es_url())
        .env_remove("DOCSTREAM_STATUS_SERVICES")
        .output()
        .expect("run docstream");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The number on the line of `name` in the section starting with `section`.
fn number(screen: &str, section: &str, name: &str) -> i64 {
    let rest = &screen[screen
        .find(section)
        .unwrap_or_else(|| panic!("no {section}: {screen}"))..];
    rest.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {section}: {screen}"))
}

/// The lag of `service` on `topic` as its line in the groups section says.
fn lag_of(screen: &str, service: &str, topic: &str) -> i64 {
    let rest = &screen[screen.find("consumer groups").expect("groups")..];
    let line = rest
        .lines()
        .find(|l| l.split_whitespace().next() == Some(service))
        .unwrap_or_else(|| panic!("no {service}: {screen}"));
    let at = line
        .find(&format!(" {topic} "))
        .unwrap_or_else(|| panic!("no {topic}: {line}"));
    line[at + topic.len() + 2..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {topic}: {line}"))
}

/// An HTTP server answering 200 to anything, like a ready service.
async fn ready_server() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_screen_shows_sizes_lag_dead_letters_the_engine_and_readiness() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../topics.yaml");
    let (code, _, err) = docstream(&["topics", "apply", "--file", file]);
    assert_eq!(code, Some(0), "{err}");
    let up = format!("up=http://127.0.0.1:{}", ready_server().await);
    let down = format!("down=http://127.0.0.1:{}", testkit::free_port());
    let args = [
        "status",
        "--service",
        up.as_str(),
        "--service",
        down.as_str(),
    ];

    let (code, before, err) = docstream(&args);
    assert_eq!(code, Some(3), "a service is down: {before}{err}");
    for section in [
        "topics (messages held)",
        "consumer groups",
        "dead letters",
        "search engine",
        "services (/readyz)",
    ] {
        assert!(before.contains(section), "{section}: {before}");
    }
    assert!(!before.contains("missing on the broker"), "{before}");
    assert!(
        before.contains("\n  up               ready  http://127.0.0.1:"),
        "{before}"
    );
    assert!(
        before.contains("\n  down             no answer"),
        "{before}"
    );
    assert!(before.contains("\n  etds "), "{before}");

    // three dead letters of the summarizer
    let producer: rdkafka::producer::FutureProducer =
        testkit::kafka_config().create().expect("producer");
    for i in 0..3 {
        testkit::send(
            &producer,
            "dlq.summarizer",
            &format!("status-test-{i}"),
            b"{}",
        )
        .await;
    }
    // two documents nobody has processed yet: the lag of every group reading them
    for i in 0..2 {
        testkit::send(
            &producer,
            "processed.tobacco",
            &format!("tobacco:status-{i}"),
            b"{}",
        )
        .await;
    }
    let (_, after, _) = docstream(&args);
    for service in ["summarizer", "clusterer", "indexer"] {
        assert_eq!(
            lag_of(&after, service, "processed.tobacco"),
            lag_of(&before, service, "processed.tobacco") + 2,
            "{service}: {after}"
        );
    }
    assert_eq!(
        number(&after, "dead letters", "summarizer"),
        number(&before, "dead letters", "summarizer") + 3,
        "{after}"
    );
    assert!(
        after.contains("(docstream dlq list --topic dlq.summarizer)"),
        "{after}"
    );

    // only ready services: exit 0
    let (code, _, _) = docstream(&["status", "--service", up.as_str()]);
    assert_eq!(code, Some(0));
}
