//! The sandbox's clock. Everything time-based reads it: reservation expiry, `createdAt` and
//! `updatedAt`, date filters and plan periods.
//!
//! By default it is the wall clock. A manual clock ([`SandboxBuilder::manual_clock`]) starts
//! at a given instant and moves only when told ([`Sandbox::advance`], [`Sandbox::set_time`],
//! `POST /_sandbox/clock`). The wall clock can be moved forward too: it then keeps ticking
//! from the later time. Time never goes backwards.
//!
//! [`SandboxBuilder::manual_clock`]: crate::SandboxBuilder::manual_clock
//! [`Sandbox::advance`]: crate::Sandbox::advance
//! [`Sandbox::set_time`]: crate::Sandbox::set_time

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// The furthest a single move may take the clock: 200 years, far beyond any test, and well
/// inside what timestamps can hold.
pub const MAX_CLOCK_STEP: Duration = Duration::from_secs(200 * 366 * 86_400);

/// Why the clock refused to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockError {
    /// The requested time is before the clock's current time.
    Backwards {
        /// The clock's time.
        now: DateTime<Utc>,
        /// The time asked for.
        requested: DateTime<Utc>,
    },
    /// A step beyond [`MAX_CLOCK_STEP`].
    TooFar,
}

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Backwards { now, requested } => {
                write!(f, "the clock cannot go backwards: it is {now}, {requested} was asked for")
            }
            Self::TooFar => write!(f, "the clock moves at most {} days at a time", MAX_CLOCK_STEP.as_secs() / 86_400),
        }
    }
}

impl std::error::Error for ClockError {}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// The wall clock plus an offset (zero unless moved forward).
    Wall(TimeDelta),
    /// A fixed time, moved only by hand.
    Manual(DateTime<Utc>),
}

/// A shared clock: every project of a sandbox reads the same one.
#[derive(Debug, Clone)]
pub struct Clock(Arc<Mutex<Mode>>);

impl Default for Clock {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Mode::Wall(TimeDelta::zero()))))
    }
}

impl Clock {
    /// A manual clock standing at `start`.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(Mode::Manual(start.trunc_subsecs(3)))))
    }

    fn mode(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current time, to the millisecond (as the API writes timestamps).
    pub fn now(&self) -> DateTime<Utc> {
        let now = match *self.mode() {
            Mode::Wall(offset) => Utc::now().checked_add_signed(offset).unwrap_or(DateTime::<Utc>::MAX_UTC),
            Mode::Manual(at) => at,
        };
        now.trunc_subsecs(3)
    }

    /// Whether the clock is manual.
    pub fn is_manual(&self) -> bool {
        matches!(*self.mode(), Mode::Manual(_))
    }

    /// Moves the clock forward by `step` (at most [`MAX_CLOCK_STEP`]).
    pub fn advance(&self, step: Duration) -> Result<DateTime<Utc>, ClockError> {
        if step > MAX_CLOCK_STEP {
            return Err(ClockError::TooFar);
        }
        let step = TimeDelta::from_std(step).map_err(|_| ClockError::TooFar)?;
        let mut mode = self.mode();
        *mode = match *mode {
            Mode::Wall(offset) => Mode::Wall(offset.checked_add(&step).ok_or(ClockError::TooFar)?),
            Mode::Manual(at) => Mode::Manual(at.checked_add_signed(step).ok_or(ClockError::TooFar)?),
        };
        drop(mode);
        Ok(self.now())
    }

    /// Sets the clock to `time`, which must not be before the current time nor more than
    /// [`MAX_CLOCK_STEP`] after it.
    pub fn set(&self, time: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        let time = time.trunc_subsecs(3);
        let now = self.now();
        if time < now {
            return Err(ClockError::Backwards { now, requested: time });
        }
        let step = (time - now).to_std().map_err(|_| ClockError::TooFar)?;
        self.advance(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_never_backwards() {
        let clock = Clock::manual(at("2025-01-31T10:00:00.123456Z"));
        assert_eq!(clock.now(), at("2025-01-31T10:00:00.123Z"));
        assert_eq!(clock.advance(Duration::from_secs(3600)).unwrap(), at("2025-01-31T11:00:00.123Z"));
        assert_eq!(clock.set(at("2025-03-01T00:00:00Z")).unwrap(), at("2025-03-01T00:00:00Z"));
        assert!(matches!(clock.set(at("2025-02-01T00:00:00Z")), Err(ClockError::Backwards { .. })));
        assert_eq!(clock.advance(MAX_CLOCK_STEP + Duration::from_secs(1)), Err(ClockError::TooFar));
        assert_eq!(clock.now(), at("2025-03-01T00:00:00Z"));
        assert!(clock.is_manual());
    }

    #[test]
    fn a_wall_clock_can_be_moved_forward_and_keeps_ticking() {
        let clock = Clock::default();
        let before = Utc::now();
        let moved = clock.advance(Duration::from_secs(86_400)).unwrap();
        assert!(moved >= before + TimeDelta::days(1) - TimeDelta::milliseconds(1));
        assert!(!clock.is_manual());
    }
}
