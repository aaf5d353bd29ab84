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

pub(super) fn nanosleep(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = read_timespec(task, a[0])?;
    std::thread::sleep(d);
    Ok(0)
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
    let d = if a[1] & TIMER_ABSTIME != 0 {
        let now = host_clock(id)?;
        let now = Duration::new(now[0] as u64, now[1] as u32);
        d.saturating_sub(now)
    } else {
        d
    };
    std::thread::sleep(d);
    Ok(0)
}

pub(super) fn getitimer(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[0] > 2 {
        return Err(Errno::EINVAL);
    }
    task.mm.write(UserPtr::<[i64; 4]>::new(a[1]), &[0; 4])?;
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
