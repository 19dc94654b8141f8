//! `[segments.move]`: where a segment's users come from (the legacy export) and where cutover
//! moves them (one target system, with its connection keys), checked before anything is sent.
//!
//! ```toml
//! [segments.move]
//! export = "exports/dormant.jsonl"   # read as `cutover audit` reads it; [audit] names columns
//! target = "firebase"                # fusionauth | auth0 | keycloak | authgear | firebase
//! project = "acme-prod"
//! token = "env:FIREBASE_TOKEN"
//! batch = 1000                       # default: the target's documented limit (below)
//! pace = 500                         # optional: at most 500 users a second (default: as fast
//!                                    # as the target answers, its 429s honoured)
//! unverifiable = "skip"              # or "without-password": they set a new one
//! duplicate_emails = "skip"          # or "fail": the move refuses to start
//!
//! [segments.move.rehearsal]          # a test tenant, realm, connection or project
//! project = "acme-test"
//! token = "env:FIREBASE_TEST_TOKEN"
//! ```
//!
//! Each target's keys, and the batch limits its public documentation sets (the default batch
//! is the limit, but FusionAuth's, 25,000: see [`batch_default`]; a larger one is refused):
//!
//! | target | keys | batch |
//! |---|---|---|
//! | `fusionauth` | `url`, `api_key`, optional `tenant` | 100,000 users (FusionAuth's migration guide: import in batches of up to 100,000 minified users) |
//! | `auth0` | `domain`, `token`, `connection_id` | 500 KB a job file, 2 jobs at a time (Auth0's bulk user imports); `batch` caps the users of one job, default 10,000 |
//! | `keycloak` | `url`, `realm`, `client_id`, `client_secret` | 500 users a `partialImport` (no documented limit; one request stays well under its default 10 MB body) |
//! | `authgear` | `url`, `key_id`, `private_key` (the Admin API key; cutover signs its JWT) | 500 KB a request body (Authgear's User Import API); `batch` caps the users, default 1,000 |
//! | `firebase` | `project`, `token` or `service_account`, optional `url` | 1,000 users an `accounts:batchCreate` (Firebase's "Import users") |
//!
//! Secrets (`api_key`, `token`, `client_secret`, `private_key`, `service_account`) are
//! `env:NAME` only, read when the move runs and never stored. URLs follow the hooks' rule:
//! https, or plain http to loopback, or `insecure = true`.

use super::Severity as Problem;
use super::canaries::LoginKeys;
use super::found::{Found, Said};
use super::locate::KeyPath;
use super::move_targets::target as target_of;
pub use super::move_targets::{
    FIREBASE_URL, FirebaseCredential, KINDS, Target, batch_default, batch_limit,
};
use serde::Deserialize;
use std::path::PathBuf;

/// `[segments.move]` as written: the move's own keys and the target's connection keys (each
/// target takes some of them). `[segments.move.rehearsal]` has the same shape and may set only
/// connection keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveFile {
    pub export: Option<String>,
    pub target: Option<String>,
    pub batch: Option<u64>,
    /// The most users a second the move sends (its own pace, under the target's limits).
    pub pace: Option<f64>,
    pub unverifiable: Option<String>,
    pub duplicate_emails: Option<String>,
    /// `"tag"`: the segment's users on the target are those tagged with its id (see
    /// [`Move::tagged`]).
    pub scope: Option<String>,
    /// Where `cutover move --rehearse` moves: the same target kind, its own keys.
    pub rehearsal: Option<Box<MoveFile>>,
    pub url: Option<String>,
    pub api_key: Option<String>,
    pub tenant: Option<String>,
    pub domain: Option<String>,
    pub token: Option<String>,
    pub connection_id: Option<String>,
    pub realm: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub key_id: Option<String>,
    pub private_key: Option<String>,
    pub project: Option<String>,
    pub service_account: Option<String>,
    #[serde(default)]
    pub insecure: bool,
    /// How a user logs in on this target (canaries): see [`super::canaries`].
    pub login: Option<super::canaries::LoginFile>,
}

impl MoveFile {
    /// The keys set here that belong to the move, not to a target (a rehearsal may set none).
    fn move_keys(&self) -> Vec<&'static str> {
        [
            ("export", self.export.is_some()),
            ("target", self.target.is_some()),
            ("batch", self.batch.is_some()),
            ("pace", self.pace.is_some()),
            ("unverifiable", self.unverifiable.is_some()),
            ("duplicate_emails", self.duplicate_emails.is_some()),
            ("scope", self.scope.is_some()),
            ("rehearsal", self.rehearsal.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(key, _)| *key)
        .collect()
    }
}

/// Users whose hash the target cannot verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unverifiable {
    /// Not moved; counted by reason in the report (the default).
    Skip,
    /// Moved without a password: they set a new one at their first login.
    WithoutPassword,
}

/// Users sharing an email, case-folded as the audit groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateEmails {
    /// The first in the export moves; the others are skipped and counted (the default).
    Skip,
    /// The move refuses to start while the export has any.
    Fail,
}

/// A validated `[segments.move]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The export, as written (relative paths are from the project folder).
    pub export: PathBuf,
    pub target: Target,
    pub batch: u64,
    /// At most this many users a second (`None`: as fast as the target answers).
    pub pace: Option<u64>,
    pub unverifiable: Unverifiable,
    pub duplicate_emails: DuplicateEmails,
    pub rehearsal: Option<Target>,
    /// `[segments.move.login]`: how a user logs in on the target (canaries).
    pub login: Option<LoginKeys>,
    /// `scope = "tag"`: the move tags each user it creates with the segment's id (a `segment`
    /// field: FusionAuth `data.segment`, Keycloak's `segment` attribute, Auth0
    /// `app_metadata.segment`, Firebase's `segment` custom claim, Authgear's `segment` custom
    /// attribute), and a reconciliation counts as the segment's only the users of its export
    /// or tagged with its id, so segments sharing one destination do not see each other's
    /// users as extra.
    pub tagged: bool,
}

/// Check `[segments.move]` of a segment at `at`; problems go to `found`, and `ok` turns false
/// on an error.
pub(super) fn validate(
    raw: &MoveFile,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<Move> {
    let mut err = |key: &KeyPath, msg: Said| {
        *ok = false;
        found.push((Problem::Error, key.clone(), msg));
    };
    let export = match raw.export.as_deref().map(str::trim) {
        Some(e) if crate::export::ldap::is_url(e) => {
            match crate::export::ldap::Directory::parse(e, None) {
                Ok(_) => Some(PathBuf::from(e)),
                Err(why) => {
                    err(&at.clone().key("export"), why.into());
                    None
                }
            }
        }
        Some(e) if !e.is_empty() => Some(PathBuf::from(e)),
        _ => {
            err(
                &at.clone().key("export"),
                "must name the legacy export to move, e.g. export = \"exports/users.jsonl\" (CSV, JSON lines, a FusionAuth import file or LDIF), or a live directory, ldap://HOST:PORT/BASE??sub?(FILTER)".into(),
            );
            None
        }
    };
    let kind = match raw.target.as_deref() {
        Some(k) if KINDS.contains(&k) => Some(k),
        other => {
            let what = other.map_or_else(
                || "must be set".to_string(),
                |k| {
                    format!(
                        "'{}' is not a target cutover moves into",
                        crate::model::reading::shown(k)
                    )
                },
            );
            err(
                &at.clone().key("target"),
                format!("{what}: use one of {}", KINDS.join(", ")).into(),
            );
            None
        }
    };
    let target = kind.and_then(|k| target_of(k, raw, at, &mut err));
    let rehearsal = match (&raw.rehearsal, kind) {
        (Some(keys), Some(k)) => {
            let here = at.clone().key("rehearsal");
            match keys.move_keys().first() {
                Some(key) => {
                    err(
                        &here.clone().key(key),
                        "belongs to [segments.move]: a rehearsal takes only the target's connection keys".into(),
                    );
                    None
                }
                None => target_of(k, keys, &here, &mut err),
            }
        }
        _ => None,
    };
    if let (Some(real), Some(test)) = (&target, &rehearsal)
        && real.destination().0 == test.destination().0
    {
        let key = test.destination().1;
        err(
            &at.clone().key("rehearsal").key(key),
            format!("is the real move's {key}: a rehearsal moves into a test {key} of its own (and deletes what it created)").into(),
        );
    }
    let limit = kind.map_or(1_000, batch_limit);
    let batch = match raw.batch {
        None => kind.map_or(limit, batch_default),
        Some(b) if b >= 1 && b <= limit => b,
        Some(b) => {
            err(
                &at.clone().key("batch"),
                format!(
                    "{b} users a batch: {} takes 1 to {limit} (its documented limit)",
                    kind.unwrap_or("this target")
                )
                .into(),
            );
            limit
        }
    };
    let unverifiable = match raw.unverifiable.as_deref() {
        None | Some("skip") => Unverifiable::Skip,
        Some("without-password") => Unverifiable::WithoutPassword,
        Some(other) => {
            err(
                &at.clone().key("unverifiable"),
                format!(
                    "'{}' is not a policy: use \"skip\" (counted in the report) or \"without-password\" (they set a new one)",
                    crate::model::reading::shown(other)
                )
                .into(),
            );
            Unverifiable::Skip
        }
    };
    let duplicate_emails = match raw.duplicate_emails.as_deref() {
        None | Some("skip") => DuplicateEmails::Skip,
        Some("fail") => DuplicateEmails::Fail,
        Some(other) => {
            err(
                &at.clone().key("duplicate_emails"),
                format!(
                    "'{}' is not a policy: use \"skip\" (the first moves, the rest are counted) or \"fail\" (no move while any exist)",
                    crate::model::reading::shown(other)
                )
                .into(),
            );
            DuplicateEmails::Skip
        }
    };
    let pace = match raw.pace {
        None => None,
        Some(p) if p.is_finite() && (1.0..=1e9).contains(&p) => Some(p.round() as u64),
        Some(p) => {
            err(
                &at.clone().key("pace"),
                format!(
                    "{} is not a pace: give the most users a second the move may send, 1 or more, e.g. pace = 500 (leave it out to go as fast as the target answers)",
                    crate::model::reading::shown(&p.to_string())
                )
                .into(),
            );
            None
        }
    };
    let login = match (kind, &raw.login) {
        (Some(k), Some(keys)) => {
            let keys = super::canaries::login_keys(k, keys, &at.clone().key("login"), found);
            *ok &= keys.is_some();
            keys
        }
        _ => None,
    };
    if raw.rehearsal.as_deref().is_some_and(|r| r.login.is_some()) {
        *ok = false;
        found.push((
            Problem::Error,
            at.clone().key("rehearsal").key("login"),
            "belongs to [segments.move]: canaries log in on the real target".into(),
        ));
    }
    let tagged = match raw.scope.as_deref() {
        None => false,
        Some("tag") => true,
        Some(other) => {
            *ok = false;
            found.push((
                Problem::Error,
                at.clone().key("scope"),
                format!(
                    "'{}' is not a scope: use \"tag\" (the move tags its users with the segment's id, and a reconciliation counts only those and the export's), or leave it out (every user of the destination counts)",
                    crate::model::reading::shown(other)
                )
                .into(),
            ));
            false
        }
    };
    Some(Move {
        tagged,
        login,
        export: export?,
        target: target?,
        batch,
        pace,
        unverifiable,
        duplicate_emails,
        rehearsal,
    })
}
