//! A forecaster's answer kept between processes. A one-shot `cutover status` of a thousand
//! segments in cutover would otherwise fit a thousand forecasts from scratch (about 1.5 ms
//! each), though their inputs change only when a `migrated` sample arrives. So the answer is
//! kept in the state beside a fingerprint of everything it was computed from (the daily
//! points, the plan, the goal, the deadline, the size, the start share, this build's version,
//! the fit's own version and the platform), and a forecaster built afresh from the same inputs
//! takes it instead of fitting.
//!
//! Only an answer computed from scratch is kept (every plateau replay worked out at the
//! current number of points), so a recalled answer is bit for bit the one a fresh fit would
//! give. Numbers are kept as their IEEE bits: nothing is lost, infinities and NaN included.
//! Bytes that do not decode, fail their check, or belong to other inputs are ignored: the
//! forecast is fitted.

use super::{Forecast, Forecaster};
use crate::model::projection::Cohort;
use sha2::{Digest, Sha256};

/// What the kept bytes start with: the layout's name (a new layout is a new name).
const LAYOUT: &[u8] = b"cutover-forecast-1";
/// The fit's own version: bump it with any change to what `Forecaster::assess` answers, so
/// no answer kept by an earlier build is recalled.
const FIT: u32 = 2;
/// Bytes of the check that ends them (a SHA-256 of the rest, cut short).
const CHECK: usize = 8;

impl Forecaster {
    /// A digest of every input of the answer (see the module's doc).
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(LAYOUT);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update([0]);
        // A change to the fit itself bumps FIT; the platform's maths library may differ in
        // the last bit from another's (a team's machines share the notes).
        h.update(FIT.to_le_bytes());
        h.update(std::env::consts::OS.as_bytes());
        h.update(std::env::consts::ARCH.as_bytes());
        h.update([0]);
        for &(key, d, s) in &self.points {
            h.update(key.to_le_bytes());
            h.update(d.to_bits().to_le_bytes());
            h.update(s.to_bits().to_le_bytes());
        }
        h.update(serde_json::to_vec(&self.plan).unwrap_or_default());
        h.update(self.target.goal.to_bits().to_le_bytes());
        h.update(
            self.target
                .limit
                .map_or(u64::MAX, f64::to_bits)
                .to_le_bytes(),
        );
        h.update([u8::from(self.target.limit.is_some())]);
        h.update(self.target.size.to_le_bytes());
        h.update(self.start.to_bits().to_le_bytes());
        h.finalize().into()
    }

    /// The answer to keep: the fingerprint, the forecast, the plateau and the replays'
    /// finishes. `None` when there is nothing worth keeping: not answered for the current
    /// points, or answered partly from replays of fewer points (a forecaster moved forward
    /// sample by sample), which a fresh fit might not match in the last bits.
    pub fn remembered(&self) -> Option<Vec<u8>> {
        let (version, (forecast, plateau)) = self.assessed.as_ref()?;
        if *version != self.version || !self.assessed_fresh {
            return None;
        }
        let mut out = Bytes::default();
        out.raw(LAYOUT);
        out.raw(&self.fingerprint());
        match forecast {
            None => out.byte(0),
            Some(f) => {
                out.byte(1);
                out.forecast(f);
            }
        }
        out.opt_u64(*plateau);
        out.len(self.finishes.len());
        for &(end, finish) in &self.finishes {
            out.len(end);
            out.opt_f64(finish);
        }
        // A check of the bytes themselves: a note damaged on disk is refitted, never believed.
        let check = Sha256::digest(&out.0);
        out.raw(&check[..CHECK]);
        Some(out.0)
    }

    /// Take a kept answer if it was computed from exactly this forecaster's inputs; true when
    /// taken (the next [`Forecaster::assess`] then answers without fitting).
    pub fn recall(&mut self, bytes: &[u8]) -> bool {
        let fingerprint = self.fingerprint();
        let Some(body) = bytes.len().checked_sub(CHECK).map(|at| bytes.split_at(at)) else {
            return false;
        };
        if Sha256::digest(body.0)[..CHECK] != *body.1 {
            return false;
        }
        let mut r = Reader(body.0);
        let Some(answer) = (|| {
            if r.raw(LAYOUT.len())? != LAYOUT || r.raw(32)? != fingerprint {
                return None;
            }
            let forecast = match r.byte()? {
                0 => None,
                1 => Some(r.forecast()?),
                _ => return None,
            };
            let plateau = r.opt_u64()?;
            let n = r.len()?;
            let mut finishes = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                finishes.push((r.len()?, r.opt_f64()?));
            }
            r.0.is_empty().then_some(((forecast, plateau), finishes))
        })() else {
            return false;
        };
        let (assessed, finishes) = answer;
        self.assessed = Some((self.version, assessed));
        self.assessed_fresh = true;
        self.finishes = finishes;
        true
    }
}

/// The kept bytes being written.
#[derive(Default)]
struct Bytes(Vec<u8>);

impl Bytes {
    fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }
    fn u64(&mut self, v: u64) {
        self.raw(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn opt_f64(&mut self, v: Option<f64>) {
        match v {
            None => self.byte(0),
            Some(x) => {
                self.byte(1);
                self.f64(x);
            }
        }
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            None => self.byte(0),
            Some(x) => {
                self.byte(1);
                self.u64(x);
            }
        }
    }
    fn forecast(&mut self, f: &Forecast) {
        self.opt_f64(f.finish);
        self.opt_f64(f.low);
        self.opt_f64(f.high);
        self.byte(match f.reachable {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
        self.len(f.cohorts.len());
        for c in &f.cohorts {
            self.f64(c.share);
            self.f64(c.p);
        }
        self.len(f.band.len());
        for &(d, lo, hi) in &f.band {
            self.f64(d);
            self.f64(lo);
            self.f64(hi);
        }
        self.f64(f.start);
        self.f64(f.data_never);
    }
}

/// The kept bytes being read; every read checks the length left.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn raw(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn byte(&mut self) -> Option<u8> {
        Some(self.raw(1)?[0])
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.raw(8)?.try_into().ok()?))
    }
    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_bits(self.u64()?))
    }
    fn opt_f64(&mut self) -> Option<Option<f64>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(self.f64()?)),
            _ => None,
        }
    }
    fn opt_u64(&mut self) -> Option<Option<u64>> {
        match self.byte()? {
            0 => Some(None),
            1 => Some(Some(self.u64()?)),
            _ => None,
        }
    }
    fn forecast(&mut self) -> Option<Forecast> {
        let (finish, low, high) = (self.opt_f64()?, self.opt_f64()?, self.opt_f64()?);
        let reachable = match self.byte()? {
            0 => None,
            1 => Some(false),
            2 => Some(true),
            _ => return None,
        };
        let n = self.len()?;
        // A count no kept forecast reaches is not trusted for an allocation.
        if n > 64 {
            return None;
        }
        let mut cohorts = Vec::with_capacity(n);
        for _ in 0..n {
            cohorts.push(Cohort {
                share: self.f64()?,
                p: self.f64()?,
            });
        }
        let n = self.len()?;
        if n > self.0.len() / 24 {
            return None;
        }
        let mut band = Vec::with_capacity(n);
        for _ in 0..n {
            band.push((self.f64()?, self.f64()?, self.f64()?));
        }
        Some(Forecast {
            finish,
            low,
            high,
            reachable,
            cohorts,
            band,
            start: self.f64()?,
            data_never: self.f64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::forecast::Target;
    use crate::model::projection::LoginModel;

    fn fed(days: usize) -> Forecaster {
        let mut f = Forecaster::new(
            Some(LoginModel::Single(0.05)),
            Target {
                goal: 0.9,
                limit: Some(60.0),
                size: 100_000,
            },
        );
        for d in 1..=days {
            let s = 0.6 * (1.0 - 0.93_f64.powi(d as i32)) + 0.4 * (1.0 - 0.998_f64.powi(d as i32));
            f.push(d as i64, d as f64, s);
        }
        f
    }

    #[test]
    fn a_fresh_answer_is_recalled_bit_for_bit_and_only_for_the_same_inputs() {
        let mut first = fed(12);
        let answer = first.assess();
        let kept = first.remembered().expect("a fresh answer is kept");
        let mut second = fed(12);
        assert!(second.recall(&kept));
        assert_eq!(second.assess(), answer);
        assert_eq!(second.finishes, first.finishes);
        // Another day's point: other inputs, not recalled.
        let mut later = fed(13);
        assert!(!later.recall(&kept));
        // Bytes cut short or changed are ignored, never a panic.
        let mut cut = fed(12);
        assert!(!cut.recall(&kept[..kept.len() - 1]));
        let mut bent = kept.clone();
        let last = bent.len() - 1;
        bent[last] ^= 0xff;
        assert!(!fed(12).recall(&bent), "a damaged note is refitted");
        assert!(!fed(12).recall(b"nonsense"));
    }

    #[test]
    fn an_answer_moved_forward_sample_by_sample_is_not_kept() {
        let mut f = fed(12);
        f.assess();
        let s = 0.6 * (1.0 - 0.93_f64.powi(13)) + 0.4 * (1.0 - 0.998_f64.powi(13));
        f.push(13, 13.0, s);
        f.assess();
        assert!(
            f.remembered().is_none(),
            "its replays were made at fewer points"
        );
        let mut fresh = fed(13);
        fresh.assess();
        assert!(fresh.remembered().is_some());
    }
}
