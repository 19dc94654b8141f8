//! Who is who on this machine: user and group names for uids and gids, read from
//! `/etc/passwd` and `/etc/group` (no unsafe FFI). The actor of an action is an OS user, and
//! the project's socket admits users by uid and group.

use std::os::unix::fs::MetadataExt;

fn passwd_field(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

/// The name of a user id, or the number itself when `/etc/passwd` does not list it.
pub fn user_name(uid: u32) -> String {
    passwd_field(uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The real user id of this process.
pub fn current_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The owner uid of a file.
pub fn file_uid(path: &std::path::Path) -> Option<u32> {
    std::fs::metadata(path).ok().map(|m| m.uid())
}

/// A group: its id and the user names listed as its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Look a group up by name in `/etc/group`.
pub fn group(name: &str) -> Option<Group> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|l| {
        let mut f = l.split(':');
        if f.next()? != name {
            return None;
        }
        let gid = f.nth(1)?.parse().ok()?;
        let members = f
            .next()
            .unwrap_or_default()
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect();
        Some(Group {
            name: name.to_string(),
            gid,
            members,
        })
    })
}

/// Whether the user named `user` belongs to the group named `group`: its primary group (in
/// `/etc/passwd`), or listed among the group's members (in `/etc/group`).
pub fn in_group(user: &str, group: &str) -> bool {
    let Some(g) = self::group(group) else {
        return false;
    };
    if g.members.iter().any(|m| m == user) {
        return true;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd.lines().any(|l| {
        let f: Vec<&str> = l.split(':').collect();
        f.len() > 3 && f[0] == user && f[3].parse::<u32>().ok() == Some(g.gid)
    })
}

/// The actor of an action: `--actor` when given, else this process's OS user.
///
/// `$USER` is not consulted: an action taken through another process's socket is named after
/// the peer's OS user (from the socket's credentials), and an owning process must name its own
/// actions the same way, so one person is one actor however they reached the project.
pub fn actor(given: Option<String>) -> String {
    given
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .or_else(|| current_uid().map(user_name))
        .unwrap_or_else(|| "unknown".to_string())
}

/// This machine's host name (as the kernel reports it), for records of who guards.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".to_string())
}

/// Lower the calling thread's scheduling priority (nice 10), for background work that must
/// not take the cores from the cockpit and the polls (a report's drawing). Linux applies a
/// nice value per thread; a system that refuses leaves the priority as it was.
pub fn lower_this_threads_priority() {
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_has_a_name_and_actor_prefers_the_flag() {
        assert_eq!(user_name(0), "root");
        assert_eq!(actor(Some(" ana ".into())), "ana");
        assert_eq!(actor(Some("  ".into())), actor(None));
        assert_ne!(actor(None), "unknown");
    }
}
