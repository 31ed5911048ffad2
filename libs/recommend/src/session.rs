//! A reader's session's related documents from the lists the recommender publishes
//! per document: the session-based nearest neighbours of the literature (the whole
//! session, not only its last click, tells what the reader follows), computed from
//! what the search engine already holds. The lists of the session's most recent
//! documents are added up, the document being read weighing 1, the one before it
//! `decay`, then `decay²`…; each list's scores are scaled to its best (1), so a
//! document with strong evidence does not drown the others; a list of content
//! neighbours only (scores 0: nobody's clicks relate them yet) counts by rank, at a
//! tenth of that. Ties by id, so the same lists give the same order anywhere.

use std::collections::HashMap;

/// How a session's list is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Recent documents of a session whose lists count (the document read included).
    pub recent: usize,
    /// How much each earlier document counts against the one after it.
    pub decay: f64,
}

impl Options {
    /// Chosen on generated sessions of seed 3, not those BENCHMARKS.md reports (1 and
    /// 2): the best of recent 1/3/5/10 × decay 0.5/0.7/0.85/1. The search API's.
    pub const DEFAULT: Self = Self {
        recent: 10,
        decay: 0.85,
    };
}

impl Default for Options {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How a list of content neighbours only counts, against a co-click list.
const CONTENT: f64 = 0.1;

/// The session's list: `lists[0]` is the related list (id, score; best first) of the
/// document being read, `lists[1]` of the one read before it, and so on; `exclude`
/// (the document being read) is left out; at most `k`, best first.
pub fn combine(lists: &[Vec<(String, f32)>], decay: f64, exclude: &str, k: usize) -> Vec<String> {
    let mut score: HashMap<&str, f64> = HashMap::new();
    let mut weight = 1.0;
    for list in lists {
        let best = list.iter().map(|(_, s)| f64::from(*s)).fold(0.0, f64::max);
        for (rank, (id, s)) in list.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let part = if best > 0.0 {
                f64::from(*s) / best
            } else {
                CONTENT / (rank + 1) as f64
            };
            *score.entry(id.as_str()).or_default() += weight * part;
        }
        weight *= decay;
    }
    let mut ranked: Vec<(&str, f64)> = score.into_iter().filter(|(id, _)| *id != exclude).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(k)
        .map(|(id, _)| id.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, f32)]) -> Vec<(String, f32)> {
        items.iter().map(|(i, s)| ((*i).to_owned(), *s)).collect()
    }

    #[test]
    fn the_session_s_documents_vote_the_latest_most() {
        let reading = list(&[("x", 0.9), ("t1", 0.5)]);
        let before = list(&[("t1", 0.2), ("t2", 0.1)]);
        let earlier = list(&[("t2", 0.4), ("t1", 0.1)]);
        let got = combine(
            &[reading.clone(), before, earlier],
            Options::default().decay,
            "x",
            10,
        );
        // t1: 0.5/0.9 + 0.7 + 0.49·0.25; t2: 0.7·0.5 + 0.49; x is being read
        assert_eq!(got, ["t1", "t2"]);
        assert_eq!(
            combine(&[reading], Options::default().decay, "nothing", 1),
            ["x"]
        );
        assert!(combine(&[], Options::default().decay, "x", 5).is_empty());
    }

    #[test]
    fn content_neighbours_count_by_rank_below_co_clicks_and_ties_go_by_id() {
        let content = list(&[("c2", 0.0), ("c1", 0.0)]);
        let clicks = list(&[("d", 0.01)]);
        assert_eq!(
            combine(&[content.clone(), clicks], 1.0, "", 5),
            ["d", "c2", "c1"]
        );
        let tie = list(&[("b", 1.0), ("a", 1.0)]);
        assert_eq!(combine(&[tie], 1.0, "", 5), ["a", "b"]);
    }
}
