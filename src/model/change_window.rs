//! The project's windows and freezes as they stand at a moment: for each action they name,
//! whether it may run now and when that next changes. `cutover status` and the cockpit's
//! header show it, so a lead sees "cutover closed · opens Mon 09:00" before pressing a key
//! that would be refused. The rules themselves are [`super::change_control`].

use super::change_control::{Rules, Window};
use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// One action a window or freeze names, at the moment the status was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowNow {
    /// Its change-control name (`cutover`, `done`, ...).
    pub action: String,
    /// Whether it may run now.
    pub open: bool,
    /// Frozen (a `[[freezes]]` entry holds it), rather than outside its windows.
    pub frozen: bool,
    /// When the answer next changes: the window closes or opens, the freeze ends (`None`: not
    /// within the next eight days).
    pub next_change: Option<DateTime<Utc>>,
    /// The IANA zone its times are shown in: the first window naming it, else UTC.
    pub zone: String,
}

impl WindowNow {
    /// "cutover open · closes Thu 10 Dec 15:00 Europe/Berlin", "cutover frozen · opens Mon 4
    /// Jan 09:00 Europe/Berlin": what `status` and the cockpit's header say.
    pub fn line(&self) -> String {
        let state = match (self.open, self.frozen) {
            (true, _) => "open",
            (false, true) => "frozen",
            (false, false) => "closed",
        };
        let zone: chrono_tz::Tz = self.zone.parse().unwrap_or(chrono_tz::UTC);
        match self.next_change {
            Some(t) => format!(
                "{} {state} · {} {} {}",
                self.action,
                if self.open { "closes" } else { "opens" },
                t.with_timezone(&zone).format("%a %-d %b %H:%M"),
                zone.name()
            ),
            None if self.open => format!("{} {state}", self.action),
            None => format!("{} {state} · not opening within 8 days", self.action),
        }
    }
}

impl Rules {
    /// Every action the windows and freezes name (in the order the file names them first),
    /// as it stands at `t`.
    pub fn standing(&self, t: DateTime<Utc>) -> Vec<WindowNow> {
        let mut actions: Vec<&str> = Vec::new();
        let named = self
            .windows
            .iter()
            .flat_map(|w| &w.actions)
            .chain(self.freezes.iter().flat_map(|f| &f.actions));
        for a in named {
            if !actions.contains(&a.as_str()) {
                actions.push(a);
            }
        }
        actions
            .into_iter()
            .map(|action| {
                let closed = self.check(action, t).err();
                WindowNow {
                    action: action.to_string(),
                    open: closed.is_none(),
                    frozen: closed.is_some_and(|c| c.why.contains("frozen")),
                    next_change: self.next_change(action, t),
                    zone: self
                        .windows
                        .iter()
                        .find(|w| w.names(action))
                        .map_or("UTC", |w| w.zone.name())
                        .to_string(),
                }
            })
            .collect()
    }

    /// The next moment after `t` when the answer for `action` changes (a window opening or
    /// closing, a freeze starting or ending), within eight days. Exact: the answer can only
    /// change at a window's start or end, when its zone's clocks change (a start inside the
    /// skipped hour opens as the clocks go on; a repeated hour can open a window again), or
    /// at a freeze's bounds, so only those are asked.
    pub fn next_change(&self, action: &str, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let now = self.check(action, t).is_ok();
        let horizon = t + Duration::days(8);
        let mut bounds: Vec<DateTime<Utc>> = self
            .windows
            .iter()
            .filter(|w| w.names(action))
            .flat_map(|w| {
                let mut b = bounds_of(w, t);
                b.extend(transitions(w.zone, t, 9));
                b
            })
            .chain(
                self.freezes
                    .iter()
                    .filter(|f| f.actions.iter().any(|a| a == action))
                    .flat_map(|f| [f.from, f.to]),
            )
            .filter(|&b| b > t && b <= horizon)
            .collect();
        bounds.sort_unstable();
        bounds
            .into_iter()
            .find(|&b| self.check(action, b).is_ok() != now)
    }
}

/// The moments in the `days` after `t` when `zone`'s offset changes (daylight saving), to the
/// second: each day whose two ends differ in offset is halved down to the change.
fn transitions(zone: chrono_tz::Tz, t: DateTime<Utc>, days: i64) -> Vec<DateTime<Utc>> {
    let offset = |s: i64| {
        DateTime::from_timestamp(s, 0)
            .map(|u| u.with_timezone(&zone).offset().fix().local_minus_utc())
    };
    let start = t.timestamp();
    (0..days)
        .filter_map(|d| {
            let (mut lo, mut hi) = (start + d * 86_400, start + (d + 1) * 86_400);
            if offset(lo) == offset(hi) {
                return None;
            }
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(mid) == offset(lo) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            DateTime::from_timestamp(hi, 0)
        })
        .collect()
}

/// A window's starts and ends from the day before `t` to nine days after, as moments.
fn bounds_of(w: &Window, t: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let today = t.with_timezone(&w.zone).date_naive();
    (-1..=9)
        .filter_map(|d| today.checked_add_signed(Duration::days(d)))
        .flat_map(|date| {
            // A window past midnight ends on the next day.
            let end = if w.to <= w.from {
                date.succ_opt().unwrap_or(date)
            } else {
                date
            };
            [(date, w.from), (end, w.to)]
        })
        .flat_map(|(date, time)| {
            // A time the clocks pass twice (the repeated hour) is a bound both times.
            let twice = match w.zone.from_local_datetime(&date.and_time(time)) {
                chrono::LocalResult::Ambiguous(_, later) => Some(later.with_timezone(&Utc)),
                _ => None,
            };
            [w.local(date, time), twice]
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::change_control::Freeze;
    use crate::model::change_control::tests::{at, berlin};
    use chrono::NaiveTime;

    fn rules() -> Rules {
        Rules {
            windows: vec![berlin()],
            freezes: vec![Freeze {
                actions: vec!["cutover".into(), "done".into()],
                from: at("2026-12-24T00:00:00+01:00"),
                to: at("2027-01-02T00:00:00+01:00"),
            }],
        }
    }

    #[test]
    fn the_header_sees_when_a_window_closes_and_when_it_next_opens() {
        let r = rules();
        // Thursday 10:00 Berlin: open, closes at 15:00 Berlin.
        let thursday = r.standing(at("2026-12-10T09:00:00Z"));
        assert_eq!(thursday[0].action, "cutover");
        assert!(thursday[0].open && !thursday[0].frozen);
        assert_eq!(thursday[0].next_change, Some(at("2026-12-10T14:00:00Z")));
        assert_eq!(thursday[0].zone, "Europe/Berlin");
        assert_eq!(
            thursday[0].line(),
            "cutover open · closes Thu 10 Dec 15:00 Europe/Berlin"
        );
        // Friday: closed over the weekend, opens Monday 09:00 Berlin.
        let friday = r.standing(at("2026-12-11T09:00:00Z"));
        assert!(!friday[0].open && !friday[0].frozen);
        assert_eq!(friday[0].next_change, Some(at("2026-12-14T08:00:00Z")));
        // `done` only in the freeze: open now, the freeze's start is its next change.
        assert_eq!(friday[1].action, "done");
        assert!(friday[1].open);
        assert_eq!(friday[1].zone, "UTC");
        assert_eq!(
            r.next_change("done", at("2026-12-20T09:00:00Z")),
            Some(at("2026-12-23T23:00:00Z"))
        );
        // In the freeze: frozen; nothing changes within eight days of Christmas.
        let christmas = r.standing(at("2026-12-25T09:00:00Z"));
        assert!(!christmas[0].open && christmas[0].frozen);
        assert_eq!(christmas[0].next_change, None);
        assert_eq!(
            christmas[0].line(),
            "cutover frozen · not opening within 8 days"
        );
        assert_eq!(
            r.standing(at("2026-12-31T09:00:00Z"))[0].line(),
            "cutover frozen · opens Mon 4 Jan 09:00 Europe/Berlin"
        );
        // A window past midnight closes the next morning.
        let mut night = rules();
        night.windows[0].from = NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default();
        night.windows[0].to = NaiveTime::from_hms_opt(2, 0, 0).unwrap_or_default();
        assert_eq!(
            night.next_change("cutover", at("2026-12-10T22:00:00Z")),
            Some(at("2026-12-11T01:00:00Z"))
        );
    }

    #[test]
    fn the_next_change_follows_the_clocks_as_they_change() {
        let window = |from: (u32, u32), to: (u32, u32)| Rules {
            windows: vec![Window {
                days: [true; 7],
                from: NaiveTime::from_hms_opt(from.0, from.1, 0).unwrap_or_default(),
                to: NaiveTime::from_hms_opt(to.0, to.1, 0).unwrap_or_default(),
                ..berlin()
            }],
            freezes: Vec::new(),
        };
        // 28 March 2027, Berlin: 02:00 becomes 03:00 (01:00 UTC). A window from 02:30 opens
        // as the clocks go on, not an hour later.
        let spring = window((2, 30), (4, 0));
        assert!(spring.check("cutover", at("2027-03-28T00:30:00Z")).is_err());
        assert_eq!(
            spring.next_change("cutover", at("2027-03-28T00:30:00Z")),
            Some(at("2027-03-28T01:00:00Z"))
        );
        // 31 October 2027: 03:00 becomes 02:00 again (01:00 UTC). A window to 02:30 closes at
        // the first 02:30 and opens again when the hour repeats.
        let autumn = window((1, 0), (2, 30));
        assert!(autumn.check("cutover", at("2027-10-31T00:45:00Z")).is_err());
        assert_eq!(
            autumn.next_change("cutover", at("2027-10-31T00:45:00Z")),
            Some(at("2027-10-31T01:00:00Z"))
        );
        assert_eq!(
            autumn.next_change("cutover", at("2027-10-31T01:00:00Z")),
            Some(at("2027-10-31T01:30:00Z"))
        );
    }
}
