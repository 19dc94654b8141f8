//! Every invocation finds the owner: if the project is free it becomes the owner (and serves
//! the socket); if another process owns it, it attaches through the socket. When the owner
//! goes (it quit, or was killed), an attached `watch` or cockpit takes over: the kernel frees
//! the lock at once, one survivor wins it and starts the pollers and guards, and the others
//! attach to the winner. Guards never stop silently while any of them is open.

use super::Script;
use super::protocol::{Role, Welcome};
use super::session::{AttachError, Lost, Session};
use super::{Owner, OwnerOptions, StopMode, socket_path};
use crate::clock::Clock;
use crate::engine::Engine;
use crate::store::{Storage, StoreError};
use anyhow::{Result, anyhow};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where the project is and how this invocation would own it.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub project_dir: PathBuf,
    pub state_dir: PathBuf,
    pub role: Role,
    /// `--actor`, when given.
    pub actor: Option<String>,
    pub clock: Clock,
    /// Whether an owner started here runs the pollers and guards.
    pub poll: bool,
    /// How long to keep trying to own or attach before giving up.
    pub patience: Duration,
    /// `watch --metrics`: where an owner started here serves its metrics (over the project
    /// file's `[project] metrics`).
    pub metrics: Option<std::net::SocketAddr>,
}

impl LinkConfig {
    pub fn new(project_dir: PathBuf, state_dir: PathBuf, role: Role) -> LinkConfig {
        LinkConfig {
            project_dir,
            state_dir,
            role,
            actor: None,
            clock: Clock::real(),
            poll: role != Role::Command,
            patience: Duration::from_secs(5),
            metrics: None,
        }
    }
}

/// This invocation's way to the owner: its own [`Owner`], or an attachment to another's.
pub struct Link {
    pub config: LinkConfig,
    owner: Option<Owner>,
    pub session: Session,
}

impl Link {
    /// Own the project if it is free, else attach to its owner.
    pub async fn establish(config: LinkConfig) -> Result<Link> {
        let deadline = Instant::now() + config.patience;
        let socket = socket_path(&config.state_dir);
        // An owner most likely runs when its socket is there: try it first, which spares this
        // process reading and checking the project file (a thousand segments take
        // milliseconds) only to find the state locked. A socket nobody answers falls through.
        if socket.exists()
            && let Ok(session) = Session::connect(&socket, config.role, config.actor.clone()).await
        {
            return Ok(Link {
                config,
                owner: None,
                session,
            });
        }
        loop {
            match own(&config, None) {
                Ok(owner) => {
                    let session = owner.connect(config.actor.clone()).await;
                    return Ok(Link {
                        config,
                        owner: Some(owner),
                        session,
                    });
                }
                Err(e) => {
                    // Locked: another process owns it. Unusable: this user cannot open the
                    // state itself, but may still be admitted by its owner (socket_group).
                    let unusable = match e.downcast_ref::<StoreError>() {
                        Some(StoreError::Locked { .. }) => false,
                        Some(StoreError::Unusable { .. }) => true,
                        _ => return Err(e),
                    };
                    match Session::connect(&socket, config.role, config.actor.clone()).await {
                        Ok(session) => {
                            return Ok(Link {
                                config,
                                owner: None,
                                session,
                            });
                        }
                        // Refused for good: retrying cannot help.
                        Err(
                            ce @ (AttachError::NotAdmitted(_)
                            | AttachError::Refused(_)
                            | AttachError::OtherProtocol { .. }),
                        ) => {
                            return Err(ce.into());
                        }
                        Err(ce) => {
                            tracing::debug!("attach failed: {ce}");
                            if unusable {
                                return Err(e);
                            }
                            if Instant::now() >= deadline {
                                return Err(anyhow!("{e} (its socket did not answer: {ce})"));
                            }
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wrap an owner this process started itself (the demo starts one with its script).
    pub async fn owned(config: LinkConfig, owner: Owner) -> Link {
        let session = owner.connect(config.actor.clone()).await;
        Link {
            config,
            owner: Some(owner),
            session,
        }
    }

    /// Whom this link is attached to: `None` when this process owns the project.
    pub fn attached_to(&self) -> Option<&Welcome> {
        self.owner.is_none().then_some(&self.session.welcome)
    }

    pub fn owns(&self) -> bool {
        self.owner.is_some()
    }

    /// Where this process serves the project's metrics: only while it owns the project.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.owner.as_ref().and_then(Owner::metrics_addr)
    }

    /// Why the metrics asked for are not served, while this process owns the project.
    pub fn metrics_problem(&self) -> Option<&str> {
        self.owner.as_ref().and_then(|o| o.metrics_error.as_deref())
    }

    /// After the owner went away: own the project or attach to whoever took it, keeping the
    /// previous owner's clock (a demo's simulated time goes on).
    pub async fn reestablish(&mut self) -> Result<()> {
        if let Some(owner) = self.owner.take() {
            let _ = owner.stop(StopMode::Now).await;
        }
        let mut config = self.config.clone();
        // The previous owner's clock as it runs now (not as it was when this one attached).
        config.clock = self.session.clock;
        config.poll = true;
        let fresh = Link::establish(config).await?;
        *self = fresh;
        Ok(())
    }

    /// Why the session ended.
    pub fn lost(&self) -> Lost {
        self.session.lost()
    }

    /// Close this link; an owner here stops as `mode` says.
    pub async fn close(self, mode: StopMode) -> Result<()> {
        let Link { owner, session, .. } = self;
        drop(session);
        match owner {
            Some(owner) => owner.stop(mode).await,
            None => Ok(()),
        }
    }
}

/// The project's state on the backend its `[state]` names ([`crate::store::open_backend`]).
/// `long_lived`: see [`crate::store::open_backend`].
pub fn open_state(
    project: &crate::config::Project,
    state_dir: &std::path::Path,
    long_lived: bool,
) -> Result<Box<dyn Storage>> {
    crate::store::open_backend(&project.state, state_dir, &project.name, long_lived)
}

/// A guard that cannot roll back is not a guard: a long-lived owner (`watch`, the cockpit, the
/// demo) refuses to start on a project with a segment in cutover whose rollback hook cannot
/// run on this machine (its program is missing or not executable, or an `env:` value it needs
/// is not set), naming it and the fix. (`check` only warns: it may run on another machine.)
fn refuse_unrunnable_rollbacks(engine: &Engine, dir: &std::path::Path) -> Result<()> {
    let cannot: Vec<String> = engine
        .project()
        .segments
        .iter()
        .filter(|s| engine.state(&s.id).phase == crate::model::Phase::Cutover)
        .filter_map(|s| {
            let why = crate::config::rollback_cannot_run(s, dir)?;
            Some(format!(
                "{}: its rollback hook cannot run here: {why}",
                s.id
            ))
        })
        .collect();
    if cannot.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to guard a segment that could not be rolled back: {}; fix the hook (`cutover check` lists it), or roll the segment back by hand, then start again",
        cannot.join("; ")
    )
}

/// Whether a project file has a `[state]` table or `state` key (or cannot be read): its state
/// may be kept elsewhere than the local folder.
fn names_its_state(file: &std::path::Path) -> bool {
    std::fs::read_to_string(file).map_or(true, |text| {
        text.lines().any(|line| {
            let line = line.trim_start().trim_start_matches('[').trim_start();
            line.strip_prefix("state")
                .is_some_and(|rest| rest.trim_start().starts_with([']', '.', '=']))
        })
    })
}

/// Open the project's state and start an owner on it (fails with `StoreError::Locked` when
/// another process owns it).
pub fn own(config: &LinkConfig, script: Option<Box<dyn Script>>) -> Result<Owner> {
    // A folder that holds a local state already is opened while the project file is read
    // (for a thousand segments each is a sixth of a one-shot `status`), unless the file has a
    // word to say about the state (`[state] backend`: a project moved to PostgreSQL keeps its
    // old folder, which is then left alone). The file still decides after reading it.
    let local = config.state_dir.join("state").is_dir()
        && !names_its_state(&config.project_dir.join(crate::config::FILE_NAME));
    let (project, early) = std::thread::scope(|scope| {
        let early = local.then(|| scope.spawn(|| crate::store::Store::open(&config.state_dir)));
        let project = crate::config::load_to_run(&config.project_dir);
        (project, early.map(|opening| opening.join()))
    });
    let project = project?;
    let store: Box<dyn Storage> = match early {
        Some(Ok(opened)) if matches!(project.state, crate::config::StateBackend::Sled) => {
            Box::new(opened?)
        }
        other => {
            drop(other);
            open_state(&project, &config.state_dir, config.poll)?
        }
    };
    for note in store.recovered() {
        tracing::warn!("{note}");
        eprintln!("cutover: {note}");
    }
    let socket_group = project.socket_group.clone();
    // A long-lived owner (`watch`, the cockpit) serves metrics where asked; a one-shot
    // command or the demo never does.
    let long_lived = config.poll && matches!(config.role, Role::Watch | Role::Cockpit);
    // A port that cannot be bound never keeps the project from being guarded: the owner
    // starts without metrics and says why (`watch` refuses to start on it, but guards on
    // after a takeover).
    let (metrics, metrics_error) = match config.metrics.or(project.metrics) {
        Some(addr) if long_lived => match crate::metrics::bind(addr) {
            Ok(listener) => (Some(listener), None),
            Err(e) => {
                tracing::warn!("{e}");
                (None, Some(e.to_string()))
            }
        },
        _ => (None, None),
    };
    let engine = Engine::boxed(project, config.project_dir.clone(), store)?;
    // A viewer's role on the team backend never leads, so never fires a rollback here.
    let may_write = engine
        .store()
        .coordination()
        .is_none_or(|c| c.session().writes);
    if config.poll && may_write {
        refuse_unrunnable_rollbacks(&engine, &config.project_dir)?;
    }
    let mut owner = Owner::start(
        engine,
        OwnerOptions {
            role: config.role,
            clock: config.clock,
            script,
            poll: config.poll,
            serve: true,
            socket_group,
            metrics,
        },
    )?;
    owner.metrics_error = metrics_error;
    Ok(owner)
}

#[cfg(test)]
mod tests {
    use super::names_its_state;

    #[test]
    fn a_file_that_names_its_state_is_read_before_the_state_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("cutover.toml");
        assert!(names_its_state(&file), "an unreadable file may name it");
        for (text, names) in [
            ("[project]\nname = \"p\"\n", false),
            ("[project]\nstatefile = \"x\"\n", false),
            ("[state]\nbackend = \"postgres\"\n", true),
            ("  [ state ]\n", true),
            ("state.backend = \"postgres\"\n", true),
            ("state = { backend = \"postgres\" }\n", true),
        ] {
            std::fs::write(&file, text).expect("write");
            assert_eq!(names_its_state(&file), names, "{text}");
        }
    }
}
