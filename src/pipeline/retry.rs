//! When and how long to wait before trying a request again.
//!
//! The rule (also in the README): an operation the spec marks `x-credits-retry-safe: true` is
//! retried on connection failures, timeouts (of the answer or of its body) and 408, 429, 500,
//! 502, 503, 504. Any other
//! operation (grants, deductions, creates, usage records) is retried only when the request
//! provably did not reach the server (the connection could not be made) or on 429, so that a
//! retry can never grant or charge twice. Retrying a 429 assumes that the API rejects a
//! rate-limited request before processing it (INFERRED: the public reference does not say).

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How the transport retries failed requests.
///
/// ```
/// use std::time::Duration;
/// use credits_sdk::RetryPolicy;
///
/// let patient = RetryPolicy::default().max_attempts(5).max_elapsed(Duration::from_secs(60));
/// let never = RetryPolicy::disabled();
/// assert_eq!(never.attempts(), 1);
/// # let _ = patient;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts in all, backoff from 0.5 s doubling up to 8 s with full jitter, the whole
    /// call within 30 s, `Retry-After` honoured up to 60 s (when it fits in the budget).
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The number of attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff; each retry doubles it, up to [`max_backoff`](Self::max_backoff).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff between two attempts.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The total time budget of one call: attempts, the reading of their bodies and the waits
    /// between them all end within it. A retry starts only if its wait ends inside the
    /// budget, and each attempt's timeout is cut to what remains, so a stalled server cannot
    /// stretch a call beyond it. Default 30 s.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The number of attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn max_elapsed_time(&self) -> Duration {
        self.max_elapsed
    }

    /// Exponential backoff with full jitter before attempt `attempt + 1` (`attempt` ≥ 1).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let ceiling = self.initial_backoff.saturating_mul(1 << exponent).min(self.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }

    /// The wait a response asks for, if it asks for one this policy accepts. `Err(())` means
    /// it asks for longer than [`max_retry_after`](Self::max_retry_after).
    pub(crate) fn retry_after(&self, headers: &HeaderMap) -> Result<Option<Duration>, ()> {
        let Some(wait) = parse_retry_after(headers, SystemTime::now()) else { return Ok(None) };
        if wait > self.max_retry_after { Err(()) } else { Ok(Some(wait)) }
    }
}

/// Statuses worth trying again: the server may answer differently later.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Whether a response with `status` is retried for an operation of this safety.
pub(crate) fn should_retry_status(status: StatusCode, retry_safe: bool) -> bool {
    if retry_safe { is_retryable_status(status) } else { status == StatusCode::TOO_MANY_REQUESTS }
}

/// Whether a failed request is retried for an operation of this safety. For unsafe
/// operations only a failure to connect counts: the request was never sent.
pub(crate) fn should_retry_error(error: &reqwest::Error, retry_safe: bool) -> bool {
    if error.is_connect() {
        return true;
    }
    retry_safe && (error.is_timeout() || error.is_request() || error.is_body())
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(&headers("7"), now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&headers(&later), now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&headers(&earlier), now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&headers("soon"), now), None);
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_retry_after_longer_than_the_cap_ends_the_retries() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(policy.retry_after(&headers("5")), Ok(Some(Duration::from_secs(5))));
        assert_eq!(policy.retry_after(&headers("11")), Err(()));
    }

    #[test]
    fn backoff_grows_exponentially_within_the_cap_with_jitter() {
        let policy =
            RetryPolicy::default().initial_backoff(Duration::from_millis(100)).max_backoff(Duration::from_millis(250));
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(3) <= Duration::from_millis(250));
        }
        let samples: Vec<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(samples.iter().any(|d| *d != samples[0]), "full jitter varies the wait");
    }

    #[test]
    fn unsafe_operations_retry_only_429() {
        for code in [408, 500, 502, 503, 504] {
            let status = StatusCode::from_u16(code).unwrap();
            assert!(should_retry_status(status, true), "{code} safe");
            assert!(!should_retry_status(status, false), "{code} unsafe");
        }
        assert!(should_retry_status(StatusCode::TOO_MANY_REQUESTS, false));
        for code in [400, 401, 402, 404, 409, 501] {
            assert!(!should_retry_status(StatusCode::from_u16(code).unwrap(), true), "{code}");
        }
    }
}
