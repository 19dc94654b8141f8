//! Validation of a segment's hooks (`[segments.hooks.*]`: a command or a webhook) and the
//! rule every outgoing URL of the project file shares (hooks, sources, checks, move targets,
//! notification sinks): https, or plain http to loopback only, and never a secret written
//! into the URL itself. Same conventions as `validate`: every problem is collected with its
//! key path.

use super::locate::KeyPath;
use super::validate::{Found, Said, duration};
use super::validate_outside::sensitive_header;
use super::{HookFile, HookSpec, Severity};
use std::time::Duration;

const WEBHOOK_RETRIES: u32 = 3;
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// An http(s) URL; plain http only to loopback unless `insecure`.
/// Credentials inline (`user:pass@`, `?api_key=…`) are refused like an inline secret header,
/// without echoing the value: they would reach the log through the hook's description.
pub(super) fn check_url(url: &str, insecure: bool, example: &str) -> Result<(), Said> {
    if let Ok(u) = reqwest::Url::parse(url) {
        if !u.username().is_empty() || u.password().is_some() {
            return Err(Said::hiding_value(
                "holds credentials (user:password@host): send them from the environment instead, api_key = \"env:NAME\" or a header \"env:NAME\"",
            ));
        }
        let secretish = |k: &str| {
            let k = k.to_ascii_lowercase();
            sensitive_header(&k) || k.contains("secret") || k.contains("pass")
        };
        if let Some((name, _)) = u.query_pairs().find(|(k, _)| secretish(k)) {
            return Err(Said::hiding_value(format!(
                "has a secret in its query ('{name}=…'): send it from the environment instead, api_key = \"env:NAME\" or a header \"env:NAME\""
            )));
        }
    }
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => Ok(()),
        Ok(u) if u.scheme() == "http" => {
            if insecure || u.host_str().is_some_and(is_loopback) {
                Ok(())
            } else {
                Err(
                    "plain http to a host that is not loopback: use https, or set insecure = true"
                        .into(),
                )
            }
        }
        _ => Err(format!("must be an http(s) URL like \"{example}\"").into()),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn hook(
    file: Option<&HookFile>,
    at: &KeyPath,
    found: &mut Found,
    ok: &mut bool,
) -> Option<HookSpec> {
    let h = file?;
    match (&h.command, &h.webhook) {
        (Some(_), Some(_)) | (None, None) => {
            *ok = false;
            found.push((
                Severity::Error,
                at.clone(),
                "set exactly one of command = [\"prog\", \"arg\"] or webhook = \"https://…\""
                    .into(),
            ));
            None
        }
        (Some(argv), None) => {
            if argv.is_empty() || argv[0].trim().is_empty() {
                *ok = false;
                found.push((
                    Severity::Error,
                    at.clone().key("command"),
                    "must name a program: command = [\"./route.sh\", \"staff\", \"new\"]".into(),
                ));
                return None;
            }
            if !h.headers.is_empty() || h.retries.is_some() {
                found.push((
                    Severity::Warning,
                    at.clone(),
                    "headers and retries only apply to webhooks; they are ignored for a command"
                        .into(),
                ));
            }
            let timeout = duration(h.timeout.as_deref(), COMMAND_TIMEOUT, at, found, ok);
            Some(HookSpec::Command {
                argv: argv.clone(),
                timeout,
            })
        }
        (None, Some(url)) => {
            let url_ok = match check_url(url, h.insecure, "https://router.internal/hooks") {
                Ok(()) => true,
                Err(msg) => {
                    found.push((Severity::Error, at.clone().key("webhook"), msg));
                    false
                }
            };
            for (name, value) in &h.headers {
                let sensitive = name.eq_ignore_ascii_case("authorization")
                    || name.to_ascii_lowercase().contains("token")
                    || name.to_ascii_lowercase().contains("key");
                if sensitive && !value.starts_with(crate::secret::PREFIX) {
                    *ok = false;
                    found.push((
                        Severity::Error,
                        at.clone().key("headers").key(name),
                        Said::hiding_value("looks like a secret written in the file: reference it from the environment instead, e.g. \"env:ROUTER_TOKEN\""),
                    ));
                } else if let Some(var) = value.strip_prefix(crate::secret::PREFIX)
                    && std::env::var_os(var).is_none()
                {
                    found.push((
                        Severity::Warning,
                        at.clone().key("headers").key(name),
                        format!("environment variable {var} is not set now; the hook will fail unless it is set when it fires").into(),
                    ));
                }
            }
            let timeout = duration(h.timeout.as_deref(), WEBHOOK_TIMEOUT, at, found, ok);
            if !url_ok {
                *ok = false;
                return None;
            }
            Some(HookSpec::Webhook {
                url: url.clone(),
                headers: h.headers.clone(),
                timeout,
                retries: h.retries.unwrap_or(WEBHOOK_RETRIES),
            })
        }
    }
}
