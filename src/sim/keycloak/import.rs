//! The simulated realm's partial import (`POST …/partialImport` with `SKIP`), in the shape of
//! Keycloak's answer: apart from the routing because it is the one call that writes users in
//! bulk and keeps the realm's username and email index.

use super::Realm;
use serde_json::{Value, json};

/// A partial import with `SKIP`: each user added unless its id, username or email is taken.
pub(super) fn import(r: &mut Realm, users: &[Value]) -> Value {
    let mut results = Vec::new();
    let (mut added, mut skipped) = (0, 0);
    for u in users {
        let id = u["id"].as_str().unwrap_or_default().to_string();
        let username = u["username"].as_str().unwrap_or_default().to_lowercase();
        let email = u["email"].as_str().map(str::to_lowercase);
        let taken = r.users.get(&id).map(|_| id.clone()).or_else(|| {
            r.names
                .get(&username)
                .or_else(|| email.as_ref().and_then(|e| r.names.get(e)))
                .cloned()
        });
        let (action, at) = match taken {
            Some(existing) => {
                skipped += 1;
                ("SKIPPED", existing)
            }
            None => {
                added += 1;
                let mut stored = u.clone();
                stored["username"] = json!(username);
                r.names.insert(username.clone(), id.clone());
                if let Some(e) = &email {
                    r.names.insert(e.clone(), id.clone());
                }
                r.users.insert(id.clone(), stored);
                ("ADDED", id)
            }
        };
        results.push(
            json!({"action": action, "resourceType": "USER", "resourceName": username, "id": at}),
        );
    }
    json!({"overwritten": 0, "added": added, "skipped": skipped, "results": results})
}
