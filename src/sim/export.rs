//! A user export of a simulated segment, shaped like Auth0's user export (NDJSON: `user_id`,
//! `created_at`, `last_login`, `logins_count`), as the legacy system would give it just before
//! the segment's cutover: what `cutover plan --logins` reads.
//!
//! Each user's last login is drawn from their cohort's own login process before that moment:
//! the whole days back to it are geometric with the cohort's P, so the share whose last login
//! lies within D days is `1 − (1 − P)^D` (the recency identity). Every account is older than
//! [`MIN_AGE_DAYS`]; a user whose draw lies beyond their account's age never logged in, and a
//! cohort with P 0 never does. No personal data: ids are opaque, there are no names or emails.

use super::SimSegment;
use super::population::{splitmix, uniform};
use chrono::{DateTime, Duration, Utc};
use std::io::Write;

/// Every simulated account is at least this old (4 years), older than any forecast looks at.
pub const MIN_AGE_DAYS: i64 = 1461;

/// Write the export of `seg` as of `at` (its cutover moment); returns the users written.
pub fn write_export(
    seg: &SimSegment,
    at: DateTime<Utc>,
    seed: u64,
    out: &mut impl Write,
) -> std::io::Result<u64> {
    let mut left = seg.users;
    let mut n = 0u64;
    for (c, cohort) in seg.cohorts.iter().enumerate() {
        let size = if c + 1 == seg.cohorts.len() {
            left
        } else {
            (seg.users as f64 * cohort.share).round() as u64
        };
        left = left.saturating_sub(size);
        for _ in 0..size {
            n += 1;
            let s = splitmix(seed ^ splitmix(n ^ ((c as u64) << 48)));
            let age_days = MIN_AGE_DAYS + (uniform(s) * 365.0) as i64;
            let created = at
                - Duration::days(age_days)
                - Duration::seconds((uniform(s ^ 1) * 86_400.0) as i64);
            // Whole days back to the last login: geometric with the cohort's P.
            let back = (cohort.p > 0.0).then(|| {
                if cohort.p >= 1.0 {
                    0.0
                } else {
                    (uniform(s ^ 2).ln() / (1.0 - cohort.p).ln()).floor()
                }
            });
            let last = back.filter(|b| *b < age_days as f64).map(|b| {
                at - Duration::days(b as i64)
                    - Duration::seconds((uniform(s ^ 3) * 86_399.0) as i64 + 1)
            });
            let logins = last.map_or(0, |_| 1 + (uniform(s ^ 4) * 200.0) as u64);
            let mut line = serde_json::json!({
                "user_id": format!("auth0|sim-{}-{n:07}", seg.id),
                "created_at": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "logins_count": logins,
            });
            if let Some(t) = last {
                line["last_login"] = t
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    .into();
            }
            writeln!(out, "{line}")?;
        }
    }
    Ok(n)
}
