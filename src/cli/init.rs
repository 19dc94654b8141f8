//! `cutover init`: write a commented example project file that passes `cutover check`.

use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

/// The example written by `cutover init`; documents every key.
pub const EXAMPLE: &str = include_str!("example.toml");

/// The hook the example names, written beside it so the project passes `check` with no
/// warning: it says what it would do until the lead makes it switch their router.
const ROUTE_SH: &str = "#!/bin/sh\n# cutover's example hook: route segment $1 to the 'new' or 'legacy' system.\n# Edit this to switch your router (or point the hooks in cutover.toml elsewhere).\necho \"route.sh: would route segment $1 to $2 (edit route.sh to switch your router)\"\n";

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
    let script = dir.join("route.sh");
    if !script.exists() {
        use std::os::unix::fs::PermissionsExt;
        let written = crate::files::create_new(&script)
            .and_then(|mut f| std::io::Write::write_all(&mut f, ROUTE_SH.as_bytes()))
            .and_then(|()| {
                std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            });
        if let Err(e) = written {
            bail!("cannot write '{}': {e}", script.display());
        }
    }
    super::out::info(format_args!(
        "wrote {} and its example hook route.sh; edit them, then run `cutover check`",
        path.display()
    ));
    Ok(())
}
