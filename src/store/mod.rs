//! Durable project state in sled: the append-only event log, the samples, and the
//! schema version, behind a process lock.
//!
//! Layout of a state directory (`<project>/.cutover/` unless `--state DIR`):
//!
//! ```text
//! lock      pid of the process that owns the state (held with an OS file lock)
//! sock      the owner's socket (see `crate::owner::socket`), while it runs
//! state/    the sled database: trees `meta`, `events`, `series`
//! ```
//!
//! * `events`: key = sequence number (u64, big-endian), value = the event as JSON. Append-only.
//!   Every append is flushed before it returns, so an acknowledged action survives a crash.
//! * `series`: the samples, in blocks and rollups; its key layout and the reasons for it are
//!   in [`samples`].
//! * `meta`: `schema_version` (u32, big-endian): 2. A schema-1 state (one key per sample in a
//!   tree `samples`) is converted on open, see [`convert`].
//!
//! Segment state is the fold of the event log ([`crate::model::event::fold`]), never a second
//! copy: one would need cross-tree transactions to stay honest, and folding even 100,000
//! events takes milliseconds.

mod backend;
mod convert;
pub mod coordination;
pub mod kv;
pub mod memory;
pub mod notes;
pub mod pg;
pub mod pg_follow;
mod pg_lanes;
pub mod pg_leader;
pub mod pg_roles;
mod pg_schema;
pub mod pg_store;
mod pg_tls;
mod pg_worker;
mod portable;
mod restore;
mod rollup_lines;
pub mod samples;
mod sled_open;
mod storage;

pub use backend::open_backend;
pub use portable::{BackupInfo, LogRead, Reader, SampleLine, SledLog, Verified};
pub use restore::restore;
pub use rollup_lines::RollupLine;
pub use samples::Samples;
pub use storage::{Flusher, HoldTicket, Storage, sample_error};

use crate::model::{Event, NewEvent};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The schema this build writes and the newest it reads. Schema 3 is schema 2's block store
/// with minute rollups only where a raw block is gone, compressed hours for whole days and
/// the day index (see [`samples`]): it reads a schema-2 state as it is, and an older build
/// would misread a schema-3 one, so the number says so.
pub const SCHEMA_VERSION: u32 = 3;
/// The first schema of the block store; from it on a state is read as it is.
const BLOCK_SCHEMA: u32 = 2;
const SCHEMA_KEY: &[u8] = b"schema_version";

/// Why the state could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "project is open in another cutover (pid {pid}); close that one, or act through it (its keys), then retry. State: '{dir}'"
    )]
    Locked { pid: String, dir: PathBuf },
    #[error(
        "state dir '{dir}' cannot be used: {cause}; fix its permissions or choose another with --state DIR"
    )]
    Unusable { dir: PathBuf, cause: String },
    #[error(
        "state in '{dir}' was written by a newer cutover (schema {found}; this build reads up to {supported}); upgrade cutover, or point --state at another folder"
    )]
    NewerSchema {
        dir: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "state in '{dir}' is damaged ({cause}); keep that folder (it holds the audit log) and restore your last backup into a new one: `cutover state restore BACKUP_DIR --state NEW_DIR` (backups come from `cutover state backup DIR`)"
    )]
    Corrupt { dir: PathBuf, cause: String },
    #[error(
        "backup '{dir}' cannot be restored: {cause}; nothing was written. Restore another backup, or fix that line if you know what it should say"
    )]
    BadBackup { dir: PathBuf, cause: String },
    #[error("cannot write the backup into '{dir}': {cause}; choose a folder you can write")]
    BackupOut { dir: PathBuf, cause: String },
    #[error(transparent)]
    Database(#[from] pg::PgError),
}

/// The open state of one project. Dropping it releases the lock.
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    events: sled::Tree,
    samples: Samples,
    next_seq: u64,
    /// What opening had to repair, said to the operator.
    recovered: Vec<String>,
    _lock: File,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Open (creating if needed) the state in `dir`, taking the project lock.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let unusable = |cause: String| StoreError::Unusable {
            dir: dir.to_path_buf(),
            cause,
        };
        let lock = lock_dir(dir)?;
        let db_path = dir.join("state");
        // sled opens its files by path: a link planted among them is refused, named.
        crate::files::no_links_in(&db_path).map_err(|e| unusable(e.to_string()))?;
        let recovered = sled_open::remove_unfinished_snapshots(&db_path);
        let db = sled_open::open(&db_path).map_err(|cause| match cause {
            sled_open::SledOpen::Io(c) => unusable(c),
            sled_open::SledOpen::Corrupt(c) => StoreError::Corrupt {
                dir: dir.to_path_buf(),
                cause: c,
            },
        })?;
        let corrupt = |cause: String| StoreError::Corrupt {
            dir: dir.to_path_buf(),
            cause,
        };
        let tree = |name: &str| db.open_tree(name).map_err(|e| corrupt(e.to_string()));
        let meta = tree("meta")?;
        let events = tree("events")?;
        let samples = Samples::new(
            std::sync::Arc::new(kv::SledKv {
                tree: tree("series")?,
                dir: dir.to_path_buf(),
            }),
            None,
        );
        let has_old = db
            .tree_names()
            .iter()
            .any(|n| n.as_ref() == convert::OLD_TREE.as_bytes());
        match meta.get(SCHEMA_KEY).map_err(|e| corrupt(e.to_string()))? {
            Some(v) => {
                let bytes: [u8; 4] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| corrupt("unreadable schema version".into()))?;
                let found = u32::from_be_bytes(bytes);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        dir: dir.to_path_buf(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                if found < BLOCK_SCHEMA {
                    let old = tree(convert::OLD_TREE)?;
                    convert::convert(&db, &meta, &old, &samples).map_err(|cause| {
                        corrupt(format!(
                            "converting its samples from schema {found} to {SCHEMA_VERSION} failed, the old samples are kept: {cause}"
                        ))
                    })?;
                } else {
                    if has_old {
                        // Verified and flipped, then killed before the old tree went.
                        convert::finish(&db, &meta).map_err(|e| corrupt(e.to_string()))?;
                    }
                    if found < SCHEMA_VERSION {
                        // A block store reads as it is: only its number moves on.
                        meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                            .map_err(|e| corrupt(e.to_string()))?;
                        db.flush().map_err(|e| unusable(e.to_string()))?;
                    }
                }
            }
            None => {
                meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(|e| corrupt(e.to_string()))?;
                db.flush().map_err(|e| unusable(e.to_string()))?;
            }
        }
        let next_seq = match events.last().map_err(|e| corrupt(e.to_string()))? {
            Some((k, _)) => {
                let bytes: [u8; 8] = k
                    .as_ref()
                    .try_into()
                    .map_err(|_| corrupt("an event key is not a sequence number".into()))?;
                u64::from_be_bytes(bytes) + 1
            }
            None => 1,
        };
        Ok(Store {
            dir: dir.to_path_buf(),
            db,
            events,
            samples,
            next_seq,
            recovered,
            _lock: lock,
        })
    }

    fn corrupt(&self, cause: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.clone(),
            cause: cause.into(),
        }
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.flusher()()
    }

    /// How many events the log holds.
    pub fn len(&self) -> u64 {
        self.next_seq - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Storage for Store {
    fn dir(&self) -> &Path {
        &self.dir
    }

    fn place(&self) -> String {
        format!("sled state in '{}'", self.dir.display())
    }

    fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    fn recovered(&self) -> &[String] {
        &self.recovered
    }

    fn events_after(&self, after: u64) -> Result<Vec<Event>, StoreError> {
        let mut events = self.reader().events_from(after.saturating_add(1))?;
        events.retain(|e| e.seq > after);
        Ok(events)
    }

    /// The process lock already keeps every other writer out: nothing to hold, and only a
    /// caller that read an older `after` finds anything new.
    fn hold(&mut self, _segment: &str, after: u64) -> Result<Vec<Event>, StoreError> {
        if after + 1 < self.next_seq {
            self.events_after(after)
        } else {
            Ok(Vec::new())
        }
    }

    fn release(&mut self) {}

    /// Append an event and flush it to disk before returning it with its sequence number.
    fn append(&mut self, body: NewEvent, after: u64) -> Result<Vec<Event>, StoreError> {
        // What the caller missed first (only this process writes, so only ever a caller
        // that read an older `after`), as the seam promises.
        let mut written = if after + 1 < self.next_seq {
            self.events_after(after)?
        } else {
            Vec::new()
        };
        let event = Event {
            seq: self.next_seq,
            body,
        };
        let json = serde_json::to_vec(&event).map_err(|e| self.corrupt(e.to_string()))?;
        self.events
            .insert(event.seq.to_be_bytes(), json)
            .map_err(|e| self.corrupt(e.to_string()))?;
        self.flush()?;
        self.next_seq += 1;
        written.push(event);
        Ok(written)
    }

    fn restore_events(&mut self, events: &[Event]) -> Result<(), StoreError> {
        for e in events {
            let json = serde_json::to_vec(e).map_err(|e| self.corrupt(e.to_string()))?;
            self.events
                .insert(e.seq.to_be_bytes(), json)
                .map_err(|e| self.corrupt(e.to_string()))?;
            self.next_seq = e.seq + 1;
        }
        self.flush()
    }

    fn samples(&self) -> &Samples {
        &self.samples
    }

    fn set_raw_retention(&mut self, days: Option<i64>) {
        self.samples = self.samples.with_retention(days);
    }

    fn sync(&self) -> Result<(), StoreError> {
        self.flush()
    }

    fn flusher(&self) -> Flusher {
        let (db, dir) = (self.db.clone(), self.dir.clone());
        Box::new(move || {
            db.flush().map(|_| ()).map_err(|e| StoreError::Unusable {
                dir,
                cause: format!("cannot flush: {e}"),
            })
        })
    }

    fn reader(&self) -> Reader {
        Reader::new(
            self.dir.clone(),
            std::sync::Arc::new(SledLog {
                tree: self.events.clone(),
                dir: self.dir.clone(),
            }),
            self.samples.clone(),
        )
    }
}

/// Create the local state folder if needed and take its process lock (one owner of a project
/// per state folder), writing this process's pid into it.
pub(crate) fn lock_dir(dir: &Path) -> Result<File, StoreError> {
    let unusable = |cause: String| StoreError::Unusable {
        dir: dir.to_path_buf(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(|e| unusable(e.to_string()))?;
    // O_NOFOLLOW: a symlink planted as `lock` must not get its target overwritten.
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dir.join("lock"))
        .map_err(|e| unusable(format!("cannot open its lock file (not a symlink?): {e}")))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            // The winner may be writing its pid this very moment: read again briefly.
            let mut pid = String::new();
            for _ in 0..20 {
                pid.clear();
                let _ = lock.seek(SeekFrom::Start(0));
                let _ = lock.read_to_string(&mut pid);
                if !pid.trim().is_empty() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let pid = pid.trim();
            return Err(StoreError::Locked {
                pid: if pid.is_empty() {
                    "unknown".into()
                } else {
                    pid.into()
                },
                dir: dir.to_path_buf(),
            });
        }
        Err(TryLockError::Error(e)) => {
            return Err(unusable(format!("cannot lock it: {e}")));
        }
    }
    // Overwrite, then trim: the file is never empty for a reader in between.
    let pid = std::process::id().to_string();
    lock.seek(SeekFrom::Start(0))
        .and_then(|_| lock.write_all(pid.as_bytes()))
        .and_then(|()| lock.set_len(pid.len() as u64))
        .and_then(|()| lock.flush())
        .map_err(|e| unusable(format!("cannot write its lock file: {e}")))?;

    Ok(lock)
}
