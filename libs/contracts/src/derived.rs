//! What the clusterer, summarizer and recommender publish about a document. Each is
//! keyed by the document id and owns its own fields in the search index.

use serde::{Deserialize, Serialize};

use crate::envelope::contract;
use crate::DocId;

/// `clusters`: the cluster a document was put in.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ClusterAssignment {
    pub schema_version: u32,
    pub id: DocId,
    pub cluster_id: String,
    pub cluster_label: String,
    /// Which clustering run or model produced it.
    pub model: String,
}
contract!(ClusterAssignment, "ClusterAssignment", 1);

/// `embeddings`: a document's sentence embedding, keyed by its id; what the
/// clusterer's trainer fits on and reassigns from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Embedding {
    pub schema_version: u32,
    pub id: DocId,
    pub collection: String,
    /// The embedding model (`all-MiniLM-L6-v2`).
    pub model: String,
    /// L2-normalised.
    pub vector: Vec<f32>,
    /// The text embedded (cut to the clusterer's bound): the trainer labels clusters
    /// with it.
    pub text: String,
    /// The version of the collection's cluster model the document was assigned with
    /// when it was embedded; none when there was no model yet (the trainer then
    /// publishes its assignment).
    pub assigned_with: Option<u64>,
}
contract!(Embedding, "Embedding", 1);

/// `cluster-models`: the current clustering of one collection, keyed by the
/// collection. Every clusterer instance assigns with it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ClusterModel {
    pub schema_version: u32,
    pub collection: String,
    /// Grows by one per fit.
    pub version: u64,
    pub embedding_model: String,
    /// Documents the collection had at the fit, and how many of them it was fitted on.
    pub documents: u64,
    pub sampled: u64,
    /// RFC 3339.
    pub fitted_at: String,
    /// Whether the assignment under this model of every document embedded before the
    /// fit has been published (false while the trainer reassigns them; cluster sizes
    /// are then estimated from the sample, afterwards counted).
    pub reassigned: bool,
    pub clusters: Vec<ModelCluster>,
}
contract!(ClusterModel, "ClusterModel", 1);

/// One cluster of a model.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ModelCluster {
    /// Stable across refits: a refit's cluster takes the id of the previous model's
    /// cluster it matches.
    pub id: u32,
    /// The most distinctive terms, best first; the label is them joined by " · ".
    pub terms: Vec<String>,
    /// Documents in the cluster.
    pub size: u64,
    /// L2-normalised.
    pub centroid: Vec<f32>,
}

/// `summaries`: a document's summary: a tobacco document's in a few sentences; a
/// thesis's (whose abstract is its summary) chapter by chapter. Schema 2 added
/// `sections` and let `summary` be absent; schema 1 messages read as before.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub id: DocId,
    #[serde(default)]
    pub summary: Option<String>,
    /// Each chapter (the sections etd-ingest found) in two or three sentences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<SectionSummary>,
    pub model: String,
}
contract!(Summary, "Summary", 2);

/// One chapter's summary.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SectionSummary {
    pub title: String,
    pub summary: String,
}

/// `recommendations`: documents related to this one, best first.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Recommendation {
    pub schema_version: u32,
    pub id: DocId,
    pub related: Vec<Related>,
    pub model: String,
}
contract!(Recommendation, "Recommendation", 1);

/// One related document.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Related {
    pub id: DocId,
    pub score: f32,
    /// Why: `co-click` (opened in the same sessions), `same query` (opened from the same
    /// search) or `content` (the same cluster, for a document no one's clicks relate
    /// yet). Absent in messages of before the recommender wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
