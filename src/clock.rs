//! The time the cockpit lives in: the wall clock, or a simulated clock running fast for the
//! demo (a day every few seconds) so adoption curves visibly grow.
//!
//! Everything that stamps or compares times (events, samples, ages, projections) reads a
//! [`Clock`]; poll intervals stay real durations (they pace work, not the story).

use chrono::{DateTime, Duration, Utc};
use std::time::Instant;

/// A clock: `now()` is `start` plus the real time elapsed since creation times `factor`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    start: DateTime<Utc>,
    /// Simulated seconds per real second (1 for the wall clock).
    factor: f64,
}

impl Clock {
    /// The wall clock.
    pub fn real() -> Clock {
        Clock {
            origin: Instant::now(),
            start: Utc::now(),
            factor: 1.0,
        }
    }

    /// A clock starting at `start` where one simulated day lasts `secs_per_day` real seconds.
    pub fn simulated(start: DateTime<Utc>, secs_per_day: f64) -> Clock {
        Clock {
            origin: Instant::now(),
            start,
            factor: 86_400.0 / secs_per_day.max(1e-6),
        }
    }

    /// A clock that reads `now` at this instant and runs `factor` times real time: another
    /// process's clock, carried on (an attached cockpit shows the owner's time).
    pub fn resume(now: DateTime<Utc>, factor: f64) -> Clock {
        let factor = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        Clock {
            origin: Instant::now(),
            start: now,
            factor,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = self.origin.elapsed().as_secs_f64() * self.factor;
        self.start + Duration::microseconds((elapsed * 1e6) as i64)
    }

    /// Simulated days since the clock started.
    pub fn days(&self) -> f64 {
        self.origin.elapsed().as_secs_f64() * self.factor / 86_400.0
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Simulated seconds per real second.
    pub fn factor(&self) -> f64 {
        self.factor
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::real()
    }
}
