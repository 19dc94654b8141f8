//! The screenshots in `screenshots/` are real renders of the current cockpit (issue 5):
//! `cutover screenshot` regenerates them byte for byte. When the UI changes on purpose, run
//! `cargo run -- screenshot` and commit the new images.

use std::path::Path;
use std::process::Command;

#[test]
fn the_committed_screenshots_match_a_fresh_render() {
    let out = tempfile::tempdir().expect("tempdir");
    let run = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["screenshot", "--out"])
        .arg(out.path())
        .output()
        .expect("screenshot");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    for name in [
        "overview",
        "overview-200x60",
        "detail",
        "rollback",
        "help",
        "report-eu-customers",
    ] {
        let fresh = std::fs::read(out.path().join(format!("{name}.png"))).expect("fresh render");
        let kept =
            std::fs::read(committed.join(format!("{name}.png"))).expect("committed screenshot");
        assert!(fresh.starts_with(b"\x89PNG"), "{name} is a PNG");
        assert!(
            fresh == kept,
            "screenshots/{name}.png is stale: regenerate with `cargo run -- screenshot` and commit it"
        );
    }
}
