//! What can stop a move, each with what to do about it. No message here quotes a user's
//! email, name or hash, or a target's error text (which can echo an email): a target's answer
//! is reduced to its status and an error code.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("cannot read the export '{}': {source}; check [segments.move] export", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the export '{}' cannot be read as users: {source}", path.display())]
    Export {
        path: PathBuf,
        source: crate::export::ReadError,
    },
    #[error(
        "the export '{}' changed since this move started (its SHA-256 differs), and the journal names users by their lines; put the original back to resume or undo",
        path.display()
    )]
    Changed { path: PathBuf },
    #[error(
        "the export has {groups} email(s) shared by several users, and [segments.move] duplicate_emails = \"fail\"; fix them (cutover audit --duplicates FILE lists them) or set it to \"skip\""
    )]
    DuplicateEmails { groups: u64 },
    #[error("{target} answered {status} ({code}) to {what}; {fix}")]
    Refused {
        target: &'static str,
        what: &'static str,
        status: u16,
        code: String,
        fix: &'static str,
    },
    #[error(
        "{target} did not answer {what} after {attempts} attempts ({cause}); the move stops here and resumes from its journal"
    )]
    Unreachable {
        target: &'static str,
        what: &'static str,
        attempts: u32,
        cause: String,
    },
    #[error("{target} answered {what} with a body cutover cannot read ({cause})")]
    Answer {
        target: &'static str,
        what: &'static str,
        cause: String,
    },
    #[error("the move journal of '{segment}' in the state: {cause}")]
    Journal { segment: String, cause: String },
    #[error(
        "stopped at a batch's end ({0}); the journal keeps what moved, and advancing again resumes it"
    )]
    Stopped(&'static str),
    #[error("{0}")]
    Setup(String),
}

/// A target's per-user error text reduced to a code: a leading `UPPER_CASE` word when the text
/// starts with one (Google's and Auth0's codes), else a code for the known phrasings, else
/// `UNKNOWN`. The text itself is never kept.
pub fn code_of(message: &str) -> String {
    let head: String = message
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    if head.len() >= 3 && head.contains('_') || head.len() >= 6 {
        return head;
    }
    let lower = message.to_ascii_lowercase();
    let known = [
        ("duplicate email", "DUPLICATE_EMAIL"),
        ("user with email", "DUPLICATE_EMAIL"),
        ("email already exists", "DUPLICATE_EMAIL"),
        ("email exists", "DUPLICATE_EMAIL"),
        ("existing account", "DUPLICATE_LOCAL_ID"),
        ("already exists", "ALREADY_EXISTS"),
        ("email is invalid", "INVALID_EMAIL"),
        ("invalid email", "INVALID_EMAIL"),
        ("password hash", "INVALID_PASSWORD_HASH"),
        ("phone", "INVALID_PHONE_NUMBER"),
    ];
    known
        .iter()
        .find(|(phrase, _)| lower.contains(phrase))
        .map_or("UNKNOWN", |(_, code)| code)
        .to_string()
}

/// A code a target gave as a code (FusionAuth's `[duplicate]user.email`, Authgear's reasons),
/// kept only if it looks like one: at most 64 letters, digits and `[]._-`; else `UNKNOWN`, so
/// no free text (which could quote an email) is ever kept.
pub fn safe_code(code: Option<&str>) -> String {
    match code {
        Some(c)
            if !c.is_empty()
                && c.len() <= 64
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "[]._-".contains(ch)) =>
        {
            c.to_string()
        }
        _ => "UNKNOWN".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::{code_of, safe_code};

    #[test]
    fn a_code_is_kept_only_when_it_looks_like_one() {
        assert_eq!(
            safe_code(Some("[duplicate]user.email")),
            "[duplicate]user.email"
        );
        assert_eq!(safe_code(Some("a@x.org")), "UNKNOWN");
        assert_eq!(safe_code(Some("A User with email")), "UNKNOWN");
        assert_eq!(safe_code(None), "UNKNOWN");
    }

    #[test]
    fn error_texts_become_codes_without_the_email() {
        assert_eq!(
            code_of("((Auth Emulator does not support importing duplicate email: a@x.org))"),
            "DUPLICATE_EMAIL"
        );
        assert_eq!(code_of("DUPLICATE_LOCAL_ID : u1"), "DUPLICATE_LOCAL_ID");
        assert_eq!(code_of("email is invalid"), "INVALID_EMAIL");
        assert_eq!(
            code_of("localId belongs to an existing account - can not overwrite."),
            "DUPLICATE_LOCAL_ID"
        );
        assert_eq!(
            code_of("A User with email [a@x.org] already exists"),
            "DUPLICATE_EMAIL"
        );
        assert_eq!(code_of("something odd about b@y.org"), "UNKNOWN");
    }
}
