//! The simulator's FusionAuth: its user import, search by ids and bulk delete, in the shapes of
//! FusionAuth's API reference, per tenant (`X-FusionAuth-TenantId`, else `default`). Every call
//! needs an `Authorization` header (the API key), else 401.
//!
//! - `POST /api/user/import` `{users, validateDbConstraints}` → 200 with no body, or 400 and
//!   nothing imported (all or nothing): with `validateDbConstraints`, `fieldErrors` name
//!   `[duplicate]user.id`, `[duplicate]user.email`, `[blank]user.email` (neither an email nor
//!   a username) or `[invalid]user.encryptionScheme`; without it, a duplicate gives only
//!   `generalErrors` `[ImportRequestFailed]`;
//! - `POST /api/user/search` `{search: {ids}}` → `{total, users}`, the users with those ids;
//!   `{search: {queryString: "*", numberOfResults, startRow}}` → a page of every user in id
//!   order, with `nextResults` while more follow (`startRow + numberOfResults` past 10,000 is
//!   refused, as FusionAuth's window is), and `{search: {nextResults}}` the page after;
//!   users come back as FusionAuth shows them: without a password, salt or scheme;
//! - `PATCH /api/user/ID` `{user: {email, ...}}` → the user updated (a taken email refused);
//! - `POST /api/login` `{loginId, password}` → 200 when the imported hash verifies it, else
//!   404 (see `login`);
//! - `POST /api/user/forgot-password` `{loginId, sendForgotPasswordEmail}` → 200
//!   `{changePasswordId}` and the email counted as sent, or 404 for an unknown login;
//! - `DELETE /api/user/bulk` `{userIds, hardDelete}` → `{dryRun, hardDelete, total, userIds}`.
//!
//! Users are kept as their minified JSON (a million fit in a few hundred MB).

use super::target::{Answer, Call, Manners};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

mod login;
mod users;
use users::{page, patch, shown};

/// The password schemes FusionAuth has built in.
const SCHEMES: [&str; 8] = [
    "bcrypt",
    "salted-md5",
    "salted-sha256",
    "salted-hmac-sha256",
    "salted-pbkdf2-hmac-sha256",
    "salted-pbkdf2-hmac-sha256-512",
    "salted-pbkdf2-hmac-sha512-512",
    "phpass-md5",
];

#[derive(Debug, Default)]
struct Tenant {
    /// User id → the user as imported (with `insertInstant` and `passwordLastUpdateInstant`
    /// set), in id order for paging.
    users: std::collections::BTreeMap<String, Box<str>>,
    /// Email in lower case → user id.
    emails: HashMap<String, String>,
    /// Forgot-password emails sent: the user's id and when (ms since the epoch).
    resets: Vec<(String, i64)>,
}

/// The simulated FusionAuth tenants.
#[derive(Debug, Default)]
pub struct FusionAuth {
    tenants: HashMap<String, Tenant>,
    /// Users planted so far (their ids are numbered by it).
    planted: u64,
}

fn field_error(field: &str, code: &str) -> Value {
    json!({"fieldErrors": {field: [{"code": code, "message": format!("The value of [{field}] is not valid ({code}).")}]}})
}

impl FusionAuth {
    /// The users of `tenant`.
    pub fn users(&self, tenant: &str) -> Vec<Value> {
        self.tenants
            .get(tenant)
            .map(|t| {
                t.users
                    .values()
                    .filter_map(|u| serde_json::from_str(u).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The forgot-password emails sent in `tenant`: each user's id and when.
    pub fn resets(&self, tenant: &str) -> Vec<Value> {
        self.tenants
            .get(tenant)
            .map(|t| {
                t.resets
                    .iter()
                    .map(|(id, at)| json!({"user": id, "at_ms": at}))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn answer(&mut self, manners: &mut Manners, call: &Call<'_>) -> Option<(Answer, Duration)> {
        let now = |a: Answer| Some((a, Duration::ZERO));
        // Only the move's calls: the count a source polls (`GET /api/user/search`) is the
        // population's ([`super::server`]).
        let ours = matches!(
            (call.method, call.path),
            (
                "POST",
                "/api/user/import"
                    | "/api/user/search"
                    | "/api/login"
                    | "/api/user/forgot-password"
            ) | ("DELETE", "/api/user/bulk")
        ) || (call.method == "PATCH" && call.path.starts_with("/api/user/"));
        if !ours {
            return None;
        }
        if call.header("authorization").is_none_or(str::is_empty) {
            return now(Answer::Json(401, Value::Null, None));
        }
        let tenant = call
            .header("x-fusionauth-tenantid")
            .unwrap_or("default")
            .to_string();
        let body = match call.json() {
            Ok(b) => b,
            Err(a) => return now(a),
        };
        let t = self.tenants.entry(tenant).or_default();
        if call.method == "PATCH" {
            let id = call.path.trim_start_matches("/api/user/");
            return now(patch(t, id, &body["user"]));
        }
        match (call.method, call.path) {
            ("POST", "/api/user/import") => Some(import(t, manners, &body)),
            ("POST", "/api/login") => now(login::login(t, &body)),
            ("POST", "/api/user/forgot-password") => now(login::forgot(t, &body)),
            ("POST", "/api/user/search") if !body["search"]["ids"].is_array() => {
                now(page(t, &body["search"]))
            }
            ("POST", "/api/user/search") => {
                let users: Vec<Value> = body["search"]["ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|id| t.users.get(id.as_str()?))
                    .filter_map(|u| shown(u))
                    .collect();
                now(Answer::Json(
                    200,
                    json!({"total": users.len(), "users": users}),
                    None,
                ))
            }
            ("DELETE", "/api/user/bulk") => {
                let mut gone = Vec::new();
                for id in body["userIds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some(u) = t.users.remove(id) {
                        if let Some(e) = serde_json::from_str::<Value>(&u)
                            .ok()
                            .and_then(|v| v["email"].as_str().map(str::to_lowercase))
                        {
                            t.emails.remove(&e);
                        }
                        gone.push(id.to_string());
                    }
                }
                let hard = body["hardDelete"].as_bool().unwrap_or(false);
                now(Answer::Json(
                    200,
                    json!({"dryRun": false, "hardDelete": hard, "total": gone.len(), "userIds": gone}),
                    None,
                ))
            }
            _ => None,
        }
    }
}

/// An import, all or nothing.
fn import(t: &mut Tenant, manners: &mut Manners, body: &Value) -> (Answer, Duration) {
    let users = body["users"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let validate = body["validateDbConstraints"].as_bool().unwrap_or(false);
    let gate = manners.import(users.len());
    if let Some(refused) = gate.refusal() {
        return (refused, Duration::ZERO);
    }
    let mut ids = HashSet::new();
    let mut emails = HashSet::new();
    let mut problem = None;
    for u in users {
        let id = u["id"].as_str().unwrap_or_default();
        let email = u["email"].as_str().map(str::to_lowercase);
        let duplicate_id = id.is_empty() || t.users.contains_key(id) || !ids.insert(id);
        let duplicate_email = email
            .as_ref()
            .is_some_and(|e| t.emails.contains_key(e) || !emails.insert(e.clone()));
        problem = if duplicate_id {
            Some(("user.id", "[duplicate]user.id", true))
        } else if duplicate_email {
            Some(("user.email", "[duplicate]user.email", true))
        } else if email.is_none() && u["username"].as_str().is_none() {
            Some(("user.email", "[blank]user.email", false))
        } else if u["encryptionScheme"]
            .as_str()
            .is_some_and(|s| !SCHEMES.contains(&s))
        {
            Some((
                "user.encryptionScheme",
                "[invalid]user.encryptionScheme",
                false,
            ))
        } else {
            None
        };
        if problem.is_some() {
            break;
        }
    }
    match problem {
        Some((_, _, true)) if !validate => {
            let e = json!({"generalErrors": [{"code": "[ImportRequestFailed]", "message": "An error occurred during the import request."}]});
            return (Answer::Json(400, e, None), Duration::ZERO);
        }
        Some((field, code, _)) => {
            return (
                Answer::Json(400, field_error(field, code), None),
                Duration::ZERO,
            );
        }
        None => {}
    }
    let at = chrono::Utc::now().timestamp_millis();
    for u in users {
        let id = u["id"].as_str().unwrap_or_default().to_string();
        if let Some(e) = u["email"].as_str() {
            t.emails.insert(e.to_lowercase(), id.clone());
        }
        let mut stored = u.clone();
        stored["insertInstant"] = json!(at);
        if u["password"].is_string() {
            stored["passwordLastUpdateInstant"] = json!(at);
        }
        t.users.insert(id, stored.to_string().into_boxed_str());
    }
    gate.after(Answer::Json(200, Value::Null, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(method: &'a str, path: &'a str, body: &'a [u8]) -> Call<'a> {
        Call {
            method,
            path,
            query: "",
            headers: vec![("authorization".into(), "key".into())],
            body,
        }
    }

    #[test]
    fn an_import_is_all_or_nothing_and_names_the_duplicate() {
        let mut fa = FusionAuth::default();
        let mut m = Manners::default();
        let one = br#"{"users":[{"id":"1","email":"A@x.org"}],"validateDbConstraints":true}"#;
        let (ok, _) = fa
            .answer(&mut m, &call("POST", "/api/user/import", one))
            .expect("a call");
        assert!(matches!(ok, Answer::Json(200, Value::Null, None)));
        let two = br#"{"users":[{"id":"2","email":"b@x.org"},{"id":"3","email":"a@X.org"}],"validateDbConstraints":true}"#;
        let (refused, _) = fa
            .answer(&mut m, &call("POST", "/api/user/import", two))
            .expect("a call");
        let Answer::Json(400, v, _) = refused else {
            panic!("refused")
        };
        assert_eq!(
            v["fieldErrors"]["user.email"][0]["code"],
            "[duplicate]user.email"
        );
        assert_eq!(
            fa.users("default").len(),
            1,
            "nothing of the refused import"
        );
        let anonymous = Call {
            headers: Vec::new(),
            ..call("POST", "/api/user/search", b"{}")
        };
        assert!(matches!(
            fa.answer(&mut m, &anonymous),
            Some((Answer::Json(401, _, _), _))
        ));
    }
}
