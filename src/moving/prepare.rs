//! The export, read for a move: which rows move and which are skipped (and why), and the
//! users that move, in batches, each already in the target's import form.
//!
//! One pass over the file ([`batches`]), streamed with bounded memory: each row is read as
//! `cutover audit` reads it ([`crate::audit::roles`]), rows that cannot move are counted by
//! reason (unreadable, no id, a legacy id or an email an earlier row has, case-folded as the
//! audit groups them, a hash the target cannot verify), and the rest go out in batches in
//! export order, their hashes judged by the compatibility table and converted. Only 64-bit
//! digests of ids and emails are held, never the text. The batches are the same on every pass
//! over the same file with the same rules, which is what lets a resume skip the ones the
//! journal already holds; the file's SHA-256 ([`digest`], a byte pass before anything is
//! sent) makes sure it is the same file, and its size and time ([`unchanged`]) that it stayed
//! so while the rows streamed.
//!
//! Duplicates are decided in export order: the first row with an id or an email keeps it,
//! whatever happens to that row later (a user skipped for an unverifiable hash still holds its
//! email, so a later duplicate does not take its place). `duplicate_emails = "fail"` needs
//! to know before the first batch: [`duplicate_emails`] counts them in a pass of its own.

use super::problems::MoveError;
use crate::audit::compat::{self, Move as Verdict};
use crate::audit::hash;
use crate::audit::roles::{CREATED, LAST_LOGIN, USERNAME, User};
use crate::config::moves::{DuplicateEmails, Unverifiable};
use crate::export::rows::{self, Field};
use crate::export::source::{Failed, Source};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashSet};
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
    /// On the target already, as the reconciliation a long-tail move started from found.
    OnTarget,
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
            Skip::OnTarget => "on-target",
        }
    }
}

fn open(path: &Path) -> Result<std::fs::File, MoveError> {
    std::fs::File::open(path).map_err(|source| MoveError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// What the export was when a move read it: its SHA-256 (kept in the journal), and for a
/// file its size and modification time (a cheap check that the rows read next are of the
/// same file). A live directory's digest is of what a read returned ([`Source`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    pub sha256: String,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stat(path: &Path) -> Result<(u64, Option<std::time::SystemTime>), MoveError> {
    let meta = std::fs::metadata(path).map_err(|source| MoveError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((meta.len(), meta.modified().ok()))
}

/// The export's seal: a file's SHA-256 from its bytes alone, and its size and time; a
/// directory's from a read of the entries and the attributes `fields` name.
pub fn digest(export: &Source, fields: &[Field]) -> Result<Seal, MoveError> {
    let Some(path) = export.file() else {
        let streamed = stream(export, fields, |_, _| {})?;
        return Ok(Seal {
            sha256: streamed.sha256.unwrap_or_default(),
            len: 0,
            modified: None,
        });
    };
    let (len, modified) = stat(path)?;
    let mut sha = Sha256::new();
    std::io::copy(&mut open(path)?, &mut sha).map_err(|source| MoveError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let sha = sha.finalize();
    Ok(Seal {
        sha256: sha.iter().map(|b| format!("{b:02x}")).collect(),
        len,
        modified,
    })
}

/// Fails when the export is no longer the one `seal` was taken of: a file written since, or a
/// directory whose entries a second read finds changed.
pub fn unchanged(export: &Source, fields: &[Field], seal: &Seal) -> Result<(), MoveError> {
    let same = match export.file() {
        Some(path) => stat(path)? == (seal.len, seal.modified),
        None => digest(export, fields)?.sha256 == seal.sha256,
    };
    if same {
        Ok(())
    } else {
        Err(MoveError::Changed {
            path: export.shown(),
        })
    }
}

/// Stream the export's rows through `on_row`.
pub(crate) fn stream(
    export: &Source,
    fields: &[Field],
    on_row: impl FnMut(u64, rows::RowResult<'_>),
) -> Result<rows::Streamed, MoveError> {
    export.stream(fields, on_row).map_err(|e| match e {
        Failed::Open(source) => MoveError::Open {
            path: export.shown(),
            source,
        },
        Failed::Read(source) => MoveError::Export {
            path: export.shown(),
            source,
        },
    })
}

/// Hashes a key that is a digest already (of an id or a folded email): as is.
#[derive(Default)]
pub struct AsIs(u64);

impl std::hash::Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map or set keyed by such digests.
pub type ByDigest = std::hash::BuildHasherDefault<AsIs>;

/// The rows an earlier row's id or email rules out, decided in export order.
#[derive(Default)]
struct Seen {
    ids: HashSet<u64, ByDigest>,
    emails: HashSet<u64, ByDigest>,
    /// The emails a second row had (few): each group is counted once.
    shared: HashSet<u64, ByDigest>,
    email_groups: u64,
}

impl Seen {
    /// Why `user` (with an id) cannot move because of an earlier row, if it cannot.
    fn check(&mut self, id: &str, email: Option<&str>) -> Option<Skip> {
        if !self.ids.insert(crate::audit::values::folded_exact(id)) {
            return Some(Skip::DuplicateId);
        }
        let e = crate::audit::values::folded(email?);
        if self.emails.insert(e) {
            return None;
        }
        if self.shared.insert(e) {
            self.email_groups += 1;
        }
        Some(Skip::DuplicateEmail)
    }
}

/// Fields of `fields` with only the roles in `keep` left (a JSON row is walked for those).
fn only(fields: &[Field], keep: &[usize]) -> Vec<Field> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if keep.contains(&i) {
                f.clone()
            } else {
                Field {
                    candidates: Vec::new(),
                    explicit: false,
                }
            }
        })
        .collect()
}

/// How many emails several rows share (`duplicate_emails = "fail"` refuses to start on any).
pub fn duplicate_emails(export: &Source, fields: &[Field]) -> Result<u64, MoveError> {
    use crate::audit::roles::{EMAIL, ID};
    let fields = only(fields, &[ID, EMAIL]);
    let mut seen = Seen::default();
    stream(export, &fields, |_, row| {
        if let Ok(values) = row {
            let user = User::read(values);
            if let Some(id) = &user.id {
                seen.check(id, user.email);
            }
        }
    })?;
    Ok(seen.email_groups)
}

/// One user on its way, its password in the target's import form `P`.
#[derive(Debug, Clone)]
pub struct Outgoing<P> {
    /// The row's line in the export (how the journal names it).
    pub line: u64,
    /// The legacy id, kept on the target.
    pub id: String,
    pub email: Option<String>,
    /// The legacy username, read only for targets that keep one ([`Rules::usernames`]).
    pub username: Option<String>,
    pub verified: Option<bool>,
    pub disabled: bool,
    /// `None`: moved without a password (the export had none, or the policy says so).
    pub password: Option<P>,
    /// The segment's tag the target keeps beside the legacy id (`scope = "tag"`).
    pub tag: Option<std::sync::Arc<str>>,
}

/// How the second pass judges and converts: the target's column of the compatibility table,
/// its converter, and the move's policies.
pub struct Rules<'a, P> {
    pub fields: &'a [Field],
    pub verdicts: &'a compat::Target,
    pub convert: fn(&str, &str, Option<&str>) -> Result<P, super::target::Unfit>,
    /// Whether the target keeps usernames (else the column is not read).
    pub usernames: bool,
    pub unverifiable: Unverifiable,
    pub duplicate_emails: DuplicateEmails,
    /// A long-tail move's lines (the users a reconciliation found missing): the rest are
    /// skipped as on the target already.
    pub only: Option<&'a HashSet<u64>>,
    /// The tag each user carries to the target (`scope = "tag"`).
    pub tag: Option<std::sync::Arc<str>>,
}

/// What the second pass counted besides the batches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passed {
    /// Every skipped row by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Users moved without a password, of those sent.
    pub without_password: u64,
    /// Users sent or to be sent.
    pub moving: u64,
    /// Rows of the export, readable or not.
    pub rows: u64,
    /// A live source's seal from this very read (who, in what order): the one the numbers of
    /// the batches handed out belong to. None for a file (sealed by its bytes).
    pub sealed: Option<String>,
}

/// Every moving user, in batches of `size`, handed to `each` in export order
/// with the batch's number (from 0). `each` answers false to stop early (the rest is read
/// but not handed out, so the counts cover the whole export).
pub fn batches<P>(
    export: &Source,
    rules: &Rules<'_, P>,
    size: usize,
    each: impl FnMut(u64, Vec<Outgoing<P>>) -> bool,
) -> Result<Passed, MoveError> {
    batches_and_skips(export, rules, size, each, |_, _| {})
}

/// [`batches`], telling `skipped` the legacy id of each row with one that does not move, and
/// why (a reconciliation knows them: not missing, and not extra either when on the target).
pub fn batches_and_skips<P>(
    export: &Source,
    rules: &Rules<'_, P>,
    size: usize,
    mut each: impl FnMut(u64, Vec<Outgoing<P>>) -> bool,
    mut skipped: impl FnMut(&str, Skip),
) -> Result<Passed, MoveError> {
    // What the move does not send (dates, and the username unless the target keeps it) is
    // not read.
    let sent: Vec<usize> = (0..rules.fields.len())
        .filter(|i| ![LAST_LOGIN, CREATED].contains(i) && (rules.usernames || *i != USERNAME))
        .collect();
    let fields = only(rules.fields, &sent);
    let mut seen = Seen::default();
    let mut passed = Passed::default();
    let mut batch: Vec<Outgoing<P>> = Vec::with_capacity(size);
    let mut number = 0;
    let mut going = true;
    let streamed = stream(export, &fields, |line, row| {
        passed.rows += 1;
        let mut skip = |why: Skip| *passed.skipped.entry(why.as_str()).or_default() += 1;

        let Ok(values) = row else {
            return skip(Skip::Unreadable);
        };
        let user = User::read(values);
        let Some(id) = user.id.as_deref() else {
            return skip(Skip::NoId);
        };
        if let Some(why) = seen.check(id, user.email) {
            skipped(id, why);
            return skip(why);
        }
        let scheme = hash::classify(user.hash, user.salt.is_some(), user.scheme);
        let password = match (scheme.id, rules.verdicts.verdict(scheme.id).0) {
            ("empty", _) => Ok(None),
            (id, Verdict::Import) => (rules.convert)(id, user.hash.unwrap_or_default(), user.salt)
                .map(Some)
                .map_err(|_| ()),
            _ => Err(()),
        };
        let password = match (password, rules.unverifiable) {
            (Ok(p), _) => p,
            (Err(()), Unverifiable::WithoutPassword) => None,
            (Err(()), Unverifiable::Skip) => {
                skipped(id, Skip::Unverifiable);
                *passed
                    .skipped
                    .entry(Skip::Unverifiable.as_str())
                    .or_default() += 1;
                return;
            }
        };
        // A long-tail move: a user the reconciliation did not find missing is on the target.
        if rules.only.is_some_and(|o| !o.contains(&line)) {
            *passed.skipped.entry(Skip::OnTarget.as_str()).or_default() += 1;
            return;
        }
        if password.is_none() {
            passed.without_password += 1;
        }
        passed.moving += 1;
        if !going {
            return;
        }
        batch.push(Outgoing {
            line,
            id: id.to_string(),
            email: user.email.map(str::to_string),
            username: user.username.map(str::to_string),
            verified: user.verified,
            disabled: user.is_disabled(),
            password,
            tag: rules.tag.clone(),
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
    passed.sealed = streamed.sha256;
    Ok(passed)
}
