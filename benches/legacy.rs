//! Reading the legacy side live (issue 28): a bench binary that prints a table.
//!
//! * 1,000,000 users read from a real `slapd` (loaded with `slapadd`), paged, through the
//!   export reader every command uses, with the audit's fields: users a second (goal
//!   ≥ 20,000) and the process's peak memory (goal ≤ 100 MB);
//! * the same users read from a real PostgreSQL table through `[legacy.sql]`'s cursor;
//! * the whole `cutover audit` of the directory, as a process: its time and peak memory.
//!
//! Run: `cargo bench --bench legacy` (a few minutes: most of it is `slapadd`).
//! `CUTOVER_BENCH_USERS` sets the directory's size (default 1,000,000).

#[path = "../tests/common/mod.rs"]
mod common;

use common::slapd::{self, PEOPLE, READER, READER_PW, Slapd};
use cutover::export::Source;
use cutover::export::source::Access;
use std::time::{Duration, Instant};

/// Read `source` with the audit's fields; (users, seconds).
fn read(source: &Source) -> (u64, f64) {
    let fields = cutover::audit::roles::fields(&cutover::config::AuditFile::default());
    let t0 = Instant::now();
    let mut users = 0u64;
    source
        .stream(&fields, |_, row| {
            if row.is_ok() {
                users += 1;
            }
        })
        .expect("the read");
    (users, t0.elapsed().as_secs_f64())
}

fn row(what: &str, users: u64, secs: f64, rss: f64) {
    let rate = users as f64 / secs;
    println!(
        "| {what} | {users} | {secs:.1} s | {rate:.0} users/s {} | {rss:.0} MB {} |",
        if rate >= 20_000.0 { "✓" } else { "✗" },
        if rss <= 100.0 { "✓" } else { "✗" },
    );
}

fn main() {
    let n: u64 = std::env::var("CUTOVER_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let now = chrono::Utc::now();
    let t0 = Instant::now();
    let dir = Slapd::start_with(|w| slapd::write_people(w, n, now));
    eprintln!("slapadd of {n} users: {:.0} s", t0.elapsed().as_secs_f64());
    println!("| read (goal ≥ 20,000 users/s, ≤ 100 MB) | users | time | rate | peak memory |");
    println!("|---|---|---|---|---|");
    // In-process, the password is passed as written (a project's file allows `env:` only).
    let access = Access {
        bind: Some((READER.to_string(), READER_PW.to_string())),
        sql: None,
    };
    let url = dir.url(PEOPLE, "(objectClass=inetOrgPerson)");
    let source = Source::named(&url, std::path::Path::new(""), &access).expect("the URL");
    let (users, secs) = read(&source);
    assert_eq!(users, n, "every user read");
    row(
        "slapd, paged (500 a page)",
        users,
        secs,
        common::peak_rss_mb("self"),
    );

    // The whole audit, as a process.
    let project = tempfile::tempdir().expect("tempdir");
    common::write_project(
        project.path(),
        &format!(
            "[project]\nname = \"Bench\"\n[legacy]\nbind_dn = \"{READER}\"\nbind_password = \"env:CUTOVER_BENCH_LDAP_PW\"\n"
        ),
    );
    let t0 = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("--project")
        .arg(project.path())
        .args(["audit", &url, "--json", "--no-record"])
        .env("CUTOVER_BENCH_LDAP_PW", READER_PW)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("cutover audit");
    let pid = child.id().to_string();
    let mut rss = 0.0f64;
    while child.try_wait().expect("wait").is_none() {
        rss = rss.max(common::peak_rss_mb(&pid));
        std::thread::sleep(Duration::from_millis(20));
    }
    row(
        "`cutover audit` of slapd (whole process)",
        n,
        t0.elapsed().as_secs_f64(),
        rss,
    );

    // PostgreSQL through [legacy.sql].
    let pg = common::pg_server::Postgres::start();
    let mut db = postgres::Client::connect(&pg.url(), postgres::NoTls).expect("connect");
    db.batch_execute(&format!(
        "CREATE TABLE legacy_users AS SELECT 'u' || lpad(i::text, 7, '0') AS id,
            'user' || i || '@example.org' AS email,
            '$2b$10$' || rpad(md5(i::text), 53, 'x') AS password_hash,
            now() - (i % 600) * interval '1 day' AS last_login,
            now() - (700 + i % 700) * interval '1 day' AS created_at
         FROM generate_series(1, {n}) AS i"
    ))
    .expect("the table");
    let source = Source::Sql(cutover::export::sql::Query {
        url: pg.url(),
        text: "SELECT * FROM legacy_users".into(),
    });
    let (users, secs) = read(&source);
    assert_eq!(users, n, "every row read");
    row(
        "PostgreSQL, cursor (1,000 a fetch)",
        users,
        secs,
        common::peak_rss_mb("self"),
    );
}
