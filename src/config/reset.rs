//! `[segments.reset]`: how fast `cutover reset` may send password-reset messages to the users
//! the move carried without a password, paced to what the mail infrastructure takes. Auth0's
//! reset email needs an application and a connection name (`[segments.move.login]`).
//!
//! ```toml
//! [segments.reset]
//! per_hour = 2000     # at most this many messages in any hour (waves every 5 minutes)
//! ```

use super::Severity;
use super::found::Found;
use super::locate::KeyPath;
use serde::Deserialize;

/// `[segments.reset]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetFile {
    pub per_hour: Option<i64>,
}

/// A validated `[segments.reset]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset {
    /// At most this many messages in any hour.
    pub per_hour: u64,
}

/// Check `[segments.reset]` at `at`: a `per_hour` of 1 or more, and a move to send after.
pub(super) fn validate(
    raw: &ResetFile,
    (has_move, moving): (bool, Option<&super::moves::Move>),
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<Reset> {
    let here = at.clone().key("reset");
    let mut fail = |path: KeyPath, why: &str| {
        *ok = false;
        found.push((Severity::Error, path, why.into()));
        None
    };
    if !has_move {
        return fail(
            here,
            "resets go to the users a move carried without a password: add [segments.move]",
        );
    }
    if let Some(m) = moving
        && matches!(m.target, super::moves::Target::Auth0 { .. })
        && !matches!(m.login, Some(super::canaries::LoginKeys::Auth0 { .. }))
    {
        return fail(
            here,
            "Auth0 sends its reset email for an application of a connection: add [segments.move.login] with client_id, client_secret and realm (the connection's name)",
        );
    }
    match raw.per_hour {
        Some(n) if n >= 1 => Some(Reset { per_hour: n as u64 }),
        Some(_) => fail(
            here.key("per_hour"),
            "must be 1 or more: the most reset messages the mail infrastructure takes in an hour, e.g. per_hour = 2000",
        ),
        None => fail(
            here.key("per_hour"),
            "must be set: the most reset messages the mail infrastructure takes in an hour, e.g. per_hour = 2000",
        ),
    }
}
