//! Creating and ending tasks: clone (threads, processes, vfork), execve,
//! thread and process exit, reparenting, zombies and `wait`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use abi::Errno;
use abi::signal::StackT;
use platform::Regs;

use super::futex::FutexKey;
use super::process::{TaskHandle, ThreadGroup, ThreadState, lock, wstatus};
use super::signal::{self, SIG_DFL, SIG_IGN};
use super::task::VforkDone;
use super::{Kernel, Task};
use crate::mm::{MemoryManager, UserPtr};
use crate::vfs::FsContext;

/// `clone` flags.
pub mod flags {
    /// Share the address space.
    pub const VM: u64 = 0x100;
    /// Share root, cwd, umask.
    pub const FS: u64 = 0x200;
    /// Share the FD table.
    pub const FILES: u64 = 0x400;
    /// Share signal actions.
    pub const SIGHAND: u64 = 0x800;
    /// Return a pidfd.
    pub const PIDFD: u64 = 0x1000;
    /// Traced child (ignored).
    pub const PTRACE: u64 = 0x2000;
    /// Parent sleeps until the child execs or exits.
    pub const VFORK: u64 = 0x4000;
    /// Same parent as the caller.
    pub const PARENT: u64 = 0x8000;
    /// Same thread group.
    pub const THREAD: u64 = 0x10000;
    /// New mount namespace.
    pub const NEWNS: u64 = 0x20000;
    /// Share System V semaphore undo.
    pub const SYSVSEM: u64 = 0x40000;
    /// Set the TLS.
    pub const SETTLS: u64 = 0x80000;
    /// Store the tid in the parent.
    pub const PARENT_SETTID: u64 = 0x100000;
    /// Clear the tid in the child at exit.
    pub const CHILD_CLEARTID: u64 = 0x200000;
    /// Store the tid in the child.
    pub const CHILD_SETTID: u64 = 0x1000000;
    /// Namespace flags (accepted only where noted).
    pub const NAMESPACES: u64 = 0x7e02_0000 | 0x0200_0000 | 0x0000_0080;
}

/// What `clone` was asked for.
pub struct CloneArgs {
    /// Flags (without the exit signal).
    pub flags: u64,
    /// Signal to the parent at exit.
    pub exit_signal: i32,
    /// New stack pointer (0: same).
    pub stack: u64,
    /// Where to store the tid in the parent.
    pub parent_tid: u64,
    /// Where to store/clear the tid in the child.
    pub child_tid: u64,
    /// New TLS (`fs` base).
    pub tls: u64,
    /// Where to store a pidfd.
    pub pidfd: u64,
}

/// The file-system context (root, cwd, umask) of tasks created with
/// `CLONE_FS`. Each task works on its own copy (`Task::fs`): a change is
/// published here after the system call that made it, and the other tasks
/// pick it up before their next system call.
pub struct SharedFs {
    generation: AtomicU64,
    ctx: Mutex<FsContext>,
}

/// A task's tie to a [`SharedFs`]: the generation its copy reflects.
pub struct FsLink {
    shared: Arc<SharedFs>,
    seen: u64,
}

/// What identifies a file-system context's state.
pub type FsPrint = (usize, usize, u32);

fn fs_print(fs: &FsContext) -> FsPrint {
    (
        Arc::as_ptr(&fs.root) as usize,
        Arc::as_ptr(&fs.cwd) as usize,
        fs.umask,
    )
}

/// Before a system call: picks up changes other `CLONE_FS` tasks made.
pub fn fs_pull(task: &mut Task) -> Option<FsPrint> {
    let link = task.fs_share.as_mut()?;
    if link.shared.generation.load(Ordering::Acquire) != link.seen {
        let ctx = lock(&link.shared.ctx);
        task.fs = ctx.clone();
        link.seen = link.shared.generation.load(Ordering::Acquire);
    }
    Some(fs_print(&task.fs))
}

/// After a system call: publishes a change of root, cwd or umask.
pub fn fs_push(task: &mut Task, before: Option<FsPrint>) {
    let Some(before) = before else {
        return;
    };
    if fs_print(&task.fs) == before {
        return;
    }
    let Some(link) = task.fs_share.as_mut() else {
        return;
    };
    let mut ctx = lock(&link.shared.ctx);
    *ctx = task.fs.clone();
    link.seen = link.shared.generation.fetch_add(1, Ordering::AcqRel) + 1;
}

/// The `CLONE_FS` link for a child of `task` (made shared on first use).
fn fs_link_for_child(task: &mut Task) -> FsLink {
    let link = task.fs_share.get_or_insert_with(|| FsLink {
        shared: Arc::new(SharedFs {
            generation: AtomicU64::new(0),
            ctx: Mutex::new(task.fs.clone()),
        }),
        seen: 0,
    });
    FsLink {
        shared: link.shared.clone(),
        seen: link.seen,
    }
}

/// Rejects contradictory `clone` flags (`EINVAL`), before anything else is
/// looked at (Linux's `copy_process` checks).
pub fn check_clone_flags(f: u64) -> Result<(), Errno> {
    use flags::*;
    if f & NEWNS != 0 && f & FS != 0 {
        return Err(Errno::EINVAL);
    }
    if f & THREAD != 0 && f & SIGHAND == 0 {
        return Err(Errno::EINVAL);
    }
    if f & SIGHAND != 0 && f & VM == 0 {
        return Err(Errno::EINVAL);
    }
    if f & THREAD != 0 && f & PIDFD != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Creates a thread or process; returns the child's tid.
pub fn clone(task: &mut Task, a: CloneArgs) -> Result<i32, Errno> {
    use flags::*;
    let f = a.flags;
    check_clone_flags(f)?;
    let kernel = task.kernel.clone();
    // RLIMIT_NPROC counts the user's processes (root is exempt).
    if f & THREAD == 0 && task.creds.uid[0] != 0 {
        let uid = task.creds.uid[0];
        let count = lock(&kernel.tasks)
            .groups
            .values()
            .filter(|g| {
                let s = g.lock();
                s.zombie.is_none() && s.creds.uid[0] == uid
            })
            .count() as u64;
        if count >= task.rlimit(6) {
            return Err(Errno::EAGAIN);
        }
    }
    // The address space: shared, or a copy-on-write copy made now.
    let space_parent = task.mm.space().clone();
    let (mm, stub_thread) = if f & VM != 0 {
        let t = space_parent.new_thread().map_err(|_| Errno::EAGAIN)?;
        (Some(task.mm.clone()), Some(t))
    } else {
        (None, None)
    };
    let snapshot = if f & VM == 0 {
        Some(task.mm.fork_snapshot())
    } else {
        None
    };
    let fp = task.ctx.fp_state(&space_parent).ok();

    let mut tasks = lock(&kernel.tasks);
    let tid = tasks.allocate_id().ok_or(Errno::EAGAIN)?;
    let parent_tg = task.handle.tg.clone();
    let tg = if f & THREAD != 0 {
        parent_tg.clone()
    } else {
        let actions = if f & SIGHAND != 0 {
            parent_tg.actions.clone()
        } else {
            Arc::new(Mutex::new(*lock(&parent_tg.actions)))
        };
        let (pgid, sid, real_parent, rlimits, dumpable) = {
            let s = parent_tg.lock();
            let rp = if f & PARENT != 0 {
                s.parent.clone()
            } else {
                Some(parent_tg.clone())
            };
            (s.pgid, s.sid, rp, s.rlimits, s.dumpable)
        };
        let Some(real_parent) = real_parent else {
            return Err(Errno::EINVAL);
        };
        let tg = ThreadGroup::new(
            tid,
            Some(real_parent.clone()),
            actions,
            pgid,
            sid,
            a.exit_signal,
        );
        {
            // Visible from now on, but without an address space until the
            // child publishes one: `/proc/PID/mem` waits for it. The
            // address space's dumpable flag goes with its copy.
            let mut s = tg.lock();
            s.mm_pending = true;
            s.dumpable = dumpable;
            s.rlimits = rlimits;
        }
        if rlimits[0] != (u64::MAX, u64::MAX) {
            super::timers::watch_cpu_limit(&kernel, &tg);
        }
        real_parent.lock().children.push(tg.clone());
        tasks.groups.insert(tid, tg.clone());
        tg
    };
    let handle = Arc::new(TaskHandle {
        tid,
        tg: tg.clone(),
        waker: Default::default(),
        state: Mutex::new(ThreadState {
            mask: task.sigmask(),
            comm: task.handle.comm(),
            ..ThreadState::default()
        }),
    });
    tg.lock().threads.push(handle.clone());
    tasks.threads.insert(tid, handle.clone());
    drop(tasks);
    // A traced parent with fork/clone tracing: the child is traced from
    // its first instruction.
    super::ptrace::attach_at_clone(task, f, a.exit_signal, &handle);

    let mut regs = task.regs;
    regs.set_return(0);
    if a.stack != 0 {
        regs.0.rsp = a.stack;
    }
    if f & SETTLS != 0 {
        regs.set_fs_base(a.tls);
    }
    if f & PARENT_SETTID != 0 {
        let _ = task.mm.write(UserPtr::<i32>::new(a.parent_tid), &tid);
    }
    let fds = if f & FILES != 0 {
        task.fds.clone()
    } else {
        task.fds.fork()
    };
    let vfork = (f & VFORK != 0).then(|| Arc::new(VforkDone::default()));
    let ctx = kernel.platform.new_context().map_err(|_| Errno::EAGAIN)?;
    let fs_share = (f & FS != 0).then(|| fs_link_for_child(task));
    let mut child = Task {
        kernel: kernel.clone(),
        handle,
        mm: mm.clone().unwrap_or_else(|| task.mm.clone()),
        ctx,
        regs,
        fds,
        fs: task.fs.clone(),
        fs_share,
        tid,
        pid: tg.pid,
        creds: task.creds,
        altstack: if f & VM != 0 && f & VFORK == 0 {
            StackT {
                ss_flags: 2,
                ..StackT::default()
            }
        } else {
            task.altstack
        },
        clear_child_tid: if f & CHILD_CLEARTID != 0 {
            a.child_tid
        } else {
            0
        },
        robust_list: (0, 0),
        exe: task.exe.clone(),
        comm: task.handle.comm(),
        exiting: None,
        regs_replaced: false,
        restart: None,
        saved_mask: None,
        vfork: vfork.clone(),
    };
    if f & THREAD == 0 {
        child.publish();
        // A copy of the address space is still to be made; a shared one is
        // the parent's.
        child.handle.tg.lock().mm_pending = snapshot.is_some();
    }
    let child_tid_addr = a.child_tid;
    let set_child_tid = f & CHILD_SETTID != 0;
    let spawn = std::thread::Builder::new().spawn(move || {
        let space = match snapshot {
            Some(snap) => match kernel.platform.new_address_space() {
                Ok(space) => match MemoryManager::from_snapshot(space, snap) {
                    Ok(mm) => {
                        child.mm = Arc::new(mm);
                        if child.pid == child.tid {
                            let mut s = child.handle.tg.lock();
                            s.mm = Some(child.mm.clone());
                            s.mm_pending = false;
                        }
                        None
                    }
                    Err(_) => Some(()),
                },
                Err(_) => Some(()),
            },
            None => {
                let space = child.mm.space().clone();
                match stub_thread.map(|t| child.ctx.adopt(&space, t)) {
                    Some(Ok(())) => None,
                    _ => Some(()),
                }
            }
        };
        if space.is_some() {
            // The child could not get an address space: it dies.
            child.handle.tg.lock().mm_pending = false;
            child.exiting = Some(wstatus::signaled(9, false));
        } else {
            if let Some(fp) = &fp {
                let s = child.mm.space().clone();
                let _ = child.ctx.set_fp_state(&s, fp);
            }
            if set_child_tid {
                let _ = child
                    .mm
                    .write(UserPtr::<i32>::new(child_tid_addr), &child.tid);
            }
        }
        child.run();
    });
    if spawn.is_err() {
        return Err(Errno::EAGAIN);
    }
    if f & PIDFD != 0 {
        let fd = crate::fsimpl::pidfd::install(task, &tg)?;
        task.mm.write(UserPtr::<i32>::new(a.pidfd), &fd)?;
    }
    if let Some(v) = vfork {
        // The parent sleeps until the child execs or exits (signals are
        // held off, as Linux's killable wait does for all but fatal ones).
        let _ = task.block_killable(&[&v.queue], || lock(&v.done).then_some(()));
    }
    Ok(tid)
}

/// Kills every thread of `tg` with `status` (SIGKILL, exit_group, a fatal signal).
pub fn kill_group(tg: &Arc<ThreadGroup>, status: i32) {
    let threads = {
        let mut s = tg.lock();
        if s.group_exit.is_none() {
            s.group_exit = Some(status);
        }
        s.stopped = None;
        s.threads.clone()
    };
    tg.thread_events.notify_all();
    for t in threads {
        lock(&t.state).killed = true;
        t.kick();
    }
}

/// The whole process exits with wait status `status` (`exit_group`, fatal signal).
pub fn group_exit(task: &mut Task, status: i32) {
    let tg = task.handle.tg.clone();
    let status = {
        let s = tg.lock();
        s.group_exit.unwrap_or(status)
    };
    kill_group(&tg, status);
    task.exiting = Some(status);
}

/// Ends the calling thread; the last thread out makes the process a zombie.
pub fn exit_thread(task: &mut Task, status: i32) {
    let kernel = task.kernel.clone();
    // CLONE_CHILD_CLEARTID / set_tid_address: clear and wake a joiner —
    // only while other tasks still use the address space (Linux's
    // `mm_release` checks `mm_users > 1`).
    if task.clear_child_tid != 0 && mm_shared(task) {
        let addr = task.clear_child_tid;
        if task.mm.write(UserPtr::<i32>::new(addr), &0).is_ok() {
            let key = FutexKey::Private(task.mm.id(), addr);
            kernel.futexes.wake(key, 1, u32::MAX);
            if let Some(off) = task.mm.shared_offset(addr) {
                kernel.futexes.wake(FutexKey::Shared(off), 1, u32::MAX);
            }
        }
    }
    super::futex::release_robust_list(task);
    if let Some(v) = task.vfork.take() {
        v.release();
    }
    // Close this thread's files before the parent can see the exit
    // (`exit_files` precedes `exit_notify`): a pipe end the child held
    // must be closed by the time `wait` returns.
    task.fds = crate::vfs::FdTable::default();
    task.mm.space().release_thread();
    let tg = task.handle.tg.clone();
    let cpu = super::timers::thread_cpu_ns(&task.handle);
    let last = {
        let mut s = tg.lock();
        s.threads.retain(|t| !Arc::ptr_eq(t, &task.handle));
        s.cpu_self.0 += cpu;
        s.threads.is_empty()
    };
    lock(&kernel.tasks).threads.remove(&task.tid);
    let group_status = tg.lock().group_exit.unwrap_or(status);
    kernel.tracees.exited(task.tid, group_status);
    tg.thread_events.notify_all();
    if !last {
        return;
    }
    if super::ptrace::any(&kernel) {
        super::ptrace::tracer_exited(&kernel, &tg);
    }
    let status = tg.lock().group_exit.unwrap_or(status);
    exit_process(&kernel, &tg, status);
}

/// Whether a task other than `task` uses `task`'s address space.
fn mm_shared(task: &Task) -> bool {
    let tg = &task.handle.tg;
    if tg.lock().threads.len() > 1 {
        return true;
    }
    let groups: Vec<Arc<ThreadGroup>> = lock(&task.kernel.tasks).groups.values().cloned().collect();
    groups.iter().any(|g| {
        if Arc::ptr_eq(g, tg) {
            return false;
        }
        let s = g.lock();
        !s.threads.is_empty() && s.mm.as_ref().is_some_and(|m| Arc::ptr_eq(m, &task.mm))
    })
}

fn exit_process(kernel: &Arc<Kernel>, tg: &Arc<ThreadGroup>, status: i32) {
    let children = {
        let mut s = tg.lock();
        s.fds = None;
        s.mm = None;
        std::mem::take(&mut s.children)
    };
    // Reparent children to the nearest subreaper, or init.
    let reaper = find_reaper(kernel, tg);
    for c in children {
        let zombie = {
            let mut cs = c.lock();
            cs.parent = reaper.clone();
            cs.zombie.is_some()
        };
        match &reaper {
            Some(r) => {
                r.lock().children.push(c.clone());
                if zombie {
                    r.child_events.notify_all();
                }
            }
            None => {
                // No init left to adopt it: a zombie goes now, a live
                // child when it exits.
                if zombie {
                    lock(&kernel.tasks).groups.remove(&c.pid);
                }
            }
        }
        // PR_SET_PDEATHSIG of the child's threads.
        let pdeath = c.lock().threads.clone();
        for t in pdeath {
            let sig = lock(&t.state).pdeathsig;
            if sig > 0 {
                signal::send_to_thread(kernel, &t, abi::signal::SigInfo::kill(sig, 0x80, 0, 0));
            }
        }
    }
    let parent = tg.lock().parent.clone();
    // A child its parent reaps automatically goes before it is a zombie, so
    // a racing wait never reports it.
    if let Some(p) = &parent
        && signal::parent_autoreaps(tg, p)
    {
        reap(kernel, p, tg);
    }
    // The exit signal is pending before anyone can see the zombie (a
    // parent that reaps it and then blocks SIGCHLD finds none pending).
    tg.lock().exiting = true;
    if let Some(p) = &parent {
        signal::notify_parent_exit(kernel, tg, p, status);
    }
    tg.lock().zombie = Some(status);
    // Pidfd pollers and waiting parents wait for this.
    tg.thread_events.notify_all();
    match parent {
        Some(p) => {
            p.child_events.notify_all();
        }
        None if !kernel.init().is_some_and(|i| Arc::ptr_eq(&i, tg)) => {
            // An orphan nobody could adopt: reaped at once.
            lock(&kernel.tasks).groups.remove(&tg.pid);
        }
        None => {
            // Init exited: every other process in the sandbox dies.
            let all: Vec<Arc<ThreadGroup>> = lock(&kernel.tasks).groups.values().cloned().collect();
            for g in all {
                if g.pid != tg.pid {
                    kill_group(&g, wstatus::signaled(9, false));
                }
            }
            tg.child_events.notify_all();
        }
    }
}

fn find_reaper(kernel: &Kernel, tg: &Arc<ThreadGroup>) -> Option<Arc<ThreadGroup>> {
    let mut p = tg.lock().parent.clone();
    while let Some(g) = p {
        let s = g.lock();
        if s.subreaper && s.zombie.is_none() && s.group_exit.is_none() {
            drop(s);
            return Some(g);
        }
        p = s.parent.clone();
    }
    // Otherwise the init of the sandbox's pid namespace adopts them.
    kernel
        .init()
        .filter(|i| !Arc::ptr_eq(i, tg) && i.lock().zombie.is_none())
}

/// Removes zombie `child` of `parent` for good.
pub fn reap(kernel: &Kernel, parent: &Arc<ThreadGroup>, child: &Arc<ThreadGroup>) {
    let cpu = child.lock().cpu_self;
    {
        let mut ps = parent.lock();
        ps.children.retain(|c| !Arc::ptr_eq(c, child));
        ps.cpu_children.0 += cpu.0;
        ps.cpu_children.1 += cpu.1;
    }
    lock(&kernel.tasks).groups.remove(&child.pid);
}

/// Which children `wait` considers.
#[derive(Clone, Copy, Debug)]
pub enum WaitTarget {
    /// Any child.
    Any,
    /// The child with this pid.
    Pid(i32),
    /// Children in this process group.
    Pgid(i32),
}

/// What `wait` found.
pub struct WaitResult {
    /// The child's pid.
    pub pid: i32,
    /// Its wait status.
    pub status: i32,
    /// Its uid.
    pub uid: u32,
    /// Its CPU time (user, system) in ns.
    pub cpu: (u64, u64),
}

/// Options of `wait4`/`waitid`.
pub mod wopts {
    /// Return at once if nothing is ready.
    pub const WNOHANG: u32 = 1;
    /// Report stopped children.
    pub const WUNTRACED: u32 = 2;
    /// Report exited children (waitid).
    pub const WEXITED: u32 = 4;
    /// Report continued children.
    pub const WCONTINUED: u32 = 8;
    /// Leave the child waitable.
    pub const WNOWAIT: u32 = 0x0100_0000;
    /// Only "clone" children.
    pub const WCLONE: u32 = 0x8000_0000;
    /// All children.
    pub const WALL: u32 = 0x4000_0000;
    /// Only children of this thread.
    pub const WNOTHREAD: u32 = 0x2000_0000;
}

/// Waits for a child to change state.
pub fn wait(task: &Task, target: WaitTarget, options: u32) -> Result<Option<WaitResult>, Errno> {
    use wopts::*;
    let tg = task.handle.tg.clone();
    let kernel = task.kernel.clone();
    // A matching child between its exit signal and its zombie state.
    let soon = std::cell::Cell::new(false);
    let scan = || -> Result<Option<WaitResult>, Errno> {
        soon.set(false);
        // Stops of threads this process traces come first.
        let mut any = false;
        for (tid, t) in kernel.tracees.stopped_of(&tg) {
            let matches = match target {
                WaitTarget::Any => true,
                WaitTarget::Pid(p) => p == tid,
                WaitTarget::Pgid(_) => true,
            };
            if !matches {
                continue;
            }
            any = true;
            let mut s = lock(&t.state);
            if let Some(status) = s.exited
                && options & WEXITED != 0
            {
                drop(s);
                if options & WNOWAIT == 0 {
                    kernel.tracees.detach(tid);
                }
                return Ok(Some(WaitResult {
                    pid: tid,
                    status,
                    uid: 0,
                    cpu: (0, 0),
                }));
            }
            if let Some(status) = s.stop
                && !s.reported
            {
                if options & WNOWAIT == 0 {
                    s.reported = true;
                }
                return Ok(Some(WaitResult {
                    pid: tid,
                    status,
                    uid: 0,
                    cpu: (0, 0),
                }));
            }
        }
        let children = tg.lock().children.clone();
        for c in children {
            let (pid, pgid, exit_signal) = {
                let s = c.lock();
                (c.pid, s.pgid, s.exit_signal)
            };
            let matches = match target {
                WaitTarget::Any => true,
                WaitTarget::Pid(p) => p == pid,
                WaitTarget::Pgid(g) => g == pgid,
            };
            if !matches {
                continue;
            }
            let is_clone = exit_signal != 17;
            if options & WALL == 0 && (is_clone != (options & WCLONE != 0)) {
                continue;
            }
            any = true;
            let mut s = c.lock();
            if s.exiting && s.zombie.is_none() {
                soon.set(true);
            }
            if let Some(status) = s.zombie
                && options & WEXITED != 0
            {
                let r = WaitResult {
                    pid,
                    status,
                    uid: s.creds.uid[0],
                    cpu: (
                        s.cpu_self.0 + s.cpu_children.0,
                        s.cpu_self.1 + s.cpu_children.1,
                    ),
                };
                drop(s);
                if options & WNOWAIT == 0 {
                    reap(&kernel, &tg, &c);
                }
                return Ok(Some(r));
            }
            if let Some(ev) = s.wait_event {
                let report = if ev == wstatus::CONTINUED {
                    options & WCONTINUED != 0
                } else {
                    options & WUNTRACED != 0
                };
                if report {
                    if options & WNOWAIT == 0 {
                        s.wait_event = None;
                    }
                    return Ok(Some(WaitResult {
                        pid,
                        status: ev,
                        uid: s.creds.uid[0],
                        cpu: s.cpu_self,
                    }));
                }
            }
        }
        if !any {
            return Err(Errno::ECHILD);
        }
        Ok(None)
    };
    if options & WNOHANG != 0 {
        let r = scan();
        if !matches!(r, Ok(None)) || !soon.get() {
            return r;
        }
        // Its exit signal may already have run a handler that calls us: wait
        // the moment until it is a zombie, which Linux's wait never misses.
        return task
            .block(&[&tg.child_events], None, || match scan() {
                Ok(None) if soon.get() => None,
                other => Some(other),
            })
            .and_then(|r| r);
    }
    let mut err = None;
    let r = task.block(&[&tg.child_events], None, || match scan() {
        Ok(Some(r)) => Some(Some(r)),
        Ok(None) => None,
        Err(e) => {
            err = Some(e);
            Some(None)
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    r
}

/// `execve`: replaces the process image. On success the calling thread is
/// the only thread, with fresh registers.
pub fn execve(
    task: &mut Task,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envv: Vec<Vec<u8>>,
) -> Result<(), Errno> {
    let kernel = task.kernel.clone();
    // A shell's PATH search fails most of its execs here, cheaply.
    crate::loader::check_exec(&task.fs, path)?;
    // Load into a fresh address space first: a failed exec leaves the
    // process as it was.
    let space = kernel
        .platform
        .new_address_space()
        .map_err(|_| Errno::ENOMEM)?;
    let mm = Arc::new(MemoryManager::new(space, kernel.memory.clone()));
    mm.set_stack_layout(task.rlimit(super::task::RLIMIT_STACK));
    let loaded = crate::loader::load(&mm, &task.fs, path, argv, envv)?;
    // Kill the other threads and wait for them to go.
    let tg = task.handle.tg.clone();
    let others: Vec<Arc<TaskHandle>> = tg
        .lock()
        .threads
        .iter()
        .filter(|t| !Arc::ptr_eq(t, &task.handle))
        .cloned()
        .collect();
    for t in &others {
        lock(&t.state).killed = true;
        t.kick();
    }
    // Killable, not interruptible: the other threads are dying anyway.
    if task
        .block_killable(&[&tg.thread_events], || {
            (tg.lock().threads.len() <= 1).then_some(())
        })
        .is_err()
    {
        return Err(Errno::EINTR);
    }
    // Exec from a non-leader thread: it takes over the process id.
    if task.tid != tg.pid {
        let mut tasks = lock(&kernel.tasks);
        tasks.threads.remove(&task.tid);
        task.tid = tg.pid;
        let old = task.handle.clone();
        let handle = Arc::new(TaskHandle {
            tid: tg.pid,
            tg: tg.clone(),
            waker: old.waker.clone(),
            state: Mutex::new(std::mem::take(&mut *lock(&old.state))),
        });
        tasks.threads.insert(tg.pid, handle.clone());
        let mut s = tg.lock();
        s.threads.retain(|t| !Arc::ptr_eq(t, &old));
        s.threads.push(handle.clone());
        drop(s);
        task.handle = handle;
        super::set_current(task.tid, task.pid);
    }
    // Leave the old address space; run in the new one.
    task.mm.space().release_thread();
    task.mm = mm;
    task.regs = loaded.regs;
    task.regs_replaced = true;
    task.exe = loaded.exe;
    task.comm = task.handle.set_comm(&loaded.comm);
    // The exec is visible (setpgid's EACCES) before close-on-exec files
    // close: a parent that sees their EOF must also see the exec.
    {
        let mut s = tg.lock();
        s.did_exec = true;
        // A new image is dumpable again (`setup_new_exec`; no set-user-ID
        // programs run here).
        s.dumpable = true;
    }
    task.fds.close_on_exec();
    task.clear_child_tid = 0;
    task.robust_list = (0, 0);
    task.altstack = StackT {
        ss_flags: 2,
        ..StackT::default()
    };
    // Handlers reset to default; ignored signals stay ignored.
    {
        let mut acts = lock(&tg.actions);
        // A shared action table (CLONE_SIGHAND) is unshared first.
        for a in acts.iter_mut() {
            if a.sa_handler != SIG_IGN {
                a.sa_handler = SIG_DFL;
            }
            a.sa_flags = 0;
            a.sa_restorer = 0;
            a.sa_mask = abi::signal::SigSet(0);
        }
    }
    lock(&task.handle.state).interrupter = Some(task.ctx.interrupter());
    if let Some(v) = task.vfork.take() {
        v.release();
    }
    task.publish();
    Ok(())
}

/// Initial registers of a new thread with `regs` (used by tests).
pub fn child_regs(regs: &Regs) -> Regs {
    let mut r = *regs;
    r.set_return(0);
    r
}
