//! Canaries: test users with known passwords (`[[segments.canaries]]`) that cutover logs in
//! through the target's own login API, to prove that the hashes it imported verify. Auth0
//! cannot tell a bad hash import from a wrong password, and no count can either: only a login
//! can.
//!
//! ```toml
//! [[segments.canaries]]
//! login = "canary-eu-1@example.com"     # its email or username on the target
//! password = "env:CANARY_EU_1_PASSWORD" # env:NAME only
//!
//! [segments.move.login]                 # how a user logs in on the move's target
//! client_id = "…"                       # auth0, keycloak
//! client_secret = "env:AUTH0_LOGIN_SECRET"
//! realm = "Username-Password-Authentication"   # auth0: the connection's name
//! # application_id = "…"  (fusionauth, optional)    api_key = "env:…"  (firebase: web API key)
//!
//! [segments.sources.canary]             # the share of canaries that logged in (0..1)
//! kind = "canary"
//! every = "1m"
//! [segments.sources.canary_latency]     # the slowest canary login, in milliseconds
//! kind = "canary"
//! measure = "latency"
//!
//! [[segments.gates]]                    # the guard, from cutover on: every canary logs in
//! kind = "canary"                       # metric = "canary", min_success = 1 (defaults)
//!
//! [[segments.checks]]                   # a test check: every canary logs in now
//! kind = "canary"
//! ```
//!
//! A canary is moved like any user (it is a row of the export) or created on the target by the
//! lead; cutover only logs it in. A test check logs in on the real target, so before a
//! big-bang move it needs canaries the lead created there (a rehearsal deletes what it moved
//! before any check could see it). Authgear has no login API a program may call with a password,
//! so canaries there are refused at `check`.

use super::found::{Found, Said};
use super::locate::KeyPath;
use super::moves::{Move, Target};
use super::{Check, CheckKind, Severity, SourceRequest, SourceSpec};
use serde::Deserialize;

/// `[[segments.canaries]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryFile {
    pub login: Option<String>,
    pub password: Option<String>,
}

/// `[segments.move.login]` as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LoginFile {
    pub application_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub realm: Option<String>,
    pub api_key: Option<String>,
}

/// One canary: its login id on the target and `env:NAME` of its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    pub login: String,
    pub password: String,
}

/// How a program logs a user in on one target kind, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginKeys {
    /// `POST /api/login`, with the move's API key (and tenant); `applicationId` when set.
    FusionAuth { application_id: Option<String> },
    /// The password-realm grant at `/oauth/token`: an application's id and secret, and the
    /// database connection's name as the realm.
    Auth0 {
        client_id: String,
        client_secret: String,
        realm: String,
    },
    /// The direct grant (`grant_type=password`) of a client that allows it.
    Keycloak {
        client_id: String,
        client_secret: Option<String>,
    },
    /// `accounts:signInWithPassword?key=…`, the project's web API key.
    Firebase { api_key: String },
}

/// Everything a canary login needs: where, how, and who.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryProbe {
    pub target: Target,
    pub login: LoginKeys,
    pub canaries: Vec<Canary>,
}

impl CanaryProbe {
    /// Every `env:NAME` it logs in with: the passwords, the login keys' secrets and the
    /// target's own key (FusionAuth's login takes the API key).
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.canaries.iter().map(|c| c.password.clone()).collect();
        match &self.login {
            LoginKeys::Auth0 { client_secret, .. } => out.push(client_secret.clone()),
            LoginKeys::Keycloak { client_secret, .. } => out.extend(client_secret.clone()),
            LoginKeys::Firebase { api_key } => out.push(api_key.clone()),
            LoginKeys::FusionAuth { .. } => {}
        }
        if let Target::FusionAuth { api_key, .. } = &self.target {
            out.push(api_key.clone());
        }
        out
    }
}

/// What a canary source reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The share of canaries that logged in, 0 to 1.
    Success,
    /// The slowest successful login, in milliseconds (none logged in: the source's error).
    Latency,
}

/// A validated `canary` check: at least `min_success` of the canaries log in, each login
/// within `timeout`.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryCheck {
    pub min_success: f64,
    pub timeout: std::time::Duration,
    /// Filled once the segment's move and canaries are known ([`attach`]).
    pub probe: Option<Box<CanaryProbe>>,
}

/// A `canary` check from its table.
pub(super) fn check(
    c: &super::CheckFile,
    timeout: std::time::Duration,
    at: &KeyPath,
    found: &mut Found,
) -> Option<CheckKind> {
    let min_success = c.min_success.unwrap_or(1.0);
    if !(min_success > 0.0 && min_success <= 1.0) {
        found.push((
            Severity::Error,
            at.clone().key("min_success"),
            "must be a share in (0, 1], e.g. min_success = 1 (every canary logs in)".into(),
        ));
        return None;
    }
    Some(CheckKind::Canary(CanaryCheck {
        min_success,
        timeout,
        probe: None,
    }))
}

/// The login keys of a `kind` target from `raw` at `at`; `None` with the problems reported.
pub(super) fn login_keys(
    kind: &str,
    raw: &LoginFile,
    at: &KeyPath,
    found: &mut Found,
) -> Option<LoginKeys> {
    let mut fine = true;
    let mut err = |key: &str, msg: Said, found: &mut Found| {
        fine = false;
        found.push((Severity::Error, at.clone().key(key), msg));
    };
    let mut need = |key: &str, v: &Option<String>, secret: bool, found: &mut Found| match v
        .as_deref()
        .map(str::trim)
    {
        Some(s) if secret && !s.starts_with(crate::secret::PREFIX) => {
            err(
                key,
                Said::hiding_value(format!(
                    "must reference the environment, e.g. {key} = \"env:{}\": a secret is never written in cutover.toml",
                    key.to_ascii_uppercase()
                )),
                found,
            );
            None
        }
        Some(s) if !s.is_empty() => Some(s.to_string()),
        _ => {
            err(
                key,
                format!("must be set: a canary logs in on {kind} with it").into(),
                found,
            );
            None
        }
    };
    let keys = match kind {
        "fusionauth" => Some(LoginKeys::FusionAuth {
            application_id: raw.application_id.clone(),
        }),
        "auth0" => {
            let (id, secret, realm) = (
                need("client_id", &raw.client_id, false, found),
                need("client_secret", &raw.client_secret, true, found),
                need("realm", &raw.realm, false, found),
            );
            Some(LoginKeys::Auth0 {
                client_id: id?,
                client_secret: secret?,
                realm: realm?,
            })
        }
        "keycloak" => {
            let secret = match &raw.client_secret {
                Some(_) => Some(need("client_secret", &raw.client_secret, true, found)?),
                None => None,
            };
            Some(LoginKeys::Keycloak {
                client_id: need("client_id", &raw.client_id, false, found)?,
                client_secret: secret,
            })
        }
        "firebase" => Some(LoginKeys::Firebase {
            api_key: need("api_key", &raw.api_key, true, found)?,
        }),
        _ => {
            found.push((
                Severity::Error,
                at.clone(),
                "authgear has no login API a program may call with a password: canaries cannot log in there (remove [segments.move.login] and the canary sources and checks)".into(),
            ));
            return None;
        }
    };
    fine.then_some(keys).flatten()
}

/// The segment's canaries, checked: a login and an `env:` password each, no login twice.
pub(super) fn canaries(
    raw: &[CanaryFile],
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Vec<Canary> {
    let before = found.len();
    let mut out: Vec<Canary> = Vec::new();
    for (i, c) in raw.iter().enumerate() {
        let here = at.clone().key("canaries").index(i);
        let login = c.login.as_deref().map(str::trim).unwrap_or("");
        if login.is_empty() {
            found.push((
                Severity::Error,
                here.clone().key("login"),
                "must be set: the canary's email or username on the target".into(),
            ));
            continue;
        }
        let password = c.password.as_deref().map(str::trim).unwrap_or("");
        if !password.starts_with(crate::secret::PREFIX)
            || password.len() <= crate::secret::PREFIX.len()
        {
            found.push((Severity::Error, here.key("password"), Said::hiding_value("must reference the environment, e.g. password = \"env:CANARY_PASSWORD\": a password is never written in cutover.toml")));
            continue;
        }
        if out.iter().any(|o| o.login.eq_ignore_ascii_case(login)) {
            found.push((
                Severity::Error,
                here.key("login"),
                "is another canary's login too: each canary is its own user".into(),
            ));
            continue;
        }
        out.push(Canary {
            login: login.to_string(),
            password: password.to_string(),
        });
    }
    if found.len() > before {
        *ok = false;
    }
    out
}

/// The probe a canary source or check of a segment uses: its canaries on the move's target,
/// with that target's login keys. `Err` says what is missing.
pub fn probe(moving: Option<&Move>, canaries: &[Canary]) -> Result<CanaryProbe, &'static str> {
    let m = moving.ok_or("a canary logs in on the segment's move target: add [segments.move]")?;
    if canaries.is_empty() {
        return Err(
            "no canary to log in: add [[segments.canaries]] with login and password = \"env:NAME\"",
        );
    }
    let (target, login) = (m.target.clone(), m.login.clone());
    let login = match (login, &target) {
        (Some(l), _) => l,
        (None, Target::FusionAuth { .. }) => LoginKeys::FusionAuth {
            application_id: None,
        },
        (None, Target::Authgear { .. }) => {
            return Err(
                "authgear has no login API a program may call with a password: canaries cannot log in there",
            );
        }
        (None, _) => {
            return Err(
                "add [segments.move.login] with the keys this target's login takes (auth0: client_id, client_secret, realm; keycloak: client_id; firebase: api_key)",
            );
        }
    };
    Ok(CanaryProbe {
        target,
        login,
        canaries: canaries.to_vec(),
    })
}

/// A canary gate reads a canary source's share of logins (not its latency, not another kind's
/// number). A slow segment's cutover moves nobody, so its canaries must be on the target
/// already (created there, or migrated by logging in once): said as a warning.
pub(super) fn check_gates(
    strategy: super::Strategy,
    sources: &[SourceSpec],
    gates: &[crate::model::criteria::Criterion],
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) {
    for (j, g) in gates.iter().enumerate() {
        let crate::model::criteria::Criterion::Canary { metric, .. } = g else {
            continue;
        };
        let here = at.clone().key("gates").index(j);
        let fed = sources.iter().any(|s| {
            s.metric == *metric
                && matches!(
                    s.request,
                    SourceRequest::Canary {
                        measure: Measure::Success,
                        ..
                    }
                )
        });
        if !fed {
            *ok = false;
            found.push((Severity::Error, here.clone().key("metric"), format!("no [segments.sources.{metric}] with kind = \"canary\" (measure = \"success\") feeds this gate: add one, or name it with metric = \"…\"").into()));
        } else if strategy == super::Strategy::Slow {
            found.push((Severity::Warning, here, "a slow segment's cutover moves nobody: its canaries must be on the target already (created there, or migrated by logging in once), or the guard rolls back".into()));
        }
    }
}

/// Give each canary source and check of a segment its probe, or say why it has none.
pub(super) fn attach(
    moving: Option<&Move>,
    canaries: &[Canary],
    sources: &mut [SourceSpec],
    checks: &mut [Check],
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) {
    let mut fail = |path: KeyPath, why: &str, found: &mut Found| {
        *ok = false;
        found.push((Severity::Error, path, why.into()));
    };
    for s in sources.iter_mut() {
        if let SourceRequest::Canary { probe: slot, .. } = &mut s.request {
            match probe(moving, canaries) {
                Ok(p) => *slot = Some(Box::new(p)),
                Err(why) => fail(at.clone().key("sources").key(&s.metric), why, found),
            }
        }
    }
    for (i, c) in checks.iter_mut().enumerate() {
        if let CheckKind::Canary(check) = &mut c.kind {
            match probe(moving, canaries) {
                Ok(p) => check.probe = Some(Box::new(p)),
                Err(why) => fail(at.clone().key("checks").index(i), why, found),
            }
        }
    }
}
