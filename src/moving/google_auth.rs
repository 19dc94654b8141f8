//! A Google service account as a Firebase move's credential: the account's JSON key (from
//! `service_account = "env:NAME"`) signs a JWT (RS256, `iss` the account's `client_email`, `aud`
//! its `token_uri`, the Identity Toolkit and Cloud Platform scopes, one hour of life), which the
//! token endpoint exchanges for an access token (the OAuth 2.0 JWT bearer grant, RFC 7523, as
//! Google's "Using OAuth 2.0 for Server to Server Applications" describes). The access token is
//! renewed a minute before it expires. Nothing of the key is kept, printed or logged.

use super::http::Http;
use super::problems::MoveError;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The scopes an import, a lookup and a delete need.
const SCOPES: &str = "https://www.googleapis.com/auth/identitytoolkit https://www.googleapis.com/auth/cloud-platform";

/// A service account, ready to sign.
pub struct ServiceAccount {
    email: String,
    token_uri: String,
    key: jsonwebtoken::EncodingKey,
    key_id: Option<String>,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
}

impl ServiceAccount {
    /// Read a service account's JSON key. The error names what is missing, never a value.
    pub fn from_json(text: &str) -> Result<ServiceAccount, MoveError> {
        let bad = |what: &str| {
            MoveError::Setup(format!(
                "the Firebase service_account is not a service account's JSON key ({what}): give the whole key file's text"
            ))
        };
        let v: Value = serde_json::from_str(text).map_err(|_| bad("not JSON"))?;
        let field = |k: &str| v[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
        let email = field("client_email").ok_or_else(|| bad("no client_email"))?;
        let pem = field("private_key").ok_or_else(|| bad("no private_key"))?;
        let token_uri =
            field("token_uri").unwrap_or_else(|| "https://oauth2.googleapis.com/token".into());
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|_| bad("its private_key is not an RSA key in PEM form"))?;
        Ok(ServiceAccount {
            email,
            token_uri,
            key,
            key_id: field("private_key_id"),
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// An access token with more than a minute left, asked for anew when needed.
    pub async fn token(&self, http: &Http) -> Result<String, MoveError> {
        let mut slot = self.token.lock().await;
        if let Some((t, until)) = slot.as_ref()
            && Instant::now() + Duration::from_secs(60) < *until
        {
            return Ok(t.clone());
        }
        let now = chrono::Utc::now().timestamp();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = self.key_id.clone();
        let claims = json!({"iss": self.email, "scope": SCOPES, "aud": self.token_uri, "iat": now, "exp": now + 3600});
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            MoveError::Setup(format!(
                "cannot sign the service account's token request: {e}"
            ))
        })?;
        let (token, life) = http
            .token(
                &self.token_uri,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &assertion),
                ],
            )
            .await?;
        *slot = Some((token.clone(), Instant::now() + life));
        Ok(token)
    }
}
