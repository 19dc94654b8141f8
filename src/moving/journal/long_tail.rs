//! A long-tail move's lines in the journal (`move --remaining`): the export lines it is
//! limited to, written before its first batch and read again on a resume, so the batches stay
//! the same. One key beside the move's header, `move:<segment>:<which>:only`, the lines as
//! varint deltas.

use super::Journal;
use super::record::{get_varint, put_varint};
use crate::moving::problems::MoveError;

impl Journal {
    /// The export lines a long-tail move (`move --remaining`) is limited to: written before
    /// its first batch, read again on a resume so the batches stay the same.
    pub fn set_only(&self, lines: &[u64]) -> Result<(), MoveError> {
        let mut out = Vec::with_capacity(lines.len() * 2 + 8);
        put_varint(&mut out, lines.len() as u64);
        let mut last = 0;
        for &l in lines {
            put_varint(&mut out, l - last);
            last = l;
        }
        self.samples
            .set_note(&format!("{}:only", self.key()), &out)
            .map_err(|e| self.failed("cannot write the lines of a long-tail move", e))
    }

    /// The lines [`Journal::set_only`] wrote, if any.
    pub fn only(&self) -> Result<Option<Vec<u64>>, MoveError> {
        let Some(bytes) = self
            .samples
            .note(&format!("{}:only", self.key()))
            .map_err(|e| self.failed("cannot read the lines of a long-tail move", e))?
        else {
            return Ok(None);
        };
        let mut at = 0;
        let decoded = (|| {
            let n = get_varint(&bytes, &mut at)?;
            let mut lines = Vec::with_capacity(n.min(1 << 24) as usize);
            let mut last = 0u64;
            for _ in 0..n {
                last = last.checked_add(get_varint(&bytes, &mut at)?)?;
                lines.push(last);
            }
            Some(lines)
        })();
        decoded
            .map(Some)
            .ok_or_else(|| self.failed("the lines of a long-tail move", "do not decode"))
    }
}
