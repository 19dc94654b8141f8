//! The identity-provider simulator behind `cutover simulate` and `cutover demo`: a population
//! per segment migrating as its users log in, on a fast simulated clock, answering with the
//! real vendors' response shapes, so the demo and the tests run offline.

pub mod auth0;
pub mod authgear;
pub mod churned;
pub mod export;
pub mod firebase;
pub mod fusionauth;
pub mod keycloak;
pub mod plant;
pub mod population;
pub mod server;
pub mod target;
mod verify;

pub use population::{Fault, FaultKind, Population, SimSegment};

use crate::clock::Clock;
use crate::model::Cohort;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The simulator's state, shared by its connections.
#[derive(Debug)]
pub struct SimState {
    pub population: Population,
    pub clock: Clock,
    /// Time frozen at this day (tests and `--paused`), else the clock's days.
    pub paused_day: Option<f64>,
    /// The users moved into it, and its pace and faults ([`target`]).
    pub target: target::Target,
}

impl SimState {
    pub fn day(&self) -> f64 {
        self.paused_day.unwrap_or_else(|| self.clock.days())
    }
}

/// The segment named in a query: `segment:ID`, `segment="ID"` or `data.segment:ID`.
pub fn parse_segment(q: &str) -> Option<String> {
    let i = q.find("segment")? + "segment".len();
    let rest = q[i..].trim_start_matches([':', '=', '"', ' ']);
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Parse `ID:USERS:P` or `ID:USERS:SHARE@P,SHARE@P`, optionally `:START_DAY` (and `:bulk`).
pub fn parse_segment_spec(spec: &str) -> Result<SimSegment, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bad = || {
        format!("bad --segment '{spec}': use ID:USERS:P or ID:USERS:0.5@0.1,0.5@0.01[:START_DAY]")
    };
    if parts.len() < 3 {
        return Err(bad());
    }
    let users: u64 = parts[1].parse().map_err(|_| bad())?;
    if users > MAX_USERS {
        return Err(format!("bad --segment '{spec}': at most {MAX_USERS} users"));
    }
    let cohorts: Vec<Cohort> = if parts[2].contains('@') {
        parts[2]
            .split(',')
            .map(|c| {
                let (share, p) = c.split_once('@').ok_or_else(bad)?;
                Ok(Cohort {
                    share: share.parse().map_err(|_| bad())?,
                    p: p.parse().map_err(|_| bad())?,
                })
            })
            .collect::<Result<_, String>>()?
    } else {
        vec![Cohort {
            share: 1.0,
            p: parts[2].parse().map_err(|_| bad())?,
        }]
    };
    if cohorts
        .iter()
        .any(|c| !(c.p > 0.0 && c.p <= 1.0 && c.share > 0.0 && c.share <= 1.0))
    {
        return Err(format!("bad --segment '{spec}': every p must be in (0, 1]"));
    }
    let start_day = parts
        .get(3)
        .map(|d| d.parse::<f64>().map_err(|_| bad()))
        .transpose()?
        .unwrap_or(0.0);
    if !(0.0..=MAX_DAY).contains(&start_day) {
        return Err(format!(
            "bad --segment '{spec}': the start day must be in 0..={MAX_DAY}"
        ));
    }
    Ok(SimSegment {
        id: parts[0].to_string(),
        users,
        cohorts,
        start_day,
        bulk: parts.get(4) == Some(&"bulk"),
        stop_day: None,
        faults: Vec::new(),
    })
}

/// Parse `SEGMENT:failure-spike@DAY` (or `latency-spike`), lasting 3 simulated days.
pub fn parse_fault(spec: &str) -> Result<(String, Fault), String> {
    let bad = || {
        format!("bad --fault '{spec}': use SEGMENT:failure-spike@DAY or SEGMENT:latency-spike@DAY")
    };
    let (seg, rest) = spec.split_once(':').ok_or_else(bad)?;
    let (kind, day) = rest.split_once('@').ok_or_else(bad)?;
    let kind = match kind {
        "failure-spike" => FaultKind::FailureSpike,
        "latency-spike" => FaultKind::LatencySpike,
        _ => return Err(bad()),
    };
    Ok((
        seg.to_string(),
        Fault {
            kind,
            from_day: day.parse().map_err(|_| bad())?,
            days: 3.0,
        },
    ))
}

/// A running simulator: its address and shared state. Dropping the task stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<SimState>>,
}

/// The latest simulated day (100 years): the simulator steps day by day up to it.
pub const MAX_DAY: f64 = 36_500.0;
/// The most users a simulated segment may have.
pub const MAX_USERS: u64 = 1_000_000_000;

/// Bind `listen` (loopback only: the simulator is a test double, never a service) and serve
/// the population on the current tokio runtime.
pub async fn start(
    listen: &str,
    population: Population,
    clock: Clock,
    paused: bool,
    target: target::Target,
) -> std::io::Result<Running> {
    let wanted: std::net::SocketAddr = listen.parse().map_err(|_| {
        std::io::Error::other(format!("'{listen}' is not an address like 127.0.0.1:0"))
    })?;
    if !wanted.ip().is_loopback() {
        return Err(std::io::Error::other(format!(
            "'{listen}' is not a loopback address: the simulator listens on 127.0.0.1 (or ::1) only"
        )));
    }
    let listener = tokio::net::TcpListener::bind(wanted).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(Mutex::new(SimState {
        population,
        clock,
        paused_day: paused.then_some(0.0),
        target,
    }));
    tokio::spawn(server::serve(listener, state.clone()));
    Ok(Running { addr, state })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_queries_parse() {
        let s = parse_segment_spec("us:50000:0.5@0.1,0.5@0.01:2").expect("spec");
        assert_eq!((s.users, s.cohorts.len(), s.start_day), (50_000, 2, 2.0));
        assert!(parse_segment_spec("eu:lots:0.2").is_err());
        assert!(parse_segment_spec("eu:10:0").is_err());
        assert_eq!(
            parse_segment("data.migrated:true AND data.segment:eu-west"),
            Some("eu-west".into())
        );
        assert_eq!(
            parse_segment("login_failure_ratio{segment=\"us\"}"),
            Some("us".into())
        );
        let (seg, f) = parse_fault("eu:failure-spike@8").expect("fault");
        assert_eq!(
            (seg.as_str(), f.kind, f.from_day),
            ("eu", FaultKind::FailureSpike, 8.0)
        );
        assert!(parse_fault("eu:meltdown@8").is_err());
    }
}
