//! Thread groups (processes), the shared handles of tasks, and the table
//! that names them by id.
//!
//! # Lock order
//! `Tasks` (the table) → `ThreadGroup::state` of a parent → of a child →
//! `TaskHandle::state`. Never hold a `ThreadGroup::state` while taking the
//! table lock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use abi::signal::{SigAction, SigInfo};
use platform::Interrupter;

use super::Credentials;
use super::waitqueue::{WaitQueue, Waker};
use crate::mm::MemoryManager;
use crate::vfs::FdTable;

/// Locks a mutex, recovering from poisoning (a panicking task thread must
/// not take the whole kernel with it).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bit of signal `signo` in a mask.
pub fn sigbit(signo: i32) -> u64 {
    if (1..=64).contains(&signo) {
        1u64 << (signo - 1)
    } else {
        0
    }
}

/// `SIGKILL` and `SIGSTOP`: never blocked, caught or ignored.
pub const UNBLOCKABLE: u64 = (1 << 8) | (1 << 18);

/// Pending signals: a set for standard signals (which coalesce) and a
/// queue for real-time ones (which do not).
#[derive(Default, Clone)]
pub struct SigQueue {
    /// Signals with at least one instance pending.
    pub set: u64,
    queue: VecDeque<SigInfo>,
}

impl SigQueue {
    /// Adds a signal; a standard signal already pending is dropped.
    pub fn push(&mut self, info: SigInfo) {
        let bit = sigbit(info.si_signo);
        if info.si_signo < 32 && self.set & bit != 0 {
            return;
        }
        self.set |= bit;
        self.queue.push_back(info);
    }

    /// Takes the lowest-numbered pending signal not in `blocked`.
    pub fn take(&mut self, blocked: u64) -> Option<SigInfo> {
        let ready = self.set & !blocked;
        if ready == 0 {
            return None;
        }
        let signo = ready.trailing_zeros() as i32 + 1;
        self.take_signo(signo)
    }

    /// Takes one pending instance of `signo`.
    pub fn take_signo(&mut self, signo: i32) -> Option<SigInfo> {
        let i = self.queue.iter().position(|s| s.si_signo == signo)?;
        let info = self.queue.remove(i)?;
        if !self.queue.iter().any(|s| s.si_signo == signo) {
            self.set &= !sigbit(signo);
        }
        Some(info)
    }

    /// Drops every pending instance of the signals in `mask`.
    pub fn discard(&mut self, mask: u64) {
        self.queue.retain(|s| sigbit(s.si_signo) & mask == 0);
        self.set &= !mask;
    }
}

/// The per-thread part of signal state, shared so other tasks can send.
#[derive(Default)]
pub struct ThreadState {
    /// Thread-directed pending signals.
    pub pending: SigQueue,
    /// Blocked signals.
    pub mask: u64,
    /// Interrupts the thread while it runs guest code.
    pub interrupter: Option<Interrupter>,
    /// The thread must exit (exit_group, execve by another thread, fatal signal).
    pub killed: bool,
    /// `PR_SET_PDEATHSIG`: sent when the parent process exits.
    pub pdeathsig: i32,
    /// CPU-time accounting.
    pub cpu: super::timers::ThreadCpu,
    /// The thread's name (`comm`, at most 15 bytes); empty until first set,
    /// meaning the process's name.
    pub comm: Vec<u8>,
}

/// What other tasks may see and touch of a task.
pub struct TaskHandle {
    /// Thread id.
    pub tid: i32,
    /// Its process.
    pub tg: Arc<ThreadGroup>,
    /// Wakes it from any wait.
    pub waker: Arc<Waker>,
    /// Signals and kill state.
    pub state: Mutex<ThreadState>,
}

/// Longest `comm` (`TASK_COMM_LEN` - 1).
pub const COMM_MAX: usize = 15;

impl TaskHandle {
    /// The thread's name (`comm`).
    pub fn comm(&self) -> Vec<u8> {
        let c = lock(&self.state).comm.clone();
        if c.is_empty() {
            self.tg.lock().comm.clone()
        } else {
            c
        }
    }

    /// Renames the thread, as `set_task_comm`: the name ends at the first
    /// NUL and keeps at most 15 bytes. The leader's name is the process's.
    pub fn set_comm(&self, name: &[u8]) -> Vec<u8> {
        let end = name.iter().position(|c| *c == 0).unwrap_or(name.len());
        let c = name[..end.min(COMM_MAX)].to_vec();
        lock(&self.state).comm = c.clone();
        if self.tid == self.tg.pid {
            self.tg.lock().comm = c.clone();
        }
        c
    }

    /// Makes the task notice a signal or a kill: wakes it if it sleeps in
    /// the Sentry, interrupts it if it runs guest code.
    pub fn kick(&self) {
        self.waker.wake();
        if let Some(i) = lock(&self.state).interrupter.clone() {
            i.interrupt();
        }
    }
}

/// How a process ended or changed, as `wait` reports it.
pub mod wstatus {
    /// `exit(code)`.
    pub fn exited(code: i32) -> i32 {
        (code & 0xff) << 8
    }
    /// Killed by `sig`, with a core dump when `core`.
    pub fn signaled(sig: i32, core: bool) -> i32 {
        (sig & 0x7f) | if core { 0x80 } else { 0 }
    }
    /// Stopped by `sig`.
    pub fn stopped(sig: i32) -> i32 {
        ((sig & 0xff) << 8) | 0x7f
    }
    /// Continued by `SIGCONT`.
    pub const CONTINUED: i32 = 0xffff;
}

/// Mutable state of a process.
pub struct TgState {
    /// The parent (`None` for init).
    pub parent: Option<Arc<ThreadGroup>>,
    /// Children, live and zombie.
    pub children: Vec<Arc<ThreadGroup>>,
    /// Live threads.
    pub threads: Vec<Arc<TaskHandle>>,
    /// Process-directed pending signals.
    pub pending: SigQueue,
    /// Process group.
    pub pgid: i32,
    /// Session.
    pub sid: i32,
    /// Signal sent to the parent at exit (`SIGCHLD`, or the clone's low byte).
    pub exit_signal: i32,
    /// Set when the whole process is exiting: the wait status it will have.
    pub group_exit: Option<i32>,
    /// Set once every thread has exited: the wait status.
    pub zombie: Option<i32>,
    /// Set just before the parent is signalled of the exit, which comes
    /// before [`TgState::zombie`] is set (as on Linux, where `wait` never
    /// sees a zombie whose exit signal is not yet pending).
    pub exiting: bool,
    /// Job control: stopped by this signal.
    pub stopped: Option<i32>,
    /// A stop or continue not yet reported to `wait`.
    pub wait_event: Option<i32>,
    /// `PR_SET_CHILD_SUBREAPER`.
    pub subreaper: bool,
    /// `membarrier` registrations (`MEMBARRIER_CMD_REGISTER_*` bits).
    pub membarrier: u64,
    /// Set once the process has called `execve` (`setpgid` then fails).
    pub did_exec: bool,
    /// What `/proc` shows: address space.
    pub mm: Option<Arc<MemoryManager>>,
    /// Set while a process made by `fork` gets its own address space:
    /// [`TgState::mm`] is its parent's until then (the same contents), so
    /// `/proc/PID/mem`, which binds to the address space itself, waits.
    pub mm_pending: bool,
    /// What `/proc` shows: FD table.
    pub fds: Option<FdTable>,
    /// Executable path.
    pub exe: Vec<u8>,
    /// `comm`.
    pub comm: Vec<u8>,
    /// Resource limits (shared by the process's threads, inherited by its
    /// children).
    pub rlimits: super::task::Rlimits,
    /// Working directory path.
    pub cwd: Vec<u8>,
    /// Identity.
    pub creds: Credentials,
    /// `PR_SET_DUMPABLE` (Linux keeps it in the address space): whether
    /// processes of the same user may inspect this one (`/proc/PID/mem`).
    /// Cleared by a change of identity, set again by `execve`.
    pub dumpable: bool,
    /// CPU time of exited threads and reaped children: (user, system) in ns.
    pub cpu_self: (u64, u64),
    /// CPU time of reaped children.
    pub cpu_children: (u64, u64),
}

/// A process.
pub struct ThreadGroup {
    /// Process id.
    pub pid: i32,
    /// State.
    pub state: Mutex<TgState>,
    /// Signal actions (shared with `CLONE_SIGHAND` children).
    pub actions: Arc<Mutex<[SigAction; 64]>>,
    /// Woken when a child stops, continues or exits.
    pub child_events: WaitQueue,
    /// Woken when this process's threads change (exec, exit).
    pub thread_events: Arc<WaitQueue>,
    /// `alarm`/`setitimer` timers.
    pub timers: super::timers::ProcessTimers,
    /// When the process was created (`/proc/PID/stat` starttime).
    pub start: std::time::Instant,
}

impl ThreadGroup {
    /// A new process.
    pub fn new(
        pid: i32,
        parent: Option<Arc<ThreadGroup>>,
        actions: Arc<Mutex<[SigAction; 64]>>,
        pgid: i32,
        sid: i32,
        exit_signal: i32,
    ) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            pid,
            state: Mutex::new(TgState {
                parent,
                children: Vec::new(),
                threads: Vec::new(),
                pending: SigQueue::default(),
                pgid,
                sid,
                exit_signal,
                group_exit: None,
                zombie: None,
                exiting: false,
                stopped: None,
                wait_event: None,
                subreaper: false,
                membarrier: 0,
                did_exec: false,
                mm: None,
                mm_pending: false,
                fds: None,
                exe: Vec::new(),
                comm: Vec::new(),
                rlimits: super::task::default_rlimits(),
                cwd: b"/".to_vec(),
                creds: Credentials::default(),
                dumpable: true,
                cpu_self: (0, 0),
                cpu_children: (0, 0),
            }),
            actions,
            child_events: WaitQueue::default(),
            thread_events: Arc::default(),
            timers: Default::default(),
            start: std::time::Instant::now(),
        })
    }

    /// Locks the state.
    pub fn lock(&self) -> MutexGuard<'_, TgState> {
        lock(&self.state)
    }

    /// The process's address space once it has its own (`None` for a
    /// zombie). A child that `fork` is still copying shows its parent's for
    /// a moment ([`TgState::mm_pending`]); this waits that out: it takes a
    /// millisecond, and an overloaded host gets `EAGAIN` after 2 s rather
    /// than a wait without end.
    pub fn own_mm(&self) -> Result<Option<Arc<MemoryManager>>, abi::Errno> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            {
                let s = self.lock();
                if !s.mm_pending {
                    return Ok(if s.zombie.is_some() {
                        None
                    } else {
                        s.mm.clone()
                    });
                }
            }
            if std::time::Instant::now() >= deadline {
                return Err(abi::Errno::EAGAIN);
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }

    /// The parent's pid (0 for init).
    pub fn ppid(&self) -> i32 {
        self.lock().parent.as_ref().map_or(0, |p| p.pid)
    }
}

/// Every task and process, by id.
#[derive(Default)]
pub struct Tasks {
    /// Live threads by tid.
    pub threads: HashMap<i32, Arc<TaskHandle>>,
    /// Processes (live and zombie) by pid.
    pub groups: HashMap<i32, Arc<ThreadGroup>>,
    next: i32,
}

/// Largest pid handed out (`/proc/sys/kernel/pid_max` default).
const PID_MAX: i32 = 4_194_304;

impl Tasks {
    /// A free id (pids and tids share one space).
    pub fn allocate_id(&mut self) -> Option<i32> {
        for _ in 0..PID_MAX {
            self.next = if self.next >= PID_MAX {
                1
            } else {
                self.next + 1
            };
            let id = self.next;
            if !self.threads.contains_key(&id) && !self.groups.contains_key(&id) {
                return Some(id);
            }
        }
        None
    }

    /// Processes in process group `pgid`, zombies included.
    pub fn group_members(&self, pgid: i32) -> Vec<Arc<ThreadGroup>> {
        self.groups
            .values()
            // A zombie stays in its group until reaped, as on Linux.
            .filter(|g| g.lock().pgid == pgid)
            .cloned()
            .collect()
    }
}
