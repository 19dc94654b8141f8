//! The legacy switch-off view: ready only when every segment is done and reconciled, the
//! legacy system's own traffic has stayed below its threshold for the days asked, and no legacy
//! user changed since the move. Each condition is shown holding the switch-off back on its own,
//! on a real `slapd` moved into the simulator's FusionAuth.

mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use common::vendors::simulator;
use common::{cutover, json, write_project};
use serde_json::Value;
use std::path::Path;

const USERS: u64 = 200;

/// The conditions that hold the switch-off back, by name, and whether it is ready.
fn held_back(p: &Path) -> (bool, Vec<String>, Value) {
    let status = json(cutover(p).args(["status", "--json"]));
    let d = status["decommission"].clone();
    let back = d["conditions"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter(|c| c["holds"] == false)
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (d["ready"] == true, back, d)
}

/// Hourly traffic samples of `value` for the last `hours` hours before `now`.
fn traffic(p: &Path, now: chrono::DateTime<chrono::Utc>, hours: i64, value: f64) {
    let mut csv = String::from("segment,metric,at,value\n");
    for h in (0..hours).rev() {
        let at = now - chrono::Duration::hours(h) - chrono::Duration::minutes(1);
        csv += &format!("eu,legacy_binds,{},{value}\n", at.to_rfc3339());
    }
    std::fs::write(p.join("traffic.csv"), csv).expect("traffic");
    cutover(p)
        .arg("import")
        .arg(p.join("traffic.csv"))
        .assert()
        .success();
}

#[test]
fn the_legacy_system_may_go_only_when_every_condition_holds() {
    let now = chrono::Utc::now();
    let dir = Slapd::start(&slapd::people(USERS, now));
    let sim = simulator(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    write_project(
        p,
        &format!(
            "[project]\nname = \"Switch-off\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[legacy.decommission]\nsegment = \"eu\"\nmetric = \"legacy_binds\"\nbelow = 1\ndays = 14\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.3\n[segments.sources.drift]\nkind = \"drift\"\n[segments.sources.legacy_binds]\nkind = \"command\"\ncommand = [\"cat\", \"binds.txt\"]\n[[segments.gates]]\nkind = \"drift\"\n[segments.move]\nexport = \"{url}\"\ntarget = \"fusionauth\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            sim.1
        ),
    );
    let run = |args: &[&str]| {
        cutover(p)
            .env("LDAP_PW", READER_PW)
            .env("FA_KEY", "key")
            .args(args)
            .assert()
            .success();
    };
    // Nothing moved, no traffic known, nothing counted: every condition holds it back.
    let (ready, back, d) = held_back(p);
    assert!(!ready, "{d}");
    assert_eq!(back, ["segments", "traffic", "drift"], "{d}");

    // Fifteen quiet days of legacy traffic, and the segment moved and in cutover (its gate
    // counted no drift): the segment alone holds it back.
    traffic(p, now, 15 * 24, 0.2);
    std::fs::write(p.join("binds.txt"), "0.2\n").expect("binds");
    let phase = || json(cutover(p).args(["status", "--json"]))["segments"][0]["phase"].clone();
    while phase() != "cutover" {
        run(&["advance", "eu"]);
    }
    run(&["reconcile", "eu"]);
    let (ready, back, d) = held_back(p);
    assert!(!ready);
    assert_eq!(back, ["segments"], "{d}");
    assert!(d.to_string().contains("eu is in cutover"), "{d}");

    // Done (drift counted 0 fresh for it, reconciled): ready.
    run(&["advance", "eu"]);
    assert_eq!(phase(), "done");
    let (ready, back, d) = held_back(p);
    assert!(ready, "{d}");
    assert!(back.is_empty());
    let text =
        String::from_utf8_lossy(&cutover(p).args(["status"]).output().expect("status").stdout)
            .to_string();
    assert!(text.contains("legacy switch-off: ready"), "{text}");

    // A user signs up on the legacy system: drift alone holds it back again.
    dir.modify(&format!(
        "dn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: late\ncn: Late\nsn: late\nmail: late@example.org\n\n",
        "late"
    ));
    run(&["poll"]);
    let (ready, back, d) = held_back(p);
    assert!(!ready);
    assert_eq!(back, ["drift"], "{d}");
    assert!(d.to_string().contains("1 users changed in eu"), "{d}");

    // And a burst of legacy logins holds it back as well, saying when it last held.
    std::fs::write(p.join("binds.txt"), "7\n").expect("binds");
    run(&["poll"]);
    let (_, back, d) = held_back(p);
    assert_eq!(back, ["traffic", "drift"], "{d}");
    let traffic = &d["conditions"][1];
    assert!(
        traffic["detail"]
            .as_str()
            .is_some_and(|s| s.contains("7 in the last hour")),
        "{d}"
    );
    assert!(traffic["last_true"].is_string(), "{d}");
    let report =
        String::from_utf8_lossy(&cutover(p).args(["status"]).output().expect("status").stdout)
            .to_string();
    assert!(
        report.contains("legacy switch-off: not ready; traffic: 7 in the last hour"),
        "{report}"
    );
}
