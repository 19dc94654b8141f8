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
        advance_thrice(&mut engine, &id, at);
    }
}

/// plan → test → gate → cutover for `segment` at `at` (a project without hooks).
fn advance_thrice(engine: &mut Engine, segment: &str, at: DateTime<Utc>) {
    for _ in 0..3 {
        let cmd = Command {
            segment: segment.to_string(),
            action: Action::Advance,
            actor: "bench".into(),
            reason: None,
            expect: None,
        };
        match engine.request(&cmd, at).expect("advance") {
            Step::Done(_) => {}
            Step::Hook(..) => panic!("no hooks in this project"),
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

/// Write [`samples`] as CSV rows (time-major, as a spreadsheet export would be). Returns the
/// rows written.
pub fn write_csv(
    out: &mut impl Write,
    segments: usize,
    from: DateTime<Utc>,
    days: i64,
    step_secs: i64,
) -> u64 {
    writeln!(out, "segment,metric,at,value").expect("write");
    let mut rows = 0;
    for (segment, metric, ms, value) in samples(segments, from, days, step_secs) {
        writeln!(out, "{segment},{metric},{ms},{value}").expect("write");
        rows += 1;
    }
    rows
}

/// Write a schema-1 state into `state` (a `.cutover` folder) as cutover before schema 2 did:
/// the event log of the state `events_from` (if any), and each sample as one key.
pub fn schema_one(
    state: &Path,
    events_from: Option<&Path>,
    samples: impl Iterator<Item = (String, &'static str, i64, f64)>,
) {
    let path = state.join("state");
    let db = open_sled(&path);
    if let Some(from) = events_from {
        let src = open_sled(&from.join("state"));
        let events = db.open_tree("events").expect("tree");
        for kv in src.open_tree("events").expect("tree").iter() {
            let (k, v) = kv.expect("event");
            events.insert(k, v).expect("insert");
        }
    }
    db.open_tree("meta")
        .expect("tree")
        .insert("schema_version", &1u32.to_be_bytes())
        .expect("meta");
    db.flush().expect("flush");
    drop(db);
    // sled keeps what one handle wrote in memory: 10 M samples through one handle took more
    // than 8 GB. A handle a million samples bounds it.
    let mut samples = samples.peekable();
    while samples.peek().is_some() {
        let db = open_sled(&path);
        let tree = db.open_tree("samples").expect("tree");
        for _ in 0..10 {
            let mut batch = sled::Batch::default();
            for (segment, metric, ms, value) in samples.by_ref().take(100_000) {
                let mut k = format!("{segment}\0{metric}\0").into_bytes();
                k.extend_from_slice(&((ms as u64) ^ (1 << 63)).to_be_bytes());
                batch.insert(k, &value.to_be_bytes());
            }
            tree.apply_batch(batch).expect("batch");
        }
        db.flush().expect("flush");
    }
}

/// Open a sled database, waiting briefly for a handle this process just dropped to let go.
fn open_sled(path: &Path) -> sled::Db {
    for _ in 0..100 {
        if let Ok(db) = sled::open(path) {
            return db;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    sled::open(path).expect("open sled")
}

/// The samples of `segments` × 2 series from `from`, one every `step_secs` for `days`.
pub fn samples(
    segments: usize,
    from: DateTime<Utc>,
    days: i64,
    step_secs: i64,
) -> impl Iterator<Item = (String, &'static str, i64, f64)> {
    let steps = days * 86_400 / step_secs;
    (0..steps).flat_map(move |i| {
        let ms = (from + Duration::seconds(i * step_secs)).timestamp_millis();
        let d = (i * step_secs) as f64 / 86_400.0;
        (0..segments).flat_map(move |s| {
            [
                (format!("seg-{s:02}"), "migrated", ms, migrated(s, d)),
                (format!("seg-{s:02}"), "errors", ms, errors(s, i)),
            ]
        })
    })
}

/// `cutover state backup` of the project in `dir` into `dir/backup` (anew), read back as
/// [`backup_totals`].
pub fn backup(dir: &Path) -> std::collections::BTreeMap<String, (u64, f64)> {
    let out = dir.join("backup");
    let _ = std::fs::remove_dir_all(&out);
    super::cutover(dir)
        .args(["state", "backup"])
        .arg(&out)
        .assert()
        .success();
    backup_totals(&out)
}

/// Count and sum of every series in a backup's `samples.jsonl`, by "segment/metric".
pub fn backup_totals(backup: &Path) -> std::collections::BTreeMap<String, (u64, f64)> {
    let text = std::fs::read_to_string(backup.join("samples.jsonl")).expect("samples.jsonl");
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let key = format!(
            "{}/{}",
            v["segment"].as_str().unwrap_or(""),
            v["metric"].as_str().unwrap_or("")
        );
        let e: &mut (u64, f64) = out.entry(key).or_default();
        e.0 += 1;
        e.1 += v["value"].as_f64().expect("value");
    }
    out
}

/// Count and sum per series of generated samples, as [`backup_totals`] reports them.
pub fn expected_totals(
    samples: impl Iterator<Item = (String, &'static str, i64, f64)>,
) -> std::collections::BTreeMap<String, (u64, f64)> {
    let mut out = std::collections::BTreeMap::new();
    for (segment, metric, _, value) in samples {
        let e: &mut (u64, f64) = out.entry(format!("{segment}/{metric}")).or_default();
        e.0 += 1;
        e.1 += value;
    }
    out
}

/// Whether two totals maps agree: equal counts, sums equal to 1e-9 relative.
pub fn same_totals(
    a: &std::collections::BTreeMap<String, (u64, f64)>,
    b: &std::collections::BTreeMap<String, (u64, f64)>,
) -> bool {
    a.len() == b.len()
        && a.iter().all(|(k, (n, s))| {
            b.get(k)
                .is_some_and(|(m, t)| n == m && (s - t).abs() <= 1e-9 * s.abs().max(1.0))
        })
}

/// [`project`] of `segments` segments in `dir`, the first `in_cutover` of them cut over `days`
/// days ago with a `migrated` and an `errors` sample every `step_secs` since: a project with
/// real snapshots to send (a few hundred KB for 300 segments, 41 in cutover, 20 days).
pub fn busy(dir: &Path, segments: usize, in_cutover: usize, days: i64, step_secs: i64) {
    super::write_project(dir, &project(segments));
    let (project, _) = cutover::config::load(dir).expect("project");
    let store = cutover::store::Store::open(&dir.join(".cutover")).expect("store");
    let mut engine = Engine::new(project, dir.to_path_buf(), store).expect("engine");
    let now = chrono::Utc::now();
    let from = now - Duration::days(days);
    for s in 0..in_cutover {
        advance_thrice(&mut engine, &format!("seg-{s:02}"), from);
    }
    let lines: Vec<cutover::store::SampleLine> = samples(in_cutover, from, days, step_secs)
        .map(|(segment, metric, ms, value)| cutover::store::SampleLine {
            segment,
            metric: metric.to_string(),
            at: DateTime::from_timestamp_millis(ms).expect("time"),
            value,
        })
        .collect();
    for chunk in lines.chunks(20_000) {
        let rejected = engine.import(chunk, now).expect("import").rejected;
        assert!(rejected.is_empty(), "{rejected:?}");
    }
}

/// Import the history of [`samples`] into the project in `dir` through the real `cutover
/// import -`, as a lead pipes a spreadsheet export in. Returns the rows imported.
pub fn import(dir: &Path, segments: usize, from: DateTime<Utc>, days: i64, step_secs: i64) -> u64 {
    use std::process::Stdio;
    let mut import = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .arg("--project")
        .arg(dir)
        .args(["import", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("import");
    let rows = {
        let stdin = import.stdin.take().expect("stdin");
        let mut stdin = std::io::BufWriter::with_capacity(1 << 20, stdin);
        let rows = write_csv(&mut stdin, segments, from, days, step_secs);
        stdin.flush().expect("flush");
        rows
    };
    assert!(import.wait().expect("import").success(), "import failed");
    rows
}
