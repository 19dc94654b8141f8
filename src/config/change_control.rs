//! `[approvals]`, `[access]`, `[[windows]]` and `[[freezes]]`: the project's change control as
//! written, and checked (every action named one change control knows, every zone a named time
//! zone, every time a time). The rules themselves live in [`crate::model::change_control`].

use super::Severity;
use super::found::Found;
use super::locate::KeyPath;
use crate::model::change_control::{ACTIONS, Freeze, Principal, Rules, Window, day};
use serde::Deserialize;
use std::time::Duration;

/// `[approvals]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsFile {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub approvers: Vec<String>,
    pub required: Option<u32>,
    pub expires: Option<String>,
    /// Whether a lead may ask to run an action outside its window, with approval (default
    /// true).
    pub overrides: Option<bool>,
}

/// `[access]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessFile {
    #[serde(default)]
    pub viewers: Vec<String>,
}

/// `[[windows]]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowFile {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub days: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub zone: Option<String>,
}

/// `[[freezes]]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeFile {
    #[serde(default)]
    pub actions: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `[approvals]`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Approvals {
    pub actions: Vec<String>,
    pub approvers: Vec<Principal>,
    pub required: u32,
    pub expires: Duration,
    pub overrides: bool,
}

/// The project's change control, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeControl {
    pub approvals: Option<Approvals>,
    pub viewers: Vec<Principal>,
    pub rules: Rules,
}

/// The sections as the project file holds them.
pub struct Sections<'a> {
    pub approvals: Option<&'a ApprovalsFile>,
    pub access: &'a AccessFile,
    pub windows: &'a [WindowFile],
    pub freezes: &'a [FreezeFile],
}

/// Check every section; what is wrong is said at its key.
pub(super) fn validate(raw: Sections<'_>, root: &KeyPath, found: &mut Found) -> ChangeControl {
    let mut fail = |at: KeyPath, msg: String| found.push((Severity::Error, at, msg.into()));
    let known = ACTIONS.join(", ");
    let actions = |list: &[String], at: KeyPath, fail: &mut dyn FnMut(KeyPath, String)| {
        for a in list {
            if a == "rollback" {
                fail(
                    at.clone(),
                    "rollback is never held: a rollback always runs at once (safety first), and the guard's never waits".into(),
                );
            } else if !ACTIONS.contains(&a.as_str()) {
                fail(
                    at.clone(),
                    format!("'{a}' is not an action change control knows: name some of {known}"),
                );
            }
        }
        list.to_vec()
    };
    let principals = |list: &[String], at: KeyPath, fail: &mut dyn FnMut(KeyPath, String)| {
        list.iter()
            .filter_map(|p| match Principal::parse(p) {
                Ok(p) => Some(p),
                Err(e) => {
                    fail(at.clone(), e);
                    None
                }
            })
            .collect::<Vec<_>>()
    };
    let approvals = raw.approvals.map(|a| {
        let at = root.clone().key("approvals");
        let list = actions(&a.actions, at.clone().key("actions"), &mut fail);
        let approvers = principals(&a.approvers, at.clone().key("approvers"), &mut fail);
        if approvers.is_empty() {
            fail(
                at.clone().key("approvers"),
                "must name who may approve: OS users (\"bob\") or groups (\"group:leads\")".into(),
            );
        }
        let required = a.required.unwrap_or(1);
        if required == 0 {
            fail(
                at.clone().key("required"),
                "must be at least 1 (leave [approvals] out for no approvals)".into(),
            );
        }
        let expires = match a.expires.as_deref() {
            None => Duration::from_secs(24 * 3600),
            Some(t) => match humantime::parse_duration(t) {
                Ok(d) if d.as_secs() >= 60 => d,
                _ => {
                    fail(
                        at.clone().key("expires"),
                        format!("\"{t}\" is not a duration of a minute or more, e.g. \"24h\""),
                    );
                    Duration::from_secs(24 * 3600)
                }
            },
        };
        Approvals {
            actions: list,
            approvers,
            required: required.max(1),
            expires,
            overrides: a.overrides.unwrap_or(true),
        }
    });
    let viewers = principals(
        &raw.access.viewers,
        root.clone().key("access").key("viewers"),
        &mut fail,
    );
    let mut rules = Rules::default();
    for (i, w) in raw.windows.iter().enumerate() {
        let at = root.clone().key("windows").index(i);
        let list = actions(&w.actions, at.clone().key("actions"), &mut fail);
        if list.is_empty() {
            fail(
                at.clone().key("actions"),
                "must name the actions this window allows, e.g. [\"cutover\"]".into(),
            );
        }
        let mut days = [false; 7];
        for d in &w.days {
            match day(d) {
                Some(k) => days[k] = true,
                None => fail(
                    at.clone().key("days"),
                    format!("'{d}' is not a day: write mon, tue, wed, thu, fri, sat or sun"),
                ),
            }
        }
        if w.days.is_empty() {
            days = [true; 7];
        }
        let time = |key: &str, text: Option<&str>, fail: &mut dyn FnMut(KeyPath, String)| {
            let parsed =
                text.and_then(|t| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok());
            if parsed.is_none() {
                fail(
                    at.clone().key(key),
                    format!("must be a time of day as HH:MM, e.g. {key} = \"09:00\""),
                );
            }
            parsed.unwrap_or_default()
        };
        let from = time("from", w.from.as_deref(), &mut fail);
        let to = time("to", w.to.as_deref(), &mut fail);
        let zone = match w.zone.as_deref().map(str::parse::<chrono_tz::Tz>) {
            Some(Ok(z)) => z,
            _ => {
                fail(
                    at.clone().key("zone"),
                    "must name a time zone of the IANA database, e.g. zone = \"Europe/Berlin\" (or \"UTC\")".into(),
                );
                chrono_tz::UTC
            }
        };
        rules.windows.push(Window {
            actions: list,
            days,
            from,
            to,
            zone,
        });
    }
    for (i, f) in raw.freezes.iter().enumerate() {
        let at = root.clone().key("freezes").index(i);
        let list = actions(&f.actions, at.clone().key("actions"), &mut fail);
        let moment = |key: &str, text: Option<&str>, fail: &mut dyn FnMut(KeyPath, String)| {
            let parsed = text
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
                .map(|t| t.with_timezone(&chrono::Utc));
            if parsed.is_none() {
                fail(
                    at.clone().key(key),
                    format!(
                        "must be an RFC 3339 time with its offset, e.g. {key} = \"2026-12-24T00:00:00+01:00\""
                    ),
                );
            }
            parsed.unwrap_or_default()
        };
        let from = moment("from", f.from.as_deref(), &mut fail);
        let to = moment("to", f.to.as_deref(), &mut fail);
        if to <= from {
            fail(at.clone().key("to"), "must come after from".into());
        }
        if list.is_empty() {
            fail(
                at.clone().key("actions"),
                "must name the actions this freeze refuses, e.g. [\"cutover\", \"done\"]".into(),
            );
        }
        rules.freezes.push(Freeze {
            actions: list,
            from,
            to,
        });
    }
    ChangeControl {
        approvals,
        viewers,
        rules,
    }
}
