//! cutover: a terminal cockpit for customer-identity (CIAM) migrations.
//!
//! This is the map of the crate for the engineer who changes it next (the user's manual is
//! `README.md` and `docs/`).
//!
//! # Layers, and the direction of their imports
//!
//! ```text
//!   cli  tui  report  demo            clients: they speak to an owner through a Session
//!     \    |    |     /
//!            owner                    the one loop that owns a project; protocol, socket
//!              |
//!            engine                   the one path every action takes: decide, record, fire
//!        /     |     \
//!   store   hook   source/runtime     durable state; hooks; live sources and their pollers
//!        \     |     /
//!     config   model                  the project file; the domain, pure (no I/O, no clock)
//! ```
//!
//! An arrow points down only: [`model`] imports nothing of the crate but itself; [`config`]
//! only [`model`]; [`store`] only [`model`]; [`engine`] the layers below it; [`owner`] the
//! engine and below; the clients [`owner`] (and read-only types of [`engine`] and [`model`]).
//! [`export`] and [`audit`] read user exports for the pre-flight; [`moving`] moves a segment's
//! users into its target (the owner runs it as a task: `owner/move_tasks.rs`); [`sim`] is the
//! simulated identity provider (and move target) of the demo and the tests.
//!
//! # The owner, and the life of a request
//!
//! Exactly one process owns a project's state at a time (its lock is `.cutover/lock`): a
//! `watch`, a cockpit, the demo, or a one-shot command when the project is free
//! ([`owner::link`] decides: own it, or attach to its owner). Every other invocation is a
//! client with a [`owner::session::Session`], in-process or through the project's Unix socket;
//! the two cannot tell each other apart.
//!
//! A request (`cutover advance eu`, the cockpit's `a`):
//! 1. the client sends `Request::Act` ([`owner::protocol`]); through the socket, the
//!    connection's reader ([`owner::socket`], `owner/connection.rs`) hands it to the owner's
//!    inbox within the client's budget (`owner/budget.rs`);
//! 2. the loop (`owner/core.rs`) answers it in `owner/requests.rs`: an action goes to
//!    [`engine::Engine::request`], which asks the pure phase machine ([`model::decide`]) and
//!    records the decision in the event log, flushed, before anything happens;
//! 3. a hook is not run in the loop: it runs as a task (`owner/running.rs` holds every task in
//!    flight, each an `owner/inflight.rs` set that answers the waiter whatever happens to the
//!    task), and its outcome comes back to the loop and is recorded under the intent's
//!    sequence number (the idempotency key);
//! 4. every event is told to the client as it is flushed (the acknowledgement), then the final
//!    reply; subscribers get updates (`owner/clients.rs`).
//!
//! Polls, checks, long reads, the wait for a segment's hold, the flush and notification
//! deliveries run the same way: as tasks that come back as messages, so nothing in the loop
//! waits on the outside world. The loop's state is a few owned parts, each changed only by
//! the file that defines it: clients (`owner/clients.rs`), work in flight
//! (`owner/running.rs`), who guards (`owner/team.rs`), what clients have not been told yet
//! (`owner/changes.rs`) and the upkeep of every tick (`owner/periodic.rs`). A client call waits as long as the owner
//! answers, and gives up on an owner silent past `--deadline` (`owner/session.rs`).
//!
//! # The protocol
//!
//! Frames of a 4-byte big-endian length and one JSON message; `hello`, then `welcome` with the
//! owner's protocol number; requests with ids, replies (progress, then one final), updates and
//! `goodbye`. Types in [`owner::protocol`], typed calls in [`owner::calls`], the wire in
//! `docs/protocol.md`, and its shape held by `tests/protocol_wire.rs`.
//!
//! # Storage and coordination
//!
//! [`store::Storage`] is the durable state: the append-only event log (the truth: a segment's
//! phase is the fold of its events, [`model::event::fold`]), the samples with their rollups,
//! typed notes ([`store::notes`]: cockpit memory, notification cursors) and the schema
//! version. Three backends: sled in `.cutover/state` ([`store::Store`]), PostgreSQL for a
//! team ([`store::pg_store::PgStore`]) and memory for tests ([`store::memory`]);
//! [`store::open_backend`] chooses by `[state] backend`, and `tests/storage_conformance.rs`
//! holds all three to the same promises. A backend shared by several processes also offers
//! [`store::coordination::Coordination`]: which process leads (guards and polls), news of the
//! others' appends, and whether it answers; the owner follows it in `owner/team.rs`. A hold
//! that may wait on another process is asked without waiting ([`store::Storage::hold_later`])
//! so the loop never blocks on it. Every sample that enters obeys one rule
//! ([`model::reading`]); a restored log obeys the rules the engine follows
//! ([`model::log_rules`]).
//!
//! # Recipes
//!
//! * **A source kind** (a new vendor's count): its name in `config/file.rs` (`SourceKind`, and
//!   `as_str`); its variant in `config/source_kinds.rs` (`SourceRequest`, holding exactly the
//!   keys it is asked with) and the arms the compiler then asks for there (`kind`,
//!   `key_style`, `from_file`); in `source/mod.rs` the arms it asks for in `request_url` (the
//!   request) and `fetch` (where the number is; a new answer shape gets its function in
//!   `source/parse.rs`); its row in `docs/live-data.md`; a test against a local server
//!   answering with the vendor's documented body in `tests/sources.rs`.
//! * **A storage backend**: a type implementing [`store::Storage`] (the log, the samples
//!   through [`store::kv`]; a backend shared by several processes also answers `hold_later`
//!   without waiting), its `[state]` keys and variant in `config/state.rs`, its arm in
//!   [`store::open_backend`], and its run of `tests/storage_conformance.rs`, the suite sled,
//!   PostgreSQL and [`store::memory`] all pass.
//! * **A cockpit panel**: its data derived from the snapshot in `tui/derive.rs` (or its own
//!   module beside it, like `tui/glance.rs`), drawn in `tui/view/` (render reads only what
//!   derive computed), its keys in `tui/keys.rs` and `tui/update.rs`, and snapshots of every
//!   size in `tests/tui_render.rs`.
//! * **A command**: its arguments in `cli/args.rs` (the man pages and completions follow), its
//!   run in `cli/mod.rs` (one request through [`owner`]: `cli/via_owner.rs`), a new request in
//!   [`owner::protocol`] answered in `owner/requests.rs` with a typed call in
//!   [`owner::calls`] (then bump the protocol version: `tests/protocol_wire.rs` says so), its
//!   page in `docs/command-line.md`.

pub mod audit;
pub mod canary;
pub mod check_recorded;
pub mod check_run;
pub mod cli;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod engine;
pub mod export;
pub mod files;
pub mod hook;
pub mod metrics;
pub mod model;
pub mod moving;
pub mod os;
pub mod owner;
pub mod procgroup;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod reset;
pub mod runtime;
pub mod sample_project;
pub mod secret;
pub mod sim;
pub mod source;
pub mod store;
pub mod tui;
