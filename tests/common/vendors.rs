//! The simulator's FusionAuth and Keycloak as move targets, for the move tests: the simulator
//! started with its target faults, an export whose rows each target judges differently (bcrypt,
//! PBKDF2, Argon2 and a SHA-512 neither imports), with planted problems, users put on the
//! target before the move through the vendor's own API, and what the target should hold after.
#![allow(dead_code)]

use super::firebase::block_on;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `cutover simulate` on a free port, paused, with `args`; killed when dropped.
pub struct Simulator(Child, pub String);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn simulator(args: &[&str]) -> Simulator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["simulate", "--listen", "127.0.0.1:0", "--paused"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on ...")
        .to_string();
    Simulator(child, addr)
}

pub fn unreadable(i: u64) -> bool {
    i % 500 == 7
}
pub fn duplicate_email(i: u64) -> bool {
    i % 400 == 13
}
pub fn no_hash(i: u64) -> bool {
    i % 250 == 33
}
/// Users on the target before the move, under their own ids: 101 to 110.
pub fn already_there(i: u64) -> bool {
    (101..=110).contains(&i)
}
/// The user whose email someone else holds on the target before the move (one whose hash the
/// target imports: PBKDF2, or bcrypt for Authgear).
pub fn conflict(target: &str) -> u64 {
    if target == "authgear" { 124 } else { 121 }
}

pub fn id(i: u64) -> String {
    format!("L{i:06}")
}

pub fn email(i: u64) -> String {
    format!("user{i}@example.org")
}

/// The hash kind of row `i`: 0 bcrypt, 1 PBKDF2-SHA256, 2 Argon2id, 3 SHA-512.
pub fn kind(i: u64) -> u64 {
    i % 4
}

pub use super::moving::bcrypt;

/// The export: JSON lines with `user_id`, `email`, `email_verified`, `password_hash`, and a
/// `username` on every fifth row.
pub fn write_export(path: &Path, users: u64) {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 1..=users {
        if unreadable(i) {
            writeln!(out, "{{\"user_id\": \"{}\", broken", id(i)).expect("write");
            continue;
        }
        let mail = if duplicate_email(i) {
            format!("USER{}@Example.org", i - 1)
        } else {
            email(i)
        };
        let mut row = json!({"user_id": id(i), "email": mail, "email_verified": i % 3 != 0});
        if i % 5 == 0 {
            row["username"] = json!(format!("name{i}"));
        }
        if !no_hash(i) {
            row["password_hash"] = json!(match kind(i) {
                0 => bcrypt(i),
                1 => format!("$pbkdf2-sha256$i=27500,l=32$c2FsdHNhbHQ{}$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", i % 10),
                2 => "$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_string(),
                _ => "ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff".to_string(),
            });
        }
        writeln!(out, "{row}").expect("write");
    }
    out.flush().expect("write the export");
}

/// Whether `target` imports row `i`'s hash (the compatibility table's word).
pub fn importable(target: &str, i: u64) -> bool {
    no_hash(i)
        || match target {
            "fusionauth" => kind(i) <= 1,
            "keycloak" => matches!(kind(i), 1 | 2),
            "authgear" => kind(i) == 0,
            _ => true,
        }
}

/// The legacy ids a move of `users` rows into `target` lands (the planted conflict included:
/// it is sent, and refused).
pub fn expected(target: &str, users: u64) -> std::collections::BTreeSet<String> {
    (1..=users)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && importable(target, i))
        .filter(|&i| i != conflict(target))
        .map(id)
        .collect()
}

/// How many rows the target skips as unverifiable.
pub fn unverifiable(target: &str, users: u64) -> u64 {
    (1..=users)
        .filter(|&i| !unreadable(i) && !duplicate_email(i) && !importable(target, i))
        .count() as u64
}

pub fn planted(users: u64, problem: fn(u64) -> bool) -> u64 {
    (1..=users).filter(|&i| problem(i)).count() as u64
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Every user the simulator's `kind` holds in `scope`, by legacy id (`data.legacyId`, the
/// `legacyId` attribute).
pub fn users(sim: &Simulator, kind: &str, scope: &str) -> BTreeMap<String, Value> {
    let url = format!("{}/sim/target/{kind}/{scope}", sim.1);
    let list: Vec<Value> = block_on(async {
        client()
            .get(&url)
            .send()
            .await
            .expect("the simulator answers")
            .json()
            .await
            .expect("users")
    });
    list.into_iter()
        .map(|u| {
            let legacy = u["data"]["legacyId"]
                .as_str()
                .or(u["attributes"]["legacyId"][0].as_str())
                .or(u["app_metadata"]["legacy_id"].as_str())
                .or(u["custom_attributes"]["legacy_id"].as_str())
                .unwrap_or_default()
                .to_string();
            (legacy, u)
        })
        .collect()
}

/// Users 101–110 under their own ids (with emails of their own, but Authgear's with the
/// export's), and someone else holding the conflict user's email, put on the target through
/// its API.
pub fn plant(sim: &Simulator, kind: &str, scope: &str) {
    // Authgear finds users by email: its users there before have the export's emails.
    let mut before: Vec<(String, String)> = (101..=110)
        .map(|i| {
            let mail = if kind == "authgear" {
                email(i)
            } else {
                format!("before{i}@example.net")
            };
            (id(i), mail)
        })
        .collect();
    before.push(("someone-else".into(), email(conflict(kind))));
    put(sim, kind, scope, &before);
}

/// Put users (legacy id, email) on the simulator's `kind` in `scope` through its own API, as
/// someone else would have.
pub fn put(sim: &Simulator, kind: &str, scope: &str, before: &[(String, String)]) {
    block_on(async {
        if kind == "authgear" {
            let records: Vec<Value> = before
                .iter()
                .map(|(legacy, mail)| json!({"email": mail, "custom_attributes": {"legacy_id": legacy}}))
                .collect();
            let jwt = admin_jwt();
            let task: Value = client()
                .post(format!("{}/_api/admin/users/import", sim.1))
                .bearer_auth(&jwt)
                .json(&json!({"identifier": "email", "records": records}))
                .send()
                .await
                .expect("a task")
                .json()
                .await
                .expect("a task");
            let url = format!(
                "{}/_api/admin/users/import/{}",
                sim.1,
                task["id"].as_str().expect("an id")
            );
            completed(&url, &jwt).await;
        } else if kind == "auth0" {
            let users: Vec<Value> = before
                .iter()
                .map(|(legacy, mail)| json!({"user_id": legacy, "email": mail, "app_metadata": {"legacy_id": legacy}}))
                .collect();
            let form = reqwest::multipart::Form::new()
                .part(
                    "users",
                    reqwest::multipart::Part::bytes(serde_json::to_vec(&users).expect("json"))
                        .file_name("users.json"),
                )
                .text("connection_id", scope.to_string());
            let answer = client()
                .post(format!("{}/api/v2/jobs/users-imports", sim.1))
                .bearer_auth("t")
                .multipart(form)
                .send()
                .await
                .expect("a job");
            assert_eq!(answer.status().as_u16(), 201);
            let job: Value = answer.json().await.expect("a job");
            let url = format!(
                "{}/api/v2/jobs/{}",
                sim.1,
                job["id"].as_str().expect("an id")
            );
            completed(&url, "t").await;
        } else if kind == "fusionauth" {
            let users: Vec<Value> = before
                .iter()
                .map(|(legacy, mail)| json!({"id": cutover::moving::target::user_id(legacy), "email": mail, "data": {"legacyId": legacy}}))
                .collect();
            let answer = client()
                .post(format!("{}/api/user/import", sim.1))
                .header("Authorization", "key")
                .header("X-FusionAuth-TenantId", scope)
                .json(&json!({"users": users, "validateDbConstraints": true}))
                .send()
                .await
                .expect("an import");
            assert_eq!(answer.status().as_u16(), 200);
        } else {
            let token: Value = client()
                .post(format!(
                    "{}/realms/{scope}/protocol/openid-connect/token",
                    sim.1
                ))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&client_id=test&client_secret=s")
                .send()
                .await
                .expect("a token")
                .json()
                .await
                .expect("a token");
            let users: Vec<Value> = before
                .iter()
                .map(|(legacy, mail)| json!({"id": cutover::moving::target::user_id(legacy), "username": mail, "email": mail, "attributes": {"legacyId": [legacy]}}))
                .collect();
            let answer = client()
                .post(format!("{}/admin/realms/{scope}/partialImport", sim.1))
                .bearer_auth(token["access_token"].as_str().expect("a token"))
                .json(&json!({"ifResourceExists": "SKIP", "users": users}))
                .send()
                .await
                .expect("an import");
            assert_eq!(answer.status().as_u16(), 200);
        }
    });
}

/// A project whose segment `eu` moves `users.jsonl` into the simulator's `kind`, with
/// `target_keys` (the scope and credentials) for the real move and for its rehearsal.
pub fn project(dir: &Path, size: u64, kind: &str, batch: u64, real: &str, rehearsal: &str) {
    super::write_project(
        dir,
        &format!(
            "[project]\nname = \"Vendors\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {size}\ngoal = 0.9\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"{kind}\"\nbatch = {batch}\n{real}\n[segments.move.rehearsal]\n{rehearsal}\n"
        ),
    );
}

/// Wait until the asynchronous import at `url` (an Auth0 job, an Authgear task) is completed.
async fn completed(url: &str, bearer: &str) {
    loop {
        let state: Value = client()
            .get(url)
            .bearer_auth(bearer)
            .send()
            .await
            .expect("the import's state")
            .json()
            .await
            .expect("the import's state");
        if state["status"] == "completed" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A token of the Admin API JWT's shape (the simulator reads its shape and times, not its
/// signature), for the test's own calls.
fn admin_jwt() -> String {
    use base64::Engine as _;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2ln",
        b64(json!({"alg": "RS256", "typ": "JWT", "kid": "test"})),
        b64(json!({"aud": "test", "exp": 4_000_000_000u64}))
    )
}

/// A fresh 2,048-bit RSA private key in PEM form, made by `openssl`.
pub fn rsa_key(dir: &Path) -> String {
    let path = dir.join("admin-key.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&path)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(made.success(), "openssl made no key");
    std::fs::read_to_string(&path).expect("the key")
}

/// Plant a change on the simulator's `kind` in `scope`, as if made there (`op`: delete, extra,
/// copy, email, login, password or mfa; see the simulator's `plant` module).
pub fn change(sim: &Simulator, kind: &str, scope: &str, op: Value) {
    let url = format!("{}/sim/target/{kind}/{scope}", sim.1);
    let status = block_on(async {
        client()
            .post(&url)
            .json(&op)
            .send()
            .await
            .expect("the simulator answers")
            .status()
    });
    assert!(status.is_success(), "the simulator refused {op}");
}
