//! One suite every storage backend passes (issue 24): sled, PostgreSQL (a real server on
//! 127.0.0.1) and the in-memory store keep the same promises to the engine — the log numbered
//! from 1 without gaps, every read and write answering with all that is past `after`, a hold
//! that reads what is new and ends with the append that records the decision (or with nothing
//! written), a hold asked now and granted later, samples and typed notes read back as written, a
//! reader that sees the same, and a restore into an empty state that goes on numbering. The
//! backends that persist also give back, after a reopen, everything they acknowledged; and
//! only the shared backend offers coordination (who leads, news, whether it answers).

mod common;

use chrono::{TimeZone, Utc};
use common::pg_server::Postgres;
use cutover::model::{Action, Event, NewEvent};
use cutover::store::memory::MemStore;
use cutover::store::pg_store::PgStore;
use cutover::store::{SampleLine, Storage, Store};

fn event(n: u32) -> NewEvent {
    let at = Utc
        .timestamp_opt(1_790_000_000 + i64::from(n) * 60, 0)
        .unwrap();
    NewEvent {
        reason: Some(format!("reason {n}")),
        detail: Some(format!("detail {n} ✓")),
        ..NewEvent::new(at, "eu", Action::Pause, &format!("lead-{n}"))
    }
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn line(metric: &str, minute: i64, value: f64) -> SampleLine {
    SampleLine {
        segment: "eu".into(),
        metric: metric.into(),
        at: Utc.timestamp_opt(1_790_000_000 + minute * 60, 0).unwrap(),
        value,
    }
}

/// The promises, on a fresh empty store from `open`; returns the log it wrote.
fn conformance(name: &str, open: &mut dyn FnMut() -> Box<dyn Storage>) -> Vec<Event> {
    let mut store = open();
    // Coordination is a separate capability: only a backend shared by several processes has
    // it, and then it answers.
    let shared = name == "postgres";
    assert_eq!(
        store.coordination().is_some(),
        shared,
        "{name}: coordination"
    );
    if let Some(c) = store.coordination() {
        c.probe();
        assert_eq!(c.unreachable_since(), None, "{name}: it answers");
        assert_eq!(c.guard().expect("guard"), None, "{name}: nobody leads yet");
    }
    assert!(
        store.events_after(0).expect("read").is_empty(),
        "{name}: a new state is empty"
    );
    assert!(
        !store.place().is_empty(),
        "{name}: says where it keeps the state"
    );

    // Appends are numbered from 1 and answer with everything past `after`.
    assert_eq!(
        seqs(&store.append(event(1), 0).expect("append")),
        [1],
        "{name}"
    );
    assert_eq!(
        seqs(&store.append(event(2), 1).expect("append")),
        [2],
        "{name}"
    );
    assert_eq!(
        seqs(&store.append(event(3), 1).expect("append")),
        [2, 3],
        "{name}: an append after a stale `after` brings what was missed, its own last"
    );
    assert_eq!(
        seqs(&store.events_after(1).expect("read")),
        [2, 3],
        "{name}"
    );
    assert!(store.events_after(3).expect("read").is_empty(), "{name}");

    // A hold reads what is new and ends with the append that records the decision.
    assert_eq!(seqs(&store.hold("eu", 1).expect("hold")), [2, 3], "{name}");
    assert_eq!(
        seqs(&store.append(event(4), 3).expect("append")),
        [4],
        "{name}"
    );
    store.release();
    // A hold given up writes nothing.
    assert!(store.hold("eu", 4).expect("hold").is_empty(), "{name}");
    store.release();
    assert_eq!(
        store.events_after(0).expect("read").len(),
        4,
        "{name}: a release writes nothing"
    );
    // A hold asked now, waited for elsewhere, granted, then ended by the append.
    let ticket = store.hold_later("eu", 2);
    let fresh = std::thread::spawn(move || ticket.wait())
        .join()
        .expect("waiter")
        .expect("granted");
    assert_eq!(seqs(&fresh), [3, 4], "{name}");
    store.hold_granted();
    assert_eq!(
        seqs(&store.append(event(5), 4).expect("append")),
        [5],
        "{name}"
    );
    store.release();

    // Bodies come back as they were written.
    let log = store.events_after(0).expect("read");
    assert_eq!(seqs(&log), [1, 2, 3, 4, 5], "{name}");
    for (n, e) in (1..).zip(&log) {
        assert_eq!(e.body, event(n), "{name}: event {n} as written");
    }

    // Samples: the newest of each series, none for a series never written.
    store
        .put_samples(&[
            line("migrated", 1, 10.0),
            line("migrated", 2, 25.5),
            line("errors", 1, 3.0),
        ])
        .expect("samples");
    store.sync().expect("sync");
    (store.flusher())().expect("flush off the loop");
    let newest = |s: &dyn Storage, metric: &str| s.latest("eu", metric).expect("latest");
    assert_eq!(
        newest(store.as_ref(), "migrated").map(|(_, v)| v),
        Some(25.5),
        "{name}"
    );
    assert_eq!(
        newest(store.as_ref(), "errors").map(|(_, v)| v),
        Some(3.0),
        "{name}"
    );
    assert_eq!(newest(store.as_ref(), "logins"), None, "{name}");
    // Notes: a lead's cockpit memory and a sink's cursor, typed.
    let notes = store.notes();
    let prefs = cutover::model::prefs::UserPrefs {
        sort: cutover::model::prefs::SortKey::Phase,
        seen_seq: Some(3),
        ..Default::default()
    };
    notes.set_prefs("alice", &prefs).expect("prefs");
    notes.set_cursor("ops-webhook", 4).expect("cursor");
    assert_eq!(notes.prefs("alice").expect("prefs"), Some(prefs), "{name}");
    assert_eq!(notes.prefs("bob").expect("prefs"), None, "{name}");
    assert_eq!(
        notes.cursor("ops-webhook").expect("cursor"),
        Some(4),
        "{name}"
    );
    assert_eq!(notes.cursor("pager").expect("cursor"), None, "{name}");

    // A reader (backup, verify) sees the same, off the owner's loop.
    let reader = store.reader();
    let read = std::thread::spawn(move || reader.events().expect("reader"))
        .join()
        .expect("reader thread");
    assert_eq!(read, log, "{name}: the reader's log");

    // A restore into an empty state keeps the numbers and goes on from them.
    let mut other = open();
    other.restore_events(&log).expect("restore");
    assert_eq!(
        other.events_after(0).expect("read"),
        log,
        "{name}: restored"
    );
    assert_eq!(
        seqs(&other.append(event(6), 5).expect("append")),
        [6],
        "{name}"
    );
    log
}

#[test]
fn the_in_memory_store_keeps_the_storage_promises() {
    let dir = tempfile::tempdir().expect("tempdir");
    conformance("memory", &mut || Box::new(MemStore::new(dir.path())));
}

#[test]
fn sled_keeps_the_storage_promises_and_what_it_acknowledged_survives_a_reopen() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    let mut dirs = Vec::new();
    let log = conformance("sled", &mut || {
        n += 1;
        let dir = root.path().join(format!("state-{n}"));
        dirs.push(dir.clone());
        Box::new(Store::open(&dir).expect("open"))
    });
    // The first store was dropped at the end of the suite: open it again.
    let again = Store::open(&root.path().join("state-1")).expect("reopen");
    assert_eq!(again.events_after(0).expect("read"), log);
    assert_eq!(
        again
            .latest("eu", "migrated")
            .expect("latest")
            .map(|(_, v)| v),
        Some(25.5)
    );
}

#[test]
fn postgres_keeps_the_storage_promises_and_what_it_acknowledged_survives_a_reopen() {
    let pg = Postgres::start();
    let mut admin = postgres::Client::connect(&pg.url(), postgres::NoTls).expect("admin");
    let root = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    let base = pg.url();
    let url_of = |n: u32| {
        let server = base
            .strip_suffix("/postgres")
            .expect("a URL to the postgres database");
        format!("{server}/conformance_{n}")
    };
    let log = conformance("postgres", &mut || {
        n += 1;
        admin
            .batch_execute(&format!("CREATE DATABASE conformance_{n}"))
            .expect("create database");
        let dir = root.path().join(format!("state-{n}"));
        Box::new(PgStore::open(&dir, &url_of(n), "Conformance").expect("open"))
    });
    let again =
        PgStore::open(&root.path().join("again"), &url_of(1), "Conformance").expect("reopen");
    assert_eq!(again.events_after(0).expect("read"), log);
    assert_eq!(
        again
            .latest("eu", "migrated")
            .expect("latest")
            .map(|(_, v)| v),
        Some(25.5)
    );
}
