//! Process identity, limits, exit, and miscellaneous per-process calls.

use abi::Errno;
use abi::process::Utsname;
use zerocopy::FromZeros;

use super::SyscallResult;
use crate::kernel::Task;
use crate::mm::UserPtr;

pub(super) fn getpid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(task.pid as u64)
}

pub(super) fn gettid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(task.tid as u64)
}

pub(super) fn getuid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(u64::from(task.creds.uid[0]))
}

pub(super) fn geteuid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(u64::from(task.creds.uid[1]))
}

pub(super) fn getgid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(u64::from(task.creds.gid[0]))
}

pub(super) fn getegid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(u64::from(task.creds.gid[1]))
}

pub(super) fn getresuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    for (i, p) in a[..3].iter().enumerate() {
        task.mm.write(UserPtr::<u32>::new(*p), &task.creds.uid[i])?;
    }
    Ok(0)
}

pub(super) fn getresgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    for (i, p) in a[..3].iter().enumerate() {
        task.mm.write(UserPtr::<u32>::new(*p), &task.creds.gid[i])?;
    }
    Ok(0)
}

pub(super) fn setuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let uid = a[0] as u32;
    if uid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    if task.creds.uid[1] == 0 {
        task.creds.uid = [uid; 3];
    } else if uid == task.creds.uid[0] || uid == task.creds.uid[2] {
        task.creds.uid[1] = uid;
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

pub(super) fn setgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let gid = a[0] as u32;
    if gid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    if task.creds.uid[1] == 0 {
        task.creds.gid = [gid; 3];
    } else if gid == task.creds.gid[0] || gid == task.creds.gid[2] {
        task.creds.gid[1] = gid;
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

pub(super) fn getgroups(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let _ = task;
    if (a[0] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub(super) fn setgroups(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if task.creds.uid[1] != 0 {
        return Err(Errno::EPERM);
    }
    if a[0] > 65536 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

fn set_field(f: &mut [u8; 65], v: &[u8]) {
    let n = v.len().min(64);
    f[..n].copy_from_slice(&v[..n]);
}

pub(super) fn uname(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let mut u = Utsname::new_zeroed();
    set_field(&mut u.sysname, b"Linux");
    let host = task
        .kernel
        .hostname
        .lock()
        .map(|h| h.clone())
        .unwrap_or_default();
    set_field(&mut u.nodename, &host);
    set_field(&mut u.release, &task.kernel.uts.0);
    set_field(&mut u.version, &task.kernel.uts.1);
    set_field(&mut u.machine, b"x86_64");
    set_field(&mut u.domainname, b"(none)");
    task.mm.write(UserPtr::new(a[0]), &u)?;
    Ok(0)
}

fn rlimit_index(r: u64) -> Result<usize, Errno> {
    if r >= 16 {
        return Err(Errno::EINVAL);
    }
    Ok(r as usize)
}

pub(super) fn getrlimit(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let r = rlimit_index(a[0])?;
    let (s, h) = task.rlimits[r];
    task.mm.write(UserPtr::<[u64; 2]>::new(a[1]), &[s, h])?;
    Ok(0)
}

fn set_limit(task: &mut Task, r: usize, new: [u64; 2]) -> Result<(), Errno> {
    let (soft, hard) = (new[0], new[1]);
    if soft > hard {
        return Err(Errno::EINVAL);
    }
    if hard > task.rlimits[r].1 && task.creds.uid[1] != 0 {
        return Err(Errno::EPERM);
    }
    if r == 7 && hard > 1 << 20 {
        return Err(Errno::EPERM);
    }
    task.rlimits[r] = (soft, hard);
    Ok(())
}

pub(super) fn setrlimit(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let r = rlimit_index(a[0])?;
    let new: [u64; 2] = task.mm.read(UserPtr::new(a[1]))?;
    set_limit(task, r, new)?;
    Ok(0)
}

pub(super) fn prlimit64(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    if pid != 0 && pid != task.pid {
        return Err(Errno::ESRCH);
    }
    let r = rlimit_index(a[1])?;
    let new: Option<[u64; 2]> = if a[2] != 0 {
        Some(task.mm.read(UserPtr::new(a[2]))?)
    } else {
        None
    };
    let old = task.rlimits[r];
    if let Some(n) = new {
        set_limit(task, r, n)?;
    }
    if a[3] != 0 {
        task.mm
            .write(UserPtr::<[u64; 2]>::new(a[3]), &[old.0, old.1])?;
    }
    Ok(0)
}

pub(super) fn sysinfo(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let mut s = abi::process::Sysinfo::new_zeroed();
    s.uptime = task.kernel.boot_time.elapsed().as_secs() as i64;
    s.totalram = 4 << 30;
    s.freeram = 3 << 30;
    s.procs = 1;
    s.mem_unit = 1;
    task.mm.write(UserPtr::new(a[0]), &s)?;
    Ok(0)
}

pub(super) fn prctl(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const PR_SET_PDEATHSIG: u64 = 1;
    const PR_GET_PDEATHSIG: u64 = 2;
    const PR_GET_DUMPABLE: u64 = 3;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    const PR_CAPBSET_READ: u64 = 23;
    const PR_SET_CHILD_SUBREAPER: u64 = 36;
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    const PR_GET_NO_NEW_PRIVS: u64 = 39;
    const PR_SET_VMA: u64 = 0x53564d41;
    match a[0] {
        PR_SET_NAME => {
            let mut b = [0u8; 16];
            let n = task.mm.copy_in_partial(a[1], &mut b);
            if n == 0 {
                return Err(Errno::EFAULT);
            }
            let len = b.iter().position(|c| *c == 0).unwrap_or(15).min(15);
            task.comm = b[..len].to_vec();
            task.handle.tg.lock().comm = task.comm.clone();
            Ok(0)
        }
        PR_GET_NAME => {
            let mut b = [0u8; 16];
            b[..task.comm.len().min(15)].copy_from_slice(&task.comm[..task.comm.len().min(15)]);
            task.mm.copy_out(a[1], &b)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            if a[1] > 64 {
                return Err(Errno::EINVAL);
            }
            crate::kernel::process::lock(&task.handle.state).pdeathsig = a[1] as i32;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let sig = crate::kernel::process::lock(&task.handle.state).pdeathsig;
            task.mm.write(UserPtr::<i32>::new(a[1]), &sig)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(1),
        PR_SET_DUMPABLE => {
            if a[1] > 1 {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        PR_CAPBSET_READ => {
            if a[1] > 40 {
                return Err(Errno::EINVAL);
            }
            Ok(1)
        }
        PR_SET_CHILD_SUBREAPER => {
            task.handle.tg.lock().subreaper = a[1] != 0;
            Ok(0)
        }
        37 => {
            // PR_GET_CHILD_SUBREAPER
            let v = i32::from(task.handle.tg.lock().subreaper);
            task.mm.write(UserPtr::<i32>::new(a[1]), &v)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => Ok(0),
        PR_SET_VMA => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn arch_prctl(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    const ARCH_GET_GS: u64 = 0x1004;
    const ARCH_GET_CPUID: u64 = 0x1011;
    const ARCH_SET_CPUID: u64 = 0x1012;
    let canonical = |v: u64| v < crate::mm::TASK_SIZE;
    match a[0] {
        ARCH_SET_FS => {
            if !canonical(a[1]) {
                return Err(Errno::EPERM);
            }
            task.regs.set_fs_base(a[1]);
            Ok(0)
        }
        ARCH_SET_GS => {
            if !canonical(a[1]) {
                return Err(Errno::EPERM);
            }
            task.regs.set_gs_base(a[1]);
            Ok(0)
        }
        ARCH_GET_FS => {
            task.mm
                .write(UserPtr::<u64>::new(a[1]), &task.regs.fs_base())?;
            Ok(0)
        }
        ARCH_GET_GS => {
            task.mm
                .write(UserPtr::<u64>::new(a[1]), &task.regs.gs_base())?;
            Ok(0)
        }
        ARCH_GET_CPUID => Ok(1),
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn set_tid_address(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    task.clear_child_tid = a[0];
    Ok(task.tid as u64)
}

pub(super) fn set_robust_list(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[1] != 24 {
        return Err(Errno::EINVAL);
    }
    task.robust_list = (a[0], a[1]);
    Ok(0)
}

pub(super) fn get_robust_list(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    if pid != 0 && pid != task.tid {
        return Err(Errno::ESRCH);
    }
    task.mm
        .write(UserPtr::<u64>::new(a[1]), &task.robust_list.0)?;
    task.mm
        .write(UserPtr::<u64>::new(a[2]), &task.robust_list.1)?;
    Ok(0)
}

pub(super) fn getrandom(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const GRND_NONBLOCK: u64 = 1;
    const GRND_RANDOM: u64 = 2;
    const GRND_INSECURE: u64 = 4;
    let flags = a[2];
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || (flags & GRND_RANDOM != 0 && flags & GRND_INSECURE != 0)
    {
        return Err(Errno::EINVAL);
    }
    let len = (a[1] as usize).min(1 << 25);
    let mut buf = vec![0u8; len.min(1 << 20)];
    let mut done = 0usize;
    while done < len {
        let n = (len - done).min(buf.len());
        crate::kernel::random::fill(&mut buf[..n]);
        let c = task.mm.copy_out_partial(a[0] + done as u64, &buf[..n]);
        done += c;
        if c < n {
            if done == 0 {
                return Err(Errno::EFAULT);
            }
            break;
        }
    }
    Ok(done as u64)
}

pub(super) fn sched_yield(_task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    std::thread::yield_now();
    Ok(0)
}

pub(super) fn sched_getaffinity(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    if pid != 0 && pid != task.tid {
        return Err(Errno::ESRCH);
    }
    let len = a[1] as usize;
    if len < 8 || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let cpus = task.kernel.cpus.clamp(1, 64);
    let mask: u64 = if cpus == 64 {
        u64::MAX
    } else {
        (1u64 << cpus) - 1
    };
    task.mm.write(UserPtr::<u64>::new(a[2]), &mask)?;
    Ok(8)
}

pub(super) fn sched_setaffinity(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    if pid != 0 && pid != task.tid {
        return Err(Errno::ESRCH);
    }
    let mut b = [0u8; 8];
    task.mm.copy_in(a[2], &mut b[..(a[1] as usize).min(8)])?;
    if u64::from_le_bytes(b) == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub(super) fn getcpu(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[0] != 0 {
        task.mm.write(UserPtr::<u32>::new(a[0]), &0)?;
    }
    if a[1] != 0 {
        task.mm.write(UserPtr::<u32>::new(a[1]), &0)?;
    }
    Ok(0)
}

pub(super) fn setresuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let ids = [a[0] as u32, a[1] as u32, a[2] as u32];
    let cur = task.creds.uid;
    if cur[1] != 0 {
        for id in ids.iter().filter(|&&id| id != u32::MAX) {
            if !cur.contains(id) {
                return Err(Errno::EPERM);
            }
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if *id != u32::MAX {
            task.creds.uid[i] = *id;
        }
    }
    Ok(0)
}

pub(super) fn setresgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let ids = [a[0] as u32, a[1] as u32, a[2] as u32];
    let cur = task.creds.gid;
    if task.creds.uid[1] != 0 {
        for id in ids.iter().filter(|&&id| id != u32::MAX) {
            if !cur.contains(id) {
                return Err(Errno::EPERM);
            }
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if *id != u32::MAX {
            task.creds.gid[i] = *id;
        }
    }
    Ok(0)
}
