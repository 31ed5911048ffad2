//! Ranking sentences, pure: each sentence a TF-IDF vector of its stemmed words (stop
//! words left out; IDF over the document's sentences), a graph of their cosine
//! similarities ranked by PageRank (TextRank with TF-IDF weights, as continuous
//! LexRank; or any other [`Similarity`], the sentences' embeddings), then a greedy choice under a length budget with maximal marginal
//! relevance: each next sentence the best by `λ · rank − (1 − λ) · similarity to the
//! chosen`, so two near-identical sentences are not both taken.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

/// A sparse vector: (term, weight), terms ascending, L2-normalised.
pub type Sparse = Vec<(u32, f32)>;

const STOP: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out",
    "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "you", "your", "yes", "may", "might", "must", "shall",
    "one", "two", "use", "used", "using", "et", "al",
];

/// Words as the ranking sees them: lower case, letters and digits, stop words and
/// numbers left out, stemmed (Snowball English).
pub struct Words {
    stemmer: Stemmer,
}

impl Default for Words {
    fn default() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Words")
    }
}

impl Words {
    pub fn of(&self, s: &str) -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 1 && !w.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_lowercase)
            .filter(|w| !STOP.contains(&w.as_str()))
            .map(|w| self.stemmer.stem(&w).into_owned())
            .collect()
    }
}

/// TF-IDF vectors of the sentences (their words), IDF `ln(1 + n / df)` over them.
pub fn tfidf(sentences: &[Vec<String>]) -> Vec<Sparse> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut df: Vec<u32> = Vec::new();
    let counted: Vec<HashMap<u32, u32>> = sentences
        .iter()
        .map(|words| {
            let mut tf: HashMap<u32, u32> = HashMap::new();
            for w in words {
                let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                let id = *ids.entry(w.as_str()).or_insert(next);
                if id as usize == df.len() {
                    df.push(0);
                }
                let c = tf.entry(id).or_default();
                if *c == 0 {
                    df[id as usize] += 1;
                }
                *c += 1;
            }
            tf
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let n = sentences.len() as f32;
    counted
        .into_iter()
        .map(|tf| {
            #[allow(clippy::cast_precision_loss)]
            let mut v: Sparse = tf
                .into_iter()
                .map(|(id, c)| (id, c as f32 * (1.0 + n / df[id as usize] as f32).ln()))
                .collect();
            v.sort_unstable_by_key(|(id, _)| *id);
            let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            v
        })
        .collect()
}

/// The cosine of two normalised sparse vectors.
pub fn cosine(a: &Sparse, b: &Sparse) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// Pairwise similarities of `n` sentences, row-major, the diagonal 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Similarity {
    pub n: usize,
    values: Vec<f64>,
}

impl Similarity {
    /// From any symmetric similarity of sentence `i` and `j` (negative ones as 0).
    pub fn from_fn(n: usize, f: impl Fn(usize, usize) -> f64) -> Self {
        let mut values = vec![0f64; n * n];
        for i in 0..n {
            for j in i + 1..n {
                let s = f(i, j).max(0.0);
                values[i * n + j] = s;
                values[j * n + i] = s;
            }
        }
        Self { n, values }
    }

    /// The TF-IDF cosines.
    pub fn tfidf(vectors: &[Sparse]) -> Self {
        Self::from_fn(vectors.len(), |i, j| {
            f64::from(cosine(&vectors[i], &vectors[j]))
        })
    }

    /// Dot products of L2-normalised dense vectors (sentence embeddings).
    pub fn dense(vectors: &[Vec<f32>]) -> Self {
        Self::from_fn(vectors.len(), |i, j| {
            f64::from(
                vectors[i]
                    .iter()
                    .zip(&vectors[j])
                    .map(|(a, b)| a * b)
                    .sum::<f32>(),
            )
        })
    }

    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.values[i * self.n + j]
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.n..(i + 1) * self.n]
    }
}

/// PageRank over the similarity graph (no self loops), damping 0.85, until the ranks
/// change by less than 1e-6 or 100 iterations; ranks sum to 1.
pub fn textrank(sim: &Similarity) -> Vec<f64> {
    let n = sim.n;
    if n == 0 {
        return Vec::new();
    }
    let out: Vec<f64> = (0..n).map(|i| sim.row(i).iter().sum()).collect();
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let mut rank = vec![1.0 / nf; n];
    for _ in 0..100 {
        let mut next = vec![0.15 / nf; n];
        for (i, r) in rank.iter().enumerate() {
            if out[i] == 0.0 {
                // a sentence like no other spreads its rank evenly
                next.iter_mut().for_each(|x| *x += 0.85 * r / nf);
                continue;
            }
            let share = 0.85 * r / out[i];
            for (x, s) in next.iter_mut().zip(sim.row(i)) {
                *x += share * s;
            }
        }
        let delta: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if delta < 1e-6 {
            break;
        }
    }
    rank
}

/// Sentences at least this similar to a chosen one are never chosen.
pub const NEAR_COPY: f64 = 0.9;

/// The chosen sentences' indices, in document order: greedy by maximal marginal
/// relevance (`lambda` between rank, scaled to 0..1, and redundancy), each taken
/// only while the summary stays within `budget` chars and `max_sentences`; the
/// best-ranked sentence is taken even when it alone is longer; a near copy of a
/// chosen sentence never.
pub fn choose(
    scores: &[f64],
    sim: &Similarity,
    lengths: &[usize],
    budget: usize,
    max_sentences: usize,
    lambda: f64,
) -> Vec<usize> {
    let top = scores.iter().copied().fold(0f64, f64::max);
    let scaled: Vec<f64> = scores
        .iter()
        .map(|s| if top > 0.0 { s / top } else { 0.0 })
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut used = 0usize;
    let mut left: Vec<usize> = (0..scores.len()).collect();
    while chosen.len() < max_sentences && !left.is_empty() {
        let mut best: Option<(f64, usize)> = None;
        for (pos, &i) in left.iter().enumerate() {
            if !chosen.is_empty() && used + lengths[i] + 1 > budget {
                continue;
            }
            let redundancy = chosen.iter().map(|&c| sim.get(i, c)).fold(0f64, f64::max);
            if redundancy >= NEAR_COPY {
                continue;
            }
            let value = lambda * scaled[i] - (1.0 - lambda) * redundancy;
            if best.is_none_or(|(b, _)| value > b) {
                best = Some((value, pos));
            }
        }
        let Some((_, pos)) = best else { break };
        let i = left.swap_remove(pos);
        used += lengths[i] + usize::from(!chosen.is_empty());
        chosen.push(i);
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors(sentences: &[&str]) -> Similarity {
        let w = Words::default();
        Similarity::tfidf(&tfidf(
            &sentences.iter().map(|s| w.of(s)).collect::<Vec<_>>(),
        ))
    }

    #[test]
    fn words_are_stemmed_without_stop_words_or_numbers() {
        assert_eq!(
            Words::default().of("The companies were advertising cigarettes in 1998"),
            ["compani", "advertis", "cigarett"]
        );
    }

    #[test]
    fn the_sentence_most_like_the_others_ranks_first() {
        let v = vectors(&[
            "Cigarette advertising reached young smokers.",
            "Advertising of cigarettes to young smokers grew.",
            "Young smokers saw cigarette advertising in magazines.",
            "The weather in Richmond was mild.",
        ]);
        let r = textrank(&v);
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        let last = r[3];
        assert!(r[..3].iter().all(|x| *x > last), "{r:?}");
    }

    #[test]
    fn a_near_copy_is_not_chosen_twice_and_the_budget_holds() {
        let s = [
            "Sales fell after the settlement restricted advertising.",
            "Sales fell after the settlement restricted advertising, he said.",
            "Punitive damages would devastate the company.",
        ];
        let v = vectors(&s);
        let lengths: Vec<usize> = s.iter().map(|x| x.len()).collect();
        let chosen = choose(&[1.0, 0.99, 0.5], &v, &lengths, 200, 2, 0.6);
        assert_eq!(chosen, [0, 2], "the near copy left out");
        // only copies: one is taken, however much budget is left
        let same = vectors(&[s[0], s[0], s[0]]);
        assert_eq!(choose(&[1.0, 1.0, 1.0], &same, &lengths, 500, 3, 1.0), [0]);
        let chosen = choose(&[1.0, 0.99, 0.5], &v, &lengths, 60, 3, 0.6);
        assert_eq!(chosen, [0], "the second does not fit in 60 chars");
        let one = vectors(&s[..1]);
        assert_eq!(
            choose(&[1.0], &one, &[500], 10, 3, 0.6),
            [0],
            "the best even when long"
        );
        // dense similarities: dot products of normalised vectors, negatives as 0
        let d = Similarity::dense(&[vec![1.0, 0.0], vec![0.8, 0.6], vec![-1.0, 0.0]]);
        assert!((d.get(0, 1) - 0.8).abs() < 1e-6);
        assert!(d.get(0, 2) == 0.0 && d.get(1, 1) == 0.0);
    }
}
