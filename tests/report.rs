//! `cutover report` (issue 5): PNG and SVG charts with readable text rendered from the embedded
//! font (the process runs with an empty environment: no font configuration, no home, nothing
//! for a font lookup to find), and a Markdown summary linking them.

mod common;

use std::process::Command;

/// Share of non-white pixels in a rectangle of an RGB PNG.
fn ink(png: &image::RgbImage, x0: u32, y0: u32, w: u32, h: u32) -> f64 {
    let mut dark = 0;
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let p = png.get_pixel(x, y);
            if p.0.iter().any(|c| *c < 200) {
                dark += 1;
            }
        }
    }
    f64::from(dark) / f64::from(w * h)
}

#[test]
fn the_report_renders_charts_with_text_and_a_summary_without_system_fonts() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(cutover::sample_project::build(dir.path()).expect("sample"));
    let out = dir.path().join("report");
    let run = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .env_clear()
        .arg("--project")
        .arg(dir.path())
        .args(["report", "--at", "2026-11-23T12:04:00Z", "--out"])
        .arg(&out)
        .output()
        .expect("report");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for name in ["project", "staff", "eu-customers", "apac"] {
        for ext in ["png", "svg"] {
            assert!(out.join(format!("{name}.{ext}")).exists(), "{name}.{ext}");
        }
    }
    assert!(
        !out.join("dormant.png").exists(),
        "no chart for a segment that never cut over"
    );

    let png = image::open(out.join("eu-customers.png"))
        .expect("decode PNG")
        .to_rgb8();
    assert_eq!(png.dimensions(), (1100, 620));
    // The caption is drawn text: ink in the title band, none in the empty margin above it.
    let title = ink(&png, 200, 12, 700, 30);
    assert!(title > 0.03, "title band ink {title}");
    assert!(ink(&png, 0, 0, 1100, 6) < 0.001);
    // Axis labels too (left of the plot).
    assert!(ink(&png, 0, 100, 60, 400) > 0.005);

    let svg = std::fs::read_to_string(out.join("eu-customers.svg")).expect("svg");
    assert!(
        svg.contains("<text") && svg.contains("eu-customers · EU customers"),
        "SVG carries its text"
    );
    assert!(svg.contains("days since cutover"));

    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.starts_with("# Migration report: Acme (Acme LDAP → FusionAuth)"));
    assert!(md.contains("![eu-customers adoption](eu-customers.png)"));
    assert!(md.contains("| eu-customers | slow | cutover | 410000 | 58.5 % | 66.2 % | -7.7 | 2026-12-17 | 2026-12-27 (2026-12-27 – 2027-01-01) |"), "{md}");
    // The plan against the data is said only where it says something: nobody is expected
    // never to return in the sample, and by day 180 every forecast meets its plan.
    assert!(!md.contains("never to return"), "{md}");
    assert!(
        md.contains("- ✗ login failure rate ≤ 2 %: 0.024 > max 0.02"),
        "gate outcomes: {md}"
    );
    assert!(
        md.contains("## Audit log")
            && md.contains("| apac | bo | rollback cutover → rolled-back | rollback hook failed |"),
        "{md}"
    );
}
