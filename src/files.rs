//! Files cutover writes, opened without following a symbolic link. A link planted where
//! cutover writes (`.cutover/cutover.log`, a backup's `events.jsonl`, a report's
//! `project.png`) would otherwise have cutover append to or overwrite whatever file the link
//! points at, with the rights of whoever runs it. Every file cutover writes under the state
//! folder or the project goes through here: the last component is opened with `O_NOFOLLOW`,
//! and a link there is refused with an error that names it. Folders on the way are the
//! user's to arrange (a state folder on another disk through a link is fine).
//!
//! sled opens its own files by path, so before a sled state is opened [`no_links_in`] walks
//! its folder and refuses a link found there.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The error for a link where a file is written: it names the path and the fix.
fn refused(path: &Path) -> std::io::Error {
    std::io::Error::other(format!(
        "'{}' is a symbolic link; cutover writes no file through a link (remove it, or write elsewhere)",
        path.display()
    ))
}

fn open(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    match options
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => Ok(f),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(refused(path)),
        Err(e) => Err(e),
    }
}

/// Create or truncate `path` for writing (mode 0644 before the umask).
pub fn create(path: &Path) -> std::io::Result<File> {
    open(
        path,
        OpenOptions::new().write(true).create(true).truncate(true),
    )
}

/// Create `path`, which must not exist (a link there exists: refused as one).
pub fn create_new(path: &Path) -> std::io::Result<File> {
    match open(path, OpenOptions::new().write(true).create_new(true)) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && is_link(path) => {
            Err(refused(path))
        }
        other => other,
    }
}

/// Open `path` for appending, creating it if needed.
pub fn append(path: &Path) -> std::io::Result<File> {
    open(path, OpenOptions::new().append(true).create(true))
}

/// Write `bytes` as the whole of `path`.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    let mut f = create(path)?;
    f.write_all(bytes.as_ref())?;
    f.flush()
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Refuse a symbolic link anywhere inside `dir` (its own path may be one): the first found.
pub fn no_links_in(dir: &Path) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            return Err(refused(&entry.path()));
        }
        if kind.is_dir() {
            no_links_in(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_refused_by_name_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep").expect("write");
        let link = dir.path().join("cutover.log");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        for result in [
            append(&link).map(drop),
            create(&link).map(drop),
            create_new(&link).map(drop),
            write(&link, "x"),
        ] {
            let e = result.expect_err("refused");
            assert!(
                e.to_string().contains("cutover.log' is a symbolic link"),
                "{e}"
            );
        }
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        assert!(no_links_in(dir.path()).is_err());
        write(&dir.path().join("plain.txt"), "ok").expect("a plain file is written");
    }
}
