//! The simulator's Auth0, continued: the users-export job a reconciliation reads (made and
//! completed at its first poll, its file gzipped JSON lines of the fields asked for), and the
//! changes a test plants on a connection's users ([`super::super::plant`]).

use super::super::plant::Plant;
use super::super::target::Answer;
use super::{Auth0, error};
use serde_json::{Value, json};

impl Auth0 {
    /// A users-export job for a connection, with the fields asked for.
    pub(super) fn start_export(&mut self, call: &super::super::target::Call<'_>) -> Answer {
        let Ok(body) = call.json() else {
            return error(400, "Payload validation error: invalid JSON");
        };
        let Some(connection) = body["connection_id"].as_str() else {
            return error(
                400,
                "Payload validation error: 'Missing required property: connection_id'.",
            );
        };
        let fields = body["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| {
                let name = f["name"].as_str()?;
                Some((
                    name.to_string(),
                    f["export_as"].as_str().unwrap_or(name).to_string(),
                ))
            })
            .collect();
        self.made += 1;
        let id = format!("job_export{:06}", self.made);
        self.exports
            .insert(id.clone(), (connection.to_string(), fields, None));
        Answer::Json(
            201,
            json!({"type": "users_export", "status": "pending", "connection_id": connection, "format": "json", "id": id}),
            None,
        )
    }

    /// An export job's status: made (and completed) at its first poll.
    pub(super) fn export_job(&mut self, id: &str, host: &str) -> Answer {
        let users: Vec<Value> = self.users.values().cloned().collect();
        let Some((connection, fields, file)) = self.exports.get_mut(id) else {
            return error(404, "The job does not exist.");
        };
        if file.is_none() {
            let mut lines = Vec::new();
            for u in users
                .iter()
                .filter(|u| u["connection_id"] == connection.as_str())
            {
                let mut row = serde_json::Map::new();
                for (name, as_) in fields.iter() {
                    let v = name.split('.').fold(u, |v, k| &v[k]);
                    if !v.is_null() {
                        row.insert(as_.clone(), v.clone());
                    }
                }
                lines.push(Value::Object(row).to_string());
            }
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            use std::io::Write as _;
            let written = gz.write_all(lines.join("\n").as_bytes());
            *file = written.and_then(|()| gz.finish()).ok();
        }
        Answer::Json(
            200,
            json!({"type": "users_export", "status": "completed", "connection_id": connection, "format": "json", "id": id,
                "location": format!("http://{host}/sim/exports/{id}.json.gz")}),
            None,
        )
    }

    /// Apply a planted change to `connection` (see [`super::plant`]).
    pub fn plant(&mut self, connection: &str, op: &Plant) -> Result<(), String> {
        self.settle();
        let legacy = op.legacy();
        let id = self
            .users
            .iter()
            .find(|(_, u)| {
                u["connection_id"] == connection && u["app_metadata"]["legacy_id"] == legacy
            })
            .map(|(id, _)| id.clone());
        let when = super::super::plant::rfc3339;
        match (op, id) {
            (Plant::Extra { email, .. } | Plant::Copy { email, .. }, _) => {
                self.made += 1;
                let id = format!("auth0|sim{:06}", self.made);
                let u = json!({"user_id": id, "email": email, "email_verified": true,
                    "connection_id": connection, "app_metadata": {"legacy_id": legacy}});
                self.emails.insert(email.to_lowercase(), id.clone());
                self.users.insert(id, u);
            }
            (Plant::Delete(_), Some(id)) => {
                self.users.remove(&id);
            }
            (op, Some(id)) => {
                let Some(u) = self.users.get_mut(&id) else {
                    return Err("gone".into());
                };
                match op {
                    Plant::Email { email, .. } => u["email"] = json!(email),
                    Plant::Login { at_ms, .. } => {
                        u["last_login"] = json!(when(*at_ms));
                        u["logins_count"] = json!(u["logins_count"].as_u64().unwrap_or(0) + 1);
                    }
                    Plant::Password { at_ms, .. } => u["last_password_reset"] = json!(when(*at_ms)),
                    Plant::Mfa { .. } => u["multifactor"] = json!(["guardian"]),
                    Plant::Hash { .. } => {
                        u["custom_password_hash"]["hash"]["value"] =
                            json!("$pbkdf2-sha256$i=1,l=32$AAAA$AAAA")
                    }
                    _ => {}
                }
            }
            (_, None) => return Err(format!("no user of legacy id '{legacy}'")),
        }
        Ok(())
    }
}
