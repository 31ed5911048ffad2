//! Labels people can read: each cluster's most distinctive terms by class-based
//! TF-IDF (the cluster's texts taken as one document): a term's frequency in the
//! cluster, over the cluster's words, times `ln(1 + A / f)` with `A` the average
//! number of words per cluster and `f` the term's frequency in the whole collection.
//! A term frequent everywhere weighs little; one frequent here and rare elsewhere
//! labels the cluster.

use std::collections::HashMap;

use crate::text::words;

/// The top `n` terms of each of `k` clusters, from `(cluster, text)` pairs; a term
/// must occur at least twice in its cluster. Ties go alphabetically, so a label is
/// the same for the same input.
pub fn label_terms<'a>(
    k: usize,
    docs: impl IntoIterator<Item = (usize, &'a str)>,
    n: usize,
) -> Vec<Vec<String>> {
    let mut per: Vec<HashMap<String, u32>> = vec![HashMap::new(); k];
    let mut total: HashMap<String, u32> = HashMap::new();
    let mut sizes = vec![0u64; k];
    for (c, text) in docs {
        if c >= k {
            continue;
        }
        for w in words(text) {
            *total.entry(w.clone()).or_default() += 1;
            *per[c].entry(w).or_default() += 1;
            sizes[c] += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let average = sizes.iter().sum::<u64>() as f64 / k.max(1) as f64;
    per.iter()
        .zip(&sizes)
        .map(|(terms, &size)| {
            let mut scored: Vec<(f64, &String)> = terms
                .iter()
                .filter(|(_, &count)| count >= 2)
                .map(|(t, &count)| {
                    let tf = f64::from(count) / (size.max(1) as f64);
                    let f = f64::from(total.get(t).copied().unwrap_or(1));
                    (tf * (1.0 + average / f).ln(), t)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            scored.into_iter().take(n).map(|(_, t)| t.clone()).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinctive_terms_label_and_shared_ones_do_not() {
        let docs = [
            (
                0,
                "turbine blade cooling airflow; turbine blade design airflow",
            ),
            (0, "turbine blade cooling channels; blade cooling"),
            (
                1,
                "nicotine advertising youth; advertising campaigns nicotine",
            ),
            (1, "youth smoking advertising nicotine; smoking"),
            (0, "airflow measurements airflow"),
            (1, "measurements measurements"),
        ];
        let labels = label_terms(2, docs.iter().map(|(c, t)| (*c, *t)), 3);
        // airflow and blade, four times each and only here, lead (ties alphabetically)
        assert_eq!(labels[0], ["airflow", "blade", "cooling"]);
        assert!(labels[1].contains(&"advertising".to_owned()), "{labels:?}");
        assert!(labels[1].contains(&"nicotine".to_owned()), "{labels:?}");
        assert!(
            !labels[0].contains(&"measurements".to_owned()),
            "{labels:?}"
        );
        assert_eq!(
            label_terms(2, docs.iter().map(|(c, t)| (*c, *t)), 3),
            labels
        );
    }
}
