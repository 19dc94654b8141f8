//! The users a target holds, as a reconciliation and the rollback delta read them: every user
//! of the move's destination, listed page by page as each target's API requires (the listing
//! of each kind is its client's `list`), each reduced to what the comparison needs. An email
//! is kept only as a case-folded digest, never as text, so nothing personal outlives a page.

use super::problems::MoveError;
use super::target::Client;

/// One user on the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// The legacy id the target keeps for the user; where it keeps none (a user cutover did
    /// not move), the target's own id.
    pub legacy: String,
    /// The email, folded as the audit folds it ([`crate::audit::values::folded`]).
    pub email: Option<u64>,
    pub verified: Option<bool>,
    pub disabled: Option<bool>,
    /// Whether the user has a password; `None` where the target does not say.
    pub password: Option<bool>,
    /// The last login, in milliseconds since the epoch, where the target says.
    pub last_login_ms: Option<i64>,
    /// The last password change (an import counts as one on some targets).
    pub password_changed_ms: Option<i64>,
    /// When the target created the user (or its password): a password change at that moment
    /// is the import's own.
    pub created_ms: Option<i64>,
    /// A second factor is enrolled (a move enrols none, so any is the user's own doing).
    pub mfa: bool,
    /// Its `segment` tag, where it has one (`[segments.move] scope = "tag"`).
    pub tag: Option<String>,
}

impl Held {
    /// The digest of an email as the comparison holds it.
    pub fn email_digest(email: Option<&str>) -> Option<u64> {
        email
            .filter(|e| !e.trim().is_empty())
            .map(crate::audit::values::folded)
    }
}

/// What a listing hands over: a page of users, and the total when the target says it.
pub type Pages<'a> = &'a mut (dyn FnMut(Vec<Held>, Option<u64>) + Send);

/// The error of a listing whose next page is the one just read (the same cursor again): a
/// target that would otherwise be listed forever.
pub fn stuck(target: &'static str, what: &'static str) -> MoveError {
    MoveError::Answer {
        target,
        what,
        cause: "it gave the same page again; the listing stops rather than count users twice"
            .into(),
    }
}

/// An RFC 3339 time as milliseconds since the epoch.
pub fn rfc3339_ms(text: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.timestamp_millis())
}

impl Client {
    /// Every user of the destination, page by page.
    pub async fn list(&self, pages: Pages<'_>) -> Result<(), MoveError> {
        match self {
            Client::Firebase(t) => t.list(pages).await,
            Client::FusionAuth(t) => t.list(pages).await,
            Client::Keycloak(t) => t.list(pages).await,
            Client::Auth0(t) => t.list(pages).await,
            Client::Authgear(t) => t.list(pages).await,
        }
    }

    /// Whether a listing says when users last logged in, changed their password and enrolled
    /// a second factor: Keycloak only while its realm saves events.
    pub async fn tells_activity(&self) -> Result<bool, MoveError> {
        match self {
            Client::Keycloak(k) => k.events_on().await,
            _ => Ok(true),
        }
    }

    /// Whether the target says, per user, if a password is set (else a reconciliation's
    /// `without_password` is not known).
    pub fn tells_passwords(&self) -> bool {
        matches!(self, Client::Firebase(_) | Client::Authgear(_))
    }
}
