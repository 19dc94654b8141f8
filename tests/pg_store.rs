//! The PostgreSQL storage under the engine, on a real server (127.0.0.1, free port): two
//! leads acting on one segment at the same instant (one wins, the other is refused naming the
//! winning event), the log refusing updates and deletes, a newer schema refused, every append
//! notified on LISTEN/NOTIFY, samples read back as sled reads them, and an unreachable server
//! as a clear error that is remembered, then recovered from.

mod common;

use chrono::{TimeZone, Utc};
use common::pg_server::Postgres;
use cutover::engine::{Command, Engine, EngineError};
use cutover::model::{Action, Phase};
use cutover::store::pg::{CHANNEL, PgError};
use cutover::store::pg_store::PgStore;
use std::sync::{Arc, Barrier};
use std::time::Duration;

const TOML: &str = "[project]\nname = \"Team\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n";

fn engine(url: &str) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_project(dir.path(), TOML);
    let (project, _) = cutover::config::load(dir.path()).expect("project");
    let store = PgStore::open(&dir.path().join(".cutover"), url, "Team").expect("open");
    let engine = Engine::new(project, dir.path().to_path_buf(), store).expect("engine");
    (dir, engine)
}

fn cmd(actor: &str, action: Action, expect: Option<Phase>) -> Command {
    Command {
        segment: "eu".into(),
        action,
        actor: actor.into(),
        reason: None,
        expect,
    }
}

#[test]
fn two_leads_pressing_advance_at_once_one_wins_and_the_other_is_told_by_whom() {
    let pg = Postgres::start();
    let url = pg.url();
    let t0 = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let (_d, mut first) = engine(&url);
    for _ in 0..2 {
        first
            .request(&cmd("setup", Action::Advance, None), t0)
            .expect("to gate");
    }
    for round in 0..5 {
        let barrier = Arc::new(Barrier::new(2));
        let leads: Vec<_> = ["alice", "bob"]
            .into_iter()
            .map(|actor| {
                let (url, barrier) = (url.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let (_d, mut e) = engine(&url);
                    let seen = e.state("eu").phase;
                    barrier.wait();
                    let action = if seen == Phase::Gate {
                        Action::Advance
                    } else {
                        Action::RollBack
                    };
                    let mut c = cmd(actor, action, Some(seen));
                    c.reason = Some("race".into());
                    e.request(&c, t0)
                        .map(|_| actor)
                        .map_err(|err| err.to_string())
                })
            })
            .collect();
        let results: Vec<_> = leads.into_iter().map(|t| t.join().expect("lead")).collect();
        let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(won.len(), 1, "round {round}: exactly one wins: {results:?}");
        let refusal = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("the other is refused");
        assert!(
            refusal.contains("since you looked") && refusal.contains(&format!("by {}", won[0])),
            "round {round}: {refusal}"
        );
        // Back to gate for the next round.
        first.refresh().expect("refresh");
        match first.state("eu").phase {
            Phase::Cutover => {
                let mut c = cmd("setup", Action::RollBack, None);
                c.reason = Some("again".into());
                first.request(&c, t0).expect("rollback");
                first
                    .request(&cmd("setup", Action::Replan, None), t0)
                    .expect("replan");
                for _ in 0..2 {
                    first
                        .request(&cmd("setup", Action::Advance, None), t0)
                        .expect("to gate");
                }
            }
            other => panic!("round {round}: eu is in {other}"),
        }
    }
}

#[test]
fn the_log_is_append_only_notified_and_a_newer_schema_is_refused() {
    let pg = Postgres::start();
    let url = pg.url();
    let mut listener = ::postgres::Client::connect(&url, ::postgres::NoTls).expect("connect");
    let (dir, mut e) = engine(&url);
    listener
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .expect("listen");
    let t0 = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let step = e
        .request(&cmd("a", Action::Advance, None), t0)
        .expect("advance");
    let seq = match step {
        cutover::engine::Step::Done(ev) => ev.seq,
        other => panic!("{other:?}"),
    };
    {
        use ::postgres::fallible_iterator::FallibleIterator;
        let mut n = listener.notifications();
        let note = n
            .timeout_iter(Duration::from_secs(5))
            .next()
            .expect("delivered")
            .expect("a notification within 5 s");
        assert_eq!(note.payload(), seq.to_string());
    }
    for sql in [
        "UPDATE cutover_events SET segment = 'x'",
        "DELETE FROM cutover_events",
    ] {
        let err = listener.execute(sql, &[]).expect_err("refused");
        let message = err.as_db_error().map(|d| d.message().to_string());
        assert_eq!(
            message.as_deref(),
            Some("the cutover event log is append-only")
        );
    }
    // Samples go through the same block store as on sled.
    let at = Utc.timestamp_opt(1_790_000_100, 0).unwrap();
    e.record_sample("eu", "migrated", at, 42.0).expect("sample");
    assert_eq!(
        e.store().latest("eu", "migrated").expect("latest"),
        Some((at, 42.0))
    );
    drop(e);
    drop(dir);
    // One database, one project: another project's state is not mixed in.
    let other = tempfile::tempdir().expect("tempdir");
    let err = PgStore::open(other.path(), &url, "Other")
        .err()
        .expect("another project is refused");
    assert!(
        err.to_string().contains("holds the project 'Team'"),
        "{err}"
    );
    listener
        .execute(
            "UPDATE cutover_meta SET value = '99' WHERE key = 'schema_version'",
            &[],
        )
        .expect("bump");
    let dir = tempfile::tempdir().expect("tempdir");
    let err = PgStore::open(dir.path(), &url, "Team")
        .err()
        .expect("a newer schema is refused");
    assert!(err.to_string().contains("newer cutover"), "{err}");
}

#[test]
fn an_unreachable_server_is_a_clear_error_and_a_refusal() {
    let pg = Postgres::start();
    let url = pg.url();
    let (_d, mut e) = engine(&url);
    pg.stop();
    let t0 = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let err = e
        .request(&cmd("a", Action::Advance, None), t0)
        .expect_err("refused");
    assert!(
        matches!(
            &err,
            EngineError::Store(cutover::store::StoreError::Database(PgError::Unreachable(
                _
            )))
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("cannot reach the state database"),
        "{err}"
    );
    let since = e.unreachable_since().expect("the outage is remembered");
    // A status needs the samples, which live in the database: it says why it cannot answer.
    let status = e.status(t0).expect_err("no status without the database");
    assert!(
        status
            .to_string()
            .contains("cannot reach the state database"),
        "{status}"
    );
    assert!(since <= Utc::now());
    pg.launch();
    // It reconnects by itself (after a failed connect it waits 2 s before the next one).
    let back = std::time::Instant::now();
    while let Err(err) = e.request(&cmd("a", Action::Advance, None), t0) {
        assert!(back.elapsed() < Duration::from_secs(10), "not back: {err}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(e.unreachable_since(), None);
    // TLS when the URL asks for it: this server offers none, which is said, not ignored.
    let dir = tempfile::tempdir().expect("tempdir");
    let err = PgStore::open(dir.path(), &format!("{url}?sslmode=require"), "Team")
        .err()
        .expect("no TLS, no connection");
    assert!(
        err.to_string().contains("cannot reach the state database"),
        "{err}"
    );
    pg.stop();
    let err = PgStore::open(dir.path(), &url, "Team")
        .err()
        .expect("unreachable");
    assert!(
        err.to_string().contains("cannot reach the state database"),
        "{err}"
    );
}

#[test]
fn two_processes_writing_one_series_at_once_lose_no_sample() {
    let pg = Postgres::start();
    let url = pg.url();
    let t0 = Utc.timestamp_opt(1_790_000_000, 0).unwrap();
    let writers: Vec<_> = (0..2i64)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let (_d, mut e) = engine(&url);
                for i in 0..150i64 {
                    let at = t0 + chrono::Duration::seconds(i * 2 + w);
                    e.record_sample("eu", "migrated", at, (i * 2 + w) as f64)
                        .expect("sample");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let (_d, e) = engine(&url);
    let totals = e
        .store()
        .samples()
        .totals("eu", "migrated")
        .expect("totals");
    assert_eq!(totals.count, 300, "every sample of both writers");
    assert_eq!(totals.sum, (0..300).sum::<i64>() as f64);
    let day = e
        .store()
        .samples()
        .rollups(
            "eu",
            "migrated",
            cutover::model::rollup::Resolution::Day,
            0,
            i64::MAX / 4,
        )
        .expect("day");
    assert_eq!(
        day.iter().map(|r| r.count).sum::<u32>(),
        300,
        "the day rollup counts them all"
    );
    assert_eq!(
        e.store()
            .latest("eu", "migrated")
            .expect("latest")
            .map(|(_, v)| v),
        Some(299.0)
    );
}
