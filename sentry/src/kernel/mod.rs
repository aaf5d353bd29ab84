//! Tasks and the state the kernel shares among them.

pub mod futex;
mod host;
pub mod lifecycle;
pub mod process;
pub mod ptrace;
pub mod random;
pub mod signal;
mod task;
pub mod timekeeper;
pub mod timers;
pub mod tty;
pub mod waitqueue;

pub use host::{host_clock_gettime, host_thread_rusage, rusage_value};
pub use process::{TaskHandle, Tasks, ThreadGroup};
pub use task::{
    CAP_FULL, Credentials, ExitStatus, MAX_GROUPS, RLIMIT_STACK, Task, cap, default_rlimits,
};

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use platform::Platform;

use crate::mm::MemoryFile;
use crate::vfs::Dentry;

/// What every task of the sandbox shares.
pub struct Kernel {
    /// Runs guest code.
    pub platform: Arc<dyn Platform>,
    /// All guest memory.
    pub memory: Arc<MemoryFile>,
    /// The root of the mount tree.
    pub root: Arc<Dentry>,
    /// Log every syscall.
    pub strace: bool,
    /// Trapped `mov $nr, %eax; syscall` sites are patched (systrap).
    pub syscall_patching: bool,
    /// The sandbox's controlling terminal (job control on a host terminal).
    pub ctty: tty::ControllingTerminal,
    /// `uname -n`.
    pub hostname: Mutex<Vec<u8>>,
    /// When the sandbox booted (for `/proc/uptime`).
    pub boot_time: Instant,
    /// Unimplemented syscalls already reported.
    pub reported: Mutex<HashSet<u64>>,
    /// `uname` release and version strings.
    pub uts: (Vec<u8>, Vec<u8>),
    /// Host CPUs the sandbox may use (read at boot: the Sentry opens no
    /// host files once it runs).
    pub cpus: usize,
    /// Every task and process.
    pub tasks: Mutex<Tasks>,
    /// Futex waiters.
    pub futexes: futex::Futexes,
    /// Threads traced by other guest processes.
    pub tracees: ptrace::Tracees,
}

impl Kernel {
    /// The init process (pid 1), if it still exists.
    pub fn init(&self) -> Option<Arc<ThreadGroup>> {
        process::lock(&self.tasks).groups.get(&1).cloned()
    }
}

thread_local! {
    static CURRENT: Cell<(i32, i32)> = const { Cell::new((0, 0)) };
}

/// Records which task the calling host thread runs: (tid, pid).
pub fn set_current(tid: i32, pid: i32) {
    CURRENT.with(|c| c.set((tid, pid)));
}

/// The (tid, pid) of the task the calling host thread runs (`/proc/self`).
pub fn current() -> (i32, i32) {
    CURRENT.with(|c| c.get())
}
