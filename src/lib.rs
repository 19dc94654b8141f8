//! cutover: a terminal cockpit for customer-identity (CIAM) migrations.
//!
//! Layers, from the inside out:
//! * [`model`]: the domain (phases, machine, projection, audit-log fold); pure, no I/O.
//! * [`config`]: the project file `cutover.toml`, parsed and validated.
//! * [`store`]: the durable state in sled (event log, samples, schema version, lock).
//! * [`hook`]: firing cutover/rollback/done hooks (commands, webhooks).
//! * [`engine`]: the one path every action takes: decide, record, fire, record.
//! * [`owner`]: the one loop that owns a project (pollers, guards, hooks, flushing) and its
//!   protocol, served in-process and on the project's Unix socket.
//! * [`tui`], [`cli`], [`report`], [`demo`]: clients of the owner.

pub mod audit;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod engine;
pub mod export;
pub mod files;
pub mod hook;
pub mod model;
pub mod notify;
pub mod os;
pub mod owner;
pub mod procgroup;
pub mod progress;
pub mod report;
pub mod runtime;
pub mod sample;
pub mod secret;
pub mod sim;
pub mod source;
pub mod store;
pub mod tui;
