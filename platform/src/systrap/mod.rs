//! The systrap platform: guest threads run free in their stub process;
//! every system call made outside the stub's code raises `SIGSYS` in the
//! same thread (syscall user dispatch, Linux 5.11+), and faults raise their
//! usual signals. The stub's signal handler runs on an alternate stack in
//! memory shared with the Sentry, so the kernel's signal frame *is* the
//! thread's register and FP state: the handler publishes the stop in the
//! thread's region, wakes the Sentry with a futex, waits to be resumed, and
//! returns through `rt_sigreturn` with whatever registers the Sentry wrote.
//!
//! Address-space changes are system calls run by one extra stub thread (the
//! syscall thread) fed through shared memory; it also clones new guest
//! threads.
//!
//! # Shared memory
//! Each stub process has a region of the memory file mapped at
//! [`REGION_ADDR`] in the stub and somewhere in the Sentry: slot 0 belongs
//! to the syscall thread, slots 1.. to guest threads. A slot is
//! [`SLOT_SIZE`] bytes:
//!
//! | offset | what |
//! |---|---|
//! | 0 | state: 0 running, 1 stopped in the handler, 2 resume, 3 exit, 4 exited |
//! | 4 | signal number of the stop |
//! | 8 | address of the kernel's `ucontext` (on the alternate stack) |
//! | 16 | `si_code` |
//! | 24 | `si_addr` / `si_call_addr` |
//! | 32 | `fs` base (read on stop, written on resume) |
//! | 40 | syscall-user-dispatch selector byte |
//! | 48 | `si_syscall` |
//! | 44 | how many times the stub spins before sleeping (set by the Sentry) |
//! | 52 | the Sentry blocks handling this stop: the stub should sleep, not spin |
//! | 56 | the Sentry sleeps on the state word (stub must wake it) |
//! | 60 | the stub sleeps on the state word (Sentry must wake it) |
//! | 64 | scratch (`stack_t`, `sigaction` structures at set-up) |
//! | 100 | the CPU the stub thread last stopped on |
//! | 104, 112, 128.. | a guest thread's batch of address-space changes (state 7): result, count, calls |
//! | 120 (slot 0) | 1: the seccomp fallback traps, not syscall user dispatch |
//! | 4096.. (slot 0) | a batch of system calls for the syscall thread (state 6, count at 8) |
//! | 2048..4096 | the trampoline's stack (a few bytes) |
//! | 4096 | the trampoline's stop: a `ucontext` as a SIGSYS frame has it |
//! | 8192..16384 | the trampoline's `XSAVE` area |
//! | 16384.. | alternate signal stack |
//!
//! # Patched syscall sites
//! The Sentry may rewrite a trapped `mov $nr, %eax; syscall` into a jump
//! to per-site code in the guest's address space that enters
//! the stub's trampoline (stub code, where system calls do not trap).
//! The trampoline saves the registers and FP state into the thread's
//! region as a kernel signal frame would, and publishes the stop like the
//! handler; the Sentry cannot tell the two apart except by `si_code`.
//!
//! The guest can write this memory too, so the Sentry treats everything it
//! reads there as hostile: a pointer outside the slot, or a state that makes
//! no sense, ends that stub process ([`Stop::Lost`]), never the Sentry.

use std::any::Any;
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use crate::host_files::{self, StubFiles};
use crate::stub;
use crate::zygote::Zygote;
use crate::{
    AddressSpace, Context, HostFile, Platform, PlatformError, Prot, Regs, Result, SpaceOp,
};
use crate::{gettid, lock};

mod context;
pub use context::SystrapContext;

/// Where each stub maps its shared region.
pub const REGION_ADDR: u64 = 0x7fff_f800_0000;
/// Bytes per thread slot.
pub const SLOT_SIZE: u64 = 64 * 1024;
/// Slots per stub process (slot 0 is the syscall thread).
pub const MAX_SLOTS: u64 = 1024;
/// Size of the shared region.
pub const REGION_SIZE: u64 = SLOT_SIZE * MAX_SLOTS;

const ST_RUNNING: u32 = 0;
const ST_STOPPED: u32 = 1;
const ST_RESUME: u32 = 2;
const ST_EXIT: u32 = 3;
const ST_EXITED: u32 = 4;
const ST_CLONE: u32 = 5;
const ST_BATCH: u32 = 6;
/// A stopped guest thread runs a batch of address-space changes.
const ST_RUN: u32 = 7;
/// Where in a guest thread's slot such a batch lies, and how many fit
/// (below the trampoline's stack); its count and result.
const THREAD_BATCH_AT: u64 = 128;
const THREAD_BATCH_MAX: usize = ((2048 - THREAD_BATCH_AT) / BATCH_ENTRY) as usize;
const THREAD_BATCH_COUNT: u64 = 112;
const THREAD_BATCH_RESULT: u64 = 104;
/// Where in slot 0 a batch of system calls lies (number and six
/// arguments each), and how many fit.
const BATCH_AT: u64 = 4096;
const BATCH_ENTRY: u64 = 56;
const BATCH_MAX: usize = ((SLOT_SIZE - BATCH_AT) / BATCH_ENTRY) as usize;
const ST_SYSCALL: u32 = 1;
const ST_DONE: u32 = 2;

const SIG_INTERRUPT: i32 = libc::SIGUSR2;
/// The signals the stub's handler takes.
const HANDLED_SIGNALS: [i32; 7] = [
    libc::SIGSYS,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    SIG_INTERRUPT,
];
/// `si_code` of a SIGSYS from syscall user dispatch (the trampoline's
/// stops carry another).
const SYS_USER_DISPATCH: i32 = 2;
/// `si_code` of a SIGSYS from a seccomp `SECCOMP_RET_TRAP` (the fallback).
const SYS_SECCOMP: i32 = 1;

/// Whether this host can run patched syscall sites: the trampoline saves
/// x87/SSE state with `XSAVE`, which the kernel must have enabled (the
/// stub already relies on `FSGSBASE`).
pub fn patching_supported() -> bool {
    // CPUID leaf 1, ECX bit 27: OSXSAVE.
    std::arch::x86_64::__cpuid(1).ecx & (1 << 27) != 0
}
const UCONTEXT_SIZE: u64 = 304;

/// Memory-file space for stub regions, provided by the Sentry.
pub struct RegionAlloc {
    /// Offset in the memory file.
    pub offset: u64,
    /// Address of the region in the Sentry.
    pub ptr: usize,
    /// Keeps the allocation alive.
    pub keep: Box<dyn Any + Send + Sync>,
}

/// Allocates `len` bytes of zeroed memory-file space mapped in the Sentry.
pub type Allocator = Arc<dyn Fn(u64) -> Option<RegionAlloc> + Send + Sync>;

/// Wakes every waiter on `word`, not one: a stub region is memory-file
/// space that is reused once its address space is gone, and a stub process
/// still dying can be asleep on the same word (the same file page); a
/// single wake could go to it and leave the new waiter asleep for good.
fn futex_wake(word: &AtomicU32) {
    // SAFETY: the futex word lives in a shared mapping that outlives the call.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            i32::MAX,
            0,
            0,
            0,
        );
    }
}

fn futex_wait(word: &AtomicU32, val: u32) {
    // SAFETY: as above; the kernel only reads the word.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            val,
            0,
            0,
            0,
        );
    }
}

/// Waits until `word` holds `want`, spinning briefly first when another CPU
/// can run the other side.
fn wait_for(word: &AtomicU32, want: u32, spin: u32) -> u32 {
    for _ in 0..spin {
        let v = word.load(Ordering::Acquire);
        if v == want {
            return v;
        }
        std::hint::spin_loop();
    }
    loop {
        let v = word.load(Ordering::Acquire);
        if v == want || v == ST_EXITED {
            return v;
        }
        futex_wait(word, v);
    }
}

/// Like [`wait_for`] for a guest thread's state word, with the "Sentry
/// sleeps" flag at `sleeping` so the stub wakes the Sentry only when needed.
fn wait_stop(word: &AtomicU32, sleeping: &AtomicU32, spin: u32) -> u32 {
    for _ in 0..spin {
        let v = word.load(Ordering::Acquire);
        if v == ST_STOPPED || v == ST_EXITED {
            return v;
        }
        std::hint::spin_loop();
    }
    loop {
        sleeping.store(1, Ordering::SeqCst);
        let v = word.load(Ordering::SeqCst);
        if v == ST_STOPPED || v == ST_EXITED {
            sleeping.store(0, Ordering::SeqCst);
            return v;
        }
        futex_wait(word, v);
        sleeping.store(0, Ordering::SeqCst);
    }
}

/// How many times (`pause`, about 25 ns here) the Sentry spins waiting
/// for a guest thread's next stop: guest code between system calls often
/// runs for tens of microseconds, and a wake-up costs as much.
const SENTRY_SPIN: u32 = 2000;
/// How many times a stub thread spins waiting for the Sentry's answer:
/// most system calls take the Sentry a microsecond or two, and a longer
/// spin holds a CPU another Sentry thread may need (the Sentry tells the
/// stub to sleep at once when it blocks).
const STUB_SPIN: u32 = 400;

type FactoryJob = Box<dyn FnOnce() + Send>;

/// Guest threads currently between resume and stop. Spinning pays only
/// while each spinning pair (a Sentry thread and its stub thread) can have
/// a CPU of its own; past that, both sides sleep on the futex at once.
static ACTIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CPUS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// The systrap platform.
pub struct SystrapPlatform {
    memory_fd: i32,
    alloc: Allocator,
    factory: Mutex<mpsc::Sender<FactoryJob>>,
    spin: u32,
    /// Where stubs come from under the seccomp fallback.
    zygote: Option<Arc<Zygote>>,
}

impl SystrapPlatform {
    /// A platform whose stubs map ranges of host FD `memory_fd`; `alloc`
    /// provides the shared regions. With a `zygote`, stubs come from it and
    /// trap system calls through its seccomp filter instead of syscall user
    /// dispatch.
    pub fn new(
        memory_fd: i32,
        alloc: Allocator,
        zygote: Option<Zygote>,
    ) -> Result<SystrapPlatform> {
        let (tx, rx) = mpsc::channel::<FactoryJob>();
        std::thread::Builder::new()
            .name("systrap-factory".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .map_err(|err| PlatformError::Host {
                what: "start stub factory",
                err,
            })?;
        let cpus = crate::affinity::allowed_cpus();
        CPUS.store(cpus, Ordering::Relaxed);
        Ok(SystrapPlatform {
            memory_fd,
            alloc,
            factory: Mutex::new(tx),
            spin: if cpus > 1 { SENTRY_SPIN } else { 0 },
            zygote: zygote.map(Arc::new),
        })
    }
}

/// Runs a system call in a stopped stub traced by the calling thread.
fn inject(pid: i32, nr: i64, args: [u64; 6]) -> Result<i64> {
    let mut regs = Regs::default().0;
    // SAFETY: the stub is stopped and traced by this thread; regs is valid.
    if unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs) } < 0 {
        return Err(PlatformError::last("PTRACE_GETREGS"));
    }
    crate::set_injected_call(&mut regs, stub::syscall_addr(), nr, args);
    // SAFETY: as above.
    if unsafe { libc::ptrace(libc::PTRACE_SETREGS, pid, 0, &regs) } < 0 {
        return Err(PlatformError::last("PTRACE_SETREGS"));
    }
    // SAFETY: as above.
    if unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, 0) } < 0 {
        return Err(PlatformError::last("PTRACE_CONT"));
    }
    let mut status = 0;
    // SAFETY: waits for our tracee; status is valid.
    unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    if !libc::WIFSTOPPED(status) || libc::WSTOPSIG(status) != libc::SIGTRAP {
        return Err(PlatformError::Stub(format!(
            "injected syscall {nr}: status {status:#x}"
        )));
    }
    // SAFETY: as above.
    if unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs) } < 0 {
        return Err(PlatformError::last("PTRACE_GETREGS"));
    }
    crate::host_result("stub set-up", regs.rax as i64)
}

/// Makes the calling thread the tracer of idle stub `pid` (a zygote's
/// child, so not ours to `PTRACE_TRACEME`) and stops it; a stub that
/// cannot be taken is killed.
fn seize_stub(pid: i32) -> Result<i32> {
    crate::ptrace::seize_stopped(pid, 0).inspect_err(|_| {
        // SAFETY: kills the stub we could not take.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    })?;
    Ok(pid)
}

/// Sets up a stopped stub: maps the region, installs the handler, and
/// turns its main thread into the syscall thread.
fn set_up_stub(pid: i32, memory_fd: i32, region_off: u64, region: usize) -> Result<()> {
    let (handler, restorer, syscall_thread, _) = stub::systrap_addrs();
    inject(
        pid,
        libc::SYS_mmap,
        [
            REGION_ADDR,
            REGION_SIZE,
            (libc::PROT_READ | libc::PROT_WRITE) as u64,
            (libc::MAP_SHARED | libc::MAP_FIXED) as u64,
            memory_fd as u64,
            region_off,
        ],
    )?;
    // struct sigaction (kernel layout) in slot 0's scratch area.
    let act: [u64; 4] = [
        handler,
        (libc::SA_SIGINFO | libc::SA_ONSTACK) as u64 | 0x0400_0000, // SA_RESTORER
        restorer,
        u64::MAX,
    ];
    // SAFETY: the region is mapped in the Sentry for at least REGION_SIZE
    // bytes; offset 128 of slot 0 is scratch space; unaligned write of plain bytes.
    // The syscall thread installs it ([`SysProcess::install_handlers`]).
    unsafe { std::ptr::write_unaligned((region + 128) as *mut [u64; 4], act) };
    let mut regs = Regs::default().0;
    // SAFETY: stopped and traced by this thread.
    if unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs) } < 0 {
        return Err(PlatformError::last("PTRACE_GETREGS"));
    }
    regs.rip = syscall_thread;
    regs.r12 = REGION_ADDR;
    regs.rsp = 0;
    // SAFETY: as above.
    if unsafe { libc::ptrace(libc::PTRACE_SETREGS, pid, 0, &regs) } < 0 {
        return Err(PlatformError::last("PTRACE_SETREGS"));
    }
    stub::detach(pid)
}

impl Platform for SystrapPlatform {
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        let region = (self.alloc)(REGION_SIZE)
            .ok_or_else(|| PlatformError::Stub("no memory for the stub region".into()))?;
        let memory_fd = self.memory_fd;
        let (off, ptr) = (region.offset, region.ptr);
        let (tx, rx) = mpsc::channel();
        let zygote = self.zygote.clone();
        // Stubs from the zygote keep no socket for host files.
        let (files, stub_end) = match zygote {
            Some(_) => (None, None),
            None => {
                let (ours, theirs) = host_files::socket_pair()?;
                (Some(ours), Some(theirs))
            }
        };
        lock(&self.factory)
            .send(Box::new(move || {
                let stub = match &zygote {
                    Some(z) => z.fork_stub().and_then(seize_stub),
                    None => {
                        stub::fork_stub_stopped(memory_fd, stub_end.as_ref().map(|s| s.as_raw_fd()))
                    }
                };
                drop(stub_end);
                let r = stub.and_then(|pid| {
                    match set_up_stub(pid, memory_fd, off, ptr) {
                        Ok(()) => Ok(pid),
                        Err(e) => {
                            // SAFETY: kills and reaps our own child.
                            unsafe {
                                libc::kill(pid, libc::SIGKILL);
                                libc::waitpid(pid, std::ptr::null_mut(), libc::__WALL);
                            }
                            Err(e)
                        }
                    }
                });
                let _ = tx.send(r);
            }))
            .map_err(|_| PlatformError::Stub("stub factory is gone".into()))?;
        let pid = rx
            .recv()
            .map_err(|_| PlatformError::Stub("stub factory is gone".into()))??;
        let sp = SysProcess {
            pid,
            memory_fd,
            base: ptr,
            _region: region,
            slots: Mutex::new(Slots {
                used: vec![false; MAX_SLOTS as usize],
                by_host: HashMap::new(),
                owner: HashMap::new(),
                tids: HashMap::new(),
            }),
            syscall_lock: Mutex::new(()),
            spin: self.spin,
            files: files.map(StubFiles::new),
        };
        sp.slots_lock().used[0] = true;
        if self.zygote.is_some() {
            // Stub threads skip syscall user dispatch (see stub.rs).
            sp.word(0, 120).store(1, Ordering::Release);
        }
        sp.install_handlers()?;
        let slot = sp.spawn_thread()?;
        sp.take_slot(slot);
        if self.spin == 0
            && let Some(tid) = sp.tid_of(slot)
        {
            crate::affinity::pin_pair_here(tid);
        }
        Ok(Arc::new(sp))
    }

    fn new_context(&self) -> Result<Box<dyn Context>> {
        Ok(Box::new(SystrapContext::new(self.spin)))
    }

    fn name(&self) -> &'static str {
        "systrap"
    }
}

struct Slots {
    used: Vec<bool>,
    /// Host thread → the slot it runs.
    by_host: HashMap<i32, u64>,
    /// Slot → the host thread that runs it now: the last to take it. The
    /// thread that creates a space (a forking parent) keeps its entry in
    /// `by_host` after the child's own thread takes the slot over.
    owner: HashMap<u64, i32>,
    /// Slot → stub thread id.
    tids: HashMap<u64, i32>,
}

/// A stub process on the systrap platform.
pub struct SysProcess {
    pid: i32,
    memory_fd: i32,
    base: usize,
    _region: RegionAlloc,
    slots: Mutex<Slots>,
    syscall_lock: Mutex<()>,
    spin: u32,
    /// Host files passed to the stub (none under the seccomp fallback,
    /// whose stubs keep no socket).
    files: Option<StubFiles>,
}

// SAFETY: `base` points to the region mapping, which lives as long as
// `_region`; all access goes through atomics or byte copies.
unsafe impl Send for SysProcess {}
// SAFETY: as above.
unsafe impl Sync for SysProcess {}

impl SysProcess {
    fn slots_lock(&self) -> MutexGuard<'_, Slots> {
        lock(&self.slots)
    }

    fn word(&self, slot: u64, off: u64) -> &AtomicU32 {
        let addr = self.base + (slot * SLOT_SIZE + off) as usize;
        // SAFETY: slot < MAX_SLOTS and off < SLOT_SIZE (callers use fixed
        // offsets), so the address is inside the mapped region, 4-byte
        // aligned; the mapping outlives `self`.
        unsafe { &*(addr as *const AtomicU32) }
    }

    fn read_u64(&self, slot: u64, off: u64) -> u64 {
        let addr = self.base + (slot * SLOT_SIZE + off) as usize;
        // SAFETY: inside the mapped region (see `word`); a racy read of
        // plain bytes is sound, the value is validated by callers.
        unsafe { std::ptr::read_volatile(addr as *const u64) }
    }

    fn write_u64(&self, slot: u64, off: u64, v: u64) {
        let addr = self.base + (slot * SLOT_SIZE + off) as usize;
        // SAFETY: as in `read_u64`.
        unsafe { std::ptr::write_volatile(addr as *mut u64, v) };
    }

    /// Copies bytes of the region at stub address `addr` (which must lie
    /// inside `slot`'s alternate stack) into `out`.
    fn read_stack(&self, slot: u64, addr: u64, out: &mut [u8]) -> bool {
        let Some(off) = self.stack_offset(slot, addr, out.len() as u64) else {
            return false;
        };
        // SAFETY: `stack_offset` checked the range lies inside the slot.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (self.base + off as usize) as *const u8,
                out.as_mut_ptr(),
                out.len(),
            )
        };
        true
    }

    fn write_stack(&self, slot: u64, addr: u64, data: &[u8]) -> bool {
        let Some(off) = self.stack_offset(slot, addr, data.len() as u64) else {
            return false;
        };
        // SAFETY: as in `read_stack`.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                (self.base + off as usize) as *mut u8,
                data.len(),
            )
        };
        true
    }

    fn stack_offset(&self, slot: u64, addr: u64, len: u64) -> Option<u64> {
        let lo = REGION_ADDR + slot * SLOT_SIZE + 4096;
        let hi = REGION_ADDR + (slot + 1) * SLOT_SIZE;
        let end = addr.checked_add(len)?;
        (addr >= lo && end <= hi).then(|| addr - REGION_ADDR)
    }

    /// Makes one address-space change through the syscall thread.
    fn change(&self, op: &SpaceOp) -> Result<()> {
        let (what, nr, args) = op.stub_call(self.memory_fd, -1);
        self.checked(what, nr, args)
    }

    /// The stub's FDs for the host files of `ops` (-1 for other
    /// operations), passing it those it lacks. The caller holds
    /// `syscall_lock`.
    fn file_fds(&self, ops: &[SpaceOp]) -> Result<Vec<i32>> {
        let mut wanted: Vec<HostFile> = Vec::new();
        for op in ops {
            if let SpaceOp::MapFile { file, .. } = op
                && !wanted.iter().any(|f| f.id == file.id)
            {
                wanted.push(*file);
            }
        }
        if !wanted.is_empty() {
            let files = self
                .files
                .as_ref()
                .filter(|f| f.usable())
                .ok_or_else(|| PlatformError::Stub("stub cannot map host files".into()))?;
            wanted.retain(|f| files.held(f.id).is_none());
            if files.full(wanted.len()) {
                for fd in files.forget_all() {
                    self.syscall_locked(libc::SYS_close, [fd as u64, 0, 0, 0, 0, 0])?;
                }
            }
            for group in wanted.chunks(host_files::MAX_RECV) {
                self.receive_files(files, group)?;
            }
        }
        Ok(ops
            .iter()
            .map(|op| match op {
                SpaceOp::MapFile { file, .. } => self
                    .files
                    .as_ref()
                    .and_then(|f| f.held(file.id))
                    .unwrap_or(-1),
                _ => -1,
            })
            .collect())
    }

    /// Has the syscall thread install the stub's signal handlers (the
    /// `sigaction` that set-up left in slot 0's scratch space), in one
    /// batch rather than a ptrace round trip each.
    fn install_handlers(&self) -> Result<()> {
        let calls: Vec<(i64, [u64; 6])> = HANDLED_SIGNALS
            .iter()
            .map(|sig| {
                (
                    libc::SYS_rt_sigaction,
                    [*sig as u64, REGION_ADDR + 128, 0, 8, 0, 0],
                )
            })
            .collect();
        let _g = lock(&self.syscall_lock);
        self.slot0_batch(&calls, "signal handler set-up in stub")
    }

    /// Runs `calls` in the syscall thread as one batch (state 6),
    /// stopping at the first that fails. The caller holds `syscall_lock`.
    fn slot0_batch(&self, calls: &[(i64, [u64; 6])], what: &'static str) -> Result<()> {
        for chunk in calls.chunks(BATCH_MAX) {
            self.write_calls(0, BATCH_AT, chunk);
            self.write_u64(0, 8, chunk.len() as u64);
            crate::host_result(what, self.post(ST_BATCH)?)?;
        }
        Ok(())
    }

    /// A batch that needed more files than a stub keeps (a fork of a
    /// process mapping many) leaves none held: the mappings stay. The
    /// caller holds `syscall_lock`.
    fn trim_files(&self) -> Result<()> {
        if let Some(files) = self.files.as_ref().filter(|f| f.full(0)) {
            for fd in files.forget_all() {
                self.syscall_locked(libc::SYS_close, [fd as u64, 0, 0, 0, 0, 0])?;
            }
        }
        Ok(())
    }

    /// Has the stopped guest thread in `slot` make `ops` (state 7), and
    /// waits until it is stopped again.
    fn thread_batch(&self, slot: u64, calls: &[(i64, [u64; 6])]) -> Result<()> {
        self.write_calls(slot, THREAD_BATCH_AT, calls);
        self.write_u64(slot, THREAD_BATCH_COUNT, calls.len() as u64);
        let st = self.word(slot, 0);
        // A full barrier before reading the stub's sleep flag, as in a resume.
        st.swap(ST_RUN, Ordering::SeqCst);
        if self.word(slot, 60).load(Ordering::SeqCst) != 0 {
            futex_wake(st);
        }
        if wait_stop(st, self.word(slot, 56), self.spin) != ST_STOPPED {
            return Err(PlatformError::Stub("guest thread lost in a batch".into()));
        }
        let r = self.read_u64(slot, THREAD_BATCH_RESULT) as i64;
        crate::host_result("address-space change in guest thread", r).map(|_| ())
    }

    /// Writes `calls` (number and six arguments each, [`BATCH_ENTRY`]
    /// bytes apart) into `slot` from offset `at`, for a batch.
    fn write_calls(&self, slot: u64, at: u64, calls: &[(i64, [u64; 6])]) {
        for (i, (nr, args)) in calls.iter().enumerate() {
            let entry = at + (i as u64) * BATCH_ENTRY;
            self.write_u64(slot, entry, *nr as u64);
            for (j, a) in args.iter().enumerate() {
                self.write_u64(slot, entry + 8 + 8 * j as u64, *a);
            }
        }
    }

    /// Sends `group` to the stub and has its syscall thread receive them
    /// in one batch.
    fn receive_files(&self, files: &StubFiles, group: &[HostFile]) -> Result<()> {
        let sock = stub::file_socket_fd(self.memory_fd) as u64;
        let flags = (libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC) as u64;
        let mut receives = Vec::with_capacity(group.len());
        let mut calls = Vec::with_capacity(group.len());
        for (i, file) in group.iter().enumerate() {
            files.send(*file)?;
            let r = host_files::Receive::new(i, REGION_ADDR);
            for (k, word) in r.bytes.chunks_exact(8).enumerate() {
                let v = u64::from_ne_bytes(word.try_into().unwrap_or([0; 8]));
                self.write_u64(0, r.offset + 8 * k as u64, v);
            }
            calls.push((libc::SYS_recvmsg, [sock, r.msghdr, flags, 0, 0, 0]));
            receives.push(r);
        }
        self.write_calls(0, BATCH_AT, &calls);
        self.write_u64(0, 8, calls.len() as u64);
        let result = self.post(ST_BATCH)?;
        let mut ok = crate::host_result("host file receive in stub", result).is_ok();
        for (file, r) in group.iter().zip(&receives) {
            let mut back = [0u8; 160];
            for (k, word) in back.chunks_exact_mut(8).enumerate() {
                word.copy_from_slice(&self.read_u64(0, r.offset + 8 * k as u64).to_ne_bytes());
            }
            match host_files::Receive::received(&back, file.id) {
                (Some(fd), true) => files.hold(file.id, fd),
                (Some(fd), false) => {
                    ok = false;
                    self.syscall_locked(libc::SYS_close, [fd as u64, 0, 0, 0, 0, 0])?;
                }
                (None, _) => ok = false,
            }
        }
        if !ok {
            files.break_off();
            return Err(PlatformError::Stub(
                "stub did not receive a host file".into(),
            ));
        }
        Ok(())
    }

    /// Hands the request already written in slot 0 to the syscall thread
    /// (`state`: a system call, a batch or a clone), waits for it and
    /// returns its result. The caller holds `syscall_lock`.
    fn post(&self, state: u32) -> Result<i64> {
        let st = self.word(0, 0);
        st.store(state, Ordering::Release);
        futex_wake(st);
        if wait_for(st, ST_DONE, self.spin) != ST_DONE {
            return Err(PlatformError::Stub("syscall thread is gone".into()));
        }
        let r = self.read_u64(0, 64) as i64;
        st.store(0, Ordering::Release);
        Ok(r)
    }

    /// Runs a system call in the stub through the syscall thread.
    fn syscall(&self, nr: i64, args: [u64; 6]) -> Result<i64> {
        let _g = lock(&self.syscall_lock);
        self.syscall_locked(nr, args)
    }

    /// [`SysProcess::syscall`] for a caller holding `syscall_lock`.
    fn syscall_locked(&self, nr: i64, args: [u64; 6]) -> Result<i64> {
        self.write_u64(0, 8, nr as u64);
        for (i, a) in args.iter().enumerate() {
            self.write_u64(0, 16 + 8 * i as u64, *a);
        }
        self.post(ST_SYSCALL)
    }

    fn checked(&self, what: &'static str, nr: i64, args: [u64; 6]) -> Result<()> {
        crate::host_result(what, self.syscall(nr, args)?).map(|_| ())
    }

    /// Clones a new guest thread into a free slot; returns the slot once
    /// the thread waits in its handler.
    fn spawn_thread(&self) -> Result<u64> {
        let slot = {
            let mut s = self.slots_lock();
            let i = s
                .used
                .iter()
                .position(|u| !*u)
                .ok_or_else(|| PlatformError::Stub("too many threads in one stub".into()))?;
            s.used[i] = true;
            i as u64
        };
        self.word(slot, 0).store(ST_RUNNING, Ordering::Release);
        let tid = {
            let _g = lock(&self.syscall_lock);
            self.write_u64(0, 16, crate::STUB_THREAD_FLAGS);
            self.write_u64(0, 24, REGION_ADDR + slot * SLOT_SIZE);
            self.post(ST_CLONE)?
        };
        if tid <= 0 {
            self.slots_lock().used[slot as usize] = false;
            return Err(PlatformError::Host {
                what: "clone stub thread",
                err: std::io::Error::from_raw_os_error(-tid as i32),
            });
        }
        // The new thread stops in its handler (ud2) once set up.
        if wait_stop(self.word(slot, 0), self.word(slot, 56), self.spin) != ST_STOPPED {
            return Err(PlatformError::Stub("new stub thread died".into()));
        }
        self.slots_lock().tids.insert(slot, tid as i32);
        Ok(slot)
    }

    fn my_slot(&self) -> Option<u64> {
        self.slots_lock().by_host.get(&gettid()).copied()
    }

    /// The calling host thread now runs `slot` (it created the space or
    /// adopted the thread).
    fn take_slot(&self, slot: u64) {
        let me = gettid();
        let mut s = self.slots_lock();
        s.by_host.insert(me, slot);
        s.owner.insert(slot, me);
    }

    /// The slot the calling host thread runs, if no other thread has taken
    /// it over since: only then is its guest thread's stop the caller's to
    /// use.
    fn owned_slot(&self) -> Option<u64> {
        let me = gettid();
        let s = self.slots_lock();
        let slot = *s.by_host.get(&me)?;
        (s.owner.get(&slot) == Some(&me)).then_some(slot)
    }

    fn tid_of(&self, slot: u64) -> Option<i32> {
        self.slots_lock().tids.get(&slot).copied()
    }
}

impl Drop for SysProcess {
    fn drop(&mut self) {
        // SAFETY: kills and reaps our own child (the factory thread forked
        // it; any thread of the Sentry may reap it).
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), libc::__WALL);
        }
    }
}

impl AddressSpace for SysProcess {
    fn map(&self, addr: u64, len: u64, offset: u64, prot: Prot) -> Result<()> {
        self.change(&SpaceOp::Map {
            addr,
            len,
            offset,
            prot,
        })
    }

    fn apply(&self, ops: &[SpaceOp]) -> Result<()> {
        let _g = lock(&self.syscall_lock);
        let file_fds = self.file_fds(ops)?;
        let calls: Vec<(i64, [u64; 6])> = ops
            .iter()
            .zip(&file_fds)
            .map(|(op, fd)| {
                let (_, nr, args) = op.stub_call(self.memory_fd, *fd);
                (nr, args)
            })
            .collect();
        // The calling Sentry thread's own guest thread, stopped in stub
        // code, makes the changes: it is awake or about to be, while the
        // syscall thread sleeps.
        match self
            .owned_slot()
            .filter(|s| *s != 0 && self.word(*s, 0).load(Ordering::Acquire) == ST_STOPPED)
        {
            Some(slot) => {
                for chunk in calls.chunks(THREAD_BATCH_MAX) {
                    self.thread_batch(slot, chunk)?;
                }
            }
            None => self.slot0_batch(&calls, "address-space change in stub")?,
        }
        self.trim_files()
    }

    fn maps_host_files(&self) -> bool {
        self.files.as_ref().is_some_and(StubFiles::usable)
    }

    fn unmap(&self, addr: u64, len: u64) -> Result<()> {
        self.change(&SpaceOp::Unmap { addr, len })
    }

    fn protect(&self, addr: u64, len: u64, prot: Prot) -> Result<()> {
        self.change(&SpaceOp::Protect { addr, len, prot })
    }

    fn new_thread(&self) -> Result<u64> {
        self.spawn_thread()
    }

    fn release_thread(&self) {
        let me = gettid();
        let Some(slot) = self.slots_lock().by_host.remove(&me) else {
            return;
        };
        {
            let mut s = self.slots_lock();
            if s.owner.get(&slot) == Some(&me) {
                s.owner.remove(&slot);
            }
        }
        let st = self.word(slot, 0);
        if st.load(Ordering::Acquire) == ST_STOPPED {
            st.store(ST_EXIT, Ordering::Release);
            futex_wake(st);
            wait_for(st, ST_EXITED, self.spin);
        }
        let mut s = self.slots_lock();
        s.tids.remove(&slot);
        // Reuse only slots whose thread is known to be gone.
        if st.load(Ordering::Acquire) == ST_EXITED {
            s.used[slot as usize] = false;
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The size of the kernel's `ucontext` (for tests).
pub const fn ucontext_size() -> u64 {
    UCONTEXT_SIZE
}
