//! The durations a project file writes (`every`, `timeout`, `stale_after`, a hook's
//! `timeout`, ...): humantime text within bounds, each problem collected with its key path.

use super::Severity;
use super::found::Found;
use super::locate::KeyPath;
use std::time::Duration;

pub(super) fn duration(
    text: Option<&str>,
    default: Duration,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Duration {
    duration_key("timeout", text, default, at, found, ok)
}

/// The shortest poll interval or timeout: below it `watch` would only spin.
pub const MIN_DURATION: Duration = Duration::from_millis(10);
/// The longest: beyond it a timer is a typo.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 86_400);

pub(super) fn duration_key(
    key: &str,
    text: Option<&str>,
    default: Duration,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Duration {
    match text {
        None => default,
        Some(t) => match humantime::parse_duration(t) {
            Ok(d) if d >= MIN_DURATION && d <= MAX_DURATION => d,
            Ok(d) if !d.is_zero() => {
                *ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key(key),
                    format!(
                        "{} is out of range: between 10ms (a source polled faster only spins) and 30 days, e.g. \"30s\"",
                        humantime::format_duration(d)
                    ).into(),
                ));
                default
            }
            _ => {
                *ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key(key),
                    "must be a positive duration like \"30s\" or \"2m\"".into(),
                ));
                default
            }
        },
    }
}
