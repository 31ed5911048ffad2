//! Generated click sessions over the sample collections' documents (the demo's 300
//! tobacco documents `tobacco:dmo00000`… and 30 theses `etd:10919/900000`…), for the
//! recommender's evaluation: documents belong to 12 topics (by index), some topics are
//! more read than others, within a topic a few documents are opened most (Zipf); a
//! user follows one topic through a session of 2 to 9 clicks, with clicks on the
//! library's five most popular documents (the front page) and on random documents as
//! noise in between.

const TOBACCO: usize = 300;
const ETDS: usize = 30;
const TOPICS: usize = 12;
/// The front page's documents, of five different topics.
const FRONT: [usize; 5] = [0, 13, 26, 39, 52];
/// A click's chance to be in the session's topic, and on the front page (the rest is
/// on a random document).
const IN_TOPIC: f64 = 0.7;
const ON_FRONT: f64 = 0.15;
/// The Zipf exponents: of topics' readership, within a topic, of the front page.
const TOPIC_S: f64 = 0.5;
const WITHIN_S: f64 = 1.0;
const FRONT_S: f64 = 0.3;

/// Weights `1 / (i + 1)^s` over `n`, summing to 1.
fn zipf_weights(n: usize, s: f64) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    let w: Vec<f64> = (0..n).map(|i| 1.0 / ((i + 1) as f64).powf(s)).collect();
    let total: f64 = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}

/// Every document's chance to be a click of a session of `topic`.
fn click_chances(topic: usize) -> Vec<f64> {
    let n = TOBACCO + ETDS;
    #[allow(clippy::cast_precision_loss)]
    let mut p = vec![(1.0 - IN_TOPIC - ON_FRONT) / n as f64; n];
    let members: Vec<usize> = (0..n).filter(|i| i % TOPICS == topic).collect();
    for (w, &i) in zipf_weights(members.len(), WITHIN_S).iter().zip(&members) {
        p[i] += IN_TOPIC * w;
    }
    for (w, &i) in zipf_weights(FRONT.len(), FRONT_S).iter().zip(&FRONT) {
        p[i] += ON_FRONT * w;
    }
    p
}

/// What any method can reach on these sessions, at `k`: the clicks of a session are
/// drawn independently given its topic, so no method predicts a next click better than
/// one that knows the topic and names its `k` likeliest documents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceiling {
    /// The expected hit rate of the method that knows each session's topic.
    pub best: f64,
    /// The expected hit rate of the `k` most clicked documents overall.
    pub popularity: f64,
}

/// [`Ceiling`] at `k`, from the generator's own distributions.
pub fn ceiling(k: usize) -> Ceiling {
    let top = |mut p: Vec<f64>| -> f64 {
        p.sort_by(|a, b| b.total_cmp(a));
        p.iter().take(k).sum()
    };
    let readership = zipf_weights(TOPICS, TOPIC_S);
    let mut overall = vec![0.0; TOBACCO + ETDS];
    let mut best = 0.0;
    for (t, r) in readership.iter().enumerate() {
        let p = click_chances(t);
        for (o, x) in overall.iter_mut().zip(&p) {
            *o += r * x;
        }
        best += r * top(p);
    }
    Ceiling {
        best,
        popularity: top(overall),
    }
}

/// The id of sample document `i`.
pub fn document_id(i: usize) -> String {
    if i < TOBACCO {
        format!("tobacco:dmo{i:05}")
    } else {
        format!("etd:10919/{}", 900_000 + i - TOBACCO)
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        #[allow(clippy::cast_precision_loss)]
        let x = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        x
    }

    /// An index drawn with weights `1 / (i + 1)^s` over `n`.
    fn zipf(&mut self, n: usize, s: f64) -> usize {
        #[allow(clippy::cast_precision_loss)]
        let weights: Vec<f64> = (0..n).map(|i| 1.0 / ((i + 1) as f64).powf(s)).collect();
        let total: f64 = weights.iter().sum();
        let mut x = self.next() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        n - 1
    }
}

/// `count` sessions from `seed`, each a list of document ids in click order.
pub fn sessions(count: usize, seed: u64) -> Vec<Vec<String>> {
    let n = TOBACCO + ETDS;
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7));
    let members: Vec<Vec<usize>> = (0..TOPICS)
        .map(|t| (0..n).filter(|i| i % TOPICS == t).collect())
        .collect();
    (0..count)
        .map(|_| {
            let topic = rng.zipf(TOPICS, TOPIC_S);
            let len = 2 + rng.zipf(8, 0.7);
            (0..len)
                .map(|_| {
                    let r = rng.next();
                    let i = if r < IN_TOPIC {
                        let m = &members[topic];
                        m[rng.zipf(m.len(), WITHIN_S)]
                    } else if r < IN_TOPIC + ON_FRONT {
                        // the front page: the five most opened documents of all
                        FRONT[rng.zipf(FRONT.len(), FRONT_S)]
                    } else {
                        #[allow(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            clippy::cast_precision_loss
                        )]
                        let i = (rng.next() * n as f64) as usize;
                        i.min(n - 1)
                    };
                    document_id(i)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_deterministic_follow_topics_and_use_sample_ids() {
        let a = sessions(200, 3);
        assert_eq!(a, sessions(200, 3));
        assert_ne!(a, sessions(200, 4));
        assert!(a.iter().all(|s| (2..=9).contains(&s.len())));
        assert!(a
            .iter()
            .flatten()
            .all(|d| d.starts_with("tobacco:dmo") || d.starts_with("etd:10919/9")));
        assert_eq!(document_id(300), "etd:10919/900000");
        // most clicks of a session share its most common topic
        let topic = |d: &str| -> usize {
            let i = (0..330)
                .find(|&i| document_id(i) == d)
                .expect("a sample id");
            i % TOPICS
        };
        let mut same = 0;
        let mut all = 0;
        for s in &a {
            let mut counts = [0usize; TOPICS];
            for d in s {
                counts[topic(d)] += 1;
            }
            same += counts.iter().max().copied().unwrap_or(0);
            all += s.len();
        }
        assert!(same * 10 >= all * 6, "{same} of {all}");
    }

    #[test]
    fn the_ceiling_is_what_the_generated_clicks_show() {
        let c = ceiling(20);
        assert!(c.best > c.popularity && c.best < 1.0, "{c:?}");
        // the popularity ceiling against the share of generated clicks on the 20 most
        // clicked documents
        let all: Vec<String> = sessions(20_000, 9).into_iter().flatten().collect();
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for d in &all {
            *counts.entry(d.as_str()).or_default() += 1;
        }
        let mut by: Vec<usize> = counts.into_values().collect();
        by.sort_unstable_by(|a, b| b.cmp(a));
        #[allow(clippy::cast_precision_loss)]
        let share = by.iter().take(20).sum::<usize>() as f64 / all.len() as f64;
        assert!((share - c.popularity).abs() < 0.02, "{share} against {c:?}");
    }
}
