//! The gofer's host allow-list: file system calls relative to FDs it
//! holds, its socket, and what Rust's runtime needs. Anything else kills
//! the gofer (the Sentry then sees its socket close).
//!
//! Who needs what: **server** — `gofer::server` (its module docs list its
//! host calls); **runtime** — Rust's standard library and glibc.
//! Keep one entry per system call; the unit test in `filter::tests` prints
//! the list and its length.

use super::{Allowed, allow};
use libc::*;

/// The gofer's allow-list.
pub fn allow_list() -> Vec<Allowed> {
    vec![
        // server: the socket, with SCM_RIGHTS.
        allow(SYS_recvmsg, "recvmsg"),
        allow(SYS_sendmsg, "sendmsg"),
        // server: walk (O_PATH|O_NOFOLLOW), open, create, directory FDs.
        allow(SYS_openat, "openat"),
        // server: dropping FDs; runtime: File drop.
        allow(SYS_close, "close"),
        // server: stat (AT_EMPTY_PATH).
        allow(SYS_newfstatat, "newfstatat"),
        // server: statfs.
        allow(SYS_fstatfs, "fstatfs"),
        // server: getdents and its cookies.
        allow(SYS_getdents64, "getdents64"),
        allow(SYS_lseek, "lseek"),
        // server: namespace changes.
        allow(SYS_mkdirat, "mkdirat"),
        allow(SYS_mknodat, "mknodat"),
        allow(SYS_symlinkat, "symlinkat"),
        allow(SYS_linkat, "linkat"),
        allow(SYS_unlinkat, "unlinkat"),
        allow(SYS_renameat2, "renameat2"),
        // server: readlink.
        allow(SYS_readlinkat, "readlinkat"),
        // server: owner of new files, setstat.
        allow(SYS_fchownat, "fchownat"),
        // server: setstat mode; fchmod is its fallback before Linux 6.6.
        allow(SYS_fchmodat2, "fchmodat2"),
        allow(SYS_fchmod, "fchmod"),
        // server: setstat times.
        allow(SYS_utimensat, "utimensat"),
        // server: setstat size, O_TRUNC.
        allow(SYS_ftruncate, "ftruncate"),
        // server: clearing O_NONBLOCK after re-opening.
        allow(SYS_fcntl, "fcntl"),
        // runtime: allocation.
        allow(SYS_mmap, "mmap"),
        allow(SYS_munmap, "munmap"),
        allow(SYS_mremap, "mremap"),
        allow(SYS_mprotect, "mprotect"),
        allow(SYS_madvise, "madvise"),
        allow(SYS_brk, "brk"),
        // runtime: Mutex (the logger), Once.
        allow(SYS_futex, "futex"),
        // runtime: signal mask (abort), the stack-overflow handler's stack and return.
        allow(SYS_rt_sigprocmask, "rt_sigprocmask"),
        allow(SYS_sigaltstack, "sigaltstack"),
        allow(SYS_rt_sigreturn, "rt_sigreturn"),
        // runtime: logging to stderr or the log file.
        allow(SYS_write, "write"),
        // runtime: HashMap keys.
        allow(SYS_getrandom, "getrandom"),
        // runtime: log timestamps (when not served by the vDSO).
        allow(SYS_clock_gettime, "clock_gettime"),
        // runtime: thread exit, process exit.
        allow(SYS_exit, "exit"),
        allow(SYS_exit_group, "exit_group"),
    ]
}
