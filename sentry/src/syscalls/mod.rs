//! System calls: one table indexed by number; handlers by area.

#![forbid(unsafe_code)]

mod fs;
mod fsmeta;
mod futex;
mod mem;
mod pidfd;
mod process;
mod ptrace;
mod signal;
mod socket;
mod table;
mod task;
mod time;

use abi::Errno;
use abi::syscalls::syscall_name;

use crate::kernel::Task;

pub use table::{Handler, TABLE};

/// A handler's result: the return value or an errno.
pub type SyscallResult = Result<u64, Errno>;

/// Runs system call `nr` for `task`.
pub fn dispatch(task: &mut Task, nr: u64, args: &[u64; 6]) -> SyscallResult {
    let handler = usize::try_from(nr)
        .ok()
        .and_then(|i| TABLE.get(i))
        .copied()
        .flatten();
    let result = match handler {
        Some(h) => h(task, args),
        None => {
            let first = task
                .kernel
                .reported
                .lock()
                .map(|mut r| r.insert(nr))
                .unwrap_or(false);
            if first {
                tracing::info!(
                    "unimplemented syscall {} ({nr})",
                    syscall_name(nr).unwrap_or("unknown")
                );
            }
            Err(Errno::ENOSYS)
        }
    };
    if task.kernel.strace {
        strace(task, nr, args, &result);
    }
    result
}

fn strace(task: &Task, nr: u64, args: &[u64; 6], result: &SyscallResult) {
    let name = syscall_name(nr).unwrap_or("unknown");
    let path_arg: Option<usize> = match name {
        "open" | "stat" | "lstat" | "access" | "readlink" | "chdir" | "mkdir" | "rmdir"
        | "unlink" | "execve" | "truncate" | "statfs" | "chmod" | "creat" => Some(0),
        "openat" | "newfstatat" | "faccessat" | "faccessat2" | "readlinkat" | "mkdirat"
        | "unlinkat" | "statx" | "fchmodat" | "utimensat" | "openat2" | "execveat" => Some(1),
        _ => None,
    };
    let mut out = format!("[{}] {name}(", task.tid);
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if Some(i) == path_arg {
            match task.mm.read_cstr(*a, 4095) {
                Ok(s) => out.push_str(&format!("{:?}", String::from_utf8_lossy(&s))),
                Err(_) => out.push_str(&format!("{a:#x}")),
            }
        } else if *a < 4096 {
            out.push_str(&a.to_string());
        } else {
            out.push_str(&format!("{a:#x}"));
        }
    }
    out.push_str(") = ");
    match result {
        Ok(v) if *v < 4096 => out.push_str(&v.to_string()),
        Ok(v) => out.push_str(&format!("{v:#x}")),
        Err(e) => out.push_str(&format!("-1 {e:?}")),
    }
    tracing::info!(target: "strace", "{out}");
}

/// A syscall argument as a file descriptor (`EBADF` if it cannot be one).
pub fn arg_fd(v: u64) -> i32 {
    v as i32
}
