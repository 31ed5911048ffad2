//! ROUGE as Google's `rouge-score` computes it (`RougeScorer(['rouge1', 'rouge2',
//! 'rougeL'], use_stemmer=True)`): lower case, every run of characters other than
//! `a-z0-9` a separator, words longer than 3 letters stemmed, then ROUGE-N as clipped
//! n-gram overlap and ROUGE-L as the longest common subsequence of the whole texts
//! (not per sentence), each as precision, recall and their F1. One difference: the
//! stemmer is Snowball English (Porter2), where rouge-score runs NLTK's Porter; the
//! two disagree on a few suffixes (tests hold the published examples; BENCHMARKS.md
//! says how far the figures moved on the evaluation).

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Score {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Score {
    fn of(overlap: usize, predicted: usize, target: usize) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let (o, p, t) = (
            overlap as f64,
            predicted.max(1) as f64,
            target.max(1) as f64,
        );
        let (precision, recall) = (o / p, o / t);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Self {
            precision,
            recall,
            f1,
        }
    }
}

/// ROUGE-1, ROUGE-2 and ROUGE-L of one prediction against one target.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rouge {
    pub rouge1: Score,
    pub rouge2: Score,
    pub rouge_l: Score,
}

/// Scores texts as rouge-score does.
pub struct Scorer {
    stemmer: Stemmer,
}

impl Default for Scorer {
    fn default() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scorer")
    }
}

impl Scorer {
    /// The tokens rouge-score compares.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        text.to_lowercase()
            .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
            .filter(|t| !t.is_empty())
            .map(|t| {
                if t.len() > 3 {
                    self.stemmer.stem(t).into_owned()
                } else {
                    t.to_owned()
                }
            })
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// `prediction` scored against `target`.
    pub fn score(&self, target: &str, prediction: &str) -> Rouge {
        let t = self.tokens(target);
        let p = self.tokens(prediction);
        Rouge {
            rouge1: ngram(&t, &p, 1),
            rouge2: ngram(&t, &p, 2),
            rouge_l: lcs_score(&t, &p),
        }
    }
}

fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut m = HashMap::new();
    for w in tokens.windows(n) {
        *m.entry(w).or_default() += 1;
    }
    m
}

fn ngram(target: &[String], prediction: &[String], n: usize) -> Score {
    let t = ngrams(target, n);
    let p = ngrams(prediction, n);
    let overlap = t
        .iter()
        .map(|(g, c)| (*c).min(p.get(g).copied().unwrap_or(0)))
        .sum();
    Score::of(overlap, p.values().sum(), t.values().sum())
}

fn lcs_score(target: &[String], prediction: &[String]) -> Score {
    // one row at a time: the table is target × prediction long
    let mut prev = vec![0usize; prediction.len() + 1];
    let mut row = vec![0usize; prediction.len() + 1];
    for a in target {
        for (j, b) in prediction.iter().enumerate() {
            row[j + 1] = if a == b {
                prev[j] + 1
            } else {
                row[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut row);
    }
    let lcs = prev[prediction.len()];
    Score::of(lcs, prediction.len(), target.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn the_published_example() {
        // rouge-score's README: score('The quick brown fox jumps over the lazy dog',
        // 'The quick brown dog jumps on the log.')
        let r = Scorer::default().score(
            "The quick brown fox jumps over the lazy dog",
            "The quick brown dog jumps on the log.",
        );
        assert!(close(r.rouge1.precision, 0.75) && close(r.rouge1.recall, 0.666_666_7));
        assert!(close(r.rouge1.f1, 0.705_882_4), "{r:?}");
        assert!(close(r.rouge2.precision, 0.285_714_3) && close(r.rouge2.recall, 0.25));
        assert!(close(r.rouge2.f1, 0.266_666_7), "{r:?}");
        assert!(close(r.rouge_l.precision, 0.625) && close(r.rouge_l.recall, 0.555_555_6));
        assert!(close(r.rouge_l.f1, 0.588_235_3), "{r:?}");
    }

    #[test]
    fn stemmed_words_match_as_rouge_score_matches_them() {
        // rouge-score 0.1.2 (nltk Porter) on this pair: R-1 0.69565, R-2 0.19048, R-L 0.52174
        let r = Scorer::default().score(
            "We propose a method for generating summaries of scientific papers using graphs.",
            "Our methods generate summaries of papers; the proposed graphs are scientific.",
        );
        assert!(close(r.rouge1.f1, 0.695_652_2), "{r:?}");
        assert!(close(r.rouge2.f1, 0.190_476_2), "{r:?}");
        assert!(close(r.rouge_l.f1, 0.521_739_1), "{r:?}");
    }

    #[test]
    fn tokens_as_rouge_score_makes_them() {
        let s = Scorer::default();
        // non-alphanumerics separate, short words are not stemmed, accents drop out
        assert_eq!(
            s.tokens("Re-ranking cats' über 3.5"),
            ["re", "rank", "cat", "ber", "3", "5"]
        );
        let same = s.score("abc", "abc");
        assert!(close(same.rouge1.f1, 1.0) && close(same.rouge_l.f1, 1.0));
        let none = s.score("abc", "");
        assert!(close(none.rouge1.f1, 0.0));
    }
}
