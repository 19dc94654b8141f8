//! The simulator's HTTP face on 127.0.0.1: each vendor's endpoint answering with its documented
//! response shape, Prometheus' query API and `/metrics`, and a small control API.
//!
//! A deliberately tiny HTTP/1.1 server (no keep-alive; the simulated targets' calls, with their
//! bodies, go to [`super::target`]): enough for the cockpit's pollers, a real
//! Prometheus to scrape and a move to send users to, with nothing to configure.

use super::{SimState, parse_segment};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    /// Seconds for a `Retry-After` header (a 429).
    retry_after: Option<u64>,
}

fn json(status: u16, v: serde_json::Value) -> Reply {
    Reply {
        status,
        content_type: "application/json",
        body: v.to_string(),
        retry_after: None,
    }
}

/// A query value or a path segment, percent-decoded (`+` read as a space).
pub(super) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| decode(v))
}

/// The count a vendor query asks for: migrated users when it mentions `migrated`, else all.
fn count(state: &Mutex<SimState>, q: &str) -> Result<u64, Reply> {
    let mut st = state.lock().map_err(|_| {
        json(
            500,
            serde_json::json!({"error": "simulator state poisoned"}),
        )
    })?;
    let Some(seg) = parse_segment(q).and_then(|s| st.population.index(&s)) else {
        return Err(json(
            400,
            serde_json::json!({"error": format!("no known segment in query '{q}' (use segment:ID)")}),
        ));
    };
    let day = st.day();
    Ok(if q.contains("migrated") {
        st.population.migrated(seg, day)
    } else {
        st.population.segments[seg].users
    })
}

fn route(state: &Mutex<SimState>, method: &str, path: &str, query: &str) -> Reply {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        // The user export of a segment as of its cutover (Auth0's NDJSON shape).
        ("GET", ["export", id]) => {
            let st = state.lock().unwrap_or_else(|e| e.into_inner());
            let Some(i) = st.population.index(id) else {
                return json(
                    404,
                    serde_json::json!({"error": format!("no segment '{id}'")}),
                );
            };
            let seg = &st.population.segments[i];
            let at = st.clock.now()
                - chrono::Duration::milliseconds(
                    ((st.day() - seg.start_day) * 86_400_000.0) as i64,
                );
            let mut body = Vec::new();
            match super::export::write_export(seg, at, st.population.seed(), &mut body) {
                Ok(_) => Reply {
                    status: 200,
                    content_type: "application/x-ndjson",
                    body: String::from_utf8_lossy(&body).into_owned(),
                    retry_after: None,
                },
                Err(e) => json(500, serde_json::json!({"error": e.to_string()})),
            }
        }
        ("GET", ["api", "user", "search"]) => {
            let q = param(query, "queryString").unwrap_or_default();
            match count(state, &q) {
                Ok(n) => json(200, serde_json::json!({"total": n, "users": []})),
                Err(r) => r,
            }
        }
        ("GET", [_index, "_count"]) => {
            let q = param(query, "q").unwrap_or_default();
            match count(state, &q) {
                Ok(n) => json(
                    200,
                    serde_json::json!({"count": n, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}),
                ),
                Err(r) => r,
            }
        }
        ("GET", ["admin", "realms", _realm, "users", "count"]) => {
            let q = param(query, "q").unwrap_or_default();
            match count(state, &q) {
                Ok(n) => json(200, serde_json::json!(n)),
                Err(r) => r,
            }
        }
        ("GET", ["api", "v2", "users"]) => {
            let q = param(query, "q").unwrap_or_default();
            match count(state, &q) {
                Ok(n) => json(
                    200,
                    serde_json::json!({"start": 0, "limit": 0, "length": 0, "users": [], "total": n}),
                ),
                Err(r) => r,
            }
        }
        ("GET", ["api", "v1", "query"]) => {
            prometheus_query(state, &param(query, "query").unwrap_or_default())
        }
        ("GET", ["metrics"]) => metrics(state),
        ("GET", ["sim"]) => status(state),
        ("POST", ["sim", "day"]) => match (
            param(query, "set")
                .and_then(|d| d.parse::<f64>().ok())
                .filter(|d| (0.0..=crate::sim::MAX_DAY).contains(d)),
            state.lock(),
        ) {
            (Some(d), Ok(mut st)) => {
                st.paused_day = Some(d);
                json(200, serde_json::json!({"day": d}))
            }
            _ => json(
                400,
                serde_json::json!({"error": "use POST /sim/day?set=DAYS, with 0 <= DAYS <= 36500"}),
            ),
        },
        _ => json(
            404,
            serde_json::json!({"error": format!("no such endpoint: {method} /{}", parts.join("/"))}),
        ),
    }
}

fn prometheus_query(state: &Mutex<SimState>, q: &str) -> Reply {
    let bad = |msg: String| {
        json(
            400,
            serde_json::json!({"status": "error", "errorType": "bad_data", "error": msg}),
        )
    };
    let name: String = q
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let Ok(mut st) = state.lock() else {
        return bad("simulator state poisoned".into());
    };
    let Some(seg) = parse_segment(q).and_then(|s| st.population.index(&s)) else {
        return bad(format!("unknown segment in '{q}': use {{segment=\"ID\"}}"));
    };
    let day = st.day();
    let value = match name.as_str() {
        "migrated_users" => st.population.migrated(seg, day) as f64,
        "segment_users" => st.population.segments[seg].users as f64,
        "login_failure_ratio" => st.population.failure_ratio(seg, day),
        "login_p95_seconds" => st.population.p95_seconds(seg, day),
        other => return bad(format!("unknown metric '{other}'")),
    };
    let ts = st.clock.now().timestamp_millis() as f64 / 1000.0;
    let id = st.population.segments[seg].id.clone();
    json(
        200,
        serde_json::json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"__name__": name, "segment": id}, "value": [ts, value.to_string()]}
        ]}}),
    )
}

fn metrics(state: &Mutex<SimState>) -> Reply {
    let Ok(mut st) = state.lock() else {
        return json(
            500,
            serde_json::json!({"error": "simulator state poisoned"}),
        );
    };
    let day = st.day();
    let mut out = String::new();
    for (name, help) in [
        (
            "migrated_users",
            "Users migrated to the new identity system.",
        ),
        ("segment_users", "Users in the segment."),
        ("login_failure_ratio", "Share of failed logins."),
        ("login_p95_seconds", "95th percentile login latency."),
    ] {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for i in 0..st.population.segments.len() {
            let id = st.population.segments[i].id.clone();
            let v = match name {
                "migrated_users" => st.population.migrated(i, day) as f64,
                "segment_users" => st.population.segments[i].users as f64,
                "login_failure_ratio" => st.population.failure_ratio(i, day),
                _ => st.population.p95_seconds(i, day),
            };
            out.push_str(&format!("{name}{{segment=\"{id}\"}} {v}\n"));
        }
    }
    Reply {
        status: 200,
        content_type: "text/plain; version=0.0.4",
        body: out,
        retry_after: None,
    }
}

fn status(state: &Mutex<SimState>) -> Reply {
    let Ok(mut st) = state.lock() else {
        return json(
            500,
            serde_json::json!({"error": "simulator state poisoned"}),
        );
    };
    let day = st.day();
    let segments: Vec<serde_json::Value> = (0..st.population.segments.len())
        .map(|i| {
            let s = st.population.segments[i].clone();
            serde_json::json!({
                "id": s.id, "users": s.users, "migrated": st.population.migrated(i, day),
                "failure_ratio": st.population.failure_ratio(i, day), "p95_seconds": st.population.p95_seconds(i, day),
            })
        })
        .collect();
    json(200, serde_json::json!({"day": day, "segments": segments}))
}

/// The largest request body read (a 100,000-user FusionAuth import is about 30 MB).
const BODY_MAX: usize = 256 << 20;

async fn handle(mut stream: TcpStream, state: Arc<Mutex<SimState>>) {
    let mut buf = vec![0u8; 8192];
    let mut len = 0;
    let head_end = loop {
        match stream.read(&mut buf[len..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => len += n,
        }
        if let Some(i) = buf[..len].windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if len == buf.len() {
            break len;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut words = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(BODY_MAX);
    let mut body = buf[head_end..len].to_vec();
    if body.len() < length {
        let have = body.len();
        body.resize(length, 0);
        if stream.read_exact(&mut body[have..]).await.is_err() {
            return;
        }
    }
    let call = super::target::Call {
        method,
        path,
        query,
        headers,
        body: &body,
    };
    let answered = match state.lock() {
        Ok(mut st) => st.target.answer(&call),
        Err(_) => return,
    };
    let reply = match answered {
        Some((answer, pace)) => {
            tokio::time::sleep(pace).await;
            match answer {
                super::target::Answer::Cut(after) => {
                    tokio::time::sleep(after).await;
                    let _ = stream.shutdown().await;
                    return;
                }
                super::target::Answer::File(bytes) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/gzip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        bytes.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&bytes).await;
                    let _ = stream.shutdown().await;
                    return;
                }
                super::target::Answer::Json(status, v, retry_after) => Reply {
                    retry_after,
                    body: if v.is_null() {
                        String::new()
                    } else {
                        v.to_string()
                    },
                    ..json(status, serde_json::Value::Null)
                },
            }
        }
        None => route(&state, method, path, query),
    };
    let response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n{}connection: close\r\n\r\n{}",
        reply.status,
        if reply.status < 400 { "OK" } else { "Error" },
        reply.content_type,
        reply.body.len(),
        reply
            .retry_after
            .map(|s| format!("retry-after: {s}\r\n"))
            .unwrap_or_default(),
        reply.body
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serve until the task is dropped.
pub async fn serve(listener: TcpListener, state: Arc<Mutex<SimState>>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(handle(stream, state.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn percent_escapes_decode_and_bad_ones_stay_as_written() {
        assert_eq!(decode("auth0%7CL000001"), "auth0|L000001");
        assert_eq!(decode("a+b"), "a b");
        // Not hex, or a multibyte character after `%`: kept, never a panic.
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%Aé"), "%Aé");
        assert_eq!(decode("%4"), "%4");
    }
}
