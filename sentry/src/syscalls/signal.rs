//! Signal bookkeeping: actions, masks, the alternate stack, and signals a
//! process sends itself.

use abi::Errno;
use abi::signal::{SigAction, StackT};

use super::SyscallResult;
use crate::kernel::{ExitStatus, Task};
use crate::mm::UserPtr;

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
const SIG_IGN: u64 = 1;
const SIG_DFL: u64 = 0;

pub(super) fn rt_sigaction(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let sig = a[0];
    if a[3] != 8 {
        return Err(Errno::EINVAL);
    }
    if sig == 0 || sig > 64 {
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
    let old = task.signals.actions[idx];
    if a[2] != 0 {
        task.mm.write(UserPtr::new(a[2]), &old)?;
    }
    if let Some(mut n) = new {
        // SIGKILL and SIGSTOP can never be blocked by a handler mask.
        n.sa_mask.0 &= !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        task.signals.actions[idx] = n;
        // Ignoring a pending signal discards it (POSIX 3.3.1.3).
        if n.sa_handler == SIG_IGN || (n.sa_handler == SIG_DFL && ignored_by_default(sig)) {
            task.signals.pending &= !(1 << idx);
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
    let old = task.signals.mask;
    if a[2] != 0 {
        task.mm.write(UserPtr::<u64>::new(a[2]), &old)?;
    }
    if let Some(set) = new {
        let set = set & !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        task.signals.mask = match how {
            0 => old | set,
            1 => old & !set,
            _ => set,
        };
        // Deliver pending signals that are now unblocked.
        let ready = task.signals.pending & !task.signals.mask;
        if ready != 0 {
            task.signals.pending &= !ready;
            for sig in 1..=64u64 {
                if ready & (1 << (sig - 1)) != 0 {
                    self_signal(task, sig)?;
                    if task.exit.is_some() {
                        break;
                    }
                }
            }
        }
    }
    Ok(0)
}

pub(super) fn rt_sigpending(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[1] > 8 {
        return Err(Errno::EINVAL);
    }
    let pending = task.signals.pending & task.signals.mask;
    task.mm.write(UserPtr::<u64>::new(a[0]), &pending)?;
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
    let cur = task.signals.altstack;
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
            task.signals.altstack = StackT {
                ss_flags: SS_DISABLE,
                ..StackT::default()
            };
        } else {
            if n.ss_size < 2048 {
                return Err(Errno::ENOMEM);
            }
            task.signals.altstack = StackT {
                ss_flags: n.ss_flags & SS_AUTODISARM,
                ..n
            };
        }
    }
    Ok(0)
}

/// SIGCHLD, SIGCONT, SIGURG and SIGWINCH are ignored by default.
fn ignored_by_default(sig: u64) -> bool {
    matches!(sig, 17 | 18 | 23 | 28)
}

/// A signal sent to the (only) process: ignored, or the default action.
fn self_signal(task: &mut Task, sig: u64) -> SyscallResult {
    if sig == 0 {
        return Ok(0);
    }
    if sig > 64 {
        return Err(Errno::EINVAL);
    }
    let act = task.signals.actions[(sig - 1) as usize];
    let blocked = task.signals.mask & (1 << (sig - 1)) != 0 && sig != SIGKILL && sig != SIGSTOP;
    if blocked {
        // Blocked signals are never ignored: they stay pending.
        task.signals.pending |= 1 << (sig - 1);
        return Ok(0);
    }
    if act.sa_handler == SIG_IGN || (act.sa_handler == SIG_DFL && ignored_by_default(sig)) {
        return Ok(0);
    }
    if act.sa_handler != SIG_DFL {
        // Handlers run once signal delivery exists; until then, say so.
        tracing::warn!("signal {sig} has a handler; delivery to handlers is not implemented");
        return Ok(0);
    }
    if sig == SIGSTOP || matches!(sig, 20..=22) {
        return Ok(0);
    }
    task.exit = Some(ExitStatus::Signaled(sig as i32));
    Ok(0)
}

pub(super) fn kill(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    if a[1] > 64 {
        return Err(Errno::EINVAL);
    }
    if pid == task.pid || pid == 0 || pid == -1 || pid == -task.pid {
        return self_signal(task, a[1]);
    }
    Err(Errno::ESRCH)
}

pub(super) fn tgkill(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (tgid, tid) = (a[0] as i32, a[1] as i32);
    if tgid <= 0 || tid <= 0 || a[2] > 64 {
        return Err(Errno::EINVAL);
    }
    if tgid != task.pid || tid != task.tid {
        return Err(Errno::ESRCH);
    }
    self_signal(task, a[2])
}

pub(super) fn tkill(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let tid = a[0] as i32;
    if tid <= 0 || a[1] > 64 {
        return Err(Errno::EINVAL);
    }
    if tid != task.tid {
        return Err(Errno::ESRCH);
    }
    self_signal(task, a[1])
}
