//! `pidfd_open(2)` and `pidfd_send_signal(2)`: process file descriptors.
//! Signals go through `kill`/`rt_sigqueueinfo`, so permissions and init's
//! immunity are theirs.

use std::sync::Arc;

use abi::Errno;

use super::SyscallResult;
use super::fs::file;
use crate::fsimpl::pidfd;
use crate::kernel::Task;
use crate::kernel::process::lock;

/// `O_NONBLOCK`: the only `pidfd_open` flag besides `PIDFD_THREAD`.
const PIDFD_NONBLOCK: u64 = 0o4000;
/// `O_EXCL`: a pidfd for a thread (Linux 6.9).
const PIDFD_THREAD: u64 = 0o200;
/// `pidfd_send_signal` scope flags (Linux 6.9).
const PIDFD_SIGNAL_THREAD_GROUP: u64 = 1 << 1;

pub(super) fn pidfd_open(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (pid, flags) = (a[0] as i32, a[1]);
    if flags & !(PIDFD_NONBLOCK | PIDFD_THREAD) != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let tg = {
        let tasks = lock(&task.kernel.tasks);
        match tasks.groups.get(&pid) {
            Some(g) => g.clone(),
            // A thread that is not a process's leader.
            None if tasks.threads.contains_key(&pid) => return Err(Errno::ENOENT),
            None => return Err(Errno::ESRCH),
        }
    };
    Ok(pidfd::install(task, &tg)? as u64)
}

pub(super) fn pidfd_send_signal(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (fd, sig, info, flags) = (a[0], a[1], a[2], a[3]);
    if flags & !PIDFD_SIGNAL_THREAD_GROUP != 0 || sig > 64 {
        return Err(Errno::EINVAL);
    }
    let f = file(task, fd)?;
    let pid = pidfd::pid_of(&f).ok_or(Errno::EBADF)?;
    // The process must still exist (a zombie does; a reaped one does not,
    // even if its pid was reused).
    let alive = pidfd::group_of(&f).is_some_and(|g| {
        lock(&task.kernel.tasks)
            .groups
            .get(&pid)
            .is_some_and(|cur| Arc::ptr_eq(cur, &g))
    });
    if !alive {
        return Err(Errno::ESRCH);
    }
    let pid = pid as u64;
    if info != 0 && sig != 0 {
        super::signal::rt_sigqueueinfo(task, &[pid, sig, info, 0, 0, 0])
    } else {
        super::signal::kill(task, &[pid, sig, 0, 0, 0, 0])
    }
}
