//! Tasks and the state the kernel shares among them.

mod host;
pub mod random;
mod task;

pub use host::{host_clock_gettime, host_thread_rusage, rusage_value};

pub use task::{Credentials, ExitStatus, SignalState, Task, default_rlimits};

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
    /// `uname -n`.
    pub hostname: Mutex<Vec<u8>>,
    /// When the sandbox booted (for `/proc/uptime`).
    pub boot_time: Instant,
    /// Unimplemented syscalls already reported.
    pub reported: Mutex<HashSet<u64>>,
    /// What `/proc` shows of the running process.
    pub process: Mutex<Option<ProcessView>>,
    /// `uname` release and version strings.
    pub uts: (Vec<u8>, Vec<u8>),
    /// Host CPUs the sandbox may use (read at boot: the Sentry opens no
    /// host files once it runs).
    pub cpus: usize,
}

/// The parts of a process `/proc/PID` reads, shared with the task.
#[derive(Clone)]
pub struct ProcessView {
    /// Process id.
    pub pid: i32,
    /// Parent's process id.
    pub ppid: i32,
    /// The address space.
    pub mm: Arc<crate::mm::MemoryManager>,
    /// The FD table.
    pub fds: crate::vfs::FdTable,
    /// Executable path.
    pub exe: Vec<u8>,
    /// `comm`.
    pub comm: Vec<u8>,
    /// Working directory path.
    pub cwd: Vec<u8>,
    /// Identity.
    pub creds: Credentials,
}
