//! cutover in the team's dashboards: the owning process serves its view of the project as
//! Prometheus metrics (`cutover watch --metrics ADDR`, or `[project] metrics = "ADDR"`), so
//! "eu is 41 % migrated, 3 points behind, guard failing" can sit on the wall screen next to
//! the login error rate, and a failing guard can page through Alertmanager.
//!
//! ```text
//!   owner loop ──updates (as to any cockpit)──▶ feeder task ──▶ Board (in memory)
//!                                                                  ▲
//!   Prometheus ──GET /metrics──▶ http.rs ──render under the lock───┘
//! ```
//!
//! The exporter is an in-process client of the owner: it subscribes as a cockpit does and
//! keeps a [`board::Board`] from the same updates. A scrape renders the board: it never waits
//! on the owner loop and never reads the store. [`families`] says which series there are;
//! [`exposition`] writes them as Prometheus' text or OpenMetrics.
//!
//! The address: a port alone (`9464`, `:9464`) or `localhost:PORT` binds 127.0.0.1; an
//! address outside loopback (`0.0.0.0:9464`, `10.0.0.5:9464`) is bound only when named.

pub mod board;
pub mod exposition;
pub mod families;
mod http;

use crate::owner::protocol::ServerMsg;
use board::{Board, Next, OwnerFacts};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{RwLock, mpsc};
use tokio::task::JoinHandle;

/// Asks the owner for the project anew (subscribing again): after a snapshot it could not
/// take, and when the list of approvals changed (it comes with a snapshot only).
pub type Resubscribe = Box<dyn Fn() + Send + Sync>;

/// The address `text` names: `PORT`, `:PORT`, `localhost:PORT` (all on 127.0.0.1), or an IP
/// address and port (`0.0.0.0:9464`, `[::1]:9464`).
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    let port_alone = t.strip_prefix(':').unwrap_or(t);
    let localhost = t.strip_prefix("localhost:");
    if let Some(port) =
        localhost.or(Some(port_alone).filter(|p| p.chars().all(|c| c.is_ascii_digit())))
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    t.parse::<SocketAddr>().map_err(|_| {
        format!(
            "'{text}' is not an address to serve metrics on: give a port (9464, bound on 127.0.0.1) or an IP address and a port (127.0.0.1:9464; 0.0.0.0:9464 serves every interface)"
        )
    })
}

/// Bind the metrics address (before the owner starts, so a port in use is said at once).
pub fn bind(addr: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        let fix = if e.kind() == std::io::ErrorKind::AddrInUse {
            "another process serves there: pick another port (--metrics, or [project] metrics)"
        } else {
            "name an address of this machine (--metrics, or [project] metrics)"
        };
        anyhow::anyhow!("cannot serve metrics on {addr}: {e}; {fix}")
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// A running exporter: the task that keeps the board and the HTTP server. Dropping it stops
/// both.
pub struct Exporter {
    addr: SocketAddr,
    feeder: JoinHandle<()>,
    server: JoinHandle<()>,
}

impl Exporter {
    /// Serve `listener` from the board that `messages` (the owner's, to a subscribed client)
    /// keep; `resubscribe` asks the owner for the project anew. Must run inside a tokio
    /// runtime.
    pub fn start(
        listener: std::net::TcpListener,
        owner: OwnerFacts,
        mut messages: mpsc::UnboundedReceiver<ServerMsg>,
        resubscribe: Resubscribe,
    ) -> std::io::Result<Exporter> {
        let addr = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let board = Arc::new(RwLock::new(Board::new(owner)));
        let fed = board.clone();
        let feeder = tokio::spawn(async move {
            while let Some(msg) = messages.recv().await {
                let next = fed.write().await.absorb(msg);
                match next {
                    Next::Nothing => {}
                    Next::Refresh => resubscribe(),
                    // The owner could not take its snapshot (its database away, say): the
                    // board would stay empty; ask again in a second.
                    Next::RetryLater => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        resubscribe();
                    }
                }
            }
        });
        let server = tokio::spawn(http::serve(listener, board));
        Ok(Exporter {
            addr,
            feeder,
            server,
        })
    }

    /// Where it serves (the port the system chose for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.feeder.abort();
        self.server.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_alone_binds_loopback_and_an_outside_address_only_when_named() {
        let lo = |p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p);
        assert_eq!(listen_address("9464"), Ok(lo(9464)));
        assert_eq!(listen_address(":9464"), Ok(lo(9464)));
        assert_eq!(listen_address("localhost:0"), Ok(lo(0)));
        assert_eq!(
            listen_address("0.0.0.0:9464").map(|a| a.ip().is_unspecified()),
            Ok(true)
        );
        assert_eq!(
            listen_address("[::1]:9464").map(|a| a.ip().is_loopback()),
            Ok(true)
        );
        let err = listen_address("metrics.example:9464").expect_err("a host name");
        assert!(err.contains("127.0.0.1:9464"), "{err}");
        assert!(listen_address("99999").is_err());
    }
}
