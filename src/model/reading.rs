//! What may enter the sample store, as one rule every door applies: a poll, `record`,
//! `import`, `state restore` and a raw socket request all go through [`sample`], so a reading
//! one path accepts is never refused by another, and nothing another path would refuse is ever
//! acknowledged.
//!
//! * **Segment id**: 1 to 64 of `a-z`, `0-9` and `-` (the project file's rule).
//! * **Metric name**: 1 to 64 of ASCII letters, digits, `_`, `-` and `.`. The store keys a
//!   series by segment and metric joined with a NUL byte, so no control character may ever
//!   enter a name; the project file's source names follow the same rule.
//! * **Time**: on or after 1970-01-01 and before the year 10000 (the store keys time in epoch
//!   milliseconds); at the live doors also at most a day after the owner's now (a mistyped
//!   year would otherwise become the series' newest sample).
//! * **Value**: a finite number; a `migrated` count is within 0 ..= the segment's size.
//!
//! Error messages quote what they refuse through [`shown`]: a short, escaped prefix, never a
//! megabyte of it.

use super::criteria::MIGRATED;
use chrono::{DateTime, TimeZone, Utc};

/// Longest segment id or metric name.
pub const NAME_MAX: usize = 64;

/// The most users a `migrated` count may claim when the segment's size is not known here
/// (ten billion: more than there are people).
pub const COUNT_MAX: u64 = 10_000_000_000;

/// Characters of a refused value quoted in a message.
const SHOWN: usize = 40;

/// A refused value as a message may quote it: control characters escaped, at most
/// [`SHOWN`] characters, and the full length when it was cut.
///
/// ```
/// use cutover::model::reading::shown;
/// assert_eq!(shown("migrated\0"), "migrated\\0");
/// assert_eq!(shown(&"x".repeat(100)), format!("{}… (100 bytes)", "x".repeat(40)));
/// ```
pub fn shown(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == SHOWN {
            out.push_str(&format!("… ({} bytes)", text.len()));
            return out;
        }
        out.extend(c.escape_debug());
    }
    out
}

/// A number as a message shows it: plain, or in exponent form when it is huge or tiny
/// (`1e308`, not 309 digits).
fn number(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A rule a value breaks, said for the lead: which value, which rule, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Broken(pub String);

impl From<&str> for Broken {
    fn from(text: &str) -> Broken {
        Broken(text.to_string())
    }
}

impl From<Broken> for String {
    fn from(b: Broken) -> String {
        b.0
    }
}

/// The segment id rule (the project file's): 1 to 64 of `a-z`, `0-9` and `-`.
pub fn segment_id(id: &str) -> Result<(), Broken> {
    if (1..=NAME_MAX).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Ok(());
    }
    Err(Broken(format!(
        "'{}' is not a segment id: use 1 to {NAME_MAX} lower-case letters, digits and '-'",
        shown(id)
    )))
}

/// The metric name rule: 1 to 64 of ASCII letters, digits, `_`, `-` and `.`.
pub fn metric_name(name: &str) -> Result<(), Broken> {
    if (1..=NAME_MAX).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Ok(());
    }
    Err(Broken(format!(
        "'{}' is not a metric name: use 1 to {NAME_MAX} ASCII letters, digits, '_', '-' and '.'",
        shown(name)
    )))
}

/// The calendar the store keeps: 1970-01-01 up to the end of year 9999.
pub fn in_calendar(at: DateTime<Utc>) -> Result<(), Broken> {
    let first = DateTime::<Utc>::UNIX_EPOCH;
    let last = Utc
        .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(first);
    if at < first || at > last {
        return Err(Broken(format!(
            "{} is outside the years 1970 to 9999; check the date",
            at.to_rfc3339()
        )));
    }
    Ok(())
}

/// A sample's time: in the calendar, and at most a day after `now` when given (a live door).
pub fn sample_time(at: DateTime<Utc>, now: Option<DateTime<Utc>>) -> Result<(), Broken> {
    in_calendar(at)?;
    if let Some(now) = now
        && at > now + chrono::Duration::days(1)
    {
        return Err(Broken(format!(
            "{} is more than a day in the future; check the date",
            at.to_rfc3339()
        )));
    }
    Ok(())
}

/// A sample's value: a finite number, and a `migrated` count within 0 ..= `base` (the
/// segment's size) when the segment is known, never below 0.
pub fn value(metric: &str, value: f64, base: Option<u64>) -> Result<f64, Broken> {
    if !value.is_finite() {
        return Err(Broken(format!(
            "not a number: {value} (NaN and infinities are never readings)"
        )));
    }
    if metric == MIGRATED && (value < 0.0 || value > base.unwrap_or(COUNT_MAX) as f64) {
        let users = match base {
            Some(b) => format!("the segment has {b} users"),
            None => format!("a count is 0 to {COUNT_MAX}"),
        };
        return Err(Broken(format!(
            "migrated count {} is out of range: {users}; check the source's query (does it count only this segment?) or the segment's size",
            number(value)
        )));
    }
    Ok(value)
}

/// One sample, whole: its segment id, metric name, time and value (see the module's rules).
/// `base` is the segment's size (None: unknown here); `now` is the owner's now at a live door.
pub fn sample(
    segment: &str,
    metric: &str,
    at: DateTime<Utc>,
    v: f64,
    base: Option<u64>,
    now: Option<DateTime<Utc>>,
) -> Result<f64, Broken> {
    segment_id(segment)?;
    metric_name(metric)?;
    sample_time(at, now)?;
    value(metric, v, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_printable_ascii() {
        assert!(metric_name("failure_rate").is_ok());
        assert!(metric_name("p99.latency-ms").is_ok());
        assert!(metric_name(&"m".repeat(64)).is_ok());
        for bad in ["", "a\0b", "migrated\0", "é", "a b", "a/b"] {
            assert!(metric_name(bad).is_err(), "{bad:?}");
        }
        let long = "m".repeat(60_000);
        let e = metric_name(&long).expect_err("refused");
        assert!(e.0.len() < 200, "the message quotes a prefix: {e}");
        assert!(segment_id("eu-customers").is_ok());
        assert!(segment_id("s\u{0}5").is_err());
        assert!(segment_id("EU").is_err());
    }

    #[test]
    fn times_stay_in_the_calendar_and_near_now() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 6, 0, 0, 0)
            .single()
            .expect("time");
        assert!(sample_time(now, Some(now)).is_ok());
        assert!(sample_time(now + chrono::Duration::days(2), Some(now)).is_err());
        assert!(sample_time(now + chrono::Duration::days(2), None).is_ok());
        assert!(sample_time(DateTime::<Utc>::MIN_UTC, None).is_err());
        assert!(sample_time(DateTime::<Utc>::MAX_UTC, None).is_err());
    }

    #[test]
    fn values_are_finite_and_counts_in_range() {
        assert!(value("migrated", -5.0, None).is_err());
        assert!(value("migrated", 1e308, Some(100)).is_err());
        assert!(value("migrated", 1e308, None).is_err());
        assert!(value("migrated", 100.0, Some(100)).is_ok());
        assert!(value("failure_rate", -5.0, Some(100)).is_ok());
        assert!(value("x", f64::NAN, None).is_err());
        assert!(value("x", f64::INFINITY, None).is_err());
    }
}
