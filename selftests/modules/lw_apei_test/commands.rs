// SPDX-License-Identifier: GPL-2.0

//! The commands of `lw_apei_test`, written to `/sys/kernel/debug/lw_apei/run`
//! ([`Handler`]): records raised through the synthetic firmware's sources
//! (`nmi N`, `irq N`, `poll N`, `dup N [irq]`, `big LEN [irq]`, `fatal`, `midcopy`,
//! `pend`, `flush`), the error-source registry, a
//! [`RefRegistry`](lastwords::registry::RefRegistry) of [`RegObj`] (`walk MS`,
//! `churn N`, `hold`, `release`, `clear`, and the `orphans` file), and the
//! storm benchmark (`storm_bench N`).

use crate::firmware::{self_nmi, Fw, IrqLine, PollerOwner, IRQ0, NMI0, NMI1, POLL0};
use crate::lastwords;
use crate::{
    CHURN_OPS, PERM_NODES, REG_ALLOC, REG_FREED, REG_LIVE, REG_ORPHANS, WALKS, WALK_ERRORS,
    WALK_PERM_VISITS, WALK_VISITS,
};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use lastwords::apei::cper::{self, Severity};
use lastwords::apei::{Apei, RECORD_MAX};
use lastwords::debugfs::{bump, TextSource, WriteHandler};
use lastwords::fixed_buf::FixedBuf;
use lastwords::registry::{Id, NodeInfo, RefRegistry};
use lastwords::time;

/// Registry capacity.
const REG_NODES: usize = 32;
/// Registry node tags.
const KIND_PERM: u8 = 1;
const KIND_TRANSIENT: u8 = 2;
/// Most references `hold` keeps.
const MAX_HELD: usize = 8;

/// A registry node's object; counts its own frees.
struct RegObj {
    permanent: bool,
    visits: u64,
}

impl RegObj {
    fn new(permanent: bool) -> Self {
        bump(&REG_ALLOC);
        Self {
            permanent,
            visits: 0,
        }
    }
}

impl Drop for RegObj {
    fn drop(&mut self) {
        bump(&REG_FREED);
    }
}

/// What the record commands share (serialised by the mutex).
struct CmdState {
    payload: VVec<u8>,
    seq: u32,
}

impl CmdState {
    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}

/// The command handler: the pipeline and its sources' notifications, and the
/// error-source registry.
#[pin_data]
pub(crate) struct Handler {
    apei: Arc<Apei<Fw>>,
    #[pin]
    cmd: Mutex<CmdState>,
    irq: Pin<KBox<IrqLine>>,
    poller: PollerOwner,
    #[pin]
    reg: RefRegistry<RegObj, REG_NODES>,
    #[pin]
    held: Mutex<[Option<Id>; MAX_HELD]>,
    /// The first permanent root (an [`Id`] as `u32`), parent of the churn.
    perm_root: AtomicU32,
}

fn parse_u64(data: &[u8]) -> Option<u64> {
    if data.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in data {
        let d = c.checked_sub(b'0').filter(|d| *d < 10)?;
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

fn arg(rest: &[u8]) -> Result<u64> {
    parse_u64(rest).ok_or(EINVAL)
}

/// The word before the first space of `data`, and what follows that space.
fn split_word(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b' ') {
        Some(i) => (
            data.get(..i).unwrap_or(&[]),
            data.get(i + 1..).unwrap_or(&[]),
        ),
        None => (data, &[][..]),
    }
}

/// The source a command names after its number: `nmi` or nothing (the
/// command's NMI-like source, `nmi`), or `irq` (irq0: where there is no NMI).
fn source_arg(word: &[u8], nmi: usize) -> Result<usize> {
    match word {
        b"" | b"nmi" => Ok(nmi),
        b"irq" => Ok(IRQ0),
        _ => Err(EINVAL),
    }
}

fn count_arg(rest: &[u8]) -> Result<u32> {
    u32::try_from(arg(rest)?)
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .ok_or(EINVAL)
}

/// Default record length of the storms.
const STORM_LEN: usize = 256;

impl Handler {
    /// The commands on `apei`, whose sources irq0 and poll0 are notified
    /// through `irq` and `poller`, with an empty registry.
    pub(crate) fn new(
        apei: Arc<Apei<Fw>>,
        irq: Pin<KBox<IrqLine>>,
        poller: PollerOwner,
    ) -> Result<impl PinInit<Self, Error>> {
        let payload = VVec::from_elem(0u8, RECORD_MAX, GFP_KERNEL)?;
        Ok(try_pin_init!(Handler {
            apei,
            cmd <- new_mutex!(CmdState { payload, seq: 0 }, "lw_apei_test::cmd"),
            irq,
            poller,
            reg <- RefRegistry::new(),
            held <- new_mutex!([None; MAX_HELD], "lw_apei_test::held"),
            perm_root: AtomicU32::new(0),
        }? Error))
    }

    /// Adds the permanent sources: four roots, two children.
    pub(crate) fn add_permanent(&self) -> Result {
        let mut roots = [Id::from_u32(0); 4];
        for r in roots.iter_mut() {
            *r = self.reg.add(None, KIND_PERM, RegObj::new(true))?;
        }
        for r in roots.iter().take(2) {
            self.reg.add(Some(*r), KIND_PERM, RegObj::new(true))?;
        }
        self.perm_root.store(roots[0].to_u32(), Ordering::Relaxed);
        PERM_NODES.store(6, Ordering::Relaxed);
        self.update_gauges();
        Ok(())
    }

    /// Drops the held references and removes every source (unload).
    pub(crate) fn teardown(&self) {
        let _ = self.release();
        self.reg.remove_all();
        self.update_gauges();
    }

    fn post(&self, st: &mut CmdState, source: usize, sev: Severity, len: usize) -> Result {
        let seq = st.next_seq();
        self.apei
            .firmware()
            .post(source, sev, seq, len, st.payload.as_mut_slice())
    }

    /// One record from `source`, notified its way; waits until it was read.
    fn raise(&self, st: &mut CmdState, source: usize, sev: Severity, len: usize) -> Result {
        self.post(st, source, sev, len)?;
        self.kick(source)
    }

    fn kick(&self, source: usize) -> Result {
        let fw = self.apei.firmware();
        match source {
            NMI0 | NMI1 => {
                self_nmi()?;
                fw.wait_acked(source)
            }
            IRQ0 => {
                self.irq.queue();
                fw.wait_acked(source)
            }
            _ => {
                self.poller.raise();
                fw.wait_acked_sleeping(source)
            }
        }
    }

    fn storm(&self, source: usize, n: u32) -> Result {
        let mut st = self.cmd.lock();
        for _ in 0..n {
            self.raise(&mut st, source, Severity::Corrected, STORM_LEN)?;
        }
        Ok(())
    }

    fn dup(&self, source: usize, n: u32) -> Result {
        let mut st = self.cmd.lock();
        let seq = st.next_seq();
        for _ in 0..n {
            self.apei.firmware().post(
                source,
                Severity::Corrected,
                seq,
                STORM_LEN,
                st.payload.as_mut_slice(),
            )?;
            self.kick(source)?;
        }
        Ok(())
    }

    fn midcopy(&self) -> Result {
        let mut st = self.cmd.lock();
        let fw = self.apei.firmware();
        // nmi0's record waits in its block for the NMI that irq0's copy
        // sends halfway; irq0's record is large so that the copy is slow.
        self.post(&mut st, NMI0, Severity::Recoverable, 4096)?;
        self.post(&mut st, IRQ0, Severity::Recoverable, 60000)?;
        fw.arm_midcopy(IRQ0);
        self.irq.queue();
        fw.wait_acked(IRQ0)?;
        fw.wait_acked(NMI0)
    }

    fn update_gauges(&self) {
        let (live, orphans) = self.reg.counts();
        REG_LIVE.store(live as u64, Ordering::Relaxed);
        REG_ORPHANS.store(orphans as u64, Ordering::Relaxed);
    }

    fn walk(&self, ms: u32) -> Result {
        let r = self.reg.walk(ms, |_, o| {
            o.visits = o.visits.wrapping_add(1);
            bump(&WALK_VISITS);
            if o.permanent {
                bump(&WALK_PERM_VISITS);
            }
        });
        match r {
            Ok(_) => bump(&WALKS),
            Err(_) => bump(&WALK_ERRORS),
        }
        self.update_gauges();
        r.map(|_| ())
    }

    /// Adds a transient parent and child under the permanent root, removes
    /// the parent (an orphan, kept by its child), sleeps, removes the child
    /// (which frees both), `n` times.
    fn churn(&self, n: u32) -> Result {
        for _ in 0..n {
            let p = self.reg.add(
                Some(Id::from_u32(self.perm_root.load(Ordering::Relaxed))),
                KIND_TRANSIENT,
                RegObj::new(false),
            )?;
            let c = self.reg.add(Some(p), KIND_TRANSIENT, RegObj::new(false))?;
            self.reg.remove(p)?;
            self.update_gauges();
            time::msleep(25);
            self.reg.remove(c)?;
            bump(&CHURN_OPS);
            self.update_gauges();
        }
        Ok(())
    }

    /// Adds a transient node, takes a reference and removes it: an orphan
    /// until `release`.
    fn hold(&self) -> Result {
        let mut held = self.held.lock();
        let slot = held.iter_mut().find(|s| s.is_none()).ok_or(ENOSPC)?;
        let id = self.reg.add(None, KIND_TRANSIENT, RegObj::new(false))?;
        self.reg.get(id)?;
        self.reg.remove(id)?;
        *slot = Some(id);
        drop(held);
        self.update_gauges();
        Ok(())
    }

    fn release(&self) -> Result {
        let mut held = self.held.lock();
        for s in held.iter_mut() {
            if let Some(id) = s.take() {
                self.reg.put(id)?;
            }
        }
        drop(held);
        self.update_gauges();
        Ok(())
    }

    fn clear(&self) -> Result {
        self.release()?;
        self.reg.remove_all();
        self.update_gauges();
        Ok(())
    }

    /// Storm throughput: `n` records from NMI to processed.
    fn storm_bench(&self, n: u32) -> Result {
        self.apei.flush();
        let c = self.apei.counters();
        let base = c.processed.load(Ordering::Relaxed);
        let t0 = time::now_ns();
        {
            let mut st = self.cmd.lock();
            for i in 0..n {
                self.raise(&mut st, NMI0, Severity::Corrected, STORM_LEN)?;
                if i % 8 == 7 {
                    self.apei.flush();
                }
            }
        }
        self.apei.flush();
        let ns = time::now_ns().wrapping_sub(t0);
        let done = c.processed.load(Ordering::Relaxed).wrapping_sub(base);
        let ns = u64::try_from(ns).unwrap_or(0);
        // `checked_div` by at least 1: the same quotient, and no panic path
        // (objtool does not know `panic_const_div_by_zero` as noreturn).
        let per = ns.checked_div(done.max(1)).unwrap_or(0);
        pr_info!("bench storm_nmi rust {}\n", per);
        pr_info!(
            "bench storm_nmi_rate rust {}\n",
            1_000_000_000u64.checked_div(per.max(1)).unwrap_or(0)
        );
        if done != u64::from(n) {
            pr_err!("storm_bench: {} of {} processed\n", done, n);
            return Err(EIO);
        }
        Ok(())
    }
}

impl WriteHandler for Handler {
    fn write(&self, data: &[u8]) -> Result {
        let (cmd, rest) = split_word(data);
        match cmd {
            b"nmi" => self.storm(NMI0, count_arg(rest)?),
            b"irq" => self.storm(IRQ0, count_arg(rest)?),
            b"poll" => self.storm(POLL0, count_arg(rest)?),
            b"dup" => {
                let (n, via) = split_word(rest);
                self.dup(source_arg(via, NMI0)?, count_arg(n)?)
            }
            b"big" => {
                let (len, via) = split_word(rest);
                let len = usize::try_from(arg(len)?).map_err(|_| EINVAL)?;
                if !(cper::HEADER_LEN..=RECORD_MAX).contains(&len) {
                    return Err(EINVAL);
                }
                let source = source_arg(via, NMI1)?;
                let mut st = self.cmd.lock();
                self.raise(&mut st, source, Severity::Recoverable, len)
            }
            b"fatal" => {
                let mut st = self.cmd.lock();
                self.raise(&mut st, POLL0, Severity::Fatal, STORM_LEN)
            }
            b"midcopy" => self.midcopy(),
            b"pend" => {
                let mut st = self.cmd.lock();
                self.post(&mut st, NMI1, Severity::Corrected, STORM_LEN)
            }
            b"flush" => {
                self.apei.flush();
                Ok(())
            }
            b"walk" => self.walk(u32::try_from(arg(rest)?).map_err(|_| EINVAL)?),
            b"churn" => self.churn(count_arg(rest)?),
            b"hold" => self.hold(),
            b"release" => self.release(),
            b"clear" => self.clear(),
            b"storm_bench" => self.storm_bench(count_arg(rest)?),
            _ => Err(EINVAL),
        }
    }
}

impl TextSource for Handler {
    fn show(&self, out: &mut FixedBuf<'_>) {
        use core::fmt::Write;
        let mut orphans: [Option<NodeInfo>; REG_NODES] = [None; REG_NODES];
        let n = self.reg.orphans(&mut orphans);
        let (live, _) = self.reg.counts();
        let _ = writeln!(out, "live {} orphans {}", live, n);
        for o in orphans.iter().flatten() {
            let _ = writeln!(
                out,
                "orphan id={:#x} kind={} depth={} refs={} children={} parent={:#x}",
                o.id.to_u32(),
                o.kind,
                o.depth,
                o.refs,
                o.children,
                o.parent.map_or(0, |p| p.to_u32())
            );
        }
    }
}
