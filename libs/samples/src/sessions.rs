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
            let topic = rng.zipf(TOPICS, 0.5);
            let len = 2 + rng.zipf(8, 0.7);
            (0..len)
                .map(|_| {
                    let r = rng.next();
                    let i = if r < 0.7 {
                        let m = &members[topic];
                        m[rng.zipf(m.len(), 1.0)]
                    } else if r < 0.85 {
                        // the front page: the five most opened documents of all
                        FRONT[rng.zipf(FRONT.len(), 0.3)]
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
}
