//! The first step, per session (the partition `logs` is keyed by): a session's recent
//! opened documents, and for each newly opened one the signals to the documents'
//! partitions: a `Click` and a `Pair` each way with every recent document of the
//! session, weighted 1/d for clicks d apart, marked `same_query` when both were opened
//! from the same search. A session ends after an idle gap; a session opening more
//! than the cap of events a minute (a bot) has the excess ignored. Pure.

use serde::{Deserialize, Serialize};

use super::signals::Signal;

/// The knobs of the session step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Milliseconds without an event after which a session starts again.
    pub idle_gap_ms: i64,
    /// Recent clicks a new one is paired with.
    pub window: usize,
    /// Events a session may make per minute; more are ignored.
    pub max_per_minute: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            idle_gap_ms: 30 * 60 * 1000,
            window: 10,
            max_per_minute: 60,
        }
    }
}

/// One recent click of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Click {
    pub doc: String,
    pub time: i64,
    /// The search it came from (its query id), if known.
    pub query: Option<String>,
}

/// What is kept per session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub clicks: Vec<Click>,
    pub last_time: i64,
    /// The minute (epoch minutes) counted and the events in it.
    pub minute: i64,
    pub in_minute: u32,
    /// The session's recent searches: query id and words ([`searched`]), so a click
    /// from one can say what it was searched for.
    #[serde(default)]
    pub searches: Vec<(String, String)>,
}

/// Searches a session remembers.
pub const SEARCHES: usize = 10;

/// A query's words as a key: lower case, spaces collapsed, at most 200 chars.
pub fn query_words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .chars()
        .take(200)
        .collect()
}

/// Remembers that the session searched `text` as query `id`.
pub fn searched(s: &mut Session, id: &str, text: &str) {
    let words = query_words(text);
    if id.is_empty() || words.is_empty() {
        return;
    }
    s.searches.retain(|(q, _)| q != id);
    s.searches.push((id.to_owned(), words));
    if s.searches.len() > SEARCHES {
        s.searches.remove(0);
    }
}

/// What an event came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Signals for the documents' partitions.
    Signals(Vec<Signal>),
    /// A search, or a document opened again in the session: nothing to send.
    Nothing,
    /// Past the session's cap this minute.
    Capped,
}

/// The time of an event in milliseconds since the epoch: RFC 3339 (the search API's),
/// or the old front end's `2019-11-08 19:26:49.530631` (UTC).
pub fn event_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// Counts an event against the session's cap; `false` when over it.
fn within_cap(s: &mut Session, time: i64, o: &Options) -> bool {
    let minute = time.div_euclid(60_000);
    if minute != s.minute {
        s.minute = minute;
        s.in_minute = 0;
    }
    s.in_minute += 1;
    s.in_minute <= o.max_per_minute
}

/// Applies one event to its session: `doc` opened (from search `query`) at `time`, or
/// a search (`doc` is `None`).
pub fn observe(
    s: &mut Session,
    doc: Option<&str>,
    query: Option<&str>,
    time: i64,
    o: &Options,
) -> Outcome {
    if !within_cap(s, time, o) {
        return Outcome::Capped;
    }
    if time - s.last_time > o.idle_gap_ms {
        s.clicks.clear();
    }
    s.last_time = s.last_time.max(time);
    let Some(doc) = doc else {
        return Outcome::Nothing;
    };
    if s.clicks.iter().any(|c| c.doc == doc) {
        return Outcome::Nothing;
    }
    let mut out = vec![Signal::Click {
        doc: doc.to_owned(),
        time,
    }];
    for (d, c) in s.clicks.iter().rev().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let weight = 1.0 / (d + 1) as f64;
        let same_query = query.is_some() && c.query.as_deref() == query;
        for (a, b) in [(&c.doc, doc), (&doc.to_owned(), c.doc.as_str())] {
            out.push(Signal::Pair {
                doc: a.clone(),
                other: b.to_owned(),
                weight,
                time,
                same_query,
            });
        }
    }
    // what it was searched for, for the documents opened for the same words elsewhere
    if let Some((_, words)) = query.and_then(|q| s.searches.iter().find(|(id, _)| id == q)) {
        out.push(Signal::Query {
            query: words.clone(),
            doc: doc.to_owned(),
            time,
        });
    }
    s.clicks.push(Click {
        doc: doc.to_owned(),
        time,
        query: query.map(str::to_owned),
    });
    if s.clicks.len() > o.window {
        s.clicks.remove(0);
    }
    Outcome::Signals(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(o: &Outcome) -> Vec<(String, String, f64, bool)> {
        let Outcome::Signals(s) = o else {
            return Vec::new();
        };
        s.iter()
            .filter_map(|s| match s {
                Signal::Pair {
                    doc,
                    other,
                    weight,
                    same_query,
                    ..
                } => Some((doc.clone(), other.clone(), *weight, *same_query)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_click_from_a_remembered_search_says_what_it_was_searched_for() {
        let o = Options::default();
        let mut s = Session::default();
        searched(&mut s, "q1", "  Youth   SMOKING ");
        searched(&mut s, "", "ignored");
        let out = observe(&mut s, Some("d1"), Some("q1"), 1000, &o);
        let Outcome::Signals(signals) = out else {
            panic!("{out:?}");
        };
        assert!(signals.contains(&Signal::Query {
            query: "youth smoking".into(),
            doc: "d1".into(),
            time: 1000
        }));
        // a click from a search the session did not see has no query signal
        let Outcome::Signals(other) = observe(&mut s, Some("d2"), Some("q9"), 2000, &o) else {
            panic!("signals");
        };
        assert!(!other.iter().any(|x| matches!(x, Signal::Query { .. })));
        for i in 0..20 {
            searched(&mut s, &format!("x{i}"), "more");
        }
        assert_eq!(s.searches.len(), SEARCHES);
    }

    #[test]
    fn clicks_pair_with_the_recent_ones_of_the_session_closer_weighing_more() {
        let o = Options::default();
        let mut s = Session::default();
        assert_eq!(observe(&mut s, None, None, 1_000, &o), Outcome::Nothing);
        let first = observe(&mut s, Some("a"), Some("q1"), 2_000, &o);
        assert_eq!(
            first,
            Outcome::Signals(vec![Signal::Click {
                doc: "a".into(),
                time: 2_000
            }])
        );
        observe(&mut s, Some("b"), Some("q2"), 3_000, &o);
        let third = observe(&mut s, Some("c"), Some("q2"), 4_000, &o);
        let p = pairs(&third);
        assert!(p.contains(&("b".into(), "c".into(), 1.0, true)), "{p:?}");
        assert!(p.contains(&("c".into(), "b".into(), 1.0, true)));
        assert!(p.contains(&("a".into(), "c".into(), 0.5, false)), "{p:?}");
        assert_eq!(
            observe(&mut s, Some("a"), None, 5_000, &o),
            Outcome::Nothing,
            "opened again"
        );
    }

    #[test]
    fn an_idle_gap_starts_a_new_session_and_a_bot_is_capped() {
        let o = Options {
            max_per_minute: 3,
            ..Options::default()
        };
        let mut s = Session::default();
        observe(&mut s, Some("a"), None, 0, &o);
        let later = observe(&mut s, Some("b"), None, o.idle_gap_ms + 1, &o);
        assert!(pairs(&later).is_empty(), "no pair across the gap");
        let t = 10 * o.idle_gap_ms;
        for (i, d) in ["x", "y", "z"].iter().enumerate() {
            assert_ne!(
                observe(&mut s, Some(d), None, t + i as i64, &o),
                Outcome::Capped
            );
        }
        assert_eq!(
            observe(&mut s, Some("w"), None, t + 10, &o),
            Outcome::Capped
        );
        assert_ne!(
            observe(&mut s, Some("w"), None, t + 60_000, &o),
            Outcome::Capped,
            "next minute"
        );
    }

    #[test]
    fn both_time_formats_are_read() {
        assert_eq!(event_time("1970-01-01T00:00:01.500Z"), Some(1_500));
        assert_eq!(event_time("1970-01-01 00:00:02.250000"), Some(2_250));
        assert_eq!(event_time("yesterday"), None);
    }
}
