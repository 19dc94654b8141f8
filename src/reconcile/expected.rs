//! The export's side of a reconciliation: every user the move sends, read by the move's own
//! rules ([`crate::moving::prepare::batches`]: the same rows skipped, the same password
//! verdicts), held as digests and flags keyed by the digest of the legacy id. About 40 bytes
//! a user; no id or email is kept as text (the ids a report names are read back by line).

use crate::moving::MoveError;
use crate::moving::plan::Plan;
use crate::moving::prepare::{self, ByDigest, Passed, Rules};
use crate::moving::target::Convert;
use std::collections::{HashMap, HashSet};

/// What the target should hold for one user of the export.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// Its line in the export (how its id is read back for a report).
    pub line: u64,
    pub email: Option<u64>,
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

/// The users the export should have put on the target, and what the pass counted.
pub struct Expected {
    pub by_id: HashMap<u64, Expect, ByDigest>,
    /// The legacy ids of rows the move's rules skip (an unverifiable hash, an email an earlier
    /// row has): on the target (moved some other way, as a slow segment's users do when they
    /// log in), they are neither missing nor extra.
    pub skipped: HashSet<u64, ByDigest>,
    pub passed: Passed,
}

/// Users read from the export at once.
const CHUNK: usize = 10_000;

/// Read the export of `plan` as its move reads it, passwords judged by `convert`.
pub fn read(plan: &Plan, convert: Convert) -> Result<Expected, MoveError> {
    let rules = Rules {
        fields: &plan.fields,
        verdicts: &plan.verdicts,
        convert,
        usernames: false,
        unverifiable: plan.unverifiable,
        duplicate_emails: plan.duplicate_emails,
        only: None,
    };
    let mut by_id: HashMap<u64, Expect, ByDigest> =
        HashMap::with_capacity_and_hasher(plan.expected as usize, ByDigest::default());
    let mut skipped: HashSet<u64, ByDigest> = HashSet::default();
    let passed = prepare::batches_and_skips(
        &plan.export,
        &rules,
        CHUNK,
        |_, users| {
            for u in users {
                by_id.insert(
                    crate::audit::values::folded_exact(&u.id),
                    Expect {
                        line: u.line,
                        email: crate::moving::held::Held::email_digest(u.email.as_deref()),
                        verified: u.verified,
                        disabled: u.disabled,
                        password: u.password.is_some(),
                        seen: 0,
                        changed: false,
                        no_password: false,
                    },
                );
            }
            true
        },
        |id, why| {
            if why != prepare::Skip::DuplicateId {
                skipped.insert(crate::audit::values::folded_exact(id));
            }
        },
    )?;
    Ok(Expected {
        by_id,
        skipped,
        passed,
    })
}
