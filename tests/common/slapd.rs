//! A real OpenLDAP directory for tests: Debian's `slapd`, configured from a generated
//! `slapd.conf` in a temporary folder, loaded with `slapadd`, started on 127.0.0.1 with a free
//! port (as `nobody` when the tests run as root) and stopped by the pid in its pidfile.
//! `.ci/test` installs `slapd` and `ldap-utils` when missing.
//!
//! The directory: `dc=example,dc=org` with users under `ou=people`, a reader
//! (`cn=reader,dc=example,dc=org`, password [`READER_PW`]) that may read hashes and has no size
//! limit, a second reader (`cn=limited`, same password) held to the default limit of 500
//! entries, a referral (`ou=partners` points at another server), and the `lastbind` overlay,
//! whose `authTimestamp` is each user's last login.
#![allow(dead_code)]

use super::{as_root, free_port};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const BASE: &str = "dc=example,dc=org";
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
pub const READER: &str = "cn=reader,dc=example,dc=org";
pub const LIMITED: &str = "cn=limited,dc=example,dc=org";
pub const READER_PW: &str = "reader-secret";

pub struct Slapd {
    dir: tempfile::TempDir,
    pub port: u16,
}

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload back_monitor
moduleload lastbind
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
sizelimit 500
database mdb
suffix \"{BASE}\"
rootdn \"cn=admin,{BASE}\"
rootpw admin-secret
directory {d}/db
maxsize 4294967296
overlay lastbind
limits dn.exact=\"{READER}\" size=unlimited
access to attrs=userPassword by dn.exact=\"{READER}\" read by dn.exact=\"{LIMITED}\" read by anonymous auth by * none
access to * by * read
database monitor
"
    )
}

/// The directory's own entries: the base, the people, the readers and the referral.
fn skeleton() -> String {
    format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {READER}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: {READER_PW}\n\n\
         dn: {LIMITED}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: limited\nuserPassword: {READER_PW}\n\n\
         dn: ou=partners,{BASE}\nobjectClass: referral\nobjectClass: extensibleObject\nou: partners\nref: ldap://partners.example.net:389/ou=partners,dc=example,dc=net\n\n"
    )
}

impl Slapd {
    /// Configure, load `users` (LDIF entries under [`PEOPLE`]) and start a directory; panics
    /// with slapd's own words if it cannot.
    pub fn start(users: &str) -> Slapd {
        Slapd::start_with(|w| w.write_all(users.as_bytes()))
    }

    /// [`Slapd::start`] with the users written by `users` (a million of them need not fit in
    /// memory).
    pub fn start_with(users: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Slapd {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        std::fs::create_dir(p.join("db")).expect("db folder");
        std::fs::write(p.join("slapd.conf"), config(p)).expect("slapd.conf");
        let mut data =
            std::io::BufWriter::new(std::fs::File::create(p.join("data.ldif")).expect("data.ldif"));
        std::io::Write::write_all(&mut data, skeleton().as_bytes()).expect("data.ldif");
        users(&mut data).expect("data.ldif");
        std::io::Write::flush(&mut data).expect("data.ldif");
        drop(data);
        let out = Command::new("slapadd")
            .args(["-q", "-f"])
            .arg(p.join("slapd.conf"))
            .arg("-l")
            .arg(p.join("data.ldif"))
            .output()
            .expect("slapadd must be installed to run this test (bash .ci/test installs slapd)");
        assert!(
            out.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let slapd = Slapd {
            dir,
            port: free_port(),
        };
        slapd.launch();
        slapd
    }

    fn launch(&self) {
        let p = self.dir.path();
        let url = format!("ldap://127.0.0.1:{}/", self.port);
        let mut cmd = Command::new("slapd");
        cmd.arg("-f").arg(p.join("slapd.conf")).args(["-h", &url]);
        if as_root() {
            let status = Command::new("chown")
                .args(["-R", "nobody:nogroup"])
                .arg(p)
                .status()
                .expect("chown");
            assert!(status.success(), "chown of the directory's folder failed");
            cmd.args(["-u", "nobody", "-g", "nogroup"]);
        }
        let out = cmd.output().expect("slapd");
        assert!(
            out.status.success(),
            "slapd did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "slapd never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `ldap://127.0.0.1:PORT/BASE??sub?FILTER`.
    pub fn url(&self, base: &str, filter: &str) -> String {
        format!("ldap://127.0.0.1:{}/{base}??sub?{filter}", self.port)
    }

    /// The people, as `ldapsearch -LLL` exports them as the reader (every user attribute, the
    /// creation time and the last login): the LDIF export of this directory.
    pub fn export(&self, to: &Path) {
        let out = Command::new("ldapsearch")
            .args(["-x", "-LLL", "-o", "ldif-wrap=76", "-H"])
            .arg(format!("ldap://127.0.0.1:{}/", self.port))
            .args([
                "-D",
                READER,
                "-w",
                READER_PW,
                "-b",
                PEOPLE,
                "-E",
                "pr=500/noprompt",
            ])
            .args([
                "(objectClass=inetOrgPerson)",
                "*",
                "createTimestamp",
                "authTimestamp",
            ])
            .output()
            .expect("ldapsearch must be installed (bash .ci/test installs ldap-utils)");
        assert!(
            out.status.success(),
            "ldapsearch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(to, out.stdout).expect("the LDIF export");
    }

    /// Run an LDIF change (`ldapmodify`) as the directory's manager.
    pub fn modify(&self, ldif: &str) {
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H"])
            .arg(format!("ldap://127.0.0.1:{}/", self.port))
            .args(["-D", &format!("cn=admin,{BASE}"), "-w", "admin-secret"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ldapmodify");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(ldif.as_bytes())
            .expect("the change");
        assert!(
            child.wait().expect("ldapmodify").success(),
            "ldapmodify failed"
        );
    }

    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.path().join("slapd.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let pid = nix::unistd::Pid::from_raw(pid);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let t0 = Instant::now();
            while nix::sys::signal::kill(pid, None).is_ok()
                && t0.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// The legacy id of user `i`.
pub fn uid(i: u64) -> String {
    format!("u{i:06}")
}

/// `n` users as LDIF: `uid`, `mail` (every 40th shares the one before's), `cn`, `sn`, a
/// `userPassword` that is `{SSHA}`, `{CRYPT}` (SHA-512 crypt) or `{PBKDF2-SHA256}` by turns (none
/// on every 50th), a creation time 601 to 1,330 days before `now`, and a last login
/// (`authTimestamp`) on two users of three, 1 to 600 days before `now`; each entry was last
/// modified when it was created.
pub fn people(n: u64, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut out = Vec::new();
    write_people(&mut out, n, now).expect("in memory");
    String::from_utf8(out).unwrap_or_default()
}

/// [`people`], written to `w` one user at a time.
pub fn write_people(
    w: &mut dyn std::io::Write,
    n: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let gt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%d%H%M%SZ").to_string();
    let mut out = String::new();
    for i in 1..=n {
        out.clear();
        let mail = if i % 40 == 0 { i - 1 } else { i };
        let _ = write!(
            out,
            "dn: uid={},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {}\ncn: User {i}\nsn: {i}\nmail: user{mail}@example.org\n",
            uid(i),
            uid(i)
        );
        let hash = match (i % 50, i % 3) {
            (0, _) => None,
            (_, 0) => Some(format!("{{SSHA}}{}", b64.encode([(i % 251) as u8; 24]))),
            (_, 1) => Some(format!(
                "{{CRYPT}}$6$rounds=5000$salt{i:04}$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"
            )),
            _ => Some(format!(
                "{{PBKDF2-SHA256}}10000$c2FsdHNhbHRzYWx0c2FsdA${}",
                b64.encode([(i % 253) as u8; 32])
                    .trim_end_matches('=')
                    .replace('+', ".")
            )),
        };
        if let Some(h) = hash {
            let _ = writeln!(out, "userPassword:: {}", b64.encode(h));
        }
        let created = now - chrono::Duration::days(601 + (i * 7919 % 730) as i64);
        let _ = writeln!(out, "createTimestamp: {}", gt(created));
        let _ = writeln!(out, "modifyTimestamp: {}", gt(created));
        if i % 3 != 0 {
            let last = now - chrono::Duration::days(1 + (i * 104_729 % 600) as i64);
            let _ = writeln!(out, "authTimestamp: {}", gt(last));
        }
        out.push('\n');
        w.write_all(out.as_bytes())?;
    }
    Ok(())
}
