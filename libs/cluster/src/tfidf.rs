//! TF-IDF document vectors, the baseline clustering is measured against: words of
//! [`crate::text::words`], sublinear term frequency `1 + ln(tf)`, smooth idf
//! `ln((1 + n) / (1 + df)) + 1` (scikit-learn's), terms in at least `min_df`
//! documents, L2-normalised, dense over the vocabulary.

use std::collections::HashMap;

use crate::normalise;

/// One vector per text, over the terms found in at least `min_df` texts.
pub fn vectors(texts: &[&str], min_df: usize) -> Vec<Vec<f32>> {
    let counted: Vec<HashMap<String, u32>> = texts
        .iter()
        .map(|t| {
            let mut m = HashMap::new();
            for w in crate::text::words(t) {
                *m.entry(w).or_default() += 1;
            }
            m
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for m in &counted {
        for t in m.keys() {
            *df.entry(t.as_str()).or_default() += 1;
        }
    }
    let mut vocab: Vec<&str> = df
        .iter()
        .filter(|(_, d)| **d >= min_df)
        .map(|(t, _)| *t)
        .collect();
    vocab.sort_unstable();
    let index: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    #[allow(clippy::cast_precision_loss)]
    let n = texts.len() as f64;
    counted
        .iter()
        .map(|m| {
            let mut v = vec![0f32; vocab.len()];
            for (t, &c) in m {
                if let Some(&i) = index.get(t.as_str()) {
                    #[allow(clippy::cast_precision_loss)]
                    let idf = ((1.0 + n) / (1.0 + df[t.as_str()] as f64)).ln() + 1.0;
                    #[allow(clippy::cast_possible_truncation)]
                    let w = ((1.0 + f64::from(c).ln()) * idf) as f32;
                    v[i] = w;
                }
            }
            normalise(&mut v);
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dot;

    #[test]
    fn shared_rare_terms_make_texts_near() {
        let v = vectors(
            &[
                "turbine blade cooling",
                "turbine blade erosion",
                "nicotine advertising youth",
                "nicotine advertising magazines",
            ],
            2,
        );
        assert!(dot(&v[0], &v[1]) > 0.9);
        assert!(dot(&v[0], &v[2]).abs() < 1e-6);
        assert!((dot(&v[2], &v[2]) - 1.0).abs() < 1e-5);
    }
}
