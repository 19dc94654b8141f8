//! The simulator as a move's target: the user APIs of Firebase Authentication
//! ([`super::firebase`]), FusionAuth ([`super::fusionauth`]), Keycloak ([`super::keycloak`]) and
//! Auth0 ([`super::auth0`]) and Authgear ([`super::authgear`]),
//! in the shapes of their public API references, so `cutover move` can be tried, paced and
//! broken on purpose without an account anywhere. Users are kept in memory.
//!
//! Pacing and faults on demand, shared by every kind (`cutover simulate --import-rate N
//! --target-fault SPEC --token-ttl S`): an import takes `users / N` seconds, and every K-th
//! import (counted over all kinds) meets its fault:
//! - `429@K`: answered 429 with `Retry-After: 1`, nothing imported;
//! - `503@K`: answered 503, nothing imported;
//! - `504@K`: imported, then answered 504 (a gateway giving up on a long synchronous import);
//! - `cut@K`: imported, then the connection closed without an answer;
//! - `expire@K`: Keycloak's admin tokens are revoked before it, so it is answered 401 (other
//!   kinds ignore it). Keycloak's tokens also expire `--token-ttl` seconds after they are
//!   issued (default 60);
//! - `fail@K`: an Auth0 job or an Authgear task created, then failed as a whole, importing no
//!   one (other kinds ignore it).
//!
//! `GET /sim/target/KIND/SCOPE` lists the users a kind holds in a project, tenant, realm or
//! connection (Authgear: the one project, whatever the scope), and `POST` to it plants a
//! change as if someone made it on the target ([`Plant`]): the simulator's own control calls,
//! for tests and demos, not a vendor's.

use super::plant::Plant;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    TooMany,
    Unavailable,
    GatewayTimeout,
    Cut,
    Expire,
    Fail,
}

/// A fault on every `every`-th import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetFault {
    pub kind: FaultKind,
    pub every: u64,
}

/// `429@K`, `503@K`, `504@K`, `cut@K`, `expire@K` or `fail@K`.
pub fn parse_target_fault(spec: &str) -> Result<TargetFault, String> {
    let bad = || {
        format!(
            "bad --target-fault '{spec}': use 429@K, 503@K, 504@K, cut@K, expire@K or fail@K (every K-th import, K ≥ 1)"
        )
    };
    let (kind, every) = spec.split_once('@').ok_or_else(bad)?;
    let every: u64 = every.parse().ok().filter(|k| *k >= 1).ok_or_else(bad)?;
    let kind = match kind {
        "429" => FaultKind::TooMany,
        "503" => FaultKind::Unavailable,
        "504" => FaultKind::GatewayTimeout,
        "cut" => FaultKind::Cut,
        "expire" => FaultKind::Expire,
        "fail" => FaultKind::Fail,
        _ => return Err(bad()),
    };
    Ok(TargetFault { kind, every })
}

/// One HTTP request, as the server read it.
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The query string (after `?`), as sent.
    pub query: &'a str,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

impl Call<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query parameter `name`, decoded (the first, when repeated).
    pub fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON, or the 400 to answer.
    pub fn json(&self) -> Result<Value, Answer> {
        serde_json::from_slice(self.body)
            .map_err(|_| Answer::Json(400, json!({"error": "the body is not JSON"}), None))
    }
}

/// What the target does with a request.
pub enum Answer {
    /// Status, body (`Null`: none) and the seconds of a `Retry-After`.
    Json(u16, Value, Option<u64>),
    /// Close the connection without an answer, after `Duration`.
    Cut(Duration),
    /// 200 with a gzipped file (an Auth0 users export).
    File(Vec<u8>),
}

/// The pace and the faults every kind's imports meet.
#[derive(Debug, Default)]
pub struct Manners {
    /// Users imported a second (`None`: as fast as it can).
    pub rate: Option<f64>,
    pub faults: Vec<TargetFault>,
    imports: u64,
}

/// How one import goes: how long it takes, and the fault it meets.
pub struct Gate {
    pub pace: Duration,
    pub fault: Option<FaultKind>,
}

impl Gate {
    /// The answer of a fault that stops the import before it is done (429, 503).
    pub fn refusal(&self) -> Option<Answer> {
        match self.fault {
            Some(FaultKind::TooMany) => Some(Answer::Json(
                429,
                json!({"error": "Too Many Requests", "message": "rate limit exceeded"}),
                Some(1),
            )),
            Some(FaultKind::Unavailable) => Some(Answer::Json(
                503,
                json!({"error": "Service Unavailable"}),
                None,
            )),
            _ => None,
        }
    }

    /// The answer of an import that was done: `done`, unless the fault loses it.
    pub fn after(&self, done: Answer) -> (Answer, Duration) {
        match self.fault {
            Some(FaultKind::Cut) => (Answer::Cut(self.pace), Duration::ZERO),
            Some(FaultKind::GatewayTimeout) => (
                Answer::Json(504, json!({"error": "Gateway Timeout"}), None),
                self.pace,
            ),
            _ => (done, self.pace),
        }
    }
}

impl Manners {
    /// The gate of the next import, of `users` users.
    pub fn import(&mut self, users: usize) -> Gate {
        self.imports += 1;
        let pace = self.rate.filter(|r| *r > 0.0).map_or(Duration::ZERO, |r| {
            Duration::from_secs_f64(users as f64 / r)
        });
        let fault = self
            .faults
            .iter()
            .find(|f| self.imports.is_multiple_of(f.every))
            .map(|f| f.kind);
        Gate { pace, fault }
    }
}

/// The simulated target: every kind's users, and the manners they share.
#[derive(Debug, Default)]
pub struct Target {
    pub manners: Manners,
    pub firebase: super::firebase::Firebase,
    pub fusionauth: super::fusionauth::FusionAuth,
    pub keycloak: super::keycloak::Keycloak,
    pub auth0: super::auth0::Auth0,
    pub authgear: super::authgear::Authgear,
}

impl Target {
    pub fn new(rate: Option<f64>, faults: Vec<TargetFault>, token_ttl: Duration) -> Target {
        Target {
            manners: Manners {
                rate,
                faults,
                imports: 0,
            },
            keycloak: super::keycloak::Keycloak::new(token_ttl),
            ..Target::default()
        }
    }

    /// The answer to `call` and how long to wait before giving it, when the call is one of a
    /// target's (`None`: it is not).
    pub fn answer(&mut self, call: &Call<'_>) -> Option<(Answer, Duration)> {
        let m = &mut self.manners;
        if let Some(rest) = call
            .path
            .strip_prefix("/identitytoolkit.googleapis.com/v1/projects/")
        {
            let (project, name) = rest.split_once('/')?;
            return Some(self.firebase.answer(m, project, name, call));
        }
        if (call.method, call.path) == ("POST", "/token") {
            return Some((super::firebase::token(call), Duration::ZERO));
        }
        if call.path.starts_with("/api/user/") || call.path == "/api/login" {
            return self.fusionauth.answer(m, call);
        }
        if call.path.starts_with("/_api/admin/") {
            return self.authgear.answer(m, call);
        }
        if call.path.starts_with("/api/v2/")
            || call.path.starts_with("/sim/exports/")
            || call.path == "/oauth/token"
        {
            return self.auth0.answer(m, call);
        }
        if call.path.starts_with("/admin/realms/") || call.path.starts_with("/realms/") {
            return self.keycloak.answer(m, call);
        }
        let parts: Vec<&str> = call.path.trim_matches('/').split('/').collect();
        if let ("POST", ["sim", "target", kind, scope]) = (call.method, parts.as_slice()) {
            let planted = match call.json() {
                Err(a) => return Some((a, Duration::ZERO)),
                Ok(op) => match Plant::read(&op) {
                    Err(e) => Err(e),
                    Ok(op) => self.plant(kind, scope, &op),
                },
            };
            let answer = match planted {
                Ok(()) => Answer::Json(200, json!({"planted": true}), None),
                Err(e) => Answer::Json(400, json!({"error": e}), None),
            };
            return Some((answer, Duration::ZERO));
        }
        if let ("GET", ["sim", "target", kind, scope, "resets"]) = (call.method, parts.as_slice()) {
            let sent = match *kind {
                "fusionauth" => self.fusionauth.resets(scope),
                "keycloak" => self.keycloak.resets(scope),
                _ => Vec::new(),
            };
            return Some((Answer::Json(200, json!(sent), None), Duration::ZERO));
        }
        if let ("GET", ["sim", "target", kind, scope]) = (call.method, parts.as_slice()) {
            let users = match *kind {
                "firebase" => self.firebase.users(scope),
                "fusionauth" => self.fusionauth.users(scope),
                "keycloak" => self.keycloak.users(scope),
                "auth0" => self.auth0.users(scope),
                "authgear" => self.authgear.users(),
                _ => {
                    return Some((
                        Answer::Json(404, json!({"error": "no such kind"}), None),
                        Duration::ZERO,
                    ));
                }
            };
            return Some((Answer::Json(200, json!(users), None), Duration::ZERO));
        }
        None
    }
}

impl Target {
    fn plant(&mut self, kind: &str, scope: &str, op: &Plant) -> Result<(), String> {
        match kind {
            "fusionauth" => self.fusionauth.plant(scope, op),
            "keycloak" => self.keycloak.plant(scope, op),
            "auth0" => self.auth0.plant(scope, op),
            "authgear" => self.authgear.plant(op),
            "firebase" => self.firebase.plant(scope, op),
            _ => Err(format!("no such kind '{kind}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_strike_every_kth_import() {
        assert_eq!(
            parse_target_fault("504@3"),
            Ok(TargetFault {
                kind: FaultKind::GatewayTimeout,
                every: 3
            })
        );
        assert!(parse_target_fault("429@0").is_err());
        assert!(parse_target_fault("teapot@2").is_err());
        let mut m = Manners {
            rate: Some(1000.0),
            faults: vec![parse_target_fault("429@2").expect("fault")],
            imports: 0,
        };
        let first = m.import(500);
        assert_eq!(
            (first.fault, first.pace),
            (None, Duration::from_millis(500))
        );
        assert!(
            m.import(1).refusal().is_some(),
            "the second import meets its 429"
        );
        assert!(m.import(1).refusal().is_none());
    }
}
