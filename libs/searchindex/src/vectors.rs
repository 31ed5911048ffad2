//! Document embeddings in the engine: how the `embedding` field is mapped and asked
//! for nearest neighbours, which differs by engine. OpenSearch's k-NN plugin
//! (`knn_vector`, HNSW in Lucene, cosine; the index needs `index.knn`) is the default;
//! Elasticsearch 8 has `dense_vector` and a top-level `knn` section; `off` leaves
//! embeddings out of the index (semantic and hybrid searches then rank lexically).

use serde_json::{json, Value};

use crate::{Error, Result};

/// The embedding model's dimensions (all-MiniLM-L6-v2).
pub const DIMENSIONS: usize = 384;

/// The field documents' embeddings are written to.
pub const FIELD: &str = "embedding";

/// The embedding in a document's `_source` (empty when it has none).
pub fn of(source: &Value) -> Vec<f32> {
    source[FIELD]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_f64().map(|x| x as f32))
        .collect()
}

/// How the engine holds vectors (`DOCSTREAM_ES_VECTORS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Vectors {
    /// OpenSearch with the k-NN plugin (`knn`).
    #[default]
    Knn,
    /// Elasticsearch 8 (`dense_vector`).
    DenseVector,
    /// No vector field (`off`).
    Off,
}

impl Vectors {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "knn" => Ok(Self::Knn),
            "dense_vector" => Ok(Self::DenseVector),
            "off" => Ok(Self::Off),
            _ => Err(Error::Setting {
                name: "DOCSTREAM_ES_VECTORS".into(),
                reason: format!(
                    "{s:?}: use knn (OpenSearch), dense_vector (Elasticsearch 8) or off"
                ),
            }),
        }
    }

    /// The mapping of the embedding field, if any.
    pub fn mapping(self) -> Option<Value> {
        match self {
            Self::Knn => Some(json!({
                "type": "knn_vector", "dimension": DIMENSIONS,
                "method": { "name": "hnsw", "engine": "lucene", "space_type": "cosinesimil" }
            })),
            Self::DenseVector => Some(json!({
                "type": "dense_vector", "dims": DIMENSIONS, "index": true, "similarity": "cosine"
            })),
            Self::Off => None,
        }
    }

    /// Index settings the field needs.
    pub fn index_settings(self) -> Option<(&'static str, Value)> {
        (self == Self::Knn).then_some(("knn", json!(true)))
    }

    /// A query clause for the `k` documents nearest `vector` that pass `filter`,
    /// weighted by `boost`; `None` where the engine asks for them beside the query
    /// ([`Vectors::knn_section`]).
    pub fn knn_query(
        self,
        vector: &[f32],
        k: usize,
        filter: &[Value],
        boost: f64,
    ) -> Option<Value> {
        (self == Self::Knn).then(|| {
            let mut knn = json!({ "vector": vector, "k": k, "boost": boost });
            if !filter.is_empty() {
                knn["filter"] = json!({ "bool": { "filter": filter } });
            }
            json!({ "knn": { FIELD: knn } })
        })
    }

    /// Elasticsearch's top-level `knn` section for the same.
    pub fn knn_section(
        self,
        vector: &[f32],
        k: usize,
        filter: &[Value],
        boost: f64,
    ) -> Option<Value> {
        (self == Self::DenseVector).then(|| {
            json!({
                "field": FIELD, "query_vector": vector, "k": k,
                "num_candidates": (2 * k).max(100), "boost": boost,
                "filter": filter
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_gets_its_own_mapping_and_query() {
        assert_eq!(Vectors::parse("knn").expect("knn"), Vectors::Knn);
        let e = Vectors::parse("faiss").expect_err("unknown");
        assert!(e.to_string().contains("DOCSTREAM_ES_VECTORS"), "{e}");
        assert_eq!(Vectors::Knn.mapping().expect("mapped")["dimension"], 384);
        assert_eq!(
            Vectors::DenseVector.mapping().expect("mapped")["similarity"],
            "cosine"
        );
        assert!(Vectors::Off.mapping().is_none());
        let filter = [json!({ "term": { "year": 2001 } })];
        let q = Vectors::Knn
            .knn_query(&[0.5, 0.5], 10, &filter, 2.0)
            .expect("query");
        assert_eq!(q.pointer("/knn/embedding/k"), Some(&json!(10)));
        assert_eq!(
            q.pointer("/knn/embedding/filter/bool/filter/0/term/year"),
            Some(&json!(2001))
        );
        assert!(Vectors::Knn.knn_section(&[0.5], 10, &filter, 1.0).is_none());
        let section = Vectors::DenseVector
            .knn_section(&[0.5], 10, &filter, 1.0)
            .expect("section");
        assert_eq!(section["num_candidates"], 100);
        assert!(Vectors::DenseVector
            .knn_query(&[0.5], 10, &filter, 1.0)
            .is_none());
        assert!(Vectors::Off.knn_query(&[0.5], 10, &[], 1.0).is_none());
    }
}
