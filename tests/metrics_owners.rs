//! Who serves `/metrics`: the owning `watch` by `[project] metrics` alone, the cockpit when it
//! owns the project, and a watch that takes the project over; an address that cannot be
//! bound is refused at start, named with the fix, and never keeps a taking-over watch from
//! guarding.

mod common;

use common::{cutover, json, prom, write_project};
use cutover::owner::link::{Link, LinkConfig};
use cutover::owner::protocol::Role;
use std::time::Duration;

#[test]
fn the_cockpit_serves_project_metrics_when_it_owns_the_project() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &common::one_segment("", "").replace(
            "name = \"Hard\"",
            "name = \"Hard\"\nmetrics = \"127.0.0.1:0\"",
        ),
    );
    let rt = cutover::runtime::multi_thread().expect("runtime");
    let link = rt
        .block_on(Link::establish(LinkConfig::new(
            p.to_path_buf(),
            p.join(".cutover"),
            Role::Cockpit,
        )))
        .expect("the cockpit owns the project");
    let addr = link
        .metrics_addr()
        .expect("the owning cockpit serves metrics");
    assert!(addr.ip().is_loopback());
    let start = std::time::Instant::now();
    let text = loop {
        let (_, text) = prom::get(addr.port(), "/metrics").expect("a scrape");
        if text.contains("cutover_segment_phase{segment=\"eu\",phase=\"plan\"} 1") {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        text.contains("cutover_owner_info{role=\"cockpit\""),
        "{text}"
    );
    // One-shot commands work through it, and never serve metrics themselves.
    cutover(p).args(["advance", "eu"]).assert().success();
    rt.block_on(link.close(cutover::owner::StopMode::Now))
        .expect("close");
    // Closed: the port is free again.
    assert!(prom::get(addr.port(), "/metrics").is_none());
}

#[test]
fn project_metrics_serves_from_the_owning_watch_and_a_bad_address_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    // `[project] metrics` alone, a port alone (0: any free one): it binds 127.0.0.1.
    write_project(
        p,
        &common::one_segment("", "").replace("name = \"Hard\"", "name = \"Hard\"\nmetrics = \"0\""),
    );
    let (mut watch, lines) = common::spawn_logged({
        let mut c = common::bin(p);
        c.arg("watch");
        c
    });
    let start = std::time::Instant::now();
    let port: u16 = loop {
        let said = lines.lock().expect("lines").iter().find_map(|(_, l)| {
            l.split("serving metrics on http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.strip_suffix("/metrics"))
                .and_then(|port| port.parse().ok())
        });
        if let Some(port) = said {
            break port;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            lines.lock().expect("lines")
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = loop {
        if let Some((200, text)) = prom::get(port, "/metrics")
            && text.contains("cutover_segment_phase{segment=\"eu\",phase=\"plan\"} 1")
        {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no segments served"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(text.contains("cutover_owner_info{role=\"watch\""));
    assert_eq!(prom::get(port, "/nothing").map(|r| r.0), Some(404));
    assert_eq!(prom::get(port, "/").map(|r| r.0), Some(200));
    // Only GET (and HEAD) read the metrics: a POST is told which methods are allowed.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    std::io::Write::write_all(
        &mut s,
        b"POST /metrics HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .expect("post");
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut s, &mut reply).expect("reply");
    assert!(reply.starts_with("HTTP/1.1 405"), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("allow: get, head"),
        "{reply}"
    );
    let _ = watch.kill();
    let _ = watch.wait();

    // A second watch on another project cannot take a port in use: it says so and stops.
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = held.local_addr().expect("addr").to_string();
    let other = tempfile::tempdir().expect("tempdir");
    write_project(other.path(), &common::one_segment("", ""));
    let stderr = common::fails(cutover(other.path()).args(["watch", "--metrics", &taken]));
    assert!(
        stderr.contains(&format!("cannot serve metrics on {taken}"))
            && stderr.contains("another port"),
        "{stderr}"
    );
    let stderr = common::fails(cutover(other.path()).args(["watch", "--metrics", "nowhere:x"]));
    assert!(
        stderr.contains("--metrics") && stderr.contains("127.0.0.1:9464"),
        "{stderr}"
    );
}

#[test]
fn a_taken_port_never_keeps_a_taking_over_watch_from_guarding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &common::one_segment("", ""));
    let (mut first, _, _) = prom::metrics_watch(p, &[]);
    // The second watch asks for a port another program holds: it attaches and waits.
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = held.local_addr().expect("addr").to_string();
    let (mut second, lines) = common::spawn_logged({
        let mut c = common::bin(p);
        c.args(["watch", "--metrics", &taken]);
        c
    });
    let said = |needle: &str| {
        lines
            .lock()
            .expect("lines")
            .iter()
            .any(|(_, l)| l.contains(needle))
    };
    let start = std::time::Instant::now();
    while !said("serves them once it takes over") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            lines.lock().expect("lines")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The owner goes: the second watch takes the project over and guards it without metrics.
    let _ = first.kill();
    let _ = first.wait();
    while !said("metrics not served") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{:?}",
            lines.lock().expect("lines")
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(said(&format!("cannot serve metrics on {taken}")));
    assert_eq!(
        common::owner_pid(p, Duration::from_secs(10)),
        Some(u64::from(second.id())),
        "the second watch owns the project"
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["id"], "eu");
    let _ = second.kill();
    let _ = second.wait();
}
