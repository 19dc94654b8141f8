//! Moving users: a segment's legacy export into its target, paced, journaled and exactly once,
//! with an undo that deletes exactly what the move created (`[segments.move]`, `cutover move`).
//!
//! - [`prepare`]: the export read as the audit reads it, which rows move, in batches;
//! - [`firebase_form`]: a legacy hash in a target's import form;
//! - [`firebase`]: the target's API (over [`http`]'s manners: retries, `Retry-After`);
//! - [`journal`]: what each batch held and what became of it, in the state;
//! - [`run`]: the move, batch by batch; [`undo`]: deleting exactly what it created;
//! - [`report`]: the counts of the whole move.
//!
//! Targets so far: Firebase Authentication (and its emulator). The other four kinds are read
//! and checked in `[segments.move]` and refused by `cutover move` until their clients exist.

pub mod firebase;
pub mod firebase_form;
pub mod http;
pub mod journal;
pub mod prepare;
pub mod problems;
pub mod report;
pub mod run;
pub mod undo;

pub use firebase_form::Unfit;
pub use problems::MoveError;
pub use report::Report;
