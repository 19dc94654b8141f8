//! Samples entering the engine by hand or in bulk (`record`, `import`), and the moment the
//! state is read at: the same rules as polled samples (a known segment, a finite number in
//! range, not from the future), each flushed before it is acknowledged.

use super::{Engine, EngineError, MIGRATED};
use crate::model::reading;
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// What [`Engine::import`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// Samples written.
    pub written: u64,
    /// Refused rows, by index in the batch, with the reason.
    pub rejected: Vec<(usize, String)>,
    /// The segments that took samples (each once; every one of them is in the project, as a
    /// sample of another is refused).
    pub segments: Vec<String>,
}

impl Engine {
    /// The moment to read the state at: the wall clock, or the newest record if the state is
    /// ahead of it (a demo project lives in simulated time, days ahead of the wall clock).
    pub fn reading_time(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        // One round trip for every series' newest sample on a shared database.
        let _ = self.read_ahead(self.project.segments.iter().map(|s| s.id.as_str()));
        let t = self.newest_record(wall);
        self.store.samples().forget();
        t
    }

    fn newest_record(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let mut t = wall;
        if let Some(e) = self.events.last() {
            t = t.max(e.body.at);
        }
        for seg in &self.project.segments {
            for src in &seg.sources {
                if let Ok(Some((at, _))) = self.store.latest(&seg.id, &src.metric) {
                    t = t.max(at);
                }
            }
        }
        t
    }

    /// Store a sample of a metric and flush it (a backfill: any time in the calendar).
    pub fn record_sample(
        &mut self,
        segment: &str,
        metric: &str,
        at: DateTime<Utc>,
        value: f64,
    ) -> Result<(), EngineError> {
        self.record_sample_live(segment, metric, at, value, None)
    }

    /// Store a sample arriving at a live door (`record`) at the owner's `now`: also refused
    /// more than a day after `now`. Flushed before it returns.
    pub fn record_sample_live(
        &mut self,
        segment: &str,
        metric: &str,
        at: DateTime<Utc>,
        value: f64,
        now: Option<DateTime<Utc>>,
    ) -> Result<(), EngineError> {
        let value = self.check_sample(segment, metric, at, value, now)?;
        self.store_sample(segment, metric, at, value)?;
        self.store.sync()?;
        Ok(())
    }

    /// The one rule a sample obeys at every door ([`crate::model::reading::sample`]), with
    /// this project's segments: an unknown segment is refused, a `migrated` count is checked
    /// against the segment's size (at cutover, else configured).
    pub fn check_sample(
        &self,
        segment: &str,
        metric: &str,
        at: DateTime<Utc>,
        value: f64,
        now: Option<DateTime<Utc>>,
    ) -> Result<f64, EngineError> {
        let Some(base) = self.migrated_base(segment) else {
            return Err(EngineError::UnknownSegment(segment.to_string()));
        };
        reading::sample(segment, metric, at, value, Some(base), now)
            .map_err(|b| EngineError::Invalid(b.into()))
    }

    /// Store a batch of imported samples under the rules of every other door
    /// ([`Engine::check_sample`], with `now`: a mistyped year would otherwise become the
    /// series' newest sample and, with `raw_retention`, drop its raw history), flushed before
    /// it returns.
    pub fn import(
        &mut self,
        lines: &[crate::store::SampleLine],
        now: DateTime<Utc>,
    ) -> Result<Imported, StoreError> {
        let mut rejected = Vec::new();
        for (i, s) in lines.iter().enumerate() {
            if let Err(e) = self.check_sample(&s.segment, &s.metric, s.at, s.value, Some(now)) {
                rejected.push((i, e.to_string()));
            }
        }
        // An import's rows are rarely refused: copied only then, to leave the refused out.
        let kept: Vec<crate::store::SampleLine>;
        let good = if rejected.is_empty() {
            lines
        } else {
            let mut refused = rejected.iter().map(|r| r.0).peekable();
            kept = (lines.iter().enumerate())
                .filter(|(i, _)| refused.next_if_eq(i).is_none())
                .map(|(_, s)| s.clone())
                .collect();
            &kept
        };
        self.store.put_samples(good)?;
        self.store.sync()?;
        let touched: std::collections::HashSet<&str> =
            good.iter().map(|s| s.segment.as_str()).collect();
        for &segment in &touched {
            self.forget_adoption(segment);
        }
        Ok(Imported {
            written: good.len() as u64,
            rejected,
            segments: touched.into_iter().map(str::to_string).collect(),
        })
    }

    /// Store a checked sample (not flushed) and move the segment's adoption view forward.
    pub(crate) fn store_sample(
        &self,
        segment: &str,
        metric: &str,
        at: DateTime<Utc>,
        value: f64,
    ) -> Result<(), StoreError> {
        self.store.put_samples(&[crate::store::SampleLine {
            segment: segment.to_string(),
            metric: metric.to_string(),
            at,
            value,
        }])?;
        self.advance_adoption(segment, metric, at, value);
        Ok(())
    }
}

/// A login model in one line: "P 0.070" or "50.0 % @ P 0.1200 + 50.0 % never".
///
/// ```
/// use cutover::model::{Cohort, LoginModel};
/// let mix = LoginModel::Mix(vec![
///     Cohort { share: 0.6, p: 0.1 },
///     Cohort { share: 0.39999, p: 0.0 },
///     Cohort { share: 0.00001, p: 0.5 },
/// ]);
/// assert_eq!(cutover::engine::describe_model(&mix), "60.0 % @ P 0.1000 + 40.0 % never");
/// ```
pub fn describe_model(m: &crate::model::LoginModel) -> String {
    match m {
        crate::model::LoginModel::Single(p) => format!("P {p:.3}"),
        // A cohort that would read "0.0 %" says nothing: it is left out of the line.
        crate::model::LoginModel::Mix(c) => c
            .iter()
            .filter(|c| c.share >= 0.0005)
            .map(|c| {
                if c.p == 0.0 {
                    format!("{:.1} % never", c.share * 100.0)
                } else {
                    format!("{:.1} % @ P {:.4}", c.share * 100.0, c.p)
                }
            })
            .collect::<Vec<_>>()
            .join(" + "),
    }
}

impl Engine {
    /// What a cutover records of a segment as it enters at `now`: its configured size (the
    /// base of the migrated share) and its latest migrated count at that moment (where the
    /// projection starts, so a re-cutover is measured from the users the earlier attempt
    /// already moved). Samples stamped after `now` (a backfill) do not count.
    pub(crate) fn cutover_marks(
        &self,
        segment: &str,
        now: DateTime<Utc>,
    ) -> Result<(Option<u64>, Option<u64>), StoreError> {
        let Some(seg) = self.project.segment(segment) else {
            return Ok((None, None));
        };
        let latest = match self.store.latest(segment, MIGRATED)? {
            Some((at, v)) if at <= now => Some(v),
            Some(_) => {
                let to = now.timestamp_millis() + 1;
                let from = to - 7 * 86_400_000;
                self.store
                    .samples()
                    .raw(segment, MIGRATED, from, to)
                    .map_err(|e| crate::store::sample_error(self.store.dir(), e))?
                    .last()
                    .map(|&(_, v)| v)
            }
            None => None,
        };
        let migrated = latest.map(|v| (v.max(0.0).round() as u64).min(seg.size));
        Ok((Some(seg.size), migrated))
    }
}
