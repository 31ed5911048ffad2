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

/// `summaries`: a summary of a (tobacco) document.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Summary {
    pub schema_version: u32,
    pub id: DocId,
    pub summary: String,
    pub model: String,
}
contract!(Summary, "Summary", 1);

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
}
