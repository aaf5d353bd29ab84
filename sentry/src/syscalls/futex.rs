//! `futex(2)`, `futex_waitv(2)`, and the futex-adjacent `set_tid_address`,
//! robust lists.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use abi::Errno;

use super::SyscallResult;
use crate::kernel::Task;
use crate::kernel::futex::FutexKey;
use crate::mm::UserPtr;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_LOCK_PI: u64 = 6;
const FUTEX_UNLOCK_PI: u64 = 7;
const FUTEX_TRYLOCK_PI: u64 = 8;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_WAIT_REQUEUE_PI: u64 = 11;
const FUTEX_LOCK_PI2: u64 = 13;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

fn key(task: &Task, addr: u64, private: bool) -> Result<FutexKey, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if !private && let Some(off) = task.mm.shared_offset(addr) {
        return Ok(FutexKey::Shared(off));
    }
    Ok(FutexKey::Private(task.mm.id(), addr))
}

fn read_word(task: &Task, addr: u64) -> Result<u32, Errno> {
    task.mm.read(UserPtr::<u32>::new(addr))
}

/// A deadline from a timeout argument: relative for `FUTEX_WAIT`, absolute
/// (monotonic or realtime) for the bitset and PI operations.
fn deadline(
    task: &Task,
    addr: u64,
    absolute: bool,
    realtime: bool,
) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: [i64; 2] = task.mm.read(UserPtr::new(addr))?;
    if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
        return Err(Errno::EINVAL);
    }
    let d = Duration::new(ts[0] as u64, ts[1] as u32);
    if !absolute {
        return Ok(Some(Instant::now() + d));
    }
    let now = if realtime {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    } else {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        crate::kernel::host_clock_gettime(libc::CLOCK_MONOTONIC, &mut t);
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    };
    Ok(Some(Instant::now() + d.saturating_sub(now)))
}

/// Waits on `k` while the word at `addr` holds `val`.
fn wait(
    task: &Task,
    addr: u64,
    k: FutexKey,
    val: u32,
    bitset: u32,
    until: Option<Instant>,
) -> SyscallResult {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let futexes = &task.kernel.futexes;
    let woken = futexes.enqueue(k, task.handle.waker.clone(), bitset, task.tid);
    // Check the value after queueing, so a wake between the two is not lost.
    match read_word(task, addr) {
        Ok(v) if v == val => {}
        Ok(_) => {
            futexes.dequeue(k, &woken);
            return Err(Errno::EAGAIN);
        }
        Err(e) => {
            futexes.dequeue(k, &woken);
            return Err(e);
        }
    }
    let r = task.block(&[], until, || futexes.was_woken(&woken).then_some(()));
    futexes.dequeue(k, &woken);
    match r {
        Ok(()) => Ok(0),
        Err(Errno::ETIMEDOUT) => Err(Errno::ETIMEDOUT),
        Err(_) => {
            if futexes.was_woken(&woken) {
                Ok(0)
            } else {
                Err(Errno::ERESTARTSYS)
            }
        }
    }
}

fn wake_op(task: &Task, a: &[u64; 6], private: bool) -> SyscallResult {
    let (uaddr, n1, n2, uaddr2, op) = (a[0], a[2] as i32, a[3] as i32, a[4], a[5] as u32);
    let k1 = key(task, uaddr, private)?;
    let k2 = key(task, uaddr2, private)?;
    let optype = (op >> 28) & 7;
    let shift_arg = (op >> 28) & 8 != 0;
    let cmp = (op >> 24) & 15;
    let mut oparg = (op >> 12) & 0xfff;
    let cmparg = op & 0xfff;
    if shift_arg {
        if oparg > 31 {
            return Err(Errno::EINVAL);
        }
        oparg = 1 << oparg;
    }
    let old = read_word(task, uaddr2)?;
    let new = match optype {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    task.mm.write(UserPtr::<u32>::new(uaddr2), &new)?;
    let (o, c) = (old as i32, cmparg as i32);
    let hit = match cmp {
        0 => o == c,
        1 => o != c,
        2 => o < c,
        3 => o <= c,
        4 => o > c,
        5 => o >= c,
        _ => return Err(Errno::ENOSYS),
    };
    let futexes = &task.kernel.futexes;
    let mut n = futexes.wake(k1, n1.max(0) as usize, u32::MAX);
    if hit {
        n += futexes.wake(k2, n2.max(0) as usize, u32::MAX);
    }
    Ok(n as u64)
}

/// Atomically replaces the futex word at `addr` with `new` if it holds
/// `old`; returns the value found.
fn cmpxchg(task: &Task, addr: u64, old: u32, new: u32) -> Result<u32, Errno> {
    task.mm.compare_exchange_u32(addr, old, new)
}

/// PI lock: take the lock word (tid) or wait for its owner to hand it over
/// (`FUTEX_UNLOCK_PI`). Like Linux, a free word is taken keeping its
/// `FUTEX_OWNER_DIED` bit (user space reports `EOWNERDEAD`), and a word
/// naming a thread that does not exist fails with `ESRCH`.
fn lock_pi(
    task: &Task,
    addr: u64,
    private: bool,
    until: Option<Instant>,
    try_only: bool,
) -> SyscallResult {
    let k = key(task, addr, private)?;
    let me = task.tid as u32;
    let futexes = &task.kernel.futexes;
    loop {
        let v = read_word(task, addr)?;
        let owner = v & FUTEX_TID_MASK;
        if owner == me {
            return Err(Errno::EDEADLK);
        }
        if owner == 0 {
            let mut new = me | (v & FUTEX_OWNER_DIED);
            if futexes.has_waiters(k) {
                new |= FUTEX_WAITERS;
            }
            if cmpxchg(task, addr, v, new)? == v {
                return Ok(0);
            }
            continue;
        }
        let owner_alive = crate::kernel::process::lock(&task.kernel.tasks)
            .threads
            .contains_key(&(owner as i32));
        if !owner_alive {
            // The owner may have released the word as it went.
            if read_word(task, addr)? != v {
                continue;
            }
            return Err(Errno::ESRCH);
        }
        if try_only {
            return Err(Errno::EAGAIN);
        }
        let expect = v | FUTEX_WAITERS;
        if v != expect && cmpxchg(task, addr, v, expect)? != v {
            continue;
        }
        let r = wait(task, addr, k, expect, u32::MAX, until);
        // The lock may have been handed over even if the wait then timed
        // out or was interrupted: it is ours.
        if read_word(task, addr)? & FUTEX_TID_MASK == me {
            return Ok(0);
        }
        match r {
            Ok(_) | Err(Errno::EAGAIN) => continue,
            Err(Errno::ERESTARTSYS) => return Err(Errno::ERESTARTNOINTR),
            Err(e) => return Err(e),
        }
    }
}

/// PI unlock: hand the lock to the first waiter (its tid with
/// `FUTEX_WAITERS`, as Linux's `wake_futex_pi`), or free the word.
fn unlock_pi(task: &Task, addr: u64, private: bool) -> SyscallResult {
    let k = key(task, addr, private)?;
    let me = task.tid as u32;
    let v = read_word(task, addr)?;
    if v & FUTEX_TID_MASK != me {
        return Err(Errno::EPERM);
    }
    task.kernel.futexes.handover(k, |tid, _more| {
        let new = if tid == 0 {
            0
        } else {
            tid as u32 | FUTEX_WAITERS
        };
        let mut cur = v;
        loop {
            let seen = cmpxchg(task, addr, cur, new)?;
            if seen == cur {
                return Ok(());
            }
            if seen & FUTEX_TID_MASK != me {
                return Err(Errno::EPERM);
            }
            cur = seen;
        }
    })?;
    Ok(0)
}

pub(super) fn futex(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let op = a[1];
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let uaddr = a[0];
    // Linux (since 4.5) takes FUTEX_CLOCK_REALTIME only where the timeout
    // is absolute.
    if realtime
        && !matches!(
            cmd,
            FUTEX_WAIT_BITSET | FUTEX_WAIT_REQUEUE_PI | FUTEX_LOCK_PI2
        )
    {
        return Err(Errno::ENOSYS);
    }
    match cmd {
        FUTEX_WAIT => {
            let k = key(task, uaddr, private)?;
            let until = deadline(task, a[3], false, false)?;
            wait(task, uaddr, k, a[2] as u32, u32::MAX, until)
        }
        FUTEX_WAIT_BITSET => {
            let k = key(task, uaddr, private)?;
            let until = deadline(task, a[3], true, realtime)?;
            wait(task, uaddr, k, a[2] as u32, a[5] as u32, until)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let k = key(task, uaddr, private)?;
            let bitset = if cmd == FUTEX_WAKE {
                u32::MAX
            } else {
                a[5] as u32
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let n = (a[2] as i32).max(0) as usize;
            Ok(task.kernel.futexes.wake(k, n, bitset) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let k1 = key(task, uaddr, private)?;
            let k2 = key(task, a[4], private)?;
            let (n, m) = ((a[2] as i32), (a[3] as i32));
            if n < 0 || m < 0 {
                return Err(Errno::EINVAL);
            }
            if cmd == FUTEX_CMP_REQUEUE && read_word(task, uaddr)? != a[5] as u32 {
                return Err(Errno::EAGAIN);
            }
            Ok(task.kernel.futexes.requeue(k1, k2, n as usize, m as usize) as u64)
        }
        FUTEX_WAKE_OP => wake_op(task, a, private),
        FUTEX_LOCK_PI | FUTEX_LOCK_PI2 => {
            let until = deadline(task, a[3], true, cmd == FUTEX_LOCK_PI || realtime)?;
            lock_pi(task, uaddr, private, until, false)
        }
        FUTEX_TRYLOCK_PI => lock_pi(task, uaddr, private, None, true),
        FUTEX_UNLOCK_PI => unlock_pi(task, uaddr, private),
        _ => Err(Errno::ENOSYS),
    }
}

/// `futex_waitv`: waits on up to 128 futexes at once.
pub(super) fn futex_waitv(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const FUTEX2_SIZE_U32: u32 = 2;
    const FUTEX2_PRIVATE: u32 = 128;
    let (waiters, n, flags, timeout, clockid) = (a[0], a[1], a[2], a[3], a[4] as i32);
    if flags != 0 || n == 0 || n > 128 {
        return Err(Errno::EINVAL);
    }
    if timeout != 0 && clockid != libc::CLOCK_MONOTONIC && clockid != libc::CLOCK_REALTIME {
        return Err(Errno::EINVAL);
    }
    let until = deadline(task, timeout, true, clockid == libc::CLOCK_REALTIME)?;
    let mut entries = Vec::new();
    for i in 0..n {
        // struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 reserved; }
        let w: [u64; 3] = task.mm.read(UserPtr::<[u64; 3]>::new(waiters).index(i)?)?;
        let fl = w[2] as u32;
        if (w[2] >> 32) != 0
            || fl & !(FUTEX2_SIZE_U32 | FUTEX2_PRIVATE) != 0
            || fl & 3 != FUTEX2_SIZE_U32
        {
            return Err(Errno::EINVAL);
        }
        let k = key(task, w[1], fl & FUTEX2_PRIVATE != 0)?;
        entries.push((w[1], w[0] as u32, k));
    }
    let futexes = &task.kernel.futexes;
    let flags: Vec<_> = entries
        .iter()
        .map(|(_, _, k)| {
            (
                *k,
                futexes.enqueue(*k, task.handle.waker.clone(), u32::MAX, task.tid),
            )
        })
        .collect();
    let cleanup = || {
        for (k, f) in &flags {
            futexes.dequeue(*k, f);
        }
    };
    for (addr, val, _) in &entries {
        match read_word(task, *addr) {
            Ok(v) if v == *val => {}
            Ok(_) => {
                cleanup();
                return Err(Errno::EAGAIN);
            }
            Err(e) => {
                cleanup();
                return Err(e);
            }
        }
    }
    let r = task.block(&[], until, || {
        flags.iter().position(|(_, f)| futexes.was_woken(f))
    });
    cleanup();
    match r {
        Ok(i) => Ok(i as u64),
        Err(Errno::ETIMEDOUT) => Err(Errno::ETIMEDOUT),
        Err(_) => Err(Errno::ERESTARTSYS),
    }
}
