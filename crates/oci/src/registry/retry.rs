//! [`RetryPolicy`]: deterministic exponential backoff bounded by a deadline.

use std::time::Duration;

/// When and how often a request is retried.
///
/// Retried: 5xx answers, 408, 429 and connections that fail or drop. The delay before retry
/// `n` (counting from 0) is `base_delay × 2ⁿ`, capped at `max_delay`; a `Retry-After` header
/// (seconds or an HTTP date) replaces it when longer. No jitter, so tests can predict delays.
/// A request is retried until `deadline` has passed since its first attempt, or `max_attempts`
/// were made; a delay that would end past the deadline is not waited for.
///
/// ```
/// use std::time::Duration;
/// use consign_oci::registry::RetryPolicy;
///
/// let p = RetryPolicy::default()
///     .base_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(1));
/// assert_eq!(p.delay(0, None), Duration::from_millis(100));
/// assert_eq!(p.delay(3, None), Duration::from_millis(800));
/// assert_eq!(p.delay(9, None), Duration::from_secs(1));
/// assert_eq!(p.delay(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) deadline: Duration,
    pub(crate) max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 200 ms doubling up to 10 s, for at most 2 minutes or 10 attempts per request.
    fn default() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_secs(120),
            max_attempts: 10,
        }
    }
}

impl RetryPolicy {
    /// No retries at all: one attempt per request.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The first delay.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> RetryPolicy {
        self.base_delay = delay;
        self
    }

    /// The longest delay backoff grows to (a longer `Retry-After` is still honoured).
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> RetryPolicy {
        self.max_delay = delay;
        self
    }

    /// How long after its first attempt a request may still be retried.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> RetryPolicy {
        self.deadline = deadline;
        self
    }

    /// The most attempts per request (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay before retry number `retry` (0 for the first retry), given the registry's
    /// `Retry-After`, if any.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let backoff = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        // A Retry-After past the deadline is the deadline: the caller gives up instead of
        // sleeping for it (or overflowing a clock with it).
        match retry_after {
            Some(wait) if wait > backoff => wait.min(self.deadline.max(backoff)),
            _ => backoff,
        }
    }
}

/// Whether an HTTP status is worth retrying.
pub(crate) fn status_is_transient(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default()
            .base_delay(Duration::from_millis(10))
            .max_delay(Duration::from_millis(70));
        let delays: Vec<u128> = (0..6).map(|n| p.delay(n, None).as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 70, 70, 70]);
        assert_eq!(p.delay(u32::MAX, None), Duration::from_millis(70));
        assert_eq!(RetryPolicy::none().max_attempts, 1);
        assert_eq!(RetryPolicy::none().max_attempts(0).max_attempts, 1);
    }

    proptest::proptest! {
        #[test]
        fn backoff_never_exceeds_the_cap(retry in 0u32..100, base in 1u64..10_000, cap in 1u64..100_000) {
            let p = RetryPolicy::default()
                .base_delay(Duration::from_millis(base))
                .max_delay(Duration::from_millis(cap));
            proptest::prop_assert!(p.delay(retry, None) <= Duration::from_millis(cap));
        }
    }

    #[test]
    fn transient_statuses() {
        assert!(status_is_transient(503) && status_is_transient(429));
        assert!(status_is_transient(408) && status_is_transient(599));
        assert!(!status_is_transient(404) && !status_is_transient(401));
    }
}
