//! Running guest code.
//!
//! A [`Platform`] creates address spaces (host processes whose memory is made
//! of ranges of the Sentry's memory file) and contexts (one per guest thread)
//! that run guest registers in an address space until something needs the
//! Sentry: a system call, a fault, a signal or an interruption.
//!
//! The Sentry owns all guest state; the platform only runs it. This crate
//! and the Sentry's raw-memory module are the only places with `unsafe` code.

mod affinity;
mod host_files;
pub mod ptrace;
mod regs;
pub mod stub;
pub mod systrap;
pub mod zygote;

pub use regs::Regs;

use std::sync::Arc;

/// Memory protection of a guest mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Prot {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

impl Prot {
    /// The host `PROT_*` bits for this protection.
    pub fn to_host(self) -> i32 {
        let mut p = 0;
        if self.read {
            p |= libc::PROT_READ;
        }
        if self.write {
            p |= libc::PROT_WRITE;
        }
        if self.exec {
            p |= libc::PROT_EXEC;
        }
        p
    }

    /// Builds a protection from `PROT_*` bits (unknown bits ignored).
    pub fn from_bits(bits: u64) -> Prot {
        Prot {
            read: bits & 1 != 0,
            write: bits & 2 != 0,
            exec: bits & 4 != 0,
        }
    }
}

/// The kind of access that faulted, when the platform knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A read.
    Read,
    /// A write.
    Write,
    /// An instruction fetch.
    Execute,
    /// The platform cannot tell.
    Unknown,
}

/// A signal the host delivered to a guest thread, as the platform saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostSignal {
    /// Signal number.
    pub signo: i32,
    /// `si_code`.
    pub code: i32,
    /// `si_addr` for faults, else 0.
    pub addr: u64,
}

/// Why a guest thread stopped running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It executed `syscall`; the registers hold the call.
    Syscall,
    /// It touched memory it may not: `SIGSEGV` with `si_addr`.
    Fault {
        /// The faulting address.
        addr: u64,
        /// What kind of access.
        access: Access,
        /// The host's `si_code` (`SEGV_MAPERR` or `SEGV_ACCERR`).
        code: i32,
    },
    /// A synchronous signal other than a memory fault (`SIGILL`, `SIGFPE`,
    /// `SIGTRAP`, `SIGBUS`), to be delivered to the guest.
    Signal(HostSignal),
    /// [`Interrupter::interrupt`] was called.
    Interrupted,
    /// The host process that ran the thread is gone (killed from outside).
    Lost,
}

/// Errors of the platform itself (never of the guest).
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// A host call failed.
    #[error("{what}: {err}")]
    Host {
        /// What was being done.
        what: &'static str,
        /// The host error.
        err: std::io::Error,
    },
    /// A stub process behaved unexpectedly.
    #[error("stub process: {0}")]
    Stub(String),
}

impl PlatformError {
    pub(crate) fn last(what: &'static str) -> PlatformError {
        PlatformError::Host {
            what,
            err: std::io::Error::last_os_error(),
        }
    }
}

/// Result type of platform operations.
pub type Result<T> = std::result::Result<T, PlatformError>;

/// Creates address spaces and contexts.
pub trait Platform: Send + Sync + 'static {
    /// A new, empty address space.
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>>;
    /// A new context for one guest thread.
    fn new_context(&self) -> Result<Box<dyn Context>>;
    /// The platform's name (`ptrace`).
    fn name(&self) -> &'static str;
}

/// A host system call's raw result: the value, or the error it encodes
/// (`-4095..0`) as the failure of `what`.
pub(crate) fn host_result(what: &'static str, r: i64) -> Result<i64> {
    if (-4095..0).contains(&r) {
        return Err(PlatformError::Host {
            what,
            err: std::io::Error::from_raw_os_error(-r as i32),
        });
    }
    Ok(r)
}

/// `clone` flags of a new stub thread: a thread of the stub process, as
/// the runtime's threads are (both platforms; the Sentry's seccomp filter
/// allows exactly these).
pub(crate) const STUB_THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;

/// One change to an address space, for [`AddressSpace::apply`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceOp {
    /// [`AddressSpace::map`].
    Map {
        /// Guest address.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// Memory-file offset.
        offset: u64,
        /// Protection.
        prot: Prot,
    },
    /// [`AddressSpace::unmap`].
    Unmap {
        /// Guest address.
        addr: u64,
        /// Length in bytes.
        len: u64,
    },
    /// [`AddressSpace::protect`].
    Protect {
        /// Guest address.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// Protection.
        prot: Prot,
    },
    /// Maps `len` bytes of a host file at `offset`, private and never
    /// writable, at guest `addr` (only where
    /// [`AddressSpace::maps_host_files`]).
    MapFile {
        /// Guest address.
        addr: u64,
        /// Length in bytes.
        len: u64,
        /// The file.
        file: HostFile,
        /// Offset in the file.
        offset: u64,
        /// Protection (never writable).
        prot: Prot,
    },
}

/// A host file the Sentry holds open for reading whose contents do not
/// change under the sandbox (a file of the root's lower layer), which a
/// platform may map into guest address spaces itself: the host's page
/// cache then serves the guest's page faults, with no copy and no stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostFile {
    /// Names the file for as long as the Sentry runs: never reused.
    pub id: u64,
    /// The Sentry's FD for it, open while an operation naming it runs.
    pub fd: i32,
}

impl SpaceOp {
    /// The system call a stub makes for this change (mappings are of host
    /// FD `memory_fd`, or of `file_fd`, the stub's FD for a host file):
    /// what it is, its number and arguments.
    pub(crate) fn stub_call(&self, memory_fd: i32, file_fd: i32) -> (&'static str, i64, [u64; 6]) {
        match *self {
            SpaceOp::MapFile {
                addr,
                len,
                offset,
                prot,
                ..
            } => (
                "mmap of a host file in stub",
                libc::SYS_mmap,
                [
                    addr,
                    len,
                    Prot {
                        write: false,
                        ..prot
                    }
                    .to_host() as u64,
                    (libc::MAP_PRIVATE | libc::MAP_FIXED) as u64,
                    file_fd as u64,
                    offset,
                ],
            ),
            SpaceOp::Map {
                addr,
                len,
                offset,
                prot,
            } => (
                "mmap in stub",
                libc::SYS_mmap,
                [
                    addr,
                    len,
                    prot.to_host() as u64,
                    (libc::MAP_SHARED | libc::MAP_FIXED) as u64,
                    memory_fd as u64,
                    offset,
                ],
            ),
            SpaceOp::Unmap { addr, len } => {
                ("munmap in stub", libc::SYS_munmap, [addr, len, 0, 0, 0, 0])
            }
            SpaceOp::Protect { addr, len, prot } => (
                "mprotect in stub",
                libc::SYS_mprotect,
                [addr, len, prot.to_host() as u64, 0, 0, 0],
            ),
        }
    }
}

/// A guest address space: host mappings of memory-file ranges.
pub trait AddressSpace: Send + Sync {
    /// Maps `len` bytes of the memory file at `offset` at guest `addr`,
    /// replacing whatever was there.
    fn map(&self, addr: u64, len: u64, offset: u64, prot: Prot) -> Result<()>;
    /// Removes mappings in `[addr, addr+len)`.
    fn unmap(&self, addr: u64, len: u64) -> Result<()>;
    /// Changes the protection of existing mappings in `[addr, addr+len)`.
    fn protect(&self, addr: u64, len: u64, prot: Prot) -> Result<()>;
    /// Applies `ops` in order, stopping at the first that fails; a
    /// platform may hand them to the host in one go (a fork maps every
    /// VMA of the child and protects the parent's).
    fn apply(&self, ops: &[SpaceOp]) -> Result<()> {
        for op in ops {
            match *op {
                SpaceOp::Map {
                    addr,
                    len,
                    offset,
                    prot,
                } => self.map(addr, len, offset, prot)?,
                SpaceOp::Unmap { addr, len } => self.unmap(addr, len)?,
                SpaceOp::Protect { addr, len, prot } => self.protect(addr, len, prot)?,
                SpaceOp::MapFile { .. } => {
                    return Err(PlatformError::Stub(
                        "this address space cannot map host files".into(),
                    ));
                }
            }
        }
        Ok(())
    }
    /// Whether [`SpaceOp::MapFile`] works here.
    fn maps_host_files(&self) -> bool {
        false
    }
    /// Prepares a new host thread of this address space for another guest
    /// thread, returning a handle the new thread's context [`Context::adopt`]s.
    /// Called by a thread that runs in this address space.
    fn new_thread(&self) -> Result<u64>;
    /// The calling host thread stops running guest code here (its guest
    /// thread exited or moved to another address space by `execve`).
    fn release_thread(&self);
    /// Lets the platform downcast to its own type.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// Runs one guest thread.
pub trait Context: Send {
    /// Takes over thread `thread` of `space` (from [`AddressSpace::new_thread`]).
    fn adopt(&mut self, space: &Arc<dyn AddressSpace>, thread: u64) -> Result<()>;
    /// Runs the thread with `regs` in `space` until it stops; `regs` then
    /// holds the thread's registers at the stop.
    fn switch(&mut self, space: &Arc<dyn AddressSpace>, regs: &mut Regs) -> Stop;
    /// A handle that makes a concurrent or the next `switch` return
    /// [`Stop::Interrupted`].
    fn interrupter(&self) -> Interrupter;
    /// The Sentry is about to block while handling this thread's last stop
    /// (a sleeping syscall): a platform that spins waiting for the resume
    /// should stop spinning.
    fn blocking_hint(&self) {}
    /// Where a patched call site should jump to enter the Sentry without
    /// a trap, if the last [`Stop::Syscall`] came from a `syscall`
    /// instruction the platform trapped and the platform has such an entry
    /// (systrap's trampoline); `None` otherwise.
    fn patch_entry(&self) -> Option<u64> {
        None
    }
    /// Reads the thread's extended FP state (`XSAVE` layout).
    fn fp_state(&mut self, space: &Arc<dyn AddressSpace>) -> Result<Vec<u8>>;
    /// Replaces the thread's extended FP state (`XSAVE` layout).
    fn set_fp_state(&mut self, space: &Arc<dyn AddressSpace>, state: &[u8]) -> Result<()>;
}

/// Interrupts a context from another thread.
#[derive(Clone)]
pub struct Interrupter {
    inner: Arc<dyn Fn() + Send + Sync>,
}

impl Interrupter {
    /// Wraps a function that interrupts.
    pub fn new(f: impl Fn() + Send + Sync + 'static) -> Interrupter {
        Interrupter { inner: Arc::new(f) }
    }

    /// Makes the context's current or next `switch` return soon.
    pub fn interrupt(&self) {
        (self.inner)();
    }
}

impl std::fmt::Debug for Interrupter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupter")
    }
}

/// Points `regs` at a `syscall` instruction at `entry` with system call
/// `nr` and `args` (no restart: `orig_rax` is -1), for injecting a call
/// into a stopped stub thread.
pub(crate) fn set_injected_call(
    regs: &mut libc::user_regs_struct,
    entry: u64,
    nr: i64,
    args: [u64; 6],
) {
    regs.rip = entry;
    regs.rax = nr as u64;
    regs.orig_rax = u64::MAX;
    regs.rdi = args[0];
    regs.rsi = args[1];
    regs.rdx = args[2];
    regs.r10 = args[3];
    regs.r8 = args[4];
    regs.r9 = args[5];
}

/// The calling host thread's id.
pub(crate) fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Locks a mutex, recovering the data of a poisoned one.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
