//! What `cutover status --json` prints: for a program (a pipe or a file) one compact line, the
//! owner's own JSON passed through; for a person at a terminal the same document indented.
//! Either way each forecast is there without its chart's band (the cockpit and the report
//! draw it from snapshots), and a status through a running `watch` says what a one-shot says.

mod common;

use chrono::{Duration, Utc};
use common::history;
use common::{cutover, json, write_project};
use serde_json::Value;
use std::path::Path;

const SEGMENTS: usize = 3;

/// A project of slow segments nine days into cutover, with hourly samples.
fn project_in_cutover(p: &Path) {
    write_project(p, &history::project(SEGMENTS));
    let t0 = Utc::now() - Duration::days(9);
    history::cut_over_at(p, t0);
    history::import(p, SEGMENTS, t0, 8, 3600);
}

/// Each segment's id, phase and forecast: what does not move with the clock between runs.
fn lasting(status: &Value) -> Vec<(Value, Value, Value)> {
    status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| (s["id"].clone(), s["phase"].clone(), s["forecast"].clone()))
        .collect()
}

#[test]
fn piped_it_is_one_compact_line_with_each_forecast_and_no_band() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project_in_cutover(p);
    let out = cutover(p)
        .args(["status", "--json"])
        .output()
        .expect("status");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(text.starts_with("{\"project\":"), "compact: {text}");
    let status: Value = serde_json::from_str(&text).expect("JSON");
    let forecasts = lasting(&status);
    assert_eq!(forecasts.len(), SEGMENTS);
    for (id, phase, forecast) in &forecasts {
        assert_eq!(phase, "cutover", "{id}");
        assert!(forecast["finish"].is_string(), "{id}: {forecast}");
        assert!(forecast["fitted_cohorts"].is_array(), "{id}: {forecast}");
        assert!(forecast.get("band").is_none(), "{id}: {forecast}");
    }

    // Through the project's owner: the same segments, phases and forecasts.
    // Stopped when dropped, even by a failed assertion.
    let watch = common::raw::Owner::start(p);
    let attached = json(cutover(p).args(["status", "--json"]));
    drop(watch);
    assert_eq!(lasting(&attached), forecasts);
    assert_eq!(attached["project"], "History");
}

#[test]
fn at_a_terminal_it_is_indented() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    project_in_cutover(p);
    // `script` gives the command a terminal of its own (util-linux, essential on Debian);
    // the paths reach its shell as variables, whatever characters they hold.
    let out = std::process::Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            r#"exec "$CUTOVER_BIN" --project "$PROJECT" status --json"#,
            "/dev/null",
        ])
        .env("CUTOVER_BIN", env!("CARGO_BIN_EXE_cutover"))
        .env("PROJECT", p)
        .env("USER", "tester")
        .output()
        .expect("run `script` (util-linux)");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout)
        .expect("utf-8")
        .replace("\r\n", "\n");
    assert!(text.starts_with("{\n  \""), "indented: {text}");
    let status: Value = serde_json::from_str(&text).expect("JSON");
    let forecasts = lasting(&status);
    assert_eq!(forecasts.len(), SEGMENTS);
    assert!(
        forecasts
            .iter()
            .all(|(_, _, f)| f["finish"].is_string() && f.get("band").is_none()),
        "{forecasts:?}"
    );
}

/// Enough segments that a status reads them on every core: each says what it says read alone,
/// in the project's order.
#[test]
fn many_segments_read_together_say_what_each_says_alone() {
    const MANY: usize = 70;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &history::project(MANY));
    let t0 = Utc::now() - Duration::days(9);
    history::cut_over_at(p, t0);
    history::import(p, MANY, t0, 8, 6 * 3600);
    let together = json(cutover(p).args(["status", "--json"]));
    let together = lasting(&together);
    assert_eq!(together.len(), MANY);

    let (project, _) = cutover::config::load(p).expect("project");
    let store = cutover::store::Store::open(&p.join(".cutover")).expect("store");
    let engine =
        cutover::engine::Engine::new(project.clone(), p.to_path_buf(), store).expect("engine");
    let alone: Vec<(Value, Value, Value)> = project
        .segments
        .iter()
        .map(|seg| {
            let s = engine.segment_status(seg, Utc::now()).expect("status");
            let s = serde_json::to_value(&s).expect("json");
            let mut forecast = s["forecast"].clone();
            if let Some(f) = forecast.as_object_mut() {
                f.remove("band");
            }
            (s["id"].clone(), s["phase"].clone(), forecast)
        })
        .collect();
    assert_eq!(together, alone);
    assert!(
        together.iter().all(|(_, _, f)| f["finish"].is_string()),
        "{together:?}"
    );
}
