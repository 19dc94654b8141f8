//! Drift on a legacy database: after a move from `sql:` on a real PostgreSQL, rows changed or
//! added (their `updated_at` column, named by the drift source's `modified`) are counted, the
//! gate refuses, and `cutover move --changed-since-move` updates exactly them on the
//! simulator's FusionAuth, after which nothing has drifted.

mod common;

use common::pg_server::Postgres;
use common::vendors::{self, simulator};
use common::{cutover, json, write_project};
use std::collections::BTreeSet;

const USERS: u64 = 200;
const QUERY: &str = "SELECT uid AS id, mail AS email, pw AS password_hash, created AS created_at, updated AS updated_at FROM legacy_users ORDER BY uid";

#[test]
fn rows_changed_in_the_legacy_database_are_counted_then_moved_again() {
    let pg = Postgres::start();
    let mut db = postgres::Client::connect(&pg.url(), postgres::NoTls).expect("connect");
    db.batch_execute(&format!(
        "CREATE TABLE legacy_users AS SELECT
            'u' || lpad(i::text, 6, '0') AS uid,
            'user' || i || '@example.org' AS mail,
            '$2b$10$' || rpad(md5(i::text), 53, 'x') AS pw,
            now() - interval '700 days' AS created,
            now() - interval '30 days' AS updated
         FROM generate_series(1, {USERS}) AS i"
    ))
    .expect("the legacy table");
    let sim = simulator(&[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path();
    write_project(
        p,
        &format!(
            "[project]\nname = \"Database\"\n[legacy.sql]\nurl = \"env:LEGACY_DB\"\nquery = \"{QUERY}\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {USERS}\ngoal = 0.3\n[segments.sources.drift]\nkind = \"drift\"\nmodified = \"updated_at\"\n[[segments.gates]]\nkind = \"drift\"\n[segments.move]\nexport = \"sql:\"\ntarget = \"fusionauth\"\nurl = \"{}\"\napi_key = \"env:FA_KEY\"\ntenant = \"acme\"\n",
            sim.1
        ),
    );
    let cmd = |args: &[&str]| {
        let mut c = cutover(p);
        c.env("LEGACY_DB", pg.url()).env("FA_KEY", "key").args(args);
        c
    };
    for _ in 0..3 {
        cmd(&["advance", "eu"]).assert().success();
    }
    let moved = json(&mut cmd(&["move", "eu", "--json"]));
    assert_eq!(moved["created"], USERS, "{moved}");
    let before = vendors::users(&sim, "fusionauth", "acme");

    // Two users change their email, one row is touched without a visible change (it is
    // updated all the same: the database says it changed), two sign up.
    db.batch_execute(
        "UPDATE legacy_users SET mail = 'new' || mail, updated = now() WHERE uid IN ('u000007', 'u000070');
         UPDATE legacy_users SET updated = now() WHERE uid = 'u000140';
         INSERT INTO legacy_users VALUES
           ('u000201', 'user201@example.org', NULL, now(), now()),
           ('u000202', 'user202@example.org', NULL, now(), now());",
    )
    .expect("the changes");
    let out = cmd(&["advance", "eu"]).output().expect("advance");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("5 > max 0"), "{said}");

    let pass = json(&mut cmd(&["move", "eu", "--changed-since-move", "--json"]));
    assert_eq!(pass["total"], 5, "{pass}");
    assert_eq!(pass["created"], 2, "{pass}");
    assert_eq!(pass["updated"], 3, "{pass}");
    assert_eq!(pass["without_password"], 2, "{pass}");
    let after = vendors::users(&sim, "fusionauth", "acme");
    let stamped: BTreeSet<&str> = after
        .iter()
        .filter(|(_, u)| u["lastUpdateInstant"].is_i64())
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(stamped, BTreeSet::from(["u000007", "u000070", "u000140"]));
    assert_eq!(after["u000007"]["email"], "newuser7@example.org");
    assert_eq!(after.len(), before.len() + 2);
    for (id, u) in &before {
        if !stamped.contains(id.as_str()) {
            assert_eq!(&after[id], u, "{id} must stay as moved");
        }
    }
    // Moved: the drift gate no longer holds `done`.
    let out = cmd(&["advance", "eu"]).output().expect("advance");
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !said.contains("legacy users changed since the move"),
        "{said}"
    );
}
