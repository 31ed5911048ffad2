//! The runtime's guarantees, shown with the toy service as a real process against the
//! stack's real broker.

mod common;

use std::time::Duration;

use common::{wait_for_output, Topics};

const MINUTE: Duration = Duration::from_secs(60);

fn missing(seen: &std::collections::HashMap<String, usize>, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{i}"))
        .filter(|id| !seen.contains_key(id))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_input_arrives_across_a_sigkill_in_the_middle() {
    sigkill_in_the_middle(&[]).await;
}

/// Batch mode: messages of several partitions, and several of one partition
/// (`DOCSTREAM_PIPELINE`), go to the processor together; nothing is lost across a
/// kill, and the batches really hold more than one message.
#[tokio::test(flavor = "multi_thread")]
async fn batches_lose_nothing_across_a_sigkill_in_the_middle() {
    let toy = sigkill_in_the_middle(BATCHED).await;
    let (_, metrics) = toy.get("/metrics");
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {name}:\n{metrics}"))
    };
    let (sum, count) = (
        value("docstream_toy_upper_batch_messages_sum"),
        value("docstream_toy_upper_batch_messages_count"),
    );
    assert!(
        count > 0.0 && sum / count > 2.0,
        "batches of {sum} / {count} messages"
    );
}

/// The toy as a batch processor: up to 16 messages a batch, 8 of a partition at once,
/// 20 ms a batch (so about as many messages a second as the one-by-one toy's 2 ms a
/// message on 4 partitions, and as many duplicates at most after a kill).
const BATCHED: &[(&str, &str)] = &[
    ("TOY_BATCH", "16"),
    ("DOCSTREAM_PIPELINE", "8"),
    ("TOY_DELAY_MS", "20"),
];

async fn sigkill_in_the_middle(extra: &[(&str, &str)]) -> common::Toy {
    let t = Topics::create(4).await;
    let n = 4000;
    t.produce("d", 0..n).await;
    let mut env = vec![("TOY_DELAY_MS", "2")];
    env.extend_from_slice(extra);
    let mut toy = t.spawn(&env);
    wait_for_output(&t.output, 4, 1000, MINUTE);
    toy.sigkill();
    let after_kill = t.read_output(0, false, Duration::from_secs(30)).len();
    assert!(
        after_kill < n,
        "the kill came too late to prove anything ({after_kill} done)"
    );

    let toy = t.spawn(&env);
    let seen = t.read_output(n, false, MINUTE * 2);
    assert_eq!(
        missing(&seen, "d", n),
        Vec::<String>::new(),
        "lost messages"
    );
    let duplicates: usize = seen.values().map(|c| c - 1).sum();
    // duplicates only around the kill: at most what was in flight or stored and not
    // yet committed (auto-commit every second)
    assert!(duplicates <= 2000, "{duplicates} duplicates");
    eprintln!("sigkill: {after_kill} done before the kill, {duplicates} duplicates after");
    toy
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_instance_joins_and_nothing_is_lost() {
    let t = Topics::create(4).await;
    let n = 4000;
    t.produce("j", 0..n).await;
    let a = t.spawn(&[
        ("TOY_DELAY_MS", "3"),
        ("DOCSTREAM_INSTANCE_ID", "a"),
        ("DOCSTREAM_MAX_IN_FLIGHT", "50"),
    ]);
    wait_for_output(&t.output, 4, 500, MINUTE);
    let b = t.spawn(&[
        ("TOY_DELAY_MS", "3"),
        ("DOCSTREAM_INSTANCE_ID", "b"),
        ("DOCSTREAM_MAX_IN_FLIGHT", "50"),
    ]);
    let seen = t.read_output(n, false, MINUTE * 2);
    let lost = missing(&seen, "j", n);
    assert!(
        lost.is_empty(),
        "lost {lost:?} at {:?}; committed {:?}",
        common::locate(&t.input, 4, &lost),
        t.committed()
    );
    // both instances did part of the work: the partitions moved
    for (name, toy) in [("a", &a), ("b", &b)] {
        let (status, metrics) = toy.get("/metrics");
        assert_eq!(status, 200);
        let processed: f64 = metrics
            .lines()
            .filter(|l| l.starts_with("docstream_toy_upper_messages_processed_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert!(
            processed > 0.0,
            "instance {name} processed nothing:\n{metrics}"
        );
        let rebalances = metrics.contains("docstream_toy_upper_rebalances_total");
        assert!(rebalances, "{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn poison_messages_are_dead_lettered_and_the_rest_flows() {
    poison(&[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn in_batches_poison_messages_are_dead_lettered_alone_and_the_rest_flows() {
    poison(BATCHED).await;
}

async fn poison(extra: &[(&str, &str)]) {
    let t = Topics::create(2).await;
    t.produce("p", 0..50).await;
    t.produce_raw("bad-json", b"{not json", ("trace", "abc"))
        .await;
    t.produce_raw(
        "flaky",
        br#"{"id":"flaky","text":"transient"}"#,
        ("trace", "def"),
    )
    .await;
    t.produce("q", 0..50).await;
    let mut env = vec![
        ("DOCSTREAM_RETRY_MAX_ATTEMPTS", "3"),
        ("DOCSTREAM_RETRY_INITIAL_MS", "10"),
    ];
    env.extend_from_slice(extra);
    let toy = t.spawn(&env);
    let seen = t.read_output(100, false, MINUTE);
    assert_eq!(missing(&seen, "p", 50), Vec::<String>::new());
    assert_eq!(missing(&seen, "q", 50), Vec::<String>::new());
    assert!(!seen.contains_key("flaky"));

    let mut dead = t.read_dlq(2);
    dead.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(dead.len(), 2, "{dead:?}");
    let (key, payload, h) = &dead[0];
    assert_eq!(key.as_deref(), Some("bad-json"));
    assert_eq!(payload, b"{not json");
    assert_eq!(h["trace"], "abc", "original headers kept");
    assert_eq!(h["docstream.error.kind"], "invalid");
    assert!(
        h["docstream.error"].starts_with("not a toy document"),
        "{h:?}"
    );
    assert_eq!(h["docstream.source.topic"], t.input);
    assert!(h["docstream.source.partition"].parse::<i32>().is_ok());
    assert!(h["docstream.source.offset"].parse::<i64>().is_ok());
    assert_eq!(h["docstream.service"], "toy-upper");
    assert!(chrono_like(&h["docstream.time"]), "{}", h["docstream.time"]);
    let (key, _, h) = &dead[1];
    assert_eq!(key.as_deref(), Some("flaky"));
    assert_eq!(h["docstream.error.kind"], "exhausted");
    assert!(
        h["docstream.error"].contains("gave up after 3 attempts"),
        "{h:?}"
    );

    let (_, metrics) = toy.get("/metrics");
    assert!(
        metrics.contains(&format!(
            "docstream_toy_upper_messages_dead_lettered_total{{topic=\"{}\"}} 2",
            t.input
        )),
        "{metrics}"
    );
    assert!(metrics.contains("kind=\"transient\""), "{metrics}");
}

fn chrono_like(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[4] == b'-' && s.contains('T')
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_commits_what_was_done_and_exits_zero_within_the_deadline() {
    let t = Topics::create(3).await;
    let n = 3000;
    t.produce("s", 0..n).await;
    // a window much smaller than the input, so the stop lands mid-stream (with the
    // default window all 3,000 are in flight at once and finish within the deadline)
    let mut toy = t.spawn(&[
        ("TOY_DELAY_MS", "2"),
        ("DOCSTREAM_MAX_IN_FLIGHT", "100"),
        ("DOCSTREAM_SHUTDOWN_DEADLINE_SECS", "10"),
    ]);
    wait_for_output(&t.output, 3, 500, MINUTE);
    let (live, _) = toy.get("/livez");
    assert_eq!(live, 200);
    let (ready, _) = toy.get("/readyz");
    assert_eq!(ready, 200);
    toy.sigterm();
    let status = toy
        .wait_exit(Duration::from_secs(15))
        .expect("exited within the deadline");
    assert!(status.success(), "exit status {status:?}");

    // what was committed is exactly what was written: nothing lost, nothing to redo
    let seen = t.read_output(0, false, Duration::from_secs(30));
    let committed = t.committed_total();
    assert!(seen.len() < n, "stopped too late to prove anything");
    assert_eq!(committed, seen.len() as i64, "committed offsets vs outputs");
    assert!(seen.values().all(|c| *c == 1));

    // a restart picks up exactly where it stopped
    let _toy = t.spawn(&[]);
    let seen = t.read_output(n, false, MINUTE);
    assert_eq!(missing(&seen, "s", n), Vec::<String>::new());
    assert!(
        seen.values().all(|c| *c == 1),
        "a graceful stop must not cause duplicates"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_during_retries_commits_nothing_past_the_retried_message() {
    let t = Topics::create(1).await;
    // offset 0 fails transiently for as long as it is tried; 20 good ones queue behind it
    t.produce_raw("r", br#"{"id":"r","text":"transient"}"#, ("h", "v"))
        .await;
    t.produce("g", 0..20).await;
    let mut toy = t.spawn(&[
        ("DOCSTREAM_RETRY_MAX_ATTEMPTS", "0"),
        ("DOCSTREAM_RETRY_INITIAL_MS", "100"),
        ("DOCSTREAM_RETRY_MAX_MS", "200"),
    ]);
    // retrying: the transient failures show in the metrics
    let deadline = std::time::Instant::now() + MINUTE;
    loop {
        let (_, metrics) = toy.get("/metrics");
        if metrics.contains("kind=\"transient\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never retried: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    toy.sigterm();
    let status = toy.wait_exit(Duration::from_secs(30)).expect("exited");
    assert!(status.success(), "exit status {status:?}");
    // the queued good messages were not processed past it, and nothing was committed
    // past offset 0: a restart tries it again
    assert_eq!(
        t.committed(),
        vec![-1001],
        "committed offsets (none: -1001)"
    );
    assert!(t.read_output(0, false, Duration::from_secs(3)).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn exactly_once_mode_has_no_duplicates_across_a_kill() {
    let t = Topics::create(3).await;
    let n = 3000;
    t.produce("e", 0..n).await;
    let eos = [
        ("DOCSTREAM_EXACTLY_ONCE", "true"),
        ("TOY_DELAY_MS", "2"),
        ("DOCSTREAM_INSTANCE_ID", "eos-0"),
    ];
    let mut toy = t.spawn(&eos);
    wait_for_output(&t.output, 3, 800, MINUTE);
    toy.sigkill();
    let _toy = t.spawn(&eos);
    let seen = t.read_output(n, true, MINUTE * 2);
    assert_eq!(
        missing(&seen, "e", n),
        Vec::<String>::new(),
        "lost messages"
    );
    let dups: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
    assert!(
        dups.is_empty(),
        "{} duplicates, e.g. {:?}",
        dups.len(),
        dups.first()
    );
}

/// A transient failure whose retries outlast the transaction's timeout (up to ~20 s of
/// waits against 4 s): the batch ends before the wait would pass its deadline, the
/// retries go on in the next transactions, and once they run out the message is
/// dead-lettered, while the service keeps running and everything else arrives once.
/// (Without the bound the broker aborts the open transaction and the service stops.)
#[tokio::test(flavor = "multi_thread")]
async fn exactly_once_retries_never_outlast_their_transaction() {
    let t = Topics::create(1).await;
    t.produce("x", 0..20).await;
    t.produce_raw(
        "stuck",
        br#"{"id":"stuck","text":"transient"}"#,
        ("trace", "1"),
    )
    .await;
    t.produce("y", 0..20).await;
    let mut toy = t.spawn(&[
        ("DOCSTREAM_EXACTLY_ONCE", "true"),
        ("DOCSTREAM_INSTANCE_ID", "eos-retry"),
        ("DOCSTREAM_TRANSACTION_TIMEOUT_MS", "4000"),
        ("DOCSTREAM_RETRY_INITIAL_MS", "1500"),
        ("DOCSTREAM_RETRY_MAX_MS", "3000"),
        ("DOCSTREAM_RETRY_MAX_ATTEMPTS", "8"),
    ]);
    let dead = t.read_dlq(1);
    assert_eq!(dead.len(), 1, "the stuck message was not dead-lettered");
    assert_eq!(dead[0].0.as_deref(), Some("stuck"));
    assert_eq!(dead[0].2["docstream.error.kind"], "exhausted");
    assert!(
        dead[0].2["docstream.error"].contains("gave up after 8 attempts"),
        "{:?}",
        dead[0].2
    );
    let seen = t.read_output(40, true, MINUTE);
    let mut lost = missing(&seen, "x", 20);
    lost.extend(missing(&seen, "y", 20));
    assert_eq!(lost, Vec::<String>::new(), "lost messages");
    assert!(seen.values().all(|c| *c == 1), "duplicates: {seen:?}");
    assert!(
        toy.child.try_wait().expect("wait").is_none(),
        "the service stopped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_in_flight_window_loses_nothing() {
    let t = Topics::create(2).await;
    let n = 3000;
    t.produce("b", 0..n).await;
    // 20 in flight at most: fetching pauses and resumes many times
    let _toy = t.spawn(&[("TOY_DELAY_MS", "1"), ("DOCSTREAM_MAX_IN_FLIGHT", "20")]);
    let seen = t.read_output(n, false, MINUTE * 2);
    assert_eq!(
        missing(&seen, "b", n),
        Vec::<String>::new(),
        "lost messages"
    );
    assert!(
        seen.values().all(|c| *c == 1),
        "no duplicates without a failure"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_window_pauses_fetching_then_resumes() {
    let t = Topics::create(2).await;
    let n = 8;
    t.produce("w", 0..n).await;
    // two slow messages (1.5 s each) fill the window for over a second: fetching pauses
    let toy = t.spawn(&[("TOY_DELAY_MS", "1500"), ("DOCSTREAM_MAX_IN_FLIGHT", "2")]);
    let mut saw_paused = false;
    let deadline = std::time::Instant::now() + MINUTE;
    while !saw_paused && std::time::Instant::now() < deadline {
        let (_, metrics) = toy.get("/metrics");
        saw_paused = metrics.lines().any(|l| l == "docstream_toy_upper_paused 1");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_paused, "the paused gauge never showed 1");
    let seen = t.read_output(n, false, MINUTE);
    assert_eq!(
        missing(&seen, "w", n),
        Vec::<String>::new(),
        "lost messages"
    );
    let (_, metrics) = toy.get("/metrics");
    assert!(
        metrics.lines().any(|l| l == "docstream_toy_upper_paused 0"),
        "{metrics}"
    );
    // consumer lag per partition, from librdkafka's statistics (every 5 s)
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut lag = String::new();
    while lag.is_empty() && std::time::Instant::now() < deadline {
        let (_, metrics) = toy.get("/metrics");
        lag = metrics
            .lines()
            .filter(|l| l.starts_with("docstream_toy_upper_consumer_lag{"))
            .collect::<Vec<_>>()
            .join("\n");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        lag.contains(&format!("topic=\"{}\",partition=\"0\"", t.input)),
        "no lag metric: {lag}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_byte_budget_bounds_in_flight_work_too() {
    let t = Topics::create(2).await;
    let n = 6;
    for i in 0..n {
        // ~700 bytes each against a budget of 1 KiB: one message at a time
        let payload = format!(r#"{{"id":"b{i}","text":"{}"}}"#, "x".repeat(680));
        t.produce_raw(&format!("b{i}"), payload.as_bytes(), ("h", "v"))
            .await;
    }
    let toy = t.spawn(&[
        ("TOY_DELAY_MS", "1200"),
        ("DOCSTREAM_MAX_IN_FLIGHT", "1000"),
        ("DOCSTREAM_MAX_IN_FLIGHT_BYTES", "1024"),
    ]);
    let (mut most, mut saw_paused) = (0, false);
    let deadline = std::time::Instant::now() + MINUTE;
    while std::time::Instant::now() < deadline {
        let (_, metrics) = toy.get("/metrics");
        for l in metrics.lines() {
            if let Some(v) = l.strip_prefix("docstream_toy_upper_in_flight ") {
                most = most.max(v.parse::<i64>().expect("gauge"));
            }
        }
        saw_paused |= metrics.lines().any(|l| l == "docstream_toy_upper_paused 1");
        let done = metrics.lines().any(|l| {
            l.starts_with("docstream_toy_upper_messages_processed_total") && l.ends_with(" 6")
        });
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_paused, "the paused gauge never showed 1");
    assert_eq!(most, 1, "the most messages in flight at once");
    let seen = t.read_output(n, false, MINUTE);
    assert_eq!(
        missing(&seen, "b", n),
        Vec::<String>::new(),
        "lost messages"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn versions_of_one_key_come_out_in_order() {
    versions_in_order(&[]).await;
}

/// With 8 messages of a partition processed at once, outputs still leave in offset
/// order.
#[tokio::test(flavor = "multi_thread")]
async fn in_batches_versions_of_one_key_come_out_in_order() {
    versions_in_order(BATCHED).await;
}

/// In batches, with every seventh version failing its first attempt: the retried
/// version finishes after the ones behind it in its partition, and its output must
/// still go first.
#[tokio::test(flavor = "multi_thread")]
async fn in_batches_a_retried_version_still_comes_out_before_the_next() {
    let mut env = BATCHED.to_vec();
    env.extend([
        ("DOCSTREAM_RETRY_INITIAL_MS", "50"),
        ("DOCSTREAM_RETRY_MAX_MS", "50"),
    ]);
    versions_in_order_with(&env, |v| if v % 7 == 3 { "~" } else { "" }).await;
}

async fn versions_in_order(extra: &[(&str, &str)]) {
    versions_in_order_with(extra, |_| "").await;
}

async fn versions_in_order_with(extra: &[(&str, &str)], mark: impl Fn(usize) -> &'static str) {
    let t = Topics::create(4).await;
    // 20 documents, 50 versions each, interleaved: id "k<doc>", text "v<version>"
    let producer: rdkafka::producer::FutureProducer =
        testkit::kafka_config().create().expect("producer");
    for v in 0..50 {
        for d in 0..20 {
            let key = format!("k{d}");
            let payload = format!(r#"{{"id":"k{d}","text":"{}v{v:03}"}}"#, mark(v));
            producer
                .send(
                    rdkafka::producer::FutureRecord::to(&t.input)
                        .key(&key)
                        .payload(&payload),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)
                .expect("produce");
        }
    }
    let mut env = vec![("DOCSTREAM_MAX_IN_FLIGHT", "7")];
    env.extend_from_slice(extra);
    let _toy = t.spawn(&env);
    let versions = common::read_versions(&t.output, 4, 1000, MINUTE);
    assert_eq!(versions.len(), 20);
    let want: Vec<String> = (0..50).map(|v| format!("V{v:03}")).collect();
    for (key, seen) in &versions {
        assert_eq!(seen, &want, "versions of {key} out of order");
    }
}
