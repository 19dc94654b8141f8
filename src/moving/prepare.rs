//! The export, read for a move: which rows move and which are skipped (and why), and the
//! users that move, in batches, each already in the target's import form.
//!
//! Two passes over the file, each streamed with bounded memory. The first ([`scan`]) takes
//! the export's SHA-256 (a resume checks it: the journal names users by their export lines)
//! and finds the rows that cannot move whatever the target says: unreadable rows, rows with no
//! id, a legacy id seen before, an email seen before (case-folded as the audit groups them).
//! Only 64-bit digests of ids and emails are held, never the text. The second ([`batches`])
//! reads each moving row as `cutover audit` reads it ([`crate::audit::roles`]), judges its hash
//! by the compatibility table, converts it, and hands out batches in export order. The batches
//! are the same on every pass over the same file with the same rules, which is what lets a
//! resume skip the ones the journal already holds.
//!
//! Duplicates are decided in export order: the first row with an id or an email keeps it,
//! whatever happens to that row later (a user skipped for an unverifiable hash still holds its
//! email, so a later duplicate does not take its place).

use super::problems::MoveError;
use crate::audit::compat::{self, Move as Verdict};
use crate::audit::hash;
use crate::audit::roles::{CREATED, LAST_LOGIN, USERNAME, User};
use crate::config::moves::{DuplicateEmails, Unverifiable};
use crate::export::rows::{self, Field};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::Path;

/// Why a row does not move; the report counts each (`skipped: {reason: n}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// The row does not parse (a bad line, a wrong type where a user was expected).
    Unreadable,
    /// No legacy id: the target could not keep it, so the user could never be found again.
    NoId,
    /// A legacy id an earlier row has.
    DuplicateId,
    /// An email an earlier row has (`[segments.move] duplicate_emails = "skip"`).
    DuplicateEmail,
    /// A hash the target cannot verify (`unverifiable = "skip"`, the default).
    Unverifiable,
}

impl Skip {
    /// The reason's name in reports and `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Unreadable => "unreadable",
            Skip::NoId => "no-id",
            Skip::DuplicateId => "duplicate-id",
            Skip::DuplicateEmail => "duplicate-email",
            Skip::Unverifiable => "unverifiable",
        }
    }
}

/// What the first pass found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The export's SHA-256, hex.
    pub sha256: String,
    /// Data rows (users), readable or not.
    pub rows: u64,
    /// Rows that do not move, by their line, with the reason.
    pub skipped: HashMap<u64, Skip>,
    /// Emails shared by more than one row.
    pub duplicate_email_groups: u64,
}

/// Feeds every byte through SHA-256.
struct Digesting<R> {
    inner: R,
    sha: Sha256,
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
}

fn open(path: &Path) -> Result<BufReader<Digesting<std::fs::File>>, MoveError> {
    let file = std::fs::File::open(path).map_err(|source| MoveError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(BufReader::with_capacity(
        1 << 20,
        Digesting {
            inner: file,
            sha: Sha256::new(),
        },
    ))
}

/// Stream the export's rows through `on_row`; the file's SHA-256 when the whole file is read.
fn stream(
    path: &Path,
    fields: &[Field],
    on_row: impl FnMut(u64, rows::RowResult<'_>),
) -> Result<String, MoveError> {
    let mut reader = open(path)?;
    rows::stream(&mut reader, fields, on_row).map_err(|source| MoveError::Export {
        path: path.to_path_buf(),
        source,
    })?;
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(|source| MoveError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let sha = reader.into_inner().sha.finalize();
    Ok(sha.iter().map(|b| format!("{b:02x}")).collect())
}

/// The first pass: the digest, the row count and the rows that cannot move. Only the id and
/// the email are read (a JSON row is walked for those two alone).
pub fn scan(path: &Path, fields: &[Field]) -> Result<Scan, MoveError> {
    use crate::audit::roles::{EMAIL, ID};
    let fields: Vec<Field> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| match i {
            ID | EMAIL => f.clone(),
            _ => Field {
                candidates: Vec::new(),
                explicit: false,
            },
        })
        .collect();
    let fields = &fields[..];
    let mut out = Scan::default();
    let mut ids: HashSet<u64> = HashSet::new();
    let mut emails: HashMap<u64, bool> = HashMap::new();
    let sha256 = stream(path, fields, |line, row| {
        out.rows += 1;
        let skip = match row {
            Err(_) => Some(Skip::Unreadable),
            Ok(values) => {
                let user = User::read(values);
                match &user.id {
                    None => Some(Skip::NoId),
                    Some(id) if !ids.insert(crate::audit::values::folded_exact(id)) => {
                        Some(Skip::DuplicateId)
                    }
                    Some(_) => user.email.as_deref().and_then(|e| {
                        match emails.entry(crate::audit::values::folded(e)) {
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(false);
                                None
                            }
                            std::collections::hash_map::Entry::Occupied(mut o) => {
                                if !o.get() {
                                    out.duplicate_email_groups += 1;
                                    o.insert(true);
                                }
                                Some(Skip::DuplicateEmail)
                            }
                        }
                    }),
                }
            }
        };
        if let Some(skip) = skip {
            out.skipped.insert(line, skip);
        }
    })?;
    out.sha256 = sha256;
    Ok(out)
}

/// One user on its way, its password in the target's import form `P`.
#[derive(Debug, Clone)]
pub struct Outgoing<P> {
    /// The row's line in the export (how the journal names it).
    pub line: u64,
    /// The legacy id, kept on the target.
    pub id: String,
    pub email: Option<String>,
    pub verified: Option<bool>,
    pub disabled: bool,
    /// `None`: moved without a password (the export had none, or the policy says so).
    pub password: Option<P>,
}

/// How the second pass judges and converts: the target's column of the compatibility table,
/// its converter, and the move's policies.
pub struct Rules<'a, P> {
    pub fields: &'a [Field],
    pub verdicts: &'a compat::Target,
    pub convert: fn(&str, &str, Option<&str>) -> Result<P, super::firebase_form::Unfit>,
    pub unverifiable: Unverifiable,
    pub duplicate_emails: DuplicateEmails,
}

/// What the second pass counted besides the batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passed {
    /// Every skipped row by reason (the scan's and the unverifiable ones).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Users moved without a password, of those sent.
    pub without_password: u64,
    /// Users sent or to be sent.
    pub moving: u64,
    pub sha256: String,
}

/// The second pass: every moving user, in batches of `size`, handed to `each` in export order
/// with the batch's number (from 0). `each` answers false to stop early (the rest is read
/// but not handed out, so the counts cover the whole export).
pub fn batches<P>(
    path: &Path,
    rules: &Rules<'_, P>,
    scan: &Scan,
    size: usize,
    mut each: impl FnMut(u64, Vec<Outgoing<P>>) -> bool,
) -> Result<Passed, MoveError> {
    if rules.duplicate_emails == DuplicateEmails::Fail && scan.duplicate_email_groups > 0 {
        return Err(MoveError::DuplicateEmails {
            groups: scan.duplicate_email_groups,
        });
    }
    // What the move does not send (the username, dates) is not read.
    let fields: Vec<Field> = rules
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| match i {
            USERNAME | LAST_LOGIN | CREATED => Field {
                candidates: Vec::new(),
                explicit: false,
            },
            _ => f.clone(),
        })
        .collect();
    let mut passed = Passed::default();
    let mut batch: Vec<Outgoing<P>> = Vec::with_capacity(size);
    let mut number = 0;
    let mut going = true;
    let sha256 = stream(path, &fields, |line, row| {
        if let Some(skip) = scan.skipped.get(&line) {
            *passed.skipped.entry(skip.as_str()).or_default() += 1;
            return;
        }
        let Ok(values) = row else {
            // The file changed under the scan: the digest check below says so.
            return;
        };
        let user = User::read(values);
        let Some(id) = user.id.clone() else { return };
        let scheme = hash::classify(
            user.hash.as_deref(),
            user.salt.is_some(),
            user.scheme.as_deref(),
        );
        let password = match (scheme.id, rules.verdicts.verdict(scheme.id).0) {
            ("empty", _) => Ok(None),
            (id, Verdict::Import) => (rules.convert)(
                id,
                user.hash.as_deref().unwrap_or_default(),
                user.salt.as_deref(),
            )
            .map(Some)
            .map_err(|_| ()),
            _ => Err(()),
        };
        let password = match (password, rules.unverifiable) {
            (Ok(p), _) => p,
            (Err(()), Unverifiable::WithoutPassword) => None,
            (Err(()), Unverifiable::Skip) => {
                *passed
                    .skipped
                    .entry(Skip::Unverifiable.as_str())
                    .or_default() += 1;
                return;
            }
        };
        if password.is_none() {
            passed.without_password += 1;
        }
        passed.moving += 1;
        if !going {
            return;
        }
        batch.push(Outgoing {
            line,
            id,
            email: user.email.clone(),
            verified: user.verified,
            disabled: user.is_disabled(),
            password,
        });
        if batch.len() == size {
            going = each(
                number,
                std::mem::replace(&mut batch, Vec::with_capacity(size)),
            );
            number += 1;
        }
    })?;
    if going && !batch.is_empty() {
        each(number, batch);
    }
    if sha256 != scan.sha256 {
        return Err(MoveError::Changed {
            path: path.to_path_buf(),
        });
    }
    passed.sha256 = sha256;
    Ok(passed)
}
