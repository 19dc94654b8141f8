//! The simulator as a move's target: Firebase Authentication's user API (Google's Identity
//! Toolkit v1, the shapes of its REST reference), so `cutover move` can be tried, paced and
//! broken on purpose without a cloud account. Users are kept in memory per project.
//!
//! Paths under `/identitytoolkit.googleapis.com/v1/projects/PROJECT/`:
//! - `accounts:lookup` `{localId: [...]}` → `{users: [...]}` (the ones it holds);
//! - `accounts:batchCreate` `{users, hashAlgorithm, ...}` → `{}` or `{error: [{index,
//!   message}]}` per refused user: at most 1,000 users, a `localId` that exists is refused
//!   (`allowOverwrite` false), an invalid email too;
//! - `accounts:batchDelete` `{localIds, force}` → `{}`;
//! - `accounts:query` → `{recordsCount}`.
//!
//! Pacing and faults on demand (`cutover simulate --import-rate N --target-fault SPEC`): an
//! import takes `users / N` seconds; `429@K` answers every K-th import 429 with `Retry-After:
//! 1`; `503@K` answers it 503; `cut@K` imports every K-th batch and then closes the connection
//! without an answer (a load balancer cutting a long request).

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Users a `batchCreate` takes.
const BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    TooMany,
    Unavailable,
    Cut,
}

/// A fault on every `every`-th import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetFault {
    pub kind: FaultKind,
    pub every: u64,
}

/// `429@K`, `503@K` or `cut@K`.
pub fn parse_target_fault(spec: &str) -> Result<TargetFault, String> {
    let bad = || {
        format!("bad --target-fault '{spec}': use 429@K, 503@K or cut@K (every K-th import, K ≥ 1)")
    };
    let (kind, every) = spec.split_once('@').ok_or_else(bad)?;
    let every: u64 = every.parse().ok().filter(|k| *k >= 1).ok_or_else(bad)?;
    let kind = match kind {
        "429" => FaultKind::TooMany,
        "503" => FaultKind::Unavailable,
        "cut" => FaultKind::Cut,
        _ => return Err(bad()),
    };
    Ok(TargetFault { kind, every })
}

/// The simulated target's users and manners.
#[derive(Debug, Default)]
pub struct Target {
    projects: HashMap<String, BTreeMap<String, Value>>,
    /// Users imported a second (`None`: as fast as it can).
    pub rate: Option<f64>,
    pub faults: Vec<TargetFault>,
    imports: u64,
}

/// What the target does with a request.
pub enum Answer {
    Json(u16, Value, Option<u64>),
    /// Close the connection without an answer, after `Duration`.
    Cut(Duration),
}

impl Target {
    pub fn new(rate: Option<f64>, faults: Vec<TargetFault>) -> Target {
        Target {
            rate,
            faults,
            ..Target::default()
        }
    }

    /// Answer `call` on `project` with `body`; the wait the pace asks for is in the answer.
    pub fn answer(&mut self, project: &str, call: &str, body: &[u8]) -> (Answer, Duration) {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return (
                Answer::Json(400, error("INVALID_JSON"), None),
                Duration::ZERO,
            );
        };
        let users = self.projects.entry(project.to_string()).or_default();
        match call {
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
            "accounts:batchCreate" => self.import(project, &body),
            _ => (Answer::Json(404, error("NOT_FOUND"), None), Duration::ZERO),
        }
    }

    fn import(&mut self, project: &str, body: &Value) -> (Answer, Duration) {
        let batch = body["users"].as_array().cloned().unwrap_or_default();
        if batch.len() > BATCH {
            let e = error(&format!("TOO_MANY_USERS : at most {BATCH} a request"));
            return (Answer::Json(400, e, None), Duration::ZERO);
        }
        self.imports += 1;
        let pace = self.rate.filter(|r| *r > 0.0).map_or(Duration::ZERO, |r| {
            Duration::from_secs_f64(batch.len() as f64 / r)
        });
        let fault = self
            .faults
            .iter()
            .find(|f| self.imports.is_multiple_of(f.every))
            .map(|f| f.kind);
        match fault {
            Some(FaultKind::TooMany) => {
                return (
                    Answer::Json(429, error("RESOURCE_EXHAUSTED"), Some(1)),
                    Duration::ZERO,
                );
            }
            Some(FaultKind::Unavailable) => {
                return (
                    Answer::Json(503, error("UNAVAILABLE"), None),
                    Duration::ZERO,
                );
            }
            _ => {}
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
            users.insert(id, u);
        }
        if fault == Some(FaultKind::Cut) {
            return (Answer::Cut(pace), Duration::ZERO);
        }
        let mut out = json!({"kind": "identitytoolkit#UploadAccountResponse"});
        if !errors.is_empty() {
            out["error"] = json!(errors);
        }
        (Answer::Json(200, out, None), pace)
    }
}

fn error(message: &str) -> Value {
    json!({"error": {"code": 400, "message": message, "errors": [{"message": message, "reason": "invalid"}]}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_strike_every_kth_import() {
        assert_eq!(
            parse_target_fault("429@3"),
            Ok(TargetFault {
                kind: FaultKind::TooMany,
                every: 3
            })
        );
        assert!(parse_target_fault("429@0").is_err());
        assert!(parse_target_fault("teapot@2").is_err());
        let mut t = Target::new(None, vec![parse_target_fault("429@2").expect("fault")]);
        let body = br#"{"users":[{"localId":"a","email":"a@x.org"}]}"#;
        let (first, _) = t.answer("p", "accounts:batchCreate", body);
        assert!(matches!(first, Answer::Json(200, _, None)));
        let (second, _) = t.answer("p", "accounts:batchCreate", body);
        assert!(matches!(second, Answer::Json(429, _, Some(1))));
        let (third, _) = t.answer("p", "accounts:batchCreate", body);
        let Answer::Json(200, v, _) = third else {
            panic!("an answer")
        };
        assert_eq!(v["error"][0]["index"], 0, "the user exists: {v}");
    }
}
