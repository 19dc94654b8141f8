//! The pre-flight audit of a legacy user export (`cutover audit EXPORT`): what will go wrong
//! before the first user moves. Duplicates, unstable or email-shaped ids, missing and invalid
//! emails, password-hash schemes with a verdict for the target, accounts in odd states, bad
//! dates, and the last-login recency that a slow migration's plan is built from.
//!
//! The export is streamed once ([`crate::export::rows`]) through a SHA-256 digest; rows are
//! reduced to counts as they pass ([`tally`]). An [`Audit`] holds only counts, scheme names,
//! line numbers and opaque ids: it is what the state records (without its examples), what
//! `--json` prints, and what `cutover report` shows. No email, name or hash is ever in it.

pub mod compat;
pub mod groups;
pub mod hash;
mod problems;
pub mod roles;
mod tally;
pub mod text;
pub mod values;

pub use crate::model::audit::*;
pub use problems::AuditError;

use crate::config::AuditFile;
use crate::export::rows;
use crate::export::source::{Failed, Source};
use chrono::{DateTime, Utc};
use compat::Table;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::Path;

/// Everything an audit needs besides the file.
pub struct Options<'a> {
    pub mapping: &'a AuditFile,
    pub table: &'a Table,
    /// The system users move to; `None` audits without its verdicts: each scheme's
    /// `verdict` is then a placeholder and `moves` is empty, and callers leave both out
    /// (see [`text::render`]).
    pub target: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// Feeds every byte read through SHA-256 and tells `progress` how far the read got.
struct Digesting<'p, R> {
    inner: R,
    sha: Sha256,
    bytes: u64,
    progress: &'p mut dyn FnMut(u64),
}

impl<R: Read> Read for Digesting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        (self.progress)(self.bytes);
        Ok(n)
    }
}

/// Audit the export at `path`; `progress` is told the bytes read so far.
pub fn run(
    path: &Path,
    o: &Options<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Audit, AuditError> {
    run_all(&Source::File(path.to_path_buf()), o, progress).map(|(a, _)| a)
}

/// [`run`] of any export (a file, or a live directory, whose `progress` counts entries), with
/// every group of duplicates (see [`groups`]).
pub fn run_all(
    export: &Source,
    o: &Options<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(Audit, Vec<groups::Group>), AuditError> {
    let target = o.target.map(|t| o.table.target(t)).transpose()?;
    let fields = roles::fields(o.mapping);
    let names: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            roles::ROLES
                .get(i)
                .map_or_else(|| f.candidates[0].clone(), |r| r.to_string())
        })
        .collect();
    let mut tally = tally::Tally::new(o.at);
    let mut entries = 0u64;
    let mut on_row = |line, row: rows::RowResult<'_>| match row {
        Ok(values) => tally.row(line, values, &names),
        Err(reason) => tally.unreadable(line, reason.to_string()),
    };
    let (streamed, sha256, bytes) = match export {
        Source::File(path) => read_file(path, &fields, progress, &mut on_row)?,
        Source::Ldap(_) | Source::Sql(_) => {
            let streamed = export
                .stream(&fields, |line, row| {
                    entries += 1;
                    progress(entries);
                    on_row(line, row)
                })
                .map_err(|e| AuditError::Read {
                    path: export.shown(),
                    source: match e {
                        Failed::Read(r) => r,
                        Failed::Open(io) => crate::export::ReadError::Io {
                            line: None,
                            source: io,
                        },
                    },
                })?;
            let sha = streamed.sha256.clone().unwrap_or_default();
            (streamed, sha, 0)
        }
    };
    let path = export.shown();
    if tally.users == 0 {
        return Err(AuditError::NoUser {
            path: path.to_path_buf(),
            unreadable: tally.unreadable,
            first: tally.bad_shown.first().cloned(),
        });
    }
    let mut moves = BTreeMap::new();
    let hashes = hash::SCHEMES
        .iter()
        .filter_map(|id| {
            let (users, params) = tally.schemes.get(id)?;
            let (verdict, note) = match target {
                Some(t) => {
                    let (verdict, note) = t.verdict(id);
                    *moves.entry(verdict).or_insert(0) += users;
                    (verdict, note)
                }
                None => (Move::Plugin, ""),
            };
            Some(HashCount {
                scheme: id.to_string(),
                users: *users,
                verdict,
                note: note.to_string(),
                params: params.clone(),
            })
        })
        .collect();
    // No last login anywhere in the export: "never logged in" and recency cannot be told
    // (rather than every user counting as never logged in).
    let has_last_login = streamed.used[roles::LAST_LOGIN].is_some();
    let curve = if has_last_login {
        tally.recency.curve(365, 1)
    } else {
        Vec::new()
    };
    // The table shows the first groups, each with its first users.
    let ids = |groups: &[Vec<u32>]| -> Vec<Vec<String>> {
        groups
            .iter()
            .take(tally::SHOWN)
            .map(|g| {
                g.iter()
                    .take(tally::SHOWN)
                    .map(|&u| tally.id_of(u).to_string())
                    .collect()
            })
            .collect()
    };
    let examples = Examples {
        bad_rows: tally.bad_shown.clone(),
        duplicate_emails: ids(&tally.emails.all),
        duplicate_usernames: ids(&tally.usernames.all),
        duplicate_ids: ids(&tally.id_index.all),
    };
    let mut every = Vec::new();
    for (kind, index) in [
        ("email", &tally.emails),
        ("username", &tally.usernames),
        ("id", &tally.id_index),
    ] {
        every.extend(index.all.iter().enumerate().map(|(i, g)| {
            groups::Group {
                kind,
                group: i + 1,
                users: g
                    .iter()
                    .map(|&u| groups::Member {
                        id: tally.id_of(u).to_string(),
                        line: tally.line_of(u),
                    })
                    .collect(),
            }
        }));
    }
    let audit = Audit {
        file: match export {
            Source::File(_) => path
                .file_name()
                .map_or_else(|| "-".into(), |n| n.to_string_lossy().into_owned()),
            Source::Ldap(_) | Source::Sql(_) => export.to_string(),
        },
        sha256,
        bytes,
        format: streamed.format,
        target: o.target.unwrap_or_default().to_string(),
        at: o.at,
        fields: roles::ROLES
            .iter()
            .zip(&streamed.used)
            .filter_map(|(role, used)| Some((role.to_string(), used.clone()?)))
            .collect(),
        rows: tally.rows,
        users: tally.users,
        unreadable: tally.unreadable,
        bad_values: tally.bad_values,
        duplicates: Duplicates {
            emails: tally.emails.extra,
            email_groups: tally.emails.groups,
            usernames: tally.usernames.extra,
            username_groups: tally.usernames.groups,
        },
        ids: Ids {
            missing: tally.ids_missing,
            duplicate: tally.id_index.extra,
            email_shaped: tally.ids_email_shaped,
        },
        emails: Emails {
            missing: tally.emails_missing,
            invalid: tally.emails_invalid,
        },
        hashes,
        moves,
        states: States {
            never_logged_in: if has_last_login {
                tally.never_logged_in
            } else {
                0
            },
            disabled: tally.disabled,
            unverified: tally.unverified,
            partial: tally.partial,
        },
        dates: Dates {
            last_login_unparseable: tally.last_login_unparseable,
            last_login_future: tally.last_login_future,
            created_unparseable: tally.created_unparseable,
            created_future: tally.created_future,
        },
        recency: RECENCY_DAYS
            .iter()
            .map(|&d| Share {
                days: d,
                share: curve.iter().find(|p| p.0 as u32 == d).map(|p| p.1),
            })
            .collect(),
        examples: Some(examples),
    };
    Ok((audit, every))
}

/// Stream a file through `on_row` and a SHA-256 of every byte: what was streamed, the digest
/// and the bytes read.
fn read_file(
    path: &Path,
    fields: &[rows::Field],
    progress: &mut dyn FnMut(u64),
    on_row: &mut impl FnMut(u64, rows::RowResult<'_>),
) -> Result<(rows::Streamed, String, u64), AuditError> {
    let unreadable = |source| AuditError::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut reader = BufReader::with_capacity(
        1 << 20,
        Digesting {
            inner: file,
            sha: Sha256::new(),
            bytes: 0,
            progress,
        },
    );
    let streamed =
        rows::stream(&mut reader, fields, on_row).map_err(|source| AuditError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    // The digest covers the whole file, whatever the parser left unread.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(unreadable)?;
    let digesting = reader.into_inner();
    let sha = digesting
        .sha
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((streamed, sha, digesting.bytes))
}
