//! What an audit of a user export found, as plain data: the record `cutover audit` writes
//! into the log (an event's `audit`), `--json` prints, and the report and the `audit` test
//! check read. Only counts, scheme names, line numbers and opaque ids: never an email, a name
//! or a hash. The reading itself is in the `audit` module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Look-backs of the recency section, in days.
pub const RECENCY_DAYS: [u32; 4] = [7, 30, 90, 365];

/// The format a user export was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Csv,
    JsonLines,
    /// FusionAuth's import file: one JSON document with a `users` array.
    FusionauthImport,
    /// A directory's entries in LDIF (RFC 2849), as `ldapsearch` or `slapcat` write them.
    Ldif,
    /// A live LDAP directory, searched (an `ldap://` or `ldaps://` URL where a file goes).
    Ldap,
    /// The legacy database's `[legacy.sql]` query (`sql:` where a file goes).
    Sql,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::JsonLines => "JSON lines",
            Format::FusionauthImport => "FusionAuth import file",
            Format::Ldif => "LDIF",
            Format::Ldap => "LDAP directory",
            Format::Sql => "SQL query",
        }
    }
}

/// What happens to a user whose hash has a scheme, on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Move {
    /// Imported as is (perhaps reformatted into the target's fields): the old password works.
    Import,
    /// Needs a plugin, a hash provider, or a rehash at login (a just-in-time migration).
    Plugin,
    /// Cannot move: the user must reset their password.
    Reset,
}

impl Move {
    pub fn as_str(self) -> &'static str {
        match self {
            Move::Import => "import as is",
            Move::Plugin => "plugin or rehash at login",
            Move::Reset => "cannot move: reset",
        }
    }
}

/// The result of one audit. Everything here may be stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    /// The export's file name (without its folder).
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: Format,
    pub target: String,
    /// The moment last logins and dates were measured against.
    pub at: DateTime<Utc>,
    /// Role (id, email, hash, ...) → the column or field it was read from.
    pub fields: BTreeMap<String, String>,
    pub rows: u64,
    pub users: u64,
    /// Rows that could not be read at all (not counted as users).
    pub unreadable: u64,
    /// Users with a field of the wrong type (that field was ignored).
    pub bad_values: u64,
    pub duplicates: Duplicates,
    pub ids: Ids,
    pub emails: Emails,
    /// Users by hash scheme, each with its verdict for the target.
    pub hashes: Vec<HashCount>,
    /// Users by verdict: import, plugin, reset.
    pub moves: BTreeMap<Move, u64>,
    pub states: States,
    pub dates: Dates,
    /// Share of users (at least D days old) who logged in within D days.
    pub recency: Vec<Share>,
    /// Line numbers and ids of the first problems (left out of the state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<Examples>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Duplicates {
    /// Users whose email (trimmed, case-folded) an earlier user has.
    pub emails: u64,
    pub email_groups: u64,
    pub usernames: u64,
    pub username_groups: u64,
}

impl Duplicates {
    /// Extra users sharing an email or a username with another.
    pub fn total(&self) -> u64 {
        self.emails + self.usernames
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ids {
    pub missing: u64,
    /// Users whose id an earlier user has.
    pub duplicate: u64,
    pub email_shaped: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Emails {
    pub missing: u64,
    pub invalid: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HashCount {
    pub scheme: String,
    pub users: u64,
    pub verdict: Move,
    pub note: String,
    /// Parameter (e.g. `cost 10`) → users.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct States {
    pub never_logged_in: u64,
    pub disabled: u64,
    pub unverified: u64,
    /// Required fields missing, or a status that says sign-up never finished.
    pub partial: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dates {
    pub last_login_unparseable: u64,
    pub last_login_future: u64,
    pub created_unparseable: u64,
    pub created_future: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub days: u32,
    /// None: no account is that old.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Examples {
    /// (line, reason) of the first unreadable rows and rows with wrong types.
    pub bad_rows: Vec<(u64, String)>,
    /// The opaque ids of the first groups of users sharing an email.
    pub duplicate_emails: Vec<Vec<String>>,
    pub duplicate_usernames: Vec<Vec<String>>,
    pub duplicate_ids: Vec<Vec<String>>,
}

impl Audit {
    /// Users whose hash cannot move to the target (they must reset).
    pub fn unmovable(&self) -> u64 {
        self.moves.get(&Move::Reset).copied().unwrap_or(0)
    }

    /// The audit as the state keeps it: without its examples.
    pub fn for_state(&self) -> Audit {
        Audit {
            examples: None,
            ..self.clone()
        }
    }

    /// One line for the audit log.
    pub fn summary(&self) -> String {
        format!(
            "{} ({}, sha256 {}…): {} users, {} unreadable rows, {} duplicates, {} hashes cannot move to {}",
            self.file,
            self.format.as_str(),
            &self.sha256[..12.min(self.sha256.len())],
            self.users,
            self.unreadable,
            self.duplicates.total() + self.ids.duplicate,
            self.unmovable(),
            self.target
        )
    }
}
