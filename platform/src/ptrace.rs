//! The ptrace platform: one stub process per address space; each guest
//! thread runs as a stub thread, traced by the host thread that runs that
//! guest thread, and stopped at every system call by `PTRACE_SYSEMU`.
//! Address-space changes are system calls injected into a stub thread.
//!
//! # Threads
//! ptrace requests must come from a tracee's tracer thread. A stub process
//! therefore records which host thread traces which of its threads
//! (`StubProcess::threads`). Stub processes are forked by one long-lived
//! factory thread (stubs die with the thread that forked them), which lets
//! them go untraced; the host thread that will run guest code then seizes
//! one (`PTRACE_SEIZE`). New stub threads are cloned by injecting `clone`
//! into a thread the caller already traces; the new thread idles until its
//! own host thread seizes it.
//!
//! An address-space change made by a host thread with no stub thread in
//! that process is queued and applied by the next thread that runs there.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::stub;
use crate::{
    Access, AddressSpace, Context, HostSignal, Interrupter, Platform, PlatformError, Prot, Regs,
    Result, SpaceOp, Stop,
};
use crate::{gettid, lock};

const XSTATE_MAX: usize = 4096;
const NT_X86_XSTATE: libc::c_int = 0x202;
const PTRACE_EVENT_STOP: i32 = 128;

type FactoryRequest = mpsc::Sender<Result<i32>>;

/// The ptrace platform.
pub struct PtracePlatform {
    memory_fd: i32,
    factory: Mutex<mpsc::Sender<FactoryRequest>>,
}

impl PtracePlatform {
    /// A platform whose stubs map ranges of host FD `memory_fd` (the memory
    /// file). The FD must stay open as long as the platform lives.
    pub fn new(memory_fd: i32) -> Result<PtracePlatform> {
        let (tx, rx) = mpsc::channel::<FactoryRequest>();
        std::thread::Builder::new()
            .name("stub-factory".into())
            .spawn(move || {
                for reply in rx {
                    let _ = reply.send(stub::fork_stub(memory_fd));
                }
            })
            .map_err(|err| PlatformError::Host {
                what: "start stub factory",
                err,
            })?;
        Ok(PtracePlatform {
            memory_fd,
            factory: Mutex::new(tx),
        })
    }

    fn fork_stub(&self) -> Result<i32> {
        let (tx, rx) = mpsc::channel();
        lock(&self.factory)
            .send(tx)
            .map_err(|_| PlatformError::Stub("stub factory is gone".into()))?;
        rx.recv()
            .map_err(|_| PlatformError::Stub("stub factory is gone".into()))?
    }
}

impl Platform for PtracePlatform {
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        let pid = self.fork_stub()?;
        let sp = StubProcess {
            pid,
            memory_fd: self.memory_fd,
            threads: Mutex::new(HashMap::new()),
            pending: Mutex::new(Vec::new()),
            stray_stops: Mutex::new(HashSet::new()),
        };
        // The caller becomes the tracer of the stub's first thread.
        sp.seize(pid)?;
        Ok(Arc::new(sp))
    }

    fn new_context(&self) -> Result<Box<dyn Context>> {
        Ok(Box::new(PtraceContext {
            interrupted: Arc::new(InterruptState::default()),
        }))
    }

    fn name(&self) -> &'static str {
        "ptrace"
    }
}

#[derive(Default)]
struct InterruptState {
    /// Set by the interrupter; consumed by `switch`.
    pending: AtomicBool,
    /// The stub thread currently running for this context (0 = none).
    running_tid: AtomicI32,
    /// The stub process that thread belongs to (its thread-group id).
    running_pid: AtomicI32,
}

/// A stub process: one guest address space.
pub struct StubProcess {
    pid: i32,
    memory_fd: i32,
    /// Host tracer thread → the stub thread it traces.
    threads: Mutex<HashMap<i32, i32>>,
    /// Changes made by host threads with no stub thread here.
    pending: Mutex<Vec<SpaceOp>>,
    /// Stub threads that received an interrupt while injecting.
    stray_stops: Mutex<HashSet<i32>>,
}

fn waitpid(tid: i32) -> Result<i32> {
    loop {
        let mut status = 0;
        // SAFETY: waits for a traced thread; status is a valid out pointer.
        let r = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
        if r < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(PlatformError::last("waitpid stub"));
        }
        return Ok(status);
    }
}

/// Makes the calling host thread the tracer of stub thread `tid` (which
/// idles untraced) with ptrace options `opts`, and stops it.
pub(crate) fn seize_stopped(tid: i32, opts: i32) -> Result<()> {
    // SAFETY: seizes a stub thread (a child or grandchild of the Sentry);
    // no memory involved.
    if unsafe { libc::ptrace(libc::PTRACE_SEIZE, tid, 0, opts) } < 0 {
        return Err(PlatformError::last("PTRACE_SEIZE stub thread"));
    }
    // SAFETY: as above.
    if unsafe { libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0) } < 0 {
        return Err(PlatformError::last("PTRACE_INTERRUPT stub thread"));
    }
    let status = waitpid(tid)?;
    if !libc::WIFSTOPPED(status) {
        return Err(PlatformError::Stub(format!(
            "stub thread {tid} did not stop (status {status:#x})"
        )));
    }
    Ok(())
}

fn get_regs(tid: i32) -> Result<libc::user_regs_struct> {
    let mut regs = Regs::default().0;
    // SAFETY: the thread is stopped and traced by the caller; regs is valid.
    if unsafe { libc::ptrace(libc::PTRACE_GETREGS, tid, 0, &mut regs) } < 0 {
        return Err(PlatformError::last("PTRACE_GETREGS"));
    }
    Ok(regs)
}

impl StubProcess {
    /// The host pid of the stub: its thread-group id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Makes the calling host thread the tracer of stub thread `tid`, which
    /// idles untraced, and stops it.
    fn seize(&self, tid: i32) -> Result<()> {
        seize_stopped(tid, libc::PTRACE_O_TRACESYSGOOD)?;
        crate::affinity::pin_pair_here(tid);
        lock(&self.threads).insert(gettid(), tid);
        Ok(())
    }

    fn my_thread(&self) -> Option<i32> {
        lock(&self.threads).get(&gettid()).copied()
    }

    /// Runs system call `nr` with `args` in the caller's stub thread,
    /// starting at `entry`, and returns its result.
    fn inject_at(&self, tid: i32, entry: u64, nr: i64, args: [u64; 6]) -> Result<i64> {
        let mut regs = get_regs(tid)?;
        let saved = regs;
        crate::set_injected_call(&mut regs, entry, nr, args);
        // SAFETY: the stub thread is stopped and traced by this thread.
        if unsafe { libc::ptrace(libc::PTRACE_SETREGS, tid, 0, &regs) } < 0 {
            return Err(PlatformError::last("PTRACE_SETREGS inject"));
        }
        loop {
            // SAFETY: as above.
            if unsafe { libc::ptrace(libc::PTRACE_CONT, tid, 0, 0) } < 0 {
                return Err(PlatformError::last("PTRACE_CONT inject"));
            }
            let status = waitpid(tid)?;
            if !libc::WIFSTOPPED(status) {
                return Err(PlatformError::Stub(format!(
                    "stub exited during injected syscall {nr} (status {status:#x})"
                )));
            }
            match libc::WSTOPSIG(status) {
                libc::SIGTRAP if status >> 16 == 0 => break,
                libc::SIGTRAP | libc::SIGSTOP => {
                    lock(&self.stray_stops).insert(tid);
                    continue;
                }
                sig => {
                    return Err(PlatformError::Stub(format!(
                        "injected syscall {nr} stopped by signal {sig}"
                    )));
                }
            }
        }
        let after = get_regs(tid)?;
        // Restore the thread's registers (the guest's, if it was running).
        // SAFETY: stopped and traced by this thread.
        if unsafe { libc::ptrace(libc::PTRACE_SETREGS, tid, 0, &saved) } < 0 {
            return Err(PlatformError::last("PTRACE_SETREGS restore"));
        }
        Ok(after.rax as i64)
    }

    fn apply(&self, tid: i32, op: SpaceOp) -> Result<()> {
        let (what, nr, args) = op.stub_call(self.memory_fd, -1);
        let r = self.inject_at(tid, stub::syscall_addr(), nr, args)?;
        crate::host_result(what, r).map(|_| ())
    }

    fn change(&self, op: SpaceOp) -> Result<()> {
        match self.my_thread() {
            Some(tid) => {
                self.flush(tid)?;
                self.apply(tid, op)
            }
            None => {
                lock(&self.pending).push(op);
                Ok(())
            }
        }
    }

    fn flush(&self, tid: i32) -> Result<()> {
        let ops: Vec<SpaceOp> = std::mem::take(&mut *lock(&self.pending));
        for op in ops {
            self.apply(tid, op)?;
        }
        Ok(())
    }
}

/// Makes stopped stub thread `tid`, traced by the caller, run `exit` and
/// lets it go. Its exit is not waited for: the exit of a stub process's
/// first thread is reported only once every other thread is gone (and
/// those may wait for this one in the Sentry), so the thread is released at
/// its `PTRACE_EVENT_EXIT` stop instead. A non-leader thread then reaps
/// itself; the leader stays a zombie until the stub process is reaped.
fn exit_stub_thread(tid: i32) {
    let opts = libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_TRACEEXIT;
    // SAFETY: the thread is stopped and traced by this thread; no memory
    // is passed.
    if unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, tid, 0, opts) } < 0 {
        return;
    }
    let Ok(mut regs) = get_regs(tid) else {
        return;
    };
    regs.rip = stub::syscall_addr();
    regs.rax = libc::SYS_exit as u64;
    regs.orig_rax = u64::MAX;
    regs.rdi = 0;
    // SAFETY: stopped and traced by this thread; regs is valid.
    if unsafe { libc::ptrace(libc::PTRACE_SETREGS, tid, 0, &regs) } < 0 {
        return;
    }
    loop {
        // SAFETY: as above; no signal is injected.
        if unsafe { libc::ptrace(libc::PTRACE_CONT, tid, 0, 0) } < 0 {
            return;
        }
        let Ok(status) = waitpid(tid) else {
            return;
        };
        if !libc::WIFSTOPPED(status) {
            // Already gone (and reaped by the wait).
            return;
        }
        if status >> 8 == libc::SIGTRAP | (libc::PTRACE_EVENT_EXIT << 8) {
            // SAFETY: the thread is in its exit stop, traced by this thread.
            unsafe { libc::ptrace(libc::PTRACE_DETACH, tid, 0, 0) };
            return;
        }
        // A stray interrupt (SIGSTOP) or trap: suppress it and go on.
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        // SAFETY: kills our own child; no memory is touched.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        // Reap every thread we trace and the process itself.
        let tids: Vec<i32> = lock(&self.threads).values().copied().collect();
        for tid in tids.into_iter().chain(std::iter::once(self.pid)) {
            let mut status = 0;
            // SAFETY: reaps a dead child or tracee; status is valid.
            unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
        }
    }
}

impl AddressSpace for StubProcess {
    fn map(&self, addr: u64, len: u64, offset: u64, prot: Prot) -> Result<()> {
        self.change(SpaceOp::Map {
            addr,
            len,
            offset,
            prot,
        })
    }

    fn unmap(&self, addr: u64, len: u64) -> Result<()> {
        self.change(SpaceOp::Unmap { addr, len })
    }

    fn protect(&self, addr: u64, len: u64, prot: Prot) -> Result<()> {
        self.change(SpaceOp::Protect { addr, len, prot })
    }

    fn new_thread(&self) -> Result<u64> {
        let tid = self
            .my_thread()
            .ok_or_else(|| PlatformError::Stub("no stub thread to clone from".into()))?;
        let flags = crate::STUB_THREAD_FLAGS;
        let r = self.inject_at(
            tid,
            stub::clone_addr(),
            libc::SYS_clone,
            [flags, 0, 0, 0, 0, 0],
        )?;
        if r <= 0 {
            return Err(PlatformError::Host {
                what: "clone stub thread",
                err: std::io::Error::from_raw_os_error(-r as i32),
            });
        }
        Ok(r as u64)
    }

    fn release_thread(&self) {
        let Some(tid) = lock(&self.threads).remove(&gettid()) else {
            return;
        };
        // The stub thread exits on its own; the process lives on for the
        // other threads.
        exit_stub_thread(tid);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A guest thread on the ptrace platform.
pub struct PtraceContext {
    interrupted: Arc<InterruptState>,
}

fn stub_of(space: &Arc<dyn AddressSpace>) -> Option<&StubProcess> {
    space.as_any().downcast_ref::<StubProcess>()
}

impl Context for PtraceContext {
    fn adopt(&mut self, space: &Arc<dyn AddressSpace>, thread: u64) -> Result<()> {
        let stub =
            stub_of(space).ok_or_else(|| PlatformError::Stub("not a ptrace space".into()))?;
        let tid = i32::try_from(thread).map_err(|_| PlatformError::Stub("bad thread".into()))?;
        stub.seize(tid)
    }

    fn switch(&mut self, space: &Arc<dyn AddressSpace>, regs: &mut Regs) -> Stop {
        let Some(stub) = stub_of(space) else {
            return Stop::Lost;
        };
        let Some(tid) = stub.my_thread() else {
            return Stop::Lost;
        };
        if stub.flush(tid).is_err() {
            return Stop::Lost;
        }
        if self.interrupted.pending.swap(false, Ordering::AcqRel)
            || lock(&stub.stray_stops).remove(&tid)
        {
            return Stop::Interrupted;
        }
        // SAFETY: the stub thread is stopped and traced by this thread.
        if unsafe { libc::ptrace(libc::PTRACE_SETREGS, tid, 0, &regs.0) } < 0 {
            return Stop::Lost;
        }
        self.interrupted
            .running_pid
            .store(stub.pid(), Ordering::Release);
        self.interrupted.running_tid.store(tid, Ordering::Release);
        // An interrupt that raced with the store above is caught here.
        if self.interrupted.pending.swap(false, Ordering::AcqRel) {
            self.interrupted.running_tid.store(0, Ordering::Release);
            return Stop::Interrupted;
        }
        // SAFETY: as above.
        if unsafe { libc::ptrace(libc::PTRACE_SYSEMU, tid, 0, 0) } < 0 {
            return Stop::Lost;
        }
        let Ok(status) = waitpid(tid) else {
            return Stop::Lost;
        };
        self.interrupted.running_tid.store(0, Ordering::Release);
        if !libc::WIFSTOPPED(status) {
            return Stop::Lost;
        }
        // SAFETY: stopped and traced by this thread; regs.0 is a valid out pointer.
        if unsafe { libc::ptrace(libc::PTRACE_GETREGS, tid, 0, &mut regs.0) } < 0 {
            return Stop::Lost;
        }
        let sig = libc::WSTOPSIG(status);
        if sig == libc::SIGTRAP | 0x80 {
            return Stop::Syscall;
        }
        if sig == libc::SIGSTOP || status >> 16 == PTRACE_EVENT_STOP {
            self.interrupted.pending.store(false, Ordering::Release);
            return Stop::Interrupted;
        }
        // SAFETY: siginfo_t is plain data; the pointer is valid for the call.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::ptrace(libc::PTRACE_GETSIGINFO, tid, 0, &mut info) } < 0 {
            return Stop::Lost;
        }
        // SAFETY: si_addr is valid to read for the fault signals we ask it of.
        let addr = unsafe { info.si_addr() } as u64;
        match sig {
            libc::SIGSEGV => Stop::Fault {
                addr,
                access: Access::Unknown,
                code: info.si_code,
            },
            libc::SIGBUS | libc::SIGFPE | libc::SIGILL | libc::SIGTRAP => {
                Stop::Signal(HostSignal {
                    signo: sig,
                    code: info.si_code,
                    addr,
                })
            }
            // Anything else (a host signal sent to the stub from outside) is
            // dropped; the Sentry treats it as an interruption.
            _ => Stop::Interrupted,
        }
    }

    fn interrupter(&self) -> Interrupter {
        let state = self.interrupted.clone();
        Interrupter::new(move || {
            state.pending.store(true, Ordering::Release);
            let tid = state.running_tid.load(Ordering::Acquire);
            let pid = state.running_pid.load(Ordering::Acquire);
            if tid > 0 {
                // SAFETY: no memory is involved. `pid` is the stub process
                // `tid` runs in, so tgkill reaches that thread or nothing
                // (a stale pair whose thread is gone gives ESRCH).
                unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, libc::SIGSTOP) };
            }
        })
    }

    fn fp_state(&mut self, space: &Arc<dyn AddressSpace>) -> Result<Vec<u8>> {
        let stub =
            stub_of(space).ok_or_else(|| PlatformError::Stub("not a ptrace space".into()))?;
        let tid = stub
            .my_thread()
            .ok_or_else(|| PlatformError::Stub("no stub thread".into()))?;
        let mut buf = vec![0u8; XSTATE_MAX];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: the iovec describes `buf`, which outlives the call.
        let r = unsafe { libc::ptrace(libc::PTRACE_GETREGSET, tid, NT_X86_XSTATE, &mut iov) };
        if r < 0 {
            return Err(PlatformError::last("PTRACE_GETREGSET xstate"));
        }
        buf.truncate(iov.iov_len);
        Ok(buf)
    }

    fn set_fp_state(&mut self, space: &Arc<dyn AddressSpace>, state: &[u8]) -> Result<()> {
        let stub =
            stub_of(space).ok_or_else(|| PlatformError::Stub("not a ptrace space".into()))?;
        let tid = stub
            .my_thread()
            .ok_or_else(|| PlatformError::Stub("no stub thread".into()))?;
        let mut buf = state.to_vec();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: the iovec describes `buf`, which outlives the call.
        let r = unsafe { libc::ptrace(libc::PTRACE_SETREGSET, tid, NT_X86_XSTATE, &mut iov) };
        if r < 0 {
            return Err(PlatformError::last("PTRACE_SETREGSET xstate"));
        }
        Ok(())
    }
}
