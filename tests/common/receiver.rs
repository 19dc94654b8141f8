//! A notification receiver for tests: records every JSON body POSTed to it, answers 200, and
//! can be taken down (its port closed, connections refused) and brought back on the same port.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A receiver that records every JSON body POSTed to it, and can be taken down (its port
/// closed: connections refused) and brought back on the same port.
pub struct Receiver {
    pub port: u16,
    bodies: Arc<Mutex<Vec<Value>>>,
    up: Arc<AtomicBool>,
}

impl Receiver {
    /// Start on a port the system picks, served from the listener that took it (binding,
    /// closing and binding again would let a test running beside this one take the port).
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let r = Receiver {
            port: listener.local_addr().expect("addr").port(),
            bodies: Arc::default(),
            up: Arc::new(AtomicBool::new(true)),
        };
        r.serve(listener);
        r
    }

    /// Open the port again after [`Receiver::down`] (retried a while: the closed socket may
    /// linger a moment).
    pub fn up(&self) {
        let start = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(start.elapsed() < Duration::from_secs(10), "rebind: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        self.up.store(true, Ordering::SeqCst);
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("nonblocking");
        let (bodies, up) = (self.bodies.clone(), self.up.clone());
        std::thread::spawn(move || {
            while up.load(Ordering::SeqCst) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                if let Ok(v) = serde_json::from_slice(&body) {
                    bodies.lock().expect("bodies").push(v);
                }
                let _ = reader.get_mut().write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
    }

    /// Close the port: every connection is refused until [`Receiver::up`].
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().expect("bodies").clone()
    }

    pub fn wait(
        &self,
        within: Duration,
        what: &str,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let t0 = Instant::now();
        loop {
            let b = self.bodies();
            if pred(&b) {
                return b;
            }
            assert!(t0.elapsed() < within, "no {what} within {within:?}: {b:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
