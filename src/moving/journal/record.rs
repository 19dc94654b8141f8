//! One batch of a move's journal: its users by export line (and, for a live source or a
//! drift pass, by legacy id), what the target held before it was sent, and what became of
//! each user, in a compact binary form of about two bytes a user (a line as a delta, a bit
//! for "already there", a byte for the outcome). Kept apart from the journal's keys because
//! the encoding is what must stay readable across versions: every field added since the first
//! is behind a flag bit, so an older record still decodes.

/// What became of one user of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Created by this move (an undo deletes it).
    Created,
    /// On the target before this move sent it (an undo never touches it).
    AlreadyPresent,
    /// Refused; the index of its code in [`Record::codes`].
    Failed(u8),
    /// On the target already, and updated with the legacy system's values (a drift pass:
    /// `cutover move --changed-since-move`). An undo never deletes it.
    Updated,
}

/// The outcome byte of [`Outcome::Updated`] (codes take `2 + k`, with at most 250 codes).
const UPDATED: u8 = 255;

/// One batch: its users by export line, and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub lines: Vec<u64>,
    /// Per user: on the target before the batch was sent.
    pub present: Vec<bool>,
    /// Per user, once the target answered; `None` while the batch is in flight.
    pub outcomes: Option<Vec<Outcome>>,
    /// Error codes the outcomes point into (never a target's text).
    pub codes: Vec<String>,
    /// Its created users are deleted again.
    pub undone: bool,
    /// When the target answered the batch, in milliseconds since the epoch (what the
    /// rollback delta counts a user's activity from); `None` in journals written before it
    /// was kept.
    pub acked_ms: Option<i64>,
    /// Per user, its legacy id (an opaque id, never an email): kept for a live source and a
    /// drift pass, whose numbering does not survive users being added or removed on the
    /// legacy system; `None` for a file's move (its lines name users for as long as the file
    /// is the same).
    pub ids: Option<Vec<String>>,
}

pub(in crate::moving::journal) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(in crate::moving::journal) fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

impl Record {
    /// Flags, count, lines (first, then deltas), the "already there" bits, then (once
    /// answered) one byte per user and the codes, then (flag 4) when it was answered.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.lines.len();
        let mut out = Vec::with_capacity(8 + n * 3);
        out.push(
            u8::from(self.outcomes.is_some())
                | (u8::from(self.undone) << 1)
                | (u8::from(self.acked_ms.is_some()) << 2)
                | (u8::from(self.ids.is_some()) << 3),
        );
        put_varint(&mut out, n as u64);
        let mut last = 0;
        for &line in &self.lines {
            put_varint(&mut out, line - last);
            last = line;
        }
        let mut bits = vec![0u8; n.div_ceil(8)];
        for (i, p) in self.present.iter().enumerate() {
            if *p {
                bits[i / 8] |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&bits);
        if let Some(outcomes) = &self.outcomes {
            out.extend(outcomes.iter().map(|o| match o {
                Outcome::Created => 0,
                Outcome::AlreadyPresent => 1,
                Outcome::Failed(k) => 2 + k,
                Outcome::Updated => UPDATED,
            }));
            put_varint(&mut out, self.codes.len() as u64);
            for code in &self.codes {
                put_varint(&mut out, code.len() as u64);
                out.extend_from_slice(code.as_bytes());
            }
        }
        if let Some(ms) = self.acked_ms {
            put_varint(&mut out, ms.max(0) as u64);
        }
        if let Some(ids) = &self.ids {
            for id in ids {
                put_varint(&mut out, id.len() as u64);
                out.extend_from_slice(id.as_bytes());
            }
        }
        out
    }

    /// The record `encode` wrote; `None` for bytes it did not write.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let flags = *bytes.first()?;
        let mut at = 1;
        let n = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
        let mut lines = Vec::with_capacity(n.min(1 << 20));
        let mut last = 0u64;
        for _ in 0..n {
            last = last.checked_add(get_varint(bytes, &mut at)?)?;
            lines.push(last);
        }
        let bits = bytes.get(at..at + n.div_ceil(8))?;
        at += bits.len();
        let present = (0..n).map(|i| bits[i / 8] & (1 << (i % 8)) != 0).collect();
        let mut record = Record {
            lines,
            present,
            undone: flags & 2 != 0,
            ..Record::default()
        };
        if flags & 1 != 0 {
            let raw = bytes.get(at..at + n)?;
            at += n;
            let outcomes = raw
                .iter()
                .map(|b| match b {
                    0 => Outcome::Created,
                    1 => Outcome::AlreadyPresent,
                    &UPDATED => Outcome::Updated,
                    k => Outcome::Failed(k - 2),
                })
                .collect();
            let count = get_varint(bytes, &mut at)?;
            for _ in 0..count {
                let len = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
                let code = std::str::from_utf8(bytes.get(at..at + len)?).ok()?;
                at += len;
                record.codes.push(code.to_string());
            }
            record.outcomes = Some(outcomes);
        }
        if flags & 4 != 0 {
            record.acked_ms = Some(i64::try_from(get_varint(bytes, &mut at)?).ok()?);
        }
        if flags & 8 != 0 {
            let mut ids = Vec::with_capacity(n.min(1 << 20));
            for _ in 0..n {
                let len = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
                ids.push(
                    std::str::from_utf8(bytes.get(at..at + len)?)
                        .ok()?
                        .to_string(),
                );
                at += len;
            }
            record.ids = Some(ids);
        }
        (at == bytes.len()).then_some(record)
    }

    /// The code index of `code`, added when new.
    pub fn code(&mut self, code: &str) -> u8 {
        match self.codes.iter().position(|c| c == code) {
            Some(i) => i as u8,
            None if self.codes.len() < 250 => {
                self.codes.push(code.to_string());
                (self.codes.len() - 1) as u8
            }
            None => (self.codes.len() - 1) as u8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_in_about_two_bytes_a_user() {
        let n = 1000u64;
        let mut r = Record {
            lines: (0..n).map(|i| 2 + i * 2).collect(),
            present: (0..n).map(|i| i % 7 == 0).collect(),
            ..Record::default()
        };
        let code = r.code("DUPLICATE_EMAIL");
        r.outcomes = Some(
            (0..n)
                .map(|i| match i % 7 {
                    0 => Outcome::AlreadyPresent,
                    3 => Outcome::Failed(code),
                    _ => Outcome::Created,
                })
                .collect(),
        );
        let bytes = r.encode();
        assert!(bytes.len() as u64 <= n * 16, "{} bytes", bytes.len());
        assert!(bytes.len() as u64 <= n * 3, "{} bytes", bytes.len());
        assert_eq!(Record::decode(&bytes), Some(r.clone()));
        assert_eq!(Record::decode(&bytes[..bytes.len() - 1]), None);
        r.acked_ms = Some(1_796_000_000_123);
        let acked = r.encode();
        assert_eq!(
            Record::decode(&acked),
            Some(r.clone()),
            "the answer's time is kept"
        );
        if let Some(o) = r.outcomes.as_mut() {
            o[1] = Outcome::Updated;
        }
        r.ids = Some((0..n).map(|i| format!("uid={i},ou=people")).collect());
        let with_ids = r.encode();
        assert_eq!(
            Record::decode(&with_ids),
            Some(r),
            "ids and an update are kept"
        );
        assert_eq!(
            Record::decode(&bytes).and_then(|r| r.acked_ms),
            None,
            "an older record has none"
        );
    }
}
