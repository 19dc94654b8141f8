//! Every source kind against a local server answering with the vendor's documented body, and
//! every way a source can go wrong (issue 4). Through the real binary (`cutover poll`,
//! `status --json`) and in-process for the pollers' independence.

mod common;

use common::{Route, cutover, json, route, serve_routes, write_project, write_script};
use std::time::Duration;

const KEY: &str = "fa-planted-key-7788";

fn routes() -> Vec<Route> {
    let mut slow = route("/slow", 200, r#"{"total": 1}"#);
    slow.delay_ms = 3_000;
    vec![
        route(
            "/fa/api/user/search",
            200,
            r#"{"total": 4210, "users": [{"id": "0b4bbc5c", "email": "a@example.com"}]}"#,
        ),
        route(
            "/es/fusionauth_user/_count",
            200,
            r#"{"count": 3100, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}"#,
        ),
        route(
            "/os/users/_count",
            200,
            r#"{"count": 2900, "_shards": {"total": 2, "successful": 2, "skipped": 0, "failed": 0}}"#,
        ),
        route("/kc/admin/realms/acme/users/count", 200, "5120"),
        route(
            "/a0/api/v2/users",
            200,
            r#"{"start": 0, "limit": 0, "length": 0, "users": [], "total": 310}"#,
        ),
        route(
            "/prom/api/v1/query",
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"segment":"eu"},"value":[1786000000.123,"0.014"]}]}}"#,
        ),
        route("/json/stats", 200, r#"{"data": {"count": 77}}"#),
        route("/e500", 500, r#"{"error": "internal"}"#),
        slow,
        route("/malformed", 200, "{\"total\": 12"),
        route("/wrongtype", 200, r#"{"total": "lots"}"#),
        route("/huge", 200, vec![b' '; 10 * 1024 * 1024]),
        route(
            "/shards/idx/_count",
            200,
            r#"{"count": 70, "_shards": {"total": 5, "successful": 3, "skipped": 0, "failed": 2}}"#,
        ),
        route(
            "/promerr/api/v1/query",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"1:9: parse error: unexpected end of input"}"#,
        ),
    ]
}

fn project(url: &str, down: &str) -> String {
    let seg = |id: &str, sources: &str| {
        format!(
            "[[segments]]\nid = \"{id}\"\nstrategy = \"slow\"\nsize = 10000\nlogin_probability = 0.1\ngoal = 0.9\n{sources}\n"
        )
    };
    let src = |metric: &str, body: &str| {
        format!("[segments.sources.{metric}]\n{body}\ntimeout = \"1s\"\n")
    };
    let mut t = String::from("[project]\nname = \"Sources\"\n\n");
    t += &seg(
        "fa",
        &src(
            "migrated",
            &format!(
                "kind = \"fusionauth\"\nurl = \"{url}/fa\"\nquery = \"data.migrated:true\"\napi_key = \"env:FA_KEY\""
            ),
        ),
    );
    t += &seg(
        "es",
        &src(
            "migrated",
            &format!(
                "kind = \"elasticsearch\"\nurl = \"{url}/es\"\nindex = \"fusionauth_user\"\nquery = \"data.migrated:true\"\napi_key = \"env:FA_KEY\""
            ),
        ),
    );
    t += &seg(
        "os",
        &src(
            "migrated",
            &format!(
                "kind = \"opensearch\"\nurl = \"{url}/os\"\nindex = \"users\"\nquery = \"migrated:true\""
            ),
        ),
    );
    t += &seg(
        "kc",
        &src(
            "migrated",
            &format!(
                "kind = \"keycloak\"\nurl = \"{url}/kc\"\nrealm = \"acme\"\nquery = \"migrated:true\"\napi_key = \"env:FA_KEY\""
            ),
        ),
    );
    t += &seg(
        "a0",
        &src(
            "migrated",
            &format!(
                "kind = \"auth0\"\nurl = \"{url}/a0\"\nquery = \"app_metadata.migrated:true\"\napi_key = \"env:FA_KEY\""
            ),
        ),
    );
    t += &seg(
        "prom",
        &src(
            "failure_rate",
            &format!(
                "kind = \"prometheus\"\nurl = \"{url}/prom\"\nquery = \"sum(rate(login_failures[5m]))\""
            ),
        ),
    );
    t += &seg(
        "js",
        &src(
            "migrated",
            &format!("kind = \"json\"\nurl = \"{url}/json/stats\"\npointer = \"/data/count\""),
        ),
    );
    t += &seg(
        "cmd",
        &src(
            "migrated",
            "kind = \"command\"\ncommand = [\"./count.sh\", \"eu\"]",
        ),
    );
    t += &seg(
        "down",
        &src(
            "migrated",
            &format!("kind = \"fusionauth\"\nurl = \"{down}\"\nquery = \"x\""),
        ),
    );
    t += &seg(
        "e500",
        &src(
            "migrated",
            &format!("kind = \"fusionauth\"\nurl = \"{url}/e500\"\nquery = \"x\""),
        ),
    );
    t += &seg(
        "slow",
        &src(
            "migrated",
            &format!("kind = \"json\"\nurl = \"{url}/slow\"\npointer = \"/total\""),
        ),
    );
    t += &seg(
        "malformed",
        &src(
            "migrated",
            &format!("kind = \"json\"\nurl = \"{url}/malformed\"\npointer = \"/total\""),
        ),
    );
    t += &seg(
        "wrongtype",
        &src(
            "migrated",
            &format!("kind = \"fusionauth\"\nurl = \"{url}/wrongtype\"\nquery = \"x\""),
        ),
    );
    t += &seg(
        "huge",
        &src(
            "migrated",
            &format!("kind = \"json\"\nurl = \"{url}/huge\"\npointer = \"/total\""),
        ),
    );
    t += &seg(
        "shards",
        &src(
            "migrated",
            &format!(
                "kind = \"elasticsearch\"\nurl = \"{url}/shards\"\nindex = \"idx\"\nquery = \"x\""
            ),
        ),
    );
    t += &seg(
        "promerr",
        &src(
            "failure_rate",
            &format!("kind = \"prometheus\"\nurl = \"{url}/promerr\"\nquery = \"sum(\""),
        ),
    );
    t += &seg(
        "badcmd",
        &src(
            "migrated",
            "kind = \"command\"\ncommand = [\"./count.sh\", \"fail\"]",
        ),
    );
    t
}

fn free_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn every_kind_reads_its_number_and_every_failure_is_that_source_s_own_error() {
    let server = serve_routes(routes());
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &project(&server.url, &free_port_url()));
    write_script(
        dir.path(),
        "count.sh",
        r#"if [ "$1" = fail ]; then echo "psql: connection refused" >&2; exit 2; fi; echo " 6400""#,
    );
    let out = cutover(dir.path())
        .env("FA_KEY", KEY)
        .arg("poll")
        .output()
        .expect("poll");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "some sources fail: {stdout}{stderr}"
    );
    assert!(stderr.contains("9 of 17 source(s) failed"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stdout.contains("panicked"));
    let line = |seg: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{seg} ")))
            .unwrap_or_else(|| panic!("no line for {seg}: {stdout}"))
            .to_string()
    };
    for (seg, want) in [
        ("fa", "fa migrated = 4210"),
        ("es", "es migrated = 3100"),
        ("os", "os migrated = 2900"),
        ("kc", "kc migrated = 5120"),
        ("a0", "a0 migrated = 310"),
        ("prom", "prom failure_rate = 0.014"),
        ("js", "js migrated = 77"),
        ("cmd", "cmd migrated = 6400"),
    ] {
        assert_eq!(line(seg), want);
    }
    for (seg, want) in [
        ("down", "cannot connect to"),
        ("e500", "HTTP 500"),
        ("slow", "no answer within 1s"),
        ("malformed", "malformed response"),
        (
            "wrongtype",
            "wrong type: expected a number at total, got \"lots\"",
        ),
        ("huge", "over 1 MiB"),
        ("shards", "2 of 5 shards failed"),
        ("promerr", "bad_data: 1:9: parse error"),
        ("badcmd", "exited with 2: psql: connection refused"),
    ] {
        let l = line(seg);
        assert!(l.contains(": error: ") && l.contains(want), "{seg}: {l}");
    }

    // The requests were shaped as each vendor documents.
    let seen = server.seen.lock().expect("lock").clone();
    let req = |prefix: &str| {
        seen.iter()
            .find(|s| s.request_line.contains(prefix))
            .unwrap_or_else(|| panic!("no request to {prefix}"))
            .clone()
    };
    let fa = req("/fa/api/user/search?queryString=data.migrated%3Atrue");
    assert_eq!(
        fa.header("authorization"),
        Some(KEY),
        "FusionAuth takes the raw key"
    );
    assert_eq!(
        req("/es/fusionauth_user/_count?q=data.migrated%3Atrue").header("authorization"),
        Some(format!("ApiKey {KEY}").as_str())
    );
    assert_eq!(
        req("/kc/admin/realms/acme/users/count?q=migrated%3Atrue").header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let a0 = req("/a0/api/v2/users?");
    for part in [
        "q=app_metadata.migrated%3Atrue",
        "search_engine=v3",
        "include_totals=true",
        "per_page=0",
    ] {
        assert!(a0.request_line.contains(part), "{}", a0.request_line);
    }
    assert!(
        req("/prom/api/v1/query?query=sum%28rate%28login_failures%5B5m%5D%29%29")
            .header("authorization")
            .is_none()
    );

    // status reports migrated from the latest samples; failed sources show their error only
    // in the process that saw it, and never a made-up number.
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    let seg = |id: &str| {
        status["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .find(|s| s["id"] == id)
            .expect("seg")
            .clone()
    };
    assert_eq!(seg("fa")["migrated"], 4210);
    assert_eq!(seg("fa")["migrated_share"], 0.421);
    assert!(seg("e500")["migrated"].is_null());
    assert_eq!(seg("prom")["sources"][0]["value"], 0.014);

    // The key was sent, and is nowhere in the state or the output.
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    common::assert_secret_absent(dir.path(), KEY);
}

#[test]
fn watch_keeps_the_key_out_of_its_log_and_the_state_and_stops_on_sigterm() {
    let server = serve_routes(routes());
    let dir = tempfile::tempdir().expect("tempdir");
    let text = project(&server.url, &free_port_url())
        .replace("timeout = \"1s\"", "timeout = \"1s\"\nevery = \"200ms\"");
    write_project(dir.path(), &text);
    write_script(dir.path(), "count.sh", "echo 1");
    let watch = common::bin(dir.path())
        .arg("watch")
        .env("FA_KEY", KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("watch");
    // Wait until the authenticated sources have been polled at least twice.
    let start = std::time::Instant::now();
    while server
        .seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.header("authorization").is_some())
        .count()
        < 8
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "watch never polled"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .expect("kill");
    let out = watch.wait_with_output().expect("wait");
    assert!(out.status.success(), "watch exits 0 on SIGTERM");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fa migrated = 4210") && stderr.contains("SIGTERM: stopping"),
        "{stderr}"
    );
    assert!(
        stderr.contains("e500 migrated: error: HTTP 500"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY) && !String::from_utf8_lossy(&out.stdout).contains(KEY));
    common::assert_secret_absent(dir.path(), KEY);
    // What watch stored is there for the next command.
    let status = json(cutover(dir.path()).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["migrated"], 4210);
}

#[test]
fn a_failing_source_never_stops_the_others_from_polling() {
    let server = serve_routes(routes());
    let dir = tempfile::tempdir().expect("tempdir");
    let text = project(&server.url, &free_port_url())
        .replace("timeout = \"1s\"", "timeout = \"1s\"\nevery = \"200ms\"");
    write_project(dir.path(), &text);
    let (project, _) = cutover::config::load(dir.path()).expect("project");
    let specs: Vec<_> = project
        .segments
        .iter()
        .filter(|s| ["js", "slow", "e500", "down"].contains(&s.id.as_str()))
        .flat_map(|s| s.sources.clone())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let seen = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let _pollers = cutover::runtime::spawn_pollers(
            specs,
            dir.path().to_path_buf(),
            Default::default(),
            cutover::clock::Clock::real(),
            tx,
        );
        let mut seen: Vec<cutover::source::Polled> = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(2_500);
        while let Ok(Some(p)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            seen.push(p);
        }
        seen
    });
    let count = |seg: &str, ok: bool| {
        seen.iter()
            .filter(|p| p.segment == seg && p.result.is_ok() == ok)
            .count()
    };
    // js answers at once every 200 ms; the 3 s "slow" source times out after 1 s, and the
    // failing ones back off, without holding js back.
    assert!(
        count("js", true) >= 6,
        "js polled {} times",
        count("js", true)
    );
    assert!(count("slow", false) >= 1 && count("slow", true) == 0);
    assert!(count("e500", false) >= 1 && count("down", false) >= 1);
    assert!(
        count("e500", false) < count("js", true),
        "the failing source backs off"
    );
}

/// SuperTokens, added by following the crate's recipe for a source kind: its core's user
/// count, with the key in its `api-key` header, and a status other than OK as its error.
#[test]
fn a_supertokens_core_counts_its_users_with_its_api_key_header() {
    let server = serve_routes(vec![
        route("/st/users/count", 200, r#"{"status": "OK", "count": 880}"#),
        route(
            "/st-gone/users/count",
            200,
            r#"{"status": "TENANT_NOT_FOUND_ERROR"}"#,
        ),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut toml = String::from("[project]\nname = \"Tokens\"\n");
    for (id, path) in [("st", "st"), ("gone", "st-gone")] {
        toml += &format!(
            "[[segments]]\nid = \"{id}\"\nstrategy = \"slow\"\nsize = 1000\nlogin_probability = 0.1\ngoal = 0.9\n\
             [segments.sources.migrated]\nkind = \"supertokens\"\nurl = \"{}/{path}\"\napi_key = \"env:ST_KEY\"\n",
            server.url
        );
    }
    write_project(dir.path(), &toml);
    let out = cutover(dir.path())
        .env("ST_KEY", KEY)
        .arg("poll")
        .output()
        .expect("poll");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("st migrated = 880"), "{stdout}");
    assert!(
        stdout.contains("gone migrated: error: malformed response: status TENANT_NOT_FOUND_ERROR"),
        "{stdout}"
    );
    let seen = server.seen.lock().expect("lock").clone();
    let asked = seen
        .iter()
        .find(|s| s.request_line.contains("/st/users/count"))
        .expect("the core was asked");
    assert_eq!(
        asked.header("api-key"),
        Some(KEY),
        "the key in SuperTokens' header"
    );
    assert_eq!(asked.header("authorization"), None);
    assert!(!stdout.contains(KEY));
}
