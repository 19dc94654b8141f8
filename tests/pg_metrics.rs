//! Metrics on the team backend: two `cutover watch --metrics` processes on two "machines" over
//! one real PostgreSQL. Only the leader exports the project; the standby exports its owner
//! series alone, so a dashboard summing both never counts a segment twice. When the leader
//! stops, the standby takes over and exports the segments. The database URL's password
//! reaches neither endpoint.

mod common;

use common::pg_server::Postgres;
use common::{prom, write_project};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Pw-metrics-4b1d-never-shown";

fn scrape(addr: &str) -> String {
    prom::scrape(addr, "text/plain").1
}

fn leads(text: &str) -> bool {
    text.contains("\ncutover_owner_leader 1\n")
}

#[test]
fn only_the_leader_exports_the_segments_and_the_standby_takes_over() {
    let pg = Postgres::start();
    let url = pg
        .url()
        .replace("postgres@", &format!("postgres:{PASSWORD}@"));
    let toml = "[project]\nname = \"Metrics team\"\n[state]\nbackend = \"postgres\"\nurl = \"env:CUTOVER_DATABASE_URL\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n";
    let (a, b) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    for m in [&a, &b] {
        write_project(m.path(), toml);
    }
    let env = [("CUTOVER_DATABASE_URL", url.as_str())];
    let (mut first, _, first_addr) = prom::metrics_watch(a.path(), &env);
    let (mut second, _, second_addr) = prom::metrics_watch(b.path(), &env);

    // Exactly one leads; only it shows segments.
    let start = Instant::now();
    let (leader, standby) = loop {
        let (x, y) = (scrape(&first_addr), scrape(&second_addr));
        if leads(&x) != leads(&y)
            && (x.contains("cutover_segment_phase{") || y.contains("cutover_segment_phase{"))
        {
            break if leads(&x) { (x, y) } else { (y, x) };
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never one leader:\n{x}\n---\n{y}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(leader.contains("cutover_segment_phase{segment=\"eu\",phase=\"plan\"} 1"));
    assert!(standby.contains("cutover_owner_leader 0"), "{standby}");
    assert!(standby.contains("cutover_owner_info{role=\"watch\""));
    assert!(
        !standby.contains("cutover_segment") && !standby.contains("cutover_guard"),
        "a standby exports its owner series only:\n{standby}"
    );
    for text in [&leader, &standby] {
        assert!(!text.contains(PASSWORD));
    }

    // The leader stops: the standby leads and exports the segments.
    let (stopped, survivor, survivor_addr) = if leads(&scrape(&first_addr)) {
        (&mut first, &mut second, second_addr)
    } else {
        (&mut second, &mut first, first_addr)
    };
    let _ = stopped.kill();
    let _ = stopped.wait();
    let start = Instant::now();
    loop {
        let text = scrape(&survivor_addr);
        if leads(&text) && text.contains("cutover_segment_phase{segment=\"eu\",phase=\"plan\"} 1") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "the standby never took over:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let _ = survivor.kill();
    let _ = survivor.wait();
}
