//! Clocks, sleeps, and CPU-time accounting.

use std::sync::Arc;
use std::time::Duration;

use abi::Errno;

use super::SyscallResult;
use crate::kernel::process::lock;
use crate::kernel::timers::{self, Notify, TimerClock};
use crate::kernel::{Task, TaskHandle, ThreadGroup};
use crate::mm::UserPtr;

fn host_clock(id: i32) -> Result<[i64; 2], Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    if !crate::kernel::host_clock_gettime(id, &mut ts) {
        return Err(Errno::EINVAL);
    }
    Ok([ts.tv_sec, ts.tv_nsec])
}

/// What serves a guest clock.
enum Clock {
    /// A host clock.
    Host(i32),
    /// A thread's CPU clock.
    Thread(Arc<TaskHandle>),
    /// A process's CPU clock.
    Process(Arc<ThreadGroup>),
}

/// Maps a guest clock id to the host clock that serves it (CPU clocks are
/// the Sentry's own).
fn clock_for(task: &Task, id: u64) -> Result<Clock, Errno> {
    let id = id as i32;
    Ok(Clock::Host(match id {
        0 => libc::CLOCK_REALTIME,
        1 => libc::CLOCK_MONOTONIC,
        2 => return Ok(Clock::Process(task.handle.tg.clone())),
        3 => return Ok(Clock::Thread(task.handle.clone())),
        4 => libc::CLOCK_MONOTONIC_RAW,
        5 => libc::CLOCK_REALTIME_COARSE,
        6 => libc::CLOCK_MONOTONIC_COARSE,
        7 => libc::CLOCK_BOOTTIME,
        8 => libc::CLOCK_REALTIME,
        9 => libc::CLOCK_BOOTTIME,
        11 => libc::CLOCK_TAI,
        n if n < 0 => return cpu_clock(task, n),
        _ => return Err(Errno::EINVAL),
    }))
}

/// A CPU clock id made by `clock_getcpuclockid`/`pthread_getcpuclockid`:
/// `~pid << 3 | perthread << 2 | which` (`kernel/time/posix-cpu-timers.c`).
fn cpu_clock(task: &Task, id: i32) -> Result<Clock, Errno> {
    // which: PROF, VIRT, SCHED (all the same here); 3 is invalid, and
    // perthread|3 (7) marks FD clocks, which do not exist here.
    if id & 3 == 3 {
        return Err(Errno::EINVAL);
    }
    let pid = !(id >> 3);
    let thread = id & 4 != 0;
    if pid == 0 {
        return Ok(if thread {
            Clock::Thread(task.handle.clone())
        } else {
            Clock::Process(task.handle.tg.clone())
        });
    }
    let tasks = lock(&task.kernel.tasks);
    if thread {
        // Only threads of the caller's own process.
        let t = tasks.threads.get(&pid).ok_or(Errno::EINVAL)?;
        if !Arc::ptr_eq(&t.tg, &task.handle.tg) {
            return Err(Errno::EINVAL);
        }
        return Ok(Clock::Thread(t.clone()));
    }
    let g = tasks.groups.get(&pid).ok_or(Errno::EINVAL)?;
    Ok(Clock::Process(g.clone()))
}

fn split(ns: u64) -> [i64; 2] {
    [(ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64]
}

/// The current value of a clock.
fn clock_now(c: &Clock) -> Result<[i64; 2], Errno> {
    match c {
        Clock::Host(id) => host_clock(*id),
        Clock::Thread(t) => Ok(split(timers::thread_cpu_ns(t))),
        Clock::Process(g) => Ok(split(timers::process_cpu_ns(g))),
    }
}

pub(super) fn clock_gettime(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let c = clock_for(task, a[0])?;
    let ts = clock_now(&c)?;
    task.mm.write(UserPtr::<[i64; 2]>::new(a[1]), &ts)?;
    Ok(0)
}

pub(super) fn clock_getres(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let c = clock_for(task, a[0])?;
    if a[1] != 0 {
        let res: [i64; 2] = match c {
            Clock::Host(libc::CLOCK_REALTIME_COARSE | libc::CLOCK_MONOTONIC_COARSE) => {
                [0, 4_000_000]
            }
            _ => [0, 1],
        };
        task.mm.write(UserPtr::<[i64; 2]>::new(a[1]), &res)?;
    }
    Ok(0)
}

pub(super) fn clock_settime(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    clock_for(task, a[0])?;
    let ts: [i64; 2] = task.mm.read(UserPtr::new(a[1]))?;
    match a[0] as i32 {
        // Setting the system time needs CAP_SYS_TIME on the host.
        0 if ts[0] >= 0 && (0..1_000_000_000).contains(&ts[1]) => Err(Errno::EPERM),
        // CPU clocks made by clock_getcpuclockid can never be set.
        n if n < 0 => Err(Errno::EPERM),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn gettimeofday(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let ts = host_clock(libc::CLOCK_REALTIME)?;
    if a[0] != 0 {
        task.mm
            .write(UserPtr::<[i64; 2]>::new(a[0]), &[ts[0], ts[1] / 1000])?;
    }
    if a[1] != 0 {
        task.mm.write(UserPtr::<[i32; 2]>::new(a[1]), &[0, 0])?;
    }
    Ok(0)
}

pub(super) fn time(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let ts = host_clock(libc::CLOCK_REALTIME)?;
    if a[0] != 0 {
        task.mm.write(UserPtr::<i64>::new(a[0]), &ts[0])?;
    }
    Ok(ts[0] as u64)
}

fn read_timespec(task: &Task, addr: u64) -> Result<Duration, Errno> {
    let ts: [i64; 2] = task.mm.read(UserPtr::new(addr))?;
    if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(ts[0] as u64, ts[1] as u32))
}

/// Sleeps for `d`; on a signal, stores the time left at `rem` (if given).
fn sleep_for(task: &Task, d: Duration, rem: u64) -> SyscallResult {
    let deadline = std::time::Instant::now() + d;
    match task.sleep_until(deadline) {
        Ok(()) => Ok(0),
        Err(_) => {
            if rem != 0 {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                task.mm.write(
                    UserPtr::<[i64; 2]>::new(rem),
                    &[left.as_secs() as i64, i64::from(left.subsec_nanos())],
                )?;
            }
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
    }
}

pub(super) fn nanosleep(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = read_timespec(task, a[0])?;
    sleep_for(task, d, a[1])
}

fn timeval(task: &Task, addr: u64) -> Result<(Duration, Duration), Errno> {
    let v: [i64; 4] = task.mm.read(UserPtr::new(addr))?;
    let ok = |s: i64, us: i64| s >= 0 && (0..1_000_000).contains(&us);
    if !ok(v[0], v[1]) || !ok(v[2], v[3]) {
        return Err(Errno::EINVAL);
    }
    Ok((
        Duration::new(v[0] as u64, (v[1] * 1000) as u32),
        Duration::new(v[2] as u64, (v[3] * 1000) as u32),
    ))
}

fn to_timeval(d: Duration) -> [i64; 2] {
    // A running timer never reads as zero (Linux rounds up to 1 µs).
    let us = d.subsec_micros();
    let us = if d.as_secs() == 0 && us == 0 && !d.is_zero() {
        1
    } else {
        us
    };
    [d.as_secs() as i64, i64::from(us)]
}

const SIGALRM: i32 = 14;

fn timer_of(
    task: &Task,
    which: u64,
) -> Result<(std::sync::Arc<crate::kernel::timers::IntervalTimer>, i32), Errno> {
    let t = &task.handle.tg.timers;
    match which {
        0 => Ok((t.real.clone(), SIGALRM)),
        1 => Ok((t.virt.clone(), 26)),
        2 => Ok((t.prof.clone(), 27)),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn setitimer(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (timer, sig) = timer_of(task, a[0])?;
    let (interval, value) = if a[1] == 0 {
        (Duration::ZERO, Duration::ZERO)
    } else {
        timeval(task, a[1])?
    };
    let clock = if sig == SIGALRM {
        TimerClock::Wall
    } else {
        TimerClock::Process(Arc::downgrade(&task.handle.tg))
    };
    let (left, iv) = timer.set(&task.kernel, &task.handle.tg, sig, clock, value, interval);
    if a[2] != 0 {
        let i = to_timeval(iv);
        let l = to_timeval(left);
        task.mm
            .write(UserPtr::<[i64; 4]>::new(a[2]), &[i[0], i[1], l[0], l[1]])?;
    }
    Ok(0)
}

pub(super) fn alarm(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let secs = a[0] as u32;
    let timer = task.handle.tg.timers.real.clone();
    let (left, _) = timer.set(
        &task.kernel,
        &task.handle.tg,
        SIGALRM,
        TimerClock::Wall,
        Duration::from_secs(u64::from(secs)),
        Duration::ZERO,
    );
    // Remaining seconds, rounded to nearest, at least 1 if any time was left.
    let mut r = left.as_secs() + u64::from(left.subsec_nanos() >= 500_000_000);
    if r == 0 && !left.is_zero() {
        r = 1;
    }
    Ok(r)
}

pub(super) fn clock_nanosleep(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const TIMER_ABSTIME: u64 = 1;
    let c = clock_for(task, a[0])?;
    if let Clock::Thread(_) = c {
        // Sleeping on a thread CPU clock is refused.
        return Err(Errno::EINVAL);
    }
    if a[1] & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let d = read_timespec(task, a[2])?;
    if a[1] & TIMER_ABSTIME != 0 {
        let now = clock_now(&c)?;
        let now = Duration::new(now[0] as u64, now[1] as u32);
        // Absolute sleeps restart with the same deadline: no remaining time.
        return match sleep_for(task, d.saturating_sub(now), 0) {
            Err(_) => Err(Errno::ERESTARTNOHAND),
            r => r,
        };
    }
    sleep_for(task, d, a[3])
}

pub(super) fn getitimer(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (timer, _) = timer_of(task, a[0])?;
    let (left, iv) = timer.get();
    let i = to_timeval(iv);
    let l = to_timeval(left);
    task.mm
        .write(UserPtr::<[i64; 4]>::new(a[1]), &[i[0], i[1], l[0], l[1]])?;
    Ok(0)
}

fn timeval_of(ns: u64) -> [i64; 2] {
    [
        (ns / 1_000_000_000) as i64,
        ((ns % 1_000_000_000) / 1000) as i64,
    ]
}

pub(super) fn getrusage(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const RUSAGE_CHILDREN: i32 = -1;
    const RUSAGE_THREAD: i32 = 1;
    let who = a[0] as i32;
    let tg = task.handle.tg.clone();
    let (user, sys) = match who {
        0 => (timers::process_cpu_ns(&tg), 0),
        RUSAGE_THREAD => (timers::thread_cpu_ns(&task.handle), 0),
        RUSAGE_CHILDREN => tg.lock().cpu_children,
        _ => return Err(Errno::EINVAL),
    };
    let mut out = [0i64; 18];
    let u = timeval_of(user);
    let s = timeval_of(sys);
    out[0] = u[0];
    out[1] = u[1];
    out[2] = s[0];
    out[3] = s[1];
    if who != RUSAGE_CHILDREN {
        // ru_maxrss (KiB): the mapped size is the closest the Sentry tracks.
        let mapped: u64 = task.mm.vmas().iter().map(|v| v.end - v.start).sum();
        out[4] = (mapped / 1024) as i64;
    }
    task.mm.write(UserPtr::<[i64; 18]>::new(a[1]), &out)?;
    Ok(0)
}

pub(super) fn times(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let tg = task.handle.tg.clone();
    let user = timers::process_cpu_ns(&tg);
    let (cu, cs) = tg.lock().cpu_children;
    let ticks = |ns: u64| (ns / 10_000_000) as i64;
    if a[0] != 0 {
        task.mm.write(
            UserPtr::<[i64; 4]>::new(a[0]),
            &[ticks(user), 0, ticks(cu), ticks(cs)],
        )?;
    }
    let up = task.kernel.boot_time.elapsed();
    Ok((up.as_millis() / 10) as u64 + 100_000)
}

/// Reads an `itimerspec`: (interval, value).
fn read_itimerspec(task: &Task, addr: u64) -> Result<(Duration, Duration), Errno> {
    let v: [i64; 4] = task.mm.read(UserPtr::new(addr))?;
    let ok = |s: i64, ns: i64| s >= 0 && (0..1_000_000_000).contains(&ns);
    if !ok(v[0], v[1]) || !ok(v[2], v[3]) {
        return Err(Errno::EINVAL);
    }
    Ok((
        Duration::new(v[0] as u64, v[1] as u32),
        Duration::new(v[2] as u64, v[3] as u32),
    ))
}

fn write_itimerspec(
    task: &Task,
    addr: u64,
    (left, interval): (Duration, Duration),
) -> SyscallResult {
    let ts = |d: Duration| [d.as_secs() as i64, i64::from(d.subsec_nanos())];
    let (i, v) = (ts(interval), ts(left));
    task.mm
        .write(UserPtr::<[i64; 4]>::new(addr), &[i[0], i[1], v[0], v[1]])?;
    Ok(0)
}

fn posix_timer(task: &Task, id: u64) -> Result<Arc<timers::PosixTimer>, Errno> {
    let id = i32::try_from(id as i64).map_err(|_| Errno::EINVAL)?;
    task.handle.tg.timers.posix_timer(id).ok_or(Errno::EINVAL)
}

pub(super) fn timer_create(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const SIGEV_SIGNAL: i32 = 0;
    const SIGEV_NONE: i32 = 1;
    const SIGEV_THREAD: i32 = 2;
    const SIGEV_THREAD_ID: i32 = 4;
    let clock = a[0] as i32;
    // Clocks timers may use: not the raw and coarse ones.
    if matches!(clock, 4..=6) {
        return Err(Errno::EINVAL);
    }
    let timer_clock = match clock_for(task, a[0])? {
        Clock::Host(_) => TimerClock::Wall,
        Clock::Process(g) => TimerClock::Process(Arc::downgrade(&g)),
        Clock::Thread(t) => TimerClock::Thread(Arc::downgrade(&t)),
    };
    let (notify, value) = if a[1] == 0 {
        (Notify::Process(14), None)
    } else {
        // struct sigevent: value, signo, notify, then the union (_tid).
        let ev: [u64; 3] = task.mm.read(UserPtr::new(a[1]))?;
        let signo = ev[1] as i32;
        let how = (ev[1] >> 32) as i32;
        let tid = ev[2] as i32;
        let valid_sig = (1..=64).contains(&signo);
        let notify = match how {
            SIGEV_NONE => Notify::None,
            SIGEV_SIGNAL | SIGEV_THREAD if valid_sig => Notify::Process(signo),
            SIGEV_THREAD_ID if valid_sig => {
                let t = lock(&task.kernel.tasks)
                    .threads
                    .get(&tid)
                    .cloned()
                    .ok_or(Errno::EINVAL)?;
                if !Arc::ptr_eq(&t.tg, &task.handle.tg) {
                    return Err(Errno::EINVAL);
                }
                Notify::Thread(signo, Arc::downgrade(&t))
            }
            _ => return Err(Errno::EINVAL),
        };
        (notify, Some(ev[0]))
    };
    let timers = &task.handle.tg.timers;
    let t = timers.create_posix(clock, timer_clock, notify, value)?;
    if let Err(e) = task.mm.write(UserPtr::<i32>::new(a[2]), &t.id) {
        let _ = timers.delete_posix(t.id);
        return Err(e);
    }
    Ok(0)
}

pub(super) fn timer_settime(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const TIMER_ABSTIME: u64 = 1;
    let t = posix_timer(task, a[0])?;
    let (interval, value) = read_itimerspec(task, a[2])?;
    // The deadline on the timer's own clock: a CPU clock's reading, or
    // the Sentry's monotonic time for the wall clocks.
    let value_ns = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
    let deadline = if value.is_zero() {
        None
    } else if a[1] & TIMER_ABSTIME != 0 {
        match &t.timer_clock {
            TimerClock::Wall => {
                let c = clock_for(task, t.clock as u64)?;
                let now = clock_now(&c)?;
                let now = Duration::new(now[0] as u64, now[1] as u32);
                let left = u64::try_from(value.saturating_sub(now).as_nanos()).unwrap_or(u64::MAX);
                Some(timers::wall_ns().saturating_add(left))
            }
            _ => Some(value_ns),
        }
    } else {
        t.timer_clock.now().map(|now| now.saturating_add(value_ns))
    };
    let interval = if deadline.is_some() {
        interval
    } else {
        Duration::ZERO
    };
    let old = t.set(&task.kernel, &task.handle.tg, deadline, interval);
    if a[3] != 0 {
        write_itimerspec(task, a[3], old)?;
    }
    Ok(0)
}

pub(super) fn timer_gettime(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let t = posix_timer(task, a[0])?;
    write_itimerspec(task, a[1], t.get())
}

pub(super) fn timer_getoverrun(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let t = posix_timer(task, a[0])?;
    Ok(t.overrun() as u64)
}

pub(super) fn timer_delete(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let id = i32::try_from(a[0] as i64).map_err(|_| Errno::EINVAL)?;
    task.handle.tg.timers.delete_posix(id)?;
    Ok(0)
}
