//! A task: one guest thread, its registers, address space, FD table and
//! file-system context, and the loop that runs it.

use std::sync::Arc;
use std::time::Instant;

use abi::Errno;
use abi::signal::StackT;
use platform::{Context, Regs, Stop};

use super::Kernel;
use super::process::{TaskHandle, lock};
use super::waitqueue::WaitQueue;
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

impl ExitStatus {
    /// From a wait status.
    pub fn from_wait_status(s: i32) -> ExitStatus {
        if s & 0x7f == 0 {
            ExitStatus::Exited(((s >> 8) & 0xff) as u8)
        } else {
            ExitStatus::Signaled(s & 0x7f)
        }
    }
}

/// Supplementary groups a task can hold (Linux allows 65536; the Sentry
/// keeps them inline so credentials stay `Copy`).
pub const MAX_GROUPS: usize = 64;

/// Every capability up to `CAP_LAST_CAP` (40).
pub const CAP_FULL: u64 = (1 << 41) - 1;

/// Capability numbers the Sentry checks.
pub mod cap {
    /// `CAP_CHOWN`.
    pub const CHOWN: u32 = 0;
    /// `CAP_DAC_OVERRIDE`.
    pub const DAC_OVERRIDE: u32 = 1;
    /// `CAP_DAC_READ_SEARCH`.
    pub const DAC_READ_SEARCH: u32 = 2;
    /// `CAP_FOWNER`.
    pub const FOWNER: u32 = 3;
    /// `CAP_KILL`.
    pub const KILL: u32 = 5;
    /// `CAP_SETGID`.
    pub const SETGID: u32 = 6;
    /// `CAP_SETUID`.
    pub const SETUID: u32 = 7;
    /// `CAP_SETPCAP`.
    pub const SETPCAP: u32 = 8;
    /// `CAP_SYS_PTRACE`.
    pub const SYS_PTRACE: u32 = 19;
    /// `CAP_SYS_NICE`.
    pub const SYS_NICE: u32 = 23;
    /// `CAP_SYS_RESOURCE`.
    pub const SYS_RESOURCE: u32 = 24;
    /// Capabilities that follow the file-system uid (`CAP_FS_MASK`).
    pub const FS_MASK: u64 = 0x1f | (1 << 9) | (1 << 27) | (1 << 32);
}

/// User and group identity, capabilities, and the other per-task
/// attributes a child inherits at `clone` (the whole struct is copied).
#[derive(Clone, Copy, Debug)]
pub struct Credentials {
    /// Real, effective, saved user ids.
    pub uid: [u32; 3],
    /// Real, effective, saved group ids.
    pub gid: [u32; 3],
    /// File-system user id.
    pub fsuid: u32,
    /// File-system group id.
    pub fsgid: u32,
    /// Supplementary groups (the first `ngroups`, sorted).
    pub groups: [u32; MAX_GROUPS],
    /// How many supplementary groups.
    pub ngroups: usize,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Capability bounding set.
    pub cap_bounding: u64,
    /// `PR_SET_KEEPCAPS`: keep permitted capabilities when leaving uid 0.
    pub keepcaps: bool,
    /// `PR_SET_NO_NEW_PRIVS`.
    pub no_new_privs: bool,
    /// Nice value (-20..=19).
    pub nice: i32,
    /// `personality(2)` persona.
    pub personality: u32,
    /// Scheduling policy (`SCHED_OTHER`...) and real-time priority.
    pub sched: (i32, i32),
}

impl Default for Credentials {
    /// Root with every capability.
    fn default() -> Credentials {
        Credentials {
            uid: [0; 3],
            gid: [0; 3],
            fsuid: 0,
            fsgid: 0,
            groups: [0; MAX_GROUPS],
            ngroups: 0,
            cap_effective: CAP_FULL,
            cap_permitted: CAP_FULL,
            cap_inheritable: 0,
            cap_bounding: CAP_FULL,
            keepcaps: false,
            no_new_privs: false,
            nice: 0,
            personality: 0,
            sched: (0, 0),
        }
    }
}

impl Credentials {
    /// Whether capability `c` is in the effective set.
    pub fn has_cap(&self, c: u32) -> bool {
        c < 64 && self.cap_effective & (1u64 << c) != 0
    }

    /// Whether a task with these credentials may inspect a process with
    /// credentials `target` as `/proc/PID/mem` and the `ns` links check it
    /// (`__ptrace_may_access` with `PTRACE_MODE_FSCREDS`): its file-system
    /// ids match the target's real, effective and saved ids, and the
    /// target is `dumpable` ([`TgState::dumpable`](super::process::TgState::dumpable));
    /// `CAP_SYS_PTRACE` overrides both. The caller checks first whether
    /// the target is its own process (always allowed).
    pub fn may_ptrace(&self, target: &Credentials, dumpable: bool) -> bool {
        if self.has_cap(cap::SYS_PTRACE) {
            return true;
        }
        let same_user = target.uid.iter().all(|u| *u == self.fsuid)
            && target.gid.iter().all(|g| *g == self.fsgid);
        same_user && dumpable
    }

    /// The supplementary groups.
    pub fn groups(&self) -> &[u32] {
        &self.groups[..self.ngroups.min(MAX_GROUPS)]
    }

    /// Whether `gid` is the file-system group or a supplementary group.
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups().contains(&gid)
    }

    /// Whether these credentials may access a file with `mode` (permission
    /// bits), owner `uid` and group `gid` for `want` (`r=4`, `w=2`, `x=1`),
    /// as `generic_permission` decides.
    pub fn may_access(&self, mode: u32, uid: u32, gid: u32, is_dir: bool, want: u32) -> bool {
        let bits = if self.fsuid == uid {
            (mode >> 6) & 7
        } else if self.in_group(gid) {
            (mode >> 3) & 7
        } else {
            mode & 7
        };
        if want & !bits == 0 {
            return true;
        }
        if self.has_cap(cap::DAC_OVERRIDE) {
            // Execute needs some execute bit on non-directories.
            return want & 1 == 0 || is_dir || mode & 0o111 != 0;
        }
        if self.has_cap(cap::DAC_READ_SEARCH) {
            let w = if is_dir { want & !5 } else { want & !4 };
            return w & !bits == 0;
        }
        false
    }

    /// Applies Linux's capability rules for a change of user ids from
    /// `old` (`cap_emulate_setxuid`), and makes the fs uid follow the
    /// effective uid.
    pub fn fix_caps_after_setuid(&mut self, old: [u32; 3]) {
        let was_root = old.contains(&0);
        let now_root = self.uid.contains(&0);
        if was_root && !now_root && !self.keepcaps {
            self.cap_permitted = 0;
            self.cap_effective = 0;
        }
        if old[1] == 0 && self.uid[1] != 0 {
            self.cap_effective = 0;
        }
        if old[1] != 0 && self.uid[1] == 0 {
            self.cap_effective = self.cap_permitted;
        }
        self.fsuid = self.uid[1];
    }

    /// Capability rules for a change of the fs uid (`cap_emulate_setfsuid`).
    pub fn fix_caps_after_setfsuid(&mut self, old_fsuid: u32) {
        if old_fsuid == 0 && self.fsuid != 0 {
            self.cap_effective &= !cap::FS_MASK;
        }
        if old_fsuid != 0 && self.fsuid == 0 {
            self.cap_effective |= self.cap_permitted & cap::FS_MASK;
        }
    }
}

/// Resource limits: (soft, hard) per `RLIMIT_*` index.
pub type Rlimits = [(u64, u64); 16];

/// Tells a `vfork` parent that its child has exec'd or exited.
#[derive(Default)]
pub struct VforkDone {
    /// Set when the child released the parent.
    pub done: std::sync::Mutex<bool>,
    /// The parent waits here.
    pub queue: WaitQueue,
}

impl VforkDone {
    /// Releases the parent.
    pub fn release(&self) {
        *lock(&self.done) = true;
        self.queue.notify_all();
    }
}

/// One guest thread.
pub struct Task {
    /// The shared kernel.
    pub kernel: Arc<Kernel>,
    /// What other tasks see of this one.
    pub handle: Arc<TaskHandle>,
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
    /// The context shared with `CLONE_FS` tasks, if any.
    pub fs_share: Option<super::lifecycle::FsLink>,
    /// Thread id.
    pub tid: i32,
    /// Process id.
    pub pid: i32,
    /// Identity.
    pub creds: Credentials,
    /// The alternate signal stack.
    pub altstack: StackT,
    /// `set_tid_address` pointer.
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    /// Path of the running executable (`/proc/self/exe`).
    pub exe: Vec<u8>,
    /// `comm` (at most 15 bytes).
    pub comm: Vec<u8>,
    /// Set when this thread is done: run no more guest code.
    pub exiting: Option<i32>,
    /// The handler replaced all registers (`execve`, `rt_sigreturn`).
    pub regs_replaced: bool,
    /// The last syscall returned a restart errno: restart it or make it
    /// `EINTR` when signals are handled.
    pub restart: Option<Errno>,
    /// The signal mask to restore after the next handler (`sigsuspend`).
    pub saved_mask: Option<u64>,
    /// A `vfork` parent waiting for this task to exec or exit.
    pub vfork: Option<Arc<VforkDone>>,
}

/// `RLIMIT_STACK`: the most the main thread's stack may grow to.
pub const RLIMIT_STACK: usize = 3;

/// Default resource limits, as a fresh Linux login sees them.
pub fn default_rlimits() -> Rlimits {
    const INF: u64 = u64::MAX;
    let mut r = [(INF, INF); 16];
    r[RLIMIT_STACK] = (8 << 20, INF);
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
    /// Runs the task until its thread exits; returns the thread's wait status.
    pub fn run(&mut self) -> i32 {
        super::set_current(self.tid, self.pid);
        lock(&self.handle.state).interrupter = Some(self.ctx.interrupter());
        loop {
            if lock(&self.handle.state).killed && self.exiting.is_none() {
                let status = self.handle.tg.lock().group_exit.unwrap_or(0);
                self.exiting = Some(status);
            }
            if self.exiting.is_none() {
                if super::ptrace::any(&self.kernel) {
                    super::ptrace::signal_stop(self);
                }
                super::signal::handle_signals(self);
            }
            if self.exiting.is_some() {
                break;
            }
            let space = self.mm.space().clone();
            super::timers::guest_enter(&self.handle);
            let stop = self.ctx.switch(&space, &mut self.regs);
            super::timers::guest_leave(&self.handle);
            match stop {
                Stop::Syscall => self.syscall(),
                Stop::Fault { addr, access, code } => {
                    super::signal::memory_fault(self, addr, access, code);
                }
                Stop::Signal(s) => {
                    if s.signo == abi::signal::SIGTRAP {
                        // A single step the tracer asked for is over.
                        self.regs.0.eflags &= !0x100;
                    }
                    let info = abi::signal::SigInfo::fault(s.signo, s.code, s.addr);
                    super::signal::force(self, info);
                }
                Stop::Interrupted => {}
                Stop::Lost => {
                    super::lifecycle::group_exit(self, super::process::wstatus::signaled(9, false));
                }
            }
        }
        let status = self.exiting.unwrap_or(0);
        if super::ptrace::any(&self.kernel) {
            super::ptrace::exit_event(self, status);
        }
        super::lifecycle::exit_thread(self, status);
        status
    }

    fn syscall(&mut self) {
        let traced = super::ptrace::any(&self.kernel) && super::ptrace::me(self).is_some();
        if traced {
            // Syscall-entry stop: the tracer sees -ENOSYS in rax and may
            // change the call (orig_rax = -1 skips it).
            self.regs.set_return(Errno::ENOSYS.as_return());
            super::ptrace::syscall_stop(self);
        }
        let nr = self.regs.syscall_nr();
        let args = self.regs.syscall_args();
        if self.kernel.syscall_patching
            && !traced
            && let Some(entry) = self.ctx.patch_entry()
        {
            self.mm.patch_syscall_site(self.regs.0.rip, nr, entry);
        }
        let old_tid = self.tid;
        let fs_before = super::lifecycle::fs_pull(self);
        let result = if traced && nr == u64::MAX {
            Err(Errno::ENOSYS)
        } else {
            crate::syscalls::dispatch(self, nr, &args)
        };
        super::lifecycle::fs_push(self, fs_before);
        if traced {
            self.trace_exit(nr, &args, &result, old_tid);
        }
        if self.regs_replaced {
            self.regs_replaced = false;
            return;
        }
        match result {
            Ok(v) => self.regs.set_return(v),
            Err(e)
                if matches!(
                    e,
                    Errno::ERESTARTSYS
                        | Errno::ERESTARTNOINTR
                        | Errno::ERESTARTNOHAND
                        | Errno::ERESTART_RESTARTBLOCK
                ) =>
            {
                self.restart = Some(e);
                self.regs.set_return(Errno::EINTR.as_return());
            }
            Err(e) => self.regs.set_return(e.as_return()),
        }
    }

    /// Events and the syscall-exit stop of a traced task.
    fn trace_exit(&mut self, nr: u64, args: &[u64; 6], result: &Result<u64, Errno>, old_tid: i32) {
        use abi::syscalls::nr as n;
        if self.exiting.is_some() {
            return;
        }
        match (nr, result) {
            (n::FORK | n::VFORK | n::CLONE | n::CLONE3, Ok(child)) => {
                let (flags, exit_signal) = match nr {
                    n::FORK => (0, 17),
                    n::VFORK => (0x4000 | 0x100, 17),
                    n::CLONE => (args[0] & !0xff, (args[0] & 0xff) as i32),
                    _ => {
                        let f: u64 = self.mm.read(crate::mm::UserPtr::new(args[0])).unwrap_or(0);
                        let sig: u64 = self
                            .mm
                            .read(crate::mm::UserPtr::new(args[0].wrapping_add(32)))
                            .unwrap_or(0);
                        (f, sig as i32)
                    }
                };
                if !self.regs_replaced {
                    self.regs.set_return(*child);
                }
                super::ptrace::fork_event(self, flags, exit_signal, *child as i32);
            }
            (n::EXECVE | n::EXECVEAT, Ok(_)) => {
                super::ptrace::exec_event(self, old_tid);
                // Then the syscall-exit stop of execve, returning 0.
                self.regs.set_return(0);
                super::ptrace::syscall_stop(self);
                return;
            }
            _ => {}
        }
        if self.regs_replaced {
            return;
        }
        // Syscall-exit stop, with the result in rax.
        let saved = self.regs;
        match result {
            Ok(v) => self.regs.set_return(*v),
            Err(e) => self.regs.set_return(e.as_return()),
        }
        super::ptrace::syscall_stop(self);
        // The tracer may have changed the result: keep its registers.
        if self.regs.0.rax != saved.0.rax || self.regs.0.rip != saved.0.rip {
            self.regs_replaced = true;
        }
    }

    /// Whether a signal or a kill should end the current wait.
    pub fn interrupted(&self) -> bool {
        let st = lock(&self.handle.state);
        if st.killed {
            return true;
        }
        let mask = st.mask;
        if st.pending.set & !mask != 0 {
            return true;
        }
        drop(st);
        self.handle.tg.lock().pending.set & !mask != 0
    }

    /// Blocks until `ready` returns a value, a signal arrives
    /// (`ERESTARTSYS`), or `deadline` passes (`ETIMEDOUT`). Every queue whose
    /// state `ready` reads must be in `queues`.
    pub fn block<T>(
        &self,
        queues: &[&WaitQueue],
        deadline: Option<Instant>,
        ready: impl FnMut() -> Option<T>,
    ) -> Result<T, Errno> {
        self.block_unless(queues, deadline, || self.interrupted(), ready)
    }

    /// Like [`Task::block`], but only a SIGKILL of the process ends the
    /// wait early (Linux's `TASK_KILLABLE`): vfork parents, execve waiting
    /// for its other threads.
    pub fn block_killable<T>(
        &self,
        queues: &[&WaitQueue],
        ready: impl FnMut() -> Option<T>,
    ) -> Result<T, Errno> {
        self.block_unless(queues, None, || self.sigkilled(), ready)
    }

    /// Whether the process is dying of SIGKILL.
    pub fn sigkilled(&self) -> bool {
        self.handle
            .tg
            .lock()
            .group_exit
            .is_some_and(|s| s & 0x7f == 9)
    }

    /// The one way a task sleeps: registered on `queues`, until `ready`
    /// returns a value, `stop` says the wait must end (`ERESTARTSYS`), or
    /// `deadline` passes (`ETIMEDOUT`). Every queue whose state `ready`
    /// reads must be in `queues`; whatever makes `stop` true must wake the
    /// task's waker (signals and kills do).
    pub fn block_unless<T>(
        &self,
        queues: &[&WaitQueue],
        deadline: Option<Instant>,
        stop: impl Fn() -> bool,
        mut ready: impl FnMut() -> Option<T>,
    ) -> Result<T, Errno> {
        let waker = &self.handle.waker;
        for q in queues {
            q.add(waker);
        }
        let mut hinted = false;
        let r = loop {
            if let Some(v) = ready() {
                break Ok(v);
            }
            if stop() {
                break Err(Errno::ERESTARTSYS);
            }
            // The stub thread need not spin for a resume that may be far off.
            if !hinted {
                self.ctx.blocking_hint();
                hinted = true;
            }
            if !waker.sleep(deadline) {
                if let Some(v) = ready() {
                    break Ok(v);
                }
                break Err(Errno::ETIMEDOUT);
            }
        };
        for q in queues {
            q.remove(waker);
        }
        r
    }

    /// Sleeps until `deadline` or a signal (`ERESTARTSYS`).
    pub fn sleep_until(&self, deadline: Instant) -> Result<(), Errno> {
        match self.block(&[], Some(deadline), || None::<()>) {
            Err(Errno::ETIMEDOUT) => Ok(()),
            Err(e) => Err(e),
            Ok(()) => Ok(()),
        }
    }

    /// The soft limit of resource `r`.
    pub fn rlimit(&self, r: usize) -> u64 {
        self.handle
            .tg
            .lock()
            .rlimits
            .get(r)
            .map_or(u64::MAX, |l| l.0)
    }

    /// Reads a path argument (at most `PATH_MAX` bytes including the NUL).
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mm.read_cstr(addr, 4095)
    }

    /// The parent process's pid.
    pub fn ppid(&self) -> i32 {
        self.handle.tg.ppid()
    }

    /// Publishes what `/proc` shows of this process.
    pub fn publish(&self) {
        let mut s = self.handle.tg.lock();
        s.mm = Some(self.mm.clone());
        s.fds = Some(self.fds.clone());
        s.exe = self.exe.clone();
        s.comm = self.comm.clone();
        s.cwd = self.fs.cwd.path_from(&self.fs.root);
        s.creds = self.creds;
    }

    /// Makes a change of this task's credentials visible to other tasks
    /// (permission checks against this process, `/proc`). A change of
    /// effective or file-system ids, or new permitted capabilities, makes
    /// the process undumpable (`commit_creds`, with the default
    /// `fs.suid_dumpable` of 0): it may hold what its old identity could
    /// see, so its new one may not inspect it.
    pub fn publish_creds(&self) {
        let mut s = self.handle.tg.lock();
        let (old, new) = (s.creds, self.creds);
        if old.uid[1] != new.uid[1]
            || old.gid[1] != new.gid[1]
            || old.fsuid != new.fsuid
            || old.fsgid != new.fsgid
            || new.cap_permitted & !old.cap_permitted != 0
        {
            s.dumpable = false;
        }
        s.creds = new;
    }

    /// The signal mask.
    pub fn sigmask(&self) -> u64 {
        lock(&self.handle.state).mask
    }

    /// Replaces the signal mask (SIGKILL and SIGSTOP stay unblocked).
    pub fn set_sigmask(&self, mask: u64) {
        lock(&self.handle.state).mask = mask & !super::process::UNBLOCKABLE;
    }
}
