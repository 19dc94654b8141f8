//! A raw client of the project's socket: the length-delimited JSON frames of
//! `cutover::owner::protocol`, spoken by hand as an attacker or a broken client would, against
//! the real owner (`cutover watch`).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `cutover watch` owning the project, stopped (SIGKILL) when dropped.
pub struct Owner(pub Child);

impl Owner {
    pub fn start(dir: &Path) -> Owner {
        let child = super::bin(dir)
            .arg("watch")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("watch");
        let sock = socket(dir);
        let start = Instant::now();
        while UnixStream::connect(&sock).is_err() {
            assert!(start.elapsed() < Duration::from_secs(10), "no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Owner(child)
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn socket(dir: &Path) -> PathBuf {
    dir.join(".cutover").join("sock")
}

pub fn frame(stream: &mut UnixStream, body: &[u8]) -> std::io::Result<()> {
    stream.write_all(&(body.len() as u32).to_be_bytes())?;
    stream.write_all(body)
}

pub fn read_frame(stream: &mut UnixStream) -> Option<serde_json::Value> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).ok()?;
    let mut body = vec![0; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A client's hello, at the protocol version of this build.
pub fn hello_frame() -> Vec<u8> {
    format!(
        r#"{{"msg":"hello","protocol":{},"role":"command","actor":null}}"#,
        cutover::owner::protocol::PROTOCOL_VERSION
    )
    .into_bytes()
}

pub fn hello(stream: &mut UnixStream) -> serde_json::Value {
    frame(stream, &hello_frame()).expect("hello");
    read_frame(stream).expect("welcome")
}
