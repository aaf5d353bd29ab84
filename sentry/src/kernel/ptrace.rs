//! ptrace inside the sandbox: a guest process tracing another, so that
//! `strace` and `gdb` work. The tracee stops itself (syscall entry and
//! exit, signal delivery, fork/clone/exec events) by publishing its
//! registers here and sleeping until its tracer resumes it; the tracer reads
//! and writes the published state and the tracee's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use abi::signal::SigInfo;
use platform::Regs;

use super::process::{TaskHandle, ThreadGroup, lock, sigbit};
use super::waitqueue::WaitQueue;
use super::{Kernel, Task};

/// `PTRACE_O_TRACESYSGOOD`.
pub const O_TRACESYSGOOD: u64 = 1;
/// `PTRACE_O_TRACEFORK`.
pub const O_TRACEFORK: u64 = 2;
/// `PTRACE_O_TRACEVFORK`.
pub const O_TRACEVFORK: u64 = 4;
/// `PTRACE_O_TRACECLONE`.
pub const O_TRACECLONE: u64 = 8;
/// `PTRACE_O_TRACEEXEC`.
pub const O_TRACEEXEC: u64 = 0x10;
/// `PTRACE_O_TRACEVFORKDONE`.
pub const O_TRACEVFORKDONE: u64 = 0x20;
/// `PTRACE_O_TRACEEXIT`.
pub const O_TRACEEXIT: u64 = 0x40;
/// `PTRACE_O_TRACESECCOMP`.
pub const O_TRACESECCOMP: u64 = 0x80;
/// `PTRACE_O_EXITKILL`.
pub const O_EXITKILL: u64 = 0x10_0000;
/// `PTRACE_O_SUSPEND_SECCOMP`.
pub const O_SUSPEND_SECCOMP: u64 = 0x20_0000;
/// Every option.
pub const O_MASK: u64 = 0x30_00ff;

/// `PTRACE_EVENT_FORK`.
pub const EVENT_FORK: i32 = 1;
/// `PTRACE_EVENT_VFORK`.
pub const EVENT_VFORK: i32 = 2;
/// `PTRACE_EVENT_CLONE`.
pub const EVENT_CLONE: i32 = 3;
/// `PTRACE_EVENT_EXEC`.
pub const EVENT_EXEC: i32 = 4;
/// `PTRACE_EVENT_EXIT`.
pub const EVENT_EXIT: i32 = 6;
/// `PTRACE_EVENT_STOP`.
pub const EVENT_STOP: i32 = 128;

/// How the tracer resumed the tracee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `PTRACE_CONT`.
    Cont,
    /// `PTRACE_SYSCALL`: stop at the next syscall entry or exit.
    Syscall,
    /// `PTRACE_SINGLESTEP`.
    Step,
    /// `PTRACE_DETACH`.
    Detach,
}

/// State shared between a tracee and its tracer.
pub struct TraceeState {
    /// `PTRACE_SETOPTIONS`.
    pub options: u64,
    /// Attached with `PTRACE_SEIZE`.
    pub seized: bool,
    /// The current stop's wait status, while stopped.
    pub stop: Option<i32>,
    /// Whether `wait` has reported the stop.
    pub reported: bool,
    /// The tracer's command, once given: mode and signal to deliver.
    pub resume: Option<(Mode, i32)>,
    /// The tracee's registers while stopped.
    pub regs: Regs,
    /// The signal of a signal-delivery stop.
    pub siginfo: SigInfo,
    /// `PTRACE_GETEVENTMSG`.
    pub eventmsg: u64,
    /// How the tracee last resumed.
    pub mode: Mode,
    /// Signals the tracer already saw and let through.
    pub passed: u64,
    /// `PTRACE_INTERRUPT` requested.
    pub interrupt: bool,
    /// The tracee's FP state (XSAVE layout) while stopped.
    pub fp: Vec<u8>,
    /// The tracer changed `fp`.
    pub fp_dirty: bool,
    /// The thread exited with this wait status; the tracer has not reaped it yet.
    pub exited: Option<i32>,
}

/// A traced thread.
pub struct Tracee {
    /// Its tracer's process.
    pub tracer: Weak<ThreadGroup>,
    /// The traced thread.
    pub handle: Weak<TaskHandle>,
    /// Shared state.
    pub state: Mutex<TraceeState>,
    /// The tracee waits here to be resumed.
    pub resumed: WaitQueue,
}

/// Every traced thread, by tid.
#[derive(Default)]
pub struct Tracees {
    map: Mutex<HashMap<i32, Arc<Tracee>>>,
}

impl Tracees {
    /// The tracee record of `tid`, if traced.
    pub fn get(&self, tid: i32) -> Option<Arc<Tracee>> {
        lock(&self.map).get(&tid).cloned()
    }

    /// Starts tracing `handle` by `tracer`.
    pub fn attach(
        &self,
        handle: &Arc<TaskHandle>,
        tracer: &Arc<ThreadGroup>,
        options: u64,
        seized: bool,
    ) -> Arc<Tracee> {
        let t = Arc::new(Tracee {
            tracer: Arc::downgrade(tracer),
            handle: Arc::downgrade(handle),
            state: Mutex::new(TraceeState {
                options,
                seized,
                stop: None,
                reported: false,
                resume: None,
                regs: Regs::default(),
                siginfo: zerocopy::FromZeros::new_zeroed(),
                eventmsg: 0,
                mode: Mode::Cont,
                passed: 0,
                interrupt: false,
                fp: Vec::new(),
                fp_dirty: false,
                exited: None,
            }),
            resumed: WaitQueue::default(),
        });
        lock(&self.map).insert(handle.tid, t.clone());
        t
    }

    /// Stops tracing `tid`.
    pub fn detach(&self, tid: i32) {
        lock(&self.map).remove(&tid);
    }

    /// The traced thread `tid` exited with wait status `status`: its tracer
    /// learns it from `wait` first.
    pub fn exited(&self, tid: i32, status: i32) {
        let Some(t) = self.get(tid) else {
            return;
        };
        let Some(tracer) = t.tracer.upgrade() else {
            self.detach(tid);
            return;
        };
        // A traced process that is the tracer's own child reports its exit
        // the ordinary way (its zombie), once.
        let own_child = t.handle.upgrade().is_some_and(|h| {
            h.tid == h.tg.pid
                && h.tg
                    .lock()
                    .parent
                    .as_ref()
                    .is_some_and(|p| Arc::ptr_eq(p, &tracer))
        });
        if own_child {
            self.detach(tid);
        } else {
            lock(&t.state).exited = Some(status);
        }
        tracer.child_events.notify_all();
    }

    /// Tracees of `tracer` that are stopped and not yet reported.
    pub fn stopped_of(&self, tracer: &Arc<ThreadGroup>) -> Vec<(i32, Arc<Tracee>)> {
        lock(&self.map)
            .iter()
            .filter(|(_, t)| t.tracer.upgrade().is_some_and(|g| Arc::ptr_eq(&g, tracer)))
            .filter(|(_, t)| {
                lock(&t.state).exited.is_some()
                    || t.handle
                        .upgrade()
                        .is_some_and(|h| h.tg.lock().zombie.is_none())
            })
            .map(|(tid, t)| (*tid, t.clone()))
            .collect()
    }
}

/// Stops the calling tracee with wait status `status` until its tracer
/// resumes it; returns the signal the tracer asked to deliver (0: none).
pub fn stop(task: &mut Task, tracee: &Arc<Tracee>, status: i32, info: Option<SigInfo>) -> i32 {
    let space = task.mm.space().clone();
    let fp = task.ctx.fp_state(&space).unwrap_or_default();
    {
        let mut s = lock(&tracee.state);
        s.stop = Some(status);
        s.reported = false;
        s.resume = None;
        s.regs = task.regs;
        s.fp = fp;
        s.fp_dirty = false;
        if let Some(i) = info {
            s.siginfo = i;
        }
    }
    if let Some(tracer) = tracee.tracer.upgrade() {
        tracer.child_events.notify_all();
        let info = SigInfo::sigchld(4, task.tid, task.creds.uid[0], status >> 8 & 0xff, 0, 0);
        super::signal::send_to_group(&task.kernel, &tracer, info);
    }
    // Sleep until resumed (a tracer that exits resumes its tracees); only
    // SIGKILL ends a stop early: an exit_group of this process marks its
    // threads killed too, but its exit event must still reach the tracer.
    let resume = task
        .block_unless(
            &[&tracee.resumed],
            None,
            || task.sigkilled(),
            || lock(&tracee.state).resume,
        )
        .unwrap_or((Mode::Detach, 0));
    let mut s = lock(&tracee.state);
    s.stop = None;
    s.resume = None;
    task.regs = s.regs;
    if s.fp_dirty {
        let _ = task.ctx.set_fp_state(&space, &s.fp);
    }
    s.mode = resume.0;
    if resume.0 == Mode::Step {
        task.regs.0.eflags |= 0x100;
    }
    drop(s);
    if resume.0 == Mode::Detach {
        task.kernel.tracees.detach(task.tid);
    }
    resume.1
}

/// The tracee record of the calling task, if traced.
pub fn me(task: &Task) -> Option<Arc<Tracee>> {
    task.kernel.tracees.get(task.tid)
}

/// A syscall-entry or -exit stop, when the tracer asked for them.
pub fn syscall_stop(task: &mut Task) {
    let Some(t) = me(task) else {
        return;
    };
    let (mode, good) = {
        let s = lock(&t.state);
        (s.mode, s.options & O_TRACESYSGOOD != 0)
    };
    if mode != Mode::Syscall {
        return;
    }
    let sig = 5 | if good { 0x80 } else { 0 };
    let inject = stop(task, &t, (sig << 8) | 0x7f, None);
    if inject > 0 {
        queue_passed(task, &t, inject);
    }
}

fn queue_passed(task: &Task, t: &Tracee, signo: i32) {
    lock(&t.state).passed |= sigbit(signo);
    let info = SigInfo::kill(signo, 0, task.pid, task.creds.uid[0]);
    lock(&task.handle.state).pending.push(info);
}

/// A signal-delivery stop: before a pending signal is delivered, the
/// tracer sees it and decides (suppress, deliver, or replace it).
pub fn signal_stop(task: &mut Task) {
    let Some(t) = me(task) else {
        return;
    };
    loop {
        let mask = task.sigmask();
        let passed = lock(&t.state).passed;
        // The next deliverable signal the tracer has not seen yet.
        let info = {
            let mut st = lock(&task.handle.state);
            let ready = st.pending.set & !mask & !passed & !sigbit(9);
            if ready != 0 {
                st.pending.take_signo(ready.trailing_zeros() as i32 + 1)
            } else {
                drop(st);
                let mut g = task.handle.tg.lock();
                let ready = g.pending.set & !mask & !passed & !sigbit(9);
                if ready != 0 {
                    g.pending.take_signo(ready.trailing_zeros() as i32 + 1)
                } else {
                    None
                }
            }
        };
        let interrupt = std::mem::take(&mut lock(&t.state).interrupt);
        let Some(info) = info else {
            if interrupt {
                stop(task, &t, ((5 | (EVENT_STOP << 8)) << 8) | 0x7f, None);
            }
            // Signals let through are delivered now; clear their marks.
            let mut s = lock(&t.state);
            s.passed = 0;
            return;
        };
        if lock(&task.handle.state).killed {
            return;
        }
        let signo = info.si_signo;
        let inject = stop(task, &t, (signo << 8) | 0x7f, Some(info));
        if inject > 0 && me(task).is_some() {
            let mut i = lock(&t.state).siginfo;
            if i.si_signo != inject {
                i = SigInfo::kill(inject, 0, task.pid, task.creds.uid[0]);
            }
            lock(&t.state).passed |= sigbit(inject);
            lock(&task.handle.state).pending.push(i);
        } else if inject > 0 {
            // Detached with a signal: deliver it untraced.
            lock(&task.handle.state).pending.push(SigInfo::kill(
                inject,
                0,
                task.pid,
                task.creds.uid[0],
            ));
        }
    }
}

fn clone_event(flags: u64, exit_signal: i32) -> (i32, u64) {
    if flags & 0x4000 != 0 {
        (EVENT_VFORK, O_TRACEVFORK)
    } else if exit_signal == 17 {
        (EVENT_FORK, O_TRACEFORK)
    } else {
        (EVENT_CLONE, O_TRACECLONE)
    }
}

/// Called by `clone` before the child runs: traces the child too when the
/// tracer asked for this kind of event.
pub fn attach_at_clone(task: &Task, flags: u64, exit_signal: i32, child: &Arc<TaskHandle>) {
    let Some(t) = me(task) else {
        return;
    };
    let (options, seized) = {
        let s = lock(&t.state);
        (s.options, s.seized)
    };
    let (_, want) = clone_event(flags, exit_signal);
    if options & want == 0 || flags & 0x2000_0000 != 0 {
        return;
    }
    let Some(tracer) = t.tracer.upgrade() else {
        return;
    };
    let ct = task.kernel.tracees.attach(child, &tracer, options, seized);
    // The child starts with a stop its tracer sees.
    if seized {
        lock(&ct.state).interrupt = true;
    } else {
        lock(&child.state).pending.push(SigInfo::kill(19, 0, 0, 0));
    }
}

/// After a successful fork/vfork/clone: reports the event to the tracer.
pub fn fork_event(task: &mut Task, flags: u64, exit_signal: i32, child_tid: i32) {
    let Some(t) = me(task) else {
        return;
    };
    let options = lock(&t.state).options;
    let (event, want) = clone_event(flags, exit_signal);
    if options & want == 0 {
        return;
    }
    lock(&t.state).eventmsg = child_tid as u64;
    stop(task, &t, ((5 | (event << 8)) << 8) | 0x7f, None);
}

/// After a successful execve: the exec event, or the legacy SIGTRAP.
pub fn exec_event(task: &mut Task, old_tid: i32) {
    let Some(t) = me(task) else {
        return;
    };
    let options = lock(&t.state).options;
    if options & O_TRACEEXEC != 0 {
        lock(&t.state).eventmsg = old_tid as u64;
        stop(task, &t, ((5 | (EVENT_EXEC << 8)) << 8) | 0x7f, None);
    } else if !lock(&t.state).seized {
        lock(&task.handle.state)
            .pending
            .push(SigInfo::kill(5, 0, 0, 0));
    }
}

/// `PTRACE_O_TRACEEXIT`: a stop before the thread exits, with its wait
/// status as the event message.
pub fn exit_event(task: &mut Task, status: i32) {
    let Some(t) = me(task) else {
        return;
    };
    if lock(&t.state).options & O_TRACEEXIT == 0
        || lock(&task.handle.state).killed && status & 0x7f == 9
    {
        return;
    }
    lock(&t.state).eventmsg = status as u64;
    stop(task, &t, ((5 | (EVENT_EXIT << 8)) << 8) | 0x7f, None);
}

/// The tracer process `tg` is exiting: tracees with `PTRACE_O_EXITKILL`
/// are killed, the others let go (a stopped one resumes).
pub fn tracer_exited(kernel: &Kernel, tg: &Arc<ThreadGroup>) {
    let mine: Vec<(i32, Arc<Tracee>)> = lock(&kernel.tracees.map)
        .iter()
        .filter(|(_, t)| t.tracer.upgrade().is_some_and(|g| Arc::ptr_eq(&g, tg)))
        .map(|(tid, t)| (*tid, t.clone()))
        .collect();
    for (tid, t) in mine {
        let kill = lock(&t.state).options & O_EXITKILL != 0;
        kernel.tracees.detach(tid);
        if let Some(h) = t.handle.upgrade() {
            if kill {
                super::signal::send_to_thread(kernel, &h, SigInfo::kill(9, 0, 0, 0));
            }
            lock(&t.state).resume = Some((Mode::Detach, 0));
            t.resumed.notify_all();
            h.waker.wake();
        }
    }
}

/// Whether `kernel` traces anything at all (fast path for the task loop).
pub fn any(kernel: &Kernel) -> bool {
    !lock(&kernel.tracees.map).is_empty()
}
