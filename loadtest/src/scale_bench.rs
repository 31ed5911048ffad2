//! `loadtest scale`: one service scaled out. The toy service with a per-instance bound
//! (each instance holds at most 2 messages in flight, each taking 5 ms, standing in
//! for a pod's CPU or memory limit) as 1 and then 3 instances in one consumer group on a
//! 6-partition topic. Last line: `3/1 instances throughput ratio: X.XX` (ideal 3.00).
//!
//! On a 2-core machine a single unbounded instance already uses both cores across its
//! partitions, so more instances on the same machine add nothing; the bound makes each
//! instance a fixed amount of capacity, as on separate nodes.

use std::time::Duration;

use anyhow::Result;
use toy::Upper;

use crate::kafka;
use crate::runtime_bench::{measure_loop, spawn_runtime_with, Running};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages per run.
    #[arg(long, default_value_t = 3000)]
    messages: usize,
}

async fn run_instances(brokers: &str, input: &str, n: usize, instances: usize) -> Result<f64> {
    let out = kafka::unique("bench-scale-out");
    kafka::create_topics(brokers, &[&out], 6).await?;
    let group = kafka::unique("bench-scale");
    // every instance in one group, each with a small prefetch
    let extra = [
        ("DOCSTREAM_GROUP_ID", group.as_str()),
        ("DOCSTREAM_KAFKA__QUEUED_MIN_MESSAGES", "20"),
    ];
    let mut all: Vec<Running> = Vec::new();
    for _ in 0..instances {
        let toy = Upper {
            output: out.clone(),
            delay: Duration::from_millis(5),
        };
        all.push(spawn_runtime_with(
            brokers,
            input,
            &out,
            Some(2),
            &extra,
            toy,
        )?);
    }
    // measure on the first; stop the others after
    let first = all.remove(0);
    let rate = measure_loop(brokers, &out, 6, n, first).await?;
    for (stop, task) in all {
        stop.cancel();
        task.await??;
    }
    kafka::delete_topics(brokers, &[&out]).await;
    Ok(rate)
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let input = kafka::unique("bench-scale-in");
    kafka::create_topics(brokers, &[&input], 6).await?;
    kafka::fill(brokers, &input, args.messages, |i| {
        let id = format!("m{i}");
        let payload = format!(r#"{{"id":"{id}","text":"scale"}}"#);
        (id, payload.into_bytes())
    })
    .await?;
    let one = run_instances(brokers, &input, args.messages, 1).await?;
    println!("1 instance: {one:.0} msg/s");
    let three = run_instances(brokers, &input, args.messages, 3).await?;
    println!("3 instances: {three:.0} msg/s");
    kafka::delete_topics(brokers, &[&input]).await;
    println!("3/1 instances throughput ratio: {:.2}", three / one);
    Ok(())
}
