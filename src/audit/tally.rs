//! The detectors of the audit, one row at a time: totals, duplicates, identifiers, emails,
//! hash schemes, account states and dates. What a row holds is looked at here and reduced to
//! counts; the duplicate index keeps 64-bit digests of folded emails and usernames, never the
//! text, and each user's opaque id only so a duplicate can name the ids involved.

use super::hash;
use super::values::{folded, folded_exact, valid_email};
use crate::export::{Scalar, instant};
use crate::model::recency::Recency;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

use super::roles::{CREATED, LAST_LOGIN, REQUIRED, User};

/// How many groups of duplicates are named with their ids, and bad rows with their lines.
pub(super) const SHOWN: usize = 10;
/// Distinct parameters (bcrypt costs, ...) counted per scheme before the rest are "other".
const PARAMS: usize = 16;

/// Rows by the digest of a folded key, for one kind of duplicate.
#[derive(Default)]
pub(super) struct Index {
    /// Digest → (the first user with it, rows with it).
    seen: HashMap<u64, (u32, u32)>,
    /// Extra rows (beyond the first) that share a key with an earlier row.
    pub extra: u64,
    /// Keys held by more than one row.
    pub groups: u64,
    /// Every group, as the user indexes involved, in the order the groups formed (a lead
    /// acts on all of them: `--json`, `--duplicates FILE`).
    pub all: Vec<Vec<u32>>,
    group_at: HashMap<u64, usize>,
}

impl Index {
    fn add(&mut self, digest: u64, user: u32) {
        let entry = self.seen.entry(digest).or_insert((user, 0));
        entry.1 += 1;
        if entry.1 < 2 {
            return;
        }
        self.extra += 1;
        if entry.1 == 2 {
            self.groups += 1;
            self.group_at.insert(digest, self.all.len());
            self.all.push(vec![entry.0]);
        }
        if let Some(&i) = self.group_at.get(&digest) {
            self.all[i].push(user);
        }
    }
}

/// The counts as they grow.
pub(super) struct Tally {
    pub at: DateTime<Utc>,
    pub rows: u64,
    pub users: u64,
    pub unreadable: u64,
    pub bad_values: u64,
    pub bad_shown: Vec<(u64, String)>,
    /// Each user's opaque id as shown (its id, or `line N` when it has none or it is an email).
    ids: String,
    id_ends: Vec<usize>,
    /// Each user's line in the export.
    lines: Vec<u64>,
    pub emails: Index,
    pub usernames: Index,
    pub id_index: Index,
    pub ids_missing: u64,
    pub ids_email_shaped: u64,
    pub emails_missing: u64,
    pub emails_invalid: u64,
    /// Scheme id → (users, parameter → users).
    pub schemes: BTreeMap<&'static str, (u64, BTreeMap<String, u64>)>,
    pub never_logged_in: u64,
    pub disabled: u64,
    pub unverified: u64,
    pub partial: u64,
    pub last_login_unparseable: u64,
    pub last_login_future: u64,
    pub created_unparseable: u64,
    pub created_future: u64,
    pub recency: Recency,
}

impl Tally {
    pub(super) fn new(at: DateTime<Utc>) -> Tally {
        Tally {
            at,
            rows: 0,
            users: 0,
            unreadable: 0,
            bad_values: 0,
            bad_shown: Vec::new(),
            ids: String::new(),
            id_ends: Vec::new(),
            lines: Vec::new(),
            emails: Index::default(),
            usernames: Index::default(),
            id_index: Index::default(),
            ids_missing: 0,
            ids_email_shaped: 0,
            emails_missing: 0,
            emails_invalid: 0,
            schemes: BTreeMap::new(),
            never_logged_in: 0,
            disabled: 0,
            unverified: 0,
            partial: 0,
            last_login_unparseable: 0,
            last_login_future: 0,
            created_unparseable: 0,
            created_future: 0,
            recency: Recency::new(),
        }
    }

    fn note_bad(&mut self, line: u64, reason: String) {
        if self.bad_shown.len() < SHOWN {
            self.bad_shown.push((line, reason));
        }
    }

    /// A row that could not be read at all.
    pub(super) fn unreadable(&mut self, line: u64, reason: String) {
        self.rows += 1;
        self.unreadable += 1;
        self.note_bad(line, reason);
    }

    /// The opaque id of user `i`, as stored.
    pub(super) fn id_of(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] };
        &self.ids[start..self.id_ends[i]]
    }

    /// The line of user `i` in the export.
    pub(super) fn line_of(&self, i: u32) -> u64 {
        self.lines[i as usize]
    }

    /// One readable row: its values by role (see the constants above), its line, and the
    /// names of its fields for messages.
    pub(super) fn row(&mut self, line: u64, v: &[Option<Scalar>], names: &[String]) {
        self.rows += 1;
        let user = self.users as u32;
        self.users += 1;
        let row = User::read(v);
        let User {
            id,
            email,
            username,
            hash,
            salt,
            scheme,
            verified,
            ..
        } = &row;
        let wrong = &row.wrong;

        // Identifiers.
        let email_shaped = id.as_deref().is_some_and(|i| i.contains('@'));
        match id {
            None => self.ids_missing += 1,
            Some(i) => {
                if email_shaped {
                    self.ids_email_shaped += 1;
                }
                self.id_index.add(folded_exact(i), user);
            }
        }
        match (id, email_shaped) {
            (Some(i), false) => self.ids.push_str(&shown_id(i)),
            _ => self.ids.push_str(&format!("line {line}")),
        }
        self.id_ends.push(self.ids.len());
        self.lines.push(line);

        // Emails and usernames.
        match email {
            None => self.emails_missing += 1,
            Some(e) => {
                if !valid_email(e) {
                    self.emails_invalid += 1;
                }
                self.emails.add(folded(e), user);
            }
        }
        if let Some(u) = username {
            self.usernames.add(folded(u), user);
        }

        // Hashes.
        let s = hash::classify(hash.as_deref(), salt.is_some(), scheme.as_deref());
        let entry = self.schemes.entry(s.id).or_default();
        entry.0 += 1;
        if let Some(p) = s.param {
            let key = if entry.1.len() < PARAMS || entry.1.contains_key(&p) {
                p
            } else {
                "other".to_string()
            };
            *entry.1.entry(key).or_default() += 1;
        }

        // Account states.
        if row.is_disabled() {
            self.disabled += 1;
        }
        if *verified == Some(false) {
            self.unverified += 1;
        }
        let required_missing =
            (REQUIRED..v.len()).any(|i| v[i].as_ref().is_none_or(Scalar::is_blank));
        if required_missing || row.is_unfinished() {
            self.partial += 1;
        }

        // Dates.
        let last = self.date(v.get(LAST_LOGIN).and_then(Option::as_ref), true);
        let created = self.date(v.get(CREATED).and_then(Option::as_ref), false);
        if matches!(last, Date::Never) {
            self.never_logged_in += 1;
        }
        let days =
            |t: DateTime<Utc>| (self.at - t).num_milliseconds().div_euclid(86_400_000) as u64;
        match last {
            Date::At(t) => self.recency.add(Some(days(t)), created.at().map(days)),
            Date::Never => self.recency.add(None, created.at().map(days)),
            Date::Bad => {}
        }

        if !wrong.is_empty() {
            self.bad_values += 1;
            let reason = format!(
                "{} of the wrong type (ignored)",
                wrong
                    .iter()
                    .map(|&i| format!("'{}'", names.get(i).map_or("?", String::as_str)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.note_bad(line, reason);
        }
    }

    fn date(&mut self, value: Option<&Scalar>, last_login: bool) -> Date {
        let (unparseable, future) = if last_login {
            (
                &mut self.last_login_unparseable,
                &mut self.last_login_future,
            )
        } else {
            (&mut self.created_unparseable, &mut self.created_future)
        };
        match value.map(instant).transpose() {
            Err(_) => {
                *unparseable += 1;
                Date::Bad
            }
            Ok(None) | Ok(Some(None)) => Date::Never,
            Ok(Some(Some(t))) if t > self.at => {
                *future += 1;
                Date::Bad
            }
            Ok(Some(Some(t))) => Date::At(t),
        }
    }
}

/// An id as reports show it: at most [`ID_SHOWN`] characters (a longer one is cut, with `…`).
fn shown_id(id: &str) -> String {
    match id.char_indices().nth(ID_SHOWN) {
        None => id.to_string(),
        Some((end, _)) => format!("{}…", &id[..end]),
    }
}

/// The longest id kept for naming duplicates, in characters.
const ID_SHOWN: usize = 64;

enum Date {
    At(DateTime<Utc>),
    Never,
    Bad,
}

impl Date {
    fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            Date::At(t) => Some(*t),
            _ => None,
        }
    }
}
