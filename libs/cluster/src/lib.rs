//! Clustering documents by meaning, without IO: [`kmeans`] (spherical k-means on
//! L2-normalised vectors, k-means++ seeding), [`stable`] (matching a refit's clusters
//! to the previous model's so ids stay put), [`labels`] (class-based TF-IDF terms a
//! person can read), [`nmi`] (normalised mutual information, for the evaluation), and
//! [`tfidf`] (TF-IDF document vectors, the baseline the embeddings must beat).

pub mod kmeans;
pub mod labels;
pub mod nmi;
pub mod stable;
pub mod text;
pub mod tfidf;

pub use kmeans::{assign, cohesion, fit, fit_best, Fit};
pub use labels::label_terms;
pub use nmi::nmi;
pub use stable::match_to_previous;

/// A default number of clusters for `n` documents: it grows with the collection
/// (about √(n/2), as the rule of thumb goes), at least 2, at most 200.
pub fn default_k(n: usize) -> usize {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let k = ((n as f64) / 2.0).sqrt().round() as usize;
    k.clamp(2, 200)
}

/// Dot product; the cosine of two L2-normalised vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `v` scaled to length 1 (left as is when it is all zeros).
pub fn normalise(v: &mut [f32]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_grows_with_the_collection_within_bounds() {
        assert_eq!(default_k(0), 2);
        assert_eq!(default_k(400), 14);
        assert_eq!(default_k(200_000), 200);
        assert!(default_k(10_000) > default_k(1_000));
    }
}
