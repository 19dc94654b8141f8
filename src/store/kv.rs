//! The ordered key-value seam under the sample store. The sample store ([`super::samples`])
//! is blocks and rollups under byte keys that sort in time order; all it asks of a backend is
//! a get, a range scan and an atomic batch. sled gives those natively; the PostgreSQL backend
//! gives them with one table whose `bytea` primary key sorts bytewise, exactly as sled's keys
//! do. So both backends run the same sample code, and a project moved from one to the other
//! reads the same samples.

use super::StoreError;
use std::path::PathBuf;

/// Writes applied together or not at all.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// (key, Some(value)) inserts or replaces; (key, None) removes. Later entries win.
    pub ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    pub fn insert(&mut self, key: impl Into<Vec<u8>>, value: impl AsRef<[u8]>) {
        self.ops.push((key.into(), Some(value.as_ref().to_vec())));
    }

    pub fn remove(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Key-value pairs in key order.
pub type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// An ordered map of byte keys to byte values.
pub trait Kv: Send + Sync {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// The entries with `lo <= key < hi`, in key order.
    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<Rows, StoreError>;
    /// Apply every write of `batch` atomically.
    fn apply(&self, batch: Batch) -> Result<(), StoreError>;
    /// Read every entry in these `[lo, hi)` intervals now, in one round trip, and answer
    /// reads inside them from memory until [`Kv::forget`] (a backend across a network batches
    /// a status of many segments this way; writes of this process keep the copy current).
    fn prefetch(&self, _intervals: &[(Vec<u8>, Vec<u8>)]) -> Result<(), StoreError> {
        Ok(())
    }
    /// Drop what [`Kv::prefetch`] read.
    fn forget(&self) {}
    /// Make every write so far durable (a move's journal, before its next batch goes). A
    /// backend whose writes are durable when they return has nothing to do.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Start a read-modify-write: until [`Kv::end_write`], no other process writes this map
    /// (a backend shared by several processes holds a lock; reads see the latest state).
    fn begin_write(&self) -> Result<(), StoreError> {
        Ok(())
    }
    /// End a read-modify-write: apply `batch` atomically and let others write, or (None)
    /// give up without writing.
    fn end_write(&self, batch: Option<Batch>) -> Result<(), StoreError> {
        match batch {
            Some(b) => self.apply(b),
            None => Ok(()),
        }
    }
}

/// Entries read ahead for a while, and the intervals they cover.
#[derive(Debug, Default)]
pub struct ReadAhead {
    /// Interval start → end; the intervals of one read-ahead do not overlap.
    intervals: std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
    rows: std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
}

impl ReadAhead {
    pub fn new(intervals: &[(Vec<u8>, Vec<u8>)], rows: Rows) -> ReadAhead {
        ReadAhead {
            intervals: intervals.iter().cloned().collect(),
            rows: rows.into_iter().collect(),
        }
    }

    /// Whether `[lo, hi)` lies inside one interval: the one starting last at or before `lo`.
    fn covers(&self, lo: &[u8], hi: &[u8]) -> bool {
        self.intervals
            .range::<[u8], _>((std::ops::Bound::Unbounded, std::ops::Bound::Included(lo)))
            .next_back()
            .is_some_and(|(_, end)| hi <= end.as_slice())
    }

    /// The value of `key` if the read-ahead covers it (`Some(None)`: covered, absent).
    pub fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let mut end = key.to_vec();
        end.push(0);
        self.covers(key, &end).then(|| self.rows.get(key).cloned())
    }

    /// The entries of `[lo, hi)` if the read-ahead covers it.
    pub fn range(&self, lo: &[u8], hi: &[u8]) -> Option<Rows> {
        self.covers(lo, hi).then(|| {
            self.rows
                .range(lo.to_vec()..hi.to_vec())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
    }

    /// Keep the copy current with a batch this process wrote.
    pub fn apply(&mut self, batch: &Batch) {
        for (k, v) in &batch.ops {
            match v {
                Some(v) => {
                    self.rows.insert(k.clone(), v.clone());
                }
                None => {
                    self.rows.remove(k);
                }
            }
        }
    }
}

/// The smallest key greater than every key that starts with `prefix` (`None`: no bound).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A sled tree of a state folder.
#[derive(Clone)]
pub struct SledKv {
    pub tree: sled::Tree,
    pub dir: PathBuf,
}

impl SledKv {
    fn corrupt(&self, e: sled::Error) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.clone(),
            cause: e.to_string(),
        }
    }
}

impl Kv for SledKv {
    fn flush(&self) -> Result<(), StoreError> {
        self.tree.flush().map(|_| ()).map_err(|e| self.corrupt(e))
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| self.corrupt(e))
    }

    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<Rows, StoreError> {
        if lo >= hi {
            return Ok(Vec::new());
        }
        self.tree
            .range(lo..hi)
            .map(|kv| {
                kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(|e| self.corrupt(e))
            })
            .collect()
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let mut ops = sled::Batch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => ops.insert(k, v),
                None => ops.remove(k),
            }
        }
        self.tree.apply_batch(ops).map_err(|e| self.corrupt(e))
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_read_ahead_answers_inside_its_intervals_only() {
        use super::{Batch, ReadAhead};
        let ahead = ReadAhead::new(
            &[
                (b"d1".to_vec(), b"d2".to_vec()),
                (b"l1".to_vec(), b"l1\0".to_vec()),
            ],
            vec![
                (b"d1a".to_vec(), b"x".to_vec()),
                (b"l1".to_vec(), b"y".to_vec()),
            ],
        );
        assert_eq!(ahead.get(b"l1"), Some(Some(b"y".to_vec())));
        assert_eq!(ahead.get(b"d1b"), Some(None), "covered and absent");
        assert_eq!(ahead.get(b"l2"), None, "not covered: ask the backend");
        assert_eq!(ahead.range(b"d1", b"d1z").map(|r| r.len()), Some(1));
        assert_eq!(ahead.range(b"d1", b"d3"), None);
        let mut ahead = ahead;
        let mut batch = Batch::default();
        batch.insert(b"d1b".to_vec(), b"z");
        batch.remove(b"d1a".to_vec());
        ahead.apply(&batch);
        assert_eq!(
            ahead.range(b"d1", b"d2"),
            Some(vec![(b"d1b".to_vec(), b"z".to_vec())])
        );
    }

    #[test]
    fn prefix_end_is_the_next_prefix() {
        assert_eq!(prefix_end(b"l"), Some(b"m".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }
}
