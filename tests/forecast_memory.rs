//! A forecast fitted once is kept in the state with a fingerprint of its inputs, so the next
//! `cutover status` takes it instead of fitting again: the answer is the same to the last bit,
//! a new sample makes it fit anew, and a note damaged on disk is refitted, never believed.

mod common;

use chrono::{Duration, Utc};
use common::history;
use common::{cutover, json, write_project};
use serde_json::Value;
use std::path::Path;

const SEGMENTS: usize = 3;

/// The forecasts `status --json` gives, by segment.
fn forecasts(dir: &Path) -> Vec<Value> {
    let status = json(cutover(dir).args(["status", "--json"]));
    status["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["forecast"].clone())
        .collect()
}

/// The kept forecast notes in the state: (key, bytes).
fn notes(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = sled::open(dir.join(".cutover/state")).expect("open the state");
    let mut out = Vec::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        for kv in tree.scan_prefix(b"nforecast:") {
            let (k, v) = kv.expect("note");
            out.push((k.to_vec(), v.to_vec()));
        }
    }
    out
}

fn put_note(dir: &Path, key: &[u8], value: &[u8]) {
    let db = sled::open(dir.join(".cutover/state")).expect("open the state");
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        if tree.contains_key(key).expect("read") {
            tree.insert(key, value).expect("write");
        }
    }
    db.flush().expect("flush");
}

#[test]
fn a_kept_forecast_is_the_fitted_one_and_a_damaged_or_stale_one_is_refitted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(p, &history::project(SEGMENTS));
    let t0 = Utc::now() - Duration::days(9);
    history::cut_over_at(p, t0);
    history::import(p, SEGMENTS, t0, 8, 3600);

    // The first status fits and keeps each segment's forecast.
    let fitted = forecasts(p);
    assert!(fitted.iter().all(|f| f["finish"].is_string()), "{fitted:?}");
    let kept = notes(p);
    assert_eq!(kept.len(), SEGMENTS, "one kept forecast a segment");
    // The next takes them: the same answer, to the last digit.
    assert_eq!(forecasts(p), fitted);
    assert_eq!(notes(p), kept, "taken, not written again");

    // A damaged note is not believed: the forecast is fitted again, and kept anew.
    let (key, mut bytes) = kept[0].clone();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5a;
    put_note(p, &key, &bytes);
    assert_eq!(forecasts(p), fitted);
    assert_eq!(notes(p), kept, "refitted and kept again");

    // A new sample: other inputs, so a new fit (kept in place of the old one).
    let record = cutover(p)
        .args(["record", "seg-00", "migrated", "40000"])
        .output()
        .expect("record");
    assert!(record.status.success(), "{record:?}");
    let after = forecasts(p);
    assert_ne!(
        after[0], fitted[0],
        "the new sample moved seg-00's forecast"
    );
    assert_eq!(after[1..], fitted[1..]);
    let renewed = notes(p);
    assert_eq!(renewed.len(), SEGMENTS);
    assert_ne!(renewed, kept);
}
