//! A task: one guest thread, its registers, address space, FD table and
//! file-system context, and the loop that runs it.

use std::sync::Arc;

use abi::Errno;
use abi::signal::{SigAction, StackT};
use platform::{Context, Regs, Stop};

use super::Kernel;
use crate::mm::MemoryManager;
use crate::vfs::{FdTable, FsContext};

/// How a task (and its process) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit_group(code)`.
    Exited(u8),
    /// Killed by a signal.
    Signaled(i32),
}

/// User and group identity.
#[derive(Clone, Copy, Debug, Default)]
pub struct Credentials {
    /// Real, effective, saved user ids.
    pub uid: [u32; 3],
    /// Real, effective, saved group ids.
    pub gid: [u32; 3],
}

/// Signal bookkeeping of a task.
#[derive(Clone)]
pub struct SignalState {
    /// Actions for signals 1..=64 (index = signo - 1).
    pub actions: [SigAction; 64],
    /// Blocked signals.
    pub mask: u64,
    /// Signals sent while blocked, not yet delivered (bit `signo - 1`).
    pub pending: u64,
    /// The alternate signal stack.
    pub altstack: StackT,
}

impl Default for SignalState {
    fn default() -> SignalState {
        SignalState {
            actions: [SigAction::default(); 64],
            mask: 0,
            pending: 0,
            altstack: StackT {
                ss_flags: abi::signal::SS_DISABLE,
                ..StackT::default()
            },
        }
    }
}

/// Resource limits: (soft, hard) per `RLIMIT_*` index.
pub type Rlimits = [(u64, u64); 16];

/// One guest thread.
pub struct Task {
    /// The shared kernel.
    pub kernel: Arc<Kernel>,
    /// The address space.
    pub mm: Arc<MemoryManager>,
    /// The platform context running this thread.
    pub ctx: Box<dyn Context>,
    /// Registers at the last stop.
    pub regs: Regs,
    /// Open files.
    pub fds: FdTable,
    /// Root, working directory, umask.
    pub fs: FsContext,
    /// Thread id (= process id for the first thread).
    pub tid: i32,
    /// Process id.
    pub pid: i32,
    /// Parent's process id.
    pub ppid: i32,
    /// Identity.
    pub creds: Credentials,
    /// Signals.
    pub signals: SignalState,
    /// Limits.
    pub rlimits: Rlimits,
    /// `set_tid_address` pointer.
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    /// Path of the running executable (`/proc/self/exe`).
    pub exe: Vec<u8>,
    /// `comm` (at most 15 bytes).
    pub comm: Vec<u8>,
    /// Set when the task has exited.
    pub exit: Option<ExitStatus>,
    /// The handler replaced all registers (`execve`); do not store a return value.
    pub regs_replaced: bool,
}

/// Default resource limits, as a fresh Linux login sees them.
pub fn default_rlimits() -> Rlimits {
    const INF: u64 = u64::MAX;
    let mut r = [(INF, INF); 16];
    r[3] = (8 << 20, INF); // RLIMIT_STACK
    r[4] = (0, INF); // RLIMIT_CORE
    r[6] = (63_432, 63_432); // RLIMIT_NPROC
    r[7] = (1024, 1 << 20); // RLIMIT_NOFILE
    r[8] = (8 << 20, 8 << 20); // RLIMIT_MEMLOCK
    r[11] = (63_432, 63_432); // RLIMIT_SIGPENDING
    r[12] = (819_200, 819_200); // RLIMIT_MSGQUEUE
    r[13] = (0, 0); // RLIMIT_NICE
    r[14] = (0, 0); // RLIMIT_RTPRIO
    r
}

impl Task {
    /// Runs the task until it exits.
    pub fn run(&mut self) -> ExitStatus {
        loop {
            if let Some(e) = self.exit {
                return e;
            }
            let space = self.mm.space().clone();
            let stop = self.ctx.switch(&space, &mut self.regs);
            match stop {
                Stop::Syscall => {
                    let nr = self.regs.syscall_nr();
                    let args = self.regs.syscall_args();
                    let result = crate::syscalls::dispatch(self, nr, &args);
                    if self.regs_replaced {
                        self.regs_replaced = false;
                    } else {
                        self.regs.set_return(match result {
                            Ok(v) => v,
                            Err(e) => e.as_return(),
                        });
                    }
                }
                Stop::Fault { addr, code, .. } => {
                    tracing::debug!(addr, code, rip = self.regs.ip(), "guest fault");
                    self.exit = Some(self.default_signal_action(abi::signal::SIGSEGV));
                }
                Stop::Signal(s) => {
                    tracing::debug!(?s, rip = self.regs.ip(), "guest signal");
                    self.exit = Some(self.default_signal_action(s.signo));
                }
                Stop::Interrupted => {}
                Stop::Lost => {
                    self.exit = Some(ExitStatus::Signaled(abi::signal::SIGKILL));
                }
            }
        }
    }

    /// What happens when `signo` arrives with no handler: the process is
    /// killed by it (signal delivery to handlers comes with the task model).
    pub fn default_signal_action(&self, signo: i32) -> ExitStatus {
        ExitStatus::Signaled(signo)
    }

    /// Publishes what `/proc` shows of this process.
    pub fn publish(&self) {
        let view = super::ProcessView {
            pid: self.pid,
            ppid: self.ppid,
            mm: self.mm.clone(),
            fds: self.fds.clone(),
            exe: self.exe.clone(),
            comm: self.comm.clone(),
            cwd: self.fs.cwd.path_from(&self.fs.root),
            creds: self.creds,
        };
        if let Ok(mut p) = self.kernel.process.lock() {
            *p = Some(view);
        }
    }

    /// The soft limit of resource `r`.
    pub fn rlimit(&self, r: usize) -> u64 {
        self.rlimits.get(r).map_or(u64::MAX, |l| l.0)
    }

    /// Reads a path argument (at most `PATH_MAX` bytes including the NUL).
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mm.read_cstr(addr, 4095)
    }
}
