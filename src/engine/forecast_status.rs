//! A segment's live forecast as `status`, the cockpit and the report show it: the central
//! finish, its range by date, the fit, the chart's band and what the data says of churn.
//! Worked out by [`crate::model::forecast`]; this is its plain, serialisable shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The live forecast of a segment (see [`crate::model::forecast`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastStatus {
    /// The central finish; null: never within the horizon (10 years).
    pub finish: Option<DateTime<Utc>>,
    /// The earliest and latest finish consistent with the data; null: never.
    pub low: Option<DateTime<Utc>>,
    pub high: Option<DateTime<Utc>>,
    /// Reached within the horizon: true, false, or null while the data cannot tell.
    pub reachable: Option<bool>,
    pub model: String,
    /// The central fit; a cohort with p 0 is the share that never logs in.
    pub fitted_cohorts: Vec<crate::model::Cohort>,
    /// The central finish falls after the deadline (or never comes).
    pub late: bool,
    /// (days since cutover, lowest, highest share consistent with the data): the chart's band,
    /// in snapshots (the cockpit and the report draw it). A `status` answer leaves it out
    /// ([`super::status::ProjectStatus::without_bands`]): it is most of a forecast's bytes,
    /// and no line of a status reads it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub band: Vec<(f64, f64, f64)>,
    /// With a plan: the share it expects never to return beside the one the data implies, and
    /// its share by a day ahead beside the forecast's.
    #[serde(default)]
    pub churn: Option<crate::model::forecast::churn::ChurnSeen>,
}

impl ForecastStatus {
    /// "2027-01-19 (2026-12-30 – never)": the central finish and the range, by date.
    pub fn describe(&self) -> String {
        let date = |d: Option<DateTime<Utc>>| {
            d.map_or_else(|| "never".to_string(), |d| d.format("%Y-%m-%d").to_string())
        };
        if self.low == self.high {
            return date(self.finish);
        }
        format!(
            "{} ({} – {})",
            date(self.finish),
            date(self.low),
            date(self.high)
        )
    }
}
