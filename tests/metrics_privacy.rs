//! No metric or label of `cutover watch --metrics` carries a secret or personal data: a
//! source's key (an `env:` secret), the error text of a failing source that quotes a user's
//! email, a hold's reason naming a person and the actor who advanced are all planted, and
//! none reaches either format of the endpoint; every label is a fixed word or a name from
//! the project file.

mod common;

use common::{cutover, prom, route, serve_routes, write_project};
use std::time::Duration;

#[test]
fn no_metric_or_label_carries_a_secret_or_personal_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let (secret, email, reason_email, actor) = (
        "tok-PLANTED-s3cret",
        "ana.planted@example.com",
        "bob.planted@example.com",
        "carol-planted",
    );
    // The source fails with a body quoting a user's email; its key is a secret.
    let idp = serve_routes(vec![route(
        "/count",
        500,
        format!(r#"{{"error": "user {email} is locked"}}"#),
    )]);
    write_project(
        p,
        &format!(
            "{}\n[segments.sources.migrated]\nkind = \"json\"\nurl = \"{}/count\"\npointer = \"/total\"\nevery = \"1s\"\n[segments.sources.migrated.headers]\nX-Api-Key = \"env:PLANTED_KEY\"\n",
            common::one_segment("", ""),
            idp.url
        ),
    );
    let (mut watch, _lines, addr) = prom::metrics_watch(p, &[("PLANTED_KEY", secret)]);
    let start = std::time::Instant::now();
    for _ in 0..3 {
        cutover(p)
            .args(["advance", "eu", "--actor", actor])
            .assert()
            .success();
    }
    cutover(p)
        .args([
            "pause",
            "eu",
            "--reason",
            &format!("asked by {reason_email}"),
        ])
        .assert()
        .success();
    // Wait until the failing source and the hold are on the board.
    let text = loop {
        let (_, text) = prom::scrape(&addr, "text/plain");
        if text.contains("cutover_source_up{segment=\"eu\",metric=\"migrated\"} 0")
            && text.contains("cutover_segment_held{segment=\"eu\"} 1")
        {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{text}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let (_, om) = prom::scrape(&addr, "application/openmetrics-text");
    for planted in [secret, email, reason_email, actor, "example.com", "locked"] {
        assert!(
            !text.contains(planted) && !om.contains(planted),
            "{planted} leaked:\n{text}"
        );
    }
    // Labels are fixed words, segment ids and names from the project file only.
    let allowed = [
        "segment", "phase", "hook", "metric", "sink", "role", "version", "estimate", "kind",
        "which", "outcome", "code", "state",
    ];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((_, labels)) = line.split_once('{') else {
            continue;
        };
        let labels = labels.rsplit_once('}').expect("closed labels").0;
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
            assert!(allowed.contains(&key), "{key} in {line}");
            if key == "segment" {
                assert_eq!(value.trim_end_matches('"'), "eu", "{line}");
            }
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
}
