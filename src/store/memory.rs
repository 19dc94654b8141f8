//! A project's state held in memory only: the third [`Storage`], beside sled and PostgreSQL,
//! for tests that need an engine or an owner and no disk (it forgets everything when
//! dropped, so no project file can choose it). It keeps every promise of the storage seam
//! that does not need a disk, and `tests/storage_conformance.rs` holds it to them, as it
//! holds the other two.

use super::kv::{Batch, Kv, Rows};
use super::portable::{LogRead, Reader};
use super::{SCHEMA_VERSION, Samples, Storage, StoreError};
use crate::model::{Event, NewEvent};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The log: events in sequence order, numbered from 1.
#[derive(Default)]
struct Log(Mutex<Vec<Event>>);

impl Log {
    fn events(&self) -> MutexGuard<'_, Vec<Event>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LogRead for Log {
    fn events_from(&self, first: u64) -> Result<Vec<Event>, StoreError> {
        Ok(self
            .events()
            .iter()
            .filter(|e| e.seq >= first)
            .cloned()
            .collect())
    }
}

/// The samples' ordered map.
#[derive(Default)]
pub(crate) struct Map(Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);

impl Kv for Map {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }

    fn range(&self, lo: &[u8], hi: &[u8]) -> Result<Rows, StoreError> {
        if lo >= hi {
            return Ok(Vec::new());
        }
        Ok(self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .range(lo.to_vec()..hi.to_vec())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn apply(&self, batch: Batch) -> Result<(), StoreError> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (k, v) in batch.ops {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            };
        }
        Ok(())
    }
}

/// A project's state in memory.
pub struct MemStore {
    dir: PathBuf,
    log: Arc<Log>,
    samples: Samples,
}

impl MemStore {
    /// An empty state; `dir` is where an owner of it puts its socket (nothing else is
    /// written there).
    pub fn new(dir: &Path) -> MemStore {
        MemStore {
            dir: dir.to_path_buf(),
            log: Arc::default(),
            samples: Samples::new(Arc::new(Map::default()), None),
        }
    }
}

impl Storage for MemStore {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn place(&self) -> String {
        "memory (forgotten when the process ends)".into()
    }

    fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    fn events_after(&self, after: u64) -> Result<Vec<Event>, StoreError> {
        self.log.events_from(after + 1)
    }

    /// One process holds a memory state: holding is reading what is new.
    fn hold(&mut self, _segment: &str, after: u64) -> Result<Vec<Event>, StoreError> {
        self.events_after(after)
    }

    fn release(&mut self) {}

    fn append(&mut self, body: NewEvent, after: u64) -> Result<Vec<Event>, StoreError> {
        let mut events = self.log.events();
        let seq = events.last().map_or(1, |e| e.seq + 1);
        events.push(Event { seq, body });
        Ok(events.iter().filter(|e| e.seq > after).cloned().collect())
    }

    fn restore_events(&mut self, restored: &[Event]) -> Result<(), StoreError> {
        let mut events = self.log.events();
        if !events.is_empty() {
            return Err(StoreError::Unusable {
                dir: self.dir.clone(),
                cause: "a restore goes into an empty state; this one holds a log".into(),
            });
        }
        events.extend_from_slice(restored);
        Ok(())
    }

    fn samples(&self) -> &Samples {
        &self.samples
    }

    fn set_raw_retention(&mut self, days: Option<i64>) {
        self.samples = self.samples.with_retention(days);
    }

    fn reader(&self) -> Reader {
        Reader::new(self.dir.clone(), self.log.clone(), self.samples.clone())
    }
}
