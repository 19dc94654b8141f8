//! The legacy side, live: a real OpenLDAP (`slapd`) read where an export file goes. `audit`,
//! `plan --logins` and `move` give the same counts against the directory as against its LDIF
//! export (taken with `ldapsearch`), and a bind the directory refuses, an attribute its schema
//! lacks, a referral and a size limit each stop the read with the fix in the message.

mod common;

use common::slapd::{self, LIMITED, PEOPLE, READER, READER_PW, Slapd};
use common::vendors::{simulator, users};
use common::{audit_counts, cutover, fails, json, write_project};
use serde_json::Value;
use std::path::Path;

const USERS: u64 = 1_200;
const AT: &str = "2026-06-01T00:00:00Z";

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(AT)
        .expect("a time")
        .with_timezone(&chrono::Utc)
}

/// A project that binds as `bind` and moves segment `eu` from `export` into the simulator's
/// FusionAuth tenant `tenant`.
fn project(p: &Path, bind: &str, export: &str, sim: &str, tenant: &str) {
    write_project(
        p,
        &format!(
            "[project]\nname = \"Directory\"\n[legacy]\nbind_dn = \"{bind}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.9\n[segments.move]\nexport = \"{export}\"\ntarget = \"fusionauth\"\nurl = \"{sim}\"\napi_key = \"env:FA_KEY\"\ntenant = \"{tenant}\"\nbatch = 500\n"
        ),
    );
}

#[test]
fn audit_plan_and_move_count_the_live_directory_as_its_ldif_export() {
    let dir = Slapd::start(&slapd::people(USERS, now()));
    let tmp = tempfile::tempdir().expect("tempdir");
    let (live, file) = (tmp.path().join("live"), tmp.path().join("file"));
    std::fs::create_dir_all(&live).expect("folder");
    std::fs::create_dir_all(&file).expect("folder");
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    dir.export(&file.join("people.ldif"));
    let sim = simulator(&[]);
    project(&live, READER, &url, &sim.1, "acme");
    project(&file, READER, "people.ldif", &sim.1, "acme-test");

    // The audit: the same counts, hash schemes and recency from both.
    let audit = |p: &Path, export: &str| {
        json(cutover(p).env("LDAP_PW", READER_PW).args([
            "audit",
            export,
            "--json",
            "--no-record",
            "--at",
            AT,
        ]))
    };
    let from_dir = audit(&live, &url);
    let ldif = file.join("people.ldif").display().to_string();
    let from_file = audit(&file, &ldif);
    assert_eq!(from_dir["users"], USERS, "{from_dir}");
    assert_eq!(from_dir["format"], "ldap", "{from_dir}");
    assert_eq!(from_file["format"], "ldif", "{from_file}");
    assert_eq!(from_dir["duplicate_groups"][0]["users"][0]["line"], 39);
    assert_eq!(
        audit_counts(from_dir.clone()),
        audit_counts(from_file),
        "{from_dir}"
    );
    let text = from_dir.to_string();
    for scheme in ["ldap-ssha", "unix-crypt", "pbkdf2-sha256", "empty"] {
        assert!(text.contains(scheme), "{scheme} in {text}");
    }
    assert!(
        !text.contains("@example.org"),
        "no email in the audit: {text}"
    );
    assert!(!text.contains("PBKDF2-SHA256}"), "no hash in the audit");

    // The plan from last logins: the same shares.
    let plan = |p: &Path, export: &str| {
        json(
            cutover(p)
                .env("LDAP_PW", READER_PW)
                .args(["plan", "eu", "--logins", export, "--at", AT, "--json"]),
        )
    };
    let planned_dir = plan(&live, &url);
    let planned_file = plan(&file, &ldif);
    assert_eq!(planned_dir["plan"], planned_file["plan"], "{planned_dir}");
    assert_eq!(planned_dir["plan"]["users"], USERS, "{planned_dir}");
    assert!(
        planned_dir["plan"]["shares"][1][1]
            .as_f64()
            .is_some_and(|s| s > 0.0),
        "{planned_dir}"
    );
    assert_eq!(planned_dir["field"], "authTimestamp", "{planned_dir}");

    // The move: the same users land, each skipped for the same reasons.
    let moved = |p: &Path| {
        for _ in 0..2 {
            cutover(p).args(["advance", "eu"]).assert().success();
        }
        json(
            cutover(p)
                .env("LDAP_PW", READER_PW)
                .env("FA_KEY", "key")
                .args(["move", "eu", "--json"]),
        )
    };
    let report_dir = moved(&live);
    let report_file = moved(&file);
    for key in ["total", "created", "skipped", "failed", "without_password"] {
        assert_eq!(report_dir[key], report_file[key], "{key}: {report_dir}");
    }
    // FusionAuth imports PBKDF2 and needs a plugin for {SSHA} and crypt(3): those are skipped.
    let pbkdf2 = (1..=USERS).filter(|i| i % 3 == 2 && i % 50 != 0);
    let landed = users(&sim, "fusionauth", "acme");
    let ids = |m: &std::collections::BTreeMap<String, Value>| {
        m.keys().cloned().collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(ids(&landed), ids(&users(&sim, "fusionauth", "acme-test")));
    for i in pbkdf2.filter(|i| i % 40 != 0) {
        assert!(
            landed.contains_key(&slapd::uid(i)),
            "{} moved",
            slapd::uid(i)
        );
    }
    assert!(
        !landed.contains_key(&slapd::uid(3)),
        "an {{SSHA}} user is skipped"
    );
}

#[test]
fn a_refused_bind_an_unknown_attribute_a_referral_and_a_size_limit_name_their_fix() {
    let dir = Slapd::start(&slapd::people(600, now()));
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    project(p, READER, &url, "http://127.0.0.1:9", "acme");
    let audit = |pw: &str, export: &str, extra: &[&str]| {
        fails(
            cutover(p)
                .env("LDAP_PW", pw)
                .args(["audit", export, "--json", "--no-record"])
                .args(extra),
        )
    };

    let said = audit("wrong", &url, &[]);
    assert!(said.contains("refused the bind"), "{said}");
    assert!(said.contains("bind_password"), "{said}");
    assert!(
        !said.contains("wrong"),
        "the password is never shown: {said}"
    );

    let said = audit(READER_PW, &url, &["--last-login", "lastLoginTime"]);
    assert!(said.contains("no attribute 'lastLoginTime'"), "{said}");

    let said = audit(
        READER_PW,
        &dir.url(&format!("uid=x,ou=partners,{}", slapd::BASE), ""),
        &[],
    );
    assert!(
        said.contains("referred the search to ldap://partners.example.net"),
        "{said}"
    );
    assert!(said.contains("point the URL at that server"), "{said}");

    // The limited reader may read 500 entries, paged or not: the read stops with the fix.
    project(p, LIMITED, &url, "http://127.0.0.1:9", "acme");
    let said = audit(READER_PW, &url, &[]);
    assert!(said.contains("size limit after 500 entries"), "{said}");
    assert!(said.contains("limits dn.exact="), "{said}");
}
