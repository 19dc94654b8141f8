//! Change control: who may act, and when. A company that migrates millions of customers does
//! not let one lead cut a region over alone on a Friday night; these are the project's rules
//! for that, decided by the owner before an action runs:
//!
//! - [`Window`]s allow the actions they name only at certain times, in a named time zone
//!   ("cutover only Mon–Thu 09:00–15:00 Europe/Berlin"); [`Freeze`]s deny them for a period
//!   (a holiday). Outside, an action is refused with the next moment it may run
//!   ([`Rules::opens`]).
//! - Rollbacks are never held by a window or a freeze: safety first.
//! - A [`Principal`] names an OS user or a Unix group (`group:NAME`), for approvers and
//!   viewers.
//!
//! Everything here is a pure function of the rules and the time it is asked about, so the
//! owner decides on its project clock and tests on any clock.

use super::{Action, Phase};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

/// The names change control gives actions (in `[approvals] actions`, `[[windows]] actions`,
/// `[[freezes]] actions`).
pub const ACTIONS: &[&str] = &[
    "cutover",
    "done",
    "advance",
    "adopt",
    "delete-active",
    "retest",
    "replan",
    "pause",
    "resume",
];

/// The change-control name of `action` taken on a segment in `phase`: an advance from gate is
/// `cutover`, from cutover `done`, any other advance `advance`; a rollback that deletes users
/// active on the target is `delete-active`, any other rollback `rollback` (never held).
pub fn action_name(action: Action, phase: Phase, delete_active: bool) -> &'static str {
    match (action, phase) {
        (Action::Advance, Phase::Gate) => "cutover",
        (Action::Advance, Phase::Cutover) => "done",
        (Action::Advance, _) => "advance",
        (Action::AdoptFit, _) => "adopt",
        (Action::RollBack, _) if delete_active => "delete-active",
        (Action::RollBack | Action::RetryRollBack, _) => "rollback",
        (Action::Retest, _) => "retest",
        (Action::Replan, _) => "replan",
        (Action::Pause, _) => "pause",
        (Action::Resume, _) => "resume",
        _ => "other",
    }
}

/// An OS user, or every member of a Unix group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(String),
    Group(String),
}

impl Principal {
    /// `alice`, or `group:ops`.
    pub fn parse(text: &str) -> Result<Principal, String> {
        let t = text.trim();
        match t.strip_prefix("group:") {
            Some(g) if !g.trim().is_empty() => Ok(Principal::Group(g.trim().to_string())),
            Some(_) => Err("\"group:\" needs a group's name, e.g. \"group:leads\"".into()),
            None if t.is_empty() || t.contains(char::is_whitespace) => Err(format!(
                "\"{t}\" is not a user name: write an OS user (\"alice\") or a group (\"group:leads\")"
            )),
            None => Ok(Principal::User(t.to_string())),
        }
    }

    /// Whether `user` is this principal; `in_group(user, group)` says group membership.
    pub fn holds(&self, user: &str, in_group: &dyn Fn(&str, &str) -> bool) -> bool {
        match self {
            Principal::User(u) => u == user,
            Principal::Group(g) => in_group(user, g),
        }
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::User(u) => write!(f, "{u}"),
            Principal::Group(g) => write!(f, "group:{g}"),
        }
    }
}

/// When the actions it names are allowed: on `days`, from `from` to `to` local time in `zone`
/// (a `to` at or before `from` runs past midnight into the next day).
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub actions: Vec<String>,
    /// Monday first.
    pub days: [bool; 7],
    pub from: NaiveTime,
    pub to: NaiveTime,
    pub zone: chrono_tz::Tz,
}

/// When the actions it names are refused: from `from` (included) to `to` (excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct Freeze {
    pub actions: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Window {
    pub(super) fn names(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a == action)
    }

    /// Whether the window is open at `t`.
    pub fn open_at(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.zone);
        let (day, time) = (
            local.weekday().num_days_from_monday() as usize,
            local.time(),
        );
        if self.from < self.to {
            self.days[day] && time >= self.from && time < self.to
        } else {
            (self.days[day] && time >= self.from) || (self.days[(day + 6) % 7] && time < self.to)
        }
    }

    /// The moment `time` on `date` in the window's zone (a time inside a daylight-saving gap:
    /// when the clocks go on).
    pub(super) fn local(&self, date: chrono::NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        let start = date.and_time(time);
        self.zone
            .from_local_datetime(&start)
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&(start + Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.with_timezone(&Utc))
    }

    /// The first opening after `t` (within the next eight days; `None` for a window with no
    /// day).
    pub fn next_opening(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = t.with_timezone(&self.zone).date_naive();
        (0..=8)
            .filter_map(|d| today.checked_add_signed(Duration::days(d)))
            .filter(|date| self.days[date.weekday().num_days_from_monday() as usize])
            .filter_map(|date| self.local(date, self.from))
            .find(|&o| o > t)
    }

    /// "mon, tue 09:00–15:00 Europe/Berlin".
    pub fn describe(&self) -> String {
        let days: Vec<&str> = (0..7).filter(|&d| self.days[d]).map(|d| DAYS[d]).collect();
        format!(
            "{} {}–{} {}",
            days.join(", "),
            self.from.format("%H:%M"),
            self.to.format("%H:%M"),
            self.zone.name()
        )
    }
}

/// A day name (`mon` … `sun`, or in full), Monday first.
pub fn day(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_lowercase();
    let w: Weekday = t.parse().ok()?;
    Some(w.num_days_from_monday() as usize)
}

/// Why an action may not run now, and when it may.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    /// "outside its window (mon, tue 09:00–15:00 Europe/Berlin)", "frozen until …".
    pub why: String,
    /// The next moment it may run (`None`: no window ever opens).
    pub opens: Option<DateTime<Utc>>,
}

/// The project's windows and freezes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub windows: Vec<Window>,
    pub freezes: Vec<Freeze>,
}

impl Rules {
    /// Whether `action` may run at `t`: every freeze naming it is over, and, when windows name
    /// it, one of them is open. A rollback is never held.
    pub fn check(&self, action: &str, t: DateTime<Utc>) -> Result<(), Closed> {
        if action == "rollback" {
            return Ok(());
        }
        if let Some(f) = self.frozen(action, t) {
            return Err(Closed {
                why: format!(
                    "{action} is frozen from {} to {}",
                    f.from.to_rfc3339(),
                    f.to.to_rfc3339()
                ),
                opens: self.opens(action, t),
            });
        }
        let windows: Vec<&Window> = self.windows.iter().filter(|w| w.names(action)).collect();
        if windows.is_empty() || windows.iter().any(|w| w.open_at(t)) {
            return Ok(());
        }
        let list: Vec<String> = windows.iter().map(|w| w.describe()).collect();
        Err(Closed {
            why: format!("{action} is outside its window ({})", list.join("; ")),
            opens: self.opens(action, t),
        })
    }

    fn frozen(&self, action: &str, t: DateTime<Utc>) -> Option<&Freeze> {
        self.freezes
            .iter()
            .find(|f| f.actions.iter().any(|a| a == action) && f.from <= t && t < f.to)
    }

    /// The first moment at or after `t` when `action` may run.
    pub fn opens(&self, action: &str, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let windows: Vec<&Window> = self.windows.iter().filter(|w| w.names(action)).collect();
        let mut at = t;
        // Each step jumps to a freeze's end or a window's opening: a few suffice.
        for _ in 0..64 {
            if let Some(f) = self.frozen(action, at) {
                at = f.to;
                continue;
            }
            if windows.is_empty() || windows.iter().any(|w| w.open_at(at)) {
                return Some(at);
            }
            at = windows.iter().filter_map(|w| w.next_opening(at)).min()?;
        }
        None
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A moment written as RFC 3339 (the tests' clock).
    pub(in crate::model) fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    /// Cutover, Monday to Thursday, 09:00–15:00 in Berlin.
    pub(in crate::model) fn berlin() -> Window {
        Window {
            actions: vec!["cutover".into()],
            days: [true, true, true, true, false, false, false],
            from: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            to: NaiveTime::from_hms_opt(15, 0, 0).unwrap_or_default(),
            zone: chrono_tz::Europe::Berlin,
        }
    }

    #[test]
    fn a_window_opens_on_its_days_in_its_zone() {
        let w = berlin();
        // Thursday 2026-12-10 10:00 in Berlin is 09:00 UTC.
        assert!(w.open_at(at("2026-12-10T09:00:00Z")));
        assert!(!w.open_at(at("2026-12-10T14:00:00Z")), "15:00 in Berlin");
        assert!(!w.open_at(at("2026-12-11T09:00:00Z")), "a Friday");
        // From Friday, the next opening is Monday 09:00 Berlin (08:00 UTC).
        assert_eq!(
            w.next_opening(at("2026-12-11T09:00:00Z")),
            Some(at("2026-12-14T08:00:00Z"))
        );
        // Summer time: 09:00 in Berlin is 07:00 UTC.
        assert_eq!(
            w.next_opening(at("2027-06-04T12:00:00Z")),
            Some(at("2027-06-07T07:00:00Z"))
        );
        assert_eq!(w.describe(), "mon, tue, wed, thu 09:00–15:00 Europe/Berlin");
    }

    #[test]
    fn a_window_past_midnight_belongs_to_the_day_it_starts() {
        let w = Window {
            days: [false, false, false, false, true, false, false],
            from: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default(),
            to: NaiveTime::from_hms_opt(2, 0, 0).unwrap_or_default(),
            zone: chrono_tz::UTC,
            ..berlin()
        };
        assert!(w.open_at(at("2026-12-11T23:00:00Z")), "Friday 23:00");
        assert!(
            w.open_at(at("2026-12-12T01:00:00Z")),
            "Saturday 01:00, Friday's window"
        );
        assert!(!w.open_at(at("2026-12-12T23:00:00Z")), "Saturday 23:00");
    }

    #[test]
    fn outside_its_window_an_action_is_refused_with_the_next_opening_and_a_rollback_never_is() {
        let rules = Rules {
            windows: vec![berlin()],
            freezes: vec![Freeze {
                actions: vec!["cutover".into(), "done".into()],
                from: at("2026-12-24T00:00:00+01:00"),
                to: at("2027-01-02T00:00:00+01:00"),
            }],
        };
        let friday = at("2026-12-11T09:00:00Z");
        let closed = rules.check("cutover", friday).expect_err("a Friday");
        assert_eq!(closed.opens, Some(at("2026-12-14T08:00:00Z")));
        assert!(closed.why.contains("outside its window"), "{}", closed.why);
        assert_eq!(rules.check("rollback", friday), Ok(()));
        assert_eq!(rules.check("done", friday), Ok(()), "no window names done");
        // In the freeze: refused until it ends, then the window's next opening (Monday 4th).
        let frozen = rules
            .check("cutover", at("2026-12-28T09:00:00Z"))
            .expect_err("frozen");
        assert!(frozen.why.contains("frozen"), "{}", frozen.why);
        assert_eq!(frozen.opens, Some(at("2027-01-04T08:00:00Z")));
        assert!(rules.check("done", at("2026-12-28T09:00:00Z")).is_err());
    }

    #[test]
    fn principals_name_users_and_groups() {
        let in_group = |u: &str, g: &str| u == "bob" && g == "leads";
        let leads = Principal::parse("group:leads").expect("a group");
        assert!(leads.holds("bob", &in_group));
        assert!(!leads.holds("alice", &in_group));
        assert!(
            Principal::parse("alice")
                .expect("a user")
                .holds("alice", &in_group)
        );
        assert!(Principal::parse("group:").is_err());
        assert!(Principal::parse("two words").is_err());
        assert_eq!(action_name(Action::Advance, Phase::Gate, false), "cutover");
        assert_eq!(
            action_name(Action::RollBack, Phase::Cutover, true),
            "delete-active"
        );
        assert_eq!(
            action_name(Action::RollBack, Phase::Cutover, false),
            "rollback"
        );
        assert_eq!(day("Thu"), Some(3));
        assert_eq!(day("someday"), None);
    }
}
