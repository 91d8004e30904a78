//! Fault injection for client tests: failing, delaying or dropping `/v1` requests on demand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` with error code `injected_fault` (and `Retry-After` when given). With
    /// `after_write`, the real handler runs first so its write is applied, then its response
    /// is replaced.
    Status {
        /// HTTP status, e.g. 503.
        status: u16,
        /// `Retry-After` header value, e.g. `"1"`.
        retry_after: Option<String>,
        /// Apply the request before failing it.
        after_write: bool,
    },
    /// Sleep, then handle the request normally.
    Delay(Duration),
    /// Close the connection without a response. With `after_write`, the handler runs first.
    DropConnection {
        /// Apply the request before dropping the connection.
        after_write: bool,
    },
}

impl Fault {
    /// A 503 with `Retry-After`, before any write.
    pub fn unavailable(retry_after: &str) -> Self {
        Fault::Status { status: 503, retry_after: Some(retry_after.to_owned()), after_write: false }
    }

    /// A 429 `Retry-After`, before any write.
    pub fn rate_limited(retry_after: &str) -> Self {
        Fault::Status { status: 429, retry_after: Some(retry_after.to_owned()), after_write: false }
    }
}

/// The JSON form of a [`Fault`] used by `POST /_sandbox/faults`:
/// `{"kind": "status", "status": 503, "retryAfter": "1", "afterWrite": false}`,
/// `{"kind": "delay", "ms": 250}`, `{"kind": "drop_connection", "afterWrite": true}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultSpec {
    /// See [`Fault::Status`].
    Status {
        /// HTTP status (400..=599).
        status: u16,
        /// `Retry-After` value.
        #[serde(default, rename = "retryAfter")]
        retry_after: Option<String>,
        /// Apply the request first.
        #[serde(default, rename = "afterWrite")]
        after_write: bool,
    },
    /// See [`Fault::Delay`].
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// See [`Fault::DropConnection`].
    DropConnection {
        /// Apply the request first.
        #[serde(default, rename = "afterWrite")]
        after_write: bool,
    },
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Status { status, retry_after, after_write } => {
                Fault::Status { status, retry_after, after_write }
            }
            FaultSpec::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultSpec::DropConnection { after_write } => Fault::DropConnection { after_write },
        }
    }
}

#[derive(Debug, Default)]
struct Plan {
    next: Vec<(usize, Fault)>,
    random: Option<(f64, Vec<Fault>, fastrand::Rng)>,
}

#[derive(Debug, Default)]
struct Shared {
    plan: Mutex<Plan>,
    injected: AtomicU64,
}

/// A cloneable handle on a sandbox's fault plan. Faults are off until set.
#[derive(Debug, Clone, Default)]
pub struct FaultHandle {
    shared: Arc<Shared>,
}

impl FaultHandle {
    fn plan(&self) -> MutexGuard<'_, Plan> {
        self.shared.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `fault` to the next `n` `/v1` requests (queued after faults already set).
    pub fn fail_next(&self, n: usize, fault: Fault) {
        if n > 0 {
            self.plan().next.push((n, fault));
        }
    }

    /// Applies one of `faults`, chosen at random, to each `/v1` request with probability
    /// `rate`. The choice is deterministic for a given `seed`.
    pub fn set_random(&self, rate: f64, faults: Vec<Fault>, seed: u64) {
        let rate = if rate.is_finite() { rate.clamp(0.0, 1.0) } else { 0.0 };
        self.plan().random = (!faults.is_empty()).then(|| (rate, faults, fastrand::Rng::with_seed(seed)));
    }

    /// Removes every planned fault.
    pub fn clear(&self) {
        let mut plan = self.plan();
        plan.next.clear();
        plan.random = None;
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> u64 {
        self.shared.injected.load(Ordering::Relaxed)
    }

    /// The fault for the request now arriving, if any; counts it as injected.
    pub(crate) fn take(&self) -> Option<Fault> {
        let mut plan = self.plan();
        let fault = if let Some((count, fault)) = plan.next.first_mut() {
            let fault = fault.clone();
            *count -= 1;
            if *count == 0 {
                plan.next.remove(0);
            }
            Some(fault)
        } else if let Some((rate, faults, rng)) = plan.random.as_mut() {
            (rng.f64() < *rate).then(|| faults[rng.usize(..faults.len())].clone())
        } else {
            None
        };
        if fault.is_some() {
            self.shared.injected.fetch_add(1, Ordering::Relaxed);
        }
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_applies_to_exactly_n_requests() {
        let faults = FaultHandle::default();
        faults.fail_next(2, Fault::unavailable("1"));
        assert!(faults.take().is_some());
        assert!(faults.take().is_some());
        assert!(faults.take().is_none());
        assert_eq!(faults.injected(), 2);
    }

    #[test]
    fn random_faults_are_deterministic_for_a_seed() {
        let pattern = |seed| {
            let faults = FaultHandle::default();
            faults.set_random(0.5, vec![Fault::unavailable("1")], seed);
            (0..32).map(|_| faults.take().is_some()).collect::<Vec<_>>()
        };
        assert_eq!(pattern(7), pattern(7));
        assert!(pattern(7).contains(&true) && pattern(7).contains(&false));
    }
}
