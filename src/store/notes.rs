//! The owner's notes in the state: small values that are neither the log nor samples, each
//! kind typed here with its key and its value. A lead's cockpit memory (sort, filters,
//! "since you last looked") follows them to any machine; a notification sink's cursor says
//! which events it was already sent, so a restart never sends them twice; a segment's last
//! forecast, kept with the fingerprint of its inputs, spares the next process the fit
//! (see `model::forecast::remembered`).
//!
//! They live beside the samples (one key-value map per backend, so every backend holds them
//! without a table of their own), under the keys `user-prefs:<user>`,
//! `notify-cursor:<sink>` (both unchanged since states were first written) and
//! `forecast:<segment>`.

use super::{Samples, StoreError, sample_error};
use crate::model::prefs::UserPrefs;
use std::path::Path;

/// The notes of one state.
pub struct Notes<'a> {
    samples: &'a Samples,
    dir: &'a Path,
}

/// What a note is about; each kind is one key.
enum Note<'a> {
    UserPrefs { user: &'a str },
    NotifyCursor { sink: &'a str },
    Forecast { segment: &'a str },
}

impl Note<'_> {
    fn key(&self) -> String {
        match self {
            Note::UserPrefs { user } => format!("user-prefs:{user}"),
            Note::NotifyCursor { sink } => format!("notify-cursor:{sink}"),
            Note::Forecast { segment } => format!("forecast:{segment}"),
        }
    }
}

impl<'a> Notes<'a> {
    pub fn new(samples: &'a Samples, dir: &'a Path) -> Notes<'a> {
        Notes { samples, dir }
    }

    fn get(&self, note: &Note<'_>) -> Result<Option<Vec<u8>>, StoreError> {
        self.samples
            .note(&note.key())
            .map_err(|e| sample_error(self.dir, e))
    }

    fn set(&self, note: &Note<'_>, value: &[u8]) -> Result<(), StoreError> {
        self.samples
            .set_note(&note.key(), value)
            .map_err(|e| sample_error(self.dir, e))
    }

    /// A user's cockpit memory. One that does not decode reads as none (the cockpit then
    /// opens as for a new user), never as an error that keeps the cockpit shut.
    pub fn prefs(&self, user: &str) -> Result<Option<UserPrefs>, StoreError> {
        Ok(self
            .get(&Note::UserPrefs { user })?
            .as_deref()
            .and_then(UserPrefs::decode))
    }

    /// Keep a user's cockpit memory (not flushed: see `Storage::sync`).
    pub fn set_prefs(&self, user: &str, prefs: &UserPrefs) -> Result<(), StoreError> {
        self.set(&Note::UserPrefs { user }, &self.encode_prefs(user, prefs)?)
    }

    /// A user's cockpit memory as its note holds it.
    pub fn encode_prefs(&self, user: &str, prefs: &UserPrefs) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(prefs).map_err(|e| StoreError::Corrupt {
            dir: self.dir.to_path_buf(),
            cause: format!("{user}'s cockpit memory does not serialize: {e}"),
        })
    }

    /// A segment's kept forecast, as `Forecaster::remembered` wrote it.
    pub fn forecast(&self, segment: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(&Note::Forecast { segment })
    }

    /// Keep a segment's forecast (not flushed: see `Storage::sync`).
    pub fn set_forecast(&self, segment: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.set(&Note::Forecast { segment }, bytes)
    }

    /// The last event a sink was sent. One that does not decode reads as none.
    pub fn cursor(&self, sink: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .get(&Note::NotifyCursor { sink })?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|t| t.parse().ok()))
    }

    /// Keep the last event a sink was sent (not flushed: see `Storage::sync`).
    pub fn set_cursor(&self, sink: &str, seq: u64) -> Result<(), StoreError> {
        self.set(&Note::NotifyCursor { sink }, seq.to_string().as_bytes())
    }
}
