//! Months of history for tests and benchmarks: a project of slow segments put into cutover at
//! a chosen moment (through the engine, with that moment as its clock), and its samples as
//! the CSV rows `cutover import` reads.

use chrono::{DateTime, Duration, Utc};
use cutover::engine::{Command, Engine, Step};
use cutover::model::Action;
use std::io::Write;
use std::path::Path;

pub const SIZE: u64 = 100_000;

/// `segments` slow segments, each with a `migrated` and an `errors` source.
pub fn project(segments: usize) -> String {
    let mut t = String::from("[project]\nname = \"History\"\n");
    for s in 0..segments {
        t += &format!(
            "\n[[segments]]\nid = \"seg-{s:02}\"\nstrategy = \"slow\"\nsize = {SIZE}\nlogin_probability = 0.02\ngoal = 0.9\n\
             [segments.sources.migrated]\nkind = \"json\"\nurl = \"http://127.0.0.1:9/count\"\npointer = \"/total\"\nevery = \"30s\"\n\
             [segments.sources.errors]\nkind = \"json\"\nurl = \"http://127.0.0.1:9/errors\"\npointer = \"/rate\"\nevery = \"30s\"\n"
        );
    }
    t
}

/// Advance every segment of the project in `dir` to cutover at `at`.
pub fn cut_over_at(dir: &Path, at: DateTime<Utc>) {
    let (project, _) = cutover::config::load(dir).expect("project");
    let ids: Vec<String> = project.segments.iter().map(|s| s.id.clone()).collect();
    let store = cutover::store::Store::open(&dir.join(".cutover")).expect("store");
    let mut engine = Engine::new(project, dir.to_path_buf(), store).expect("engine");
    for id in ids {
        for _ in 0..3 {
            let cmd = Command {
                segment: id.clone(),
                action: Action::Advance,
                actor: "bench".into(),
                reason: None,
            };
            match engine.request(&cmd, at).expect("advance") {
                Step::Done(_) => {}
                Step::Hook(..) => panic!("no hooks in this project"),
            }
        }
    }
}

/// The migrated count of segment `s` after `d` days: a mix of an active and a dormant cohort.
pub fn migrated(s: usize, d: f64) -> f64 {
    let p_fast = 0.05 + 0.01 * (s % 5) as f64;
    let share = 0.6 * (1.0 - (1.0 - p_fast).powf(d)) + 0.4 * (1.0 - 0.998_f64.powf(d));
    (share * SIZE as f64).floor()
}

/// The error rate of segment `s` at sample `i`: small, with a wobble.
pub fn errors(s: usize, i: i64) -> f64 {
    0.01 + ((i * 7919 + s as i64 * 31) % 97) as f64 / 10_000.0
}

/// Write `segments` × 2 series from `from`, one sample every `step_secs` for `days`, as CSV
/// rows (time-major, as a spreadsheet export would be). Returns the rows written.
pub fn write_csv(out: &mut impl Write, segments: usize, from: DateTime<Utc>, days: i64, step_secs: i64) -> u64 {
    writeln!(out, "segment,metric,at,value").expect("write");
    let steps = days * 86_400 / step_secs;
    let mut rows = 0;
    for i in 0..steps {
        let at = from + Duration::seconds(i * step_secs);
        let ms = at.timestamp_millis();
        let d = (i * step_secs) as f64 / 86_400.0;
        for s in 0..segments {
            writeln!(out, "seg-{s:02},migrated,{ms},{}", migrated(s, d)).expect("write");
            writeln!(out, "seg-{s:02},errors,{ms},{}", errors(s, i)).expect("write");
            rows += 2;
        }
    }
    rows
}
