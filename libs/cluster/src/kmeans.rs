//! Spherical k-means: points and centroids on the unit sphere, similarity by dot
//! product, each centroid the normalised mean of its points. Seeded with k-means++
//! (each next seed drawn with probability proportional to its distance `1 - cos` to
//! the nearest seed so far), from a given seed so a fit can be repeated exactly. A
//! cluster left empty takes the point worst served by its centroid.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{dot, normalise};

/// A fitted model: its centroids and each training point's cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub centroids: Vec<Vec<f32>>,
    pub assignments: Vec<usize>,
    /// Iterations run until no point changed cluster (or the bound).
    pub iterations: usize,
}

/// The nearest centroid to `point` (largest dot product); 0 when there are none.
pub fn assign(centroids: &[Vec<f32>], point: &[f32]) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, c) in centroids.iter().enumerate() {
        let s = dot(c, point);
        if s > best.1 {
            best = (i, s);
        }
    }
    best.0
}

fn seeds(points: &[Vec<f32>], k: usize, rng: &mut StdRng) -> Vec<Vec<f32>> {
    let mut centroids = vec![points[rng.gen_range(0..points.len())].clone()];
    let mut nearest: Vec<f32> = points
        .iter()
        .map(|p| (1.0 - dot(p, &centroids[0])).max(0.0))
        .collect();
    while centroids.len() < k {
        let total: f32 = nearest.iter().sum();
        let pick = if total <= 0.0 {
            rng.gen_range(0..points.len())
        } else {
            let mut r = rng.gen_range(0.0..total);
            let mut at = points.len() - 1;
            for (i, d) in nearest.iter().enumerate() {
                if r < *d {
                    at = i;
                    break;
                }
                r -= d;
            }
            at
        };
        let c = points[pick].clone();
        for (n, p) in nearest.iter_mut().zip(points) {
            *n = n.min((1.0 - dot(p, &c)).max(0.0));
        }
        centroids.push(c);
    }
    centroids
}

/// Fits `k` clusters to `points` (each of length 1), at most `max_iterations`
/// rounds. `k` is cut to the number of points.
pub fn fit(points: &[Vec<f32>], k: usize, seed: u64, max_iterations: usize) -> Fit {
    if points.is_empty() || k == 0 {
        return Fit {
            centroids: Vec::new(),
            assignments: Vec::new(),
            iterations: 0,
        };
    }
    let k = k.min(points.len());
    let dim = points[0].len();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut centroids = seeds(points, k, &mut rng);
    let mut assignments = vec![usize::MAX; points.len()];
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        let mut changed = false;
        for (a, p) in assignments.iter_mut().zip(points) {
            let c = assign(&centroids, p);
            if *a != c {
                *a = c;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        let mut sums = vec![vec![0f32; dim]; k];
        let mut counts = vec![0usize; k];
        for (a, p) in assignments.iter().zip(points) {
            counts[*a] += 1;
            for (s, x) in sums[*a].iter_mut().zip(p) {
                *s += x;
            }
        }
        for c in 0..k {
            if counts[c] == 0 {
                // the point its centroid serves worst starts this cluster again
                let worst = (0..points.len())
                    .min_by(|&i, &j| {
                        let si = dot(&points[i], &centroids[assignments[i]]);
                        let sj = dot(&points[j], &centroids[assignments[j]]);
                        si.total_cmp(&sj)
                    })
                    .unwrap_or(0);
                sums[c].clone_from(&points[worst]);
                assignments[worst] = c;
            }
            normalise(&mut sums[c]);
        }
        centroids = sums;
    }
    Fit {
        centroids,
        assignments,
        iterations,
    }
}

/// The points' summed similarity to their centroids: what a fit maximises.
pub fn cohesion(points: &[Vec<f32>], fit: &Fit) -> f64 {
    points
        .iter()
        .zip(&fit.assignments)
        .map(|(p, &a)| f64::from(dot(p, &fit.centroids[a])))
        .sum()
}

/// The best of `restarts` fits (seeds `seed`, `seed + 1`, ...) by [`cohesion`]: one
/// k-means++ start can settle in a poor local optimum, several rarely all do.
pub fn fit_best(
    points: &[Vec<f32>],
    k: usize,
    seed: u64,
    max_iterations: usize,
    restarts: u64,
) -> Fit {
    let mut best: Option<(f64, Fit)> = None;
    for s in seed..seed + restarts.max(1) {
        let f = fit(points, k, s, max_iterations);
        let c = cohesion(points, &f);
        if best.as_ref().is_none_or(|(b, _)| c > *b) {
            best = Some((c, f));
        }
    }
    best.map(|(_, f)| f)
        .unwrap_or_else(|| fit(points, k, seed, max_iterations))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` points around each of the given directions.
    fn blobs(directions: &[[f32; 3]], n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut points = Vec::new();
        let mut truth = Vec::new();
        for (i, d) in directions.iter().enumerate() {
            for _ in 0..n {
                let mut p: Vec<f32> = d.iter().map(|x| x + rng.gen_range(-0.15..0.15)).collect();
                normalise(&mut p);
                points.push(p);
                truth.push(i);
            }
        }
        (points, truth)
    }

    #[test]
    fn separates_clear_groups_and_repeats_with_its_seed() {
        let (points, truth) = blobs(&[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], 30, 1);
        let fit1 = fit(&points, 3, 7, 50);
        // every true group lands in one cluster, a different one each
        let mut seen = std::collections::HashSet::new();
        for g in 0..3 {
            let clusters: std::collections::HashSet<usize> = truth
                .iter()
                .zip(&fit1.assignments)
                .filter(|(t, _)| **t == g)
                .map(|(_, a)| *a)
                .collect();
            assert_eq!(clusters.len(), 1, "group {g} split: {clusters:?}");
            assert!(seen.insert(*clusters.iter().next().expect("one")));
        }
        assert_eq!(fit(&points, 3, 7, 50), fit1, "the same seed, the same fit");
        for c in &fit1.centroids {
            assert!((dot(c, c) - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn restarts_never_do_worse_than_the_first_start() {
        let (points, _) = blobs(
            &[
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0],
                [0.6, 0.6, 0.0],
            ],
            8,
            5,
        );
        for seed in 0..10 {
            let one = fit(&points, 4, seed, 50);
            let best = fit_best(&points, 4, seed, 50, 5);
            assert!(cohesion(&points, &best) >= cohesion(&points, &one) - 1e-9);
        }
    }

    #[test]
    fn never_leaves_a_cluster_empty_and_copes_with_tiny_inputs() {
        let (points, _) = blobs(&[[1.0, 0.0, 0.0]], 10, 2);
        let f = fit(&points, 4, 3, 50);
        for c in 0..4 {
            assert!(f.assignments.contains(&c), "cluster {c} empty");
        }
        assert_eq!(fit(&points[..2], 5, 1, 10).centroids.len(), 2);
        assert!(fit(&[], 3, 1, 10).centroids.is_empty());
        let same = vec![vec![1.0, 0.0]; 5];
        assert_eq!(fit(&same, 2, 1, 10).assignments.len(), 5);
    }
}
