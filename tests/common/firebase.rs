//! Google's Firebase Authentication emulator for tests (npm `firebase-tools`, installed by
//! `.ci/test`): started offline for a `demo-` project on 127.0.0.1 with free ports (its auth,
//! hub and reserved ports all named, so tests run in parallel), stopped by its process group
//! on drop. A real implementation of the target's API that nobody here wrote.
#![allow(dead_code)]

use super::free_port;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Emulator {
    dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    pub project: String,
}

impl Emulator {
    /// Start an emulator for project `demo-NAME`; panics with its log if it does not answer
    /// within two minutes. A free port can be taken by another process between being found
    /// and being bound: the emulator then says "port taken" and exits, and it is started again
    /// on fresh ports (three tries).
    pub fn start(name: &str) -> Emulator {
        let mut tries = 0;
        loop {
            tries += 1;
            match Emulator::try_start(name) {
                Ok(emulator) => return emulator,
                Err(log) if tries < 3 && log.contains("port taken") => continue,
                Err(log) => panic!("the Firebase emulator did not answer: {log}"),
            }
        }
    }

    /// One start: the emulator, or its log when it ended or did not answer in two minutes.
    fn try_start(name: &str) -> Result<Emulator, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let host = |p: u16| json!({"host": "127.0.0.1", "port": p});
        let config = json!({"emulators": {
            "auth": host(port),
            "hub": host(free_port()),
            "logging": host(free_port()),
            "eventarc": host(free_port()),
            "tasks": host(free_port()),
            "ui": {"enabled": false}
        }});
        std::fs::write(dir.path().join("firebase.json"), config.to_string()).expect("test setup");
        let log = std::fs::File::create(dir.path().join("emulator.log")).expect("test setup");
        let project = format!("demo-{name}");
        let child = Command::new("firebase")
            .args(["emulators:start", "--only", "auth", "--project", &project])
            .current_dir(dir.path())
            .env("CI", "true")
            .stdout(log.try_clone().expect("test setup"))
            .stderr(log)
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("firebase (npm firebase-tools; bash .ci/test installs it)");
        let mut emulator = Emulator {
            dir,
            child,
            port,
            project,
        };
        let until = Instant::now() + Duration::from_secs(120);
        while Instant::now() < until {
            if emulator
                .try_post("accounts:lookup", &json!({"localId": ["none"]}))
                .is_some()
            {
                return Ok(emulator);
            }
            if emulator.child.try_wait().ok().flatten().is_some() {
                return Err(emulator.log());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(emulator.log())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("emulator.log")).unwrap_or_default()
    }

    /// The `url` a project file names.
    pub fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/identitytoolkit.googleapis.com",
            self.port
        )
    }

    fn try_post(&self, call: &str, body: &Value) -> Option<Value> {
        let url = format!("{}/v1/projects/{}/{call}", self.url(), self.project);
        block_on(async {
            let answer = reqwest::Client::new()
                .post(&url)
                .bearer_auth("owner")
                .json(body)
                .send()
                .await
                .ok()?;
            if !answer.status().is_success() {
                return None;
            }
            answer.json::<Value>().await.ok()
        })
    }

    /// An admin call; panics if the emulator refuses it.
    pub fn post(&self, call: &str, body: &Value) -> Value {
        self.try_post(call, body)
            .unwrap_or_else(|| panic!("the emulator refused {call}"))
    }

    /// How many users the project holds.
    pub fn count(&self) -> u64 {
        self.project_count(&self.project)
    }

    /// How many users another project of this emulator holds.
    pub fn project_count(&self, project: &str) -> u64 {
        records_count(&self.url(), project)
    }

    /// Every user the project holds (paged with `nextPageToken`).
    pub fn users(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let url = format!(
                "{}/v1/projects/{}/accounts:batchGet?maxResults=1000&nextPageToken={token}",
                self.url(),
                self.project
            );
            let page: Value = block_on(async {
                reqwest::Client::new()
                    .get(&url)
                    .bearer_auth("owner")
                    .send()
                    .await
                    .expect("the emulator answers")
                    .json::<Value>()
                    .await
                    .expect("a page of users")
            });
            out.extend(page["users"].as_array().cloned().unwrap_or_default());
            match page["nextPageToken"].as_str() {
                Some(t) if !t.is_empty() => token = t.to_string(),
                _ => return out,
            }
        }
    }
}

/// How many users `project` holds, asked with `accounts:query` of the Identity Toolkit API at
/// `url` (`…/identitytoolkit.googleapis.com`): the emulator's, or the simulator's target.
pub fn records_count(url: &str, project: &str) -> u64 {
    let url = format!("{url}/v1/projects/{project}/accounts:query");
    let answer = block_on(async {
        reqwest::Client::new()
            .post(&url)
            .bearer_auth("owner")
            .json(&json!({"returnUserInfo": false}))
            .send()
            .await
            .expect("the target answers")
            .json::<Value>()
            .await
            .expect("a count")
    });
    answer["recordsCount"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .or_else(|| answer["recordsCount"].as_u64())
        .unwrap_or(0)
}

/// Run a future to its end on a runtime of its own (tests call from plain threads).
pub fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(work)
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        stop_group(pgid);
        let _ = self.child.wait();
    }
}

/// Stop the emulator's whole process group (node and anything it started).
fn stop_group(pgid: i32) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{pgid}")])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
}
