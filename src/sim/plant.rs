//! Changes planted on a simulated target's users, as if someone made them there after a move:
//! what a reconciliation must find (a user deleted, one the export lacks, one moved twice, an
//! email changed) and what the rollback delta must count (logins, password changes, second
//! factors). `POST /sim/target/KIND/SCOPE` with one as JSON; each kind applies it to its own
//! users in its own shape.

use serde_json::Value;

/// A change planted on a target's user, as if made there: `{"op": …, "legacy": ID, "email":
/// …, "at_ms": …}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Plant {
    /// The user of this legacy id deleted.
    Delete(String),
    /// A user the export does not have, carrying this legacy id.
    Extra { legacy: String, email: String },
    /// A second user carrying an existing user's legacy id (moved twice), with its own id.
    Copy { legacy: String, email: String },
    /// The user's email changed.
    Email { legacy: String, email: String },
    /// The user logged in at this moment (milliseconds since the epoch).
    Login { legacy: String, at_ms: i64 },
    /// The user changed their password at this moment.
    Password { legacy: String, at_ms: i64 },
    /// The user enrolled a second factor at this moment.
    Mfa { legacy: String, at_ms: i64 },
    /// The user's password hash replaced by one no password verifies (a bad re-import): its
    /// canary logins fail from now on.
    Hash { legacy: String },
}

impl Plant {
    pub fn read(v: &Value) -> Result<Plant, String> {
        let legacy = v["legacy"]
            .as_str()
            .ok_or("name the user: \"legacy\": ID")?
            .to_string();
        let email = || {
            v["email"]
                .as_str()
                .map(str::to_string)
                .ok_or("give \"email\"".to_string())
        };
        let at_ms = v["at_ms"]
            .as_i64()
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        Ok(match v["op"].as_str() {
            Some("delete") => Plant::Delete(legacy),
            Some("extra") => Plant::Extra {
                legacy,
                email: email()?,
            },
            Some("copy") => Plant::Copy {
                legacy,
                email: email()?,
            },
            Some("email") => Plant::Email {
                legacy,
                email: email()?,
            },
            Some("login") => Plant::Login { legacy, at_ms },
            Some("password") => Plant::Password { legacy, at_ms },
            Some("mfa") => Plant::Mfa { legacy, at_ms },
            Some("hash") => Plant::Hash { legacy },
            _ => {
                return Err(
                    "op is one of delete, extra, copy, email, login, password, mfa, hash".into(),
                );
            }
        })
    }

    /// The legacy id it is about.
    pub fn legacy(&self) -> &str {
        match self {
            Plant::Delete(l)
            | Plant::Extra { legacy: l, .. }
            | Plant::Copy { legacy: l, .. }
            | Plant::Email { legacy: l, .. }
            | Plant::Login { legacy: l, .. }
            | Plant::Password { legacy: l, .. }
            | Plant::Mfa { legacy: l, .. }
            | Plant::Hash { legacy: l } => l,
        }
    }
}

/// A planted moment as the RFC 3339 text Auth0 and Authgear show.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339()
}
