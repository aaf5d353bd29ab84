//! The Sentry's host allow-list: every system call the Sentry process (and
//! the stub processes it forks after the filter is installed, which inherit
//! it) may make. Anything else kills the Sentry.
//!
//! Who needs what:
//! * **sentry** — the kernel's own work (memory file, host FDs, gofer socket);
//! * **platform** — the ptrace platform driving stub processes;
//! * **stub** — a stub process forked after the filter (it inherits it): its
//!   start-up code and the `mmap`/`munmap`/`mprotect` the platform injects.
//!   Guest system calls under `PTRACE_SYSEMU` never reach the filter;
//! * **runtime** — Rust's standard library and glibc (allocation, locks,
//!   signals, panics, logging).
//!
//! Keep one entry per system call and say who needs it; the unit test in
//! `filter::tests` prints the list and its length.

use super::{Allowed, allow, allow_arg_has_bits, allow_arg_in};
use libc::*;

/// Terminal ioctls the Sentry forwards to host stdio (`fsimpl::host`).
const TTY_IOCTLS: [u64; 7] = [
    TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, FIONREAD,
];

/// `clone` flags of an injected stub thread (`platform::ptrace`).
const STUB_THREAD_FLAGS: u64 =
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM) as u64;
/// `clone` flags glibc's `pthread_create` uses.
const PTHREAD_FLAGS: u64 = (CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID) as u64;

/// `prctl` option enabling syscall user dispatch (Linux 5.11+).
const PR_SET_SYSCALL_USER_DISPATCH: u64 = 59;

/// The Sentry's allow-list.
pub fn allow_list() -> Vec<Allowed> {
    vec![
        // sentry: host FDs (stdio, donated gofer files, memory file); runtime: logging.
        allow(SYS_read, "read"),
        allow(SYS_write, "write"),
        // sentry: file I/O at an offset on donated host FDs and the memory file.
        allow(SYS_pread64, "pread64"),
        allow(SYS_pwrite64, "pwrite64"),
        // sentry: vectored I/O on host FDs.
        allow(SYS_readv, "readv"),
        allow(SYS_writev, "writev"),
        // sentry: dropping host FDs; runtime: File drop.
        allow(SYS_close, "close"),
        // sentry: stat of host FDs (glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH);
        // Rust's File::metadata is statx(fd, "", AT_EMPTY_PATH)); paths are
        // refused by requiring AT_EMPTY_PATH.
        allow(SYS_fstat, "fstat"),
        allow_arg_has_bits(SYS_newfstatat, "newfstatat", 3, AT_EMPTY_PATH as u64),
        allow_arg_has_bits(SYS_statx, "statx", 2, AT_EMPTY_PATH as u64),
        // sentry: seeking host files (lseek, SEEK_DATA/SEEK_HOLE).
        allow(SYS_lseek, "lseek"),
        // sentry: mapping the memory file; runtime: allocation; stub: injected mmap.
        allow(SYS_mmap, "mmap"),
        // sentry, runtime: unmapping; stub: unmapping inherited memory, injected munmap.
        allow(SYS_munmap, "munmap"),
        // runtime: guard pages; stub: injected mprotect.
        allow(SYS_mprotect, "mprotect"),
        // sentry: decommitting memory-file pages; runtime: allocator.
        allow(SYS_madvise, "madvise"),
        // runtime: glibc malloc.
        allow(SYS_brk, "brk"),
        // runtime: growing large allocations.
        allow(SYS_mremap, "mremap"),
        // runtime: Mutex, Condvar, Once.
        allow(SYS_futex, "futex"),
        // runtime: signal handlers (stack-overflow guard), abort.
        allow(SYS_rt_sigaction, "rt_sigaction"),
        allow(SYS_rt_sigprocmask, "rt_sigprocmask"),
        allow(SYS_rt_sigreturn, "rt_sigreturn"),
        allow(SYS_sigaltstack, "sigaltstack"),
        // platform: PTRACE_SYSEMU, GETREGS/SETREGS, CONT...; stub: PTRACE_TRACEME.
        allow(SYS_ptrace, "ptrace"),
        // platform: waiting for stubs (waitpid).
        allow(SYS_wait4, "wait4"),
        // platform: stopping/killing stubs; stub: kill(getpid(), SIGSTOP); runtime: abort.
        allow(SYS_kill, "kill"),
        allow(SYS_tgkill, "tgkill"),
        // platform: its own tid; runtime: abort.
        allow(SYS_gettid, "gettid"),
        // stub: kill(getpid(), SIGSTOP); runtime: abort.
        allow(SYS_getpid, "getpid"),
        // platform: forking stubs with a raw clone(SIGCHLD) and cloning stub
        // threads (injected); runtime: pthread_create for the host thread of
        // each guest thread. No other flag sets (no namespaces).
        allow_arg_in(
            SYS_clone,
            "clone",
            0,
            &[SIGCHLD as u64, STUB_THREAD_FLAGS, PTHREAD_FLAGS],
        ),
        // runtime: glibc tries clone3 first; an earlier filter answers ENOSYS
        // (`filter::clone3_enosys`), so glibc falls back to clone above.
        allow(SYS_clone3, "clone3"),
        // stub: idle stub threads wait in pause() until seized.
        allow(SYS_pause, "pause"),
        // runtime: each new host thread registers its robust futex list.
        allow(SYS_set_robust_list, "set_robust_list"),
        // platform: sched_getcpu (when not served by the vDSO).
        allow(SYS_getcpu, "getcpu"),
        // platform: pinning a stub to the Sentry's CPU.
        allow(SYS_sched_setaffinity, "sched_setaffinity"),
        // sentry: sched_getaffinity for the guest (std's available_parallelism).
        allow(SYS_sched_getaffinity, "sched_getaffinity"),
        // sentry: the guest's sched_yield.
        allow(SYS_sched_yield, "sched_yield"),
        // sentry: memory-file allocation and decommit (PUNCH_HOLE).
        allow(SYS_fallocate, "fallocate"),
        // sentry: sizing the memory file; guest truncate of host files.
        allow(SYS_ftruncate, "ftruncate"),
        // sentry: guest fsync on host FDs.
        allow(SYS_fsync, "fsync"),
        // sentry: the memory file.
        allow(SYS_memfd_create, "memfd_create"),
        // sentry: the gofer socket (with SCM_RIGHTS).
        allow(SYS_recvmsg, "recvmsg"),
        allow(SYS_sendmsg, "sendmsg"),
        // kernel: a sleep interrupted by a stop (SIGSTOP, a debugger's
        // attach) resumes through restart_syscall.
        allow(SYS_restart_syscall, "restart_syscall"),
        // runtime: thread exit, process exit.
        allow(SYS_exit, "exit"),
        allow(SYS_exit_group, "exit_group"),
        // sentry: guest clocks and sleeps (when not served by the vDSO).
        allow(SYS_clock_gettime, "clock_gettime"),
        allow(SYS_clock_nanosleep, "clock_nanosleep"),
        allow(SYS_nanosleep, "nanosleep"),
        // sentry: CPU time of the calling host thread (RUSAGE_THREAD only),
        // for the guest's getrusage and times.
        allow_arg_in(SYS_getrusage, "getrusage", 0, &[RUSAGE_THREAD as u64]),
        // sentry: the guest's getrandom and AT_RANDOM; runtime: HashMap keys.
        allow(SYS_getrandom, "getrandom"),
        // sentry: terminal ioctls on host stdio, nothing else.
        allow_arg_in(SYS_ioctl, "ioctl", 1, &TTY_IOCTLS),
        // sentry: readiness of host FDs for the guest's poll/select.
        allow(SYS_poll, "poll"),
        allow(SYS_ppoll, "ppoll"),
        // sentry: FD flags on host FDs (O_NONBLOCK, F_DUPFD_CLOEXEC).
        allow(SYS_fcntl, "fcntl"),
        // sentry: duplicating host FDs.
        allow(SYS_dup, "dup"),
        // stub: a new systrap stub puts its host-file socket at its place.
        allow(SYS_dup3, "dup3"),
        // platform: the socket that passes host files to a systrap stub.
        allow_arg_in(SYS_socketpair, "socketpair", 0, &[AF_UNIX as u64]),
        // stub: prctl(PR_SET_PDEATHSIG) and prctl(PR_SET_DUMPABLE) at stub
        // start, prctl(PR_SET_SYSCALL_USER_DISPATCH) in each systrap stub
        // thread; runtime: naming host threads (PR_SET_NAME). Nothing else.
        allow_arg_in(
            SYS_prctl,
            "prctl",
            0,
            &[
                PR_SET_PDEATHSIG as u64,
                PR_SET_DUMPABLE as u64,
                PR_SET_NAME as u64,
                PR_SET_SYSCALL_USER_DISPATCH,
            ],
        ),
        // stub: unregistering the inherited rseq area.
        allow(SYS_rseq, "rseq"),
        // stub: closing every inherited FD but the memory file.
        allow(SYS_close_range, "close_range"),
    ]
}
