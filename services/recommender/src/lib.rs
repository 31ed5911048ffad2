//! recommender: "people who opened this also opened", learned from `logs`, published to
//! `recommendations` keyed by document id (the indexer writes `related`). A stream
//! processor in two steps, in one consumer group, as a Kafka Streams aggregation is:
//!
//! 1. `logs` (keyed by session) → per session its recent clicks (`recommend::stream::
//!    sessions`) → the signals each click makes (`…::signals`), produced to the internal topic
//!    `recommender-pairs` keyed by the document they change: the repartition. A
//!    transaction's signals go grouped, one message per key at its commit.
//!    `clusters` → each document's cluster membership, to the same topic keyed by
//!    cluster.
//! 2. `recommender-pairs` (keyed by document, cluster or query) → per document its
//!    co-click weights and its neighbours' popularity, per cluster its members, per query
//!    the documents opened for it in any session (each new one a `same query` pair with
//!    the others: `…::scores`) → the document's related documents when they changed.
//!
//! Both steps keep their state per input partition in memory and in a compacted
//! changelog (`recommender-sessions`, `recommender-state`; [`store`]), each changed key
//! written once per transaction, in the same transaction as the outputs and the input
//! offsets (the runtime's exactly-once
//! loop, this service's default and requirement); a new owner of a partition restores
//! it from there, so a restart or a rebalance loses and doubles no counts, and two
//! instances give what one gives.
//!
//! Privacy: only the search API's pseudonymous session ids are used; an old line that
//! names a user is keyed by a hash of the name, which is never written anywhere.
//! Bad input: a line that is not a log event, or an unreadable time, is dead-lettered;
//! a click on something that is not a document id is ignored and counted; a session's
//! events past the cap per minute are ignored and counted.

pub mod store;

use contracts::{decode, encode, ClusterAssignment, DocId, LogEvent, Recommendation, Related};
use runtime::{Incoming, Metrics, Outgoing, Output, ProcessError, Processor};
use serde::{Deserialize, Serialize};
use settings::{parse, var, KafkaSettings, Vars};
use sha2::{Digest, Sha256};

use recommend::stream::signals::{self, Outbox, Signal};
use recommend::stream::{scores, sessions};

/// Why the recommender would not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] settings::Error),
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The topics it reads and writes besides its inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub pairs: String,
    pub clusters: String,
    pub sessions: String,
    pub state: String,
    pub output: String,
}

/// What the recommender is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub topics: Topics,
    pub sessions: sessions::Options,
    pub scores: scores::Options,
}

impl Settings {
    /// `DOCSTREAM_RECOMMEND_{PAIRS,CLUSTERS,SESSIONS,STATE}_TOPIC` (`recommender-pairs`,
    /// `clusters`, `recommender-sessions`, `recommender-state`), `DOCSTREAM_OUTPUT_TOPIC`
    /// (`recommendations`), `DOCSTREAM_RECOMMEND_RELATED` (10),
    /// `_IDLE_GAP_MINUTES` (30), `_WINDOW` (10 clicks), `_MAX_EVENTS_PER_MINUTE` (60),
    /// `_MAX_NEIGHBOURS` (100), `_HALF_LIFE_DAYS` (90), `_SAME_QUERY_BOOST` (1.5).
    pub fn from_vars(vars: &Vars) -> Result<Self> {
        let topic = |name: &str, default: &str| {
            var(vars, &format!("DOCSTREAM_RECOMMEND_{name}_TOPIC"))
                .unwrap_or_else(|| default.into())
        };
        let d = scores::Options::default();
        let gap: i64 = parse(vars, "DOCSTREAM_RECOMMEND_IDLE_GAP_MINUTES", 30)?;
        let days: f64 = parse(vars, "DOCSTREAM_RECOMMEND_HALF_LIFE_DAYS", 90.0)?;
        let s = Self {
            topics: Topics {
                pairs: topic("PAIRS", "recommender-pairs"),
                clusters: topic("CLUSTERS", "clusters"),
                sessions: topic("SESSIONS", "recommender-sessions"),
                state: topic("STATE", "recommender-state"),
                output: var(vars, "DOCSTREAM_OUTPUT_TOPIC")
                    .unwrap_or_else(|| "recommendations".into()),
            },
            sessions: sessions::Options {
                idle_gap_ms: gap * 60_000,
                window: parse(vars, "DOCSTREAM_RECOMMEND_WINDOW", 10)?,
                max_per_minute: parse(vars, "DOCSTREAM_RECOMMEND_MAX_EVENTS_PER_MINUTE", 60)?,
            },
            scores: scores::Options {
                related: parse(vars, "DOCSTREAM_RECOMMEND_RELATED", d.related)?,
                max_neighbours: parse(
                    vars,
                    "DOCSTREAM_RECOMMEND_MAX_NEIGHBOURS",
                    d.max_neighbours,
                )?,
                half_life_ms: days * 24.0 * 3600.0 * 1000.0,
                same_query_boost: parse(
                    vars,
                    "DOCSTREAM_RECOMMEND_SAME_QUERY_BOOST",
                    d.same_query_boost,
                )?,
                cluster_members: d.cluster_members,
            },
        };
        if gap < 1 || s.sessions.window < 1 || s.scores.related < 1 || days <= 0.0 {
            return Err(Error::Config(
                "DOCSTREAM_RECOMMEND_IDLE_GAP_MINUTES, _WINDOW, _RELATED and _HALF_LIFE_DAYS must be positive".into(),
            ));
        }
        Ok(s)
    }
}

/// The key of a session's state: its pseudonymous id, or for an old line that names a
/// user, a hash of the name (the name itself is never kept or written).
pub fn session_key(e: &LogEvent) -> Option<String> {
    if let Some(s) = e.data.session.as_deref().filter(|s| !s.is_empty()) {
        return Some(format!("s:{s}"));
    }
    let user = e.data.user.as_ref()?.username.as_str();
    let digest = Sha256::digest(user.as_bytes());
    Some(format!(
        "u:{}",
        digest
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// A log event as step 1 reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its session's key ([`session_key`]).
    pub session: String,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// The document a click opened.
    pub doc: Option<String>,
    pub query_id: Option<String>,
    /// A search's words.
    pub searched: Option<String>,
}

impl Event {
    /// The event applied to its session: a search remembered, then observed.
    pub fn apply(
        &self,
        session: &mut sessions::Session,
        o: &sessions::Options,
    ) -> sessions::Outcome {
        if let (Some(words), Some(id)) = (&self.searched, &self.query_id) {
            sessions::searched(session, id, words);
        }
        sessions::observe(
            session,
            self.doc.as_deref(),
            self.query_id.as_deref(),
            self.time,
            o,
        )
    }
}

/// What a `logs` payload is to the recommender.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Event(Event),
    /// Nothing to apply, counted under this name: `no_session`, or
    /// `unknown_document` (a click on something that is not a document id).
    Skipped(&'static str),
}

/// Reads a `logs` payload; why it is not a log event, for the dead-letter topic.
pub fn read(payload: &[u8]) -> Result<Read, String> {
    let e: LogEvent = decode(payload).map_err(|e| e.to_string())?;
    let time = sessions::event_time(&e.data.time)
        .ok_or_else(|| format!("log event time {:?} is not readable", e.data.time))?;
    let Some(session) = session_key(&e) else {
        return Ok(Read::Skipped("no_session"));
    };
    let doc = e.clicked_doc().filter(|d| d.parse::<DocId>().is_ok());
    if e.is_click() && doc.is_none() {
        return Ok(Read::Skipped("unknown_document"));
    }
    Ok(Read::Event(Event {
        session,
        time,
        doc,
        searched: e.data.activity.map(|a| a.search_text),
        query_id: e.data.query_id,
    }))
}

/// What step 2 keeps per key: a document's state or a cluster's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub document: scores::Document,
    #[serde(default)]
    pub cluster: scores::Cluster,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub query: scores::QueryDocs,
}

fn is_empty(q: &scores::QueryDocs) -> bool {
    q.docs.is_empty()
}

/// How often (in offsets of a `logs` partition) idle sessions are dropped.
pub const SWEEP_EVERY: i64 = 1000;

/// The version of the method, in every recommendation's `model`.
pub const MODEL: &str = "co-click-v1";

/// A document's recommendation message.
pub fn recommendation(id: DocId, related: &[(String, f32, String)]) -> Recommendation {
    Recommendation {
        schema_version: 1,
        id,
        related: related
            .iter()
            .filter_map(|(id, score, reason)| {
                Some(Related {
                    id: id.parse().ok()?,
                    score: *score,
                    reason: Some(reason.clone()),
                })
            })
            .collect(),
        model: MODEL.into(),
    }
}

/// Signals in one message on the internal topic, at most: 1,000 of ~150 bytes stay far
/// below the broker's 1 MB.
pub const SIGNALS_PER_MESSAGE: usize = 1000;

/// A message of the internal topic: its key's signals, in order
/// ([`signals::Message`], JSON).
pub fn encode_signals(key: String, signals: Vec<Signal>) -> Vec<u8> {
    serde_json::to_vec(&signals::Message::new(key, signals)).unwrap_or_default()
}

/// The signals of a message of the internal topic: a [`signals::Message`], or one
/// signal alone (as the first version wrote them).
pub fn decode_signals(payload: &[u8]) -> Result<Vec<Signal>, String> {
    let signals = match serde_json::from_slice::<signals::Message>(payload) {
        Ok(m) => m.signals()?,
        Err(e) => match serde_json::from_slice::<Signal>(payload) {
            Ok(one) => vec![one],
            Err(_) => return Err(format!("not a signal: {e}")),
        },
    };
    if signals.is_empty() {
        return Err("not a signal: an empty list".into());
    }
    Ok(signals)
}

/// Both steps, by input topic.
pub struct Recommend {
    settings: Settings,
    sessions: std::sync::Arc<store::Store<sessions::Session>>,
    state: std::sync::Arc<store::Store<State>>,
    /// The signals of the open transaction, sent in [`Processor::before_commit`].
    outbox: std::sync::Mutex<Outbox>,
    metrics: Metrics,
}

impl std::fmt::Debug for Recommend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recommend")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn transient(e: &store::Error) -> ProcessError {
    ProcessError::Transient(e.to_string())
}

impl Recommend {
    pub fn new(settings: Settings, kafka: &KafkaSettings, metrics: Metrics) -> Self {
        Self {
            sessions: std::sync::Arc::new(store::Store::new(
                kafka.clone(),
                settings.topics.sessions.clone(),
            )),
            state: std::sync::Arc::new(store::Store::new(
                kafka.clone(),
                settings.topics.state.clone(),
            )),
            outbox: std::sync::Mutex::new(Outbox::merging_pairs(settings.scores.half_life_ms)),
            settings,
            metrics,
        }
    }

    /// Signals to send with the open transaction (a processing that fails must not
    /// call this: only what was handled is sent).
    fn send(&self, signals: impl IntoIterator<Item = Signal>) {
        self.outbox
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(signals);
    }

    /// Step 1: a log event into its session and the signals it makes.
    async fn log(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        let payload = msg
            .payload
            .ok_or_else(|| ProcessError::Invalid("not a log event: an empty message".into()))?;
        let e = match read(payload).map_err(ProcessError::Invalid)? {
            Read::Event(e) => e,
            Read::Skipped(why) => {
                self.metrics.count("events", why);
                return Ok(Output::default());
            }
        };
        let mut part = self
            .sessions
            .partition(msg.partition, msg.offset, msg.epoch)
            .await
            .map_err(|e| transient(&e))?;
        let Some(session) = part.update(&e.session, msg.offset) else {
            self.metrics.count("events", "replayed");
            return Ok(Output::default());
        };
        let outcome = e.apply(session, &self.settings.sessions);
        let mut out = Vec::new();
        // every SWEEP_EVERY offsets, the sessions idle past the gap go (an idle session
        // starts again anyway), so memory follows the active sessions, not all there were
        if msg.offset % SWEEP_EVERY == 0 {
            let gap = self.settings.sessions.idle_gap_ms;
            let gone = part.expire(|s| e.time - s.last_time <= gap);
            self.metrics
                .count_by("sessions", "expired", gone.len() as u64);
            out.extend(gone.iter().map(|k| {
                Outgoing::keyed(self.settings.topics.sessions.clone(), k.clone(), Vec::new())
                    .to_partition(msg.partition)
            }));
        }
        match outcome {
            sessions::Outcome::Signals(signals) => {
                self.metrics.count("events", "click");
                self.send(signals);
            }
            sessions::Outcome::Nothing => self.metrics.count(
                "events",
                if e.doc.is_some() {
                    "reopened"
                } else {
                    "search"
                },
            ),
            sessions::Outcome::Capped => self.metrics.count("events", "capped"),
        }
        Ok(out.into())
    }

    /// A document's cluster: a membership signal for the cluster's partition.
    fn cluster(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        // a withdrawn document (the clusterer forgets its cluster): its own related
        // documents are forgotten too; it leaves others' lists as their scores decay
        if let Some(id) = msg.withdrawn() {
            self.metrics
                .count("withdrawn", id.as_ref().map_or("?", |i| i.collection()));
            return Ok(vec![Outgoing::tombstone(
                self.settings.topics.output.clone(),
                id?.to_string(),
            )]
            .into());
        }
        let payload = msg.payload.unwrap_or_default();
        let a: ClusterAssignment =
            decode(payload).map_err(|e| ProcessError::Invalid(e.to_string()))?;
        self.send([Signal::Member {
            cluster: a.cluster_id,
            doc: a.id.to_string(),
        }]);
        Ok(Output::default())
    }

    /// Step 2: a key's signals into its document's, cluster's or query's state; the
    /// recommendation when it changed, and the signals they send on.
    async fn score(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        let payload = msg
            .payload
            .ok_or_else(|| ProcessError::Invalid("not a signal: an empty message".into()))?;
        let signals = decode_signals(payload).map_err(ProcessError::Invalid)?;
        let key = signals[0].key();
        let mut part = self
            .state
            .partition(msg.partition, msg.offset, msg.epoch)
            .await
            .map_err(|e| transient(&e))?;
        let Some(state) = part.update(&key, msg.offset) else {
            self.metrics.count("signals", "replayed");
            return Ok(Output::default());
        };
        let o = &self.settings.scores;
        let mut out = Vec::new();
        let mut next = Vec::new();
        let mut document = false;
        let mut counts: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for signal in &signals {
            next.extend(match signal {
                Signal::Member { doc, .. } => scores::join(&mut state.cluster, doc, o),
                Signal::Query { doc, time, .. } => scores::opened_for(&mut state.query, doc, *time),
                other => {
                    document = true;
                    scores::apply(&mut state.document, other, o)
                }
            });
            *counts.entry(signal_name(signal)).or_default() += 1;
        }
        for (name, n) in counts {
            self.metrics.count_by("signals", name, n);
        }
        if document {
            let related = scores::related(&state.document, o);
            if related != state.document.published {
                match key.parse::<DocId>() {
                    Ok(id) => {
                        out.push(Outgoing::keyed(
                            self.settings.topics.output.clone(),
                            key.clone(),
                            encode(&recommendation(id, &related)),
                        ));
                        self.metrics.count("recommendations", "published");
                    }
                    Err(_) => self.metrics.count("events", "unknown_document"),
                }
                state.document.published = related;
            }
        }
        self.send(next);
        Ok(out.into())
    }
}

/// Connects `store`'s restore consumer on a blocking thread (a failure is only
/// logged: the first restore makes its own then).
fn warm_in_background<V>(store: std::sync::Arc<store::Store<V>>)
where
    V: Clone + Default + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    tokio::task::spawn_blocking(move || {
        if let Err(e) = store.warm() {
            tracing::warn!(error = %e, "the changelog's restore consumer did not connect ahead");
        }
    });
}

/// How often the state gauges are counted (a pass over every key held).
pub const CENSUS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl Recommend {
    /// Connects both changelogs' restore consumers in the background, so the first
    /// partitions' restores do not wait for a new client.
    pub fn warm(&self) {
        warm_in_background(self.sessions.clone());
        warm_in_background(self.state.clone());
    }

    /// A task that sets the state gauges every [`CENSUS_EVERY`], per partition held:
    /// `…_state{kind="sessions"|"documents"|"with_recommendations"|"queries"|"clusters",
    /// value="<partition>"}`.
    pub fn census(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (sessions, state, metrics) = (
            self.sessions.clone(),
            self.state.clone(),
            self.metrics.clone(),
        );
        async move {
            loop {
                let gauge = |kind: &str, p: i32, n: usize| {
                    metrics.set_state(kind, &p.to_string(), i64::try_from(n).unwrap_or(i64::MAX));
                };
                for (p, keys, []) in sessions.census(|_, _| []).await {
                    gauge("sessions", p, keys);
                }
                let of_state = state
                    .census(|key, s: &State| {
                        let document = !key.starts_with("cluster:") && !key.starts_with("query:");
                        [
                            document,
                            document && !s.document.published.is_empty(),
                            key.starts_with("query:"),
                            key.starts_with("cluster:"),
                        ]
                    })
                    .await;
                for (p, _, [documents, with, queries, clusters]) in of_state {
                    gauge("documents", p, documents);
                    gauge("with_recommendations", p, with);
                    gauge("queries", p, queries);
                    gauge("clusters", p, clusters);
                }
                tokio::time::sleep(CENSUS_EVERY).await;
            }
        }
    }
}

fn signal_name(s: &Signal) -> &'static str {
    match s {
        Signal::Click { .. } => "click",
        Signal::Pair { .. } => "pair",
        Signal::Popularity { .. } => "popularity",
        Signal::Member { .. } => "member",
        Signal::Content { .. } => "content",
        Signal::Query { .. } => "query",
    }
}

impl Processor for Recommend {
    async fn process(&self, msg: &Incoming<'_>) -> Result<Output, ProcessError> {
        if msg.topic == self.settings.topics.pairs {
            self.score(msg).await
        } else if msg.topic == self.settings.topics.clusters {
            self.cluster(msg)
        } else {
            self.log(msg).await
        }
    }

    /// The transaction's signals, a message per key, and each changed session and
    /// document state, once per transaction, to its changelog partition.
    async fn before_commit(&self) -> Vec<Outgoing> {
        let signals = self
            .outbox
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(SIGNALS_PER_MESSAGE);
        let mut out: Vec<Outgoing> = signals
            .into_iter()
            .map(|(key, signals)| {
                let payload = encode_signals(key.clone(), signals);
                Outgoing::keyed(self.settings.topics.pairs.clone(), key, payload)
            })
            .collect();
        self.metrics
            .count_by("signal_messages", "sent", out.len() as u64);
        for (store, topic) in [
            (
                self.sessions.changed().await,
                &self.settings.topics.sessions,
            ),
            (self.state.changed().await, &self.settings.topics.state),
        ] {
            self.metrics
                .count_by("changelog", topic, store.len() as u64);
            out.extend(store.into_iter().map(|(partition, key, value)| {
                Outgoing::keyed(topic.clone(), key, value).to_partition(partition)
            }));
        }
        out
    }
}

/// Messages per transaction by default (the runtime's is 500): a transaction's commit
/// costs ~15 ms whatever its size, and its signals are grouped per key, so larger
/// transactions send fewer, fuller messages through the internal topic
/// (`loadtest recommend`: 0.06 at 500, 0.19 at 5,000, BENCHMARKS.md). The wait per
/// transaction (`DOCSTREAM_TRANSACTION_MAX_MS`, 100 ms) still bounds the latency.
pub const TRANSACTION_MAX_MESSAGES: usize = 5000;

/// The consume loop until SIGTERM.
pub async fn serve(vars: &Vars) -> Result<()> {
    let settings = Settings::from_vars(vars)?;
    let mut config = runtime::RuntimeConfig::from_vars(
        "recommender",
        &runtime::Defaults::of("recommender")?,
        vars,
    )?;
    // its state and its outputs must commit together (see `store`)
    match var(vars, "DOCSTREAM_EXACTLY_ONCE").as_deref() {
        None => config.exactly_once = true,
        Some(_) if config.exactly_once => {}
        Some(_) => {
            return Err(Error::Config(
                "the recommender keeps state in changelogs and needs DOCSTREAM_EXACTLY_ONCE=true (its default)".into(),
            ))
        }
    }
    if var(vars, "DOCSTREAM_TRANSACTION_MAX_MESSAGES").is_none() {
        config.transaction_max_messages = TRANSACTION_MAX_MESSAGES;
    }
    let metrics = Metrics::new("recommender");
    let kafka = KafkaSettings::from_vars(vars);
    let processor = Recommend::new(settings, &kafka, metrics.clone());
    tokio::spawn(processor.census());
    processor.warm();
    runtime::serve_with_metrics(config, metrics, processor).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use settings::vars_of as vars;

    #[test]
    fn settings_default_and_refuse_nonsense() {
        let s = Settings::from_vars(&Vars::new()).expect("defaults");
        assert_eq!(s.topics.pairs, "recommender-pairs");
        assert_eq!(s.topics.output, "recommendations");
        assert_eq!(s.sessions.idle_gap_ms, 30 * 60_000);
        let e =
            Settings::from_vars(&vars(&[("DOCSTREAM_RECOMMEND_WINDOW", "0")])).expect_err("zero");
        assert!(e.to_string().contains("_WINDOW"), "{e}");
    }

    #[test]
    fn each_changelog_has_the_partitions_of_the_topic_it_backs() {
        let file = topics::TopicsFile::embedded().expect("topics.yaml");
        let parts = |name: &str| {
            file.topics
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.partitions)
                .unwrap_or_else(|| panic!("no topic {name}"))
        };
        assert_eq!(parts("recommender-sessions"), parts("logs"));
        assert_eq!(parts("recommender-state"), parts("recommender-pairs"));
        let d = runtime::Defaults::of("recommender").expect("defaults");
        assert_eq!(d.input_topics, ["clusters", "logs", "recommender-pairs"]);
    }

    #[test]
    fn a_named_user_is_kept_only_as_a_hash() {
        let line = br#"{"status": 200, "message": "Success", "data": {"user": {"username": "Eddy", "email": "e@x.org"}, "dataset": "etd", "time": "2019-11-08 19:26:49.530631", "ip": "127.0.0.1", "hit": {"handle": "10919/5"}}}"#;
        let e: LogEvent = decode(line).expect("an old line");
        let key = session_key(&e).expect("keyed");
        assert!(key.starts_with("u:") && !key.contains("Eddy"), "{key}");
        assert_eq!(key.len(), 2 + 24);
        assert_eq!(e.clicked_doc().as_deref(), Some("etd:10919/5"));
    }

    #[test]
    fn a_recommendation_carries_scores_and_reasons() {
        let id: DocId = "etd:10919/5".parse().expect("id");
        let r = recommendation(
            id,
            &[
                ("etd:10919/6".into(), 0.5, "co-click".into()),
                ("not an id".into(), 0.1, "co-click".into()),
            ],
        );
        assert_eq!(r.related.len(), 1, "a bad id is left out");
        assert_eq!(r.related[0].reason.as_deref(), Some("co-click"));
        assert_eq!(r.model, MODEL);
    }

    #[test]
    fn a_message_of_signals_is_one_key_s_list_or_one_signal() {
        let click = |doc: &str| Signal::Click {
            doc: doc.into(),
            time: 1,
        };
        let both = encode_signals("etd:1/2".into(), vec![click("etd:1/2"), click("etd:1/2")]);
        assert_eq!(decode_signals(&both).expect("a list").len(), 2);
        let one = serde_json::to_vec(&click("etd:1/2")).expect("json");
        assert_eq!(decode_signals(&one).expect("one"), [click("etd:1/2")]);
        assert!(decode_signals(br#"{"key": "a", "signals": []}"#).is_err());
        assert!(decode_signals(b"{")
            .expect_err("bad")
            .starts_with("not a signal"));
    }
}
