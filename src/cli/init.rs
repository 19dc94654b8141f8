//! `cutover init`: write a commented example project file that passes `cutover check`.

use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

/// The example written by `cutover init`; documents every key.
pub const EXAMPLE: &str = include_str!("example.toml");

/// Write the example into `dir/cutover.toml`, refusing to overwrite an existing file.
pub fn write(dir: &Path) -> Result<()> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        bail!("cannot create '{}': {e}", dir.display());
    }
    let path = dir.join(crate::config::FILE_NAME);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "'{}' already exists; cutover init never overwrites: edit it, or init another folder",
            path.display()
        ),
        Err(e) => bail!("cannot create '{}': {e}", path.display()),
    };
    if let Err(e) = file
        .write_all(EXAMPLE.as_bytes())
        .and_then(|()| file.sync_all())
    {
        bail!("cannot write '{}': {e}", path.display());
    }
    super::out::info(format_args!(
        "wrote {}; edit it, then run `cutover check`",
        path.display()
    ));
    Ok(())
}
