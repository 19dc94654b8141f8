//! The keys of the sample tree. Every key starts with a one-byte tag and the series
//! (`segment`, 0, `metric`, 0), so a prefix scan reads one kind of record of one series; times
//! and day numbers follow as sign-flipped big-endian integers, so keys sort in time order
//! across the epoch. See the module docs of [`super`] for what each tag holds.

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    /// One raw sample of the series' newest day (the head), by time in ms.
    Head = b'h',
    /// The raw samples of one sealed day, as one compressed block, by day number.
    Raw = b'r',
    /// The minute rollups of one sealed day, by day number.
    Minutes = b'm',
    /// The hour rollups of one day (the head's day included), by day number.
    Hours = b'o',
    /// The rollup of one day, by day number.
    Day = b'd',
    /// The day rollups of a 32-day span's days before the head, by span (see `days.rs`).
    Days = b'y',
    /// The newest sample of the series: (time, value).
    Latest = b'l',
    /// Not a series: a small note of the owner's, by name (how far each notification sink has
    /// delivered). Kept here so both backends hold it with the samples.
    Note = b'n',
}

/// The key of a record of one series, without its time part.
pub fn prefix(tag: Tag, segment: &str, metric: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(segment.len() + metric.len() + 11);
    key.push(tag as u8);
    key.extend_from_slice(segment.as_bytes());
    key.push(0);
    key.extend_from_slice(metric.as_bytes());
    key.push(0);
    key
}

/// The key of a record of one series at `n` (a time in ms, or a day number).
pub fn at(tag: Tag, segment: &str, metric: &str, n: i64) -> Vec<u8> {
    let mut key = prefix(tag, segment, metric);
    key.extend_from_slice(&flip(n).to_be_bytes());
    key
}

fn flip(n: i64) -> u64 {
    (n as u64) ^ (1 << 63)
}

/// The time or day number at the end of a key.
pub fn number(key: &[u8]) -> Option<i64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some((u64::from_be_bytes(tail) ^ (1 << 63)) as i64)
}

/// The (segment, metric) of a `Latest` key.
pub fn series_of(key: &[u8]) -> Option<(String, String)> {
    let mut parts = key.get(1..)?.splitn(3, |b| *b == 0);
    let segment = String::from_utf8(parts.next()?.to_vec()).ok()?;
    let metric = String::from_utf8(parts.next()?.to_vec()).ok()?;
    Some((segment, metric))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_in_time_order_across_the_epoch() {
        let a = at(Tag::Head, "s", "m", -5);
        let b = at(Tag::Head, "s", "m", 0);
        let c = at(Tag::Head, "s", "m", 1_700_000_000_000);
        assert!(a < b && b < c);
        assert_eq!(number(&a), Some(-5));
        assert_eq!(number(&c), Some(1_700_000_000_000));
        assert_eq!(
            series_of(&prefix(Tag::Latest, "eu", "migrated")),
            Some(("eu".into(), "migrated".into()))
        );
    }
}
