//! The export's side of a reconciliation: every user the move sends, read by the move's own
//! rules ([`crate::moving::prepare::batches`]: the same rows skipped, the same password
//! verdicts), held as digests and flags sorted by the digest of the legacy id. 32 bytes a
//! user; no id or email is kept as text (the ids a report names are read back by line).

use crate::moving::MoveError;
use crate::moving::plan::Plan;
use crate::moving::prepare::{self, ByDigest, Passed};
use crate::moving::target::Convert;
use std::collections::HashSet;
use std::num::NonZeroU64;

/// What the target should hold for one user of the export (32 bytes).
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// The digest of its legacy id (what the target's users are matched by).
    pub key: u64,
    /// Its line in the export (how its id is read back for a report).
    pub line: u32,
    pub email: Option<NonZeroU64>,
    pub verified: Option<bool>,
    pub disabled: bool,
    /// It moves with a password.
    pub password: bool,
    /// Users on the target carrying its legacy id.
    pub seen: u8,
    /// The first of them differs in email, verified flag or disabled state.
    pub changed: bool,
    /// The first of them has no password.
    pub no_password: bool,
}

/// An email digest as [`Expect`] holds it (0, one chance in 2^64, is taken as 1).
pub fn email_key(digest: Option<u64>) -> Option<NonZeroU64> {
    digest.map(|d| NonZeroU64::new(d).unwrap_or(NonZeroU64::MIN))
}

/// The users the export should have put on the target, sorted by the digest of their legacy
/// id (a sorted list takes a third of a hash map's memory, and a lookup is a binary search),
/// and what the pass counted.
pub struct Expected {
    by_id: Vec<Expect>,
    /// The legacy ids of rows the move's rules skip (an unverifiable hash, an email an earlier
    /// row has): on the target (moved some other way, as a slow segment's users do when they
    /// log in), they are neither missing nor extra.
    pub skipped: HashSet<u64, ByDigest>,
    pub passed: Passed,
}

impl Expected {
    /// The expected users (in any order; their legacy ids are unique, as the move's rules
    /// make them), the skipped rows' ids, and the counts.
    pub fn new(mut users: Vec<Expect>, skipped: HashSet<u64, ByDigest>, passed: Passed) -> Self {
        users.sort_unstable_by_key(|e| e.key);
        Expected {
            by_id: users,
            skipped,
            passed,
        }
    }

    /// The user of legacy-id digest `key`.
    pub fn get_mut(&mut self, key: u64) -> Option<&mut Expect> {
        let i = self.by_id.binary_search_by_key(&key, |e| e.key).ok()?;
        self.by_id.get_mut(i)
    }

    pub fn users(&self) -> &[Expect] {
        &self.by_id
    }
}

/// Users read from the export at once.
const CHUNK: usize = 10_000;

/// Read the export of `plan` as its move reads it, passwords judged by `convert`.
pub fn read(plan: &Plan, convert: Convert) -> Result<Expected, MoveError> {
    let rules = plan.rules(convert);
    let mut users: Vec<Expect> = Vec::with_capacity(plan.expected as usize);
    let mut skipped: HashSet<u64, ByDigest> = HashSet::default();
    let mut too_long = false;
    let passed = prepare::batches_and_skips(
        &plan.export,
        &rules,
        CHUNK,
        |_, batch| {
            for u in batch {
                let Ok(line) = u32::try_from(u.line) else {
                    too_long = true;
                    return false;
                };
                users.push(Expect {
                    key: crate::audit::values::folded_exact(&u.id),
                    line,
                    email: email_key(crate::moving::held::Held::email_digest(u.email.as_deref())),
                    verified: u.verified,
                    disabled: u.disabled,
                    password: u.password.is_some(),
                    seen: 0,
                    changed: false,
                    no_password: false,
                });
            }
            true
        },
        |id, why| {
            if why != prepare::Skip::DuplicateId {
                skipped.insert(crate::audit::values::folded_exact(id));
            }
        },
    )?;
    if too_long {
        return Err(MoveError::Setup(format!(
            "the export '{}' has more than {} lines: split it to reconcile it",
            plan.export,
            u32::MAX
        )));
    }
    Ok(Expected::new(users, skipped, passed))
}
