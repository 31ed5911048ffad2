//! Stable cluster ids: after a refit, each new cluster takes the id of the previous
//! model's cluster whose centroid it is closest to, as a whole (the assignment of new
//! to old that maximises the summed cosine, by the Hungarian method), so cluster 7
//! stays "turbines". New clusters beyond the previous count, or matched to nothing
//! close, get ids never used before.

use crate::dot;

/// Ids for `new` centroids given the `previous` model's (`previous[i]` has id
/// `previous_ids[i]`): a matched cluster keeps its old id when the cosine of the two
/// centroids is at least `min_cosine`; every other cluster gets a fresh id above
/// every id in `previous_ids` (and `next_id`).
pub fn match_to_previous(
    previous: &[Vec<f32>],
    previous_ids: &[u32],
    new: &[Vec<f32>],
    min_cosine: f32,
    next_id: u32,
) -> Vec<u32> {
    let mut fresh = previous_ids
        .iter()
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .max(next_id);
    let n = previous.len().max(new.len());
    // a square cost matrix: rows new, columns previous; padding costs nothing
    let cost: Vec<Vec<f64>> = (0..n)
        .map(|r| {
            (0..n)
                .map(|c| match (new.get(r), previous.get(c)) {
                    (Some(a), Some(b)) => -f64::from(dot(a, b)),
                    _ => 0.0,
                })
                .collect()
        })
        .collect();
    let column = hungarian(&cost);
    (0..new.len())
        .map(|r| {
            let c = column[r];
            match previous.get(c) {
                Some(p) if dot(&new[r], p) >= min_cosine => previous_ids[c],
                _ => {
                    fresh += 1;
                    fresh - 1
                }
            }
        })
        .collect()
}

/// The assignment of rows to columns of a square matrix with the least total cost:
/// `result[row] = column`. The O(n³) method with row and column potentials.
pub fn hungarian(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    if n == 0 {
        return Vec::new();
    }
    // 1-based, as the method is usually written: p[j] = row matched to column j
    let mut u = vec![0f64; n + 1];
    let mut v = vec![0f64; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![0; n];
    for j in 1..=n {
        if p[j] > 0 {
            result[p[j] - 1] = j - 1;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn total(cost: &[Vec<f64>], a: &[usize]) -> f64 {
        a.iter().enumerate().map(|(r, c)| cost[r][*c]).sum()
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![Vec::new()];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for at in 0..=p.len() {
                let mut q = p.clone();
                q.insert(at, n - 1);
                out.push(q);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn finds_the_cheapest_assignment(n in 1usize..6, seed in any::<u64>()) {
            let mut x = seed;
            let cost: Vec<Vec<f64>> = (0..n)
                .map(|_| (0..n).map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    f64::from(u32::try_from(x >> 40).unwrap_or(0) % 100)
                }).collect())
                .collect();
            let a = hungarian(&cost);
            let mut cols = a.clone();
            cols.sort_unstable();
            prop_assert_eq!(cols, (0..n).collect::<Vec<_>>());
            let best = permutations(n).iter().map(|p| total(&cost, p)).fold(f64::INFINITY, f64::min);
            prop_assert!((total(&cost, &a) - best).abs() < 1e-9);
        }
    }

    #[test]
    fn a_refit_keeps_ids_of_clusters_that_stayed_and_names_new_ones_afresh() {
        let e = |i: usize| {
            let mut v = vec![0f32; 4];
            v[i] = 1.0;
            v
        };
        let previous = vec![e(0), e(1), e(2)];
        let ids = [7, 3, 9];
        // the same clusters in another order, plus one new direction
        let new = vec![e(2), e(0), e(3), e(1)];
        let got = match_to_previous(&previous, &ids, &new, 0.5, 0);
        assert_eq!(got, [9, 7, 10, 3]);
        // a cluster that moved too far is not the same cluster
        let moved = vec![e(3)];
        assert_eq!(match_to_previous(&previous, &ids, &moved, 0.5, 12), [12]);
        assert_eq!(match_to_previous(&[], &[], &[e(0), e(1)], 0.5, 0), [0, 1]);
    }
}
