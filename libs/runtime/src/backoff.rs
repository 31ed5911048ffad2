//! Exponential backoff with full jitter for transient failures.

use std::time::Duration;

use rand::Rng;

/// How often and how long to retry a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Attempts before a message is dead-lettered as `exhausted`; 0 retries forever.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
            max_attempts: 10,
        }
    }
}

/// The retry state of one message.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    attempt: u32,
}

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Self {
        Self { policy, attempt: 0 }
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt, or `None` when the attempts are used up.
    /// Full jitter: uniform in [0, min(max, initial * 2^attempt)].
    pub fn next_delay(&mut self) -> Option<Duration> {
        self.attempt += 1;
        if self.policy.max_attempts != 0 && self.attempt >= self.policy.max_attempts {
            return None;
        }
        let exp = self.attempt.saturating_sub(1).min(30);
        let cap = self
            .policy
            .initial
            .saturating_mul(1u32 << exp)
            .min(self.policy.max);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(
            rand::thread_rng().gen_range(0..=nanos),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_under_the_cap_and_run_out() {
        let policy = RetryPolicy {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(50),
            max_attempts: 5,
        };
        let mut b = Backoff::new(policy);
        let caps = [10, 20, 40, 50];
        for cap in caps {
            let d = b.next_delay().expect("attempts left");
            assert!(d <= Duration::from_millis(cap), "{d:?} > {cap}ms");
        }
        assert_eq!(b.next_delay(), None);
        assert_eq!(b.attempts(), 5);
    }

    #[test]
    fn zero_attempts_means_forever() {
        let mut b = Backoff::new(RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        });
        for _ in 0..100 {
            assert!(b.next_delay().expect("forever") <= Duration::from_secs(30));
        }
    }
}
