//! `cutover audit` as a lead acting on its findings: without a target it audits anyway and
//! says how to get the verdicts; with 1,103 duplicate groups, `--json` and `--duplicates FILE`
//! give every group (opaque ids and lines), never an email, a name or a hash.

mod common;

use common::cutover;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

const AT: &str = "2026-11-24T00:00:00Z";
const HASH: &str = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
const GROUPS: usize = 1_103;

/// A CSV export where users 2k and 2k+1 share an email, plus one unique user at the end.
fn export(dir: &Path) -> std::path::PathBuf {
    let mut s = String::from("user_id,email,username,password_hash,last_login\n");
    for g in 0..GROUPS {
        for k in 0..2 {
            let _ = writeln!(
                s,
                "u{g}-{k},Person.{g}@Example.org,name{g}x{k},{HASH},2026-11-20T10:00:00Z"
            );
        }
    }
    s.push_str("solo,solo@example.org,solo,,2026-11-20T10:00:00Z\n");
    let path = dir.join("users.csv");
    std::fs::write(&path, s).expect("write export");
    path
}

fn run(dir: &Path, args: &[&str]) -> (String, String) {
    let out = cutover(dir)
        .args(["audit", "--at", AT])
        .args(args)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "audit failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn no_personal_data(text: &str) {
    for leak in ["@", "Person.", "name1x", "$2b$"] {
        assert!(!text.contains(leak), "'{leak}' leaked into:\n{text}");
    }
}

#[test]
fn json_gives_every_duplicate_group_with_ids_and_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = export(dir.path());
    let (stdout, _) = run(
        dir.path(),
        &[
            "--json",
            "--target",
            "keycloak",
            file.to_str().expect("utf8"),
        ],
    );
    no_personal_data(&stdout);
    let a: Value = serde_json::from_str(&stdout).expect("JSON");
    let groups = a["duplicate_groups"].as_array().expect("duplicate_groups");
    let emails: Vec<&Value> = groups.iter().filter(|g| g["kind"] == "email").collect();
    assert_eq!(emails.len(), GROUPS);
    assert_eq!(a["duplicates"]["email_groups"], GROUPS as u64);
    // The last group: users u1102-0 and u1102-1 on lines 2206 and 2207 (line 1 is the header).
    let last = emails[GROUPS - 1];
    assert_eq!(last["group"], GROUPS as u64);
    assert_eq!(last["users"][0]["id"], "u1102-0");
    assert_eq!(last["users"][0]["line"], 2206);
    assert_eq!(last["users"][1]["line"], 2207);
}

#[test]
fn duplicates_file_holds_every_group_as_csv_and_the_table_points_at_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = export(dir.path());
    let csv = dir.path().join("dups.csv");
    let (stdout, stderr) = run(
        dir.path(),
        &[
            "--target",
            "keycloak",
            "--duplicates",
            csv.to_str().expect("utf8"),
            file.to_str().expect("utf8"),
        ],
    );
    no_personal_data(&stdout);
    assert!(stdout.contains("and 1093 more groups"), "{stdout}");
    assert!(
        stderr.contains("1103 duplicate groups written to"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&csv).expect("duplicates file");
    no_personal_data(&text);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "kind,group,id,line");
    assert_eq!(lines.len(), 1 + 2 * GROUPS);
    assert_eq!(lines[1], "email,1,u0-0,2");
    assert_eq!(lines[2 * GROUPS], "email,1103,u1102-1,2207");
}

#[test]
fn audit_without_a_target_audits_and_says_how_to_get_the_verdicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = export(dir.path());
    let (stdout, _) = run(dir.path(), &[file.to_str().expect("utf8")]);
    assert!(stdout.contains("users"), "{stdout}");
    assert!(
        stdout.contains("no verdict per hash scheme: pass --target NAME"),
        "{stdout}"
    );
    assert!(!stdout.contains("import as is"), "{stdout}");

    let (stdout, _) = run(dir.path(), &["--json", file.to_str().expect("utf8")]);
    let a: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(a["users"], 2 * GROUPS as u64 + 1);
    assert!(a["target"].is_null());
    assert!(
        a["verdicts_left_out"]
            .as_str()
            .is_some_and(|s| s.contains("--target NAME")),
        "{a}"
    );
    let bcrypt = &a["hashes"][0];
    assert_eq!(bcrypt["users"], 2 * GROUPS as u64);
    assert!(bcrypt.get("verdict").is_none(), "{bcrypt}");
    assert!(a.get("moves").is_none());
}
