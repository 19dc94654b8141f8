//! The test checks that judge what the log recorded rather than run anything: `audit` (the
//! segment's latest audit of its export, within limits and young enough) and `rehearsal` (its
//! latest rehearsal of the move: users refused, and the window the real move would take).

use crate::check_run::verdict;
use crate::config::AuditLimits;
use crate::model::audit::Audit;
use crate::model::gate::{Status, Verdict};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The latest audit of a segment: the record, when, and its event.
#[derive(Debug, Clone)]
pub struct LatestAudit {
    pub audit: Audit,
    pub at: DateTime<Utc>,
    pub seq: u64,
}

/// What the checks read from the log: the segment's latest audit, latest rehearsal, and
/// latest reconciliation (of its target or its rehearsal's, whichever is newer).
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub segment: String,
    pub audit: Option<LatestAudit>,
    pub rehearsal: Option<crate::model::moved::MoveReport>,
    pub reconciled: Option<crate::model::criteria::ReconciledSeen>,
}

/// The `rehearsal` check: the latest rehearsal exists, refused at most `max_failed` users and
/// took at most `max_duration` (the real move's window, from the rehearsal's rate).
pub fn rehearsal_verdict(
    name: &str,
    limits: &crate::config::RehearsalLimits,
    latest: Option<&crate::model::moved::MoveReport>,
) -> Verdict {
    let Some(r) = latest else {
        return verdict(
            name,
            Status::Fail,
            "no rehearsal recorded for this segment: run `cutover move SEGMENT --rehearse`",
        );
    };
    let failed: u64 = r.failed.values().sum();
    let moved = r.settled();
    let seconds = r.predicted_seconds().unwrap_or(r.seconds);
    let mut failing = Vec::new();
    if let Some(max) = limits.max_failed
        && failed > max
    {
        failing.push(format!("{failed} users failed to move, max {max}"));
    }
    if let Some(max) = limits.max_duration
        && seconds > max.as_secs_f64()
    {
        failing.push(format!(
            "the move takes about {}, max {}",
            crate::engine::move_status::about(seconds),
            humantime::format_duration(max)
        ));
    }
    if failing.is_empty() {
        verdict(
            name,
            Status::Pass,
            format!(
                "{moved} users in about {}, {failed} failed",
                crate::engine::move_status::about(seconds)
            ),
        )
    } else {
        verdict(name, Status::Fail, failing.join("; "))
    }
}

/// The `audit` check: the latest audit exists, is young enough, and is within every limit.
pub fn audit_verdict(
    name: &str,
    limits: &AuditLimits,
    latest: Option<&LatestAudit>,
    now: DateTime<Utc>,
) -> Verdict {
    let Some(l) = latest else {
        return verdict(
            name,
            Status::Fail,
            "no audit recorded for this segment: run `cutover audit EXPORT --segment SEGMENT`",
        );
    };
    let a = &l.audit;
    let age = (now - l.at).to_std().unwrap_or_default();
    let mut failing = Vec::new();
    if let Some(max) = limits.max_age
        && age > max
    {
        failing.push(format!(
            "the audit is {} old, max {}: audit the export again",
            humantime::format_duration(Duration::from_secs(age.as_secs() / 3600 * 3600)),
            humantime::format_duration(max)
        ));
    }
    let bad_rows = a.unreadable + a.bad_values;
    let duplicates = a.duplicates.total() + a.ids.duplicate;
    for (what, value, max) in [
        ("duplicate users", duplicates, limits.max_duplicates),
        (
            "users whose hash cannot move",
            a.unmovable(),
            limits.max_unmovable_hashes,
        ),
        ("bad rows", bad_rows, limits.max_bad_rows),
        (
            "invalid emails",
            a.emails.invalid,
            limits.max_invalid_emails,
        ),
    ] {
        if let Some(max) = max
            && value > max
        {
            failing.push(format!("{value} {what} > max {max}"));
        }
    }
    let of = format!("audit of {} (event {})", a.file, l.seq);
    if failing.is_empty() {
        verdict(
            name,
            Status::Pass,
            format!(
                "{of}: {duplicates} duplicate users, {} unmovable hashes, {bad_rows} bad rows",
                a.unmovable()
            ),
        )
    } else {
        verdict(name, Status::Fail, format!("{of}: {}", failing.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RehearsalLimits;
    use crate::model::moved::MoveReport;

    fn rehearsal(created: u64, failed: u64, rate: f64) -> MoveReport {
        MoveReport {
            segment: "eu".into(),
            which: "rehearsal".into(),
            total: created + failed,
            created,
            already_present: 0,
            updated: 0,
            skipped: Default::default(),
            failed: [("INVALID_EMAIL".to_string(), failed)].into(),
            without_password: 0,
            seconds: (created + failed) as f64 / rate,
            rate,
            state: "moved".into(),
            deleted: created,
            kept: 0,
            started: None,
        }
    }

    #[test]
    fn the_rehearsal_check_judges_failures_and_the_predicted_window() {
        let limits = RehearsalLimits {
            max_failed: Some(0),
            max_duration: Some(Duration::from_secs(45 * 60)),
        };
        let none = rehearsal_verdict("rehearsal", &limits, None);
        assert_eq!(none.status, Status::Fail);
        assert!(
            none.reason.contains("cutover move SEGMENT --rehearse"),
            "{}",
            none.reason
        );
        // 270,000 users at 100 a second: 45 minutes, and none refused.
        let good = rehearsal_verdict("rehearsal", &limits, Some(&rehearsal(270_000, 0, 100.0)));
        assert_eq!(good.status, Status::Pass, "{}", good.reason);
        assert!(good.reason.contains("45 min"), "{}", good.reason);
        let slow = rehearsal_verdict("rehearsal", &limits, Some(&rehearsal(270_000, 0, 90.0)));
        assert_eq!(slow.status, Status::Fail);
        assert!(slow.reason.contains("max 45m"), "{}", slow.reason);
        let refused = rehearsal_verdict("rehearsal", &limits, Some(&rehearsal(1_000, 3, 100.0)));
        assert_eq!(refused.status, Status::Fail);
        assert!(
            refused.reason.contains("3 users failed to move, max 0"),
            "{}",
            refused.reason
        );
    }
}
