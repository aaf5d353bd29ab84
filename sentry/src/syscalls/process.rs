//! Process identity, limits, exit, and miscellaneous per-process calls.

use std::sync::Arc;

use abi::Errno;
use abi::process::Utsname;
use zerocopy::FromZeros;

use super::SyscallResult;
use crate::kernel::process::lock;
use crate::kernel::{MAX_GROUPS, Task, ThreadGroup, cap};
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
    let (s, h) = task.handle.tg.lock().rlimits[r];
    task.mm.write(UserPtr::<[u64; 2]>::new(a[1]), &[s, h])?;
    Ok(0)
}

/// Sets limit `r` of process `tg` to `new` (soft, hard) as `task` asks;
/// returns the old one. Raising a hard limit takes `CAP_SYS_RESOURCE`.
fn set_limit(
    task: &Task,
    tg: &Arc<ThreadGroup>,
    r: usize,
    new: Option<[u64; 2]>,
) -> Result<(u64, u64), Errno> {
    let mut s = tg.lock();
    let old = s.rlimits[r];
    let Some([soft, hard]) = new else {
        return Ok(old);
    };
    if soft > hard {
        return Err(Errno::EINVAL);
    }
    if hard > old.1 && !task.creds.has_cap(cap::SYS_RESOURCE) {
        return Err(Errno::EPERM);
    }
    if r == RLIMIT_NOFILE && hard > NR_OPEN {
        return Err(Errno::EPERM);
    }
    s.rlimits[r] = (soft, hard);
    drop(s);
    if r == RLIMIT_CPU {
        crate::kernel::timers::watch_cpu_limit(&task.kernel, tg);
    }
    if r == crate::kernel::RLIMIT_STACK
        && let Some(mm) = tg.lock().mm.clone()
    {
        mm.set_stack_limit(soft);
    }
    Ok(old)
}

/// `RLIMIT_CPU`: CPU seconds before `SIGXCPU` (soft) and `SIGKILL` (hard).
const RLIMIT_CPU: usize = 0;

/// `RLIMIT_NOFILE`, whose hard limit may not pass `fs.nr_open`.
const RLIMIT_NOFILE: usize = 7;
const NR_OPEN: u64 = 1 << 20;

pub(super) fn setrlimit(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let r = rlimit_index(a[0])?;
    let new: [u64; 2] = task.mm.read(UserPtr::new(a[1]))?;
    let tg = task.handle.tg.clone();
    set_limit(task, &tg, r, Some(new))?;
    Ok(0)
}

/// `prlimit64`: another process's limits too, for a caller whose real uid
/// is the target's real, effective and saved uid (and likewise for gids),
/// or that has `CAP_SYS_RESOURCE` (Linux's `check_prlimit_permission`).
pub(super) fn prlimit64(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    let r = rlimit_index(a[1])?;
    let new: Option<[u64; 2]> = if a[2] != 0 {
        Some(task.mm.read(UserPtr::new(a[2]))?)
    } else {
        None
    };
    let tg = if pid == 0 || pid == task.tid {
        task.handle.tg.clone()
    } else {
        let target = lock(&task.kernel.tasks)
            .threads
            .get(&pid)
            .map(|t| t.tg.clone())
            .ok_or(Errno::ESRCH)?;
        let theirs = target.lock().creds;
        let me = task.creds;
        let same = theirs.uid.iter().all(|&u| u == me.uid[0])
            && theirs.gid.iter().all(|&g| g == me.gid[0]);
        if !same && !me.has_cap(cap::SYS_RESOURCE) {
            return Err(Errno::EPERM);
        }
        target
    };
    let old = set_limit(task, &tg, r, new)?;
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
    // Linux counts threads here (`nr_threads`).
    s.procs = u16::try_from(lock(&task.kernel.tasks).threads.len()).unwrap_or(u16::MAX);
    s.mem_unit = 1;
    task.mm.write(UserPtr::new(a[0]), &s)?;
    Ok(0)
}

pub(super) fn prctl(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const PR_SET_PDEATHSIG: u64 = 1;
    const PR_GET_PDEATHSIG: u64 = 2;
    const PR_GET_DUMPABLE: u64 = 3;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_GET_KEEPCAPS: u64 = 7;
    const PR_SET_KEEPCAPS: u64 = 8;
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    const PR_CAPBSET_READ: u64 = 23;
    const PR_CAPBSET_DROP: u64 = 24;
    const PR_SET_CHILD_SUBREAPER: u64 = 36;
    const PR_GET_CHILD_SUBREAPER: u64 = 37;
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    const PR_GET_NO_NEW_PRIVS: u64 = 39;
    const PR_SET_VMA: u64 = 0x53564d41;
    const CAP_LAST_CAP: u64 = 40;
    match a[0] {
        PR_SET_NAME => {
            let mut b = [0u8; 16];
            let n = task.mm.copy_in_partial(a[1], &mut b);
            if n == 0 {
                return Err(Errno::EFAULT);
            }
            // Renames only the calling thread (the process's name when it
            // is the leader).
            task.comm = task.handle.set_comm(&b[..n]);
            Ok(0)
        }
        PR_GET_NAME => {
            // The name may have changed through /proc/PID/task/TID/comm.
            let comm = task.handle.comm();
            let mut b = [0u8; 16];
            let n = comm.len().min(15);
            b[..n].copy_from_slice(&comm[..n]);
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
        PR_GET_DUMPABLE => Ok(u64::from(task.handle.tg.lock().dumpable)),
        PR_SET_DUMPABLE => {
            if a[1] > 1 {
                return Err(Errno::EINVAL);
            }
            task.handle.tg.lock().dumpable = a[1] == 1;
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(u64::from(task.creds.keepcaps)),
        PR_SET_KEEPCAPS => {
            if a[1] > 1 {
                return Err(Errno::EINVAL);
            }
            task.creds.keepcaps = a[1] == 1;
            Ok(0)
        }
        PR_CAPBSET_READ => {
            if a[1] > CAP_LAST_CAP {
                return Err(Errno::EINVAL);
            }
            Ok((task.creds.cap_bounding >> a[1]) & 1)
        }
        PR_CAPBSET_DROP => {
            if a[1] > CAP_LAST_CAP {
                return Err(Errno::EINVAL);
            }
            if !task.creds.has_cap(cap::SETPCAP) {
                return Err(Errno::EPERM);
            }
            task.creds.cap_bounding &= !(1u64 << a[1]);
            task.publish_creds();
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            task.handle.tg.lock().subreaper = a[1] != 0;
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = i32::from(task.handle.tg.lock().subreaper);
            task.mm.write(UserPtr::<i32>::new(a[1]), &v)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            task.creds.no_new_privs = true;
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if a[1] != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(u64::from(task.creds.no_new_privs))
        }
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

/// An id argument: `-1` means "leave unchanged".
fn id_arg(v: u64) -> Option<u32> {
    let id = v as u32;
    (id != u32::MAX).then_some(id)
}

/// Updates user ids as `setresuid` does; `None` leaves an id unchanged.
/// Without `CAP_SETUID` each new id must be one of the current ones.
fn change_uids(task: &mut Task, new: [Option<u32>; 3]) -> SyscallResult {
    let old = task.creds.uid;
    if !task.creds.has_cap(cap::SETUID) && new.iter().flatten().any(|id| !old.contains(id)) {
        return Err(Errno::EPERM);
    }
    for (i, id) in new.iter().enumerate() {
        if let Some(id) = id {
            task.creds.uid[i] = *id;
        }
    }
    task.creds.fix_caps_after_setuid(old);
    task.publish_creds();
    Ok(0)
}

/// Updates group ids as `setresgid` does (`CAP_SETGID` for arbitrary ids).
fn change_gids(task: &mut Task, new: [Option<u32>; 3]) -> SyscallResult {
    let old = task.creds.gid;
    if !task.creds.has_cap(cap::SETGID) && new.iter().flatten().any(|id| !old.contains(id)) {
        return Err(Errno::EPERM);
    }
    for (i, id) in new.iter().enumerate() {
        if let Some(id) = id {
            task.creds.gid[i] = *id;
        }
    }
    task.creds.fsgid = task.creds.gid[1];
    task.publish_creds();
    Ok(0)
}

pub(super) fn setuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let uid = id_arg(a[0]).ok_or(Errno::EINVAL)?;
    if task.creds.has_cap(cap::SETUID) {
        return change_uids(task, [Some(uid); 3]);
    }
    if uid != task.creds.uid[0] && uid != task.creds.uid[2] {
        return Err(Errno::EPERM);
    }
    change_uids(task, [None, Some(uid), None])
}

pub(super) fn setgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let gid = id_arg(a[0]).ok_or(Errno::EINVAL)?;
    if task.creds.has_cap(cap::SETGID) {
        return change_gids(task, [Some(gid); 3]);
    }
    if gid != task.creds.gid[0] && gid != task.creds.gid[2] {
        return Err(Errno::EPERM);
    }
    change_gids(task, [None, Some(gid), None])
}

/// The ids `setreuid`/`setregid` produce from `old` (real, effective,
/// saved), or `None` when an unprivileged caller may not make the change.
fn re_ids(old: [u32; 3], r: Option<u32>, e: Option<u32>, privileged: bool) -> Option<[u32; 3]> {
    let mut new = old;
    if let Some(r) = r {
        if !privileged && r != old[0] && r != old[1] {
            return None;
        }
        new[0] = r;
    }
    if let Some(e) = e {
        if !privileged && !old.contains(&e) {
            return None;
        }
        new[1] = e;
    }
    // The saved id follows the effective one when the real id is set or
    // the effective id changes to something other than the old real id.
    if r.is_some() || e.is_some_and(|e| e != old[0]) {
        new[2] = new[1];
    }
    Some(new)
}

pub(super) fn setreuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let old = task.creds.uid;
    let new = re_ids(
        old,
        id_arg(a[0]),
        id_arg(a[1]),
        task.creds.has_cap(cap::SETUID),
    )
    .ok_or(Errno::EPERM)?;
    task.creds.uid = new;
    task.creds.fix_caps_after_setuid(old);
    task.publish_creds();
    Ok(0)
}

pub(super) fn setregid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let old = task.creds.gid;
    let new = re_ids(
        old,
        id_arg(a[0]),
        id_arg(a[1]),
        task.creds.has_cap(cap::SETGID),
    )
    .ok_or(Errno::EPERM)?;
    task.creds.gid = new;
    task.creds.fsgid = new[1];
    task.publish_creds();
    Ok(0)
}

pub(super) fn setresuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    change_uids(task, [id_arg(a[0]), id_arg(a[1]), id_arg(a[2])])
}

pub(super) fn setresgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    change_gids(task, [id_arg(a[0]), id_arg(a[1]), id_arg(a[2])])
}

/// `setfsuid`: always returns the old fs uid; changes it only to one of
/// the real, effective, saved or current fs uids (or anything with
/// `CAP_SETUID`).
pub(super) fn setfsuid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let c = &mut task.creds;
    let old = c.fsuid;
    if let Some(id) = id_arg(a[0])
        && (c.uid.contains(&id) || id == c.fsuid || c.has_cap(cap::SETUID))
    {
        c.fsuid = id;
        c.fix_caps_after_setfsuid(old);
        task.publish_creds();
    }
    Ok(u64::from(old))
}

pub(super) fn setfsgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let c = &mut task.creds;
    let old = c.fsgid;
    if let Some(id) = id_arg(a[0])
        && (c.gid.contains(&id) || id == c.fsgid || c.has_cap(cap::SETGID))
    {
        c.fsgid = id;
        task.publish_creds();
    }
    Ok(u64::from(old))
}

pub(super) fn getgroups(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let size = a[0] as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let groups = task.creds.groups();
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    task.mm.copy_out(a[1], &bytes)?;
    Ok(groups.len() as u64)
}

pub(super) fn setgroups(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const NGROUPS_MAX: u64 = 65536;
    let n = a[0] as i32;
    if n < 0 || n as u64 > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    if !task.creds.has_cap(cap::SETGID) {
        return Err(Errno::EPERM);
    }
    let n = n as usize;
    if n > MAX_GROUPS {
        // More supplementary groups than the Sentry keeps.
        return Err(Errno::ENOMEM);
    }
    let mut bytes = vec![0u8; n * 4];
    task.mm.copy_in(a[1], &mut bytes)?;
    let mut groups: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    groups.sort_unstable();
    task.creds.groups[..n].copy_from_slice(&groups);
    task.creds.ngroups = n;
    task.publish_creds();
    Ok(0)
}

const CAP_V1: u32 = 0x1998_0330;
const CAP_V2: u32 = 0x2007_1026;
const CAP_V3: u32 = 0x2008_0522;

/// Checks a capability header's version; returns how many 32-bit data
/// words it carries. An unknown version is replaced by the one the kernel
/// prefers (`EINVAL`).
fn cap_header(task: &Task, addr: u64) -> Result<(usize, i32), Errno> {
    let h: [u32; 2] = task.mm.read(UserPtr::new(addr))?;
    match h[0] {
        CAP_V1 => Ok((1, h[1] as i32)),
        CAP_V2 | CAP_V3 => Ok((2, h[1] as i32)),
        _ => {
            task.mm.write(UserPtr::<u32>::new(addr), &CAP_V3)?;
            Err(Errno::EINVAL)
        }
    }
}

pub(super) fn capget(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let header = cap_header(task, a[0]);
    if a[1] == 0 {
        return match header {
            Ok(_) | Err(Errno::EINVAL) => Ok(0),
            Err(e) => Err(e),
        };
    }
    let (words, pid) = header?;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let c = if pid == 0 || pid == task.pid {
        task.creds
    } else {
        let tasks = crate::kernel::process::lock(&task.kernel.tasks);
        let t = tasks.threads.get(&pid).ok_or(Errno::ESRCH)?.clone();
        drop(tasks);
        t.tg.lock().creds
    };
    let mut data = Vec::with_capacity(words * 12);
    for i in 0..words {
        for set in [c.cap_effective, c.cap_permitted, c.cap_inheritable] {
            data.extend_from_slice(&((set >> (32 * i)) as u32).to_le_bytes());
        }
    }
    task.mm.copy_out(a[1], &data)?;
    Ok(0)
}

pub(super) fn capset(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (words, pid) = cap_header(task, a[0])?;
    if pid != 0 && pid != task.pid && pid != task.tid {
        return Err(Errno::EPERM);
    }
    let mut data = vec![0u8; words * 12];
    task.mm.copy_in(a[1], &mut data)?;
    let mut sets = [0u64; 3];
    for (i, w) in data.chunks_exact(4).enumerate() {
        let v = u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        sets[i % 3] |= v << (32 * (i / 3));
    }
    let [eff, perm, inh] = sets;
    let c = &task.creds;
    let may_inherit = if c.has_cap(cap::SETPCAP) {
        c.cap_inheritable | c.cap_bounding
    } else {
        c.cap_inheritable | c.cap_permitted
    };
    if inh & !may_inherit != 0
        || inh & !(c.cap_inheritable | c.cap_bounding) != 0
        || perm & !c.cap_permitted != 0
        || eff & !perm != 0
    {
        return Err(Errno::EPERM);
    }
    task.creds.cap_effective = eff;
    task.creds.cap_permitted = perm;
    task.creds.cap_inheritable = inh;
    task.publish_creds();
    Ok(0)
}

/// The process-wide credentials of the thread `pid` names (0: the caller).
fn creds_of(task: &Task, pid: i32) -> Result<crate::kernel::Credentials, Errno> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid == 0 || pid == task.tid {
        return Ok(task.creds);
    }
    let t = crate::kernel::process::lock(&task.kernel.tasks)
        .threads
        .get(&pid)
        .cloned()
        .ok_or(Errno::ESRCH)?;
    let c = t.tg.lock().creds;
    Ok(c)
}

const SCHED_OTHER: i32 = 0;
const SCHED_FIFO: i32 = 1;
const SCHED_RR: i32 = 2;
const SCHED_BATCH: i32 = 3;
const SCHED_IDLE: i32 = 5;
const SCHED_DEADLINE: i32 = 6;
const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

/// The (min, max) real-time priority of `policy`.
fn priority_range(policy: i32) -> Result<(i32, i32), Errno> {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok((1, 99)),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok((0, 0)),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn sched_get_priority_max(_task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    Ok(priority_range(a[0] as i32)?.1 as u64)
}

pub(super) fn sched_get_priority_min(_task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    Ok(priority_range(a[0] as i32)?.0 as u64)
}

pub(super) fn sched_getscheduler(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    Ok(creds_of(task, a[0] as i32)?.sched.0 as u64)
}

pub(super) fn sched_getparam(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if a[1] == 0 {
        return Err(Errno::EINVAL);
    }
    let c = creds_of(task, a[0] as i32)?;
    task.mm.write(UserPtr::<i32>::new(a[1]), &c.sched.1)?;
    Ok(0)
}

/// Sets the caller's policy and priority (other threads: checked, not applied).
fn set_sched(task: &mut Task, pid: i32, policy: Option<i32>, param: u64) -> SyscallResult {
    if param == 0 {
        return Err(Errno::EINVAL);
    }
    let cur = creds_of(task, pid)?;
    let prio: i32 = task.mm.read(UserPtr::new(param))?;
    let policy = policy.unwrap_or(cur.sched.0) & !SCHED_RESET_ON_FORK;
    if policy == SCHED_DEADLINE {
        return Err(Errno::EINVAL);
    }
    let (min, max) = priority_range(policy)?;
    if prio < min || prio > max {
        return Err(Errno::EINVAL);
    }
    let realtime = policy == SCHED_FIFO || policy == SCHED_RR;
    if realtime && !task.creds.has_cap(cap::SYS_NICE) && prio as u64 > task.rlimit(14) {
        return Err(Errno::EPERM);
    }
    if pid == 0 || pid == task.tid {
        task.creds.sched = (policy, prio);
        task.publish_creds();
    }
    Ok(0)
}

pub(super) fn sched_setscheduler(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let policy = a[1] as i32;
    if policy < 0 {
        return Err(Errno::EINVAL);
    }
    set_sched(task, a[0] as i32, Some(policy), a[2])
}

pub(super) fn sched_setparam(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    set_sched(task, a[0] as i32, None, a[1])
}

pub(super) fn sched_rr_get_interval(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let c = creds_of(task, a[0] as i32)?;
    // Linux reports 0 for SCHED_FIFO and a time slice otherwise.
    let ts: [i64; 2] = if c.sched.0 == SCHED_FIFO {
        [0, 0]
    } else {
        [0, 100_000_000]
    };
    task.mm.write(UserPtr::new(a[1]), &ts)?;
    Ok(0)
}

const PRIO_PROCESS: u64 = 0;
const PRIO_PGRP: u64 = 1;
const PRIO_USER: u64 = 2;

/// Nice values of the processes `which`/`who` names.
fn prio_targets(task: &Task, which: u64, who: i32) -> Result<Vec<i32>, Errno> {
    let me = task.handle.tg.clone();
    let tasks = crate::kernel::process::lock(&task.kernel.tasks);
    let nice_of = |g: &std::sync::Arc<crate::kernel::ThreadGroup>| {
        if std::sync::Arc::ptr_eq(g, &me) {
            task.creds.nice
        } else {
            g.lock().creds.nice
        }
    };
    let live = |g: &&std::sync::Arc<crate::kernel::ThreadGroup>| g.lock().zombie.is_none();
    let v: Vec<i32> = match which {
        PRIO_PROCESS => {
            if who == 0 || who == task.tid {
                vec![task.creds.nice]
            } else {
                tasks
                    .threads
                    .get(&who)
                    .map(|t| vec![t.tg.lock().creds.nice])
                    .unwrap_or_default()
            }
        }
        PRIO_PGRP => {
            let pgid = if who == 0 { me.lock().pgid } else { who };
            tasks
                .groups
                .values()
                .filter(live)
                .filter(|g| g.lock().pgid == pgid)
                .map(nice_of)
                .collect()
        }
        PRIO_USER => {
            let uid = if who == 0 {
                task.creds.uid[0]
            } else {
                who as u32
            };
            tasks
                .groups
                .values()
                .filter(live)
                .filter(|g| {
                    if std::sync::Arc::ptr_eq(g, &me) {
                        task.creds.uid[0] == uid
                    } else {
                        g.lock().creds.uid[0] == uid
                    }
                })
                .map(nice_of)
                .collect()
        }
        _ => return Err(Errno::EINVAL),
    };
    if v.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(v)
}

pub(super) fn getpriority(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let nices = prio_targets(task, a[0], a[1] as i32)?;
    // The raw call returns 20 - nice (1..=40) so it is never negative.
    let best = nices.into_iter().min().unwrap_or(0);
    Ok((20 - best) as u64)
}

pub(super) fn setpriority(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (which, who) = (a[0], a[1] as i32);
    let nice = (a[2] as i32).clamp(-20, 19);
    prio_targets(task, which, who)?;
    let lowering = nice < task.creds.nice;
    // RLIMIT_NICE allows a nice down to 20 - limit.
    let floor = 20 - task.rlimit(13).min(40) as i32;
    if lowering && nice < floor && !task.creds.has_cap(cap::SYS_NICE) {
        return Err(Errno::EACCES);
    }
    let me = match which {
        PRIO_PROCESS => who == 0 || who == task.tid,
        PRIO_PGRP => who == 0 || who == task.handle.tg.lock().pgid,
        _ => who == 0 || who as u32 == task.creds.uid[0],
    };
    // Only the caller's own nice value is kept; others are checked only.
    if me {
        task.creds.nice = nice;
        task.publish_creds();
    }
    Ok(0)
}

pub(super) fn membarrier(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const QUERY: u64 = 0;
    const GLOBAL: u64 = 1;
    const GLOBAL_EXPEDITED: u64 = 2;
    const REGISTER_GLOBAL_EXPEDITED: u64 = 4;
    const PRIVATE_EXPEDITED: u64 = 8;
    const REGISTER_PRIVATE_EXPEDITED: u64 = 16;
    const SUPPORTED: u64 = GLOBAL
        | GLOBAL_EXPEDITED
        | REGISTER_GLOBAL_EXPEDITED
        | PRIVATE_EXPEDITED
        | REGISTER_PRIVATE_EXPEDITED;
    let (cmd, flags) = (a[0], a[1]);
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let mut s = task.handle.tg.lock();
    match cmd {
        QUERY => Ok(SUPPORTED),
        GLOBAL | GLOBAL_EXPEDITED => {
            std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
            Ok(0)
        }
        REGISTER_GLOBAL_EXPEDITED | REGISTER_PRIVATE_EXPEDITED => {
            s.membarrier |= cmd;
            Ok(0)
        }
        PRIVATE_EXPEDITED => {
            if s.membarrier & REGISTER_PRIVATE_EXPEDITED == 0 {
                return Err(Errno::EPERM);
            }
            // Every other thread of the process passes through the Sentry
            // (a full barrier) before it runs guest code again.
            let threads = s.threads.clone();
            drop(s);
            std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
            for t in threads.iter().filter(|t| t.tid != task.tid) {
                if let Some(i) = crate::kernel::process::lock(&t.state).interrupter.clone() {
                    i.interrupt();
                }
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn personality(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let old = task.creds.personality;
    let new = a[0] as u32;
    if new != u32::MAX {
        task.creds.personality = new;
    }
    Ok(u64::from(old))
}
