//! Can the legacy system be switched off? The FusionAuth guide says a finished migration can
//! "shortly shut down the original system", and warns that undocumented integrations surface
//! only when something stops working. So cutover says it is ready only when every condition
//! holds, names the ones that hold it back, and says when each last held:
//! - every segment is done, and every segment that moved users is reconciled;
//! - the legacy system's own authentication traffic (a source the lead names: binds a minute
//!   from OpenLDAP's `cn=Monitor`, a Prometheus query, a command) has stayed below a threshold
//!   for N whole days, on samples that cover them;
//! - no legacy user changed since the last move, as every drift source last counted.

use crate::model::rollup::Rollup;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The project-level view: ready when every condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decommission {
    pub ready: bool,
    pub conditions: Vec<Condition>,
}

/// One condition of the switch-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// `segments`, `traffic` or `drift`.
    pub name: String,
    pub holds: bool,
    /// What it found, in the lead's words.
    pub detail: String,
    /// When it last held: now when it holds; None when it never did, as far as cutover knows
    /// (drift is looked for over the last 90 days).
    pub last_true: Option<DateTime<Utc>>,
}

impl Decommission {
    pub fn of(conditions: Vec<Condition>) -> Decommission {
        Decommission {
            ready: conditions.iter().all(|c| c.holds),
            conditions,
        }
    }

    /// One line: ready, or what holds the switch-off back.
    pub fn line(&self) -> String {
        if self.ready {
            return "legacy switch-off: ready (every segment done and reconciled, legacy traffic quiet, no drift)".into();
        }
        let back: Vec<String> = self
            .conditions
            .iter()
            .filter(|c| !c.holds)
            .map(|c| {
                let last = c.last_true.map_or_else(
                    || "never held".to_string(),
                    |t| format!("last held {}", t.format("%Y-%m-%d %H:%M UTC")),
                );
                format!("{}: {} ({last})", c.name, c.detail)
            })
            .collect();
        format!("legacy switch-off: not ready; {}", back.join("; "))
    }
}

/// The traffic condition from hourly rollups of the traffic source (oldest first): quiet when
/// every sample of the last `days` days is below `below`, and the samples reach back that far.
/// Its `last_true` is the latest moment at which traffic had been quiet for `days` days.
pub fn traffic(hours: &[Rollup], below: f64, days: u32, now: DateTime<Utc>) -> Condition {
    let span = Duration::days(i64::from(days));
    let hour = Duration::hours(1);
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or(now);
    let mut quiet_from: Option<DateTime<Utc>> = None;
    let mut last_true = None;
    for r in hours {
        let start = at(r.start_ms);
        if r.max >= below {
            quiet_from = None;
            continue;
        }
        let from = *quiet_from.get_or_insert(start);
        let end = (start + hour).min(now);
        if end - from >= span {
            last_true = Some(end);
        }
    }
    let quiet_since = quiet_from;
    let holds = quiet_since.is_some_and(|from| now - from >= span)
        && hours.last().is_some_and(|r| r.max < below);
    let detail = match (hours.last(), quiet_since) {
        (None, _) => "no sample of the legacy system's traffic yet".to_string(),
        (Some(r), _) if r.max >= below => {
            format!("{} in the last hour, at or above {below}", trim(r.max))
        }
        (Some(_), Some(from)) if !holds => format!(
            "below {below} since {} ({} of {days} days)",
            from.format("%Y-%m-%d %H:%M UTC"),
            (now - from).num_days()
        ),
        _ => format!("below {below} for {days} days"),
    };
    Condition {
        name: "traffic".into(),
        holds,
        detail,
        last_true: if holds { Some(now) } else { last_true },
    }
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(from: DateTime<Utc>, values: &[f64]) -> Vec<Rollup> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Rollup {
                start_ms: (from + Duration::hours(i as i64)).timestamp_millis(),
                min: v,
                max: v,
                last: v,
                last_at_ms: (from + Duration::hours(i as i64)).timestamp_millis(),
                count: 1,
            })
            .collect()
    }

    #[test]
    fn traffic_is_quiet_only_after_whole_days_below_and_says_when_it_last_was() {
        let now = DateTime::parse_from_rfc3339("2026-06-15T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        // 15 days of hourly samples, all below 1: quiet for 14 days.
        let start = now - Duration::hours(15 * 24);
        let quiet = traffic(&hours(start, &[0.2; 15 * 24]), 1.0, 14, now);
        assert!(quiet.holds, "{quiet:?}");
        assert_eq!(quiet.last_true, Some(now));
        // Only 10 days of samples: not enough to say.
        let short_start = now - Duration::hours(10 * 24);
        let short = traffic(&hours(short_start, &[0.2; 10 * 24]), 1.0, 14, now);
        assert!(!short.holds);
        assert!(short.detail.contains("10 of 14 days"), "{}", short.detail);
        assert_eq!(short.last_true, None, "never quiet for 14 days");
        // Quiet for 15 days, then a burst in the last hour: it held until the burst.
        let mut values = vec![0.2; 15 * 24];
        values.push(5.0);
        let burst = traffic(&hours(start - Duration::hours(1), &values), 1.0, 14, now);
        assert!(!burst.holds);
        assert!(
            burst.detail.contains("5 in the last hour"),
            "{}",
            burst.detail
        );
        assert!(burst.last_true.is_some_and(|t| t < now));
        let none = traffic(&[], 1.0, 14, now);
        assert!(!none.holds && none.detail.contains("no sample"));
        let view = Decommission::of(vec![quiet.clone(), burst]);
        assert!(!view.ready);
        assert!(
            view.line().contains("traffic: 5 in the last hour"),
            "{}",
            view.line()
        );
        assert!(Decommission::of(vec![quiet]).ready);
    }
}
