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
    fn prefix_end_is_the_next_prefix() {
        assert_eq!(prefix_end(b"l"), Some(b"m".to_vec()));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }
}
