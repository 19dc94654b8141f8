//! The simulator's Auth0 login: the password-realm grant at `POST /oauth/token` (JSON:
//! `grant_type` `http://auth0.com/oauth/grant-type/password-realm`, `username`, `password`,
//! `realm`, `client_id`, `client_secret`). 200 with tokens when the user's imported
//! `custom_password_hash` (PBKDF2-SHA256 in PHC form) verifies the password, and the login
//! counted (`last_login`, `logins_count`), as Auth0 does; else 403 `invalid_grant` "Wrong email
//! or password.", as Auth0 answers a bad hash import and a wrong password alike. A missing
//! client is 401 `access_denied`. The realm is not checked against connection names (the
//! simulator keeps connection ids only).

use super::super::target::Answer;
use super::super::verify;
use super::Auth0;
use serde_json::{Value, json};

const GRANT: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// Whether the user's imported hash verifies `password`.
fn verifies(u: &Value, password: &str) -> bool {
    let custom = &u["custom_password_hash"];
    if custom["algorithm"] != "pbkdf2" {
        return false;
    }
    let Ok(p) = crate::moving::phc::pbkdf2(custom["hash"]["value"].as_str().unwrap_or_default())
    else {
        return false;
    };
    p.digest == "sha256" && verify::pbkdf2_sha256(p.rounds.into(), &p.salt, &p.hash, password)
}

impl Auth0 {
    pub(super) fn login(&mut self, body: &Value) -> Answer {
        let text = |k: &str| body[k].as_str().unwrap_or_default();
        if text("client_id").is_empty() || text("client_secret").is_empty() {
            return Answer::Json(
                401,
                json!({"error": "access_denied", "error_description": "Unauthorized"}),
                None,
            );
        }
        if text("grant_type") != GRANT {
            return Answer::Json(
                403,
                json!({"error": "unauthorized_client", "error_description": "Grant type not allowed for the client."}),
                None,
            );
        }
        let wrong = Answer::Json(
            403,
            json!({"error": "invalid_grant", "error_description": "Wrong email or password."}),
            None,
        );
        let Some(id) = self.emails.get(&text("username").to_lowercase()).cloned() else {
            return wrong;
        };
        let password = text("password").to_string();
        match self.users.get_mut(&id) {
            Some(u) if verifies(u, &password) => {
                u["last_login"] = json!(chrono::Utc::now().to_rfc3339());
                u["logins_count"] = json!(u["logins_count"].as_u64().unwrap_or(0) + 1);
                Answer::Json(
                    200,
                    json!({"access_token": "a0-user-token", "id_token": "a0-id-token", "token_type": "Bearer", "expires_in": 86400}),
                    None,
                )
            }
            _ => wrong,
        }
    }
}
