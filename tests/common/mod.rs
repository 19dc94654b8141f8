//! Helpers shared by the integration tests: the real binary, temporary projects.
#![allow(dead_code)]

pub mod firebase;
pub mod history;
pub mod keys;
pub mod measure;
pub mod moving;
pub mod pg_server;
pub mod prom;
pub mod raw;
pub mod receiver;
pub mod slapd;
pub mod tmux;
pub mod vendors;

use assert_cmd::Command;
use std::path::Path;

/// The real `cutover` binary, run in `dir` as its project, with a fixed actor.
pub fn cutover(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.arg("--project")
        .arg(dir)
        .env("USER", "tester")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// The real binary on the project in `dir`, as a plain process (for spawning, killing and
/// reading it while it runs).
pub fn bin(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"));
    cmd.arg("--project").arg(dir);
    cmd
}

/// A segment `us` in cutover's reach, guarded by its `failure_rate` (read from `rate.txt`
/// every 100 ms, at most 0.02), rolled back by the guard after 2 failing evaluations.
pub const GUARDED_US: &str = r#"[[segments]]
id = "us"
strategy = "slow"
size = 1000
login_probability = 0.1
goal = 0.99
auto_rollback = true
failures_before_rollback = 2
[segments.sources.failure_rate]
kind = "command"
command = ["cat", "rate.txt"]
every = "100ms"
[[segments.gates]]
metric = "failure_rate"
max = 0.02
"#;

/// Write `cutover.toml` into `dir`.
pub fn write_project(dir: &Path, toml: &str) {
    std::fs::write(dir.join("cutover.toml"), toml).expect("write cutover.toml");
}

/// Write an executable shell script (a test's hook) into `dir`.
pub fn write_script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// stdout of a successful run, parsed as JSON.
pub fn json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("run cutover");
    assert!(
        out.status.success(),
        "cutover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Runs a command that must fail with exit 1, and returns its stderr. Fails the test on a
/// panic or a multi-line first message without the expected text.
pub fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run cutover");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1, stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    stderr
}

/// One HTTP request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read one HTTP/1.1 request: its line, headers and (by content-length) body.
fn read_request(stream: &std::net::TcpStream) -> Option<Seen> {
    use std::io::{BufRead, BufReader, Read};
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    Some(Seen {
        request_line: request_line.trim().to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (port 0): answers each request with the next
/// `(status, delay_ms, body)` of the script (the last one repeats) and records what it saw.
pub struct TestServer {
    pub url: String,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

pub fn serve(script: Vec<(u16, u64, String)>) -> TestServer {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let Some(seen) = read_request(&stream) else {
                continue;
            };
            log.lock().expect("lock").push(seen);
            let (status, delay, text) =
                script
                    .get(n)
                    .or(script.last())
                    .cloned()
                    .unwrap_or((200, 0, String::new()));
            std::thread::sleep(std::time::Duration::from_millis(delay));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    TestServer { url, seen }
}

/// A route of [`serve_routes`]: requests whose path starts with `prefix` get this answer.
#[derive(Clone)]
pub struct Route {
    pub prefix: String,
    pub status: u16,
    pub delay_ms: u64,
    pub body: Vec<u8>,
    /// A `Location` header (for redirects).
    pub location: Option<String>,
}

pub fn route(prefix: &str, status: u16, body: impl Into<Vec<u8>>) -> Route {
    Route {
        prefix: prefix.to_string(),
        status,
        delay_ms: 0,
        body: body.into(),
        location: None,
    }
}

/// Like [`serve`], but answers by path prefix (first match), one thread per connection.
pub fn serve_routes(routes: Vec<Route>) -> TestServer {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let routes = std::sync::Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (log, routes) = (log.clone(), routes.clone());
            std::thread::spawn(move || {
                let Some(seen) = read_request(&stream) else {
                    return;
                };
                let path = seen
                    .request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                log.lock().expect("lock").push(seen);
                let r = routes.iter().find(|r| path.starts_with(&r.prefix));
                let (status, delay, body, location) = match r {
                    Some(r) => (r.status, r.delay_ms, r.body.clone(), r.location.clone()),
                    None => (404, 0, b"not found".to_vec(), None),
                };
                std::thread::sleep(std::time::Duration::from_millis(delay));
                let location = location.map_or_else(String::new, |l| format!("location: {l}\r\n"));
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{location}content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream
                    .write_all(head.as_bytes())
                    .and_then(|()| stream.write_all(&body));
            });
        }
    });
    TestServer { url, seen }
}

/// Fails if `secret` occurs in any file under `dir` (the state, logs, reports).
pub fn assert_secret_absent(dir: &Path, secret: &str) {
    let mut files = vec![dir.to_path_buf()];
    let mut scanned = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for e in std::fs::read_dir(&path).expect("read dir") {
                files.push(e.expect("entry").path());
            }
        } else if path.is_file() {
            let bytes = std::fs::read(&path).expect("read");
            scanned += 1;
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "secret found in {}",
                path.display()
            );
        }
    }
    assert!(
        scanned >= 3,
        "scanned {scanned} files under {}",
        dir.display()
    );
}

/// The pid of the process serving the project's socket in `p/.cutover`, once it answers.
pub fn owner_pid(p: &Path, within: std::time::Duration) -> Option<u64> {
    use std::io::{Read, Write};
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if let Ok(mut s) = std::os::unix::net::UnixStream::connect(p.join(".cutover/sock")) {
            let hello = br#"{"msg":"hello","protocol":2,"role":"command","actor":null}"#;
            let _ = s.write_all(&(hello.len() as u32).to_be_bytes());
            let _ = s.write_all(hello);
            let mut len = [0u8; 4];
            if s.read_exact(&mut len).is_ok() {
                let mut body = vec![0; u32::from_be_bytes(len) as usize];
                if s.read_exact(&mut body).is_ok()
                    && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                    && let Some(pid) = v["pid"].as_u64()
                {
                    return Some(pid);
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

/// A project with one slow segment `eu` of 1,000 users, plus `sources` and `gates` TOML.
pub fn one_segment(sources: &str, gates: &str) -> String {
    format!(
        "[project]\nname = \"Hard\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n{sources}\n{gates}\n"
    )
}

/// A project of one slow segment, `staff`, with `extra` (e.g. its `[[segments.checks]]`).
pub fn staff_with(extra: &str) -> String {
    format!(
        "[project]\nname = \"Checks\"\n[[segments]]\nid = \"staff\"\nstrategy = \"slow\"\nsize = 100\nlogin_probability = 0.1\ngoal = 0.9\n{extra}\n"
    )
}

/// A Prometheus instant-query answer of `value` at `/prom/api/v1/query`.
pub fn prometheus_route(value: &str) -> Route {
    route(
        "/prom/api/v1/query",
        200,
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1786000000.1,"{value}"]}}]}}}}"#
        ),
    )
}

/// `advance eu` three times: plan → test → gate → cutover.
pub fn advance_to_cutover(p: &Path) {
    advance_segment_to_cutover(p, "eu");
}

/// `advance SEGMENT` three times: plan → test → gate → cutover.
pub fn advance_segment_to_cutover(p: &Path, segment: &str) {
    for _ in 0..3 {
        cutover(p).args(["advance", segment]).assert().success();
    }
}

/// Advance `segment` three times through `engine` at `at`: plan → test → gate → cutover.
pub fn engine_to_cutover(
    engine: &mut cutover::engine::Engine,
    segment: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    for _ in 0..3 {
        let cmd = cutover::engine::Command {
            segment: segment.into(),
            action: cutover::model::Action::Advance,
            actor: "test".into(),
            reason: None,
            expect: None,
        };
        assert!(matches!(
            engine.request(&cmd, at).expect("advance"),
            cutover::engine::Step::Done(_)
        ));
    }
}

/// The sequence numbers a command acknowledged: each line `... (event N ...)` it printed.
pub fn acked_seqs(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|line| {
            line.split("(event ")
                .nth(1)
                .and_then(|r| r.split([')', ',']).next())
                .and_then(|n| n.parse::<u64>().ok())
        })
        .collect()
}

/// Lines a process writes on stderr, each with when it arrived.
pub type Lines = std::sync::Arc<std::sync::Mutex<Vec<(std::time::Instant, String)>>>;

/// Spawn `cmd` with stderr piped (stdin and stdout closed) and collect its stderr lines.
pub fn spawn_logged(mut cmd: std::process::Command) -> (std::process::Child, Lines) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = Lines::default();
    let (err, sink) = (child.stderr.take().expect("stderr"), lines.clone());
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            sink.lock()
                .expect("lines")
                .push((std::time::Instant::now(), line));
        }
    });
    (child, lines)
}

/// The sequence numbers of a `log --json`, checked gap-free from 1.
pub fn gap_free_seqs(log: &serde_json::Value) -> Vec<u64> {
    let seqs: Vec<u64> = log
        .as_array()
        .expect("log")
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "gap-free"
    );
    seqs
}

/// `cutover watch` on `dir`, its output discarded, once it owns the project.
pub fn owning_watch(dir: &Path) -> std::process::Child {
    let w = quiet_watch(dir);
    owner_pid(dir, std::time::Duration::from_secs(10)).expect("the watch owns the project");
    w
}

/// `cutover watch` on `dir`, its output discarded.
pub fn quiet_watch(dir: &Path) -> std::process::Child {
    bin(dir)
        .arg("watch")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("watch")
}

/// A free TCP port on 127.0.0.1 (bound and released: the server started next takes it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether the tests run as root (servers that refuse root then run as another user).
pub fn as_root() -> bool {
    cutover::os::current_uid() == Some(0)
}

/// A process's peak resident memory (VmHWM) in MB (`pid` a number or `self`), 0 when it
/// cannot be read.
pub fn peak_rss_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A process's resident memory (VmRSS) in MB, 0 when it cannot be read.
pub fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Each line of a JSON-lines file (a backup's `events.jsonl`, say).
pub fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// An audit's JSON without what names the source itself (its name, digest, size and format)
/// or where in it a user is: an LDIF entry is named by the line of its `dn:`, a directory's by
/// its number in the order read, a query's row by its number, a CSV row by its line.
pub fn audit_counts(mut audit: serde_json::Value) -> serde_json::Value {
    fn without_lines(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                o.remove("line");
                o.values_mut().for_each(without_lines);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(without_lines),
            _ => {}
        }
    }
    if let Some(o) = audit.as_object_mut() {
        for k in ["file", "sha256", "bytes", "format", "at"] {
            o.remove(k);
        }
    }
    without_lines(&mut audit);
    audit
}

/// The request number in a refusal's "waits for approval: request #N".
pub fn request_id(text: &str) -> String {
    let at = text.find("request #").expect("a request number");
    text[at + 9..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}
