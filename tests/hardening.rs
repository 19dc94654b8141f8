//! Hardening (issue 10), each test written so it fails on the code before the fix: redirects,
//! secrets cut in half, an oversized command source, a symlinked or contested lock, FIFO
//! themes, an unfinished sled snapshot left by a kill, and the state's backup/restore/verify.
//! (Numbers are in `numbers.rs`, hooks as process trees in `hook_trees.rs`.)

mod common;

use common::{
    advance_to_cutover, cutover, fails, json, one_segment, route, serve_routes, write_project,
    write_script,
};

const KEY: &str = "k3y-that-must-stay-home";

/// A FusionAuth `migrated` source at `{url}/fa`, its key from `env:FA_KEY`.
fn fusionauth(url: &str) -> String {
    format!(
        "[segments.sources.migrated]\nkind = \"fusionauth\"\nurl = \"{url}/fa\"\nquery = \"q\"\napi_key = \"env:FA_KEY\""
    )
}

#[test]
fn redirects_are_refused_and_carry_nothing_to_the_other_host() {
    let elsewhere = serve_routes(vec![route("/", 200, r#"{"total": 1}"#)]);
    let mut hop = route("/fa", 302, "");
    hop.location = Some(format!("{}/stolen", elsewhere.url));
    let mut hook_hop = route("/hook", 307, "");
    hook_hop.location = Some(format!("{}/hook", elsewhere.url));
    let server = serve_routes(vec![hop, hook_hop]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &one_segment(
            &format!(
                "{}\n[segments.sources.migrated.headers]\nX-Api-Key = \"env:FA_KEY\"\n[segments.hooks.rollback]\nwebhook = \"{}/hook\"\nheaders = {{ X-Api-Key = \"env:FA_KEY\" }}\nretries = 0",
                fusionauth(&server.url),
                server.url
            ),
            "",
        ),
    );
    let out = cutover(p)
        .env("FA_KEY", KEY)
        .arg("poll")
        .output()
        .expect("poll");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("follows no redirects"), "{stdout}");
    advance_to_cutover(p);
    let stderr = fails(
        cutover(p)
            .env("FA_KEY", KEY)
            .args(["rollback", "eu", "--reason", "test"]),
    );
    assert!(stderr.contains("not followed"), "{stderr}");
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(
        status["segments"][0]["phase"], "rollback-failed",
        "{status}"
    );
    assert!(
        elsewhere.seen.lock().expect("lock").is_empty(),
        "the other host was reached"
    );
}

#[test]
fn a_command_source_printing_megabytes_hits_the_size_limit_not_a_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_script(p, "big.sh", "head -c 3000000 /dev/zero | tr '\\0' '7'");
    write_project(
        p,
        &one_segment(
            "[segments.sources.migrated]\nkind = \"command\"\ncommand = [\"./big.sh\"]\ntimeout = \"5s\"",
            "",
        ),
    );
    let started = std::time::Instant::now();
    let out = cutover(p).arg("poll").output().expect("poll");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("over 1 MiB"), "{stdout}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
}

#[test]
fn a_symlinked_lock_file_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &one_segment("", ""));
    let victim = p.join("precious.txt");
    std::fs::write(&victim, "keep me").expect("victim");
    std::fs::create_dir_all(p.join(".cutover")).expect("state dir");
    std::os::unix::fs::symlink(&victim, p.join(".cutover/lock")).expect("symlink");
    let stderr = fails(cutover(p).arg("status"));
    assert!(stderr.contains("lock file"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep me");
}

#[test]
fn an_unfinished_snapshot_left_by_a_kill_is_removed_and_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &one_segment("", ""));
    advance_to_cutover(p);
    // What a kill during sled's snapshot write leaves behind.
    let db = p.join(".cutover/state");
    std::fs::write(db.join("snap.FFFFFFFFFFFFFFFF.generating"), b"").expect("snap");
    let out = cutover(p).args(["log", "--json"]).output().expect("log");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("recovered: removed"), "{stderr}");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(log.as_array().expect("array").len(), 3, "every event kept");
}

#[test]
fn backup_and_restore_round_trip_a_real_project_and_verify_checks_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    drop(cutover::sample_project::build(p).expect("sample project"));
    cutover(p).args(["state", "verify"]).assert().success();
    let backup = p.join("backup");
    cutover(p)
        .args(["state", "backup"])
        .arg(&backup)
        .assert()
        .success();
    let events = std::fs::read_to_string(backup.join("events.jsonl")).expect("events");
    let samples = std::fs::read_to_string(backup.join("samples.jsonl")).expect("samples");
    assert!(events.lines().count() > 10 && samples.lines().count() > 10);
    // Into the live state: refused, it is not empty.
    let stderr = fails(cutover(p).args(["state", "restore"]).arg(&backup));
    assert!(
        stderr.contains("restore only into an empty state"),
        "{stderr}"
    );
    // Into a new one: identical, event for event and sample for sample.
    let fresh = p.join("restored");
    cutover(p)
        .arg("--state")
        .arg(&fresh)
        .args(["state", "restore"])
        .arg(&backup)
        .assert()
        .success();
    cutover(p)
        .arg("--state")
        .arg(&fresh)
        .args(["state", "verify"])
        .assert()
        .success();
    let again = p.join("backup-again");
    cutover(p)
        .arg("--state")
        .arg(&fresh)
        .args(["state", "backup"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(again.join("events.jsonl")).expect("events"),
        events
    );
    assert_eq!(
        std::fs::read_to_string(again.join("samples.jsonl")).expect("samples"),
        samples
    );
    let a = json(cutover(p).args(["status", "--json"]));
    let b = json(
        cutover(p)
            .arg("--state")
            .arg(&fresh)
            .args(["status", "--json"]),
    );
    let fields = |s: &serde_json::Value| -> Vec<String> {
        s["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .map(|g| {
                format!(
                    "{} {} {} {} {}",
                    g["id"], g["phase"], g["migrated"], g["pending_hook"], g["hold"]
                )
            })
            .collect()
    };
    assert_eq!(fields(&a), fields(&b), "the same state, read back");
}

#[test]
fn check_lists_the_gates_and_refuses_a_spinning_poll_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        &one_segment(
            "",
            "[[segments.gates]]\nname = \"login failures\"\nmetric = \"failure_rate\"\nmax = 0.02\n[[segments.gates]]\nkind = \"soak\"\nhours = 24",
        ),
    );
    let out = cutover(dir.path()).arg("check").output().expect("check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("gates: login failures;"), "{stdout}");
    assert!(!stdout.contains("no criteria"), "{stdout}");
    write_project(
        dir.path(),
        &one_segment(
            "[segments.sources.migrated]\nkind = \"command\"\ncommand = [\"echo\", \"1\"]\nevery = \"1ns\"",
            "",
        ),
    );
    let stderr = fails(cutover(dir.path()).arg("check"));
    assert!(
        stderr.contains("every") && stderr.contains("out of range"),
        "{stderr}"
    );
}

#[test]
fn a_fifo_in_themes_is_skipped_and_a_nameless_theme_goes_by_its_file_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let themes = dir.path().join("themes");
    std::fs::create_dir_all(&themes).expect("themes");
    let fifo = std::process::Command::new("mkfifo")
        .arg(themes.join("blocking.toml"))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());
    std::fs::write(themes.join("ocean.toml"), "[colors]\naccent = \"blue\"\n").expect("theme");
    let (tx, rx) = std::sync::mpsc::channel();
    let project = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(cutover::tui::theme::load_all(&project));
    });
    let (loaded, problems) = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("loading themes must not block on a FIFO");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("blocking.toml") && p.contains("not a regular file")),
        "{problems:?}"
    );
    let names: Vec<&str> = loaded.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"ocean"), "{names:?}");
    let default = loaded
        .iter()
        .find(|t| t.name == "default")
        .expect("default");
    assert_eq!(
        default.accent,
        cutover::tui::theme::Theme::default_theme().accent
    );
}

#[test]
fn a_secret_straddling_the_cut_of_an_error_leaves_nothing_behind() {
    // The key begins at character 190 of the body; errors keep 200 characters.
    let body = format!("{}{KEY}", "x".repeat(190));
    let server = serve_routes(vec![route("/fa", 500, body)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &one_segment(&fusionauth(&server.url), ""));
    let out = cutover(p)
        .env("FA_KEY", KEY)
        .arg("poll")
        .output()
        .expect("poll");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("HTTP 500"), "{stdout}");
    assert!(
        !stdout.contains(&KEY[..6]),
        "a prefix of the key leaked: {stdout}"
    );
}

#[test]
fn credentials_inline_in_a_url_fail_check_without_being_echoed() {
    for url in [
        "https://ana:hunter2secret@auth.example.com",
        "https://auth.example.com/?api_key=hunter2secret",
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        write_project(
            dir.path(),
            &one_segment(
                &format!(
                    "[segments.sources.migrated]\nkind = \"fusionauth\"\nurl = \"{url}\"\nquery = \"q\""
                ),
                "",
            ),
        );
        let stderr = fails(cutover(dir.path()).arg("check"));
        assert!(stderr.contains("env:NAME"), "{url}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{url}: echoed: {stderr}");
    }
}

#[test]
fn a_locked_state_always_names_its_owner_s_pid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join(".cutover");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let opener = {
        let (state, stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Open and close again and again: a fresh owner writes its pid each time.
                let _ = std::fs::remove_file(state.join("lock"));
                drop(cutover::store::Store::open(&state));
            }
        })
    };
    let mut locked = 0;
    for _ in 0..2_000 {
        if let Err(cutover::store::StoreError::Locked { pid, .. }) =
            cutover::store::Store::open(&state)
        {
            locked += 1;
            assert_ne!(
                pid, "unknown",
                "a loser read the lock file while it was empty"
            );
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    opener.join().expect("opener");
    assert!(locked > 0, "the race was never run");
}
