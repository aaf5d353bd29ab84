//! The ptrace platform: one traced stub process per address space; guest
//! threads run as stub threads stopped at every system call by
//! `PTRACE_SYSEMU`. Address-space changes are system calls injected into a
//! stopped stub thread.
//!
//! # Concurrency
//! ptrace requests must come from the tracing host thread, so an address
//! space records the host thread that created (and traces) its stub, and
//! every operation checks it is made from that thread.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::stub;
use crate::{
    Access, AddressSpace, Context, HostSignal, Interrupter, Platform, PlatformError, Prot, Regs,
    Result, Stop,
};

const XSTATE_MAX: usize = 4096;
const NT_X86_XSTATE: libc::c_int = 0x202;

fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// The ptrace platform.
pub struct PtracePlatform {
    memory_fd: i32,
}

impl PtracePlatform {
    /// A platform whose stubs map ranges of host FD `memory_fd` (the memory
    /// file). The FD must stay open as long as the platform lives.
    pub fn new(memory_fd: i32) -> Result<PtracePlatform> {
        Ok(PtracePlatform { memory_fd })
    }
}

impl Platform for PtracePlatform {
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        Ok(Arc::new(StubProcess::new(self.memory_fd)?))
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
    running_tid: std::sync::atomic::AtomicI32,
}

/// A stub process: one guest address space.
pub struct StubProcess {
    pid: i32,
    tracer: i32,
    memory_fd: i32,
    /// Registers of the stub at its initial stop, used as the template for
    /// injected system calls.
    template: libc::user_regs_struct,
    /// An interrupt (`SIGSTOP`) arrived while injecting; report it at the next switch.
    stray_stop: AtomicBool,
}

impl StubProcess {
    fn new(memory_fd: i32) -> Result<StubProcess> {
        let pid = stub::fork_stub(memory_fd)?;
        let mut template = Regs::default().0;
        // SAFETY: the stub is stopped and traced by this thread; template is
        // a valid user_regs_struct.
        let r = unsafe { libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut template) };
        let sp = StubProcess {
            pid,
            tracer: gettid(),
            memory_fd,
            template,
            stray_stop: AtomicBool::new(false),
        };
        if r < 0 {
            return Err(PlatformError::last("PTRACE_GETREGS of new stub"));
        }
        sp.pin_to_current_cpu();
        Ok(sp)
    }

    /// Keeps the stub on the tracer's CPU: a wake-up across CPUs costs tens
    /// of microseconds on virtual machines, a local switch a few.
    fn pin_to_current_cpu(&self) {
        // SAFETY: sched_getcpu has no preconditions.
        let cpu = unsafe { libc::sched_getcpu() };
        let Ok(cpu) = usize::try_from(cpu) else {
            return;
        };
        // SAFETY: cpu_set_t is plain data; CPU_SET writes within it; the
        // set pointers are valid for the calls.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            libc::sched_setaffinity(self.pid, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }

    /// The host pid of the stub (for diagnostics).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    fn check_tracer(&self) -> Result<()> {
        if gettid() != self.tracer {
            return Err(PlatformError::Stub(
                "address space used from a thread that does not trace it".into(),
            ));
        }
        Ok(())
    }

    /// Waits for the stub thread to stop; returns the wait status.
    fn wait_stop(&self, tid: i32) -> Result<i32> {
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

    /// Runs system call `nr` with `args` in the stub and returns its result.
    fn inject(&self, nr: i64, args: [u64; 6]) -> Result<i64> {
        self.check_tracer()?;
        let mut regs = self.template;
        regs.rip = stub::syscall_addr();
        regs.rax = nr as u64;
        regs.orig_rax = u64::MAX;
        regs.rdi = args[0];
        regs.rsi = args[1];
        regs.rdx = args[2];
        regs.r10 = args[3];
        regs.r8 = args[4];
        regs.r9 = args[5];
        // SAFETY: the stub is stopped and traced by this thread.
        if unsafe { libc::ptrace(libc::PTRACE_SETREGS, self.pid, 0, &regs) } < 0 {
            return Err(PlatformError::last("PTRACE_SETREGS inject"));
        }
        loop {
            // SAFETY: as above.
            if unsafe { libc::ptrace(libc::PTRACE_CONT, self.pid, 0, 0) } < 0 {
                return Err(PlatformError::last("PTRACE_CONT inject"));
            }
            let status = self.wait_stop(self.pid)?;
            if !libc::WIFSTOPPED(status) {
                return Err(PlatformError::Stub(format!(
                    "stub exited during injected syscall {nr} (status {status:#x})"
                )));
            }
            match libc::WSTOPSIG(status) {
                libc::SIGTRAP => break,
                libc::SIGSTOP => {
                    self.stray_stop.store(true, Ordering::Relaxed);
                    continue;
                }
                sig => {
                    let mut r = self.template;
                    // SAFETY: stopped and traced by this thread; valid out pointer.
                    unsafe { libc::ptrace(libc::PTRACE_GETREGS, self.pid, 0, &mut r) };
                    return Err(PlatformError::Stub(format!(
                        "injected syscall {nr} stopped by signal {sig} at {:#x} (stub {:#x})",
                        r.rip,
                        stub::syscall_addr()
                    )));
                }
            }
        }
        // SAFETY: as above; regs is a valid out pointer.
        if unsafe { libc::ptrace(libc::PTRACE_GETREGS, self.pid, 0, &mut regs) } < 0 {
            return Err(PlatformError::last("PTRACE_GETREGS inject"));
        }
        Ok(regs.rax as i64)
    }

    fn inject_checked(&self, what: &'static str, nr: i64, args: [u64; 6]) -> Result<()> {
        let r = self.inject(nr, args)?;
        if r < 0 && r > -4096 {
            return Err(PlatformError::Host {
                what,
                err: std::io::Error::from_raw_os_error(-r as i32),
            });
        }
        Ok(())
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        // SAFETY: kills and reaps our own child; no memory is touched.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(self.pid, &mut status, libc::__WALL);
        }
    }
}

impl AddressSpace for StubProcess {
    fn map(&self, addr: u64, len: u64, offset: u64, prot: Prot) -> Result<()> {
        let flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
        self.inject_checked(
            "mmap in stub",
            libc::SYS_mmap,
            [
                addr,
                len,
                prot.to_host() as u64,
                flags,
                self.memory_fd as u64,
                offset,
            ],
        )
    }

    fn unmap(&self, addr: u64, len: u64) -> Result<()> {
        self.inject_checked("munmap in stub", libc::SYS_munmap, [addr, len, 0, 0, 0, 0])
    }

    fn protect(&self, addr: u64, len: u64, prot: Prot) -> Result<()> {
        self.inject_checked(
            "mprotect in stub",
            libc::SYS_mprotect,
            [addr, len, prot.to_host() as u64, 0, 0, 0],
        )
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A guest thread on the ptrace platform.
pub struct PtraceContext {
    interrupted: Arc<InterruptState>,
}

impl PtraceContext {
    fn stub<'a>(&self, space: &'a Arc<dyn AddressSpace>) -> Option<&'a StubProcess> {
        space.as_any().downcast_ref::<StubProcess>()
    }
}

impl Context for PtraceContext {
    fn switch(&mut self, space: &Arc<dyn AddressSpace>, regs: &mut Regs) -> Stop {
        let Some(stub) = self.stub(space) else {
            return Stop::Lost;
        };
        if stub.check_tracer().is_err() {
            return Stop::Lost;
        }
        if self.interrupted.pending.swap(false, Ordering::AcqRel)
            || stub.stray_stop.swap(false, Ordering::Relaxed)
        {
            return Stop::Interrupted;
        }
        let tid = stub.pid;
        // SAFETY: the stub thread is stopped and traced by this thread.
        if unsafe { libc::ptrace(libc::PTRACE_SETREGS, tid, 0, &regs.0) } < 0 {
            return Stop::Lost;
        }
        self.interrupted.running_tid.store(tid, Ordering::Release);
        // SAFETY: as above.
        if unsafe { libc::ptrace(libc::PTRACE_SYSEMU, tid, 0, 0) } < 0 {
            return Stop::Lost;
        }
        let Ok(status) = stub.wait_stop(tid) else {
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
        if sig == libc::SIGSTOP {
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
            if tid > 0 {
                // SAFETY: signals a stub thread of ours; no memory involved.
                unsafe { libc::syscall(libc::SYS_tgkill, tid, tid, libc::SIGSTOP) };
            }
        })
    }

    fn fp_state(&mut self, space: &Arc<dyn AddressSpace>) -> Result<Vec<u8>> {
        let stub = self
            .stub(space)
            .ok_or_else(|| PlatformError::Stub("not a ptrace address space".into()))?;
        stub.check_tracer()?;
        let mut buf = vec![0u8; XSTATE_MAX];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: the iovec describes `buf`, which outlives the call.
        let r = unsafe { libc::ptrace(libc::PTRACE_GETREGSET, stub.pid, NT_X86_XSTATE, &mut iov) };
        if r < 0 {
            return Err(PlatformError::last("PTRACE_GETREGSET xstate"));
        }
        buf.truncate(iov.iov_len);
        Ok(buf)
    }

    fn set_fp_state(&mut self, space: &Arc<dyn AddressSpace>, state: &[u8]) -> Result<()> {
        let stub = self
            .stub(space)
            .ok_or_else(|| PlatformError::Stub("not a ptrace address space".into()))?;
        stub.check_tracer()?;
        let mut buf = state.to_vec();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: the iovec describes `buf`, which outlives the call.
        let r = unsafe { libc::ptrace(libc::PTRACE_SETREGSET, stub.pid, NT_X86_XSTATE, &mut iov) };
        if r < 0 {
            return Err(PlatformError::last("PTRACE_SETREGSET xstate"));
        }
        Ok(())
    }
}
