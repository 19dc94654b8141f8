//! Opening a sled state folder whatever a kill left behind: an unfinished snapshot is removed
//! (and said), and a panic inside sled on a damaged file becomes an error, never a crash.

use std::path::Path;

/// sled writes a snapshot as `snap.<lsn>.generating`, then renames it. A kill in between left
/// that file, which sled takes for the newest snapshot and refuses to open ("Read corrupted
/// data"). It is unfinished by definition and the log it summarises is all still there:
/// removing it loses nothing. Only the lock holder calls this.
pub(super) fn remove_unfinished_snapshots(db: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(db) else {
        return Vec::new();
    };
    let mut done = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if std::fs::remove_file(entry.path()).is_ok() {
                done.push(format!(
                    "recovered: removed '{}' ({bytes} bytes), a snapshot an interrupted cutover left unfinished; the event log is untouched",
                    entry.path().display()
                ));
            }
        }
    }
    done
}

pub(super) enum SledOpen {
    Io(String),
    Corrupt(String),
}

pub(super) fn open(path: &Path) -> Result<sled::Db, SledOpen> {
    // sled can panic on some damaged files instead of returning an error; never let that
    // reach the operator as a panic.
    let path = path.to_path_buf();
    let opened = std::panic::catch_unwind(move || sled::Config::new().path(path).open());
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(sled::Error::Io(e))) => Err(SledOpen::Io(e.to_string())),
        Ok(Err(e)) => Err(SledOpen::Corrupt(e.to_string())),
        Err(_) => Err(SledOpen::Corrupt(
            "the database panicked while opening".into(),
        )),
    }
}
