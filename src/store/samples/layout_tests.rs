//! The store's layout keeps every answer: minute rollups rolled from a raw block equal the
//! ones a state written before this layout stored beside it, a day dropped by `raw_retention`
//! keeps its minutes, and a day imported in pieces equals the day imported at once.

use super::codec;
use super::keys::{self, Tag};
use super::{Samples, day_of};
use crate::model::rollup::{DAY_MS, Resolution, roll};
use crate::store::kv::{Batch, Kv};
use crate::store::memory::Map;
use std::sync::Arc;

const T0: i64 = 1_780_000_000_000 / DAY_MS * DAY_MS;

/// `days` days of a sample every 30 s with an uneven value.
fn polls(days: i64) -> Vec<(i64, f64)> {
    (0..days * 2880)
        .map(|i| (T0 + i * 30_000, ((i * 7919) % 97) as f64 + i as f64 / 10.0))
        .collect()
}

fn write(samples: &Samples, list: &[(i64, f64)]) {
    samples
        .write(list.iter().map(|&(t, v)| ("eu", "migrated", t, v)))
        .expect("write");
}

fn all(samples: &Samples, res: Resolution) -> Vec<crate::model::rollup::Rollup> {
    samples
        .rollups("eu", "migrated", res, T0, T0 + 400 * DAY_MS)
        .expect("rollups")
}

fn has(kv: &Map, tag: Tag, day: i64) -> bool {
    kv.get(&keys::at(tag, "eu", "migrated", day))
        .expect("get")
        .is_some()
}

#[test]
fn minutes_beside_raw_are_rolled_and_an_older_layout_reads_the_same() {
    let kv = Arc::new(Map::default());
    let samples = Samples::new(kv.clone(), None);
    let raw = polls(3);
    // A day at a time, as a poller's days are sealed.
    for day in raw.chunks(2880) {
        write(&samples, day);
    }
    let day0 = day_of(T0);
    assert!(has(&kv, Tag::Raw, day0) && !has(&kv, Tag::Minutes, day0));
    for res in [Resolution::Minute, Resolution::Hour, Resolution::Day] {
        assert_eq!(all(&samples, res), roll(&raw, res), "{res:?}");
    }
    // The layout before: a minute block beside each raw block, fixed-width hours.
    let mut old = Batch::default();
    for day in raw.chunks(2880).take(2) {
        let d = day_of(day[0].0);
        let at = |tag| keys::at(tag, "eu", "migrated", d);
        let minutes = roll(day, Resolution::Minute);
        old.insert(
            at(Tag::Minutes),
            codec::encode_rollups(&minutes).expect("encode"),
        );
        old.insert(
            at(Tag::Hours),
            codec::encode_fixed(&roll(day, Resolution::Hour)),
        );
    }
    kv.apply(old).expect("apply");
    for res in [Resolution::Minute, Resolution::Hour, Resolution::Day] {
        assert_eq!(all(&samples, res), roll(&raw, res), "{res:?}, older layout");
    }
    // A sample written again into an older-layout day drops its minute block.
    write(&samples, &raw[10..11]);
    assert!(!has(&kv, Tag::Minutes, day0));
    assert_eq!(
        all(&samples, Resolution::Minute),
        roll(&raw, Resolution::Minute)
    );
}

#[test]
fn a_day_dropped_by_retention_keeps_its_minutes() {
    let kv = Arc::new(Map::default());
    let samples = Samples::new(kv.clone(), Some(1));
    let raw = polls(4);
    for day in raw.chunks(2880) {
        write(&samples, day);
    }
    let day0 = day_of(T0);
    assert!(!has(&kv, Tag::Raw, day0) && has(&kv, Tag::Minutes, day0));
    assert!(has(&kv, Tag::Raw, day0 + 2) && !has(&kv, Tag::Minutes, day0 + 2));
    for res in [Resolution::Minute, Resolution::Hour, Resolution::Day] {
        assert_eq!(all(&samples, res), roll(&raw, res), "{res:?}");
    }
}

#[test]
fn a_day_imported_in_pieces_is_the_day_imported_at_once() {
    let raw = polls(3);
    let whole = Arc::new(Map::default());
    write(&Samples::new(whole.clone(), None), &raw);
    let pieces = Arc::new(Map::default());
    let samples = Samples::new(pieces.clone(), None);
    for piece in raw.chunks(1000) {
        write(&samples, piece);
    }
    let everything = |kv: &Map| kv.range(&[0], &[255]).expect("range");
    assert_eq!(everything(&pieces), everything(&whole));
}

#[test]
fn days_before_the_head_are_read_from_an_index_that_follows_every_write() {
    let kv = Arc::new(Map::default());
    let samples = Samples::new(kv.clone(), None);
    // 40 days of a sample every 10 minutes: the index spans two or three blocks.
    let step = 600_000;
    let per_day = (DAY_MS / step) as usize;
    let mut raw: Vec<(i64, f64)> = (0..40 * per_day as i64)
        .map(|i| (T0 + i * step, (i % 13) as f64 + i as f64))
        .collect();
    for day in raw.chunks(per_day) {
        write(&samples, day);
    }
    let index = || {
        let lo = keys::prefix(Tag::Days, "eu", "migrated");
        let blocks = kv.range(&lo, b"z").expect("range");
        let mut all = Vec::new();
        for (_, block) in &blocks {
            all.extend(codec::decode_fixed(block).expect("decode"));
        }
        (blocks.len(), all)
    };
    let before_head =
        |raw: &[(i64, f64)], days: usize| roll(&raw[..days * per_day], Resolution::Day);
    // The days of whole spans before the head's are indexed: here days 0–38 (the head, day 39,
    // opens a span).
    assert_eq!(
        day_of(T0 + 39 * DAY_MS).rem_euclid(32),
        0,
        "the test's calendar moved"
    );
    let (blocks, indexed) = index();
    assert!(blocks >= 2, "{blocks} blocks");
    assert_eq!(indexed, before_head(&raw, 39));
    assert_eq!(all(&samples, Resolution::Day), roll(&raw, Resolution::Day));
    // A late sample into day 1 moves its rollup in the index too.
    raw[per_day + 3].1 = 1e6;
    write(&samples, &raw[per_day + 3..per_day + 4]);
    assert_eq!(index().1, before_head(&raw, 39));
    assert_eq!(all(&samples, Resolution::Day), roll(&raw, Resolution::Day));
    // A state written before the index: read from its day keys; the next day's seal indexes
    // the head's span only, and the rest is still read from its day keys.
    let mut drop = Batch::default();
    for (k, _) in kv
        .range(&keys::prefix(Tag::Days, "eu", "migrated"), b"z")
        .expect("range")
    {
        drop.remove(k);
    }
    kv.apply(drop).expect("apply");
    assert_eq!(index().0, 0);
    assert_eq!(all(&samples, Resolution::Day), roll(&raw, Resolution::Day));
    // Days 40–72: the head leaves its span, which gets its block; the older spans have none.
    let next: Vec<(i64, f64)> = (0..33 * per_day as i64)
        .map(|i| (T0 + 40 * DAY_MS + i * step, 7.0 + i as f64))
        .collect();
    for day in next.chunks(per_day) {
        write(&samples, day);
    }
    raw.extend_from_slice(&next);
    assert_eq!(index().0, 1);
    assert_eq!(all(&samples, Resolution::Day), roll(&raw, Resolution::Day));
    // All of time, as a backup asks; and windows inside the history, across spans.
    let everything = samples
        .rollups(
            "eu",
            "migrated",
            Resolution::Day,
            i64::MIN / 4,
            i64::MAX / 4,
        )
        .expect("rollups");
    assert_eq!(everything, roll(&raw, Resolution::Day));
    for (a, b) in [(1, 3), (5, 38), (30, 41), (0, 1)] {
        let (from, to) = (T0 + a * DAY_MS + 5, T0 + b * DAY_MS);
        let want = roll(&raw, Resolution::Day)
            .into_iter()
            .filter(|r| r.start_ms + DAY_MS > from && r.start_ms < to)
            .collect::<Vec<_>>();
        let got = samples
            .rollups("eu", "migrated", Resolution::Day, from, to)
            .expect("rollups");
        assert_eq!(got, want, "days {a}–{b}");
    }
}
