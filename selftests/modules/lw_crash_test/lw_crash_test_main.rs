// SPDX-License-Identifier: GPL-2.0

//! Crash test module: fails on purpose, lkdtm style, to prove that pstore
//! backends keep the record. Root writes a case name to
//! `/sys/kernel/debug/lw_crash/run`.
//!
//! Every crash case is one row of [`CASES`]: a context (where the failure is
//! raised), a lock state (armed first, by a kernel thread on another CPU) and
//! an action. Adding a case is adding a row. Names read
//! `ACTION_CONTEXT[_LOCK]`, e.g. `panic_softirq_efivars`.
//!
//! | context   | raised from                                            |
//! |-----------|--------------------------------------------------------|
//! | `task`    | the writing task (an oops: a kernel thread, so that    |
//! |           | the writer survives and the module can be unloaded;    |
//! |           | the next case and the unload wait until it has exited) |
//! | `softirq` | a tasklet                                              |
//! | `hardirq` | a hard irq_work (self-IPI)                             |
//! | `nmi`     | an NMI handler, NMI sent to self                       |
//!
//! | lock state | armed by                                              |
//! |------------|-------------------------------------------------------|
//! | (none)     | nothing                                               |
//! | `efivars`  | a kernel thread takes the efivars lock and keeps it   |
//! | `backend`  | a kernel thread takes lw_efi_pstore's dump lock and   |
//! |            | keeps it (its exported test hook; `ENODEV` when       |
//! |            | lw_efi_pstore is not loaded, `EPERM` when it was not  |
//! |            | loaded with `test_hooks=1`)                           |
//! | `fwloop`   | a kernel thread on another CPU loops over slow        |
//! |            | `SetVariable` calls (a 4000-byte scratch variable,    |
//! |            | deleted after each), holding the efivars lock; the    |
//! |            | failure is raised once the thread is inside a call    |
//! |            | (flag set, and the firmware found busy), so the panic |
//! |            | stops that CPU mid-call                               |
//!
//! Actions: `panic` (`panic()`), `oops` (`BUG()`), `warn` (`WARN()`).
//! Panic messages are `lw_crash_test: CASE`. Before the failure the module
//! logs `lw_crash_test: trigger CASE (CONTEXT context)` and then, where it
//! fails, `CASE: in CONTEXT context` (for `fwloop`, followed by `(the
//! fwloop thread is inside SetVariable)`).
//!
//! More commands arm a lock state alone: `hold_efivars` (the `efivars` lock
//! state, for good) and `hold_efivars_on` (in the writing task, until a
//! `hold_efivars_off` write, at most a minute).

use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Mutex;

#[path = "../../../rust/lastwords/mod.rs"]
pub mod lastwords;

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use lastwords::bindings;
use lastwords::context::{self, Context};
use lastwords::debugfs::{TriggerDir, WriteHandler};
use lastwords::efivar::{EfiStatus, EfivarsGuard, Guid, ATTR_NV_BS_RT};
use lastwords::fault;
use lastwords::irq_work::{IrqWork, IrqWorkHandler};
use lastwords::kthread;
use lastwords::nmi::{self, NmiHandler, NmiKind, NmiRegistration, NmiResult, NmiSlot};
use lastwords::tasklet::{Tasklet, TaskletHandler};
use lastwords::time;

lastwords::module! {
    type: CrashTest,
    name: "lw_crash_test",
    authors: ["lastwords developers"],
    description: "lastwords crash test module (fails on purpose)",
    license: "GPL",
}

/// Where the failure is raised.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Task,
    Softirq,
    Hardirq,
    Nmi,
}

/// What another CPU holds when the failure comes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LockState {
    None,
    Efivars,
    Backend,
    FirmwareLoop,
}

/// The failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Panic,
    Oops,
    Warn,
}

/// One crash case.
struct Case {
    name: &'static str,
    ctx: Ctx,
    lock: LockState,
    action: Action,
    /// `lw_crash_test: NAME`, the panic/warning message.
    msg: &'static CStr,
}

macro_rules! case {
    ($name:literal, $ctx:ident, $lock:ident, $action:ident) => {
        Case {
            name: $name,
            ctx: Ctx::$ctx,
            lock: LockState::$lock,
            action: Action::$action,
            msg: c_str!(concat!("lw_crash_test: ", $name)),
        }
    };
}

/// The crash cases: context × lock state × action.
static CASES: &[Case] = &[
    // The crash matrix: a panic in each context under each lock state.
    case!("panic_task", Task, None, Panic),
    case!("panic_softirq", Softirq, None, Panic),
    case!("panic_hardirq", Hardirq, None, Panic),
    case!("panic_nmi", Nmi, None, Panic),
    case!("panic_task_efivars", Task, Efivars, Panic),
    case!("panic_softirq_efivars", Softirq, Efivars, Panic),
    case!("panic_hardirq_efivars", Hardirq, Efivars, Panic),
    case!("panic_nmi_efivars", Nmi, Efivars, Panic),
    case!("panic_task_backend", Task, Backend, Panic),
    case!("panic_softirq_backend", Softirq, Backend, Panic),
    case!("panic_hardirq_backend", Hardirq, Backend, Panic),
    case!("panic_nmi_backend", Nmi, Backend, Panic),
    // Oopses: non-fatal in a task (panic_on_oops=0); x86 panics on an oops
    // in interrupt context, NMI included ("Fatal exception in interrupt"),
    // after the oops dump.
    case!("oops_task", Task, None, Oops),
    case!("oops_softirq", Softirq, None, Oops),
    case!("oops_hardirq", Hardirq, None, Oops),
    case!("oops_nmi", Nmi, None, Oops),
    // Warnings: non-fatal (panic_on_warn=0).
    case!("warn_task", Task, None, Warn),
    case!("warn_softirq", Softirq, None, Warn),
    case!("warn_hardirq", Hardirq, None, Warn),
    case!("warn_nmi", Nmi, None, Warn),
    // The unsafe case: the firmware is mid-call on a stopped CPU.
    case!("panic_task_fwloop", Task, FirmwareLoop, Panic),
];

impl Ctx {
    fn name(self) -> &'static str {
        match self {
            Ctx::Task => "task",
            Ctx::Softirq => "softirq",
            Ctx::Hardirq => "hardirq",
            Ctx::Nmi => "nmi",
        }
    }
}

/// The case that the tasklet, irq_work or NMI handler runs (index in
/// [`CASES`]); `NO_CASE` when none is armed.
static CURRENT: AtomicUsize = AtomicUsize::new(NO_CASE);
const NO_CASE: usize = usize::MAX;
/// Set by `hold_efivars_off`: the `hold_efivars_on` writer lets go.
static RELEASE_EFIVARS: AtomicBool = AtomicBool::new(false);
/// Set by the kernel thread that armed a lock state.
static LOCK_ARMED: AtomicBool = AtomicBool::new(false);
/// Set (to a negative errno) by a kernel thread that could not arm it.
static ARM_ERROR: AtomicI32 = AtomicI32::new(0);

/// Raises the armed case's failure in the current context.
fn act() {
    act_case(CURRENT.load(Ordering::Acquire));
}

/// Raises the failure of case `index` (none if out of range).
fn act_case(index: usize) {
    let Some(case) = CASES.get(index) else {
        return;
    };
    let fw = if MID_CALL.load(Ordering::Acquire) {
        " (the fwloop thread is inside SetVariable)"
    } else {
        ""
    };
    pr_emerg!(
        "{}: in {} context{fw}\n",
        case.name,
        Context::current().name()
    );
    match case.action {
        Action::Panic => fault::panic(case.msg),
        Action::Oops => fault::bug(),
        Action::Warn => {
            fault::warn(case.msg);
            CURRENT.store(NO_CASE, Ordering::Release);
        }
    }
}

struct SoftirqAct;

impl TaskletHandler for SoftirqAct {
    fn run(&self) {
        act();
    }
}

struct HardirqAct;

impl IrqWorkHandler for HardirqAct {
    fn run(&self) {
        act();
    }
}

/// Claims the next NMI while a case is armed for NMI context.
struct NmiAct;
static NMI_SLOT: NmiSlot = NmiSlot::new();
static NMI_ARMED: AtomicBool = AtomicBool::new(false);

impl NmiHandler for NmiAct {
    fn slot() -> &'static NmiSlot {
        &NMI_SLOT
    }

    fn handle(&self) -> NmiResult {
        if !NMI_ARMED.swap(false, Ordering::AcqRel) {
            return NmiResult::NotMine;
        }
        act();
        NmiResult::Handled
    }
}

/// Kernel thread: takes the efivars lock and keeps it.
fn hold_efivars_forever() {
    let Ok(_held) = EfivarsGuard::lock() else {
        pr_err!("lock state efivars: could not take the efivars lock\n");
        return;
    };
    pr_info!("lock state efivars: holding the efivars lock for good\n");
    LOCK_ARMED.store(true, Ordering::Release);
    loop {
        time::msleep(1000);
    }
}

/// Kernel thread: takes lw_efi_pstore's dump lock through its test hook.
fn hold_backend_lock() {
    let name = c_str!("lw_efi_pstore_hold_dump_lock");
    // SAFETY: A valid C string; the symbol is looked up among loaded
    // modules, and a reference on its module is taken (and kept: the lock
    // stays held until the kernel goes down).
    let hook = unsafe { bindings::__symbol_get(name.as_char_ptr()) };
    if hook.is_null() {
        pr_err!("lock state backend: lw_efi_pstore is not loaded\n");
        return;
    }
    // SAFETY: The exported hook is `int lw_efi_pstore_hold_dump_lock(void)`
    // (rust/efi_pstore/lw_efi_pstore_params.h); its module cannot go away
    // (referenced above).
    let ret = unsafe {
        let f: unsafe extern "C" fn() -> kernel::ffi::c_int = core::mem::transmute(hook);
        f()
    };
    if ret != 0 {
        pr_err!(
            "lock state backend: lw_efi_pstore refused ({:?}; load it with test_hooks=1)\n",
            Error::from_errno(ret)
        );
        ARM_ERROR.store(ret, Ordering::Release);
        return;
    }
    pr_info!("lock state backend: lw_efi_pstore's dump lock held for good\n");
    LOCK_ARMED.store(true, Ordering::Release);
}

/// Set by the fwloop thread right before each slow firmware call, cleared
/// right after it returns.
static FW_IN_CALL: AtomicBool = AtomicBool::new(false);
/// Set when the failure is raised with the fwloop thread inside a call.
static MID_CALL: AtomicBool = AtomicBool::new(false);

/// The fwloop thread's scratch variable: `LwFwloopScratch` under a GUID of
/// this test's own, never a pstore GUID.
const SCRATCH_GUID: Guid = Guid::new(
    0x6c77_6677,
    0x6c6f,
    0x4f70,
    [0x9a, 0x4e, 0x73, 0x63, 0x72, 0x61, 0x74, 0x63],
);
const SCRATCH_NAME: [u16; 16] = ucs2(b"LwFwloopScratch");
/// Its size: OVMF writes flash at some 20-30 us per byte under TCG, so one
/// `SetVariable` lasts about 100 ms.
const SCRATCH_SIZE: usize = 4000;

/// `s` as a NUL-terminated UCS-2 array (`N` is its length plus one).
const fn ucs2<const N: usize>(s: &[u8]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut i = 0;
    while i < s.len() && i + 1 < N {
        out[i] = s[i] as u16;
        i += 1;
    }
    out
}

/// Kernel thread: slow `SetVariable` calls (write the scratch variable,
/// delete it) in a loop, for good, under the efivars lock. The non-blocking
/// variant runs the firmware on this CPU, holding the runtime lock for the
/// whole call.
fn firmware_loop() {
    let Ok(mut data) = KVec::with_capacity(SCRATCH_SIZE, GFP_KERNEL) else {
        pr_err!("lock state fwloop: no memory\n");
        return;
    };
    for i in 0..SCRATCH_SIZE {
        if data.push((i % 251) as u8, GFP_KERNEL).is_err() {
            return;
        }
    }
    let mut written: u64 = 0;
    loop {
        let Ok(g) = EfivarsGuard::lock() else {
            time::msleep(10);
            continue;
        };
        let start = time::now_ns();
        FW_IN_CALL.store(true, Ordering::Release);
        let res = g.set_variable(&SCRATCH_NAME, &SCRATCH_GUID, ATTR_NV_BS_RT, &data, true);
        FW_IN_CALL.store(false, Ordering::Release);
        let took_us = (time::now_ns() - start) / 1000;
        // Deleting is quick: no data to write.
        let _ = g.set_variable(&SCRATCH_NAME, &SCRATCH_GUID, ATTR_NV_BS_RT, &[], true);
        drop(g);
        match res {
            Ok(()) => {
                written = written.wrapping_add(1);
                if written == 1 {
                    pr_info!(
                        "lock state fwloop: looping over {SCRATCH_SIZE}-byte SetVariable calls (the first took {took_us} us)\n"
                    );
                    LOCK_ARMED.store(true, Ordering::Release);
                }
            }
            // EBUSY: the trigger's probe was in the firmware; try again.
            Err((_, e)) if e == EBUSY => {}
            Err((st, e)) => {
                pr_err!(
                    "lock state fwloop: SetVariable failed: {:?} ({:?})\n",
                    st,
                    e
                );
                time::msleep(100);
            }
        }
    }
}

/// Whether some CPU is inside the firmware: the non-blocking
/// `QueryVariableInfo` only trylocks the runtime lock, and says
/// `EFI_NOT_READY` when it is held.
fn firmware_busy() -> bool {
    // SAFETY: The non-blocking query never sleeps or waits: it trylocks the
    // runtime lock, and calls the firmware only if it got it.
    let raw = unsafe { bindings::efi_query_variable_store(ATTR_NV_BS_RT, 0, true) };
    EfiStatus::from_raw(raw as u64) == EfiStatus::NotReady
}

/// Waits (up to 10 s) until the fwloop thread is inside a firmware call:
/// its flag is set and the firmware is busy. Prints nothing: the failure
/// must come while the call lasts, and console output is slow under TCG.
fn wait_firmware_mid_call() -> Result {
    for _ in 0..10_000 {
        if FW_IN_CALL.load(Ordering::Acquire) && firmware_busy() {
            MID_CALL.store(true, Ordering::Release);
            return Ok(());
        }
        time::msleep(1);
    }
    pr_err!("lock state fwloop: never found the thread inside the firmware\n");
    Err(EAGAIN)
}

/// The case `oops_thread` raises (index in [`CASES`]).
static OOPS_CASE: AtomicUsize = AtomicUsize::new(NO_CASE);
/// Set by the oops thread when it starts.
static OOPS_STARTED: AtomicBool = AtomicBool::new(false);

/// Kernel thread: raises an oops (the thread dies, the kernel goes on).
/// It first sleeps half a second, in module code, after the write that
/// started it has returned: an `rmmod` right after that write must wait
/// until this thread has exited.
fn oops_thread() {
    OOPS_STARTED.store(true, Ordering::Release);
    time::msleep(500);
    act_case(OOPS_CASE.load(Ordering::Acquire));
}

/// The CPU other than this one, on a 2+ CPU machine.
fn other_cpu() -> Option<u32> {
    Some(if context::processor_id() == 0 { 1 } else { 0 })
}

#[pin_data]
struct Cases {
    #[pin]
    irq: IrqWork<HardirqAct>,
    #[pin]
    tasklet: Tasklet<SoftirqAct>,
    /// The last oops thread, until it is known to have exited.
    #[pin]
    oops_thread: Mutex<Option<kthread::Thread>>,
}

impl Cases {
    fn arm(&self, lock: LockState) -> Result {
        let (name, f): (&CStr, fn()) = match lock {
            LockState::None => return Ok(()),
            LockState::Efivars => (c_str!("lw_hold_efivars"), hold_efivars_forever),
            LockState::Backend => (c_str!("lw_hold_backend"), hold_backend_lock),
            LockState::FirmwareLoop => (c_str!("lw_fwloop"), firmware_loop),
        };
        LOCK_ARMED.store(false, Ordering::Release);
        ARM_ERROR.store(0, Ordering::Release);
        kthread::spawn(name, other_cpu(), f)?;
        for _ in 0..500 {
            if LOCK_ARMED.load(Ordering::Acquire) {
                return Ok(());
            }
            let err = ARM_ERROR.load(Ordering::Acquire);
            if err != 0 {
                return Err(Error::from_errno(err));
            }
            time::msleep(10);
        }
        pr_err!("lock state not armed within 5 s\n");
        Err(if lock == LockState::Backend {
            ENODEV
        } else {
            EAGAIN
        })
    }

    fn run(&self, index: usize, case: &Case) -> Result {
        if CURRENT
            .compare_exchange(NO_CASE, index, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(EBUSY);
        }
        let res = self.run_armed(index, case);
        CURRENT.store(NO_CASE, Ordering::Release);
        res
    }

    /// Waits until the last oops thread (if any) has exited, and forgets
    /// it. Returns whether there was one that had not exited yet.
    fn reap_oops_thread(&self) -> bool {
        let Some(t) = self.oops_thread.lock().take() else {
            return false;
        };
        let running = !t.has_exited();
        // Dropping the handle waits until the thread has exited.
        drop(t);
        running
    }

    fn run_armed(&self, index: usize, case: &Case) -> Result {
        // The previous oops thread is gone before anything else runs.
        self.reap_oops_thread();
        self.arm(case.lock)?;
        pr_emerg!("trigger {} ({} context)\n", case.name, case.ctx.name());
        MID_CALL.store(false, Ordering::Release);
        if case.lock == LockState::FirmwareLoop {
            wait_firmware_mid_call()?;
        }
        match case.ctx {
            Ctx::Task if case.action == Action::Oops => {
                OOPS_CASE.store(index, Ordering::Release);
                OOPS_STARTED.store(false, Ordering::Release);
                let mut slot = self.oops_thread.lock();
                *slot = Some(kthread::spawn_tracked(
                    c_str!("lw_oops"),
                    None,
                    oops_thread,
                )?);
                drop(slot);
                for _ in 0..500 {
                    if OOPS_STARTED.load(Ordering::Acquire) {
                        break;
                    }
                    time::msleep(10);
                }
                // The thread oopses half a second later: return while it
                // still runs module code (see `oops_thread`).
                return Ok(());
            }
            Ctx::Task => act(),
            Ctx::Softirq => self.tasklet.schedule(),
            Ctx::Hardirq => {
                self.irq.queue();
                self.irq.sync();
            }
            Ctx::Nmi => {
                NMI_ARMED.store(true, Ordering::Release);
                nmi::send_nmi_to_self();
            }
        }
        // Let the failure happen; a panic does not come back here.
        time::msleep(1000);
        NMI_ARMED.store(false, Ordering::Release);
        match case.action {
            Action::Panic => {
                pr_err!("{}: still alive after the panic\n", case.name);
                Err(EIO)
            }
            Action::Oops | Action::Warn => Ok(()),
        }
    }
}

impl WriteHandler for Cases {
    fn write(&self, data: &[u8]) -> Result {
        match data {
            b"hold_efivars" => self.arm(LockState::Efivars),
            b"hold_efivars_on" => {
                let held = EfivarsGuard::lock()?;
                RELEASE_EFIVARS.store(false, Ordering::Release);
                pr_info!("hold_efivars_on: holding the efivars lock\n");
                // Until `hold_efivars_off`, at most a minute.
                for _ in 0..6000 {
                    if RELEASE_EFIVARS.load(Ordering::Acquire) {
                        break;
                    }
                    time::msleep(10);
                }
                drop(held);
                pr_info!("hold_efivars_on: released the efivars lock\n");
                Ok(())
            }
            b"hold_efivars_off" => {
                RELEASE_EFIVARS.store(true, Ordering::Release);
                Ok(())
            }
            _ => {
                let (index, case) = CASES
                    .iter()
                    .enumerate()
                    .find(|(_, c)| c.name.as_bytes() == data)
                    .ok_or(EINVAL)?;
                self.run(index, case)
            }
        }
    }
}

struct CrashTest {
    // The NMI handler goes first: nothing raises the irq_work after that.
    _nmi: Pin<KBox<NmiRegistration<NmiAct>>>,
    trigger: Pin<KBox<TriggerDir<Cases>>>,
}

impl Drop for CrashTest {
    fn drop(&mut self) {
        // The oops thread runs module code without a module reference: the
        // module's code must stay until it has exited. (Dropping the
        // handler would wait too; this says so in the log.)
        let cases = self.trigger.handler();
        let running = cases
            .oops_thread
            .lock()
            .as_ref()
            .is_some_and(|t| !t.has_exited());
        if running {
            pr_info!("unload: waiting for the oops thread to exit\n");
        }
        if cases.reap_oops_thread() || running {
            pr_info!("unload: the oops thread has exited\n");
        }
    }
}

impl kernel::Module for CrashTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let nmi = KBox::pin_init(
            NmiRegistration::new(NmiKind::Local, c_str!("lw_crash_test"), NmiAct),
            GFP_KERNEL,
        )?;
        nmi.as_ref().register()?;
        let trigger = TriggerDir::new(
            c_str!("lw_crash"),
            c_str!("run"),
            try_pin_init!(Cases {
                irq <- IrqWork::new(HardirqAct),
                tasklet <- Tasklet::new(SoftirqAct),
                oops_thread <- new_mutex!(None),
            }),
        )?;
        Ok(CrashTest { _nmi: nmi, trigger })
    }
}
