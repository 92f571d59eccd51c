//! Retry policy: exponential backoff with jitter, `Retry-After`, and which failures are retried.

use std::time::Duration;

use rand::Rng;

/// When and how long to retry. Built from the config's `retry` section.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total tries including the first (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub base_delay: Duration,
    /// Upper bound of any computed delay.
    pub max_delay: Duration,
    /// Random spread, as a fraction of the delay (0 = none, 0.2 = ±20%).
    pub jitter: f64,
    /// HTTP statuses that are retried.
    pub retry_statuses: Vec<u16>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_millis(2500),
            jitter: 0.2,
            retry_statuses: vec![429, 500, 502, 503, 504],
        }
    }
}

/// `Retry-After` is honoured up to this bound, so a misbehaving server cannot stall us for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// Whether `status` is in the retried set.
    pub fn retries_status(&self, status: u16) -> bool {
        self.retry_statuses.contains(&status)
    }

    /// Delay before retry number `attempt` (1 = after the first failure). A server-given
    /// `Retry-After` wins over the computed backoff.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(MAX_RETRY_AFTER);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let d = exp.min(self.max_delay);
        if self.jitter <= 0.0 || d.is_zero() {
            return d;
        }
        let spread = d.as_secs_f64() * self.jitter.min(1.0);
        let offset = rand::rng().random_range(-spread..=spread);
        Duration::from_secs_f64((d.as_secs_f64() + offset).max(0.0))
    }
}

/// Parses a `Retry-After` header: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_and_capped() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..Default::default()
        };
        assert_eq!(p.backoff(1, None), Duration::from_millis(200));
        assert_eq!(p.backoff(2, None), Duration::from_millis(400));
        assert_eq!(p.backoff(3, None), Duration::from_millis(800));
        assert_eq!(p.backoff(10, None), Duration::from_millis(2500));
    }

    #[test]
    fn jitter_stays_in_band() {
        let p = RetryPolicy::default();
        for _ in 0..100 {
            let d = p.backoff(1, None).as_secs_f64();
            assert!((0.16..=0.24).contains(&d), "{d}");
        }
    }

    #[test]
    fn retry_after_wins_and_is_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(9999))),
            MAX_RETRY_AFTER
        );
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
