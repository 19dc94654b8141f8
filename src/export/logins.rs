//! Reading the last-login (and creation) column of a user export into a
//! [`Recency`] histogram: what `cutover plan` and the forecast harness read.
//!
//! Rows that cannot be read are counted, and the first few kept with their line numbers;
//! the run goes on.

use super::{Scalar, instant, json_fields, looks_like_json_lines};
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

/// Read an export file: JSON lines or CSV, told apart by the first character.
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

/// Read an export from any reader (see [`read`]).
pub fn read_from(
    mut input: impl BufRead,
    field: Option<&str>,
    created: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Read> {
    let json = looks_like_json_lines(input.fill_buf()?);
    let mut r = Read {
        recency: Recency::new(),
        bad: 0,
        shown: Vec::new(),
        field: String::new(),
        created: None,
    };
    if json {
        read_json(input, field, created, at, &mut r)?
    } else {
        read_csv(input, field, created, at, &mut r)?
    }
    Ok(r)
}

/// Rows probed for the default fields (a user who never logged in has no last-login field).
const PROBE_ROWS: usize = 1000;

fn read_json(
    input: impl BufRead,
    field: Option<&str>,
    created: Option<&str>,
    at: DateTime<Utc>,
    r: &mut Read,
) -> Result<()> {
    let split = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
    let mut lines = input.lines().enumerate().map(|(i, l)| {
        let n = i as u64 + 1;
        l.map(|l| (n, l))
            .with_context(|| format!("line {n} cannot be read"))
    });
    // The first rows decide the default fields: the first name any of them has.
    let mut head = Vec::new();
    for line in lines.by_ref().take(PROBE_ROWS) {
        head.push(line?);
    }
    let probe = |names: &[&str]| {
        names
            .iter()
            .find(|name| {
                head.iter().any(|(_, line)| {
                    json_fields(line, &[split(name)]).is_ok_and(|v| v[0].is_some())
                })
            })
            .map(|s| s.to_string())
    };
    r.field = match field {
        Some(f) => f.to_string(),
        None => probe(&LAST_LOGIN).ok_or_else(|| {
            anyhow!("the first rows have none of the fields {LAST_LOGIN:?}; name the last-login field with --field")
        })?,
    };
    r.created = created.map(str::to_string).or_else(|| probe(&CREATED));
    let mut paths = vec![split(&r.field)];
    paths.extend(r.created.as_deref().map(split));
    let rest = lines.map(|l| l.map_err(|e| e.to_string()));
    for line in head.into_iter().map(Ok).chain(rest) {
        let (n, line) = line.map_err(|e| anyhow!(e))?;
        if line.trim().is_empty() {
            continue;
        }
        match json_fields(&line, &paths) {
            Ok(v) => {
                let created = v.get(1).and_then(Option::as_ref);
                r.user(n, at, v[0].as_ref(), created);
            }
            Err(e) => r.bad(n, e),
        }
    }
    Ok(())
}

fn read_csv(
    input: impl std::io::Read,
    field: Option<&str>,
    created: Option<&str>,
    at: DateTime<Utc>,
    r: &mut Read,
) -> Result<()> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = csv
        .headers()
        .context("the export has no CSV header")?
        .clone();
    let find = |name: &str| header.iter().position(|h| h.trim() == name);
    let (col, name) = match field {
        Some(f) => (find(f).ok_or_else(|| anyhow!("the header has no column '{f}'"))?, f.to_string()),
        None => LAST_LOGIN
            .iter()
            .find_map(|n| Some((find(n)?, n.to_string())))
            .ok_or_else(|| anyhow!("the header has none of the columns {LAST_LOGIN:?}; name the last-login column with --field"))?,
    };
    r.field = name;
    let created_col = match created {
        Some(c) => Some((
            find(c).ok_or_else(|| anyhow!("the header has no column '{c}'"))?,
            c.to_string(),
        )),
        None => CREATED.iter().find_map(|n| Some((find(n)?, n.to_string()))),
    };
    r.created = created_col.as_ref().map(|c| c.1.clone());
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let n = record.position().map_or(0, |p| p.line());
                let text = |i: usize| record.get(i).map(|t| Scalar::Text(t.to_string()));
                let last = text(col);
                let created = created_col.as_ref().and_then(|c| text(c.0));
                r.user(n, at, last.as_ref(), created.as_ref());
            }
            Err(e) => {
                let n = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    bail!("reading the export failed at line {n}: {e}");
                }
                r.bad(n, format!("unreadable: {e}"));
            }
        }
    }
    Ok(())
}
