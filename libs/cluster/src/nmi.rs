//! Normalised mutual information between two labellings of the same items: the
//! mutual information over the mean of the two entropies (scikit-learn's default,
//! "arithmetic"). 1 when one labelling determines the other both ways, 0 when they
//! are independent.

use std::collections::HashMap;
use std::hash::Hash;

/// NMI of `a` and `b` (the same length); 1.0 when both put everything in one group.
pub fn nmi<A: Hash + Eq, B: Hash + Eq>(a: &[A], b: &[B]) -> f64 {
    assert_eq!(a.len(), b.len(), "two labellings of the same items");
    #[allow(clippy::cast_precision_loss)]
    let n = a.len() as f64;
    if a.is_empty() {
        return 1.0;
    }
    let mut ca: HashMap<&A, f64> = HashMap::new();
    let mut cb: HashMap<&B, f64> = HashMap::new();
    let mut joint: HashMap<(&A, &B), f64> = HashMap::new();
    for (x, y) in a.iter().zip(b) {
        *ca.entry(x).or_default() += 1.0;
        *cb.entry(y).or_default() += 1.0;
        *joint.entry((x, y)).or_default() += 1.0;
    }
    let entropy = |counts: &mut dyn Iterator<Item = f64>| -> f64 {
        counts.map(|c| -(c / n) * (c / n).ln()).sum()
    };
    let ha = entropy(&mut ca.values().copied());
    let hb = entropy(&mut cb.values().copied());
    let mi: f64 = joint
        .iter()
        .map(|((x, y), &c)| (c / n) * ((c * n) / (ca[x] * cb[y])).ln())
        .sum();
    let mean = (ha + hb) / 2.0;
    if mean <= 0.0 {
        return 1.0;
    }
    (mi / mean).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_values() {
        // the same partition under other names
        assert!((nmi(&[0, 0, 1, 1], &["a", "a", "b", "b"]) - 1.0).abs() < 1e-12);
        // independent
        assert!(nmi(&[0, 0, 1, 1], &[0, 1, 0, 1]).abs() < 1e-12);
        // scikit-learn: normalized_mutual_info_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.5158037429793889
        let v = nmi(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((v - 0.515_803_742_979_388_9).abs() < 1e-9, "{v}");
    }
}
