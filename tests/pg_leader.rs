//! Exactly one leader per project on a real PostgreSQL: while a live process holds the
//! leadership nobody else gets it, and when that process is killed with SIGKILL another takes
//! it over within 10 s, every time (the holder is this test binary, run again as a child).

mod common;

use common::pg_server::Postgres;
use cutover::store::pg_leader::Leadership;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The child's part: take the leadership of the project named in the environment, say so,
/// and hold it until killed. Not a test of its own: the takeover test runs it as its child.
#[test]
#[ignore = "run as a child process by a_killed_leader_is_replaced_within_ten_seconds_every_time"]
fn holder_child() {
    let (Ok(url), Ok(project)) = (
        std::env::var("CUTOVER_TEST_PG_URL"),
        std::env::var("CUTOVER_TEST_LEADER_OF"),
    ) else {
        return;
    };
    let lead = Leadership::try_take(&url, &project).expect("database");
    // On its own line: libtest has printed "test holder_child ... " without one.
    println!(
        "\nholder: {}",
        if lead.is_some() { "LEADER" } else { "STANDBY" }
    );
    std::thread::sleep(Duration::from_secs(120));
    drop(lead);
}

fn spawn_holder(url: &str, project: &str) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "holder_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("CUTOVER_TEST_PG_URL", url)
        .env("CUTOVER_TEST_LEADER_OF", project)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child");
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| {
            seen.push(l.clone());
            l.starts_with("holder: ")
        })
        .unwrap_or_else(|| panic!("the child did not say whether it leads: {seen:?}"));
    assert_eq!(line, "holder: LEADER");
    child
}

#[test]
fn a_killed_leader_is_replaced_within_ten_seconds_every_time() {
    let pg = Postgres::start();
    let url = pg.url();
    let mut worst = Duration::ZERO;
    for round in 0..10 {
        let mut holder = spawn_holder(&url, "acme");
        assert!(
            Leadership::try_take(&url, "acme").expect("db").is_none(),
            "round {round}: two leaders"
        );
        // Another project has a leadership of its own.
        assert!(Leadership::try_take(&url, "other").expect("db").is_some());
        let killed = Instant::now();
        holder.kill().expect("SIGKILL");
        holder.wait().expect("reaped");
        let mut taken = None;
        while taken.is_none() {
            assert!(
                killed.elapsed() < Duration::from_secs(10),
                "round {round}: nobody took over within 10 s"
            );
            taken = Leadership::try_take(&url, "acme").expect("db");
            if taken.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        worst = worst.max(killed.elapsed());
        let mut lead = taken.expect("taken");
        assert!(lead.still_held());
        // A vanished machine is noticed by the server through keepalives, within seconds.
        assert_eq!(lead.setting("tcp_keepalives_idle").as_deref(), Some("3"));
        assert_eq!(lead.setting("tcp_keepalives_count").as_deref(), Some("3"));
    }
    eprintln!("worst takeover after SIGKILL: {worst:?}");
}

#[test]
fn a_leader_notices_when_the_database_goes_away() {
    let pg = Postgres::start();
    let mut lead = Leadership::try_take(&pg.url(), "acme")
        .expect("db")
        .expect("free");
    assert!(lead.still_held());
    pg.stop();
    assert!(!lead.still_held(), "a dead connection is no leadership");
}
