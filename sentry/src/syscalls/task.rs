//! Creating, replacing and ending tasks; waiting for children; process
//! groups and sessions.

use abi::Errno;

use super::SyscallResult;
use super::fs::{AT_FDCWD, file, start_dir};
use crate::kernel::Task;
use crate::kernel::lifecycle::{self, CloneArgs, WaitTarget, flags, wopts};
use crate::kernel::process::{lock, wstatus};
use crate::mm::UserPtr;

const SIGCHLD: i32 = 17;

fn do_clone(task: &mut Task, a: CloneArgs) -> SyscallResult {
    lifecycle::check_clone_flags(a.flags)?;
    if a.flags & flags::NAMESPACES != 0 {
        // New namespaces inside the sandbox are not supported yet.
        return Err(Errno::EPERM);
    }
    let tid = lifecycle::clone(task, a)?;
    Ok(tid as u64)
}

pub(super) fn clone(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    // x86-64: clone(flags, newsp, parent_tid, child_tid, tls)
    let raw = a[0];
    let exit_signal = (raw & 0xff) as i32;
    if exit_signal > 64 {
        return Err(Errno::EINVAL);
    }
    let pidfd = if raw & flags::PIDFD != 0 { a[2] } else { 0 };
    if raw & flags::PIDFD != 0 && raw & flags::PARENT_SETTID != 0 {
        return Err(Errno::EINVAL);
    }
    do_clone(
        task,
        CloneArgs {
            flags: raw & !0xff,
            exit_signal,
            stack: a[1],
            parent_tid: a[2],
            child_tid: a[3],
            tls: a[4],
            pidfd,
        },
    )
}

pub(super) fn clone3(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let size = a[1];
    if !(64..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; size as usize];
    task.mm.copy_in(a[0], &mut buf)?;
    let word = |i: usize| u64::from_le_bytes(buf[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    // Fields past those we know must be zero.
    if buf.len() > 88 && buf[88..].iter().any(|b| *b != 0) {
        return Err(Errno::E2BIG);
    }
    let (fl, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) = (
        word(0),
        word(1),
        word(2),
        word(3),
        word(4),
        word(5),
        word(6),
        word(7),
    );
    if exit_signal > 64 || fl & 0xff != 0 {
        return Err(Errno::EINVAL);
    }
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    if size >= 80 && word(9) != 0 {
        // set_tid
        return Err(Errno::EINVAL);
    }
    do_clone(
        task,
        CloneArgs {
            flags: fl,
            exit_signal: exit_signal as i32,
            stack: if stack != 0 {
                stack.wrapping_add(stack_size)
            } else {
                0
            },
            parent_tid,
            child_tid,
            tls,
            pidfd,
        },
    )
}

pub(super) fn fork(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    do_clone(
        task,
        CloneArgs {
            flags: 0,
            exit_signal: SIGCHLD,
            stack: 0,
            parent_tid: 0,
            child_tid: 0,
            tls: 0,
            pidfd: 0,
        },
    )
}

pub(super) fn vfork(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    do_clone(
        task,
        CloneArgs {
            flags: flags::VM | flags::VFORK,
            exit_signal: SIGCHLD,
            stack: 0,
            parent_tid: 0,
            child_tid: 0,
            tls: 0,
            pidfd: 0,
        },
    )
}

fn do_execve(
    task: &mut Task,
    dirfd: u64,
    path_addr: u64,
    argv: u64,
    envp: u64,
    flags: u32,
) -> SyscallResult {
    const AT_EMPTY_PATH: u32 = 0x1000;
    const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut path = task.read_path(path_addr)?;
    let argv = task.mm.read_str_array(argv, crate::loader::MAX_ARG_BYTES)?;
    let envv = task.mm.read_str_array(envp, crate::loader::MAX_ARG_BYTES)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        let f = file(task, dirfd)?;
        path = f.dentry.path_from(&task.fs.root);
    } else if path[0] != b'/' && dirfd as i32 != AT_FDCWD {
        let d = start_dir(task, dirfd, &path)?;
        let mut full = d.path_from(&task.fs.root);
        if full.last() != Some(&b'/') {
            full.push(b'/');
        }
        full.extend_from_slice(&path);
        path = full;
    }
    if flags & AT_SYMLINK_NOFOLLOW != 0 {
        let d = crate::vfs::resolve(&task.fs.root, &task.fs.cwd, &path, false)?;
        if d.inode.attr()?.is_symlink() {
            return Err(Errno::ELOOP);
        }
    }
    lifecycle::execve(task, &path, argv, envv)?;
    Ok(0)
}

pub(super) fn execve(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_execve(task, AT_FDCWD as u64, a[0], a[1], a[2], 0)
}

pub(super) fn execveat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_execve(task, a[0], a[1], a[2], a[3], a[4] as u32)
}

pub(super) fn exit(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    task.exiting = Some(wstatus::exited(a[0] as i32));
    task.regs_replaced = true;
    Ok(0)
}

pub(super) fn exit_group(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    lifecycle::group_exit(task, wstatus::exited(a[0] as i32));
    task.regs_replaced = true;
    Ok(0)
}

fn rusage_bytes(cpu: (u64, u64)) -> [i64; 18] {
    let mut r = [0i64; 18];
    r[0] = (cpu.0 / 1_000_000_000) as i64;
    r[1] = ((cpu.0 % 1_000_000_000) / 1000) as i64;
    r[2] = (cpu.1 / 1_000_000_000) as i64;
    r[3] = ((cpu.1 % 1_000_000_000) / 1000) as i64;
    r
}

pub(super) fn wait4(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let pid = a[0] as i32;
    let options = a[2] as u32;
    if options
        & !(wopts::WNOHANG
            | wopts::WUNTRACED
            | wopts::WCONTINUED
            | wopts::WCLONE
            | wopts::WALL
            | wopts::WNOTHREAD)
        != 0
    {
        return Err(Errno::EINVAL);
    }
    let target = match pid {
        -1 => WaitTarget::Any,
        0 => WaitTarget::Pgid(task.handle.tg.lock().pgid),
        p if p < -1 => WaitTarget::Pgid(-p),
        p => WaitTarget::Pid(p),
    };
    if pid == i32::MIN {
        return Err(Errno::ESRCH);
    }
    match lifecycle::wait(task, target, options | wopts::WEXITED)? {
        None => Ok(0),
        Some(r) => {
            if a[1] != 0 {
                task.mm.write(UserPtr::<i32>::new(a[1]), &r.status)?;
            }
            if a[3] != 0 {
                task.mm
                    .write(UserPtr::<[i64; 18]>::new(a[3]), &rusage_bytes(r.cpu))?;
            }
            Ok(r.pid as u64)
        }
    }
}

pub(super) fn waitid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const P_ALL: u64 = 0;
    const P_PID: u64 = 1;
    const P_PGID: u64 = 2;
    const P_PIDFD: u64 = 3;
    let options = a[3] as u32;
    let allowed = wopts::WNOHANG
        | wopts::WEXITED
        | wopts::WUNTRACED
        | wopts::WCONTINUED
        | wopts::WNOWAIT
        | wopts::WCLONE
        | wopts::WALL
        | wopts::WNOTHREAD;
    if options & !allowed != 0
        || options & (wopts::WEXITED | wopts::WUNTRACED | wopts::WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let id = a[1] as i32;
    let target = match a[0] {
        P_ALL => WaitTarget::Any,
        P_PID if id > 0 => WaitTarget::Pid(id),
        P_PGID if id > 0 => WaitTarget::Pgid(id),
        P_PGID if id == 0 => WaitTarget::Pgid(task.handle.tg.lock().pgid),
        P_PIDFD => {
            let f = file(task, a[1])?;
            WaitTarget::Pid(crate::fsimpl::pidfd::pid_of(&f).ok_or(Errno::EBADF)?)
        }
        _ => return Err(Errno::EINVAL),
    };
    let r = lifecycle::wait(task, target, options)?;
    if a[2] != 0 {
        let info = match &r {
            None => abi::signal::SigInfo::kill(0, 0, 0, 0),
            Some(r) => {
                let (code, st) = if r.status == wstatus::CONTINUED {
                    (6, 18)
                } else if r.status & 0xff == 0x7f {
                    (5, (r.status >> 8) & 0xff)
                } else if r.status & 0x7f == 0 {
                    (1, (r.status >> 8) & 0xff)
                } else if r.status & 0x80 != 0 {
                    (3, r.status & 0x7f)
                } else {
                    (2, r.status & 0x7f)
                };
                abi::signal::SigInfo::sigchld(
                    code,
                    r.pid,
                    r.uid,
                    st,
                    (r.cpu.0 / 10_000_000) as i64,
                    (r.cpu.1 / 10_000_000) as i64,
                )
            }
        };
        let mut info = info;
        if r.is_none() {
            info = zerocopy::FromZeros::new_zeroed();
        }
        task.mm.write(UserPtr::new(a[2]), &info)?;
    }
    if a[4] != 0 {
        let cpu = r.as_ref().map_or((0, 0), |r| r.cpu);
        task.mm
            .write(UserPtr::<[i64; 18]>::new(a[4]), &rusage_bytes(cpu))?;
    }
    Ok(0)
}

pub(super) fn getppid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(task.ppid() as u64)
}

fn find_group(task: &Task, pid: i32) -> Result<std::sync::Arc<crate::kernel::ThreadGroup>, Errno> {
    if pid == 0 {
        return Ok(task.handle.tg.clone());
    }
    lock(&task.kernel.tasks)
        .groups
        .get(&pid)
        .cloned()
        .ok_or(Errno::ESRCH)
}

pub(super) fn getpgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let g = find_group(task, a[0] as i32)?;
    Ok(g.lock().pgid as u64)
}

pub(super) fn getpgrp(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(task.handle.tg.lock().pgid as u64)
}

pub(super) fn getsid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let g = find_group(task, a[0] as i32)?;
    Ok(g.lock().sid as u64)
}

pub(super) fn setpgid(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (pid, pgid) = (a[0] as i32, a[1] as i32);
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = task.handle.tg.clone();
    let target = find_group(task, pid)?;
    let is_self = std::sync::Arc::ptr_eq(&target, &me);
    if !is_self {
        let is_child = target
            .lock()
            .parent
            .as_ref()
            .is_some_and(|p| std::sync::Arc::ptr_eq(p, &me));
        if !is_child {
            return Err(Errno::ESRCH);
        }
        if target.lock().sid != me.lock().sid {
            return Err(Errno::EPERM);
        }
        if target.lock().did_exec {
            return Err(Errno::EACCES);
        }
    }
    let (tsid, tpid) = {
        let s = target.lock();
        (s.sid, target.pid)
    };
    if tsid == tpid {
        // A session leader cannot change its group.
        return Err(Errno::EPERM);
    }
    let pgid = if pgid == 0 { tpid } else { pgid };
    if pgid != tpid {
        // The group must exist in the same session.
        let exists = lock(&task.kernel.tasks)
            .group_members(pgid)
            .iter()
            .any(|g| g.lock().sid == tsid);
        if !exists {
            return Err(Errno::EPERM);
        }
    }
    target.lock().pgid = pgid;
    Ok(0)
}

pub(super) fn setsid(task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    let me = task.handle.tg.clone();
    let pid = me.pid;
    if !lock(&task.kernel.tasks).group_members(pid).is_empty() {
        return Err(Errno::EPERM);
    }
    let mut s = me.lock();
    s.pgid = pid;
    s.sid = pid;
    Ok(pid as u64)
}
