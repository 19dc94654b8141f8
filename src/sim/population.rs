//! A simulated user population: per segment, cohorts of users with their own daily login
//! probability; each login migrates the user. Deterministic for a seed, whatever order it is
//! asked in: day k of cohort c draws from its own seeded stream.

use crate::model::Cohort;

/// A fault injected into a segment's health metrics from a simulated day on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub from_day: f64,
    /// How long it lasts, in simulated days.
    pub days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Login failure ratio jumps from ~1 % to ~7 %.
    FailureSpike,
    /// p95 login latency jumps from ~0.2 s to ~1.5 s.
    LatencySpike,
}

/// One simulated segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSegment {
    pub id: String,
    pub users: u64,
    pub cohorts: Vec<Cohort>,
    /// The simulated day its cutover happens (users migrate from then on).
    pub start_day: f64,
    /// Bulk import: everyone moves during the first day after the start.
    pub bulk: bool,
    /// The simulated day migration stopped (a rollback routed users back), if it did.
    pub stop_day: Option<f64>,
    pub faults: Vec<Fault>,
}

/// SplitMix64: the simulator's seeded stream of draws.
pub(super) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform in (0, 1) from a seed.
pub(super) fn uniform(seed: u64) -> f64 {
    ((splitmix(seed) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Binomial(n, p): exact below 200 trials, normal approximation above (continuity corrected).
fn binomial(n: u64, p: f64, seed: u64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if n < 200 {
        return (0..n).filter(|i| uniform(seed ^ splitmix(*i)) < p).count() as u64;
    }
    let (u1, u2) = (uniform(seed), uniform(seed ^ 0x5555_5555));
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let mean = n as f64 * p;
    let sd = (mean * (1.0 - p)).sqrt();
    (mean + sd * z).round().clamp(0.0, n as f64) as u64
}

/// The population of every segment, with the migration history drawn so far.
#[derive(Debug, Clone)]
pub struct Population {
    pub segments: Vec<SimSegment>,
    seed: u64,
    /// Per segment, per cohort: users still unmigrated at the start of each day since start.
    unmigrated: Vec<Vec<Vec<u64>>>,
}

impl Population {
    pub fn new(segments: Vec<SimSegment>, seed: u64) -> Population {
        let unmigrated = segments
            .iter()
            .map(|s| {
                let mut left = s.users;
                let n = s.cohorts.len();
                s.cohorts
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let size = if i + 1 == n {
                            left
                        } else {
                            (s.users as f64 * c.share).round() as u64
                        };
                        left = left.saturating_sub(size);
                        vec![size]
                    })
                    .collect()
            })
            .collect();
        Population {
            segments,
            seed,
            unmigrated,
        }
    }

    /// The seed every draw derives from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn index(&self, id: &str) -> Option<usize> {
        self.segments.iter().position(|s| s.id == id)
    }

    fn unmigrated_at(&mut self, seg: usize, cohort: usize, day: usize) -> u64 {
        let p = self.segments[seg].cohorts[cohort].p;
        let seed = self.seed;
        let history = &mut self.unmigrated[seg][cohort];
        while history.len() <= day {
            let k = history.len() - 1;
            let left = history[k];
            let s =
                splitmix(seed ^ splitmix((seg as u64) << 40 | (cohort as u64) << 32 | k as u64));
            history.push(left - binomial(left, p, s));
        }
        history[day]
    }

    /// Users of segment `seg` migrated by simulated `day`.
    pub fn migrated(&mut self, seg: usize, day: f64) -> u64 {
        let s = &self.segments[seg];
        // Bounded: the history below is built day by day.
        let day = s
            .stop_day
            .map_or(day, |stop| day.min(stop))
            .clamp(0.0, super::MAX_DAY);
        let t = day - s.start_day;
        if t <= 0.0 {
            return 0;
        }
        if s.bulk {
            return (s.users as f64 * t.min(1.0)).round() as u64;
        }
        let (whole, frac) = (t.floor() as usize, t.fract());
        let mut left = 0.0;
        for c in 0..s.cohorts.len() {
            let a = self.unmigrated_at(seg, c, whole) as f64;
            let b = self.unmigrated_at(seg, c, whole + 1) as f64;
            left += a + (b - a) * frac;
        }
        (self.segments[seg].users as f64 - left).round().max(0.0) as u64
    }

    fn fault(&self, seg: usize, day: f64, kind: FaultKind) -> bool {
        self.segments[seg]
            .faults
            .iter()
            .any(|f| f.kind == kind && day >= f.from_day && day < f.from_day + f.days)
    }

    /// Share of failed logins (about 1 %, about 7 % during a failure spike).
    pub fn failure_ratio(&self, seg: usize, day: f64) -> f64 {
        let wobble = 0.002 * (day * 3.1 + seg as f64).sin();
        if self.fault(seg, day, FaultKind::FailureSpike) {
            0.07 + wobble
        } else {
            0.009 + wobble
        }
    }

    /// p95 login latency in seconds.
    pub fn p95_seconds(&self, seg: usize, day: f64) -> f64 {
        let wobble = 0.02 * (day * 2.3 + seg as f64).cos();
        if self.fault(seg, day, FaultKind::LatencySpike) {
            1.5 + wobble
        } else {
            0.21 + wobble
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::projection::projected_share;

    #[test]
    fn a_single_p_segment_follows_s_of_d_within_sampling_error() {
        let seg = SimSegment {
            id: "eu".into(),
            users: 10_000,
            cohorts: vec![Cohort { share: 1.0, p: 0.2 }],
            start_day: 0.0,
            bulk: false,
            stop_day: None,
            faults: vec![],
        };
        let mut pop = Population::new(vec![seg], 7);
        for d in [5.0, 10.0, 20.0] {
            let share = pop.migrated(0, d) as f64 / 10_000.0;
            let want = projected_share(0.2, d);
            assert!((share - want).abs() < 0.03, "day {d}: {share} vs {want}");
        }
        // Deterministic, whatever the order of questions.
        let mut again = Population::new(pop.segments.clone(), 7);
        assert_eq!(again.migrated(0, 20.0), pop.migrated(0, 20.0));
        assert_eq!(again.migrated(0, 7.5), pop.migrated(0, 7.5));
        assert_eq!(pop.migrated(0, -1.0), 0);
    }
}
