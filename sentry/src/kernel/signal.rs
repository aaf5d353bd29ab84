//! Signals: sending (with the discard rules of `kernel/signal.c`),
//! delivery at the task's return to guest code, default actions, job
//! control stops, and signal frames laid out as x86-64 Linux lays them
//! (`arch/x86/kernel/signal_64.c`), so `rt_sigreturn` and debuggers work.

use std::sync::Arc;

use abi::Errno;
use abi::signal::{MContext, SigAction, SigInfo, SigSet, StackT, UContext};
use zerocopy::{FromZeros, IntoBytes};

use super::lifecycle;
use super::process::{TaskHandle, ThreadGroup, UNBLOCKABLE, lock, sigbit, wstatus};
use super::{Kernel, Task};
use crate::mm::UserPtr;

/// `SIG_DFL`.
pub const SIG_DFL: u64 = 0;
/// `SIG_IGN`.
pub const SIG_IGN: u64 = 1;
const SA_NOCLDSTOP: u64 = 1;
const SA_NOCLDWAIT: u64 = 2;
const SA_SIGINFO: u64 = 4;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTART: u64 = 0x1000_0000;
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;
const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;

const SIGKILL: i32 = 9;
const SIGCHLD: i32 = 17;
const SIGCONT: i32 = 18;

/// What a signal does by default.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Default {
    /// Nothing.
    Ignore,
    /// The process ends.
    Terminate,
    /// The process ends with a core dump.
    Core,
    /// The process stops.
    Stop,
    /// The process continues.
    Continue,
}

/// The default action of `signo` (`signal(7)`).
pub fn default_action(signo: i32) -> Default {
    match signo {
        17 | 23 | 28 => Default::Ignore,
        18 => Default::Continue,
        19..=22 => Default::Stop,
        3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => Default::Core,
        _ => Default::Terminate,
    }
}

fn ignored(action: &SigAction, signo: i32) -> bool {
    action.sa_handler == SIG_IGN
        || (action.sa_handler == SIG_DFL && default_action(signo) == Default::Ignore)
}

/// Whether `tg`'s handler for `signo` is `SIG_IGN` (not merely a default
/// that ignores).
pub fn handler_is_ignore(tg: &ThreadGroup, signo: i32) -> bool {
    (1..=64).contains(&signo) && action_of(tg, signo).sa_handler == SIG_IGN
}

fn action_of(tg: &ThreadGroup, signo: i32) -> SigAction {
    lock(&tg.actions)[(signo - 1) as usize]
}

/// Side effects of generating a stop or continue signal on the process.
fn prepare_signal(kernel: &Kernel, tg: &Arc<ThreadGroup>, signo: i32) {
    if signo == SIGCONT {
        let was_stopped = {
            let mut s = tg.lock();
            s.pending
                .discard(sigbit(19) | sigbit(20) | sigbit(21) | sigbit(22));
            for t in &s.threads {
                lock(&t.state)
                    .pending
                    .discard(sigbit(19) | sigbit(20) | sigbit(21) | sigbit(22));
            }
            let was = s.stopped.take().is_some();
            if was {
                s.wait_event = Some(wstatus::CONTINUED);
            }
            was
        };
        if was_stopped {
            tg.thread_events.notify_all();
            notify_parent_stop(kernel, tg, wstatus::CONTINUED, 6);
        }
    } else if default_action(signo) == Default::Stop {
        let s = tg.lock();
        for t in &s.threads {
            lock(&t.state).pending.discard(sigbit(SIGCONT));
        }
    }
}

/// Sends a signal to one thread; false if it was dropped (ignored).
pub fn send_to_thread(kernel: &Kernel, target: &Arc<TaskHandle>, info: SigInfo) -> bool {
    let signo = info.si_signo;
    if !(1..=64).contains(&signo) {
        return false;
    }
    let tg = target.tg.clone();
    prepare_signal(kernel, &tg, signo);
    if signo == SIGKILL {
        lifecycle::kill_group(&tg, wstatus::signaled(SIGKILL, false));
        return true;
    }
    let act = action_of(&tg, signo);
    {
        let mut st = lock(&target.state);
        if ignored(&act, signo) && st.mask & sigbit(signo) == 0 {
            return false;
        }
        st.pending.push(info);
    }
    target.kick();
    true
}

/// Sends a signal to a process: queued process-wide and a thread that does
/// not block it is woken. False if it was dropped (ignored, or a zombie).
pub fn send_to_group(kernel: &Kernel, tg: &Arc<ThreadGroup>, info: SigInfo) -> bool {
    let signo = info.si_signo;
    if !(1..=64).contains(&signo) {
        return false;
    }
    if tg.lock().zombie.is_some() {
        return false;
    }
    prepare_signal(kernel, tg, signo);
    if signo == SIGKILL {
        lifecycle::kill_group(tg, wstatus::signaled(SIGKILL, false));
        return true;
    }
    let act = action_of(tg, signo);
    let threads = {
        let mut s = tg.lock();
        let all_block = s
            .threads
            .iter()
            .all(|t| lock(&t.state).mask & sigbit(signo) != 0);
        if ignored(&act, signo) && !all_block {
            return false;
        }
        s.pending.push(info);
        s.threads.clone()
    };
    // Wake one thread that can take it (or all, cheaply: they re-check).
    let target = threads
        .iter()
        .find(|t| lock(&t.state).mask & sigbit(signo) == 0)
        .or(threads.first());
    if let Some(t) = target {
        t.kick();
    }
    true
}

/// Tells the parent a child stopped or continued (`SIGCHLD`, `wait`).
fn notify_parent_stop(kernel: &Kernel, tg: &Arc<ThreadGroup>, status: i32, code: i32) {
    let Some(parent) = tg.lock().parent.clone() else {
        return;
    };
    parent.child_events.notify_all();
    let act = action_of(&parent, SIGCHLD);
    if act.sa_flags & SA_NOCLDSTOP != 0 {
        return;
    }
    let st = if code == 6 {
        SIGCONT
    } else {
        (status >> 8) & 0xff
    };
    let uid = tg.lock().creds.uid[0];
    send_to_group(
        kernel,
        &parent,
        SigInfo::sigchld(code, tg.pid, uid, st, 0, 0),
    );
}

/// Whether `parent` reaps its exiting child `tg` automatically (the child
/// exits with `SIGCHLD`, which the parent ignores or set `SA_NOCLDWAIT` for).
pub fn parent_autoreaps(tg: &ThreadGroup, parent: &ThreadGroup) -> bool {
    let exit_signal = tg.lock().exit_signal;
    let act = action_of(parent, SIGCHLD);
    exit_signal == SIGCHLD && (act.sa_handler == SIG_IGN || act.sa_flags & SA_NOCLDWAIT != 0)
}

/// Tells the parent a child exited: `SIGCHLD` (or the exit signal) and
/// waking `wait`. Returns true when the parent reaps automatically
/// (`SIGCHLD` ignored or `SA_NOCLDWAIT`).
pub fn notify_parent_exit(
    kernel: &Kernel,
    tg: &Arc<ThreadGroup>,
    parent: &Arc<ThreadGroup>,
    status: i32,
) -> bool {
    let (exit_signal, uid) = {
        let s = tg.lock();
        (s.exit_signal, s.creds.uid[0])
    };
    let act = action_of(parent, SIGCHLD);
    let autoreap = parent_autoreaps(tg, parent);
    // SA_NOCLDWAIT reaps automatically but still sends SIGCHLD; SIG_IGN
    // sends nothing (`do_notify_parent`).
    let silent = exit_signal == SIGCHLD && act.sa_handler == SIG_IGN;
    if exit_signal > 0 && !silent {
        let (code, st) = if status & 0x7f == 0 {
            (1, (status >> 8) & 0xff) // CLD_EXITED
        } else if status & 0x80 != 0 {
            (3, status & 0x7f) // CLD_DUMPED
        } else {
            (2, status & 0x7f) // CLD_KILLED
        };
        send_to_group(
            kernel,
            parent,
            SigInfo {
                si_signo: exit_signal,
                ..SigInfo::sigchld(code, tg.pid, uid, st, 0, 0)
            },
        );
    }
    parent.child_events.notify_all();
    autoreap
}

/// Delivers a synchronous signal caused by the thread itself (a fault):
/// if blocked or ignored, it is unblocked and its default action restored,
/// as Linux's `force_sig_info` does.
pub fn force(task: &mut Task, info: SigInfo) {
    let signo = info.si_signo;
    {
        let mut acts = lock(&task.handle.tg.actions);
        let a = &mut acts[(signo - 1) as usize];
        let blocked = task.sigmask() & sigbit(signo) != 0;
        if a.sa_handler == SIG_IGN || blocked {
            a.sa_handler = SIG_DFL;
        }
    }
    {
        let mut st = lock(&task.handle.state);
        st.mask &= !sigbit(signo);
        st.pending.push(info);
    }
}

/// A guest memory fault the host reported: the address space resolves
/// what it can (copy-on-write, pages of shared objects, a fault another
/// thread resolved first); a touch past a shared object's end is a
/// `SIGBUS` (`BUS_ADRERR`), anything else a `SIGSEGV` whose code says
/// whether a mapping covers the address. A fault that is no page fault at
/// all (a general-protection fault, `SI_KERNEL`) is passed on as it is.
pub fn memory_fault(task: &mut Task, addr: u64, access: platform::Access, code: i32) {
    use crate::mm::FaultOutcome;
    use platform::Access;
    const SEGV_MAPERR: i32 = 1;
    const SEGV_ACCERR: i32 = 2;
    const BUS_ADRERR: i32 = 2;
    if code != SEGV_MAPERR && code != SEGV_ACCERR {
        force(task, SigInfo::fault(11, code, addr));
        return;
    }
    // A fault at the instruction pointer (or inside the instruction, where
    // it crosses into the next page) is an instruction fetch.
    let access = match access {
        Access::Unknown if addr.wrapping_sub(task.regs.0.rip) < 16 => Access::Execute,
        a => a,
    };
    let outcome = task.mm.fault(addr, access, code == SEGV_MAPERR);
    if outcome != FaultOutcome::Resolved {
        tracing::debug!(tid = task.tid, addr, ?access, code, ?outcome, "guest fault");
    }
    let info = match outcome {
        FaultOutcome::Resolved => return,
        FaultOutcome::Denied => SigInfo::fault(11, SEGV_ACCERR, addr),
        FaultOutcome::Unmapped => SigInfo::fault(11, SEGV_MAPERR, addr),
        FaultOutcome::PastEnd => SigInfo::fault(7, BUS_ADRERR, addr),
    };
    force(task, info);
}

fn dequeue(task: &Task) -> Option<SigInfo> {
    loop {
        let mut info = dequeue_raw(task)?;
        if super::timers::deliverable(&task.handle.tg, &mut info) {
            return Some(info);
        }
    }
}

fn dequeue_raw(task: &Task) -> Option<SigInfo> {
    let mask = task.sigmask();
    // Synchronous faults first: SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE.
    let sync = sigbit(11) | sigbit(7) | sigbit(4) | sigbit(5) | sigbit(8);
    let mut st = lock(&task.handle.state);
    if st.pending.set & sync & !mask != 0 {
        return st.pending.take(!(sync & !mask));
    }
    if let Some(i) = st.pending.take(mask) {
        return Some(i);
    }
    drop(st);
    task.handle.tg.lock().pending.take(mask)
}

/// Delivers pending signals before the task returns to guest code, and
/// settles an interrupted system call (restart or `EINTR`).
pub fn handle_signals(task: &mut Task) {
    let mut handler_ran = false;
    loop {
        // Job control: a stopped process waits here for SIGCONT or SIGKILL.
        if task.handle.tg.lock().stopped.is_some() {
            let tg = task.handle.tg.clone();
            let _ = task.block(&[&tg.thread_events], None, || {
                tg.lock().stopped.is_none().then_some(())
            });
            if lock(&task.handle.state).killed {
                return;
            }
            continue;
        }
        let Some(info) = dequeue(task) else {
            break;
        };
        let signo = info.si_signo;
        let act = action_of(&task.handle.tg, signo);
        if act.sa_handler == SIG_IGN {
            continue;
        }
        if act.sa_handler == SIG_DFL {
            match default_action(signo) {
                Default::Ignore | Default::Continue => continue,
                Default::Stop => {
                    stop_group(task, signo);
                    continue;
                }
                Default::Terminate => {
                    lifecycle::group_exit(task, wstatus::signaled(signo, false));
                    return;
                }
                Default::Core => {
                    let core = task.rlimit(4) > 0;
                    lifecycle::group_exit(task, wstatus::signaled(signo, core));
                    return;
                }
            }
        }
        // A handler: settle the interrupted syscall first.
        if let Some(e) = task.restart.take() {
            let restart = match e {
                Errno::ERESTARTSYS => act.sa_flags & SA_RESTART != 0,
                Errno::ERESTARTNOINTR => true,
                _ => false,
            };
            if restart {
                task.regs.0.rip = task.regs.0.rip.wrapping_sub(2);
                task.regs.0.rax = task.regs.0.orig_rax;
            } else {
                task.regs.set_return(Errno::EINTR.as_return());
            }
        }
        if setup_frame(task, &info, &act).is_err() {
            // The frame could not be written: the process dies of SIGSEGV.
            lifecycle::group_exit(task, wstatus::signaled(11, false));
            return;
        }
        handler_ran = true;
        let mut acts = lock(&task.handle.tg.actions);
        let a = &mut acts[(signo - 1) as usize];
        if act.sa_flags & SA_RESETHAND != 0 {
            a.sa_handler = SIG_DFL;
            a.sa_flags &= !SA_SIGINFO;
        }
        drop(acts);
        let old = task.saved_mask.take().unwrap_or_else(|| task.sigmask());
        // The frame holds `old`; the handler runs with the action's mask too.
        let mut m = task.sigmask() | act.sa_mask.0;
        if act.sa_flags & SA_NODEFER == 0 {
            m |= sigbit(signo);
        }
        let _ = old;
        task.set_sigmask(m);
        break;
    }
    // No handler ran: an interrupted syscall restarts transparently.
    if !handler_ran && let Some(e) = task.restart.take() {
        let _ = e;
        task.regs.0.rip = task.regs.0.rip.wrapping_sub(2);
        task.regs.0.rax = task.regs.0.orig_rax;
    }
    if !handler_ran && let Some(m) = task.saved_mask.take() {
        task.set_sigmask(m);
    }
}

/// Stops the whole process for job control and tells the parent.
fn stop_group(task: &mut Task, signo: i32) {
    let tg = task.handle.tg.clone();
    {
        let mut s = tg.lock();
        if s.stopped.is_some() {
            return;
        }
        s.stopped = Some(signo);
        s.wait_event = Some(wstatus::stopped(signo));
        for t in &s.threads {
            t.kick();
        }
    }
    notify_parent_stop(&task.kernel, &tg, wstatus::stopped(signo), 5);
}

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;

fn on_altstack(task: &Task, sp: u64) -> bool {
    let a = &task.altstack;
    a.ss_flags & SS_DISABLE == 0 && sp > a.ss_sp && sp <= a.ss_sp.wrapping_add(a.ss_size)
}

/// Builds an `rt_sigframe` on the guest stack and points the registers at
/// the handler.
fn setup_frame(task: &mut Task, info: &SigInfo, act: &SigAction) -> Result<(), Errno> {
    let space = task.mm.space().clone();
    let fp = task.ctx.fp_state(&space).map_err(|_| Errno::EFAULT)?;
    let r = task.regs.0;
    let mut sp = r.rsp;
    let was_on_stack = on_altstack(task, sp);
    if act.sa_flags & SA_ONSTACK != 0 && task.altstack.ss_flags & SS_DISABLE == 0 && !was_on_stack {
        sp = task.altstack.ss_sp.wrapping_add(task.altstack.ss_size);
    } else {
        sp = sp.wrapping_sub(128); // the red zone
    }
    // The FP state, 64-byte aligned, with the trailing magic.
    let fp_size = fp.len() as u64;
    sp = sp.wrapping_sub(fp_size + 4) & !63;
    let fp_addr = sp;
    task.mm.copy_out(fp_addr, &fp)?;
    task.mm
        .copy_out(fp_addr + fp_size, &FP_XSTATE_MAGIC2.to_le_bytes())?;
    // The frame: pretcode, ucontext, siginfo; (sp + 8) is 16-byte aligned
    // at handler entry, as after a call.
    let frame_size = 8 + std::mem::size_of::<UContext>() as u64 + 128;
    sp = ((sp.wrapping_sub(frame_size)) & !15).wrapping_sub(8);
    let frame = sp;
    let mut uc = UContext::new_zeroed();
    uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    uc.uc_stack = StackT {
        ss_sp: task.altstack.ss_sp,
        ss_flags: if was_on_stack {
            SS_ONSTACK
        } else {
            task.altstack.ss_flags & SS_DISABLE
        },
        _pad: 0,
        ss_size: task.altstack.ss_size,
    };
    let mut mc = MContext::new_zeroed();
    mc.r8 = r.r8;
    mc.r9 = r.r9;
    mc.r10 = r.r10;
    mc.r11 = r.r11;
    mc.r12 = r.r12;
    mc.r13 = r.r13;
    mc.r14 = r.r14;
    mc.r15 = r.r15;
    mc.rdi = r.rdi;
    mc.rsi = r.rsi;
    mc.rbp = r.rbp;
    mc.rbx = r.rbx;
    mc.rdx = r.rdx;
    mc.rax = r.rax;
    mc.rcx = r.rcx;
    mc.rsp = r.rsp;
    mc.rip = r.rip;
    mc.eflags = r.eflags;
    mc.cs = r.cs as u16;
    mc.ss = r.ss as u16;
    mc.trapno = if info.si_signo == 11 { 14 } else { 0 };
    mc.err = if info.si_signo == 11 { 4 | 2 } else { 0 };
    mc.cr2 = if matches!(info.si_signo, 4 | 7 | 8 | 11) {
        info.si_addr()
    } else {
        0
    };
    mc.oldmask = task.saved_mask.unwrap_or_else(|| task.sigmask());
    mc.fpstate = fp_addr;
    uc.uc_mcontext = mc;
    uc.uc_sigmask = SigSet(task.saved_mask.unwrap_or_else(|| task.sigmask()));
    let mut bytes = Vec::with_capacity(frame_size as usize);
    bytes.extend_from_slice(&act.sa_restorer.to_le_bytes());
    bytes.extend_from_slice(uc.as_bytes());
    bytes.extend_from_slice(info.as_bytes());
    task.mm.copy_out(frame, &bytes)?;
    if act.sa_flags & SA_ONSTACK != 0 && task.altstack.ss_flags & SS_AUTODISARM != 0 {
        task.altstack = StackT {
            ss_flags: SS_DISABLE,
            ..StackT::default()
        };
    }
    let regs = &mut task.regs.0;
    regs.rsp = frame;
    regs.rip = act.sa_handler;
    regs.rdi = info.si_signo as u64;
    regs.rsi = frame + 8 + std::mem::size_of::<UContext>() as u64;
    regs.rdx = frame + 8;
    regs.rax = 0;
    regs.eflags &= !(0x100 | 0x400); // TF, DF
    Ok(())
}

/// `rt_sigreturn`: restores what `setup_frame` saved.
pub fn sigreturn(task: &mut Task) -> Result<(), Errno> {
    let frame = task.regs.0.rsp.wrapping_sub(8);
    let uc: UContext = task.mm.read(UserPtr::new(frame + 8))?;
    let mc = uc.uc_mcontext;
    let r = &mut task.regs.0;
    r.r8 = mc.r8;
    r.r9 = mc.r9;
    r.r10 = mc.r10;
    r.r11 = mc.r11;
    r.r12 = mc.r12;
    r.r13 = mc.r13;
    r.r14 = mc.r14;
    r.r15 = mc.r15;
    r.rdi = mc.rdi;
    r.rsi = mc.rsi;
    r.rbp = mc.rbp;
    r.rbx = mc.rbx;
    r.rdx = mc.rdx;
    r.rax = mc.rax;
    r.rcx = mc.rcx;
    r.rsp = mc.rsp;
    r.rip = mc.rip;
    // Only the flags user code may change (FIX_EFLAGS).
    const FIX: u64 =
        0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 | 0x40000 | 0x200000;
    r.eflags = (r.eflags & !FIX) | (mc.eflags & FIX);
    r.orig_rax = u64::MAX;
    task.set_sigmask(uc.uc_sigmask.0);
    if mc.fpstate != 0 {
        let space = task.mm.space().clone();
        if let Ok(cur) = task.ctx.fp_state(&space) {
            let mut buf = vec![0u8; cur.len()];
            task.mm.copy_in(mc.fpstate, &mut buf)?;
            // Keep the XSAVE header sane: a guest-corrupted header would make
            // the host refuse the state; fall back to the current state then.
            if task.ctx.set_fp_state(&space, &buf).is_err() {
                let _ = task.ctx.set_fp_state(&space, &cur);
            }
        }
    }
    // Restore the alternate stack setting as sigaltstack would.
    let ss = uc.uc_stack;
    if ss.ss_flags & SS_DISABLE != 0 {
        task.altstack = StackT {
            ss_flags: SS_DISABLE,
            ..StackT::default()
        };
    } else if ss.ss_size >= 2048 {
        task.altstack = StackT {
            ss_sp: ss.ss_sp,
            ss_flags: ss.ss_flags & SS_AUTODISARM,
            _pad: 0,
            ss_size: ss.ss_size,
        };
    }
    task.regs_replaced = true;
    Ok(())
}

/// Signals that stop or kill regardless of the mask, for `interrupted`.
pub const FATAL: u64 = UNBLOCKABLE;

/// Runs `f` with the signal mask at guest address `mask_addr` (if not 0)
/// in force, as `ppoll`, `pselect6` and `epoll_pwait` do. When `f` was
/// interrupted, the old mask comes back only after the handler ran (it is
/// the mask saved in the signal frame), so the signal that ended the wait is
/// delivered under the temporary mask.
pub fn with_sigmask(
    task: &mut Task,
    mask_addr: u64,
    size: u64,
    f: impl FnOnce(&Task) -> Result<u64, Errno>,
) -> Result<u64, Errno> {
    if mask_addr == 0 {
        return f(task);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = task.mm.read(UserPtr::new(mask_addr))?;
    let old = task.sigmask();
    task.set_sigmask(mask);
    let r = f(task);
    let interrupted = matches!(
        r,
        Err(Errno::EINTR
            | Errno::ERESTARTSYS
            | Errno::ERESTARTNOHAND
            | Errno::ERESTART_RESTARTBLOCK)
    );
    if interrupted {
        task.saved_mask = Some(old);
    } else {
        task.set_sigmask(old);
    }
    r
}
