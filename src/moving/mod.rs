//! Moving users: a segment's legacy export into its target, paced, journaled and exactly once,
//! with an undo that deletes exactly what the move created (`[segments.move]`, `cutover move`).
//!
//! - [`prepare`]: the export read as the audit reads it, which rows move, in batches;
//! - [`target`]: the target, whichever kind, behind three calls (lookup, import, delete); a
//!   client per kind ([`firebase`], [`fusionauth`], [`keycloak`], [`auth0`], [`authgear`]) over
//!   [`http`]'s
//!   manners (retries, `Retry-After`), and its form of a password ([`firebase_form`],
//!   [`fusionauth_form`], [`keycloak_form`], [`auth0_form`], from the parts [`phc`] takes
//!   apart); the two whose imports are asynchronous jobs share [`jobs`];
//! - [`journal`]: what each batch held and what became of it, in the state;
//! - [`run`]: the move, batch by batch; [`undo`]: deleting exactly what it created;
//! - [`drift_pass`]: the users changed on a live legacy system since the move, moved again;
//! - [`report`]: the counts of the whole move.
//!
//! Targets: Firebase Authentication (and its emulator), FusionAuth, Keycloak, Auth0 and
//! Authgear.

pub mod auth0;
pub mod auth0_form;
pub mod authgear;
pub mod drift_pass;
pub mod firebase;
pub mod firebase_form;
pub mod fusionauth;
pub mod fusionauth_form;
pub mod google_auth;
pub mod held;
pub mod http;
pub mod jobs;
pub mod journal;
pub mod keycloak;
pub mod keycloak_form;
pub mod phc;
pub mod plan;
pub mod prepare;
pub mod problems;
pub mod report;
pub mod reset_calls;
pub mod run;
pub mod target;
pub mod undo;

pub use problems::MoveError;
pub use report::Report;
pub use target::{Client, Form, Unfit, Who};
