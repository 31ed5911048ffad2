//! `loadtest recommend`: log events through the recommender as it runs (its own process,
//! the exactly-once loop: `logs` → sessions → `recommender-pairs` → document state →
//! `recommendations`, both changelogs written in the same transactions) next to the same
//! counting in a bare loop without Kafka (`recommend::stream::InMemory`, one thread:
//! decode each event, its session, its signals applied in place), over the same
//! generated sessions (`samples::sessions`: a search for the document's topic and a
//! click per opened document, as the search API logs them, keyed by session). The service's rate is its events
//! over the time from the first committed on `logs` until every signal it sent itself
//! through `recommender-pairs` is applied too (step 1 alone, committed on `logs`, is
//! printed beside it); alternating rounds, best of each. Then the
//! time from a click to its effect: a fresh session opens two fresh documents, and the
//! clock runs from producing the second click until a committed recommendation of the
//! first names the second (p50, p99). Last line: `recommender/bare ratio: X`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use contracts::{decode, encode, DocId, Recommendation};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use recommend::stream::{sessions, InMemory};

use crate::kafka;
use crate::served::{quantile, Server};

/// Set when this binary is started again as the recommender.
pub const SERVE: &str = "LOADTEST_SERVE_RECOMMENDER";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Generated sessions (2 to 9 opened documents each, two events per document).
    #[arg(long, default_value_t = 10_000)]
    sessions: usize,
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Clicks timed from click to recommendation.
    #[arg(long, default_value_t = 40)]
    probes: usize,
}

/// The generator's topic of a sample document (its index modulo 12): what its opener
/// searched for, as far as the benchmark says.
fn topic_of(doc: &str) -> usize {
    let digits: String = doc.chars().filter(char::is_ascii_digit).collect();
    let n: usize = digits.parse().unwrap_or(0);
    let index = if doc.starts_with("etd:") {
        300 + n.saturating_sub(10_919_900_000)
    } else {
        n
    };
    index % 12
}

/// The events of `count` sessions in the search API's format: (session key, payload).
fn events(count: usize) -> Vec<(String, Vec<u8>)> {
    let start = chrono::Utc::now() - chrono::Duration::days(1);
    let mut out = Vec::new();
    for (s, clicks) in samples::sessions::sessions(count, 7).iter().enumerate() {
        let session = format!("bench{s:06}");
        let t0 = start + chrono::Duration::seconds(3 * s as i64);
        for (k, doc) in clicks.iter().enumerate() {
            let Ok(id) = doc.parse::<DocId>() else {
                continue;
            };
            let at = |secs: i64| {
                (t0 + chrono::Duration::seconds(secs))
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            };
            let qid = format!("{session}q{k}");
            let search = search_api::logs::search_event(
                &session,
                &qid,
                Some(id.collection()),
                &format!("topic {}", topic_of(doc)),
                &[],
                10,
                at(20 * k as i64),
            );
            let click = search_api::logs::click_event(
                &session,
                Some(&qid),
                &id,
                Some(1),
                at(20 * k as i64 + 5),
            );
            out.push((session.clone(), encode(&search)));
            out.push((session.clone(), encode(&click)));
        }
    }
    out
}

/// Events per second of the bare loop: the same decoding and counting, in memory.
fn bare(events: &[(String, Vec<u8>)]) -> Result<f64> {
    let defaults = recommender::Settings::from_vars(&runtime::Vars::new())?;
    let mut memory = InMemory::new(defaults.sessions, defaults.scores);
    let started = Instant::now();
    let mut sessions: std::collections::HashMap<String, sessions::Session> =
        std::collections::HashMap::new();
    for (_, payload) in events {
        let recommender::Read::Event(e) = recommender::read(payload).map_err(anyhow::Error::msg)?
        else {
            continue;
        };
        let session = sessions.entry(e.session.clone()).or_default();
        if let sessions::Outcome::Signals(signals) = e.apply(session, &defaults.sessions) {
            memory.apply(signals);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    // what the service publishes, so the work is not optimised away
    let published = (0..400)
        .map(samples::sessions::document_id)
        .filter(|d| !memory.related(d).is_empty())
        .count();
    anyhow::ensure!(published > 0, "the bare loop related nothing");
    #[allow(clippy::cast_precision_loss)]
    Ok(events.len() as f64 / secs)
}

/// One round's topics and group.
struct Round {
    logs: String,
    pairs: String,
    output: String,
    sessions: String,
    state: String,
    clusters: String,
    dlq: String,
    group: String,
}

impl Round {
    async fn create(brokers: &str, partitions: i32) -> Result<Self> {
        let name = |t: &str| kafka::unique(&format!("bench-rec-{t}"));
        let (logs, pairs, output) = (name("logs"), name("pairs"), name("out"));
        let (sessions, state, clusters, dlq) = (
            name("sessions"),
            name("state"),
            name("clusters"),
            name("dlq"),
        );
        let round = Self {
            logs,
            pairs,
            output,
            sessions,
            state,
            clusters,
            dlq,
            group: kafka::unique("bench-rec-group"),
        };
        kafka::create_topics(brokers, &round.topics(), partitions).await?;
        Ok(round)
    }

    fn topics(&self) -> Vec<&str> {
        [
            &self.logs,
            &self.pairs,
            &self.output,
            &self.sessions,
            &self.state,
            &self.clusters,
            &self.dlq,
        ]
        .map(String::as_str)
        .to_vec()
    }

    fn spawn(&self, brokers: &str) -> Result<Server> {
        let child = Command::new(std::env::current_exe()?)
            .env(SERVE, "1")
            .env("DOCSTREAM_KAFKA_BROKERS", brokers)
            .env(
                "DOCSTREAM_INPUT_TOPICS",
                format!("{},{},{}", self.clusters, self.logs, self.pairs),
            )
            .env("DOCSTREAM_RECOMMEND_PAIRS_TOPIC", &self.pairs)
            .env("DOCSTREAM_RECOMMEND_CLUSTERS_TOPIC", &self.clusters)
            .env("DOCSTREAM_RECOMMEND_SESSIONS_TOPIC", &self.sessions)
            .env("DOCSTREAM_RECOMMEND_STATE_TOPIC", &self.state)
            .env("DOCSTREAM_OUTPUT_TOPIC", &self.output)
            .env("DOCSTREAM_DLQ_TOPIC", &self.dlq)
            .env("DOCSTREAM_GROUP_ID", &self.group)
            .env("DOCSTREAM_INSTANCE_ID", &self.group)
            .env("DOCSTREAM_HTTP_ADDR", "127.0.0.1:0")
            .env("DOCSTREAM_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start the recommender")?;
        Ok(Server(child))
    }
}

/// The group's committed offsets on `topic`, per partition (0 where none).
fn committed(c: &BaseConsumer, topic: &str, partitions: i32) -> Result<Vec<i64>> {
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(5))?;
    Ok((0..partitions)
        .map(|p| match got.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => 0,
        })
        .collect())
}

/// What a round measured.
struct Measured {
    /// Events per second committed on `logs` between 20% and 90% of them (step 1).
    logs_rate: f64,
    /// Events per second from the first committed to every signal applied (the pairs
    /// topic committed to its end, a transaction's commit marker aside): both steps.
    rate: f64,
    /// Offsets on the pairs topic: the signals (and the transactions' markers).
    signals: i64,
}

async fn measure(brokers: &str, round: &Round, n: i64, partitions: i32) -> Result<Measured> {
    let c: BaseConsumer = settings::reading_committed_offsets(
        kafka::config(brokers)
            .set("group.id", &round.group)
            .set("enable.auto.commit", "false"),
    )
    .create()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(900);
    let (mut t20, mut c20, mut t90, mut c90) = (None, 0, None, 0);
    let mut first = None;
    loop {
        let done: i64 = committed(&c, &round.logs, partitions)?.iter().sum();
        if first.is_none() && done > 0 {
            first = Some((Instant::now(), done));
        }
        if t20.is_none() && done >= n / 5 {
            (t20, c20) = (Some(Instant::now()), done);
        }
        if t90.is_none() && done >= n * 9 / 10 {
            (t90, c90) = (Some(Instant::now()), done);
        }
        if done >= n {
            let pairs = committed(&c, &round.pairs, partitions)?;
            let mut caught_up = true;
            for (p, at) in (0..partitions).zip(&pairs) {
                let (_, high) = c.fetch_watermarks(&round.pairs, p, Duration::from_secs(5))?;
                caught_up &= *at >= high - 1;
            }
            if caught_up {
                break;
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{done} of {n} events committed after 900 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut signals = 0;
    for p in 0..partitions {
        signals += c
            .fetch_watermarks(&round.pairs, p, Duration::from_secs(5))?
            .1;
    }
    let (Some(a), Some(b), Some((t0, c0))) = (t20, t90, first) else {
        anyhow::bail!("the rate was not measured");
    };
    #[allow(clippy::cast_precision_loss)]
    Ok(Measured {
        logs_rate: (c90 - c20) as f64 / (b - a).as_secs_f64().max(1e-3),
        rate: (n - c0) as f64 / t0.elapsed().as_secs_f64().max(1e-3),
        signals,
    })
}

/// Seconds from a second click to the committed recommendation of the first document
/// naming the second, for `probes` fresh sessions one after another.
async fn probe(brokers: &str, round: &Round, probes: usize, partitions: i32) -> Result<Vec<f64>> {
    let producer: FutureProducer = kafka::config(brokers).set("linger.ms", "0").create()?;
    let reader: BaseConsumer = kafka::config(brokers)
        .set("group.id", kafka::unique("bench-rec-probe"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()?;
    // from the current end, resolved now (an `End` resolved later could pass over the
    // first probe's answer)
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        let (_, high) = reader.fetch_watermarks(&round.output, p, Duration::from_secs(5))?;
        tpl.add_partition_offset(&round.output, p, Offset::Offset(high))?;
    }
    reader.assign(&tpl)?;
    let mut times = Vec::new();
    for i in 0..probes {
        let session = format!("probe{i:04}");
        let a: DocId = format!("etd:10919/{}", 990_000 + 2 * i).parse()?;
        let b: DocId = format!("etd:10919/{}", 990_001 + 2 * i).parse()?;
        let now = || chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let send = |doc: &DocId| {
            let payload = encode(&search_api::logs::click_event(
                &session,
                None,
                doc,
                None,
                now(),
            ));
            let (producer, topic, key) = (producer.clone(), round.logs.clone(), session.clone());
            async move {
                producer
                    .send(
                        FutureRecord::to(&topic).key(&key).payload(&payload),
                        Duration::from_secs(10),
                    )
                    .await
                    .map_err(|(e, _)| anyhow::anyhow!("send a probe: {e}"))
            }
        };
        send(&a).await?;
        let t0 = Instant::now();
        send(&b).await?;
        let (want, then) = (a.to_string(), b.to_string());
        loop {
            anyhow::ensure!(
                t0.elapsed() < Duration::from_secs(60),
                "no recommendation of {want} naming {then} after 60 s"
            );
            let Some(m) = reader.poll(Duration::from_millis(20)) else {
                continue;
            };
            let m = m?;
            if m.key() != Some(want.as_bytes()) {
                continue;
            }
            let r: Recommendation = decode(m.payload().unwrap_or_default())?;
            if r.related.iter().any(|x| x.id.to_string() == then) {
                times.push(t0.elapsed().as_secs_f64());
                break;
            }
        }
    }
    Ok(times)
}

pub async fn run(brokers: &str, args: &Args) -> Result<()> {
    let events = events(args.sessions);
    let n = i64::try_from(events.len())?;
    println!(
        "{} sessions, {} log events (a search and a click per opened document)",
        args.sessions,
        events.len()
    );
    let (mut best_bare, mut best_service) = (0f64, 0f64);
    let mut latencies = Vec::new();
    for r in 1..=args.rounds {
        let b = bare(&events)?;
        let round = Round::create(brokers, args.partitions).await?;
        kafka::fill(brokers, &round.logs, events.len(), |i| events[i].clone()).await?;
        let mut service = round.spawn(brokers)?;
        let m = measure(brokers, &round, n, args.partitions).await?;
        let rate = m.rate;
        println!(
            "round {r}: bare {b:.0} events/s, recommender {rate:.0} events/s through both steps ({:.0} events/s committed on logs alone; {} offsets on the pairs topic)",
            m.logs_rate, m.signals
        );
        if r == args.rounds {
            latencies = probe(brokers, &round, args.probes, args.partitions).await?;
        }
        service.stop()?;
        kafka::delete_topics(brokers, &round.topics()).await;
        best_bare = best_bare.max(b);
        best_service = best_service.max(rate);
    }
    let p50 = quantile(&mut latencies, 0.5);
    let p99 = quantile(&mut latencies, 0.99);
    println!(
        "click to recommendation ({} probes, committed, read_committed): p50 {:.0} ms, p99 {:.0} ms",
        latencies.len(),
        p50 * 1e3,
        p99 * 1e3
    );
    println!("best: recommender {best_service:.0} events/s, bare {best_bare:.0} events/s");
    println!("recommender/bare ratio: {:.2}", best_service / best_bare);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_events_are_searches_and_clicks_of_sessions() {
        let e = events(3);
        assert!(e.len() >= 12, "2 to 9 documents per session: {}", e.len());
        let first: contracts::LogEvent = decode(&e[0].1).expect("an event");
        let second: contracts::LogEvent = decode(&e[1].1).expect("an event");
        assert!(!first.is_click() && second.is_click());
        assert_eq!(first.data.query_id, second.data.query_id);
        assert_eq!(e[0].0, "bench000000");
        assert!(bare(&e).expect("bare") > 0.0);
        assert_eq!(topic_of("tobacco:dmo00013"), 1);
        assert_eq!(topic_of("etd:10919/900005"), 305 % 12);
    }
}
