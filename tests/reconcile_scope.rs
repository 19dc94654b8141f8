//! Two segments moving into one destination: with `[segments.move] scope = "tag"` each move
//! tags its users with the segment's id, and each reconciliation counts only its export's
//! users and those tagged with its segment, so neither sees the other's users as extra. A
//! stray user tagged `eu` is `eu`'s extra and not `us`'s; without the scope, `eu` counts every
//! user of the destination.

mod common;

use common::vendors::{Simulator, simulator, users};
use common::{cutover, write_project};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;

fn export(p: &Path, name: &str, n: u32) {
    let mut out = std::fs::File::create(p.join(format!("{name}.jsonl"))).expect("export");
    for i in 1..=n {
        writeln!(
            out,
            "{{\"user_id\": \"{name}-{i}\", \"email\": \"{name}{i}@example.org\", \"email_verified\": true}}"
        )
        .expect("write");
    }
}

/// Segments `eu` (50 users) and `us` (30) moving into `kind` (its `keys`), tagged or not.
fn project(p: &Path, kind: &str, keys: &str, scope: bool) {
    let scope = if scope { "scope = \"tag\"" } else { "" };
    let segment = |id: &str, size: u32| {
        format!(
            "[[segments]]\nid = \"{id}\"\nstrategy = \"big-bang\"\nsize = {size}\ngoal = 0.9\n[segments.move]\nexport = \"{id}.jsonl\"\ntarget = \"{kind}\"\n{scope}\n{keys}\n"
        )
    };
    write_project(
        p,
        &format!(
            "[project]\nname = \"Shared\"\n{}{}",
            segment("eu", 50),
            segment("us", 30)
        ),
    );
}

fn reconcile(p: &Path, segment: &str) -> Value {
    let out = cutover(p)
        .env("KEY", "key")
        .args(["reconcile", segment, "--json"])
        .output()
        .expect("reconcile");
    serde_json::from_slice(&out.stdout).expect("a reconciliation")
}

fn moved_both(sim: &Simulator, kind: &str, keys: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    export(p, "eu", 50);
    export(p, "us", 30);
    project(p, kind, keys, true);
    for segment in ["eu", "us"] {
        for _ in 0..3 {
            cutover(p)
                .env("KEY", "key")
                .args(["advance", segment])
                .assert()
                .success();
        }
    }
    assert_eq!(users(sim, kind, "acme").len(), 80, "both moved in");
    dir
}

#[test]
fn segments_sharing_a_tenant_reconcile_each_within_its_tag() {
    let sim = simulator(&[]);
    let keys = format!(
        "url = \"{}\"\napi_key = \"env:KEY\"\ntenant = \"acme\"",
        sim.1
    );
    let dir = moved_both(&sim, "fusionauth", &keys);
    let p = dir.path();
    let tags: Vec<Value> = users(&sim, "fusionauth", "acme")
        .into_values()
        .map(|u| u["data"]["segment"].clone())
        .collect();
    assert_eq!(tags.iter().filter(|t| **t == "eu").count(), 50);
    assert_eq!(tags.iter().filter(|t| **t == "us").count(), 30);
    for (segment, n) in [("eu", 50), ("us", 30)] {
        let r = reconcile(p, segment);
        assert_eq!(r["ok"], true, "{r}");
        assert_eq!(r["target_users"], n, "{r}");
        assert_eq!(r["extra"], 0, "{r}");
    }

    // A stray user tagged eu, through FusionAuth's own import: eu's extra, not us's.
    let stray = json!({"users": [{"id": "00000000-0000-4000-8000-00000000abcd",
        "email": "stray@example.org", "data": {"legacyId": "stray-1", "segment": "eu"}}],
        "validateDbConstraints": true});
    let status = common::firebase::block_on(async {
        reqwest::Client::new()
            .post(format!("{}/api/user/import", sim.1))
            .header("Authorization", "key")
            .header("X-FusionAuth-TenantId", "acme")
            .json(&stray)
            .send()
            .await
            .expect("an import")
            .status()
    });
    assert!(status.is_success());
    let eu = reconcile(p, "eu");
    assert_eq!(eu["extra"], 1, "{eu}");
    assert_eq!(eu["extra_ids"], json!(["stray-1"]), "{eu}");
    assert_eq!(reconcile(p, "us")["extra"], 0);

    // Without the scope, every user of the tenant counts: us's 30 and the stray are eu's extra.
    project(p, "fusionauth", &keys, false);
    let unscoped = reconcile(p, "eu");
    assert_eq!(unscoped["extra"], 31, "{unscoped}");
}

#[test]
fn keycloak_keeps_the_tag_as_an_attribute() {
    let sim = simulator(&[]);
    let keys = format!(
        "url = \"{}\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:KEY\"",
        sim.1
    );
    let dir = moved_both(&sim, "keycloak", &keys);
    let p = dir.path();
    for (segment, n) in [("eu", 50), ("us", 30)] {
        let r = reconcile(p, segment);
        assert_eq!(r["ok"], true, "{r}");
        assert_eq!(r["target_users"], n, "{r}");
    }
}
