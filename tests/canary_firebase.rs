//! Canary logins against Google's Firebase Authentication emulator, a real implementation of
//! `accounts:signInWithPassword`: two canaries the lead created on the target pass the test
//! check and read 1 as a source; once one's password is changed on the target (as a broken
//! import would leave it), the source reads 0.5 and the check refuses, naming the canary by
//! number only.

mod common;

use common::cutover;
use common::firebase::Emulator;
use serde_json::json;

#[test]
fn firebase_canaries_log_in_through_sign_in_with_password() {
    let emulator = Emulator::start("canary");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("users.jsonl"),
        "{\"user_id\": \"legacy-1\", \"email\": \"someone@example.org\"}\n",
    )
    .expect("export");
    common::write_project(
        p,
        &format!(
            r#"[project]
name = "Canaries"
[[segments]]
id = "eu"
strategy = "big-bang"
size = 1
goal = 0.9
[[segments.canaries]]
login = "canary-a@example.org"
password = "env:CANARY_A"
[[segments.canaries]]
login = "canary-b@example.org"
password = "env:CANARY_B"
[segments.sources.canary]
kind = "canary"
[[segments.checks]]
kind = "canary"
[segments.move]
export = "users.jsonl"
target = "firebase"
project = "{}"
token = "env:FB_TOKEN"
url = "{}"
[segments.move.login]
api_key = "env:FB_WEB_KEY"
"#,
            emulator.project,
            emulator.url()
        ),
    );
    for (n, pw) in [("a", "canary-a-pw"), ("b", "canary-b-pw")] {
        emulator.post(
            "accounts",
            &json!({"localId": format!("canary-{n}"), "email": format!("canary-{n}@example.org"), "password": pw}),
        );
    }
    let run = |args: &[&str]| {
        cutover(p)
            .env("FB_TOKEN", "owner")
            .env("FB_WEB_KEY", "fake-web-key")
            .env("CANARY_A", "canary-a-pw")
            .env("CANARY_B", "canary-b-pw")
            .args(args)
            .output()
            .expect("cutover")
    };
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let polled = run(&["poll"]);
    assert!(text(&polled).contains("eu canary = 1"), "{}", text(&polled));
    assert!(run(&["advance", "eu"]).status.success());
    // The target stops verifying canary b's password.
    emulator.post(
        "accounts:update",
        &json!({"localId": "canary-b", "password": "something-else"}),
    );
    let polled = run(&["poll"]);
    assert!(
        text(&polled).contains("eu canary = 0.5"),
        "{}",
        text(&polled)
    );
    let refused = run(&["advance", "eu"]);
    assert!(!refused.status.success());
    let said = text(&refused);
    assert!(said.contains("1 of 2 canaries logged in"), "{said}");
    assert!(
        said.contains("canary 2 refused: HTTP 400 INVALID_PASSWORD"),
        "{said}"
    );
    assert!(!said.contains("canary-b@"), "{said}");
}
