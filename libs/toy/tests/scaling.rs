//! Scaling one service on its own: the toy service as 1, then 3 processes in one
//! consumer group on a 6-partition topic under load. The partitions spread over the
//! three (each owns some and processes some), and every message arrives. Throughput is
//! measured by `loadtest scale`, not here: tests are never timed.

mod common;

use std::time::Duration;

use common::{wait_for_output, Topics};

const MINUTE: Duration = Duration::from_secs(60);

fn metric(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn owned_partitions(body: &str) -> f64 {
    metric(body, "docstream_toy_upper_assigned_partitions")
}

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_share_the_partitions_and_lose_nothing() {
    let t = Topics::create(6).await;
    let n = 6000;
    t.produce("s", 0..n).await;
    // 10 ms a message: one instance alone needs 10 s for all, so the others join
    // while there is work left
    // a slow service keeps its prefetch small, so rebalances are not queued behind it
    let env = |id: &'static str| {
        [
            ("TOY_DELAY_MS", "10"),
            ("DOCSTREAM_INSTANCE_ID", id),
            ("DOCSTREAM_KAFKA__QUEUED_MIN_MESSAGES", "20"),
            ("DOCSTREAM_MAX_IN_FLIGHT", "60"),
        ]
    };
    let one = t.spawn(&env("one"));
    wait_for_output(&t.output, 6, 500, MINUTE);
    let two = t.spawn(&env("two"));
    let three = t.spawn(&env("three"));

    let seen = t.read_output(n, false, MINUTE * 2);
    let lost: Vec<String> = (0..n)
        .map(|i| format!("s{i}"))
        .filter(|id| !seen.contains_key(id))
        .collect();
    assert!(
        lost.is_empty(),
        "lost {} messages, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    let duplicates: usize = seen.values().map(|c| c - 1).sum();
    eprintln!("scaling: {n} messages, {duplicates} duplicates around the rebalances");

    let mut total = 0.0;
    for (name, toy) in [("one", &one), ("two", &two), ("three", &three)] {
        let (_, body) = toy.get("/metrics");
        let processed = metric(&body, "docstream_toy_upper_messages_processed_total");
        let rebalances = metric(&body, "docstream_toy_upper_rebalances_total");
        eprintln!("instance {name}: processed {processed}, rebalances {rebalances}");
        assert!(processed > 0.0, "instance {name} processed nothing");
        total += processed;
    }
    assert!(total >= n as f64, "processed {total} of {n}");

    // after the rebalance, each of the three owns two of the six partitions
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut owned = Vec::new();
    while std::time::Instant::now() < deadline {
        owned = [&one, &two, &three]
            .iter()
            .map(|toy| owned_partitions(&toy.get("/metrics").1))
            .collect();
        if owned.iter().all(|o| *o == 2.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(owned, [2.0, 2.0, 2.0], "partitions per instance");
}

/// Fast recovery: two static members (`DOCSTREAM_STATIC_MEMBERSHIP`, distinct instance
/// ids); one is SIGKILLed mid-stream and started again with its instance id. It takes
/// its partitions back without a rebalance: the survivor sees no rebalance and keeps
/// its partitions throughout (with a dynamic member the restart is a new member, a
/// rebalance for both), and nothing is lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_static_member_restarted_with_its_id_takes_its_partitions_back_without_a_rebalance() {
    let t = Topics::create(4).await;
    let n = 4000;
    t.produce("r", 0..n).await;
    let env = |id: &'static str| {
        [
            ("TOY_DELAY_MS", "5"),
            ("DOCSTREAM_INSTANCE_ID", id),
            ("DOCSTREAM_STATIC_MEMBERSHIP", "true"),
            ("DOCSTREAM_KAFKA__QUEUED_MIN_MESSAGES", "20"),
            ("DOCSTREAM_MAX_IN_FLIGHT", "60"),
        ]
    };
    let survivor = t.spawn(&env("a"));
    let mut restarted = t.spawn(&env("b"));
    // both own partitions, and the group has settled
    let settle = std::time::Instant::now();
    loop {
        let (s, r) = (
            owned_partitions(&survivor.get("/metrics").1),
            owned_partitions(&restarted.get("/metrics").1),
        );
        if s > 0.0 && r > 0.0 && s + r == 4.0 {
            break;
        }
        assert!(
            settle.elapsed() < MINUTE,
            "the two never shared the partitions: {s} and {r}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_for_output(&t.output, 4, 800, MINUTE);
    let rebalances_before = metric(
        &survivor.get("/metrics").1,
        "docstream_toy_upper_rebalances_total",
    );
    let owned_before = owned_partitions(&survivor.get("/metrics").1);

    restarted.sigkill();
    let _back = t.spawn(&env("b"));
    let seen = t.read_output(n, false, MINUTE * 2);
    let lost = (0..n)
        .filter(|i| !seen.contains_key(&format!("r{i}")))
        .count();
    assert_eq!(lost, 0, "lost {lost} messages");

    let after = survivor.get("/metrics").1;
    assert_eq!(
        metric(&after, "docstream_toy_upper_rebalances_total"),
        rebalances_before,
        "the survivor saw a rebalance when the static member came back"
    );
    assert_eq!(
        owned_partitions(&after),
        owned_before,
        "the survivor kept its partitions"
    );
}
