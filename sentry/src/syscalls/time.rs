//! Clocks, sleeps, and CPU-time accounting.

use std::time::Duration;

use abi::Errno;

use super::SyscallResult;
use crate::kernel::Task;
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

/// Maps a guest clock id to the host clock that serves it.
fn clock_for(id: u64) -> Result<i32, Errno> {
    match id as i32 {
        0 => Ok(libc::CLOCK_REALTIME),
        1 => Ok(libc::CLOCK_MONOTONIC),
        2 | 3 => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        4 => Ok(libc::CLOCK_MONOTONIC_RAW),
        5 => Ok(libc::CLOCK_REALTIME_COARSE),
        6 => Ok(libc::CLOCK_MONOTONIC_COARSE),
        7 => Ok(libc::CLOCK_BOOTTIME),
        8 => Ok(libc::CLOCK_REALTIME),
        9 => Ok(libc::CLOCK_BOOTTIME),
        11 => Ok(libc::CLOCK_TAI),
        // Process and thread CPU clocks of the (only) process: negative ids.
        n if n < 0 && (n & 7) != 7 && (n & 3) < 3 => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn clock_gettime(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let ts = host_clock(clock_for(a[0])?)?;
    task.mm.write(UserPtr::<[i64; 2]>::new(a[1]), &ts)?;
    Ok(0)
}

pub(super) fn clock_getres(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let id = clock_for(a[0])?;
    if a[1] != 0 {
        let res: [i64; 2] = match id {
            libc::CLOCK_REALTIME_COARSE | libc::CLOCK_MONOTONIC_COARSE => [0, 4_000_000],
            _ => [0, 1],
        };
        task.mm.write(UserPtr::<[i64; 2]>::new(a[1]), &res)?;
    }
    Ok(0)
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

fn timer_of(
    task: &Task,
    which: u64,
) -> Result<(std::sync::Arc<crate::kernel::timers::IntervalTimer>, i32), Errno> {
    let t = &task.handle.tg.timers;
    match which {
        0 => Ok((t.real.clone(), 14)),
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
    let (left, iv) = timer.set(&task.kernel, &task.handle.tg, sig, value, interval);
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
        14,
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
    let id = clock_for(a[0])?;
    if a[0] as i32 == 2 || a[0] as i32 == 3 || (a[0] as i32) < 0 {
        // CPU-time clocks: sleeping on one's own thread clock is EINVAL.
        if a[0] as i32 == 3 {
            return Err(Errno::EINVAL);
        }
    }
    if a[1] & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let d = read_timespec(task, a[2])?;
    if a[1] & TIMER_ABSTIME != 0 {
        let now = host_clock(id)?;
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

fn cpu_times() -> ([i64; 2], [i64; 2]) {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    crate::kernel::host_thread_rusage(&mut ru);
    // The zeroed value is a valid rusage even if the call failed.
    let ru = crate::kernel::rusage_value(ru);
    (
        [ru.ru_utime.tv_sec, ru.ru_utime.tv_usec],
        [ru.ru_stime.tv_sec, ru.ru_stime.tv_usec],
    )
}

pub(super) fn getrusage(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let who = a[0] as i32;
    if !matches!(who, -1..=1) {
        return Err(Errno::EINVAL);
    }
    let mut out = [0i64; 18];
    if who != -1 {
        let (u, s) = cpu_times();
        out[0] = u[0];
        out[1] = u[1];
        out[2] = s[0];
        out[3] = s[1];
    }
    task.mm.write(UserPtr::<[i64; 18]>::new(a[1]), &out)?;
    Ok(0)
}

pub(super) fn times(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (u, s) = cpu_times();
    let ticks = |t: [i64; 2]| t[0] * 100 + t[1] / 10_000;
    if a[0] != 0 {
        task.mm
            .write(UserPtr::<[i64; 4]>::new(a[0]), &[ticks(u), ticks(s), 0, 0])?;
    }
    let up = task.kernel.boot_time.elapsed();
    Ok((up.as_millis() / 10) as u64 + 100_000)
}
