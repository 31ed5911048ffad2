//! The chaos suite's arithmetic, pure: a service's rate from sampled counters, the
//! recovery time after a fault, percentiles, and which fault a document belongs to.

use std::time::Duration;

/// A counter sampled over time: (seconds since the run began, value).
pub type Samples = [(f64, i64)];

/// The rate of `samples` over `[from, to]` (per second), from the last sample at or
/// before each end; `None` when the samples do not cover both ends.
pub fn rate(samples: &Samples, from: f64, to: f64) -> Option<f64> {
    let at = |t: f64| samples.iter().rev().find(|(s, _)| *s <= t).map(|(_, v)| *v);
    let (a, b) = (at(from)?, at(to)?);
    (to > from).then(|| (b - a) as f64 / (to - from))
}

/// The recovery time: from `fault` (seconds) to the end of the first window of
/// `window` seconds, starting at or after `fault`, whose rate is at least 90% of
/// `before`. A window must start after the fault, so work done before it never counts
/// as recovery (the earliest possible answer is `window`). `None`: not recovered
/// within the samples.
pub fn recovery(samples: &Samples, fault: f64, before: f64, window: f64) -> Option<Duration> {
    samples
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| *t >= fault + window)
        .find(|t| rate(samples, t - window, *t).is_some_and(|r| r >= 0.9 * before))
        .map(|t| Duration::from_secs_f64(t - fault))
}

/// The window a recovery is judged over: long enough to hold about six units of work
/// at the rate before (a slow service's counter moves in steps), and at least 2 s.
pub fn window_for(before: f64) -> f64 {
    if before <= 0.0 {
        return 2.0;
    }
    (6.0 / before).clamp(2.0, 10.0)
}

/// The `p`th percentile (0-100) of `values`, nearest rank; `None` when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.clamp(1, v.len().max(1)) - 1).copied()
}

/// Which of the `phases` (start, end in seconds, in order) holds time `t`: the last
/// one started at or before it, if `t` is before its end; `None` between phases.
pub fn phase_of(phases: &[(f64, f64)], t: f64) -> Option<usize> {
    phases
        .iter()
        .rposition(|(start, _)| *start <= t)
        .filter(|&i| t <= phases[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter moving `per_sec` a second, stopped between `stall.0` and `stall.1`,
    /// then catching up at twice the rate; sampled every 0.25 s.
    fn counter(per_sec: f64, stall: (f64, f64), until: f64) -> Vec<(f64, i64)> {
        let mut out = Vec::new();
        let (mut t, mut v) = (0.0, 0.0);
        while t <= until {
            out.push((t, v as i64));
            let speed = if t >= stall.0 && t < stall.1 {
                0.0
            } else if t >= stall.1 && t < stall.1 + 5.0 {
                2.0 * per_sec
            } else {
                per_sec
            };
            v += speed * 0.25;
            t += 0.25;
        }
        out
    }

    #[test]
    fn the_rate_is_read_between_the_samples_at_each_end() {
        let s = counter(100.0, (1e9, 1e9), 20.0);
        let r = rate(&s, 5.0, 15.0).expect("covered");
        assert!((r - 100.0).abs() < 1.0, "{r}");
        assert_eq!(rate(&s, -1.0, 5.0), None, "before the first sample");
        assert_eq!(rate(&s, 5.0, 5.0), None, "an empty window");
    }

    #[test]
    fn recovery_ends_in_the_first_window_back_at_ninety_percent() {
        // stalled from 10 s to 14 s: the first full window at speed ends near 16 s
        let s = counter(100.0, (10.0, 14.0), 40.0);
        let r = recovery(&s, 10.0, 100.0, 2.0)
            .expect("recovered")
            .as_secs_f64();
        assert!((5.0..=6.5).contains(&r), "{r}");
        // no stall: the earliest answer is the window itself, never 0
        let s = counter(100.0, (1e9, 1e9), 40.0);
        let r = recovery(&s, 10.0, 100.0, 2.0)
            .expect("recovered")
            .as_secs_f64();
        assert!((r - 2.0).abs() < 0.01, "{r}");
        // stalled to the end: not recovered
        let s = counter(100.0, (10.0, 1e9), 40.0);
        assert_eq!(recovery(&s, 10.0, 100.0, 2.0), None);
    }

    #[test]
    fn a_slow_counter_is_judged_over_a_longer_window() {
        assert_eq!(window_for(100.0), 2.0);
        assert_eq!(window_for(2.0), 3.0);
        assert_eq!(window_for(0.1), 10.0);
        assert_eq!(window_for(0.0), 2.0);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(3.0));
        assert_eq!(percentile(&v, 100.0), Some(5.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn a_time_belongs_to_the_phase_running_then() {
        let phases = [(10.0, 20.0), (30.0, 40.0)];
        assert_eq!(phase_of(&phases, 5.0), None);
        assert_eq!(phase_of(&phases, 10.0), Some(0));
        assert_eq!(phase_of(&phases, 25.0), None);
        assert_eq!(phase_of(&phases, 35.0), Some(1));
        assert_eq!(phase_of(&phases, 41.0), None);
    }
}
