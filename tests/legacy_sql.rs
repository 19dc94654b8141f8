//! The legacy side, live, from a database: `sql:` where an export file goes runs
//! `[legacy.sql] query` on a real PostgreSQL, through a cursor. `audit` and `plan --logins`
//! count the table exactly as its CSV export (PostgreSQL's own `COPY … CSV HEADER`), and a
//! query that fails or lacks a column named by a flag stops the read with the fix.

mod common;

use common::pg_server::Postgres;
use common::{audit_counts, cutover, fails, json, write_project};
use std::io::Read as _;
use std::path::Path;

const USERS: u64 = 2_500;
const AT: &str = "2026-06-01T00:00:00Z";
const QUERY: &str = "SELECT uid AS id, mail AS email, pw AS password_hash, last_seen AS last_login, created AS created_at FROM legacy_users ORDER BY uid";

/// A legacy table of [`USERS`]: every 40th shares the email before it, every 50th has no
/// hash, a third never logged in, accounts 601 to 1,330 days old.
fn load(db: &mut postgres::Client) {
    db.batch_execute(&format!(
        "CREATE TABLE legacy_users AS SELECT
            'u' || lpad(i::text, 6, '0') AS uid,
            'user' || (CASE WHEN i % 40 = 0 THEN i - 1 ELSE i END) || '@example.org' AS mail,
            CASE WHEN i % 50 = 0 THEN NULL ELSE '$2b$10$' || rpad(md5(i::text), 53, 'x') END AS pw,
            CASE WHEN i % 3 = 0 THEN NULL
                 ELSE timestamptz '{AT}' - ((1 + i * 104729 % 600) * interval '1 day') END AS last_seen,
            timestamptz '{AT}' - ((601 + i * 7919 % 730) * interval '1 day') AS created
         FROM generate_series(1, {USERS}) AS i"
    ))
    .expect("the legacy table");
}

/// A PostgreSQL with the legacy table, a connection to it, and a project reading it as `sql:`.
fn setup() -> (Postgres, postgres::Client, tempfile::TempDir) {
    let pg = Postgres::start();
    let mut db = postgres::Client::connect(&pg.url(), postgres::NoTls).expect("connect");
    load(&mut db);
    let tmp = tempfile::tempdir().expect("tempdir");
    project(tmp.path());
    (pg, db, tmp)
}

fn project(p: &Path) {
    write_project(
        p,
        &format!(
            "[project]\nname = \"Database\"\n[legacy.sql]\nurl = \"env:LEGACY_DB\"\nquery = \"{QUERY}\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = {USERS}\ngoal = 0.5\nlogin_probability = 0.01\n"
        ),
    );
}

#[test]
fn audit_and_plan_read_the_legacy_database_as_its_csv_export() {
    let (pg, mut db, tmp) = setup();
    let p = tmp.path();
    let mut csv = String::new();
    db.copy_out(&format!(
        "COPY ({QUERY}) TO STDOUT WITH (FORMAT csv, HEADER)"
    ))
    .expect("COPY")
    .read_to_string(&mut csv)
    .expect("the CSV export");
    let file = p.join("users.csv");
    std::fs::write(&file, csv).expect("write");
    let file = file.display().to_string();

    let audit = |export: &str| {
        json(cutover(p).env("LEGACY_DB", pg.url()).args([
            "audit",
            export,
            "--json",
            "--no-record",
            "--at",
            AT,
        ]))
    };
    let live = audit("sql:");
    let exported = audit(&file);
    assert_eq!(live["users"], USERS, "{live}");
    assert_eq!(live["format"], "sql", "{live}");
    assert_eq!(live["duplicates"]["email_groups"], USERS / 40, "{live}");
    // A row is numbered from 1 in the order read; in the CSV, by its line (the header is line 1).
    assert_eq!(live["duplicate_groups"][0]["users"][0]["line"], 39);
    assert_eq!(exported["duplicate_groups"][0]["users"][0]["line"], 40);
    assert_eq!(audit_counts(live.clone()), audit_counts(exported), "{live}");
    assert!(
        !live.to_string().contains("@example.org"),
        "no email: {live}"
    );

    let plan = |export: &str| {
        json(
            cutover(p)
                .env("LEGACY_DB", pg.url())
                .args(["plan", "eu", "--logins", export, "--at", AT, "--json"]),
        )
    };
    let live = plan("sql:");
    assert_eq!(live["plan"], plan(&file)["plan"], "{live}");
    assert_eq!(
        live["plan"]["shares"][1],
        serde_json::json!([30, 0.0312]),
        "{live}"
    );
}

#[test]
fn a_failing_query_and_a_missing_column_name_their_fix() {
    let (pg, _db, tmp) = setup();
    let p = tmp.path();
    let said = fails(cutover(p).env("LEGACY_DB", pg.url()).args([
        "audit",
        "sql:",
        "--no-record",
        "--last-login",
        "seen",
    ]));
    assert!(said.contains("no column 'seen'"), "{said}");
    assert!(said.contains("AS"), "{said}");

    std::fs::write(
        p.join("cutover.toml"),
        std::fs::read_to_string(p.join("cutover.toml"))
            .expect("read")
            .replace("FROM legacy_users", "FROM legacy_user"),
    )
    .expect("write");
    let said = fails(
        cutover(p)
            .env("LEGACY_DB", pg.url())
            .args(["audit", "sql:", "--no-record"]),
    );
    assert!(said.contains("the [legacy.sql] query failed"), "{said}");
    assert!(said.contains("legacy_user"), "{said}");

    let said = fails(cutover(p).args(["audit", "sql:", "--no-record"]));
    assert!(said.contains("LEGACY_DB"), "{said}");
}
