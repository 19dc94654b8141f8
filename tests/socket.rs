//! The project's socket as an attacker or a broken client meets it (issue 9): it is private
//! to its user, a connection from another uid is refused by name, garbage and oversized
//! frames end only their own connection, and neither a client that stops reading nor a
//! hundred connections at once slow the owner's polling down.
//!
//! The owner is the real binary (`cutover watch`); clients are raw Unix sockets speaking the
//! length-delimited JSON frames of `cutover::owner::protocol`.

mod common;

use common::raw::{Owner, frame, hello, hello_frame, read_frame, socket};
use common::{cutover, json, route, serve_routes, write_project};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;

use std::process::Command;
use std::time::{Duration, Instant};

fn project(url: &str, segments: usize, every_ms: u64) -> String {
    let mut t = String::from("[project]\nname = \"Socket\"\n");
    for i in 0..segments {
        t += &format!(
            "\n[[segments]]\nid = \"s{i}\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n\
             [segments.sources.migrated]\nkind = \"json\"\nurl = \"{url}/count\"\npointer = \"/total\"\nevery = \"{every_ms}ms\"\ntimeout = \"1s\"\n"
        );
    }
    t
}

/// How many requests the test server saw in `window`.
fn rate(seen: &std::sync::Arc<std::sync::Mutex<Vec<common::Seen>>>, window: Duration) -> usize {
    let before = seen.lock().expect("lock").len();
    std::thread::sleep(window);
    seen.lock().expect("lock").len() - before
}

#[test]
fn the_socket_is_private_and_another_user_is_refused_by_name() {
    let server = serve_routes(vec![route("/count", 200, r#"{"total": 10}"#)]);
    let dir = tempfile::tempdir().expect("tempdir");
    // `nobody` must be able to reach the folder to try at all.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    write_project(dir.path(), &project(&server.url, 1, 500));
    let _owner = Owner::start(dir.path());
    let sock = socket(dir.path());
    let mode = std::fs::metadata(&sock).expect("sock").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "socket mode {mode:o}");

    let as_nobody = || {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_cutover"))
            .arg("--project")
            .arg(dir.path())
            .args(["advance", "s0"])
            .output()
            .expect("setpriv (util-linux) runs the binary as nobody")
    };
    // The file mode keeps nobody out.
    let out = as_nobody();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ermission denied"), "{stderr}");
    // Even with the mode loosened, the owner checks the peer's uid and says who was refused.
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let out = as_nobody();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("user 'nobody' may not use this project")
            && stderr.contains("socket_group"),
        "{stderr}"
    );
    // Nothing happened to the project.
    let log = json(cutover(dir.path()).args(["log", "--json"]));
    let acted: Vec<_> = log
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["kind"] != "guarding")
        .collect();
    assert!(acted.is_empty(), "{log}");
}

#[test]
fn garbage_and_oversized_frames_end_only_their_own_connection() {
    let server = serve_routes(vec![route("/count", 200, r#"{"total": 10}"#)]);
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &project(&server.url, 1, 500));
    let _owner = Owner::start(dir.path());
    let sock = socket(dir.path());

    // Bytes that are not a frame: the length reads as ~1.9 GB, over the cap.
    let mut garbage = UnixStream::connect(&sock).expect("connect");
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("write");
    let bye = read_frame(&mut garbage).expect("a goodbye");
    assert_eq!(bye["msg"], "goodbye", "{bye}");
    assert!(
        bye["reason"].as_str().unwrap_or_default().contains("frame"),
        "{bye}"
    );
    // A well-framed hello, then an oversized frame after it.
    let mut big = UnixStream::connect(&sock).expect("connect");
    assert_eq!(hello(&mut big)["msg"], "welcome");
    big.write_all(&(10_000_000u32).to_be_bytes())
        .expect("header");
    let _ = big.write_all(&vec![b'x'; 100_000]);
    let mut saw_goodbye = false;
    while let Some(msg) = read_frame(&mut big) {
        saw_goodbye |= msg["msg"] == "goodbye";
    }
    assert!(saw_goodbye, "an oversized frame is answered with a goodbye");
    // A frame that is JSON but not a message.
    let mut wrong = UnixStream::connect(&sock).expect("connect");
    assert_eq!(hello(&mut wrong)["msg"], "welcome");
    frame(
        &mut wrong,
        br#"{"msg":"request","id":1,"request":{"request":"format-disk"}}"#,
    )
    .expect("write");
    let bye = read_frame(&mut wrong).expect("a goodbye");
    assert!(
        bye["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not a cutover message"),
        "{bye}"
    );
    // The owner is unharmed: a well-behaved client gets its answer.
    let mut good = UnixStream::connect(&sock).expect("connect");
    let welcome = hello(&mut good);
    assert_eq!(welcome["role"], "watch");
    frame(
        &mut good,
        br#"{"msg":"request","id":7,"request":{"request":"status"}}"#,
    )
    .expect("w");
    let reply = read_frame(&mut good).expect("reply");
    assert_eq!(reply["id"], 7);
    assert_eq!(reply["reply"]["reply"], "status", "{reply}");
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["project"], "Socket");
}

#[test]
fn a_stalled_client_and_a_hundred_connections_never_slow_polling() {
    let server = serve_routes(vec![route("/count", 200, r#"{"total": 10}"#)]);
    let dir = tempfile::tempdir().expect("tempdir");
    // 20 sources every 100 ms: 200 polls a second, each told to a subscriber of polls.
    write_project(dir.path(), &project(&server.url, 20, 100));
    let _owner = Owner::start(dir.path());
    let sock = socket(dir.path());
    std::thread::sleep(Duration::from_millis(500));
    let baseline = rate(&server.seen, Duration::from_secs(2));
    assert!(baseline >= 200, "polling at all: {baseline} in 2 s");

    // A subscriber to every poll that never reads what it is sent.
    let mut stalled = UnixStream::connect(&sock).expect("connect");
    assert_eq!(hello(&mut stalled)["msg"], "welcome");
    frame(
        &mut stalled,
        br#"{"msg":"request","id":1,"request":{"request":"subscribe","polls":true}}"#,
    )
    .expect("subscribe");
    // A hundred connections at once: idle, half-open, garbage, and real requests.
    let crowd: Vec<UnixStream> = (0..100)
        .map(|i| {
            let mut s = UnixStream::connect(&sock).expect("connect");
            match i % 4 {
                0 => {}
                1 => {
                    let _ = s.write_all(&[0, 0]);
                }
                2 => {
                    let _ = s.write_all(b"\xff\xff\xff\xffjunk");
                }
                _ => {
                    let _ = frame(&mut s, &hello_frame());
                    let _ = frame(
                        &mut s,
                        br#"{"msg":"request","id":1,"request":{"request":"status"}}"#,
                    );
                }
            }
            s
        })
        .collect();
    let loaded = rate(&server.seen, Duration::from_secs(2));
    assert!(
        loaded * 10 >= baseline * 7,
        "polling slowed from {baseline} to {loaded} per 2 s"
    );
    // Another client is answered promptly while all that goes on.
    let start = Instant::now();
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"].as_array().expect("segments").len(), 20);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "status took {:?}",
        start.elapsed()
    );
    drop(crowd);
    // The stalled client is dropped once a write to it has waited 5 s (or its queue is full):
    // its stream ends. Stay stalled long enough for that.
    std::thread::sleep(Duration::from_secs(9));
    stalled
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let start = Instant::now();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match stalled.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => panic!("the stalled client was never dropped: {e}"),
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never dropped");
    }
    let after = rate(&server.seen, Duration::from_secs(1));
    assert!(after * 20 >= baseline * 7, "polling after: {after} per s");
}

#[test]
fn a_socket_group_opens_the_socket_to_that_group_and_restore_waits_for_the_owner() {
    let server = serve_routes(vec![route("/count", 200, r#"{"total": 10}"#)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let text = project(&server.url, 1, 500).replace(
        "name = \"Socket\"",
        "name = \"Socket\"\nsocket_group = \"root\"",
    );
    write_project(dir.path(), &text);
    let _owner = Owner::start(dir.path());
    let meta = std::fs::metadata(socket(dir.path())).expect("sock");
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    assert_eq!(
        std::os::unix::fs::MetadataExt::gid(&meta),
        0,
        "the group owns it"
    );
    // Restoring into a state someone owns is refused, naming them.
    let stderr = common::fails(cutover(dir.path()).args(["state", "restore", "anywhere"]));
    assert!(stderr.contains("in use by pid"), "{stderr}");
}
