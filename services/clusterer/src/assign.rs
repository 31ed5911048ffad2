//! The consume mode: each batch of processed documents is embedded together; each
//! document's outputs are its embedding (to `embeddings`) and, when its collection has
//! a model, its assignment (to `clusters`). [`ModelView`] holds the current models,
//! [`follow_models`] keeps it current from `cluster-models`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use contracts::{decode, encode, ClusterModel, Embedding};
use runtime::{BatchProcessor, Incoming, Metrics, Outgoing, Output, ProcessError};
use settings::KafkaSettings;
use tokio_util::sync::CancellationToken;

use crate::model;
use crate::tail::Tail;
use crate::text::{document, Document, TextLimits};
use crate::{Result, Topics};

/// The current model of each collection, shared by the processor and the follower.
#[derive(Debug, Clone, Default)]
pub struct ModelView {
    models: Arc<RwLock<HashMap<String, Arc<ClusterModel>>>>,
    following: Arc<AtomicBool>,
}

impl ModelView {
    /// The collection's current model.
    pub fn get(&self, collection: &str) -> Option<Arc<ClusterModel>> {
        self.models
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(collection)
            .cloned()
    }

    /// Takes `m` unless the view holds a newer version of its collection's model
    /// (the same version again is its update after the reassignment).
    pub fn apply(&self, m: ClusterModel) -> bool {
        let mut models = self
            .models
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if models
            .get(&m.collection)
            .is_some_and(|old| old.version > m.version)
        {
            return false;
        }
        models.insert(m.collection.clone(), Arc::new(m));
        true
    }
}

/// Reads `topic` to its end into `view` (so the first document is assigned with the
/// current model), then follows it in the background until `shutdown`.
pub async fn follow_models(
    kafka: &KafkaSettings,
    topic: &str,
    view: ModelView,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<()> {
    let group = format!("clusterer-models-{}", std::process::id());
    let mut tail = Tail::from_beginning(kafka, &group, topic)?;
    let following = view.following.clone();
    let take = move |m: &rdkafka::message::OwnedMessage| {
        use rdkafka::Message;
        let Some(payload) = m.payload() else { return };
        match decode::<ClusterModel>(payload) {
            Ok(model) => {
                let (collection, version) = (model.collection.clone(), model.version);
                if view.apply(model) {
                    metrics.set_state(
                        "model_version",
                        &collection,
                        i64::try_from(version).unwrap_or(i64::MAX),
                    );
                    tracing::info!(%collection, version, "cluster model");
                }
            }
            Err(e) => {
                tracing::warn!(offset = m.offset(), error = %e, "not a cluster model: skipped")
            }
        }
    };
    tail.catch_up(&take).await?;
    following.store(true, Ordering::Relaxed);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                got = tail.next(Duration::from_secs(5)) => match got {
                    Ok(Some(m)) => take(&m),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "reading cluster models");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
            }
        }
    });
    Ok(())
}

/// The batch processor of the consume mode.
pub struct Clusterer {
    pub embedder: Arc<embed::Embedder>,
    pub models: ModelView,
    pub topics: Topics,
    pub text: TextLimits,
    pub metrics: Metrics,
}

impl std::fmt::Debug for Clusterer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clusterer")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

/// A document's outputs: its embedding and, with a model, its assignment.
pub fn outputs(
    doc: &Document,
    vector: Vec<f32>,
    model: Option<&ClusterModel>,
    topics: &Topics,
) -> Vec<Outgoing> {
    let key = doc.id.to_string();
    let mut out = Vec::with_capacity(2);
    let assignment = model.and_then(|m| model::assign(m, &doc.id, &vector));
    if let Some(a) = &assignment {
        out.push(Outgoing::keyed(
            topics.clusters.clone(),
            key.clone(),
            encode(a),
        ));
    }
    let e = Embedding {
        schema_version: 1,
        id: doc.id.clone(),
        collection: doc.collection.to_owned(),
        model: embed::MODEL_NAME.to_owned(),
        vector,
        text: doc.text.clone(),
        assigned_with: assignment.and(model.map(|m| m.version)),
    };
    out.push(Outgoing::keyed(topics.embeddings.clone(), key, encode(&e)));
    out
}

/// The tombstones that forget a withdrawn document's embedding and cluster.
fn withdrawn(id: &str, topics: &Topics) -> Vec<Outgoing> {
    vec![
        Outgoing::tombstone(topics.clusters.clone(), id),
        Outgoing::tombstone(topics.embeddings.clone(), id),
    ]
}

impl BatchProcessor for Clusterer {
    async fn process_batch(&self, msgs: &[Incoming<'_>]) -> Vec<Result<Output, ProcessError>> {
        // a withdrawal is answered without the model; the rest are documents
        let gone: Vec<Option<Result<contracts::DocId, ProcessError>>> =
            msgs.iter().map(Incoming::withdrawn).collect();
        let docs: Vec<Result<Document, String>> = msgs
            .iter()
            .map(|m| document(m.payload.unwrap_or_default(), self.text))
            .collect();
        let texts: Vec<String> = docs
            .iter()
            .zip(&gone)
            .filter(|(_, g)| g.is_none())
            .filter_map(|(d, _)| d.as_ref().ok())
            .filter(|d| !d.text.is_empty())
            .map(|d| d.text.clone())
            .collect();
        let embedder = self.embedder.clone();
        let n = texts.len();
        let vectors = if texts.is_empty() {
            Ok(Vec::new())
        } else {
            tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                embedder.embed(&refs)
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        };
        let mut vectors = match vectors {
            Ok(v) if v.len() == n => v.into_iter(),
            Ok(v) => {
                let e = format!("embedded {} of {n} texts", v.len());
                return msgs
                    .iter()
                    .map(|_| Err(ProcessError::Transient(e.clone())))
                    .collect();
            }
            Err(e) => {
                return msgs
                    .iter()
                    .map(|_| Err(ProcessError::Transient(format!("embedding: {e}"))))
                    .collect()
            }
        };
        docs.into_iter()
            .zip(gone)
            .map(|(d, g)| match (d, g) {
                (_, Some(Ok(id))) => {
                    self.metrics.count("withdrawn", id.collection());
                    Ok(withdrawn(&id.to_string(), &self.topics).into())
                }
                (_, Some(Err(e))) => Err(e),
                (d, None) => self.assigned(d, &mut vectors),
            })
            .collect()
    }

    async fn ready(&self) -> bool {
        self.models.following.load(Ordering::Relaxed)
    }
}

impl Clusterer {
    /// The outputs of a document of the batch, its vector the next of `vectors`.
    fn assigned(
        &self,
        d: Result<Document, String>,
        vectors: &mut std::vec::IntoIter<Vec<f32>>,
    ) -> Result<Output, ProcessError> {
        match d {
            Err(reason) => Err(ProcessError::Invalid(reason)),
            Ok(d) if d.text.is_empty() => {
                self.metrics.count("skipped", "no_text");
                Ok(Vec::new().into())
            }
            Ok(d) => {
                let v = vectors.next().unwrap_or_default();
                self.metrics.count("embedded", d.collection);
                let m = self.models.get(d.collection);
                Ok(outputs(&d, v, m.as_deref(), &self.topics).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::{ClusterAssignment, ModelCluster};

    fn topics() -> Topics {
        Topics {
            embeddings: "e".into(),
            clusters: "c".into(),
            models: "m".into(),
        }
    }

    fn model(version: u64) -> ClusterModel {
        let cluster = |id, centroid: Vec<f32>, terms: &[&str]| ModelCluster {
            id,
            terms: terms.iter().map(|t| (*t).to_owned()).collect(),
            size: 1,
            centroid,
        };
        ClusterModel {
            schema_version: 1,
            collection: "etds".into(),
            version,
            embedding_model: "m".into(),
            documents: 2,
            sampled: 2,
            fitted_at: "t".into(),
            reassigned: true,
            clusters: vec![
                cluster(4, vec![1.0, 0.0], &["turbine", "blade"]),
                cluster(7, vec![0.0, 1.0], &["enzyme"]),
            ],
        }
    }

    fn doc() -> Document {
        Document {
            id: "etd:1/2".parse().expect("id"),
            collection: "etds",
            text: "Blades".into(),
        }
    }

    #[test]
    fn a_document_with_a_model_gets_its_assignment_and_its_embedding() {
        let out = outputs(&doc(), vec![0.9, 0.1], Some(&model(3)), &topics());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].topic, "c");
        let a: ClusterAssignment = decode(out[0].bytes()).expect("assignment");
        assert_eq!(a.cluster_id, "etds-4");
        assert_eq!(a.cluster_label, "turbine · blade");
        assert_eq!(a.model, "etds-v3");
        let e: Embedding = decode(out[1].bytes()).expect("embedding");
        assert_eq!(out[1].key.as_deref(), Some(&b"etd:1/2"[..]));
        assert_eq!(e.assigned_with, Some(3));
        assert_eq!(e.text, "Blades");
    }

    #[test]
    fn without_a_model_only_the_embedding_goes_out() {
        let out = outputs(&doc(), vec![0.9, 0.1], None, &topics());
        assert_eq!(out.len(), 1);
        let e: Embedding = decode(out[0].bytes()).expect("embedding");
        assert_eq!(e.assigned_with, None);
    }

    #[test]
    fn the_view_keeps_the_newest_version() {
        let view = ModelView::default();
        assert!(view.apply(model(2)));
        assert!(!view.apply(model(1)), "an older model is ignored");
        let mut again = model(2);
        again.clusters[0].size = 9;
        assert!(view.apply(again), "the same version's update is taken");
        assert_eq!(view.get("etds").expect("model").clusters[0].size, 9);
        assert!(view.get("tobacco").is_none());
    }
}
