//! Signal system calls: actions, masks, the alternate stack, sending
//! (with Linux's permission rules), waiting for signals, and returning
//! from handlers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use abi::Errno;
use abi::signal::{SigAction, SigInfo, StackT};

use super::SyscallResult;
use crate::kernel::process::{TaskHandle, ThreadGroup, UNBLOCKABLE, lock, sigbit};
use crate::kernel::signal::{self, SIG_DFL, SIG_IGN, default_action};
use crate::kernel::{Task, ThreadGroup as Tg};
use crate::mm::UserPtr;

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
const SI_USER: i32 = 0;
const SI_TKILL: i32 = -6;
const SI_TIMER: i32 = -2;

pub(super) fn rt_sigaction(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let sig = a[0];
    if a[3] != 8 || sig == 0 || sig > 64 {
        return Err(Errno::EINVAL);
    }
    let idx = (sig - 1) as usize;
    let new: Option<SigAction> = if a[1] != 0 {
        Some(task.mm.read(UserPtr::new(a[1]))?)
    } else {
        None
    };
    if new.is_some() && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let tg = task.handle.tg.clone();
    let old = lock(&tg.actions)[idx];
    if a[2] != 0 {
        task.mm.write(UserPtr::new(a[2]), &old)?;
    }
    if let Some(mut n) = new {
        n.sa_mask.0 &= !UNBLOCKABLE;
        lock(&tg.actions)[idx] = n;
        // Setting an ignoring action discards pending instances (POSIX).
        let ign = n.sa_handler == SIG_IGN
            || (n.sa_handler == SIG_DFL && default_action(sig as i32) == signal::Default::Ignore);
        if ign {
            let mut s = tg.lock();
            s.pending.discard(sigbit(sig as i32));
            for t in &s.threads {
                lock(&t.state).pending.discard(sigbit(sig as i32));
            }
        }
    }
    Ok(0)
}

pub(super) fn rt_sigprocmask(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[3] != 8 {
        return Err(Errno::EINVAL);
    }
    let how = a[0];
    let new: Option<u64> = if a[1] != 0 {
        Some(task.mm.read(UserPtr::new(a[1]))?)
    } else {
        None
    };
    if new.is_some() && how > 2 {
        return Err(Errno::EINVAL);
    }
    let old = task.sigmask();
    if a[2] != 0 {
        task.mm.write(UserPtr::<u64>::new(a[2]), &old)?;
    }
    if let Some(set) = new {
        task.set_sigmask(match how {
            0 => old | set,
            1 => old & !set,
            _ => set,
        });
    }
    Ok(0)
}

fn pending_set(task: &Task) -> u64 {
    let t = lock(&task.handle.state).pending.set;
    t | task.handle.tg.lock().pending.set
}

pub(super) fn rt_sigpending(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[1] > 8 {
        return Err(Errno::EINVAL);
    }
    let set = pending_set(task) & task.sigmask();
    let bytes = set.to_le_bytes();
    task.mm.copy_out(a[0], &bytes[..a[1] as usize])?;
    Ok(0)
}

pub(super) fn sigaltstack(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const SS_ONSTACK: i32 = 1;
    const SS_DISABLE: i32 = 2;
    const SS_AUTODISARM: i32 = 1 << 31;
    let new: Option<StackT> = if a[0] != 0 {
        Some(task.mm.read(UserPtr::new(a[0]))?)
    } else {
        None
    };
    let sp = task.regs.sp();
    let cur = task.altstack;
    let on_stack = cur.ss_flags & SS_DISABLE == 0
        && sp > cur.ss_sp
        && sp <= cur.ss_sp.wrapping_add(cur.ss_size);
    if a[1] != 0 {
        let mut old = cur;
        if on_stack {
            old.ss_flags |= SS_ONSTACK;
        }
        task.mm.write(UserPtr::new(a[1]), &old)?;
    }
    if let Some(n) = new {
        if on_stack {
            return Err(Errno::EPERM);
        }
        let mode = n.ss_flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        if mode == SS_DISABLE {
            task.altstack = StackT {
                ss_flags: SS_DISABLE,
                ..StackT::default()
            };
        } else {
            if n.ss_size < 2048 {
                return Err(Errno::ENOMEM);
            }
            task.altstack = StackT {
                ss_flags: n.ss_flags & SS_AUTODISARM,
                ..n
            };
        }
    }
    Ok(0)
}

/// Whether `task` may signal process `target` (`kill(2)` permission rules;
/// SIGCONT within a session is always allowed).
fn may_signal(task: &Task, target: &Arc<ThreadGroup>, sig: i32) -> bool {
    let c = task.creds;
    if c.uid[1] == 0 {
        return true;
    }
    let t = target.lock();
    if sig == 18 && t.sid == task.handle.tg.lock().sid {
        return true;
    }
    let tc = t.creds;
    c.uid[0] == tc.uid[0] || c.uid[0] == tc.uid[2] || c.uid[1] == tc.uid[0] || c.uid[1] == tc.uid[2]
}

fn user_info(task: &Task, sig: i32, code: i32) -> SigInfo {
    SigInfo::kill(sig, code, task.pid, task.creds.uid[0])
}

/// Whether init drops `sig` sent from inside its PID namespace: SIGKILL
/// and SIGSTOP always; others when it has no handler and its main thread
/// does not block them (a blocked signal stays pending, as Linux's
/// `sig_ignored` checks the mask first).
fn init_ignores(g: &Arc<Tg>, sig: i32) -> bool {
    if sig == 9 || sig == 19 {
        return true;
    }
    if lock(&g.actions)[(sig.max(1) - 1) as usize].sa_handler != SIG_DFL {
        return false;
    }
    let s = g.lock();
    let main = s
        .threads
        .iter()
        .find(|t| t.tid == g.pid)
        .or(s.threads.first());
    main.is_none_or(|t| lock(&t.state).mask & sigbit(sig) == 0)
}

/// Sends `info` to every process `pid` names (`kill(2)` semantics).
fn kill_target(task: &Task, pid: i32, info: SigInfo) -> SyscallResult {
    let sig = info.si_signo;
    let kernel = task.kernel.clone();
    let targets: Vec<Arc<Tg>> = {
        let tasks = lock(&kernel.tasks);
        if pid > 0 {
            tasks.groups.get(&pid).cloned().into_iter().collect()
        } else if pid == -1 {
            // Every process but init and the caller.
            tasks
                .groups
                .values()
                .filter(|g| g.pid != 1 && g.pid != task.pid)
                .cloned()
                .collect()
        } else {
            let pgid = if pid == 0 {
                task.handle.tg.lock().pgid
            } else {
                pid.checked_neg().ok_or(Errno::ESRCH)?
            };
            tasks.group_members(pgid)
        }
    };
    let targets: Vec<Arc<Tg>> = targets
        .into_iter()
        .filter(|g| g.lock().zombie.is_none() || pid > 0)
        .collect();
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let mut sent = false;
    let mut denied = false;
    for g in &targets {
        // Init ignores signals it has no handler for (it cannot be killed
        // from inside its own PID namespace), SIGKILL and SIGSTOP included.
        if g.pid == 1 && sig != 0 && init_ignores(g, sig) {
            if may_signal(task, g, sig) {
                sent = true;
            }
            continue;
        }
        if !may_signal(task, g, sig) {
            denied = true;
            continue;
        }
        sent = true;
        if sig != 0 && g.lock().zombie.is_none() {
            signal::send_to_group(&kernel, g, info);
        }
    }
    if !sent && denied {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

pub(super) fn kill(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    let sig = a[1];
    if sig > 64 {
        return Err(Errno::EINVAL);
    }
    kill_target(task, pid, user_info(task, sig as i32, SI_USER))
}

fn find_thread(task: &Task, tgid: Option<i32>, tid: i32) -> Result<Arc<TaskHandle>, Errno> {
    let t = lock(&task.kernel.tasks)
        .threads
        .get(&tid)
        .cloned()
        .ok_or(Errno::ESRCH)?;
    if let Some(g) = tgid
        && t.tg.pid != g
    {
        return Err(Errno::ESRCH);
    }
    Ok(t)
}

fn thread_kill(task: &Task, tgid: Option<i32>, tid: i32, info: SigInfo) -> SyscallResult {
    let t = find_thread(task, tgid, tid)?;
    if !may_signal(task, &t.tg, info.si_signo) {
        return Err(Errno::EPERM);
    }
    if info.si_signo == 0 {
        return Ok(0);
    }
    signal::send_to_thread(&task.kernel, &t, info);
    Ok(0)
}

pub(super) fn tgkill(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (tgid, tid, sig) = (a[0] as i32, a[1] as i32, a[2]);
    if tgid <= 0 || tid <= 0 || sig > 64 {
        return Err(Errno::EINVAL);
    }
    thread_kill(task, Some(tgid), tid, user_info(task, sig as i32, SI_TKILL))
}

pub(super) fn tkill(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (tid, sig) = (a[0] as i32, a[1]);
    if tid <= 0 || sig > 64 {
        return Err(Errno::EINVAL);
    }
    thread_kill(task, None, tid, user_info(task, sig as i32, SI_TKILL))
}

fn read_queued_info(task: &Task, sig: u64, addr: u64) -> Result<SigInfo, Errno> {
    let mut info: SigInfo = task.mm.read(UserPtr::new(addr))?;
    // Only kernel-internal codes are refused when sending to others.
    if info.si_code >= 0 || info.si_code == SI_TKILL {
        return Err(Errno::EPERM);
    }
    info.si_signo = sig as i32;
    if info.si_code == SI_TIMER {
        // `_sys_private` ties kernel timer signals to their timer.
        info.fields[2] = 0;
    }
    Ok(info)
}

pub(super) fn rt_sigqueueinfo(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (pid, sig) = (a[0] as i32, a[1]);
    if sig > 64 || sig == 0 {
        return Err(Errno::EINVAL);
    }
    let mut info = read_queued_info(task, sig, a[2])?;
    if pid == task.pid {
        info.si_signo = sig as i32;
    }
    kill_target(task, pid, info)
}

pub(super) fn rt_tgsigqueueinfo(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (tgid, tid, sig) = (a[0] as i32, a[1] as i32, a[2]);
    if tgid <= 0 || tid <= 0 || sig > 64 || sig == 0 {
        return Err(Errno::EINVAL);
    }
    let info = read_queued_info(task, sig, a[3])?;
    thread_kill(task, Some(tgid), tid, info)
}

pub(super) fn rt_sigreturn(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    if signal::sigreturn(task).is_err() {
        crate::kernel::lifecycle::group_exit(
            task,
            crate::kernel::process::wstatus::signaled(11, false),
        );
        task.regs_replaced = true;
    }
    Ok(0)
}

pub(super) fn rt_sigsuspend(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[1] != 8 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = task.mm.read(UserPtr::new(a[0]))?;
    let old = task.sigmask();
    task.saved_mask = Some(old);
    task.set_sigmask(mask);
    let _ = task.block(&[], None, || None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub(super) fn pause(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    let _ = task.block(&[], None, || None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub(super) fn rt_sigtimedwait(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[3] != 8 {
        return Err(Errno::EINVAL);
    }
    let set: u64 = task.mm.read(UserPtr::new(a[0]))?;
    let set = set & !UNBLOCKABLE;
    let deadline = if a[2] != 0 {
        let ts: [i64; 2] = task.mm.read(UserPtr::new(a[2]))?;
        if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
            return Err(Errno::EINVAL);
        }
        Some(Instant::now() + Duration::new(ts[0] as u64, ts[1] as u32))
    } else {
        None
    };
    let take_raw = |task: &Task| -> Option<SigInfo> {
        let mut st = lock(&task.handle.state);
        let avail = st.pending.set & set;
        if avail != 0 {
            let signo = avail.trailing_zeros() as i32 + 1;
            return st.pending.take_signo(signo);
        }
        drop(st);
        let mut s = task.handle.tg.lock();
        let avail = s.pending.set & set;
        if avail != 0 {
            let signo = avail.trailing_zeros() as i32 + 1;
            return s.pending.take_signo(signo);
        }
        None
    };
    let take = |task: &Task| -> Option<SigInfo> {
        loop {
            let mut info = take_raw(task)?;
            if crate::kernel::timers::deliverable(&task.handle.tg, &mut info) {
                return Some(info);
            }
        }
    };
    // The waited-for signals are unblocked for the wait (as Linux does by
    // temporarily unblocking them), without running their handlers.
    let old = task.sigmask();
    task.set_sigmask(old & !set);
    let mut result = take(task);
    if result.is_none() {
        let r = task.block(&[], deadline, || take(task));
        task.set_sigmask(old);
        match r {
            Ok(i) => result = Some(i),
            Err(Errno::ETIMEDOUT) => return Err(Errno::EAGAIN),
            Err(_) => return Err(Errno::EINTR),
        }
    }
    task.set_sigmask(old);
    let info = result.ok_or(Errno::EAGAIN)?;
    if a[1] != 0 {
        task.mm.write(UserPtr::new(a[1]), &info)?;
    }
    Ok(info.si_signo as u64)
}
