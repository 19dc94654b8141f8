//! `[segments.move]` as a lead writes it: a complete section passes `cutover check`, and each
//! mistake is named with its key and the fix, without echoing a secret written inline.

mod common;

use common::{cutover, fails, write_project};

/// A project whose one segment `eu` has `[segments.move]` with `body`.
fn project_with_move(body: &str) -> String {
    format!(
        "[project]\nname = \"Moving\"\n[[segments]]\nid = \"eu\"\nstrategy = \"segment\"\nsize = 1000\ngoal = 0.9\n[segments.move]\n{body}\n"
    )
}

fn check(body: &str) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &project_with_move(body));
    let out = cutover(dir.path())
        .args(["check"])
        .output()
        .expect("run check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.success(), text)
}

fn refused(body: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &project_with_move(body));
    fails(cutover(dir.path()).arg("check"))
}

#[test]
fn a_complete_move_for_each_target_passes_check() {
    for body in [
        "export = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"acme\"\ntoken = \"env:FB_TOKEN\"\n[segments.move.rehearsal]\nproject = \"acme-test\"\ntoken = \"env:FB_TEST\"",
        "export = \"users.csv\"\ntarget = \"fusionauth\"\nurl = \"https://auth.acme.com\"\napi_key = \"env:FA_KEY\"\ntenant = \"t1\"\nbatch = 50000",
        "export = \"users.json\"\ntarget = \"auth0\"\ndomain = \"acme.eu.auth0.com\"\ntoken = \"env:A0\"\nconnection_id = \"con_1\"",
        "export = \"u.csv\"\ntarget = \"keycloak\"\nurl = \"http://127.0.0.1:8080\"\nrealm = \"acme\"\nclient_id = \"cutover\"\nclient_secret = \"env:KC\"\nunverifiable = \"without-password\"\nduplicate_emails = \"fail\"",
        "export = \"u.csv\"\ntarget = \"authgear\"\nurl = \"https://acme.authgear.cloud\"\nkey_id = \"k1\"\nprivate_key = \"env:AG_KEY\"",
    ] {
        let (ok, text) = check(body);
        assert!(ok, "{body}\n{text}");
        // Every kind is checked, and every kind moves: no "not yet" warning.
        assert!(!text.contains("only, so far"), "{body}\n{text}");
        assert!(!text.contains("cannot move users into"), "{body}\n{text}");
    }
}

#[test]
fn a_missing_export_or_an_unknown_target_names_the_choices() {
    let err = refused("target = \"firebase\"\nproject = \"acme\"\ntoken = \"env:T\"");
    assert!(err.contains("segments[0].move.export"), "{err}");
    assert!(err.contains("legacy export"), "{err}");
    let err = refused("export = \"u.csv\"\ntarget = \"okta\"");
    assert!(err.contains("'okta' is not a target"), "{err}");
    assert!(
        err.contains("fusionauth, auth0, keycloak, authgear, firebase"),
        "{err}"
    );
}

#[test]
fn an_inline_secret_is_refused_and_never_echoed() {
    let secret = "sk_live_do_not_print_me";
    let err = refused(&format!(
        "export = \"u.csv\"\ntarget = \"fusionauth\"\nurl = \"https://auth.acme.com\"\napi_key = \"{secret}\""
    ));
    assert!(err.contains("move.api_key"), "{err}");
    assert!(err.contains("env:"), "{err}");
    assert!(!err.contains(secret), "the secret was echoed: {err}");
}

#[test]
fn each_target_takes_only_its_keys_and_its_batch_limit() {
    // Firebase takes 1,000 users a batchCreate.
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"a\"\ntoken = \"env:T\"\nbatch = 5000",
    );
    assert!(err.contains("move.batch"), "{err}");
    assert!(err.contains("1 to 1000"), "{err}");
    // A FusionAuth key on a Firebase target.
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"a\"\ntoken = \"env:T\"\ntenant = \"x\"",
    );
    assert!(err.contains("move.tenant"), "{err}");
    assert!(err.contains("not a key of the firebase target"), "{err}");
    // A key nobody takes.
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"a\"\ntoken = \"env:T\"\nbatchsize = 5",
    );
    assert!(err.contains("batchsize"), "{err}");
    // A required key missing.
    let err = refused(
        "export = \"u.csv\"\ntarget = \"auth0\"\ndomain = \"acme.auth0.com\"\ntoken = \"env:T\"",
    );
    assert!(err.contains("move.connection_id"), "{err}");
    assert!(err.contains("the auth0 target needs it"), "{err}");
    // A pace is a number of users a second, at least 1.
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"a\"\ntoken = \"env:T\"\npace = 0",
    );
    assert!(err.contains("move.pace"), "{err}");
    assert!(err.contains("pace = 500"), "{err}");
    // FusionAuth takes up to 100,000 (its guide's largest batch).
    let err = refused(
        "export = \"u.csv\"\ntarget = \"fusionauth\"\nurl = \"https://a.example\"\napi_key = \"env:K\"\nbatch = 100001",
    );
    assert!(err.contains("1 to 100000"), "{err}");
}

#[test]
fn a_rehearsal_never_moves_into_the_real_project_and_urls_follow_the_hooks_rule() {
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"acme\"\ntoken = \"env:T\"\n[segments.move.rehearsal]\nproject = \"acme\"\ntoken = \"env:T2\"",
    );
    assert!(err.contains("move.rehearsal.project"), "{err}");
    let err = refused(
        "export = \"u.csv\"\ntarget = \"keycloak\"\nurl = \"https://idp.acme.com\"\nrealm = \"r\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\n[segments.move.rehearsal]\nurl = \"https://idp.acme.com\"\nrealm = \"r\"\nclient_id = \"t\"\nclient_secret = \"env:S2\"",
    );
    assert!(err.contains("move.rehearsal.realm"), "{err}");
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"acme\"\ntoken = \"env:T\"\n[segments.move.rehearsal]\nexport = \"other.csv\"\nproject = \"acme-test\"\ntoken = \"env:T2\"",
    );
    assert!(err.contains("move.rehearsal.export"), "{err}");
    assert!(err.contains("only the target's connection keys"), "{err}");
    let err = refused(
        "export = \"u.csv\"\ntarget = \"keycloak\"\nurl = \"http://idp.acme.com\"\nrealm = \"r\"\nclient_id = \"c\"\nclient_secret = \"env:S\"",
    );
    assert!(err.contains("move.url"), "{err}");
    assert!(err.contains("https"), "{err}");
    let err = refused(
        "export = \"u.csv\"\ntarget = \"firebase\"\nproject = \"a\"\ntoken = \"env:T\"\nunverifiable = \"maybe\"",
    );
    assert!(err.contains("move.unverifiable"), "{err}");
    assert!(err.contains("without-password"), "{err}");
}

/// A project whose segment `eu` is in gate with `body` as its `[segments.move]`.
fn in_gate(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &project_with_move(body));
    for _ in 0..2 {
        cutover(dir.path())
            .args(["advance", "eu"])
            .assert()
            .success();
    }
    dir
}

#[test]
fn a_move_that_cannot_start_says_what_to_fix_and_leaves_the_segment_in_gate() {
    // No [segments.move] at all.
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(
        dir.path(),
        "[project]\nname = \"Moving\"\n[[segments]]\nid = \"eu\"\nstrategy = \"segment\"\nsize = 10\ngoal = 0.9\n",
    );
    let err = fails(cutover(dir.path()).args(["move", "eu", "--rehearse"]));
    assert!(err.contains("has no [segments.move]"), "{err}");

    // A private key that is not one: named, with what to give.
    let dir = in_gate(
        "export = \"users.csv\"\ntarget = \"authgear\"\nurl = \"https://acme.authgear.cloud\"\nkey_id = \"k1\"\nprivate_key = \"env:AG_KEY\"",
    );
    let err = fails(
        cutover(dir.path())
            .env("AG_KEY", "not a key")
            .args(["move", "eu"]),
    );
    assert!(err.contains("not an RSA private key in PEM form"), "{err}");
    assert!(
        !err.contains("not a key"),
        "the secret is never echoed: {err}"
    );

    // The token's variable is not set: named, and nothing moved.
    let dir = in_gate(
        "export = \"users.jsonl\"\ntarget = \"firebase\"\nproject = \"demo-x\"\ntoken = \"env:CUTOVER_TEST_UNSET_TOKEN\"\nurl = \"http://127.0.0.1:9/identitytoolkit.googleapis.com\"",
    );
    let err = fails(cutover(dir.path()).args(["move", "eu"]));
    assert!(err.contains("move incomplete"), "{err}");
    assert!(err.contains("CUTOVER_TEST_UNSET_TOKEN"), "{err}");

    // The export is missing: named, with the key to fix.
    let err = fails(
        cutover(dir.path())
            .env("CUTOVER_TEST_UNSET_TOKEN", "t")
            .args(["move", "eu"]),
    );
    assert!(err.contains("cannot read the export"), "{err}");
    assert!(err.contains("[segments.move] export"), "{err}");
    let status = common::json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate", "{status}");
}
