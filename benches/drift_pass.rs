//! A drift pass (`cutover move --changed-since-move`) at size: a real `slapd` of 20,000 users
//! moved into the simulator's FusionAuth and Keycloak, then 5,000 of them changed and 1,000
//! added in the directory; the pass is timed as a whole process (the narrowed read, the lookups,
//! the imports of the new users and one update call per changed user), with its peak memory.
//! A bench binary that prints a table.
//!
//! Run: `cargo bench --bench drift_pass`. `CUTOVER_BENCH_USERS` sets the directory's size
//! (default 20,000; a quarter of them change, a twentieth sign up).

#[path = "../tests/common/mod.rs"]
mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use std::time::{Duration, Instant};

/// Run cutover in `dir` with `args`; (seconds, peak memory in MB, stdout).
fn timed(dir: &std::path::Path, env: (&str, &str), args: &[&str]) -> (f64, f64, String) {
    let out = tempfile::NamedTempFile::new().expect("a file");
    let t0 = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("--project")
        .arg(dir)
        .args(args)
        .env("LDAP_PW", READER_PW)
        .env(env.0, env.1)
        .stdout(out.reopen().expect("the file"))
        .spawn()
        .expect("cutover");
    let pid = child.id().to_string();
    let mut rss = 0.0f64;
    loop {
        rss = rss.max(common::peak_rss_mb(&pid));
        match child.try_wait().expect("wait") {
            Some(status) => {
                assert!(status.success(), "cutover {args:?} failed");
                break;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    (
        secs,
        rss,
        std::fs::read_to_string(out.path()).unwrap_or_default(),
    )
}

fn main() {
    let n: u64 = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let (changed, added) = (n / 4, n / 20);
    println!("| drift pass | users moved | changed + added | pass | rate | peak memory |");
    println!("|---|---|---|---|---|---|");
    let sim = common::vendors::simulator(&[]);
    for (kind, keys, env) in [
        (
            "fusionauth",
            format!(
                "url = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"",
                sim.1
            ),
            ("FA_KEY", "key"),
        ),
        (
            "keycloak",
            format!(
                "url = \"{}\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC_SECRET\"",
                sim.1
            ),
            ("KC_SECRET", "s"),
        ),
    ] {
        let now = chrono::Utc::now();
        let dir = Slapd::start_with(|w| slapd::write_people(w, n, now));
        let project = tempfile::tempdir().expect("tempdir");
        let p = project.path();
        common::write_project(
            p,
            &format!(
                "[project]\nname = \"Bench\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:LDAP_PW\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {n}\ngoal = 0.3\n[segments.move]\nexport = \"{}\"\ntarget = \"{kind}\"\nunverifiable = \"without-password\"\nduplicate_emails = \"skip\"\n{keys}\n",
                dir.url(PEOPLE, "(objectClass=inetOrgPerson)")
            ),
        );
        for _ in 0..3 {
            timed(p, env, &["advance", "eu"]);
        }
        let (_, _, moved) = timed(p, env, &["move", "eu", "--json"]);
        let moved: serde_json::Value = serde_json::from_str(&moved).expect("a report");
        let mut change = String::new();
        for i in 1..=changed {
            change += &format!(
                "dn: uid={},{PEOPLE}\nchangetype: modify\nreplace: mail\nmail: changed{i}@example.org\n\n",
                slapd::uid(i * 4)
            );
        }
        for i in n + 1..=n + added {
            change += &format!(
                "dn: uid={},{PEOPLE}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: {}\ncn: New {i}\nsn: {i}\nmail: user{i}@example.org\n\n",
                slapd::uid(i),
                slapd::uid(i)
            );
        }
        dir.modify(&change);
        let (secs, rss, pass) = timed(p, env, &["move", "eu", "--changed-since-move", "--json"]);
        let pass: serde_json::Value = serde_json::from_str(&pass).expect("a report");
        let settled = pass["created"].as_u64().unwrap_or(0)
            + pass["updated"].as_u64().unwrap_or(0)
            + pass["failed"]
                .as_object()
                .map_or(0, |m| m.values().filter_map(|v| v.as_u64()).sum());
        println!(
            "| {kind} (simulator) | {} | {} ({} updated, {} created, {} skipped) | {secs:.1} s | {:.0} users/s | {rss:.0} MB |",
            moved["created"],
            pass["total"],
            pass["updated"],
            pass["created"],
            pass["skipped"]
                .as_object()
                .map_or(0, |m| m.values().filter_map(|v| v.as_u64()).sum::<u64>()),
            settled as f64 / secs
        );
    }
}
