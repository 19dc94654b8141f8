//! The undo of a move: in each batch of the journal not yet undone, the users this move created
//! are deleted, and the batch is marked undone, so an undo stopped half way resumes where it
//! stopped. A user that was on the target before the move is never touched. A batch of a live
//! source keeps its users' ids, so users added to or removed from the directory since do not
//! matter; a file's batches name users by line, read back from the export, which must be the
//! one the move read.

use super::journal::{Journal, Outcome, State};
use super::prepare;
use super::problems::MoveError;
use super::run::{Plan, Progress, blocking};
use super::target::{Client, Who};
use crate::export::rows::Field;
use std::collections::{HashMap, HashSet};

/// Delete exactly the users the journal's move created, batch by batch (resumable: a batch
/// marked undone is not asked again), but those at the export lines of `keep` (users active
/// on the target since they moved: see `reconcile::delta`). The export must be the one the
/// move read.
pub async fn undo(
    plan: &Plan,
    target: &Client,
    journal: &Journal,
    keep: &HashSet<u64>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<u64, MoveError> {
    let Some(mut header) = journal.begin_undo()? else {
        return Ok(0);
    };
    let mut records = journal.records(header.run)?;
    records.retain(|(_, r)| !r.undone);
    // The lines of the users to delete: created, or possibly created by a batch in flight. A
    // batch that keeps ids (a live source's) names them itself; the others are read back
    // from the export by line.
    let mut created = HashSet::new();
    let mut named: HashMap<u64, (String, Option<String>)> = HashMap::new();
    for (_, r) in &records {
        for (i, &line) in r.lines.iter().enumerate() {
            let made = match &r.outcomes {
                Some(o) => o[i] == Outcome::Created,
                None => !r.present[i],
            };
            if !made {
                continue;
            }
            created.insert(line);
            if let (Some(ids), false) = (&r.ids, keep.contains(&line)) {
                named.insert(line, (ids[i].clone(), None));
            }
        }
    }
    let kept = created.intersection(keep).count() as u64;
    let wanted: HashSet<u64> = created
        .difference(keep)
        .filter(|l| !named.contains_key(l))
        .copied()
        .collect();
    let mut ids = if wanted.is_empty() {
        HashMap::new()
    } else {
        let (export, fields, sha) = (
            plan.export.clone(),
            plan.fields.clone(),
            header.export_sha256.clone(),
        );
        blocking(move || read_ids(&export, &fields, &wanted, &sha)).await?
    };
    if target.finds_by_email() && !named.is_empty() {
        // Authgear finds users by email: today's are read, by id. A user who left the legacy
        // system, or changed their email there, since the move is not found, and stays.
        let (export, fields) = (plan.export.clone(), plan.fields.clone());
        let wanted: HashSet<String> = named.values().map(|(id, _)| id.clone()).collect();
        let emails = blocking(move || emails_of(&export, &fields, &wanted)).await?;
        for (id, email) in named.values_mut() {
            *email = emails.get(id).cloned();
        }
    }
    ids.extend(named);
    let of: u64 = ids.len() as u64;
    let mut deleted = 0u64;
    for (n, mut record) in records {
        let mut gone: Vec<Who> = record
            .lines
            .iter()
            .filter_map(|l| ids.get(l))
            .map(|(id, email)| Who {
                id,
                email: email.as_deref(),
            })
            .collect();
        if record.outcomes.is_none() {
            // In flight at a kill: only those there now were created.
            let now = target.present(&gone).await?;
            gone.retain(|w| now.contains(w.id));
        }
        target.delete(&gone).await?;
        deleted += gone.len() as u64;
        record.undone = true;
        journal.set_record(header.run, n, &record)?;
        journal.flush()?;
        progress(Progress { done: deleted, of });
    }
    header.state = State::Undone;
    header.kept += kept;
    journal.set_header(&header)?;
    journal.flush()?;
    Ok(deleted)
}

/// The emails of the users of `ids`, as the export has them now (held in memory for the
/// undo's lookups, never written).
fn emails_of(
    export: &crate::export::Source,
    fields: &[Field],
    ids: &HashSet<String>,
) -> Result<HashMap<String, String>, MoveError> {
    let mut out = HashMap::new();
    prepare::stream(export, fields, |_, row| {
        if let Ok(values) = row {
            let user = crate::audit::roles::User::read(values);
            if let (Some(id), Some(email)) = (user.id, user.email)
                && ids.contains(id.as_ref())
            {
                out.insert(id.into_owned(), email.to_string());
            }
        }
    })?;
    Ok(out)
}

/// The legacy ids and emails at `lines` of the export, checked to be the export the move read
/// (held in memory for the undo's lookups, never written).
pub fn read_ids(
    export: &crate::export::Source,
    fields: &[Field],
    lines: &HashSet<u64>,
    sha256: &str,
) -> Result<HashMap<u64, (String, Option<String>)>, MoveError> {
    // A file is sealed by its bytes before it is read. A live source is sealed by the same
    // read that takes the ids: users added or removed between two reads would shift every
    // number after them.
    let changed = || MoveError::Changed {
        path: export.shown(),
    };
    if export.file().is_some() && prepare::digest(export, fields)?.sha256 != sha256 {
        return Err(changed());
    }
    let (ids, seal) = ids_and_seal(export, fields, lines)?;
    if seal.is_some_and(|s| s != sha256) {
        return Err(changed());
    }
    Ok(ids)
}

/// The legacy ids and emails at `lines` of the export (held in memory for lookups, never
/// written).
pub fn ids_at(
    export: &crate::export::Source,
    fields: &[Field],
    lines: &HashSet<u64>,
) -> Result<HashMap<u64, (String, Option<String>)>, MoveError> {
    ids_and_seal(export, fields, lines).map(|(ids, _)| ids)
}

/// [`ids_at`], with a live source's seal from the same read.
type IdsAndSeal = (HashMap<u64, (String, Option<String>)>, Option<String>);

fn ids_and_seal(
    export: &crate::export::Source,
    fields: &[Field],
    lines: &HashSet<u64>,
) -> Result<IdsAndSeal, MoveError> {
    let mut out = HashMap::with_capacity(lines.len());
    let streamed = prepare::stream(export, fields, |line, row| {
        if let (true, Ok(values)) = (lines.contains(&line), row) {
            let user = crate::audit::roles::User::read(values);
            if let Some(id) = user.id {
                out.insert(line, (id.into_owned(), user.email.map(str::to_string)));
            }
        }
    })?;
    Ok((out, streamed.sha256))
}
