//! The train mode, one replica: reads `embeddings` from the beginning (a bounded
//! uniform sample per collection, [`Reservoir`]), reads the current models from
//! `cluster-models`, and refits a collection when [`Collection::due`]: its first model
//! after `min_documents`, then after `refit_every` new documents, when the collection
//! has grown `refit_growth` times (so k, which grows with it, follows), or when the
//! model is `refit_interval` old. A refit publishes the new model, rereads `embeddings` and
//! publishes every assignment it changed ([`model::must_republish`]), then publishes the
//! model again with its counted sizes and `reassigned: true`.
//!
//! While following, a document embedded with another model version than the current
//! one (or none) gets the current model's assignment. The trainer's consumer offsets
//! (group `clusterer-train`) mark what it has looked at; they are committed only after
//! the assignments it published for those messages were acknowledged. A trainer
//! stopped during a reassignment finds the model with `reassigned: false` at start and
//! publishes every assignment that may be missing while it reads the topic again.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use contracts::{decode, encode, ClusterAssignment, ClusterModel, Embedding};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rdkafka::message::OwnedMessage;
use rdkafka::Message;
use runtime::{Metrics, Outgoing, SourceContext};
use settings::KafkaSettings;

use crate::model::{self, Sampled};
use crate::tail::Tail;
use crate::{Result, TrainSettings};

/// The trainer's name: its group, its dead letters, its metrics.
pub const NAME: &str = "clusterer-train";

/// Published assignments are flushed at this many, or this often.
const FLUSH_AT: usize = 500;
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// A uniform random sample of at most `cap` documents (Algorithm R); a sampled
/// document seen again (an update) is replaced in place.
#[derive(Debug)]
pub struct Reservoir {
    cap: usize,
    items: Vec<(String, Sampled)>,
    index: HashMap<String, usize>,
    seen: u64,
    rng: StdRng,
}

impl Reservoir {
    pub fn new(cap: usize, seed: u64) -> Self {
        Self {
            cap: cap.max(1),
            items: Vec::new(),
            index: HashMap::new(),
            seen: 0,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Offers one document; returns whether it is new to the count.
    pub fn offer(&mut self, id: &str, s: Sampled) -> bool {
        if let Some(&i) = self.index.get(id) {
            self.items[i].1 = s;
            return false;
        }
        self.seen += 1;
        if self.items.len() < self.cap {
            self.index.insert(id.to_owned(), self.items.len());
            self.items.push((id.to_owned(), s));
        } else {
            let j = self.rng.gen_range(0..self.seen);
            if let Ok(j) = usize::try_from(j) {
                if j < self.cap {
                    self.index.remove(&self.items[j].0);
                    self.index.insert(id.to_owned(), j);
                    self.items[j] = (id.to_owned(), s);
                }
            }
        }
        true
    }

    /// Documents offered (an update of a sampled one not counted again).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    pub fn sample(&self) -> Vec<Sampled> {
        self.items.iter().map(|(_, s)| s.clone()).collect()
    }
}

/// What the trainer knows of one collection.
#[derive(Debug)]
pub struct Collection {
    pub name: String,
    pub reservoir: Reservoir,
    pub model: Option<ClusterModel>,
    /// Documents per cluster id under `model`, counted while reading the topic when the
    /// model's reassignment was unfinished.
    sizes: HashMap<u32, u64>,
}

impl Collection {
    pub fn new(name: &str, sample: usize, seed: u64) -> Self {
        Self {
            name: name.to_owned(),
            reservoir: Reservoir::new(sample, seed),
            model: None,
            sizes: HashMap::new(),
        }
    }

    /// Whether a (re)fit is due at `now`.
    pub fn due(&self, s: &TrainSettings, now: DateTime<Utc>) -> bool {
        let documents = self.reservoir.seen();
        match &self.model {
            None => documents >= s.min_documents,
            Some(m) => {
                let new = documents.saturating_sub(m.documents);
                let age = DateTime::parse_from_rfc3339(&m.fitted_at)
                    .map(|t| now.signed_duration_since(t.with_timezone(&Utc)))
                    .ok()
                    .and_then(|d| d.to_std().ok())
                    .unwrap_or(Duration::MAX);
                #[allow(clippy::cast_precision_loss)]
                let grown =
                    s.refit_growth > 0.0 && documents as f64 >= m.documents as f64 * s.refit_growth;
                new >= s.refit_every || grown || (new > 0 && age >= s.refit_interval)
            }
        }
    }
}

/// One embedding read from the topic: to the sample, and the assignment to publish
/// when the document's may be missing or stale. `looked_at`: the trainer handled this
/// offset before (below its committed offset).
pub fn observe(c: &mut Collection, e: &Embedding, looked_at: bool) -> Option<ClusterAssignment> {
    c.reservoir.offer(
        &e.id.to_string(),
        Sampled {
            vector: e.vector.clone(),
            text: e.text.clone(),
        },
    );
    let m = c.model.as_ref()?;
    if !m.reassigned {
        if let Some(cl) = model::nearest(m, &e.vector) {
            *c.sizes.entry(cl.id).or_default() += 1;
        }
    }
    let stale = e.assigned_with != Some(m.version);
    ((!looked_at || !m.reassigned) && stale)
        .then(|| model::assign(m, &e.id, &e.vector))
        .flatten()
}

/// The model with the counted sizes, its reassignment finished.
fn finished(mut m: ClusterModel, sizes: &HashMap<u32, u64>) -> ClusterModel {
    for c in &mut m.clusters {
        c.size = sizes.get(&c.id).copied().unwrap_or(0);
    }
    m.reassigned = true;
    m
}

/// The trainer's loop, until shutdown (`Ok`) or a Kafka failure (`Err`, the frame
/// restarts it).
pub async fn run(s: TrainSettings, kafka: KafkaSettings, cx: SourceContext) -> Result<()> {
    let mut trainer = Trainer {
        collections: BTreeMap::new(),
        pending: Vec::new(),
        dlq: s.dlq.clone(),
        s,
        kafka,
        cx,
    };
    trainer.load_models().await?;
    let mut tail = Tail::from_beginning(
        &trainer.kafka,
        &trainer.s.group,
        &trainer.s.topics.embeddings,
    )?;
    let committed = tail.committed()?;
    let started = Instant::now();
    let mut caught_up = false;
    let mut flushed = Instant::now();
    // whether messages were read since the last commit (an idle trainer commits nothing)
    let mut unread = false;
    loop {
        let got = tokio::select! {
            () = trainer.cx.shutdown.cancelled() => None,
            got = tail.next(Duration::from_millis(500)) => Some(got?),
        };
        let Some(got) = got else { break };
        if let Some(m) = got {
            let looked_at = m.offset() < committed.get(&m.partition()).copied().unwrap_or(0);
            trainer.read(&m, looked_at);
            unread = true;
        }
        if trainer.pending.len() >= FLUSH_AT || (unread && flushed.elapsed() >= FLUSH_EVERY) {
            trainer.flush().await?;
            tail.commit()?;
            flushed = Instant::now();
            unread = false;
        }
        if !tail.caught_up() {
            continue;
        }
        if !caught_up {
            caught_up = true;
            trainer.finish_reassignments().await?;
            trainer.cx.health.set_sink(true);
            trainer.cx.health.set_kafka(true);
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "read embeddings to the end"
            );
        }
        let now = Utc::now();
        let due: Vec<String> = trainer
            .collections
            .values()
            .filter(|c| c.due(&trainer.s, now))
            .map(|c| c.name.clone())
            .collect();
        for name in due {
            trainer.flush().await?;
            tail.commit()?;
            trainer.refit(&name).await?;
        }
    }
    trainer.flush().await?;
    tail.commit()?;
    Ok(())
}

struct Trainer {
    collections: BTreeMap<String, Collection>,
    pending: Vec<Outgoing>,
    dlq: String,
    s: TrainSettings,
    kafka: KafkaSettings,
    cx: SourceContext,
}

impl Trainer {
    fn metrics(&self) -> &Metrics {
        &self.cx.metrics
    }

    fn collection(&mut self, name: &str) -> &mut Collection {
        let (sample, seed) = (self.s.sample, self.s.fit.seed);
        self.collections
            .entry(name.to_owned())
            .or_insert_with(|| Collection::new(name, sample, seed))
    }

    /// The current models, read to the end of `cluster-models`.
    async fn load_models(&mut self) -> Result<()> {
        let mut tail = Tail::from_beginning(
            &self.kafka,
            &format!("{}-models", self.s.group),
            &self.s.topics.models,
        )?;
        let mut models: Vec<ClusterModel> = Vec::new();
        tail.catch_up(|m| {
            if let Some(model) = m.payload().and_then(|p| decode::<ClusterModel>(p).ok()) {
                models.push(model);
            }
        })
        .await?;
        for m in models {
            let c = self.collection(&m.collection.clone());
            if c.model.as_ref().is_none_or(|old| old.version <= m.version) {
                c.model = Some(m);
            }
        }
        for c in self.collections.values() {
            if let Some(m) = &c.model {
                self.cx.metrics.set_state(
                    "model_version",
                    &c.name,
                    i64::try_from(m.version).unwrap_or(i64::MAX),
                );
            }
        }
        Ok(())
    }

    fn read(&mut self, m: &OwnedMessage, looked_at: bool) {
        let Some(payload) = m.payload() else { return };
        match decode::<Embedding>(payload) {
            Ok(e) => {
                self.metrics().count("embeddings_read", &e.collection);
                if let Some(a) = observe(self.collection(&e.collection.clone()), &e, looked_at) {
                    self.push_assignment(&a);
                }
            }
            Err(e) => {
                tracing::warn!(offset = m.offset(), partition = m.partition(), error = %e, "not an embedding: dead-lettered");
                let dead =
                    runtime::message_dead_letter(&self.dlq, m, &e.to_string(), "invalid", NAME);
                self.pending.push(dead);
                self.metrics().dead_lettered(m.topic());
            }
        }
    }

    fn push_assignment(&mut self, a: &ClusterAssignment) {
        let out = Outgoing::keyed(self.s.topics.clusters.clone(), a.id.to_string(), encode(a));
        self.pending.push(out);
    }

    async fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        runtime::publish_all(&self.cx.producer, &self.pending).await?;
        self.metrics()
            .count_by("assignments_published", "all", self.pending.len() as u64);
        self.pending.clear();
        Ok(())
    }

    async fn publish_model(&self, m: &ClusterModel) -> Result<()> {
        let out = Outgoing::keyed(
            self.s.topics.models.clone(),
            m.collection.clone(),
            encode(m),
        );
        runtime::publish_all(&self.cx.producer, &[out]).await?;
        self.metrics().set_state(
            "model_version",
            &m.collection,
            i64::try_from(m.version).unwrap_or(i64::MAX),
        );
        Ok(())
    }

    /// Models found unfinished at start: every document has now been read (and its
    /// assignment published where it may have been missing); publish the counted sizes.
    async fn finish_reassignments(&mut self) -> Result<()> {
        let mut done = Vec::new();
        for c in self.collections.values_mut() {
            if let Some(m) = c.model.take_if(|m| !m.reassigned) {
                let m = finished(m, &c.sizes);
                c.sizes.clear();
                done.push(m.clone());
                c.model = Some(m);
            }
        }
        self.flush().await?;
        for m in done {
            tracing::info!(collection = %m.collection, version = m.version, "finished an interrupted reassignment");
            self.publish_model(&m).await?;
        }
        Ok(())
    }

    async fn refit(&mut self, name: &str) -> Result<()> {
        let started = Instant::now();
        let (documents, sample, previous) = {
            let c = self.collection(name);
            (c.reservoir.seen(), c.reservoir.sample(), c.model.clone())
        };
        let options = self.s.fit;
        let collection = name.to_owned();
        let previous_for_fit = previous.clone();
        let fitted_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let fitted = tokio::task::spawn_blocking(move || {
            model::fit(
                &collection,
                previous_for_fit.as_ref(),
                &sample,
                documents,
                options,
                fitted_at,
            )
        })
        .await
        .map_err(|e| crate::Error::Config(format!("the fit panicked: {e}")))?;
        let Some(new) = fitted else { return Ok(()) };
        self.publish_model(&new).await?;
        self.metrics().count("refits", name);
        tracing::info!(
            collection = name,
            version = new.version,
            k = new.clusters.len(),
            documents,
            seconds = started.elapsed().as_secs_f64(),
            "fitted; reassigning"
        );

        // every document embedded so far: publish what changed
        let mut scan = Tail::from_beginning(
            &self.kafka,
            &format!("{}-rescan", self.s.group),
            &self.s.topics.embeddings,
        )?;
        let mut sizes: HashMap<u32, u64> = HashMap::new();
        let mut republished = 0u64;
        while !scan.caught_up() {
            if self.cx.shutdown.is_cancelled() {
                // the model stays unfinished; the next start completes it
                self.flush().await?;
                return Ok(());
            }
            let Some(m) = scan.next(Duration::from_secs(1)).await? else {
                continue;
            };
            let Some(e) = m.payload().and_then(|p| decode::<Embedding>(p).ok()) else {
                continue;
            };
            if e.collection != name {
                continue;
            }
            if let Some(c) = model::nearest(&new, &e.vector) {
                *sizes.entry(c.id).or_default() += 1;
            }
            if model::must_republish(previous.as_ref(), &new, e.assigned_with, &e.vector) {
                if let Some(a) = model::assign(&new, &e.id, &e.vector) {
                    self.push_assignment(&a);
                    republished += 1;
                }
            }
            if self.pending.len() >= FLUSH_AT {
                self.flush().await?;
            }
        }
        self.flush().await?;
        let new = finished(new, &sizes);
        self.publish_model(&new).await?;
        self.metrics().count_by("republished", name, republished);
        tracing::info!(
            collection = name,
            version = new.version,
            republished,
            seconds = started.elapsed().as_secs_f64(),
            "reassigned"
        );
        self.collection(name).model = Some(new);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Topics;

    fn settings() -> TrainSettings {
        TrainSettings {
            topics: Topics {
                embeddings: "e".into(),
                clusters: "c".into(),
                models: "m".into(),
            },
            group: "g".into(),
            dlq: "d".into(),
            fit: model::FitOptions::default(),
            sample: 4,
            min_documents: 3,
            refit_every: 5,
            refit_growth: 0.0,
            refit_interval: Duration::from_secs(3600),
        }
    }

    fn sampled(x: f32) -> Sampled {
        Sampled {
            vector: vec![x],
            text: String::new(),
        }
    }

    #[test]
    fn the_reservoir_stays_bounded_uniform_and_takes_updates_in_place() {
        let mut r = Reservoir::new(100, 7);
        for i in 0..10_000 {
            r.offer(
                &i.to_string(),
                sampled(f32::from(u16::try_from(i).expect("small"))),
            );
        }
        assert_eq!(r.seen(), 10_000);
        let s = r.sample();
        assert_eq!(s.len(), 100);
        let mean = s.iter().map(|x| x.vector[0]).sum::<f32>() / 100.0;
        assert!(
            (3500.0..6500.0).contains(&mean),
            "a uniform sample's mean: {mean}"
        );
        let first = r.items[0].0.clone();
        assert!(
            !r.offer(&first, sampled(-1.0)),
            "an update is not a new document"
        );
        assert_eq!(r.seen(), 10_000);
        assert!(r.sample().iter().any(|x| x.vector[0] == -1.0));
    }

    fn model(version: u64, documents: u64, fitted_at: &str) -> ClusterModel {
        ClusterModel {
            schema_version: 1,
            collection: "etds".into(),
            version,
            embedding_model: "m".into(),
            documents,
            sampled: documents,
            fitted_at: fitted_at.into(),
            reassigned: true,
            clusters: vec![contracts::ModelCluster {
                id: 3,
                terms: vec!["turbine".into()],
                size: 1,
                centroid: vec![1.0],
            }],
        }
    }

    #[test]
    fn a_fit_is_due_at_the_first_documents_then_after_new_ones_or_age() {
        let s = settings();
        let now = Utc::now();
        let mut c = Collection::new("etds", 4, 0);
        for i in 0..2 {
            c.reservoir.offer(&i.to_string(), sampled(1.0));
        }
        assert!(!c.due(&s, now), "fewer than min_documents");
        c.reservoir.offer("2", sampled(1.0));
        assert!(c.due(&s, now));
        c.model = Some(model(1, 3, &now.to_rfc3339()));
        assert!(!c.due(&s, now), "just fitted");
        for i in 3..7 {
            c.reservoir.offer(&i.to_string(), sampled(1.0));
        }
        assert!(!c.due(&s, now), "4 new, refit_every 5");
        assert!(
            c.due(&s, now + chrono::Duration::hours(2)),
            "old, with new documents"
        );
        c.reservoir.offer("7", sampled(1.0));
        assert!(c.due(&s, now));
        // growth: 8 documents are more than twice the 3 the model was fitted on
        let grows = TrainSettings {
            refit_every: 1000,
            refit_growth: 2.0,
            ..settings()
        };
        assert!(c.due(&grows, now));
        c.model = Some(model(2, 5, &now.to_rfc3339()));
        assert!(!c.due(&grows, now), "8 of 5: not yet doubled");
    }

    fn embedding(assigned_with: Option<u64>) -> Embedding {
        Embedding {
            schema_version: 1,
            id: "etd:1/1".parse().expect("id"),
            collection: "etds".into(),
            model: "m".into(),
            vector: vec![1.0],
            text: "t".into(),
            assigned_with,
        }
    }

    #[test]
    fn a_document_assigned_with_another_model_gets_the_current_one() {
        let mut c = Collection::new("etds", 4, 0);
        assert!(
            observe(&mut c, &embedding(None), false).is_none(),
            "no model yet"
        );
        c.model = Some(model(2, 1, "2026-01-01T00:00:00Z"));
        assert!(
            observe(&mut c, &embedding(Some(2)), false).is_none(),
            "current"
        );
        let a = observe(&mut c, &embedding(Some(1)), false).expect("stale");
        assert_eq!(
            (a.cluster_id.as_str(), a.model.as_str()),
            ("etds-3", "etds-v2")
        );
        assert!(observe(&mut c, &embedding(None), false).is_some());
        assert!(
            observe(&mut c, &embedding(None), true).is_none(),
            "looked at before"
        );
        // an unfinished reassignment: everything stale is published again, and counted
        c.model.as_mut().expect("model").reassigned = false;
        assert!(observe(&mut c, &embedding(Some(1)), true).is_some());
        assert!(
            observe(&mut c, &embedding(Some(2)), false).is_none(),
            "current"
        );
        assert_eq!(c.sizes.get(&3), Some(&2), "both counted");
        let m = finished(c.model.take().expect("model"), &c.sizes);
        assert!(m.reassigned);
        assert_eq!(m.clusters[0].size, 2);
    }
}
