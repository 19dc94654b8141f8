//! A real Prometheus for tests (Debian's `prometheus`, installed by `.ci/run`): started on
//! 127.0.0.1 with a free port, a temporary TSDB and a 1 s scrape and evaluation interval,
//! stopped by pid when dropped; plus a `/metrics` page whose text a test sets, and instant
//! queries.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `/metrics` page on 127.0.0.1 (port 0) answering the text held in `body` at each scrape.
pub fn page(body: Arc<Mutex<String>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let text = body.lock().expect("lock").clone();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    addr
}

/// A running Prometheus, killed when dropped.
pub struct Prometheus {
    child: Child,
    pub port: u16,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET `path` from 127.0.0.1:`port` (HTTP/1.0: the answer ends with the connection).
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nhost: 127.0.0.1\r\n\r\n").ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    let status = reply.split_whitespace().nth(1)?.parse().ok()?;
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

impl Prometheus {
    /// Start Prometheus on `port` (free, chosen by the caller: a project may name it first)
    /// scraping each `(job, host:port)` target every second, with `rules` loaded when given.
    pub fn start(dir: &Path, port: u16, targets: &[(&str, &str)], rules: Option<&Path>) -> Self {
        let mut config =
            String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
        if let Some(r) = rules {
            config += &format!("rule_files:\n  - '{}'\n", r.display());
        }
        config += "scrape_configs:\n";
        for (job, target) in targets {
            config += &format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n"
            );
        }
        let file = dir.join("prometheus.yml");
        std::fs::write(&file, config).expect("prometheus config");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus must be installed (apt-get install prometheus; .ci/run does it)");
        let p = Prometheus { child, port };
        let start = Instant::now();
        while get(port, "/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "prometheus did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        p
    }

    /// An instant query's whole answer (`status`, `data`), at the newest time.
    pub fn query(&self, expr: &str) -> serde_json::Value {
        let q: String = url::form_urlencoded::byte_serialize(expr.as_bytes()).collect();
        let (_, body) = get(self.port, &format!("/api/v1/query?query={q}")).expect("query");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// The query's vector, waiting up to `within` until `done` accepts it.
    pub fn wait(
        &self,
        expr: &str,
        within: Duration,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let answer = self.query(expr);
            let result = answer["data"]["result"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if done(&result) {
                return result;
            }
            assert!(
                start.elapsed() < within,
                "{expr}: never as wanted within {within:?}; last: {answer}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// A sample's value as a number (Prometheus answers it as a string).
pub fn value(sample: &serde_json::Value) -> f64 {
    sample["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// `cutover watch --metrics 127.0.0.1:0` on `dir` with `env`, once it owns the project and
/// serves: the process, its stderr lines, and the `host:port` it serves metrics on.
pub fn metrics_watch(dir: &Path, env: &[(&str, &str)]) -> (Child, super::Lines, String) {
    let mut cmd = super::bin(dir);
    cmd.envs(env.iter().copied());
    cmd.args(["watch", "--metrics", "127.0.0.1:0"]);
    let (child, lines) = super::spawn_logged(cmd);
    let start = Instant::now();
    loop {
        let served = lines.lock().expect("lines").iter().find_map(|(_, l)| {
            l.split("serving metrics on http://")
                .nth(1)
                .and_then(|rest| rest.strip_suffix("/metrics"))
                .map(str::to_string)
        });
        if let Some(addr) = served {
            return (child, lines, addr);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "watch never said where it serves metrics: {:?}",
            lines.lock().expect("lines")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// GET the endpoint with an `Accept` header: (content type, body).
pub fn scrape(addr: &str, accept: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to /metrics");
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nhost: {addr}\r\naccept: {accept}\r\nconnection: close\r\n\r\n"
    )
    .expect("request");
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut s, &mut reply).expect("reply");
    let (head, body) = reply.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .expect("content-type");
    (content_type, body.to_string())
}

/// `promtool check metrics` on an exposition `text`: its whole output (status, lint lines).
pub fn promtool_check(text: &str) -> std::process::Output {
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; .ci/run installs it)");
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    check.wait_with_output().expect("promtool")
}

/// An IdP's `/metrics` text with this login failure ratio for segment `eu`.
pub fn failure_page(ratio: f64) -> String {
    format!(
        "# HELP login_failure_ratio Share of failed logins.\n# TYPE login_failure_ratio gauge\nlogin_failure_ratio{{segment=\"eu\"}} {ratio}\n"
    )
}
