//! Related documents learned from sessions of clicks, without IO. [`CoClicks`] counts,
//! for every pair of documents opened in one session, a weight that falls with the
//! distance between the two clicks (`1 / distance`: adjacent clicks count most), and
//! scores a pair by cosine normalisation, `c(a, b) / √(n(a) · n(b))`, so a document
//! everybody opens does not become everybody's neighbour. A session contributes at most
//! `max_clicks` clicks (a bot cannot dominate). [`Popularity`] is the baseline: the
//! most clicked documents for everyone. [`evaluate`] measures both as the
//! session-based recommendation literature does: the next click after a session's
//! prefix, hit rate and MRR at a cut-off. [`stream`] is the same method as the
//! recommender service runs it, step by step on partitions' state; [`session`] turns
//! the related lists it publishes into a reader's session's list.

pub mod session;
pub mod stream;

use std::collections::HashMap;

/// How sessions are counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Clicks of one session counted at most (the first ones).
    pub max_clicks: usize,
    /// Pairs further apart than this in a session are not counted.
    pub window: usize,
    /// Related documents kept per document.
    pub max_related: usize,
    /// Added to the cosine's denominator: a pair seen once between two rarely opened
    /// documents (noise) does not outrank pairs with evidence.
    pub shrink: f64,
    /// How a pair is scored.
    pub score: Score,
}

/// The normalisation of co-click counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    /// `c(a, b) / √(n(a) · n(b))`.
    Cosine,
    /// Dunning's log-likelihood ratio of the pair's 2×2 table over sessions: how much
    /// more often the two are opened together than chance, with the evidence's weight.
    LogLikelihood,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_clicks: 50,
            window: 5,
            max_related: 20,
            shrink: 0.0,
            score: Score::Cosine,
        }
    }
}

/// Co-click counts of document pairs.
#[derive(Debug, Clone, Default)]
pub struct CoClicks {
    options: Options,
    ids: HashMap<String, u32>,
    names: Vec<String>,
    /// Per document: its clicks (sessions' weight).
    clicks: Vec<f64>,
    /// Per document: neighbour -> co-click weight.
    pairs: Vec<HashMap<u32, f64>>,
    sessions: f64,
}

impl CoClicks {
    pub fn new(options: Options) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    fn id(&mut self, doc: &str) -> u32 {
        if let Some(&i) = self.ids.get(doc) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(doc.to_owned(), i);
        self.names.push(doc.to_owned());
        self.clicks.push(0.0);
        self.pairs.push(HashMap::new());
        i
    }

    /// Counts one session's clicks, in order (a document opened twice in a row counts
    /// once).
    pub fn add_session<S: AsRef<str>>(&mut self, clicks: &[S]) {
        let mut seq: Vec<u32> = Vec::new();
        for c in clicks.iter().take(self.options.max_clicks) {
            let id = self.id(c.as_ref());
            if seq.last() != Some(&id) {
                seq.push(id);
            }
        }
        for &d in &seq {
            self.clicks[d as usize] += 1.0;
        }
        self.sessions += 1.0;
        for (i, &a) in seq.iter().enumerate() {
            for (k, &b) in seq.iter().enumerate().skip(i + 1).take(self.options.window) {
                if a == b {
                    continue;
                }
                #[allow(clippy::cast_precision_loss)]
                let w = 1.0 / (k - i) as f64;
                *self.pairs[a as usize].entry(b).or_default() += w;
                *self.pairs[b as usize].entry(a).or_default() += w;
            }
        }
    }

    /// Documents seen.
    pub fn documents(&self) -> usize {
        self.names.len()
    }

    /// Document pairs with a count.
    pub fn pairs(&self) -> usize {
        self.pairs.iter().map(HashMap::len).sum::<usize>() / 2
    }

    /// The documents related to `doc`, best first, at most `max_related`, with their
    /// scores (cosine-normalised co-clicks); ties by id, so the list is the same for
    /// the same counts.
    pub fn related(&self, doc: &str) -> Vec<(String, f64)> {
        let Some(&a) = self.ids.get(doc) else {
            return Vec::new();
        };
        let na = self.clicks[a as usize];
        let mut out: Vec<(u32, f64)> = self.pairs[a as usize]
            .iter()
            .map(|(&b, &c)| {
                let nb = self.clicks[b as usize];
                let s = match self.options.score {
                    Score::Cosine => c / ((na * nb).sqrt() + self.options.shrink).max(1e-9),
                    Score::LogLikelihood => llr(c, na, nb, self.sessions),
                };
                (b, s)
            })
            .collect();
        out.sort_by(|x, y| {
            y.1.total_cmp(&x.1)
                .then_with(|| self.names[x.0 as usize].cmp(&self.names[y.0 as usize]))
        });
        out.truncate(self.options.max_related);
        out.into_iter()
            .map(|(b, s)| (self.names[b as usize].clone(), s))
            .collect()
    }
}

fn x_log_x(x: f64) -> f64 {
    if x > 0.0 {
        x * x.ln()
    } else {
        0.0
    }
}

/// Dunning's G² of the 2×2 table: `k11` sessions with both, `na` and `nb` with each,
/// `n` in all; 0 when the pair occurs less often than chance.
fn llr(k11: f64, na: f64, nb: f64, n: f64) -> f64 {
    let k12 = (na - k11).max(0.0);
    let k21 = (nb - k11).max(0.0);
    let k22 = (n - na - nb + k11).max(0.0);
    if k11 * n < na * nb {
        return 0.0;
    }
    let total = k11 + k12 + k21 + k22;
    let matrix = x_log_x(total) - (x_log_x(k11) + x_log_x(k12) + x_log_x(k21) + x_log_x(k22));
    let rows = x_log_x(total) - (x_log_x(k11 + k12) + x_log_x(k21 + k22));
    let cols = x_log_x(total) - (x_log_x(k11 + k21) + x_log_x(k12 + k22));
    (2.0 * (rows + cols - matrix)).max(0.0)
}

/// The popularity baseline: documents by clicks.
#[derive(Debug, Clone, Default)]
pub struct Popularity {
    counts: HashMap<String, u64>,
}

impl Popularity {
    pub fn add_session<S: AsRef<str>>(&mut self, clicks: &[S]) {
        for c in clicks {
            *self.counts.entry(c.as_ref().to_owned()).or_default() += 1;
        }
    }

    /// The `n` most clicked, ties by id.
    pub fn top(&self, n: usize) -> Vec<String> {
        let mut all: Vec<(&String, &u64)> = self.counts.iter().collect();
        all.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        all.into_iter().take(n).map(|(d, _)| d.clone()).collect()
    }
}

/// Hit rate and mean reciprocal rank at a cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measured {
    pub hit_rate: f64,
    pub mrr: f64,
    pub cases: usize,
}

/// The next-click measure: for each test session of at least two clicks, the list a
/// method gives for the session's last-but-one click is compared with its last click;
/// hit when it is among the first `k`, reciprocal rank for MRR.
pub fn measure<S: AsRef<str>>(
    test: &[Vec<S>],
    k: usize,
    list: impl Fn(&str) -> Vec<String>,
) -> Measured {
    measure_sessions(test, k, |prefix| {
        prefix.last().map(|d| list(d.as_ref())).unwrap_or_default()
    })
}

/// [`measure`] for a method that is given the whole session but its last click (its
/// clicks in order, the last-but-one last).
pub fn measure_sessions<S: AsRef<str>>(
    test: &[Vec<S>],
    k: usize,
    list: impl Fn(&[S]) -> Vec<String>,
) -> Measured {
    let (mut hits, mut rr, mut cases) = (0usize, 0f64, 0usize);
    for s in test.iter().filter(|s| s.len() >= 2) {
        let last = s[s.len() - 1].as_ref();
        cases += 1;
        if let Some(pos) = list(&s[..s.len() - 1])
            .iter()
            .take(k)
            .position(|d| d == last)
        {
            hits += 1;
            #[allow(clippy::cast_precision_loss)]
            let r = 1.0 / (pos + 1) as f64;
            rr += r;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let n = cases.max(1) as f64;
    #[allow(clippy::cast_precision_loss)]
    Measured {
        hit_rate: hits as f64 / n,
        mrr: rr / n,
        cases,
    }
}

/// Both methods trained on `train` and on every test session but its last click, then
/// measured at `k`: (recommender, popularity).
pub fn evaluate<S: AsRef<str>>(
    train: &[Vec<S>],
    test: &[Vec<S>],
    k: usize,
    options: Options,
) -> (Measured, Measured) {
    let mut co = CoClicks::new(options);
    let mut pop = Popularity::default();
    for s in train {
        co.add_session(s);
        pop.add_session(s);
    }
    for s in test.iter().filter(|s| s.len() >= 2) {
        co.add_session(&s[..s.len() - 1]);
        pop.add_session(&s[..s.len() - 1]);
    }
    let top = pop.top(k + 1);
    let ours = measure(test, k, |d| {
        co.related(d).into_iter().map(|(r, _)| r).collect()
    });
    let baseline = measure(test, k, |d| {
        top.iter().filter(|t| *t != d).cloned().collect()
    });
    (ours, baseline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_opened_together_are_related_closest_first() {
        let mut c = CoClicks::new(Options::default());
        c.add_session(&["a", "b", "c"]);
        c.add_session(&["a", "b"]);
        c.add_session(&["x", "y"]);
        let r = c.related("a");
        assert_eq!(r[0].0, "b", "{r:?}");
        assert_eq!(r.len(), 2, "x and y were never opened with a");
        assert!(r[0].1 > r[1].1);
        assert!(c.related("nobody").is_empty());
        assert_eq!((c.documents(), c.pairs()), (5, 4));
    }

    #[test]
    fn a_popular_document_is_not_everybodys_neighbour() {
        let mut c = CoClicks::new(Options::default());
        // "home" is opened in every session; "a" and "b" only together
        for i in 0..20 {
            c.add_session(&["home", &format!("d{i}")]);
        }
        c.add_session(&["a", "home", "b"]);
        c.add_session(&["a", "b"]);
        let r = c.related("a");
        assert_eq!(r[0].0, "b", "{r:?}");
    }

    #[test]
    fn the_log_likelihood_ratio_rewards_pairs_above_chance() {
        // 100 sessions: a and b in 10 each, together in 8 (chance: 1)
        assert!(llr(8.0, 10.0, 10.0, 100.0) > 20.0);
        assert!(llr(8.0, 10.0, 10.0, 100.0) > llr(2.0, 10.0, 10.0, 100.0));
        assert!(llr(1.0, 50.0, 50.0, 100.0).abs() < 1e-12, "below chance");
        let mut c = CoClicks::new(Options {
            score: Score::LogLikelihood,
            ..Options::default()
        });
        for _ in 0..5 {
            c.add_session(&["a", "b"]);
            c.add_session(&["c", "d"]);
        }
        c.add_session(&["a", "c"]);
        assert_eq!(c.related("a")[0].0, "b");
    }

    #[test]
    fn a_bot_session_counts_only_its_first_clicks() {
        let mut c = CoClicks::new(Options {
            max_clicks: 3,
            ..Options::default()
        });
        let bot: Vec<String> = (0..1000).map(|i| format!("d{i}")).collect();
        c.add_session(&bot);
        assert_eq!(c.documents(), 3);
    }

    #[test]
    fn the_measures_count_the_next_click() {
        let test = vec![vec!["a", "b"], vec!["a", "c"], vec!["z"]];
        let m = measure(&test, 2, |d| {
            if d == "a" {
                vec!["c".into(), "b".into()]
            } else {
                vec![]
            }
        });
        assert_eq!(m.cases, 2);
        assert!((m.hit_rate - 1.0).abs() < 1e-9);
        assert!((m.mrr - 0.75).abs() < 1e-9, "1/2 and 1/1");
    }

    #[test]
    fn co_clicks_beat_popularity_when_sessions_follow_topics() {
        // two topics; sessions stay in one; the popular document is in neither
        let mut train = Vec::new();
        for i in 0..50 {
            let t = if i % 2 == 0 { "x" } else { "y" };
            train.push(vec![format!("{t}1"), format!("{t}2"), "pop".into()]);
            train.push(vec!["pop".to_owned(), "pop2".to_owned()]);
        }
        let test = vec![
            vec!["x1".to_owned(), "x2".to_owned()],
            vec!["y1".to_owned(), "y2".to_owned()],
        ];
        let (ours, pop) = evaluate(&train, &test, 1, Options::default());
        assert!((ours.hit_rate - 1.0).abs() < 1e-9, "{ours:?}");
        assert!(pop.hit_rate < 0.5, "{pop:?}");
    }
}
