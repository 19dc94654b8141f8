//! Reading the last-login (and creation) column of a user export into a
//! [`Recency`] histogram: what `cutover plan` and the forecast harness read.
//!
//! Rows that cannot be read are counted, and the first few kept with their line numbers;
//! the run goes on.

use super::rows::{self, Field};
use super::{Scalar, instant};
use crate::model::recency::Recency;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::io::{BufRead, BufReader};
use std::path::Path;

const LAST_LOGIN: [&str; 5] = [
    "last_login",
    "lastLoginInstant",
    "last_login_at",
    "lastLogin",
    "lastLogon",
];
const CREATED: [&str; 3] = ["created_at", "insertInstant", "createdAt"];
const SHOWN: usize = 5;

/// What reading an export found.
pub struct Read {
    pub recency: Recency,
    pub bad: u64,
    /// The first few bad rows: (line, reason).
    pub shown: Vec<(u64, String)>,
    pub field: String,
    pub created: Option<String>,
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
        self.recency.add(last_days.map(|d| d as u64), age);
    }
}

/// Read an export file: CSV, JSON lines or FusionAuth's import file (see [`super::rows`]).
pub fn read(
    path: &Path,
    field: Option<&str>,
    created: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Read> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read '{}'", path.display()))?;
    read_from(BufReader::with_capacity(1 << 20, file), field, created, at)
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
    let fields = [
        field.map_or_else(|| Field::any_of(&LAST_LOGIN), Field::named),
        created.map_or_else(|| Field::any_of(&CREATED), Field::named),
    ];
    let mut r = Read {
        recency: Recency::new(),
        bad: 0,
        shown: Vec::new(),
        field: String::new(),
        created: None,
    };
    let streamed = rows::stream(input, &fields, |line, row| match row {
        Ok(v) => r.user(line, at, v[0].as_ref(), v[1].as_ref()),
        Err(reason) => r.bad(line, reason.to_string()),
    })
    .map_err(|e| anyhow!(e))?;
    r.field = match (&streamed.used[0], field) {
        (Some(f), _) => f.clone(),
        (None, Some(f)) => {
            bail!("no row has the field '{f}'; name the last-login field with --field")
        }
        (None, None) => bail!(
            "no row has any of the fields {LAST_LOGIN:?}; name the last-login field with --field"
        ),
    };
    r.created = streamed.used[1].clone();
    Ok(r)
}
