//! The recommender as processes against the stack's broker: generated sessions (users
//! who follow topics, popular documents and noise) as the search API logs them, a bad
//! line, a bot, cluster assignments for documents no one opened, and two sessions that
//! searched the same words. One instance, two
//! instances in one group, and one instance SIGKILLed mid-stream and restarted (its
//! state restored from the changelogs) all end with the same recommendations; the cold
//! documents get their cluster's members; what two people opened for one query is
//! related ("same query"); the bad line is dead-lettered; no user name
//! or address is anywhere in what it wrote.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use contracts::{decode, encode, ClusterAssignment, LogData, LogEvent, LogUser, Recommendation};
use rdkafka::consumer::Consumer;
use rdkafka::producer::FutureProducer;
use testkit::{Read, Service};

const PARTITIONS: i32 = 3;

struct Topics {
    logs: String,
    clusters: String,
    pairs: String,
    sessions: String,
    state: String,
    output: String,
    dlq: String,
    group: String,
}

impl Topics {
    async fn new() -> Self {
        let t = Self {
            logs: testkit::unique("rec-logs"),
            clusters: testkit::unique("rec-clusters"),
            pairs: testkit::unique("rec-pairs"),
            sessions: testkit::unique("rec-sessions"),
            state: testkit::unique("rec-state"),
            output: testkit::unique("rec-out"),
            dlq: testkit::unique("rec-dlq"),
            group: testkit::unique("rec-group"),
        };
        testkit::create_topics(&[
            (&t.logs, PARTITIONS),
            (&t.clusters, PARTITIONS),
            (&t.pairs, PARTITIONS),
            (&t.output, PARTITIONS),
            (&t.dlq, 1),
        ])
        .await;
        testkit::create_topics_with(
            &[(&t.sessions, PARTITIONS), (&t.state, PARTITIONS)],
            &[("cleanup.policy", "compact")],
        )
        .await;
        t
    }

    /// An instance; each needs its own id (its transactional id is the group's and
    /// its), and a restarted one takes its predecessor's, as a pod that keeps its name,
    /// so the dead one's open transaction is aborted at once.
    fn spawn(&self, instance: &str) -> Service {
        let inputs = format!("{},{},{}", self.clusters, self.logs, self.pairs);
        Service::spawn(
            env!("CARGO_BIN_EXE_recommender"),
            &[
                ("DOCSTREAM_INPUT_TOPICS", &inputs),
                ("DOCSTREAM_GROUP_ID", &self.group),
                ("DOCSTREAM_INSTANCE_ID", instance),
                ("DOCSTREAM_DLQ_TOPIC", &self.dlq),
                ("DOCSTREAM_OUTPUT_TOPIC", &self.output),
                ("DOCSTREAM_RECOMMEND_PAIRS_TOPIC", &self.pairs),
                ("DOCSTREAM_RECOMMEND_CLUSTERS_TOPIC", &self.clusters),
                ("DOCSTREAM_RECOMMEND_SESSIONS_TOPIC", &self.sessions),
                ("DOCSTREAM_RECOMMEND_STATE_TOPIC", &self.state),
                ("DOCSTREAM_RECOMMEND_MAX_EVENTS_PER_MINUTE", "30"),
                ("DOCSTREAM_KAFKA__SESSION_TIMEOUT_MS", "6000"),
            ],
        )
    }

    /// Whether the group has committed every message of its three inputs (the
    /// signals it sends itself included). Its own topic is written in transactions,
    /// whose commit marker takes the offset after the last message: one short of the
    /// high watermark is all of it.
    fn caught_up(&self) -> bool {
        [(&self.logs, 0), (&self.clusters, 0), (&self.pairs, 1)]
            .iter()
            .all(|(t, marker)| {
                let reader = testkit::reader(t, PARTITIONS, false);
                let highs: Vec<i64> = (0..PARTITIONS)
                    .map(|p| {
                        reader
                            .fetch_watermarks(t, p, Duration::from_secs(5))
                            .expect("watermarks")
                            .1
                    })
                    .collect();
                let done: Vec<i64> = testkit::committed(&self.group, t, PARTITIONS)
                    .into_iter()
                    .map(|c| c.max(0))
                    .collect();
                done.iter().zip(&highs).all(|(d, h)| h - d <= *marker)
            })
    }

    /// Waits until [`Topics::caught_up`] twice in a row a second apart.
    fn wait_done(&self) {
        let deadline = Instant::now() + Duration::from_secs(240);
        let mut quiet = 0;
        while quiet < 2 {
            assert!(
                Instant::now() < deadline,
                "the recommender did not catch up"
            );
            std::thread::sleep(Duration::from_secs(1));
            quiet = if self.caught_up() { quiet + 1 } else { 0 };
        }
    }

    /// The latest recommendation of every document.
    fn latest(&self) -> BTreeMap<String, Vec<(String, f32, String)>> {
        let mut out = BTreeMap::new();
        for r in Read::partitions(PARTITIONS)
            .committed(true)
            .timeout(Duration::from_secs(5))
            .until(&self.output, |_| false)
        {
            let rec: Recommendation = decode(&r.payload).expect("a Recommendation");
            out.insert(
                rec.id.to_string(),
                rec.related
                    .iter()
                    .map(|x| {
                        (
                            x.id.to_string(),
                            x.score,
                            x.reason.clone().unwrap_or_default(),
                        )
                    })
                    .collect(),
            );
        }
        out
    }
}

/// An event of `session` at `minute`:`second`; two clicks in a row share a search.
fn event(session: &str, doc: Option<&str>, minute: i64, second: i64) -> LogEvent {
    let time = chrono::DateTime::from_timestamp(1_780_000_000 + minute * 60 + second, 0)
        .expect("time")
        .to_rfc3339();
    LogEvent {
        schema_version: 2,
        status: Some(200),
        message: None,
        data: LogData {
            user: None,
            dataset: "all".into(),
            time,
            ip: None,
            activity: None,
            hit: None,
            session: Some(session.to_owned()),
            query_id: Some(format!("{session}-q{}", second / 40)),
            rank: Some(1),
            collection: None,
            doc_id: doc.map(str::to_owned),
            total: None,
        },
    }
}

/// What every run is given, in the same order.
async fn publish(t: &Topics) {
    let producer: FutureProducer = testkit::kafka_config().create().expect("producer");
    for (i, clicks) in samples::sessions::sessions(120, 3).iter().enumerate() {
        let s = format!("sess-{i}");
        for (j, doc) in clicks.iter().enumerate() {
            let e = event(&s, Some(doc), i as i64 * 10, j as i64 * 20);
            testkit::send(&producer, &t.logs, &s, &encode(&e)).await;
        }
    }
    // two people, two sessions, one query: what each opened is related to the other's
    for (n, session) in ["query-a", "query-b"].iter().enumerate() {
        let mut search = event(session, None, 7000 + n as i64, 0);
        search.data.activity = Some(contracts::SearchActivity {
            url: None,
            search_text: "Laser  Surgery".into(),
            filters: serde_json::Value::Null,
        });
        testkit::send(&producer, &t.logs, session, &encode(&search)).await;
        let click = event(
            session,
            Some(&format!("etd:55555/{}", n + 1)),
            7000 + n as i64,
            5,
        );
        testkit::send(&producer, &t.logs, session, &encode(&click)).await;
    }
    // an old front-end line naming a user, a line that is not a log event, a bot
    let mut old = event("", Some("etd:10919/424242"), 5000, 0);
    old.data.session = None;
    old.data.user = Some(LogUser {
        username: "Eddy".into(),
        email: Some("eddy@example.org".into()),
    });
    old.data.ip = Some("127.0.0.1".into());
    testkit::send(&producer, &t.logs, "Eddy", &encode(&old)).await;
    testkit::send(&producer, &t.logs, "x", b"not json").await;
    for n in 0..200 {
        let e = event("bot", Some(&format!("tobacco:bot{n}")), 6000, 0);
        testkit::send(&producer, &t.logs, "bot", &encode(&e)).await;
    }
    // three documents no one opened, in one cluster
    for n in 1..=3 {
        let a = ClusterAssignment {
            schema_version: 1,
            id: format!("etd:77777/{n}").parse().expect("id"),
            cluster_id: "etds-cold".into(),
            cluster_label: "cold · start".into(),
            model: "etds-v1".into(),
        };
        testkit::send(&producer, &t.clusters, &a.id.to_string(), &encode(&a)).await;
    }
}

fn same(
    a: &BTreeMap<String, Vec<(String, f32, String)>>,
    b: &BTreeMap<String, Vec<(String, f32, String)>>,
    what: &str,
) {
    assert_eq!(a.len(), b.len(), "{what}: documents with recommendations");
    for (doc, x) in a {
        let y = &b[doc];
        let ids = |v: &[(String, f32, String)]| v.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
        assert_eq!(ids(x), ids(y), "{what}: {doc}");
        for (p, q) in x.iter().zip(y) {
            assert!(
                (p.1 - q.1).abs() <= 1e-5 * p.1.abs().max(1e-3),
                "{what}: {doc} {p:?} {q:?}"
            );
            assert_eq!(p.2, q.2);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_two_and_a_restarted_instance_agree() {
    testkit::init_tracing();

    // one instance
    let one = Topics::new().await;
    publish(&one).await;
    let single = one.spawn("a");
    one.wait_done();
    let by_one = one.latest();
    assert!(
        single.metric("docstream_recommender_outcomes_total{kind=\"events\",value=\"capped\"}")
            >= 150.0,
        "the bot is capped"
    );
    // the gauges count every partition's documents with recommendations
    let gauge = "docstream_recommender_state{kind=\"with_recommendations\"";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    #[allow(clippy::cast_precision_loss)]
    while single.metric(gauge) != by_one.len() as f64 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    #[allow(clippy::cast_precision_loss)]
    let published = by_one.len() as f64;
    assert_eq!(
        single.metric(gauge),
        published,
        "documents with recommendations"
    );
    assert!(single.metric("docstream_recommender_state{kind=\"sessions\"") > 0.0);
    drop(single);
    assert!(by_one.len() > 100, "{} documents", by_one.len());
    let cold = &by_one["etd:77777/1"];
    assert_eq!(
        cold.iter()
            .map(|r| (r.0.as_str(), r.2.as_str()))
            .collect::<Vec<_>>(),
        [("etd:77777/2", "content"), ("etd:77777/3", "content")],
        "a cold start gets its cluster's members"
    );
    let by_query: Vec<(&str, &str)> = by_one["etd:55555/1"]
        .iter()
        .map(|r| (r.0.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        by_query,
        [("etd:55555/2", "same query")],
        "opened for the same words in another session"
    );
    let clicked = by_one
        .values()
        .flatten()
        .filter(|r| r.2 == "co-click" || r.2 == "same query")
        .count();
    assert!(clicked > 500, "co-clicks: {clicked}");
    assert!(
        !by_one.keys().any(|k| k
            .strip_prefix("tobacco:bot")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 30)),
        "the bot's clicks past the 30 a minute left nothing"
    );
    let dead = Read::partitions(1).at_least(&one.dlq, 1);
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].header("docstream.error").contains("LogEvent"),
        "{}",
        dead[0].header("docstream.error")
    );
    for topic in [&one.sessions, &one.state, &one.pairs, &one.output] {
        for r in Read::partitions(PARTITIONS)
            .timeout(Duration::from_secs(3))
            .until(topic, |_| false)
        {
            let text = String::from_utf8_lossy(&r.payload);
            assert!(
                !text.contains("Eddy") && !r.key.contains("Eddy") && !text.contains("127.0.0.1"),
                "{topic}: {text}"
            );
        }
    }

    // two instances in one group
    let two = Topics::new().await;
    publish(&two).await;
    let (a, b) = (two.spawn("a"), two.spawn("b"));
    two.wait_done();
    same(&by_one, &two.latest(), "two instances");
    drop((a, b));

    // one instance killed mid-stream, then started again: restored from the changelogs
    let killed = Topics::new().await;
    publish(&killed).await;
    let mut first = killed.spawn("a");
    Read::partitions(PARTITIONS).at_least(&killed.output, 300);
    first.sigkill();
    assert!(!killed.caught_up(), "killed before it was done");
    let again = killed.spawn("a");
    killed.wait_done();
    let _still_running = again;
    same(&by_one, &killed.latest(), "a restart");
}
