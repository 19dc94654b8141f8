//! The roles a user export's fields play (id, email, hash, ...), which field plays each (the
//! `[audit]` mapping, else the common names of Auth0's, FusionAuth's and CSV exports), and
//! what one row means once read: the one reading that `cutover audit` counts and `cutover
//! move` sends, so the two never disagree on a user.

use super::values::flag_value;
use crate::config::AuditFile;
use crate::export::Scalar;
use crate::export::rows::Field;
use std::borrow::Cow;

/// The roles a row's fields play, in the order [`fields`] lists them.
pub const ID: usize = 0;
pub const EMAIL: usize = 1;
pub const USERNAME: usize = 2;
pub const HASH: usize = 3;
pub const SALT: usize = 4;
pub const SCHEME: usize = 5;
pub const LAST_LOGIN: usize = 6;
pub const CREATED: usize = 7;
pub const DISABLED: usize = 8;
pub const ACTIVE: usize = 9;
pub const STATUS: usize = 10;
pub const VERIFIED: usize = 11;
/// Required fields follow the roles.
pub const REQUIRED: usize = 12;

/// Values of a status column that mean the account cannot log in.
const DISABLED_STATES: &[&str] = &[
    "disabled",
    "locked",
    "blocked",
    "suspended",
    "inactive",
    "deactivated",
    "banned",
];
/// Values of a status column that mean the account never finished signing up.
const UNFINISHED_STATES: &[&str] = &["pending", "staged", "provisioned", "incomplete", "invited"];

/// Default candidates per role, in the order of the constants in [`tally`]: Auth0's export
/// names, FusionAuth's, then common CSV headers and LDAP attributes (`uid`, `mail`,
/// `userPassword`, `createTimestamp`, and the last login from `authTimestamp` or
/// `pwdLastSuccess` where the directory keeps one).
const DEFAULTS: [&[&str]; 12] = [
    &["user_id", "id", "userId", "uid"],
    &["email", "mail", "email_address", "emailAddress"],
    &["username", "user_name", "login", "preferred_username"],
    &[
        "password_hash",
        "passwordHash",
        "password",
        "hash",
        "custom_password_hash.hash.value",
        "userPassword",
    ],
    &[
        "salt",
        "password_salt",
        "passwordSalt",
        "custom_password_hash.salt.value",
    ],
    &[
        "encryptionScheme",
        "hash_scheme",
        "custom_password_hash.algorithm",
    ],
    &[
        "last_login",
        "lastLoginInstant",
        "last_login_at",
        "lastLogin",
        "lastLogon",
        "authTimestamp",
        "pwdLastSuccess",
    ],
    &[
        "created_at",
        "insertInstant",
        "createdAt",
        "created",
        "createTimestamp",
    ],
    &["blocked", "disabled", "locked"],
    &["active", "enabled"],
    &["status", "state"],
    &["email_verified", "verified", "emailVerified"],
];
pub const ROLES: [&str; 12] = [
    "id",
    "email",
    "username",
    "hash",
    "salt",
    "scheme",
    "last_login",
    "created",
    "disabled",
    "active",
    "status",
    "verified",
];

/// The fields to read: each role's mapped name, else its defaults; then the required fields.
pub fn fields(m: &AuditFile) -> Vec<Field> {
    let mapped = [
        &m.id,
        &m.email,
        &m.username,
        &m.hash,
        &m.salt,
        &m.scheme,
        &m.last_login,
        &m.created,
        &m.disabled,
        &m.active,
        &m.status,
        &m.verified,
    ];
    let mut out: Vec<Field> = mapped
        .iter()
        .zip(DEFAULTS)
        .map(|(m, d)| m.as_deref().map_or_else(|| Field::any_of(d), Field::named))
        .collect();
    let required = m.required.clone().unwrap_or_else(|| vec!["email".into()]);
    // A required role name (e.g. "email") means that role's field.
    let extra: Vec<Field> = required
        .iter()
        .map(|r| match ROLES.iter().position(|x| x == r) {
            Some(i) => out[i].clone(),
            None => Field::named(r),
        })
        .collect();
    out.extend(extra);
    out
}

/// One row, read by role: texts trimmed (blank is none), flags as exports write them. It
/// borrows the row's values (a move reads a million rows: no copy of each field).
#[derive(Debug, Default)]
pub struct User<'a> {
    /// The legacy id (a number written as one is made text).
    pub id: Option<Cow<'a, str>>,
    pub email: Option<&'a str>,
    pub username: Option<&'a str>,
    pub hash: Option<&'a str>,
    pub salt: Option<&'a str>,
    pub scheme: Option<&'a str>,
    /// The status column, lower case.
    pub status: Option<Cow<'a, str>>,
    pub disabled: Option<bool>,
    pub active: Option<bool>,
    pub verified: Option<bool>,
    /// The roles whose value is of the wrong type (ignored, as if absent).
    pub wrong: Vec<usize>,
}

impl<'a> User<'a> {
    /// Read a row's values (one slot per field of [`fields`]).
    pub fn read(v: &'a [Option<Scalar>]) -> User<'a> {
        let mut wrong = Vec::new();
        let mut text = |i: usize| -> Option<Cow<'a, str>> {
            match v.get(i)?.as_ref()? {
                Scalar::Text(t) => Some(Cow::Borrowed(t.trim())).filter(|t| !t.is_empty()),
                Scalar::Int(n) if i == ID => Some(Cow::Owned(n.to_string())),
                Scalar::Null => None,
                _ => {
                    wrong.push(i);
                    None
                }
            }
        };
        let borrowed = |c: Option<Cow<'a, str>>| match c {
            Some(Cow::Borrowed(s)) => Some(s),
            _ => None,
        };
        let id = text(ID);
        let email = borrowed(text(EMAIL));
        let username = borrowed(text(USERNAME));
        let hash = borrowed(text(HASH));
        let salt = borrowed(text(SALT));
        let scheme = borrowed(text(SCHEME));
        let status = text(STATUS).map(|s| {
            if s.chars().any(char::is_uppercase) {
                Cow::Owned(s.to_lowercase())
            } else {
                s
            }
        });
        let mut flag = |i: usize| match v.get(i).and_then(Option::as_ref) {
            None => None,
            Some(s) if s.is_blank() => None,
            Some(s) => match flag_value(s) {
                Some(b) => Some(b),
                None => {
                    wrong.push(i);
                    None
                }
            },
        };
        let disabled = flag(DISABLED);
        let active = flag(ACTIVE);
        let verified = flag(VERIFIED);
        User {
            id,
            email,
            username,
            hash,
            salt,
            scheme,
            status,
            disabled,
            active,
            verified,
            wrong,
        }
    }

    /// Whether the account cannot log in: a disabled flag, an inactive flag, or a status
    /// that says so.
    pub fn is_disabled(&self) -> bool {
        self.disabled == Some(true)
            || self.active == Some(false)
            || self
                .status
                .as_deref()
                .is_some_and(|s| DISABLED_STATES.contains(&s))
    }

    /// Whether the account never finished signing up (a status that says so).
    pub fn is_unfinished(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| UNFINISHED_STATES.contains(&s))
    }
}
