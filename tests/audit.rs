//! `cutover audit` on small fixture exports with known answers (tests/fixtures/audit): every
//! detector, the three shapes (CSV, Auth0 JSON lines, FusionAuth's import file), and bad
//! input: wrong column types, invalid UTF-8, an empty file and a 1 GB line, each a counted
//! bad row or a clear error, never a panic or unbounded memory.

mod common;

use common::{cutover, fails};
use serde_json::Value;
use std::path::{Path, PathBuf};

const AT: &str = "2026-11-24T00:00:00Z";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

/// `cutover audit FILE --json` outside any project (nothing recorded).
fn audit(file: &Path, target: &str) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cutover(dir.path())
        .args(["audit", "--json", "--at", AT, "--target", target])
        .arg(file)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "audit failed: {stderr}");
    assert!(stderr.contains("not recorded"), "{stderr}");
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn users_of(a: &Value, scheme: &str) -> u64 {
    a["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .find(|h| h["scheme"] == scheme)
        .map_or(0, |h| h["users"].as_u64().expect("users"))
}

#[test]
fn every_detector_counts_the_csv_fixture_right() {
    let a = audit(&fixture("users.csv"), "keycloak");
    assert_eq!(a["format"], "csv");
    assert_eq!(
        (a["rows"].as_u64(), a["users"].as_u64()),
        (Some(13), Some(13))
    );
    assert_eq!(a["unreadable"], 0);
    assert_eq!(a["bad_values"], 0);
    // Duplicates: " Ana@Example.ORG " is ana@example.org; "BOB" is bob.
    let d = &a["duplicates"];
    assert_eq!(
        (d["emails"].as_u64(), d["email_groups"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(d["usernames"], 1);
    let ex = &a["examples"];
    assert_eq!(ex["duplicate_emails"], serde_json::json!([["u01", "u02"]]));
    assert_eq!(
        ex["duplicate_usernames"],
        serde_json::json!([["u03", "u04"]])
    );
    assert_eq!(ex["duplicate_ids"], serde_json::json!([["u05", "u05"]]));
    assert_eq!(
        a["ids"],
        serde_json::json!({"missing": 1, "duplicate": 1, "email_shaped": 1})
    );
    assert_eq!(a["emails"], serde_json::json!({"missing": 1, "invalid": 1}));
    // Hash schemes, by format.
    for (scheme, n) in [
        ("bcrypt-2b", 3),
        ("bcrypt-2a", 1),
        ("bcrypt-2y", 1),
        ("argon2id", 1),
        ("pbkdf2-sha256", 1),
        ("django-pbkdf2-sha256", 1),
        ("salted-md5", 1),
        ("sha1", 1),
        ("ldap-ssha", 1),
        ("plaintext", 1),
        ("empty", 1),
    ] {
        assert_eq!(users_of(&a, scheme), n, "{scheme}");
    }
    let bcrypt = a["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .find(|h| h["scheme"] == "bcrypt-2b")
        .expect("bcrypt-2b");
    assert_eq!(bcrypt["params"]["cost 10"], 3);
    // Keycloak has no bcrypt and no salted digests; it takes argon2 and PBKDF2.
    assert_eq!(bcrypt["verdict"], "plugin");
    assert_eq!(
        a["moves"],
        serde_json::json!({"import": 4, "plugin": 8, "reset": 1})
    );
    assert_eq!(
        a["states"],
        serde_json::json!({"never_logged_in": 1, "disabled": 2, "unverified": 1, "partial": 1})
    );
    assert_eq!(
        a["dates"],
        serde_json::json!({"last_login_unparseable": 1, "last_login_future": 1, "created_unparseable": 0, "created_future": 1})
    );
    // 11 users with a usable last login or none: 6 within 7 days, 7 within 30, 8 within 90,
    // 9 within 365.
    let shares: Vec<f64> = a["recency"]
        .as_array()
        .expect("recency")
        .iter()
        .map(|s| s["share"].as_f64().expect("share"))
        .collect();
    let expected = [6.0 / 11.0, 7.0 / 11.0, 8.0 / 11.0, 9.0 / 11.0];
    for (got, want) in shares.iter().zip(expected) {
        assert!((got - want).abs() < 1e-9, "{shares:?}");
    }
    // An email-shaped id is never shown: its row stands in for it.
    let text = serde_json::to_string(&a).expect("json");
    assert!(!text.contains("judy@"), "{text}");
    assert!(
        !text.contains("ana@example.org"),
        "an address reached the output"
    );
}

#[test]
fn the_verdicts_follow_the_target() {
    let a = audit(&fixture("users.csv"), "authgear");
    assert_eq!(a["moves"], serde_json::json!({"import": 6, "reset": 7}));
    // Firebase takes bcrypt, salted and unsalted digests, LDAP's SSHA and passlib's PBKDF2;
    // the fixture's Argon2 (64 MiB) and Django (260,000 rounds) are over its caps.
    let a = audit(&fixture("users.csv"), "firebase");
    assert_eq!(
        a["moves"],
        serde_json::json!({"import": 10, "plugin": 2, "reset": 1})
    );
    let a = audit(&fixture("users.csv"), "auth0");
    let y = a["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .find(|h| h["scheme"] == "bcrypt-2y")
        .expect("2y");
    assert_eq!(y["verdict"], "import");
    assert!(y["note"].as_str().expect("note").contains("$2b$"), "{y}");
    let dir = tempfile::tempdir().expect("tempdir");
    let err = fails(
        cutover(dir.path())
            .args(["audit", "--target", "okta"])
            .arg(fixture("users.csv")),
    );
    assert!(
        err.contains("unknown target 'okta'") && err.contains("keycloak"),
        "{err}"
    );
}

#[test]
fn auth0_and_fusionauth_shapes_are_recognised() {
    let a = audit(&fixture("auth0.ndjson"), "fusionauth");
    assert_eq!(a["format"], "json-lines");
    assert_eq!(a["users"], 3);
    assert_eq!(a["fields"]["id"], "user_id");
    assert_eq!(a["fields"]["verified"], "email_verified");
    assert_eq!(
        a["states"],
        serde_json::json!({"never_logged_in": 1, "disabled": 1, "unverified": 1, "partial": 0})
    );
    assert_eq!(users_of(&a, "empty"), 3, "Auth0's export carries no hashes");

    let f = audit(&fixture("fusionauth-import.json"), "fusionauth");
    assert_eq!(f["format"], "fusionauth-import");
    assert_eq!(
        (f["users"].as_u64(), f["unreadable"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(f["duplicates"]["emails"], 1);
    assert_eq!(users_of(&f, "salted-md5"), 1);
    assert_eq!(users_of(&f, "bcrypt-2a"), 1);
    assert_eq!(f["states"]["disabled"], 1, "active = false");
    assert_eq!(f["states"]["unverified"], 1);
    let bad = &f["examples"]["bad_rows"][0];
    assert_eq!(bad[0], 27, "the line the non-object user is on: {bad}");
    assert!(
        bad[1]
            .as_str()
            .expect("reason")
            .contains("not a JSON object")
    );
}

#[test]
fn wrong_types_are_counted_with_their_lines() {
    let a = audit(&fixture("wrong-types.ndjson"), "auth0");
    assert_eq!(a["users"], 4);
    assert_eq!(a["unreadable"], 1);
    assert_eq!(a["bad_values"], 3);
    assert_eq!(a["dates"]["last_login_unparseable"], 3);
    let bad: Vec<(u64, String)> =
        serde_json::from_value(a["examples"]["bad_rows"].clone()).expect("bad rows");
    let lines: Vec<u64> = bad.iter().map(|b| b.0).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
    assert!(bad[0].1.contains("'verified'"), "{bad:?}");
    assert!(bad[1].1.contains("'email'"), "{bad:?}");
    assert!(bad[3].1.contains("not JSON"), "{bad:?}");
}

#[test]
fn invalid_utf8_is_a_counted_row() {
    // The CRLF file has a blank line before its bad row: line numbers stay exact.
    for (name, line, users) in [
        ("invalid-utf8.csv", 3, 2),
        ("invalid-utf8-crlf.csv", 4, 2),
        ("invalid-utf8.ndjson", 2, 1),
    ] {
        let a = audit(&fixture(name), "auth0");
        assert_eq!(a["unreadable"], 1, "{name}");
        assert_eq!(a["users"], users, "{name}");
        let bad = &a["examples"]["bad_rows"][0];
        assert_eq!(bad[0], line, "{name}");
        assert!(bad[1].as_str().expect("reason").contains("UTF-8"), "{bad}");
    }
}

#[test]
fn an_empty_or_missing_export_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = fails(
        cutover(dir.path())
            .args(["audit", "--target", "auth0"])
            .arg(fixture("empty.csv")),
    );
    assert!(err.contains("empty.csv") && err.contains("empty"), "{err}");
    let err = fails(
        cutover(dir.path())
            .args(["audit", "--target", "auth0"])
            .arg(dir.path().join("nope.csv")),
    );
    assert!(
        err.contains("cannot read the export") && err.contains("nope.csv"),
        "{err}"
    );
    let err = fails(
        cutover(dir.path())
            .args(["audit", "--target", "auth0", "--email", "mail"])
            .arg(fixture("users.csv")),
    );
    assert!(err.contains("no column 'mail'"), "{err}");
}

/// A file of `head`, 1 GB of zero bytes (sparse: no disk is spent), then `tail`.
fn sparse(path: &Path, head: &[u8], tail: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(head).expect("write");
    f.seek(SeekFrom::Current(1 << 30)).expect("seek");
    f.write_all(tail).expect("write");
}

/// A 1 GB line is skipped as one bad row, in an audit limited to 128 MB of address space
/// (holding the line would fail the run), for CSV and JSON lines alike.
#[test]
fn a_one_gigabyte_line_is_one_bad_row_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("huge.csv");
    sparse(
        &csv,
        b"user_id,email\nu1,a@example.org\nu2,",
        b"@example.org\nu3,c@example.org\n",
    );
    let ndjson = dir.path().join("huge.ndjson");
    sparse(
        &ndjson,
        b"{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\",\"email\":\"",
        b"\"}\n{\"user_id\":\"u3\"}\n",
    );
    for (path, line) in [(&csv, 3), (&ndjson, 2)] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg("ulimit -v 131072; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_cutover"))
            .args(["audit", "--json", "--no-record", "--target", "auth0"])
            .arg(path)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", path.display());
        let a: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            (a["users"].as_u64(), a["unreadable"].as_u64()),
            (Some(2), Some(1))
        );
        let reason = a["examples"]["bad_rows"][0][1].as_str().expect("reason");
        assert!(reason.contains("longer than the 1 MiB limit"), "{reason}");
        assert_eq!(a["examples"]["bad_rows"][0][0], line);
        // Without a terminal, progress is a plain line at every tenth.
        assert!(stderr.contains(": 50% ("), "{stderr}");
    }
}

#[test]
fn an_export_without_last_logins_says_so_instead_of_never() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-logins.csv");
    std::fs::write(&path, "user_id,email\nu1,a@example.org\nu2,b@example.org\n").expect("write");
    let a = audit(&path, "auth0");
    assert_eq!(a["states"]["never_logged_in"], 0);
    assert!(a["fields"].get("last_login").is_none());
    assert!(
        a["recency"]
            .as_array()
            .expect("recency")
            .iter()
            .all(|s| s["share"].is_null())
    );
    let out = cutover(dir.path())
        .args(["audit", "--no-record", "--target", "auth0"])
        .arg(&path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("never logged in: unknown (the export has no last-login field)"),
        "{text}"
    );
}

#[test]
fn columns_are_mapped_by_the_audit_table_and_flags_win_over_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    common::write_project(
        p,
        "[project]\nname = \"Map\"\n[audit]\ntarget = \"keycloak\"\nemail = \"mail\"\nid = \"uid\"\n",
    );
    let path = p.join("ldap.csv");
    std::fs::write(
        &path,
        "uid,mail,alt\nu1,a@example.org,x@example.org\nu2,A@example.org,y@example.org\n",
    )
    .expect("write");
    let run = |extra: &[&str]| -> Value {
        let out = cutover(p)
            .args(["audit", "--json", "--no-record"])
            .args(extra)
            .arg(&path)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let a = run(&[]);
    assert_eq!(a["target"], "keycloak", "[audit] target");
    assert_eq!(a["fields"]["email"], "mail");
    assert_eq!(a["fields"]["id"], "uid");
    assert_eq!(a["duplicates"]["emails"], 1);
    assert_eq!(
        a["examples"]["duplicate_emails"],
        serde_json::json!([["u1", "u2"]])
    );
    let b = run(&["--email", "alt", "--target", "auth0"]);
    assert_eq!(b["target"], "auth0");
    assert_eq!(b["fields"]["email"], "alt");
    assert_eq!(b["duplicates"]["emails"], 0);
}
