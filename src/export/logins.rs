//! Reading the last-login (and creation) column of a user export into a
//! [`Recency`] histogram: what `cutover plan` and the forecast harness read. Where the export
//! also has a login count (Auth0's `logins_count`, Active Directory's `logonCount`), each user
//! with a count, a last login and a creation date is also kept as a login history (repeat
//! logins, account age at the last one, account age now, in days) for the churn-aware plan
//! ([`crate::model::bgnbd`]): three numbers a user, nothing else.
//!
//! Rows that cannot be read are counted, and the first few kept with their line numbers;
//! the run goes on.

use super::rows::{self, Field};
use super::{Scalar, instant};
use crate::model::recency::Recency;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::io::{BufRead, BufReader};

const LAST_LOGIN: [&str; 7] = [
    "last_login",
    "lastLoginInstant",
    "last_login_at",
    "lastLogin",
    "lastLogon",
    "authTimestamp",
    "pwdLastSuccess",
];
const CREATED: [&str; 4] = [
    "created_at",
    "insertInstant",
    "createdAt",
    "createTimestamp",
];
const COUNT: [&str; 3] = ["logins_count", "logonCount", "loginsCount"];
const SHOWN: usize = 5;

/// What reading an export found.
pub struct Read {
    pub recency: Recency,
    pub bad: u64,
    /// The first few bad rows: (line, reason).
    pub shown: Vec<(u64, String)>,
    pub field: String,
    pub created: Option<String>,
    /// The login-count field, when any row has it.
    pub count: Option<String>,
    /// Users with a count, a last login and a creation date.
    pub histories: Vec<crate::model::bgnbd::History>,
    /// Counts that were no whole number ≥ 0 (those users have no history).
    pub bad_counts: u64,
}

impl Read {
    fn bad(&mut self, line: u64, reason: String) {
        self.bad += 1;
        if self.shown.len() < SHOWN {
            self.shown.push((line, reason));
        }
    }

    /// One user's last login and creation, as times.
    fn user(
        &mut self,
        line: u64,
        at: DateTime<Utc>,
        last: Option<&Scalar>,
        created: Option<&Scalar>,
        count: Option<&Scalar>,
    ) {
        let days = |t: DateTime<Utc>| (at - t).num_milliseconds().div_euclid(86_400_000);
        let last = match last.map(instant).transpose() {
            Ok(t) => t.flatten(),
            Err(e) => return self.bad(line, format!("last login: {e}")),
        };
        let created = match created.map(instant).transpose() {
            Ok(t) => t.flatten(),
            Err(e) => return self.bad(line, format!("creation date: {e}")),
        };
        let last_days = last.map(days);
        if last_days.is_some_and(|d| d < 0) {
            return self.bad(line, "last login after the plan's moment (--at)".into());
        }
        let age = created.map(days).map(|a| a.max(0) as u64);
        // A count that is no whole number ≥ 0 costs the user its history, not its place in
        // the recency plan; a blank or null one is no count.
        let count = match count {
            None | Some(Scalar::Null) => None,
            Some(Scalar::Text(t)) if matches!(t.trim(), "" | "null") => None,
            Some(Scalar::Int(n)) if *n >= 0 => Some(*n as f64),
            Some(Scalar::Float(n)) if n.is_finite() && *n >= 0.0 && n.fract() == 0.0 => Some(*n),
            Some(Scalar::Text(t)) if t.trim().parse::<u64>().is_ok() => t.trim().parse().ok(),
            Some(_) => {
                self.bad_counts += 1;
                None
            }
        };
        self.recency.add(last_days.map(|d| d as u64), age);
        // A history in days: the count includes the first login, so its repeats are one less;
        // without a repeat the last login tells nothing of the rate beyond the first.
        if let (Some(n), Some(c), Some(l)) = (count, created, last) {
            let days_between =
                |a: DateTime<Utc>, b: DateTime<Utc>| (a - b).num_minutes() as f64 / 1440.0;
            let x = (n - 1.0).max(0.0);
            let t_x = if x > 0.0 {
                days_between(l, c).max(0.0)
            } else {
                0.0
            };
            if let Some(h) = crate::model::bgnbd::History::checked(
                x,
                t_x.min(days_between(at, c)),
                days_between(at, c),
            ) {
                self.histories.push(h);
            }
        }
    }
}

/// Read an export: a file (CSV, JSON lines, FusionAuth's import file or LDIF, see
/// [`super::rows`]) or a live directory.
pub fn read(
    export: &super::Source,
    field: Option<&str>,
    created: Option<&str>,
    count: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Read> {
    if let Some(path) = export.file() {
        let file = std::fs::File::open(path)
            .with_context(|| format!("cannot read '{}'", path.display()))?;
        return read_counted(
            BufReader::with_capacity(1 << 20, file),
            [field, created, count],
            at,
        );
    }
    let mut r = Read::empty();
    let fields = wanted([field, created, count]);
    let streamed = export
        .stream(&fields, |line, row| r.take(line, at, row))
        .map_err(|e| anyhow!("{export}: {e}"))?;
    r.finish(streamed, [field, created, count])
}

/// Read an export from any reader (see [`read`]). Each row's last login is read from the
/// first of the default fields it has (a row with none never logged in), unless `field`
/// names one; an export where no row has any is an error.
pub fn read_from(
    input: impl BufRead,
    field: Option<&str>,
    created: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Read> {
    read_counted(input, [field, created, None], at)
}

/// [`read_from`], with the login-count field named (`names[2]`; default: the first of
/// logins_count, logonCount, loginsCount found).
pub fn read_counted(
    input: impl BufRead,
    names: [Option<&str>; 3],
    at: DateTime<Utc>,
) -> Result<Read> {
    let mut r = Read::empty();
    let streamed = rows::stream(input, &wanted(names), |line, row| r.take(line, at, row))
        .map_err(|e| anyhow!(e))?;
    r.finish(streamed, names)
}

/// The fields read: the last login, the creation and the login count, each as named or by
/// its default names.
fn wanted(names: [Option<&str>; 3]) -> [Field; 3] {
    let [field, created, count] = names;
    [
        field.map_or_else(|| Field::any_of(&LAST_LOGIN), Field::named),
        created.map_or_else(|| Field::any_of(&CREATED), Field::named),
        count.map_or_else(|| Field::any_of(&COUNT), Field::named),
    ]
}

impl Read {
    fn empty() -> Read {
        Read {
            recency: Recency::new(),
            bad: 0,
            shown: Vec::new(),
            field: String::new(),
            created: None,
            count: None,
            histories: Vec::new(),
            bad_counts: 0,
        }
    }

    /// One row of the export.
    fn take(&mut self, line: u64, at: DateTime<Utc>, row: rows::RowResult<'_>) {
        match row {
            Ok(v) => self.user(line, at, v[0].as_ref(), v[1].as_ref(), v[2].as_ref()),
            Err(reason) => self.bad(line, reason.to_string()),
        }
    }

    /// Which fields the rows had; an error where none had a field that was named.
    fn finish(mut self, streamed: rows::Streamed, names: [Option<&str>; 3]) -> Result<Read> {
        let [field, _, count] = names;
        self.field = match (&streamed.used[0], field) {
            (Some(f), _) => f.clone(),
            (None, Some(f)) => {
                bail!("no row has the field '{f}'; name the last-login field with --field")
            }
            (None, None) => bail!(
                "no row has any of the fields {LAST_LOGIN:?}; name the last-login field with --field"
            ),
        };
        self.created = streamed.used[1].clone();
        self.count = streamed.used[2].clone();
        if let (Some(f), None) = (count, &self.count) {
            bail!("no row has the login-count field '{f}'; name it with --count, or leave it out");
        }
        Ok(self)
    }
}
