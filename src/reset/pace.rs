//! The pace of reset messages: at most `per_hour` in any hour (a sliding window over every send
//! so far), in waves of a twelfth of that, each wave starting at least five minutes after the
//! one before. Times are milliseconds on the owner's clock (a simulated one runs fast), so a
//! resume rebuilds the same pace from the journal's send times.

use std::collections::VecDeque;

/// An hour, in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// Between the starts of two waves.
pub const WAVE_MS: i64 = 300_000;

/// Where the pace stands.
#[derive(Debug, Clone)]
pub struct Pacer {
    per_hour: u64,
    /// Send times within the last hour of the latest send, oldest first.
    window: VecDeque<i64>,
    wave_started: Option<i64>,
    in_wave: u64,
}

impl Pacer {
    pub fn new(per_hour: u64) -> Pacer {
        Pacer {
            per_hour: per_hour.max(1),
            window: VecDeque::new(),
            wave_started: None,
            in_wave: 0,
        }
    }

    /// Messages a wave (a twelfth of the hour's, at least one).
    pub fn wave(&self) -> u64 {
        self.per_hour.div_ceil(12)
    }

    /// A pacer that has seen `sent` (send times, any order), as a resume rebuilds it.
    pub fn replay(per_hour: u64, mut sent: Vec<i64>) -> Pacer {
        sent.sort_unstable();
        let mut p = Pacer::new(per_hour);
        for at in sent {
            p.sent(at);
        }
        p
    }

    /// The earliest moment at or after `now` the next message may go.
    pub fn next_at(&self, now: i64) -> i64 {
        let mut at = now;
        if self.window.len() as u64 >= self.per_hour
            && let Some(oldest) = self.window.get(self.window.len() - self.per_hour as usize)
        {
            at = at.max(oldest + HOUR_MS);
        }
        if let Some(started) = self.wave_started
            && self.in_wave >= self.wave()
        {
            at = at.max(started + WAVE_MS);
        }
        at
    }

    /// A message went at `at` (at or after [`Pacer::next_at`]).
    pub fn sent(&mut self, at: i64) {
        let new_wave = match self.wave_started {
            None => true,
            Some(started) => self.in_wave >= self.wave() || at >= started + WAVE_MS,
        };
        if new_wave {
            self.wave_started = Some(at);
            self.in_wave = 0;
        }
        self.in_wave += 1;
        self.window.push_back(at);
        while self.window.front().is_some_and(|t| *t <= at - HOUR_MS) {
            self.window.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Send `n` messages as fast as the pacer allows from `start`; their times.
    fn run(p: &mut Pacer, start: i64, n: usize) -> Vec<i64> {
        let mut now = start;
        let mut out = Vec::new();
        for _ in 0..n {
            now = p.next_at(now);
            p.sent(now);
            out.push(now);
            now += 1;
        }
        out
    }

    fn most_in_any_hour(times: &[i64]) -> usize {
        times
            .iter()
            .map(|t| {
                times
                    .iter()
                    .filter(|u| **u >= *t && **u < t + HOUR_MS)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn no_hour_holds_more_than_per_hour_and_waves_are_five_minutes_apart() {
        for per_hour in [1, 7, 100, 1000] {
            let mut p = Pacer::new(per_hour);
            let times = run(&mut p, 0, per_hour as usize * 3 + 5);
            assert!(most_in_any_hour(&times) as u64 <= per_hour, "{per_hour}");
            let wave = p.wave() as usize;
            assert_eq!(
                times[wave - 1],
                times[0] + wave as i64 - 1,
                "a wave goes at once"
            );
            assert!(times[wave] >= times[0] + WAVE_MS, "the next waits 5 min");
        }
    }

    #[test]
    fn a_replay_paces_on_as_if_nothing_stopped() {
        let mut whole = Pacer::new(120);
        let times = run(&mut whole, 0, 25);
        let mut resumed = Pacer::replay(120, times[..17].to_vec());
        let rest = run(&mut resumed, times[16] + 1, 8);
        assert_eq!(&times[17..], &rest[..], "the same schedule after a resume");
    }
}
