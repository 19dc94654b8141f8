//! A move into the simulator's Firebase-shaped target under faults: every fourth import answered
//! 429 with `Retry-After`, every ninth 503, and every sixth imported and then cut off without
//! an answer. The move ends with every user there once and nothing counted as failed (a retried
//! import whose first answer was cut finds its users there: they are this move's), and a
//! rollback takes them all back.

mod common;

use common::moving::*;
use common::{cutover, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const ROWS: u64 = 5_000;

struct Simulator(Child, String);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn simulator(args: &[&str]) -> Simulator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["simulate", "--listen", "127.0.0.1:0", "--paused"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulate");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on ...")
        .to_string();
    Simulator(child, addr)
}

fn count(sim: &Simulator, project: &str) -> u64 {
    let url = format!(
        "{}/identitytoolkit.googleapis.com/v1/projects/{project}/accounts:query",
        sim.1
    );
    let answer: serde_json::Value = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            reqwest::Client::new()
                .post(&url)
                .json(&serde_json::json!({}))
                .send()
                .await
                .expect("the simulator answers")
                .json()
                .await
                .expect("json")
        });
    answer["recordsCount"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

#[test]
fn a_move_under_429s_503s_and_cut_connections_lands_every_user_once() {
    let sim = simulator(&[
        "--target-fault",
        "429@4",
        "--target-fault",
        "503@9",
        "--target-fault",
        "cut@6",
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_export(&p.join("users.jsonl"), ROWS);
    common::write_project(
        p,
        &format!(
            "[project]\nname = \"Sim\"\n[[segments]]\nid = \"eu\"\nstrategy = \"big-bang\"\nsize = {ROWS}\ngoal = 0.9\n[segments.move]\nexport = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"demo-sim\"\ntoken = \"env:FB_TOKEN\"\nurl = \"{}/identitytoolkit.googleapis.com\"\nbatch = 1000\n",
            sim.1
        ),
    );
    for _ in 0..2 {
        cutover(p).args(["advance", "eu"]).assert().success();
    }
    let report = json(
        cutover(p)
            .env("FB_TOKEN", "t")
            .args(["move", "eu", "--json"]),
    );
    let expected = expected_ids(ROWS).len() as u64;
    assert_eq!(report["created"], expected, "{report}");
    assert_eq!(report["failed"], serde_json::json!({}), "{report}");
    assert_eq!(count(&sim, "demo-sim"), expected);

    cutover(p)
        .env("FB_TOKEN", "t")
        .args(["rollback", "eu", "--reason", "test"])
        .assert()
        .success();
    assert_eq!(count(&sim, "demo-sim"), 0);
}
