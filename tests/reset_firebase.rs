//! Reset waves against Google's Firebase Authentication emulator: users moved without a
//! password get a `PASSWORD_RESET` out-of-band code through `accounts:sendOobCode`, each once,
//! as the emulator's own list of codes shows; the next `cutover reset` sends nothing.

mod common;

use common::cutover;
use common::firebase::Emulator;
use serde_json::Value;
use std::collections::BTreeMap;

/// The emulator's out-of-band codes by email: how many `PASSWORD_RESET` codes each got.
fn codes(emulator: &Emulator) -> BTreeMap<String, u32> {
    let url = format!(
        "http://127.0.0.1:{}/emulator/v1/projects/{}/oobCodes",
        emulator.port, emulator.project
    );
    let answer: Value = common::firebase::block_on(async {
        reqwest::get(&url)
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("codes")
    });
    let mut out = BTreeMap::new();
    for c in answer["oobCodes"].as_array().into_iter().flatten() {
        if c["requestType"] == "PASSWORD_RESET" {
            *out.entry(c["email"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn firebase_sends_each_user_without_a_password_one_reset_code() {
    let emulator = Emulator::start("reset");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let rows: String = (1..=12)
        .map(|i| format!("{{\"user_id\": \"legacy-{i}\", \"email\": \"user{i}@example.org\"}}\n"))
        .collect();
    std::fs::write(p.join("users.jsonl"), rows).expect("export");
    common::write_project(
        p,
        &format!(
            "[project]\nname = \"Resets\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = 12\ngoal = 0.9\n[segments.reset]\nper_hour = 3600\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"{}\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{}\"\n",
            emulator.project,
            emulator.url()
        ),
    );
    let advance = || {
        cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["advance", "eu"])
            .assert()
            .success();
    };
    advance();
    advance();
    // In gate nobody has moved yet: there is nobody to reset.
    let early = common::fails(cutover(p).env("FB_TOKEN", "owner").args(["reset", "eu"]));
    assert!(early.contains("once the move is done"), "{early}");
    advance();
    assert!(codes(&emulator).is_empty(), "no code before the reset");
    let out = cutover(p)
        .env("FB_TOKEN", "owner")
        .args(["reset", "eu"])
        .output()
        .expect("reset");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("12 of 12 reset messages sent"), "{text}");
    assert!(!text.contains("@example.org"), "counts only: {text}");
    let sent = codes(&emulator);
    assert_eq!(sent.len(), 12, "{sent:?}");
    assert!(sent.values().all(|n| *n == 1), "each once: {sent:?}");

    // Done: nothing goes again.
    let again = common::json(
        cutover(p)
            .env("FB_TOKEN", "owner")
            .args(["reset", "eu", "--json"]),
    );
    assert_eq!(again["state"], "done", "{again}");
    assert_eq!(again["sent"], 12, "{again}");
    assert!(
        codes(&emulator).values().all(|n| *n == 1),
        "nothing sent twice"
    );
}
