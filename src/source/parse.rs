//! Reading the number out of each vendor's documented response body. Pure functions over bytes,
//! so every shape (and every malformed one) is tested without a network.

use super::SourceError;
use serde_json::Value;

fn json(body: &[u8]) -> Result<Value, SourceError> {
    serde_json::from_slice(body).map_err(|e| SourceError::Malformed(format!("not JSON ({e})")))
}

fn number_at(v: &Value, what: &str) -> Result<f64, SourceError> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| SourceError::WrongType {
            what: what.to_string(),
            got: n.to_string(),
        }),
        Value::Null => Err(SourceError::Malformed(format!(
            "no '{what}' in the response"
        ))),
        other => Err(SourceError::WrongType {
            what: what.to_string(),
            got: short(other),
        }),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// FusionAuth `GET /api/user/search`: `{"total": 42, "users": [...]}`.
pub fn fusionauth(body: &[u8]) -> Result<f64, SourceError> {
    let v = json(body)?;
    number_at(&v["total"], "total")
}

/// SuperTokens core `GET /users/count`: `{"status": "OK", "count": 42}`; any other status
/// is the source's error, named.
pub fn supertokens(body: &[u8]) -> Result<f64, SourceError> {
    let v = json(body)?;
    match v["status"].as_str() {
        Some("OK") => number_at(&v["count"], "count"),
        other => Err(SourceError::Malformed(format!(
            "status {} instead of \"OK\"",
            other.unwrap_or("missing")
        ))),
    }
}

/// Elasticsearch / OpenSearch `GET /{index}/_count`: `{"count": 42, "_shards": {...}}`.
/// A response with failed shards is an error: the count would be short.
pub fn es_count(body: &[u8]) -> Result<f64, SourceError> {
    let v = json(body)?;
    if let Some(failed) = v["_shards"]["failed"].as_u64()
        && failed > 0
    {
        let total = v["_shards"]["total"].as_u64().unwrap_or(0);
        return Err(SourceError::Shards { failed, total });
    }
    number_at(&v["count"], "count")
}

/// Keycloak `GET /admin/realms/{realm}/users/count`: the body is a bare integer.
pub fn keycloak(body: &[u8]) -> Result<f64, SourceError> {
    let v = json(body)?;
    number_at(&v, "the body (a bare integer)")
}

/// Auth0 `GET /api/v2/users?include_totals=true`: `{"users": [], "total": 42, ...}`.
pub fn auth0(body: &[u8]) -> Result<f64, SourceError> {
    let v = json(body)?;
    number_at(&v["total"], "total")
}

/// Prometheus `GET /api/v1/query`: `data.result[0].value[1]`, a string holding the number.
/// `status: error` carries `errorType` and `error`; an empty result is an error (no series).
pub fn prometheus(body: &[u8]) -> Result<f64, SourceError> {
    let v = json(body)?;
    if v["status"] == "error" {
        return Err(SourceError::Prometheus(format!(
            "{}: {}",
            v["errorType"].as_str().unwrap_or("error"),
            v["error"].as_str().unwrap_or("no detail")
        )));
    }
    let result = &v["data"]["result"];
    let Some(items) = result.as_array() else {
        // A scalar result: data.result = [time, "value"].
        return Err(SourceError::Malformed(
            "no data.result array in the response".into(),
        ));
    };
    let first = items.first().ok_or_else(|| {
        SourceError::Malformed("the query returned no series (empty result)".into())
    })?;
    match &first["value"][1] {
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| SourceError::WrongType {
            what: "data.result[0].value[1]".into(),
            got: format!("\"{s}\""),
        }),
        other => Err(SourceError::WrongType {
            what: "data.result[0].value[1] (a string)".into(),
            got: short(other),
        }),
    }
}

/// Any JSON: the number at a JSON pointer (`/data/count`). A numeric string is accepted.
pub fn pointer(body: &[u8], ptr: &str) -> Result<f64, SourceError> {
    let v = json(body)?;
    match v.pointer(ptr) {
        None => Err(SourceError::Malformed(format!(
            "nothing at pointer '{ptr}'"
        ))),
        Some(Value::String(s)) => s.trim().parse::<f64>().map_err(|_| SourceError::WrongType {
            what: ptr.to_string(),
            got: format!("\"{s}\""),
        }),
        Some(other) => number_at(other, ptr),
    }
}

/// A command's stdout: one number (surrounding whitespace allowed).
pub fn stdout_number(out: &[u8]) -> Result<f64, SourceError> {
    let text = String::from_utf8_lossy(out);
    let t = text.trim();
    t.parse::<f64>().map_err(|_| SourceError::WrongType {
        what: "stdout".into(),
        got: format!("\"{}\"", t.chars().take(60).collect::<String>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_bodies() {
        assert_eq!(
            fusionauth(br#"{"total": 1234, "users": [{"id": "x"}]}"#).ok(),
            Some(1234.0)
        );
        assert_eq!(
            es_count(br#"{"count": 77, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}"#).ok(),
            Some(77.0)
        );
        assert_eq!(keycloak(b"5120").ok(), Some(5120.0));
        assert_eq!(
            auth0(br#"{"start": 0, "limit": 0, "length": 0, "users": [], "total": 310}"#).ok(),
            Some(310.0)
        );
        assert_eq!(
            prometheus(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1786000000.123,"0.051"]}]}}"#).ok(),
            Some(0.051)
        );
        assert_eq!(
            pointer(br#"{"data": {"count": 9}}"#, "/data/count").ok(),
            Some(9.0)
        );
        assert_eq!(stdout_number(b" 42\n").ok(), Some(42.0));
    }

    #[test]
    fn bad_bodies_are_named_errors() {
        assert!(matches!(
            fusionauth(b"<html>"),
            Err(SourceError::Malformed(_))
        ));
        assert!(matches!(
            fusionauth(br#"{"total": "many"}"#),
            Err(SourceError::WrongType { .. })
        ));
        assert!(matches!(
            fusionauth(br#"{"users": []}"#),
            Err(SourceError::Malformed(_))
        ));
        assert!(matches!(
            es_count(br#"{"count": 70, "_shards": {"total": 5, "failed": 2}}"#),
            Err(SourceError::Shards {
                failed: 2,
                total: 5
            })
        ));
        let e = prometheus(
            br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#,
        )
        .expect_err("error status");
        assert!(
            e.to_string().contains("bad_data: parse error at char 4"),
            "{e}"
        );
        assert!(
            prometheus(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
                .is_err()
        );
        assert!(matches!(
            prometheus(br#"{"status":"success","data":{"result":[{"value":[1, 0.5]}]}}"#),
            Err(SourceError::WrongType { .. })
        ));
        assert!(keycloak(br#"{"count": 1}"#).is_err());
        assert!(stdout_number(b"n/a").is_err());
    }
}
