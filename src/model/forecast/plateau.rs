//! The plateau: "at this pace the goal is not reached by the deadline; about N users would
//! remain". It is a verdict over the last daily forecasts, with hysteresis so that it neither
//! flickers nor depends on how often it is asked; the forecasts themselves are the parent's.

use super::{Assessed, Forecaster, HORIZON};

/// Daily points needed before the plateau may speak (two, then two forecasts in a row).
const PLATEAU_MIN_DAYS: usize = 2;
/// Daily forecasts the plateau's hysteresis replays.
const PLATEAU_WINDOW: usize = 7;

impl Forecaster {
    /// The forecast from every point (`None` until two days of data), and the plateau: the
    /// users who would remain when, at the current pace, the goal is not reached by the
    /// deadline (or within the horizon without one).
    ///
    /// The plateau has hysteresis: it turns on after two daily forecasts in a row say so, and
    /// off after two in a row finish at least 3 days before the deadline. The last
    /// [`PLATEAU_WINDOW`] daily forecasts are replayed from "off" (their finishes are cached
    /// while they are in the window), so the answer is the same however often it is asked.
    pub fn assess(&mut self) -> Assessed {
        if let Some((version, answer)) = &self.assessed
            && *version == self.version
        {
            return answer.clone();
        }
        let answer = self.assess_anew();
        self.assessed = Some((self.version, answer.clone()));
        answer
    }

    fn assess_anew(&mut self) -> Assessed {
        // No replay kept from fewer points: every one is worked out now.
        self.assessed_fresh = self.finishes.is_empty();
        let n = self.points.len();
        let now = self.forecast_upto(n);
        if n < PLATEAU_MIN_DAYS {
            return (now, None);
        }
        let first = (n + 1).saturating_sub(PLATEAU_WINDOW).max(PLATEAU_MIN_DAYS);
        self.finishes.retain(|f| f.0 >= first);
        let (mut on, mut streak) = (false, 0);
        for end in first..=n {
            let finish = if end == n {
                now.as_ref().map(|f| f.finish)
            } else {
                match self.finishes.iter().find(|f| f.0 == end) {
                    Some(f) => Some(f.1),
                    None => {
                        let f = self.finish_upto(end);
                        if let Some(f) = f {
                            self.finishes.push((end, f));
                        }
                        f
                    }
                }
            };
            let Some(finish) = finish else { continue };
            let (short, clear) = match self.target.limit {
                Some(l) => (
                    finish.is_none_or(|x| x > l),
                    finish.is_some_and(|x| x <= l - 3.0),
                ),
                None => (finish.is_none(), finish.is_some()),
            };
            streak = if (!on && short) || (on && clear) {
                streak + 1
            } else {
                0
            };
            if streak >= 2 {
                on = !on;
                streak = 0;
            }
        }
        let at = self.target.limit.unwrap_or(HORIZON as f64);
        let left = now
            .as_ref()
            .filter(|_| on)
            .map(|f| ((1.0 - f.share(at)).max(0.0) * self.target.size as f64).round() as u64);
        (now, left)
    }
}
