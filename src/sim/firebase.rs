//! The simulator's Firebase Authentication: Google's Identity Toolkit v1 user API, in the shapes
//! of its REST reference. Users are kept in memory per project.
//!
//! Paths under `/identitytoolkit.googleapis.com/v1/projects/PROJECT/`:
//! - `accounts:lookup` `{localId: [...]}` → `{users: [...]}` (the ones it holds);
//! - `accounts:batchCreate` `{users, hashAlgorithm, ...}` → `{}` or `{error: [{index,
//!   message}]}` per refused user: at most 1,000 users, a `localId` that exists is refused
//!   (`allowOverwrite` false), an invalid email too;
//! - `accounts:batchDelete` `{localIds, force}` → `{}`;
//! - `accounts:query` → `{recordsCount}`;
//! - `GET accounts:batchGet?maxResults=N&nextPageToken=T` → `{users, nextPageToken}`, a page
//!   of every user in `localId` order (an import's `passwordUpdatedAt` is the upload time);
//!
//! and Google's token endpoint for a service account ([`token`]).

use super::plant::Plant;
use super::target::{Answer, Call, Manners};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Users a `batchCreate` takes.
const BATCH: usize = 1000;

/// The simulated Firebase projects.
#[derive(Debug, Default)]
pub struct Firebase {
    projects: HashMap<String, BTreeMap<String, Value>>,
}

/// Google's OAuth token endpoint (`POST /token`), for a service account's JWT bearer grant:
/// the assertion must be an RS256 JWT with an `iss`, an `aud`, the Identity Toolkit scope and an
/// `exp` to come (its signature is not checked: the simulator has no public key). An access
/// token for an hour, or 400 `invalid_grant`.
pub fn token(call: &Call<'_>) -> Answer {
    use base64::Engine as _;
    let form: HashMap<String, String> = form_urlencoded::parse(call.body).into_owned().collect();
    let part = |jwt: &str, k: usize| {
        jwt.split('.')
            .nth(k)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    let good = form.get("grant_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        && form.get("assertion").is_some_and(|jwt| {
            let (Some(head), Some(claims)) = (part(jwt, 0), part(jwt, 1)) else {
                return false;
            };
            head["alg"] == "RS256"
                && claims["iss"].as_str().is_some_and(|i| !i.is_empty())
                && claims["aud"].is_string()
                && claims["scope"]
                    .as_str()
                    .is_some_and(|s| s.contains("identitytoolkit"))
                && claims["exp"]
                    .as_i64()
                    .is_some_and(|e| e > chrono::Utc::now().timestamp())
        });
    if good {
        Answer::Json(
            200,
            json!({"access_token": "ya29.simulated", "expires_in": 3599, "token_type": "Bearer"}),
            None,
        )
    } else {
        Answer::Json(
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid JWT"}),
            None,
        )
    }
}

impl Firebase {
    /// The users of `project`.
    pub fn users(&self, project: &str) -> Vec<Value> {
        self.projects
            .get(project)
            .map(|u| u.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Answer `name` on `project`; the wait the pace asks for is in the answer.
    pub fn answer(
        &mut self,
        manners: &mut Manners,
        project: &str,
        name: &str,
        call: &Call<'_>,
    ) -> (Answer, Duration) {
        if name == "accounts:batchGet" {
            let users = self.projects.entry(project.to_string()).or_default();
            return (page(users, call), Duration::ZERO);
        }
        let body = match call.json() {
            Ok(b) => b,
            Err(_) => {
                return (
                    Answer::Json(400, error("INVALID_JSON"), None),
                    Duration::ZERO,
                );
            }
        };
        let users = self.projects.entry(project.to_string()).or_default();
        match name {
            "accounts:lookup" => {
                let found: Vec<Value> = body["localId"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| users.get(id.as_str()?).cloned())
                    .collect();
                let mut out = json!({"kind": "identitytoolkit#GetAccountInfoResponse"});
                if !found.is_empty() {
                    out["users"] = json!(found);
                }
                (Answer::Json(200, out, None), Duration::ZERO)
            }
            "accounts:query" => (
                Answer::Json(200, json!({"recordsCount": users.len().to_string()}), None),
                Duration::ZERO,
            ),
            "accounts:batchDelete" => {
                for id in body["localIds"].as_array().into_iter().flatten() {
                    if let Some(id) = id.as_str() {
                        users.remove(id);
                    }
                }
                (Answer::Json(200, json!({}), None), Duration::ZERO)
            }
            "accounts:batchCreate" => self.import(manners, project, &body),
            _ => (Answer::Json(404, error("NOT_FOUND"), None), Duration::ZERO),
        }
    }

    fn import(&mut self, manners: &mut Manners, project: &str, body: &Value) -> (Answer, Duration) {
        let batch = body["users"].as_array().cloned().unwrap_or_default();
        if batch.len() > BATCH {
            let e = error(&format!("TOO_MANY_USERS : at most {BATCH} a request"));
            return (Answer::Json(400, e, None), Duration::ZERO);
        }
        let gate = manners.import(batch.len());
        if let Some(refused) = gate.refusal() {
            return (refused, Duration::ZERO);
        }
        let users = self.projects.entry(project.to_string()).or_default();
        let mut errors = Vec::new();
        for (i, u) in batch.into_iter().enumerate() {
            let Some(id) = u["localId"].as_str().map(str::to_string) else {
                errors.push(json!({"index": i, "message": "localId is missing"}));
                continue;
            };
            if users.contains_key(&id) {
                errors.push(json!({"index": i, "message": "localId belongs to an existing account - can not overwrite."}));
                continue;
            }
            if u["email"]
                .as_str()
                .is_some_and(|e| !crate::audit::values::valid_email(e))
            {
                errors.push(json!({"index": i, "message": "email is invalid"}));
                continue;
            }
            let mut stored = u;
            let at = chrono::Utc::now().timestamp_millis();
            stored["createdAt"] = json!(at.to_string());
            if stored["passwordHash"].is_string() {
                stored["passwordUpdatedAt"] = json!(at);
            }
            users.insert(id, stored);
        }
        let mut out = json!({"kind": "identitytoolkit#UploadAccountResponse"});
        if !errors.is_empty() {
            out["error"] = json!(errors);
        }
        gate.after(Answer::Json(200, out, None))
    }
}

/// A page of `accounts:batchGet`: `maxResults` users after the `localId` its token names.
fn page(users: &BTreeMap<String, Value>, call: &Call<'_>) -> Answer {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use std::ops::Bound;
    let max: usize = call
        .param("maxResults")
        .and_then(|m| m.parse().ok())
        .unwrap_or(20)
        .clamp(1, 1000);
    let after = call
        .param("nextPageToken")
        .and_then(|t| B64.decode(t).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let from = after.map_or(Bound::Unbounded, Bound::Excluded);
    let page: Vec<(&String, &Value)> = users.range((from, Bound::Unbounded)).take(max).collect();
    let mut out = json!({"kind": "identitytoolkit#DownloadAccountResponse",
        "users": page.iter().map(|(_, u)| (*u).clone()).collect::<Vec<_>>()});
    if let Some((last, _)) = page.last()
        && users
            .range((Bound::Excluded((*last).clone()), Bound::Unbounded))
            .next()
            .is_some()
    {
        out["nextPageToken"] = json!(B64.encode(last.as_bytes()));
    }
    Answer::Json(200, out, None)
}

impl Firebase {
    /// Apply a planted change to `project` (see [`super::plant`]).
    pub fn plant(&mut self, project: &str, op: &Plant) -> Result<(), String> {
        let users = self.projects.entry(project.to_string()).or_default();
        let legacy = op.legacy();
        let claims = json!({"legacyId": legacy}).to_string();
        match op {
            Plant::Extra { email, .. } => {
                users.insert(legacy.to_string(), json!({"localId": legacy, "email": email, "emailVerified": true, "customAttributes": claims}));
                return Ok(());
            }
            Plant::Copy { email, .. } => {
                let uid = format!("sim-copy-{}", users.len() + 1);
                users.insert(uid.clone(), json!({"localId": uid, "email": email, "emailVerified": true, "customAttributes": claims}));
                return Ok(());
            }
            _ => {}
        }
        let Some(u) = users.get_mut(legacy) else {
            return Err(format!("no user of legacy id '{legacy}'"));
        };
        match op {
            Plant::Delete(_) => {
                users.remove(legacy);
            }
            Plant::Email { email, .. } => u["email"] = json!(email),
            Plant::Login { at_ms, .. } => u["lastLoginAt"] = json!(at_ms.to_string()),
            Plant::Password { at_ms, .. } => u["passwordUpdatedAt"] = json!(at_ms),
            Plant::Mfa { at_ms, .. } => {
                u["mfaInfo"] = json!([{"mfaEnrollmentId": "sim", "phoneInfo": "+15550000000", "enrolledAt": chrono::DateTime::from_timestamp_millis(*at_ms).unwrap_or_default().to_rfc3339()}])
            }
            _ => {}
        }
        Ok(())
    }
}

fn error(message: &str) -> Value {
    json!({"error": {"code": 400, "message": message, "errors": [{"message": message, "reason": "invalid"}]}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_local_id_is_refused_per_user() {
        let mut fb = Firebase::default();
        let mut manners = Manners::default();
        let call = Call {
            method: "POST",
            path: "",
            query: "",
            headers: Vec::new(),
            body: br#"{"users":[{"localId":"a","email":"a@x.org"}]}"#,
        };
        let (first, _) = fb.answer(&mut manners, "p", "accounts:batchCreate", &call);
        assert!(matches!(first, Answer::Json(200, ref v, None) if v.get("error").is_none()));
        let (second, _) = fb.answer(&mut manners, "p", "accounts:batchCreate", &call);
        let Answer::Json(200, v, _) = second else {
            panic!("an answer")
        };
        assert_eq!(v["error"][0]["index"], 0, "the user exists: {v}");
        assert_eq!(fb.users("p").len(), 1);
    }
}
