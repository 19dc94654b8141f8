//! Numbers that are not numbers (issue 10): NaN and infinities are never readings, a
//! migrated count outside 0..size is out of range, unknown never passes, and every number that
//! enters (sources, `record`, project bounds, simulator parameters) is checked.

mod common;

use common::{
    advance_to_cutover, cutover, fails, json, one_segment, prometheus_route, serve_routes,
    write_project,
};
use std::path::Path;

#[test]
fn a_nan_failure_rate_is_unknown_and_never_passes_a_gate() {
    let server = serve_routes(vec![prometheus_route("NaN")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write_project(
        p,
        &one_segment(
            &format!(
                "[segments.sources.failure_rate]\nkind = \"prometheus\"\nurl = \"{}/prom\"\nquery = \"rate\"",
                server.url
            ),
            "[[segments.gates]]\nmetric = \"failure_rate\"\nmax = 0.02",
        ),
    );
    let out = cutover(p).arg("poll").output().expect("poll");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "a NaN is the source's failure");
    assert!(stdout.contains("not a number: NaN"), "{stdout}");
    cutover(p).args(["advance", "eu"]).assert().success();
    cutover(p).args(["advance", "eu"]).assert().success();
    // The gate polls first, reads NaN again, and refuses.
    let stderr = fails(cutover(p).args(["advance", "eu"]));
    assert!(
        stderr.contains("refused") && stderr.contains("unknown"),
        "{stderr}"
    );
    let status = json(cutover(p).args(["status", "--json"]));
    assert_eq!(status["segments"][0]["phase"], "gate");
    assert_eq!(status["segments"][0]["gates_ok"], false);
}

#[test]
fn an_infinite_or_huge_migrated_count_never_closes_a_segment() {
    for value in ["+Inf", "1e300", "-5"] {
        let server = serve_routes(vec![prometheus_route(value)]);
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        write_project(
            p,
            &one_segment(
                &format!(
                    "[segments.sources.migrated]\nkind = \"prometheus\"\nurl = \"{}/prom\"\nquery = \"migrated\"",
                    server.url
                ),
                "",
            ),
        );
        advance_to_cutover(p);
        let out = cutover(p).arg("poll").output().expect("poll");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{value}: {stdout}");
        let status = json(cutover(p).args(["status", "--json"]));
        assert!(
            status["segments"][0]["migrated"].is_null(),
            "{value}: {status}"
        );
        let stderr = fails(cutover(p).args(["advance", "eu"]));
        assert!(stderr.contains("refused"), "{value}: {stderr}");
    }
    // By hand, too.
    let dir = tempfile::tempdir().expect("tempdir");
    write_project(dir.path(), &one_segment("", ""));
    let stderr = fails(cutover(dir.path()).args(["record", "eu", "migrated", "5000"]));
    assert!(
        stderr.contains("out of range") && stderr.contains("1000"),
        "{stderr}"
    );
    let stderr = fails(cutover(dir.path()).args(["record", "eu", "migrated", "inf"]));
    assert!(stderr.contains("not a number"), "{stderr}");
}

#[test]
fn a_bound_that_is_not_a_number_fails_check() {
    for bad in ["max = nan", "min = -inf", "max = inf"] {
        let dir = tempfile::tempdir().expect("tempdir");
        write_project(
            dir.path(),
            &one_segment(
                "",
                &format!("[[segments.gates]]\nmetric = \"failure_rate\"\n{bad}"),
            ),
        );
        let stderr = fails(cutover(dir.path()).arg("check"));
        assert!(stderr.contains("not a number"), "{bad}: {stderr}");
    }
}

#[test]
fn the_simulator_stays_on_loopback_and_bounds_its_days() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["simulate", "--listen", "0.0.0.0:0"])
        .output()
        .expect("simulate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");
    let stderr = fails(cutover(Path::new(".")).args(["simulate", "--segment", "x:10:0.1:1e308"]));
    assert!(stderr.contains("start day"), "{stderr}");
    // A day far in the future is refused, and the simulator answers on.
    let mut sim = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["simulate", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("simulate");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sim.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("listening");
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .to_string();
    let ask = |request: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        s.write_all(request.as_bytes()).expect("write");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    };
    let answer = ask(
        "POST /sim/day?set=1e308 HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let answer = ask("GET /sim HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_simulated_day_must_last_a_finite_time() {
    for speed in ["inf", "nan", "0"] {
        let stderr = fails(cutover(Path::new(".")).args(["simulate", "--speed", speed]));
        assert!(stderr.contains("--speed"), "{speed}: {stderr}");
    }
}

#[test]
fn every_number_in_the_project_file_must_be_a_number() {
    let base =
        "[project]\nname = \"N\"\n[[segments]]\nid = \"eu\"\nstrategy = \"slow\"\nsize = 1000\n";
    for (key, line) in [
        ("login_probability", "login_probability = nan\ngoal = 0.9"),
        ("goal", "login_probability = 0.1\ngoal = nan"),
        (
            "tolerance",
            "login_probability = 0.1\ngoal = 0.9\ntolerance = inf",
        ),
        (
            "plateau_fraction",
            "login_probability = 0.1\ngoal = 0.9\nplateau_fraction = nan",
        ),
        (
            "cohorts",
            "cohorts = [{ share = 1.0, p = nan }]\ngoal = 0.9",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        write_project(dir.path(), &format!("{base}{line}\n"));
        let stderr = fails(cutover(dir.path()).arg("check"));
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
}
