//! Slow readers against the owner (issue 23, §1): a bench binary that prints a table.
//!
//! The project: 300 segments, 41 of them in cutover with 20 days of history (a sample every
//! 3 h), so a snapshot frame is about 280 KB. The owner is the real `cutover watch` (release build). Against
//! it, at once:
//! * three clients each send 4,000 `snapshot` requests and read 16 KB every 0.2 s, for 20 s;
//! * then eight clients send 4,000 `snapshot` requests each and never read, for 20 s;
//! * all along, a lead runs `cutover status` (the whole process) again and again.
//!
//! Measured, with goals: the owner's RSS (VmRSS) under each load (< 100 MB), after the
//! clients went, and the wall time of each concurrent `status` (< 100 ms), against the same
//! `status` on the idle owner.
//!
//! Run: `cargo bench --bench slow_readers` (`CUTOVER_BENCH_KEEP=DIR` keeps the project in DIR).

#[path = "../tests/common/mod.rs"]
mod common;

use common::raw::{frame, hello};
use common::{history, rss_mb};
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SEGMENTS: usize = 300;
const IN_CUTOVER: usize = 41;
const DAYS: i64 = 20;

/// A client that asks for 4,000 snapshots and reads `chunk` bytes every 0.2 s (0: never).
fn client(sock: &Path, chunk: usize, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let sock = sock.to_path_buf();
    std::thread::spawn(move || {
        let Ok(mut s) = UnixStream::connect(&sock) else {
            return 0;
        };
        hello(&mut s);
        let mut w = s.try_clone().expect("clone");
        let writer = std::thread::spawn(move || {
            for id in 1..=4000u64 {
                let body =
                    format!(r#"{{"msg":"request","id":{id},"request":{{"request":"snapshot"}}}}"#);
                if frame(&mut w, body.as_bytes()).is_err() {
                    break;
                }
            }
        });
        let mut read = 0u64;
        let mut buf = vec![0u8; chunk.max(1)];
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        while !stop.load(Ordering::Relaxed) {
            if chunk > 0 {
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => read += n as u64,
                    Err(_) => {}
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        drop(s);
        let _ = writer.join();
        read
    })
}

fn main() {
    // CUTOVER_BENCH_KEEP=DIR builds the project there and keeps it (to profile it after).
    let dir = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("CUTOVER_BENCH_KEEP").map(std::path::PathBuf::from);
    let p = kept.as_deref().unwrap_or(dir.path());
    let built = Instant::now();
    history::busy(p, SEGMENTS, IN_CUTOVER, DAYS, 3 * 3600);
    eprintln!(
        "built the project in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let mut watch: Child = common::bin(p)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let pid = watch.id();
    let sock = p.join(".cutover/sock");
    let start = Instant::now();
    while UnixStream::connect(&sock).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "no owner");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    let idle = rss_mb(pid);
    // One snapshot's size, as a client reads it.
    let mut one = UnixStream::connect(&sock).expect("connect");
    hello(&mut one);
    frame(
        &mut one,
        br#"{"msg":"request","id":1,"request":{"request":"snapshot"}}"#,
    )
    .expect("ask");
    let mut len = [0u8; 4];
    one.read_exact(&mut len).expect("frame");
    let frame_kb = u32::from_be_bytes(len) as f64 / 1024.0;
    drop(one);

    let idle_status = statuses(p, pid, Duration::from_secs(5)).1;
    let stop = Arc::new(AtomicBool::new(false));
    let slow: Vec<_> = (0..3)
        .map(|_| client(&sock, 16 * 1024, stop.clone()))
        .collect();
    let (slow_peak, slow_status) = statuses(p, pid, Duration::from_secs(20));
    stop.store(true, Ordering::Relaxed);
    let read: u64 = slow.into_iter().map(|c| c.join().unwrap_or(0)).sum();
    std::thread::sleep(Duration::from_secs(3));
    let after_slow = rss_mb(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let mute: Vec<_> = (0..8).map(|_| client(&sock, 0, stop.clone())).collect();
    let (mute_peak, mute_status) = statuses(p, pid, Duration::from_secs(20));
    stop.store(true, Ordering::Relaxed);
    for c in mute {
        let _ = c.join();
    }
    std::thread::sleep(Duration::from_secs(3));
    let after = rss_mb(pid);
    let _ = watch.kill();
    let _ = watch.wait();

    println!(
        "snapshot frame {frame_kb:.0} KB; the three slow readers read {:.1} MB in 20 s",
        read as f64 / 1e6
    );
    println!("| load | owner RSS peak | RSS 3 s after | `status` p50 / max (runs) | goal |");
    println!("|---|---|---|---|---|");
    println!("| idle | {idle:.0} MB | | {} | |", summary(idle_status));
    println!(
        "| 3 slow readers | {slow_peak:.0} MB | {after_slow:.0} MB | {} | < 100 MB, < 100 ms |",
        summary(slow_status)
    );
    println!(
        "| 8 clients that never read | {mute_peak:.0} MB | {after:.0} MB | {} | < 100 MB, < 100 ms |",
        summary(mute_status)
    );
}

/// `cutover status` run again and again for `span`: the owner's peak RSS meanwhile and each
/// run's wall time in ms.
fn statuses(p: &Path, pid: u32, span: Duration) -> (f64, Vec<f64>) {
    let (mut peak, mut ms) = (0.0f64, Vec::new());
    let start = Instant::now();
    while start.elapsed() < span {
        let t = Instant::now();
        let ok = common::bin(p)
            .arg("status")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        peak = peak.max(rss_mb(pid));
        std::thread::sleep(Duration::from_millis(200));
    }
    (peak, ms)
}

fn summary(mut ms: Vec<f64>) -> String {
    if ms.is_empty() {
        return "none answered".into();
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    format!("{:.0} / {:.0} ms ({})", at(0.5), at(1.0), ms.len())
}
