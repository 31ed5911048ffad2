//! Cluster models, pure: fitting one collection's model on a sample of embeddings
//! (spherical k-means, ids matched to the previous model's, c-TF-IDF labels), assigning
//! an embedding to its cluster, and deciding which documents a refit must republish.

use contracts::{ClusterAssignment, ClusterModel, DocId, ModelCluster};

/// k-means++ starts per fit (the best kept) and the iteration bound.
const RESTARTS: u64 = 5;
const MAX_ITERATIONS: usize = 100;

/// How a collection's model is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Clusters per collection; `None`: [`cluster::default_k`] of the collection's size.
    pub k: Option<usize>,
    /// Terms per label.
    pub label_terms: usize,
    /// A refit's cluster keeps the id of the previous cluster it is matched to only
    /// when their centroids' cosine is at least this; otherwise it gets a new id.
    pub min_cosine: f32,
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            k: None,
            label_terms: 3,
            min_cosine: 0.5,
            seed: 0,
        }
    }
}

/// One sampled document: its embedding and its text (for the labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    pub vector: Vec<f32>,
    pub text: String,
}

/// The model string of an assignment: which collection's model, which version.
pub fn model_name(collection: &str, version: u64) -> String {
    format!("{collection}-v{version}")
}

/// The cluster id of an assignment: unique across collections (a facet value).
pub fn cluster_key(collection: &str, id: u32) -> String {
    format!("{collection}-{id}")
}

/// A label a person can read: the terms joined by " · ".
pub fn label(c: &ModelCluster) -> String {
    c.terms.join(" · ")
}

/// Fits `collection`'s next model on `sample` (`documents` in the collection in all):
/// k from the options or the collection's size, at most the sample's size; ids
/// matched to `previous`'s clusters; labels from the sample's texts; sizes estimated
/// from the sample. `None` for an empty sample.
pub fn fit(
    collection: &str,
    previous: Option<&ClusterModel>,
    sample: &[Sampled],
    documents: u64,
    options: FitOptions,
    fitted_at: String,
) -> Option<ClusterModel> {
    if sample.is_empty() {
        return None;
    }
    let n = usize::try_from(documents).unwrap_or(usize::MAX);
    let k = options
        .k
        .unwrap_or_else(|| cluster::default_k(n))
        .clamp(1, sample.len());
    let points: Vec<Vec<f32>> = sample.iter().map(|s| s.vector.clone()).collect();
    let version = previous.map_or(1, |p| p.version + 1);
    let f = cluster::fit_best(&points, k, options.seed + version, MAX_ITERATIONS, RESTARTS);
    let ids: Vec<u32> = match previous {
        Some(p) => {
            let centroids: Vec<Vec<f32>> = p.clusters.iter().map(|c| c.centroid.clone()).collect();
            let ids: Vec<u32> = p.clusters.iter().map(|c| c.id).collect();
            cluster::match_to_previous(&centroids, &ids, &f.centroids, options.min_cosine, 0)
        }
        None => (0..).take(f.centroids.len()).collect(),
    };
    let terms = cluster::label_terms(
        f.centroids.len(),
        f.assignments
            .iter()
            .copied()
            .zip(sample.iter().map(|s| s.text.as_str())),
        options.label_terms,
    );
    let mut counts = vec![0u64; f.centroids.len()];
    for &a in &f.assignments {
        counts[a] += 1;
    }
    let sampled = sample.len() as u64;
    let mut clusters: Vec<ModelCluster> = f
        .centroids
        .into_iter()
        .zip(ids)
        .zip(terms)
        .zip(counts)
        .map(|(((centroid, id), terms), count)| ModelCluster {
            id,
            terms,
            size: (count * documents.max(sampled)).div_ceil(sampled),
            centroid,
        })
        .collect();
    clusters.sort_by_key(|c| c.id);
    Some(ClusterModel {
        schema_version: 1,
        collection: collection.to_owned(),
        version,
        embedding_model: embed::MODEL_NAME.to_owned(),
        documents,
        sampled,
        fitted_at,
        reassigned: false,
        clusters,
    })
}

/// The cluster of `model` nearest to `vector` (largest cosine); `None` for a model
/// without clusters.
pub fn nearest<'m>(model: &'m ClusterModel, vector: &[f32]) -> Option<&'m ModelCluster> {
    model
        .clusters
        .iter()
        .map(|c| (cluster::dot(&c.centroid, vector), c))
        .fold(
            None,
            |best: Option<(f32, &ModelCluster)>, (s, c)| match best {
                Some((b, _)) if b >= s => best,
                _ => Some((s, c)),
            },
        )
        .map(|(_, c)| c)
}

/// The assignment of document `id` under `model`.
pub fn assign(model: &ClusterModel, id: &DocId, vector: &[f32]) -> Option<ClusterAssignment> {
    nearest(model, vector).map(|c| ClusterAssignment {
        schema_version: 1,
        id: id.clone(),
        cluster_id: cluster_key(&model.collection, c.id),
        cluster_label: label(c),
        model: model_name(&model.collection, model.version),
    })
}

/// Whether a refit from `previous` to `current` must publish the document's new
/// assignment: when there was no previous model, when the document's published
/// assignment may not be `previous`'s (it was assigned with another version, or none),
/// or when its cluster or that cluster's label changed.
pub fn must_republish(
    previous: Option<&ClusterModel>,
    current: &ClusterModel,
    assigned_with: Option<u64>,
    vector: &[f32],
) -> bool {
    let Some(previous) = previous else {
        return true;
    };
    if assigned_with != Some(previous.version) {
        return true;
    }
    match (nearest(previous, vector), nearest(current, vector)) {
        (Some(a), Some(b)) => a.id != b.id || a.terms != b.terms,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// `n` documents around each of three directions, each with its topic's words.
    pub(crate) fn sample(n: usize, seed: u64) -> Vec<Sampled> {
        let topics = [
            ([1.0f32, 0.0, 0.0], "turbine blade cooling"),
            ([0.0, 1.0, 0.0], "protein enzyme binding"),
            ([0.0, 0.0, 1.0], "poetry novel narrative"),
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n)
            .flat_map(|_| topics.iter())
            .map(|(d, words)| {
                let mut v: Vec<f32> = d.iter().map(|x| x + rng.gen_range(-0.2..0.2)).collect();
                cluster::normalise(&mut v);
                Sampled {
                    vector: v,
                    text: format!("{words} study of the {words}"),
                }
            })
            .collect()
    }

    fn fitted(previous: Option<&ClusterModel>, seed: u64) -> ClusterModel {
        let options = FitOptions {
            k: Some(3),
            ..FitOptions::default()
        };
        fit(
            "etds",
            previous,
            &sample(40, seed),
            120,
            options,
            "t".into(),
        )
        .expect("fits")
    }

    #[test]
    fn a_fit_labels_its_clusters_with_their_distinctive_terms() {
        let m = fitted(None, 1);
        assert_eq!(m.version, 1);
        let mut labels: Vec<String> = m.clusters.iter().map(label).collect();
        labels.sort();
        assert_eq!(
            labels,
            [
                "binding · enzyme · protein",
                "blade · cooling · turbine",
                "narrative · novel · poetry"
            ]
        );
        assert_eq!(m.clusters.iter().map(|c| c.size).sum::<u64>(), 120);
        let a = assign(
            &m,
            &"etd:10919/1".parse::<DocId>().expect("id"),
            &[0.9, 0.1, 0.0],
        )
        .expect("a");
        assert!(a.cluster_label.contains("turbine"), "{a:?}");
        assert!(a.cluster_id.starts_with("etds-"));
        assert_eq!(a.model, "etds-v1");
    }

    #[test]
    fn a_refit_keeps_each_topic_on_its_cluster_id() {
        let first = fitted(None, 1);
        let second = fitted(Some(&first), 2);
        assert_eq!(second.version, 2);
        let id_of = |m: &ClusterModel, v: &[f32]| nearest(m, v).expect("cluster").id;
        for v in [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] {
            assert_eq!(id_of(&first, &v), id_of(&second, &v), "{v:?}");
        }
        // the same documents need no new assignment; one assigned with another
        // version does
        let v = [0.0, 0.0, 1.0];
        assert!(!must_republish(Some(&first), &second, Some(1), &v));
        assert!(must_republish(Some(&first), &second, None, &v));
        assert!(must_republish(None, &second, Some(1), &v));
    }

    #[test]
    fn a_new_topic_gets_an_id_never_used_before() {
        let first = fitted(None, 1);
        let mut docs = sample(40, 3);
        docs.extend((0..40).map(|i| {
            let mut v = vec![
                0.6,
                0.6,
                -0.5 - f32::from(u8::try_from(i % 3).expect("small")) * 0.01,
            ];
            cluster::normalise(&mut v);
            Sampled {
                vector: v,
                text: "tobacco nicotine smoking".into(),
            }
        }));
        let options = FitOptions {
            k: Some(4),
            ..FitOptions::default()
        };
        let second = fit("etds", Some(&first), &docs, 160, options, "t".into()).expect("fits");
        let ids: Vec<u32> = second.clusters.iter().map(|c| c.id).collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        let new = nearest(&second, &[0.6, 0.6, -0.5]).expect("cluster");
        assert_eq!(new.id, 3);
        assert!(label(new).contains("nicotine"));
    }

    #[test]
    fn k_grows_with_the_collection_and_never_exceeds_the_sample() {
        let docs = sample(2, 1);
        let m = fit(
            "etds",
            None,
            &docs,
            1_000_000,
            FitOptions::default(),
            "t".into(),
        )
        .expect("fits");
        assert_eq!(m.clusters.len(), docs.len());
        assert!(fit("etds", None, &[], 0, FitOptions::default(), "t".into()).is_none());
    }
}
