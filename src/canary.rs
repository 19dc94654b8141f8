//! Canary logins: each of a segment's canaries (test users with known passwords) logs in
//! through the target's own login API, so a bad hash import shows as failing logins within
//! minutes, not as a flood of "wrong email or password" from real users.
//!
//! | target | call | a refused password |
//! |---|---|---|
//! | FusionAuth | `POST /api/login` `{loginId, password, applicationId?}` with the API key (and tenant) | 404 (not found or wrong password), 409/410/423 (locked, expired) |
//! | Auth0 | `POST /oauth/token`, the password-realm grant | 403 `invalid_grant` |
//! | Keycloak | `POST /realms/R/protocol/openid-connect/token`, `grant_type=password` | 400/401 `invalid_grant` |
//! | Firebase | `POST /v1/accounts:signInWithPassword?key=…` | 400 `INVALID_PASSWORD`, `INVALID_LOGIN_CREDENTIALS`, `EMAIL_NOT_FOUND`, `USER_DISABLED` |
//!
//! A login the target answered (passed, or its password refused) is a canary's result. Any
//! other answer (a 5xx, a 429, a refused API key or client, no connection) is the probe's
//! error: the reading is unknown, and unknown never passes a gate nor counts toward a
//! rollback. Nothing a target says is kept but its status and error code: a body may echo the
//! login. Canaries are named by their place in the list ("canary 2"), never by their login.

use crate::config::canaries::{CanaryProbe, LoginKeys};
use crate::config::moves::Target;
use crate::secret;
use crate::source::SourceError;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// What logging every canary in came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub tried: usize,
    pub passed: usize,
    /// The slowest successful login, in milliseconds.
    pub slowest_ms: Option<f64>,
    /// Each refused canary: its number (from 1) and the target's status and code.
    pub refused: Vec<(usize, String)>,
}

impl Tally {
    /// The share that logged in, 0 to 1.
    pub fn share(&self) -> f64 {
        if self.tried == 0 {
            0.0
        } else {
            self.passed as f64 / self.tried as f64
        }
    }

    /// "2 of 3 canaries logged in (slowest 84 ms); canary 3 refused: HTTP 404".
    pub fn summary(&self) -> String {
        let mut s = format!("{} of {} canaries logged in", self.passed, self.tried);
        if let Some(ms) = self.slowest_ms {
            s.push_str(&format!(" (slowest {ms:.0} ms)"));
        }
        for (n, why) in &self.refused {
            s.push_str(&format!("; canary {n} refused: {why}"));
        }
        s
    }
}

/// How one login ended.
enum Login {
    Passed,
    Refused(String),
}

/// Log every canary of `probe` in, one after another, each within `timeout`.
pub async fn log_in_all(
    client: &reqwest::Client,
    probe: &CanaryProbe,
    timeout: Duration,
) -> Result<Tally, SourceError> {
    let mut tally = Tally {
        tried: 0,
        passed: 0,
        slowest_ms: None,
        refused: Vec::new(),
    };
    for (i, canary) in probe.canaries.iter().enumerate() {
        let password = secret::resolve(&canary.password)?;
        let started = Instant::now();
        let login = log_in(client, probe, &canary.login, &password, timeout).await?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tally.tried += 1;
        match login {
            Login::Passed => {
                tally.passed += 1;
                tally.slowest_ms = Some(tally.slowest_ms.map_or(ms, |s: f64| s.max(ms)));
            }
            Login::Refused(why) => tally.refused.push((i + 1, why)),
        }
    }
    Ok(tally)
}

fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

async fn log_in(
    client: &reqwest::Client,
    probe: &CanaryProbe,
    login: &str,
    password: &str,
    timeout: Duration,
) -> Result<Login, SourceError> {
    let (request, shown) = match (&probe.target, &probe.login) {
        (
            Target::FusionAuth {
                url,
                api_key,
                tenant,
            },
            LoginKeys::FusionAuth { application_id },
        ) => {
            let mut body = json!({"loginId": login, "password": password});
            if let Some(app) = application_id {
                body["applicationId"] = json!(app);
            }
            let mut req = client
                .post(format!("{}/api/login", base(url)))
                .header("Authorization", secret::resolve(api_key)?)
                .json(&body);
            if let Some(t) = tenant {
                req = req.header("X-FusionAuth-TenantId", t);
            }
            (req, format!("{}/api/login", base(url)))
        }
        (
            Target::Auth0 { url, .. },
            LoginKeys::Auth0 {
                client_id,
                client_secret,
                realm,
            },
        ) => {
            let body = json!({
                "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
                "username": login,
                "password": password,
                "realm": realm,
                "client_id": client_id,
                "client_secret": secret::resolve(client_secret)?,
                "scope": "openid",
            });
            let to = format!("{}/oauth/token", base(url));
            (client.post(&to).json(&body), to)
        }
        (
            Target::Keycloak { url, realm, .. },
            LoginKeys::Keycloak {
                client_id,
                client_secret,
            },
        ) => {
            let mut form = vec![
                ("grant_type", "password".to_string()),
                ("client_id", client_id.clone()),
                ("username", login.to_string()),
                ("password", password.to_string()),
                ("scope", "openid".to_string()),
            ];
            if let Some(s) = client_secret {
                form.push(("client_secret", secret::resolve(s)?));
            }
            let to = format!("{}/realms/{realm}/protocol/openid-connect/token", base(url));
            let body: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let req = client
                .post(&to)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
            (req, to)
        }
        (Target::Firebase { url, .. }, LoginKeys::Firebase { api_key }) => {
            let to = format!("{}/v1/accounts:signInWithPassword", base(url));
            let key: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("key", &secret::resolve(api_key)?)
                .finish();
            let req = client
                .post(format!("{to}?{key}"))
                .json(&json!({"email": login, "password": password, "returnSecureToken": true}));
            (req, to)
        }
        _ => {
            return Err(SourceError::Request(
                "the canaries' login keys are not this target's".into(),
            ));
        }
    };
    let resp = request.timeout(timeout).send().await.map_err(|e| {
        if e.is_timeout() {
            SourceError::Timeout(humantime::format_duration(timeout).to_string())
        } else if e.is_connect() {
            SourceError::Connect(shown.clone())
        } else {
            SourceError::Request(format!("the login call to {shown} failed"))
        }
    })?;
    let status = resp.status().as_u16();
    let body: Value = resp
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(b.as_ref()).ok())
        .unwrap_or(Value::Null);
    judge(&probe.target, status, &body).ok_or_else(|| SourceError::Http {
        status,
        url: shown,
        snippet: crate::moving::reset_calls::code_of(&body),
    })
}

/// A login's result from the target's answer, or `None` when the answer is not about the
/// canary's password (the probe's error).
fn judge(target: &Target, status: u16, body: &Value) -> Option<Login> {
    let refused = |what: &str| Some(Login::Refused(format!("HTTP {status} {what}")));
    let code = crate::moving::reset_calls::code_of(body);
    match target {
        // 2xx: the password verified (202 not registered for the application, 203 a change
        // required, 212 email unverified, 242 a second factor due).
        Target::FusionAuth { .. } => match status {
            200..=299 => Some(Login::Passed),
            404 | 409 | 410 | 423 => refused(""),
            _ => None,
        },
        Target::Auth0 { .. } => match (status, code.as_str()) {
            (200, _) => Some(Login::Passed),
            // The password verified; a second factor is due.
            (403, "mfa_required") => Some(Login::Passed),
            (403, "invalid_grant") => refused("invalid_grant"),
            _ => None,
        },
        // Keycloak says `invalid_grant` for more than a wrong password: its description tells
        // "Invalid user credentials" (refused) from "Account is not fully set up" (a required
        // action pending: the password verified) and a disabled or locked account (the
        // canary's state, not the import's: unknown).
        Target::Keycloak { .. } => {
            let said = body["error_description"].as_str().unwrap_or_default();
            match (status, code.as_str()) {
                (200, _) => Some(Login::Passed),
                (400 | 401, "invalid_grant") if said.contains("not fully set up") => {
                    Some(Login::Passed)
                }
                (400 | 401, "invalid_grant") if said.contains("Invalid user credentials") => {
                    refused("invalid_grant")
                }
                _ => None,
            }
        }
        Target::Firebase { .. } => match (status, code.as_str()) {
            (200, _) => Some(Login::Passed),
            (
                400,
                "INVALID_PASSWORD"
                | "INVALID_LOGIN_CREDENTIALS"
                | "EMAIL_NOT_FOUND"
                | "USER_DISABLED",
            ) => refused(&code),
            _ => None,
        },
        Target::Authgear { .. } => None,
    }
    .map(|l| match l {
        Login::Refused(why) => Login::Refused(why.trim_end().to_string()),
        passed => passed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fa() -> Target {
        Target::FusionAuth {
            url: "http://x".into(),
            api_key: "env:K".into(),
            tenant: None,
        }
    }

    #[test]
    fn only_an_answer_about_the_password_is_a_canary_result() {
        assert!(matches!(
            judge(&fa(), 200, &Value::Null),
            Some(Login::Passed)
        ));
        assert!(matches!(
            judge(&fa(), 242, &Value::Null),
            Some(Login::Passed)
        ));
        assert!(matches!(
            judge(&fa(), 404, &Value::Null),
            Some(Login::Refused(_))
        ));
        assert!(
            judge(&fa(), 401, &Value::Null).is_none(),
            "a bad API key is ours"
        );
        assert!(judge(&fa(), 503, &Value::Null).is_none());
        let kc = Target::Keycloak {
            url: "http://x".into(),
            realm: "r".into(),
            client_id: "c".into(),
            client_secret: "env:S".into(),
        };
        let grant =
            json!({"error": "invalid_grant", "error_description": "Invalid user credentials"});
        assert!(matches!(judge(&kc, 401, &grant), Some(Login::Refused(_))));
        let set_up =
            json!({"error": "invalid_grant", "error_description": "Account is not fully set up"});
        assert!(
            matches!(judge(&kc, 400, &set_up), Some(Login::Passed)),
            "the password verified"
        );
        let locked = json!({"error": "invalid_grant", "error_description": "Account disabled"});
        assert!(
            judge(&kc, 400, &locked).is_none(),
            "the canary's state: unknown"
        );
        let client = json!({"error": "unauthorized_client"});
        assert!(judge(&kc, 400, &client).is_none(), "direct grant off: ours");
        let fb = Target::Firebase {
            project: "p".into(),
            credential: crate::config::moves::FirebaseCredential::Token("env:T".into()),
            url: "http://x".into(),
        };
        let wrong = json!({"error": {"code": 400, "message": "INVALID_PASSWORD : The password is invalid."}});
        assert!(
            matches!(judge(&fb, 400, &wrong), Some(Login::Refused(w)) if w == "HTTP 400 INVALID_PASSWORD")
        );
        let quota = json!({"error": {"code": 400, "message": "TOO_MANY_ATTEMPTS_TRY_LATER"}});
        assert!(judge(&fb, 400, &quota).is_none());
    }

    #[test]
    fn the_summary_names_canaries_by_number() {
        let t = Tally {
            tried: 3,
            passed: 2,
            slowest_ms: Some(84.2),
            refused: vec![(3, "HTTP 404".into())],
        };
        assert_eq!(t.share(), 2.0 / 3.0);
        assert_eq!(
            t.summary(),
            "2 of 3 canaries logged in (slowest 84 ms); canary 3 refused: HTTP 404"
        );
    }
}
