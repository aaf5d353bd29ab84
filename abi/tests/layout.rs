//! Checks the layouts and constants of the `abi` crate against the host's C
//! headers: writes two C programs (one on the kernel's uapi headers, one on
//! glibc's, since the two clash), compiles them with `gcc`, runs them and
//! compares every printed `sizeof`, `offsetof` and constant with Rust's.

use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

use abi::{auxv, elf, fs, mm, net, process, signal, time, tty};

/// Which C program evaluates a check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hdr {
    /// Only kernel uapi headers (`<linux/*.h>`, `<asm/*.h>`).
    Kernel,
    /// glibc headers.
    Libc,
}

struct Check {
    hdr: Hdr,
    c_expr: String,
    rust: i128,
    /// Bits compared (the width of the Rust type, for constants).
    bits: u32,
}

#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn push(&mut self, hdr: Hdr, c_expr: String, rust: i128, bits: u32) {
        self.0.push(Check {
            hdr,
            c_expr,
            rust,
            bits,
        });
    }
}

/// `sizeof` and `offsetof` of fields that have the same name in C and Rust.
macro_rules! layout {
    ($c:expr, $hdr:expr, $ty:ty, $cty:expr, [$($f:ident),* $(,)?]) => {{
        $c.push($hdr, format!("sizeof({})", $cty), size_of::<$ty>() as i128, 64);
        $c.push($hdr, format!("_Alignof({})", $cty), align_of::<$ty>() as i128, 64);
        $( $c.push($hdr, format!("offsetof({}, {})", $cty, stringify!($f)),
                    offset_of!($ty, $f) as i128, 64); )*
    }};
}

/// `offsetof` of a field whose C name differs (`$cf` may be a path `a.b`).
macro_rules! off {
    ($c:expr, $hdr:expr, $ty:ty, $f:ident, $cty:expr, $cf:expr) => {
        $c.push(
            $hdr,
            format!("offsetof({}, {})", $cty, $cf),
            offset_of!($ty, $f) as i128,
            64,
        )
    };
}

/// Constants with the same name in C and Rust, from module `$m`.
macro_rules! konst {
    ($c:expr, $hdr:expr, $m:ident :: [$($k:ident),* $(,)?]) => {{
        $( konst!(@one $c, $hdr, $m::$k, stringify!($k)); )*
    }};
    (@one $c:expr, $hdr:expr, $v:expr, $name:expr) => {{
        let v = $v;
        $c.push($hdr, format!("{}", $name), v as i128, (size_of_val(&v) * 8) as u32);
    }};
}

fn kernel_checks(c: &mut Checks) {
    use Hdr::Kernel as K;
    // fs
    layout!(
        c,
        K,
        fs::Stat,
        "struct stat",
        [
            st_dev,
            st_ino,
            st_nlink,
            st_mode,
            st_uid,
            st_gid,
            __pad0,
            st_rdev,
            st_size,
            st_blksize,
            st_blocks,
            st_atime,
            st_atime_nsec,
            st_mtime,
            st_mtime_nsec,
            st_ctime,
            st_ctime_nsec,
            __unused
        ]
    );
    layout!(
        c,
        K,
        fs::StatxTimestamp,
        "struct statx_timestamp",
        [tv_sec, tv_nsec, __reserved]
    );
    layout!(
        c,
        K,
        fs::Statx,
        "struct statx",
        [
            stx_mask,
            stx_blksize,
            stx_attributes,
            stx_nlink,
            stx_uid,
            stx_gid,
            stx_mode,
            __spare0,
            stx_ino,
            stx_size,
            stx_blocks,
            stx_attributes_mask,
            stx_atime,
            stx_btime,
            stx_ctime,
            stx_mtime,
            stx_rdev_major,
            stx_rdev_minor,
            stx_dev_major,
            stx_dev_minor,
            stx_mnt_id,
            stx_dio_mem_align,
            stx_dio_offset_align,
            __spare3
        ]
    );
    layout!(
        c,
        K,
        fs::Statfs,
        "struct statfs",
        [
            f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen,
            f_frsize, f_flags, f_spare
        ]
    );
    layout!(
        c,
        K,
        fs::Flock,
        "struct flock",
        [l_type, l_whence, l_start, l_len, l_pid]
    );
    layout!(c, K, fs::OpenHow, "struct open_how", [flags, mode, resolve]);
    konst!(c, K, fs::[AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_REMOVEDIR, AT_SYMLINK_FOLLOW,
        AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_STATX_SYNC_TYPE, AT_STATX_SYNC_AS_STAT,
        AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC, AT_RECURSIVE,
        STATX_TYPE, STATX_MODE, STATX_NLINK, STATX_UID, STATX_GID, STATX_ATIME, STATX_MTIME,
        STATX_CTIME, STATX_INO, STATX_SIZE, STATX_BLOCKS, STATX_BASIC_STATS, STATX_BTIME,
        STATX_ALL, STATX_MNT_ID, STATX_DIOALIGN, STATX__RESERVED, STATX_ATTR_COMPRESSED,
        STATX_ATTR_IMMUTABLE, STATX_ATTR_APPEND, STATX_ATTR_NODUMP, STATX_ATTR_ENCRYPTED,
        STATX_ATTR_AUTOMOUNT, STATX_ATTR_MOUNT_ROOT, STATX_ATTR_VERITY, STATX_ATTR_DAX,
        F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN,
        F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX, F_OFD_GETLK, F_OFD_SETLK,
        F_OFD_SETLKW, F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC, F_SETPIPE_SZ,
        F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS, FD_CLOEXEC, F_SEAL_SEAL, F_SEAL_SHRINK,
        F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_RDLCK, F_WRLCK, F_UNLCK,
        SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, RENAME_NOREPLACE, RENAME_EXCHANGE,
        RENAME_WHITEOUT, RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS,
        RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED,
        S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO, S_ISUID,
        S_ISGID, S_ISVTX, S_IRWXU, S_IRUSR, S_IWUSR, S_IXUSR, S_IRWXG, S_IRGRP, S_IWGRP,
        S_IXGRP, S_IRWXO, S_IROTH, S_IWOTH, S_IXOTH]);
    let o = |c: &mut Checks, f: fs::OpenFlags, name: &str| {
        c.push(K, name.to_string(), f.bits() as i128, 32)
    };
    use fs::OpenFlags as O;
    for (f, n) in [
        (O::RDONLY, "O_RDONLY"),
        (O::WRONLY, "O_WRONLY"),
        (O::RDWR, "O_RDWR"),
        (O::ACCMODE, "O_ACCMODE"),
        (O::CREAT, "O_CREAT"),
        (O::EXCL, "O_EXCL"),
        (O::NOCTTY, "O_NOCTTY"),
        (O::TRUNC, "O_TRUNC"),
        (O::APPEND, "O_APPEND"),
        (O::NONBLOCK, "O_NONBLOCK"),
        (O::DSYNC, "O_DSYNC"),
        (O::ASYNC, "FASYNC"),
        (O::DIRECT, "O_DIRECT"),
        (O::LARGEFILE, "O_LARGEFILE"),
        (O::DIRECTORY, "O_DIRECTORY"),
        (O::NOFOLLOW, "O_NOFOLLOW"),
        (O::NOATIME, "O_NOATIME"),
        (O::CLOEXEC, "O_CLOEXEC"),
        (O::SYNC, "O_SYNC"),
        (O::PATH, "O_PATH"),
        (O::TMPFILE, "O_TMPFILE"),
    ] {
        o(c, f, n);
    }

    // mm
    konst!(c, K, mm::[PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN,
        PROT_GROWSUP, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED,
        MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED,
        MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB, MAP_SYNC,
        MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED, MAP_HUGE_SHIFT, MAP_HUGE_MASK, MREMAP_MAYMOVE,
        MREMAP_FIXED, MREMAP_DONTUNMAP, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
        MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK,
        MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP,
        MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT,
        MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_HWPOISON, MS_ASYNC, MS_INVALIDATE,
        MS_SYNC, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT]);

    // signal
    layout!(
        c,
        K,
        signal::SigAction,
        "struct sigaction",
        [sa_handler, sa_flags, sa_restorer, sa_mask]
    );
    layout!(c, K, signal::StackT, "stack_t", [ss_sp, ss_flags, ss_size]);
    layout!(c, K, signal::SigSet, "sigset_t", []);
    layout!(
        c,
        K,
        signal::SigInfo,
        "siginfo_t",
        [si_signo, si_errno, si_code]
    );
    use signal::SigInfo as SI;
    for (rust, cf) in [
        (SI::FIELDS_OFFSET, "_sifields"),
        (SI::PID_OFFSET, "si_pid"),
        (SI::UID_OFFSET, "si_uid"),
        (SI::TIMERID_OFFSET, "si_tid"),
        (SI::OVERRUN_OFFSET, "si_overrun"),
        (SI::VALUE_OFFSET, "si_value"),
        (SI::STATUS_OFFSET, "si_status"),
        (SI::UTIME_OFFSET, "si_utime"),
        (SI::STIME_OFFSET, "si_stime"),
        (SI::ADDR_OFFSET, "si_addr"),
        (SI::ADDR_LSB_OFFSET, "si_addr_lsb"),
        (SI::BAND_OFFSET, "si_band"),
        (SI::FD_OFFSET, "si_fd"),
        (SI::CALL_ADDR_OFFSET, "si_call_addr"),
        (SI::SYSCALL_OFFSET, "si_syscall"),
        (SI::ARCH_OFFSET, "si_arch"),
    ] {
        c.push(K, format!("offsetof(siginfo_t, {cf})"), rust as i128, 64);
    }
    layout!(
        c,
        K,
        signal::FpxSwBytes,
        "struct _fpx_sw_bytes",
        [magic1, extended_size, xfeatures, xstate_size, padding]
    );
    layout!(
        c,
        K,
        signal::FpState,
        "struct _fpstate_64",
        [
            cwd,
            swd,
            twd,
            fop,
            rip,
            rdp,
            mxcsr,
            mxcsr_mask,
            st_space,
            xmm_space,
            reserved2,
            sw_reserved
        ]
    );
    layout!(
        c,
        K,
        signal::MContext,
        "struct sigcontext",
        [
            r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
            eflags, cs, gs, fs, ss, err, trapno, oldmask, cr2, fpstate, reserved1
        ]
    );
    layout!(
        c,
        K,
        signal::UContext,
        "struct ucontext",
        [uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask]
    );
    konst!(c, K, signal::[SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGIOT, SIGBUS,
        SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT,
        SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ,
        SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPOLL, SIGPWR, SIGSYS, SIGRTMIN,
        SIG_DFL, SIG_IGN, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK,
        SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_UNSUPPORTED, SA_EXPOSE_TAGBITS, SA_RESTORER,
        SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND, SS_ONSTACK, SS_DISABLE, SS_AUTODISARM,
        MINSIGSTKSZ, SIGSTKSZ, SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO,
        SI_SIGIO, SI_TKILL, SI_DETHREAD, SI_ASYNCNL, ILL_ILLOPC, ILL_ILLOPN, ILL_ILLADR,
        ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG, ILL_COPROC, ILL_BADSTK, ILL_BADIADDR, FPE_INTDIV,
        FPE_INTOVF, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV, FPE_FLTSUB,
        FPE_FLTUNK, FPE_CONDTRAP, SEGV_MAPERR, SEGV_ACCERR, SEGV_BNDERR, SEGV_PKUERR,
        BUS_ADRALN, BUS_ADRERR, BUS_OBJERR, BUS_MCEERR_AR, BUS_MCEERR_AO, TRAP_BRKPT,
        TRAP_TRACE, TRAP_BRANCH, TRAP_HWBKPT, TRAP_UNK, CLD_EXITED, CLD_KILLED, CLD_DUMPED,
        CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED, POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR,
        POLL_PRI, POLL_HUP, SYS_SECCOMP, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2, UC_FP_XSTATE,
        UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS]);
    c.push(K, "_NSIG".into(), signal::NSIG as i128, 32);

    // time
    layout!(c, K, time::Timespec, "struct timespec", [tv_sec, tv_nsec]);
    layout!(c, K, time::Timeval, "struct timeval", [tv_sec, tv_usec]);
    layout!(
        c,
        K,
        time::Itimerspec,
        "struct itimerspec",
        [it_interval, it_value]
    );
    layout!(
        c,
        K,
        time::Itimerval,
        "struct itimerval",
        [it_interval, it_value]
    );
    layout!(
        c,
        K,
        time::Timezone,
        "struct timezone",
        [tz_minuteswest, tz_dsttime]
    );
    konst!(c, K, time::[CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
        CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
        CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM,
        CLOCK_TAI, TIMER_ABSTIME, ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF]);

    // process
    layout!(
        c,
        K,
        process::Utsname,
        "struct new_utsname",
        [sysname, nodename, release, version, machine, domainname]
    );
    layout!(c, K, process::Rlimit, "struct rlimit", [rlim_cur, rlim_max]);
    layout!(
        c,
        K,
        process::Rusage,
        "struct rusage",
        [
            ru_utime,
            ru_stime,
            ru_maxrss,
            ru_ixrss,
            ru_idrss,
            ru_isrss,
            ru_minflt,
            ru_majflt,
            ru_nswap,
            ru_inblock,
            ru_oublock,
            ru_msgsnd,
            ru_msgrcv,
            ru_nsignals,
            ru_nvcsw,
            ru_nivcsw
        ]
    );
    layout!(
        c,
        K,
        process::Tms,
        "struct tms",
        [tms_utime, tms_stime, tms_cutime, tms_cstime]
    );
    layout!(
        c,
        K,
        process::Sysinfo,
        "struct sysinfo",
        [
            uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap, procs,
            pad, totalhigh, freehigh, mem_unit
        ]
    );
    layout!(c, K, process::Iovec, "struct iovec", [iov_base, iov_len]);
    layout!(
        c,
        K,
        process::Clone3Args,
        "struct clone_args",
        [
            flags,
            pidfd,
            child_tid,
            parent_tid,
            exit_signal,
            stack,
            stack_size,
            tls,
            set_tid,
            set_tid_size,
            cgroup
        ]
    );
    layout!(
        c,
        K,
        process::CapUserHeader,
        "struct __user_cap_header_struct",
        [version, pid]
    );
    layout!(
        c,
        K,
        process::CapUserData,
        "struct __user_cap_data_struct",
        [effective, permitted, inheritable]
    );
    layout!(
        c,
        K,
        process::RobustListHead,
        "struct robust_list_head",
        [list, futex_offset, list_op_pending]
    );
    konst!(c, K, process::[RLIM_INFINITY, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK,
        RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS,
        RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO,
        RLIMIT_RTTIME, RLIM_NLIMITS, RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD, UIO_MAXIOV,
        CSIGNAL, CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER1, CLONE_ARGS_SIZE_VER2,
        WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT, __WNOTHREAD, __WALL,
        __WCLONE, P_ALL, P_PID, P_PGID, P_PIDFD,
        PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS,
        PR_SET_KEEPCAPS, PR_GET_TIMING, PR_SET_TIMING, PR_SET_NAME, PR_GET_NAME, PR_GET_ENDIAN,
        PR_SET_ENDIAN, PR_GET_SECCOMP, PR_SET_SECCOMP, PR_CAPBSET_READ, PR_CAPBSET_DROP,
        PR_GET_TSC, PR_SET_TSC, PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_SET_TIMERSLACK,
        PR_GET_TIMERSLACK, PR_TASK_PERF_EVENTS_DISABLE, PR_TASK_PERF_EVENTS_ENABLE,
        PR_MCE_KILL, PR_MCE_KILL_GET, PR_SET_MM, PR_SET_CHILD_SUBREAPER,
        PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_GET_TID_ADDRESS,
        PR_SET_THP_DISABLE, PR_GET_THP_DISABLE, PR_SET_FP_MODE, PR_GET_FP_MODE,
        PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER,
        PR_CAP_AMBIENT_CLEAR_ALL, PR_GET_SPECULATION_CTRL, PR_SET_SPECULATION_CTRL,
        PR_SET_TAGGED_ADDR_CTRL, PR_GET_TAGGED_ADDR_CTRL, PR_SET_IO_FLUSHER, PR_GET_IO_FLUSHER,
        PR_SET_SYSCALL_USER_DISPATCH, PR_SET_PTRACER, PR_SET_VMA, PR_SET_VMA_ANON_NAME,
        ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS, ARCH_GET_CPUID, ARCH_SET_CPUID,
        ARCH_MAP_VDSO_X32, ARCH_MAP_VDSO_32, ARCH_MAP_VDSO_64,
        FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
        FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET,
        FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG,
        FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_BITSET_MATCH_ANY, FUTEX_WAITERS,
        FUTEX_OWNER_DIED, FUTEX_TID_MASK, ROBUST_LIST_LIMIT, FUTEX_OP_SET, FUTEX_OP_ADD,
        FUTEX_OP_OR, FUTEX_OP_ANDN, FUTEX_OP_XOR, FUTEX_OP_OPARG_SHIFT, FUTEX_OP_CMP_EQ,
        FUTEX_OP_CMP_NE, FUTEX_OP_CMP_LT, FUTEX_OP_CMP_LE, FUTEX_OP_CMP_GT, FUTEX_OP_CMP_GE,
        GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE]);
    for (v, n) in [
        (
            process::LINUX_CAPABILITY_VERSION_1,
            "_LINUX_CAPABILITY_VERSION_1",
        ),
        (
            process::LINUX_CAPABILITY_VERSION_2,
            "_LINUX_CAPABILITY_VERSION_2",
        ),
        (
            process::LINUX_CAPABILITY_VERSION_3,
            "_LINUX_CAPABILITY_VERSION_3",
        ),
    ] {
        c.push(K, n.into(), v as i128, 32);
    }
    c.push(
        K,
        "_LINUX_CAPABILITY_U32S_1".into(),
        process::LINUX_CAPABILITY_U32S_1 as i128,
        64,
    );
    c.push(
        K,
        "_LINUX_CAPABILITY_U32S_3".into(),
        process::LINUX_CAPABILITY_U32S_3 as i128,
        64,
    );
    c.push(
        K,
        "(__NEW_UTS_LEN + 1)".into(),
        process::UTS_FIELD_LEN as i128,
        64,
    );
    use process::CloneFlags as CF;
    for (f, n) in [
        (CF::NEWTIME, "CLONE_NEWTIME"),
        (CF::VM, "CLONE_VM"),
        (CF::FS, "CLONE_FS"),
        (CF::FILES, "CLONE_FILES"),
        (CF::SIGHAND, "CLONE_SIGHAND"),
        (CF::PIDFD, "CLONE_PIDFD"),
        (CF::PTRACE, "CLONE_PTRACE"),
        (CF::VFORK, "CLONE_VFORK"),
        (CF::PARENT, "CLONE_PARENT"),
        (CF::THREAD, "CLONE_THREAD"),
        (CF::NEWNS, "CLONE_NEWNS"),
        (CF::SYSVSEM, "CLONE_SYSVSEM"),
        (CF::SETTLS, "CLONE_SETTLS"),
        (CF::PARENT_SETTID, "CLONE_PARENT_SETTID"),
        (CF::CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
        (CF::DETACHED, "CLONE_DETACHED"),
        (CF::UNTRACED, "CLONE_UNTRACED"),
        (CF::CHILD_SETTID, "CLONE_CHILD_SETTID"),
        (CF::NEWCGROUP, "CLONE_NEWCGROUP"),
        (CF::NEWUTS, "CLONE_NEWUTS"),
        (CF::NEWIPC, "CLONE_NEWIPC"),
        (CF::NEWUSER, "CLONE_NEWUSER"),
        (CF::NEWPID, "CLONE_NEWPID"),
        (CF::NEWNET, "CLONE_NEWNET"),
        (CF::IO, "CLONE_IO"),
        (CF::CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"),
        (CF::INTO_CGROUP, "CLONE_INTO_CGROUP"),
    ] {
        c.push(K, n.into(), f.bits() as i128, 64);
    }

    // tty
    layout!(
        c,
        K,
        tty::Termios,
        "struct termios",
        [c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc]
    );
    layout!(
        c,
        K,
        tty::Winsize,
        "struct winsize",
        [ws_row, ws_col, ws_xpixel, ws_ypixel]
    );
    konst!(c, K, tty::[NCCS, TCGETS, TCSETS, TCSETSW, TCSETSF, TCSBRK, TCXONC, TCFLSH,
        TIOCEXCL, TIOCNXCL, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCOUTQ, TIOCSTI, TIOCGWINSZ,
        TIOCSWINSZ, TIOCMGET, TIOCMSET, FIONREAD, TIOCLINUX, TIOCCONS, TIOCPKT, FIONBIO,
        TIOCNOTTY, TIOCSETD, TIOCGETD, TCSBRKP, TIOCSBRK, TIOCCBRK, TIOCGSID, TIOCGPTN,
        TIOCSPTLCK, TIOCGDEV, TIOCSIG, TIOCVHANGUP, TIOCGPKT, TIOCGPTLCK, TIOCGEXCL,
        TIOCGPTPEER, FIONCLEX, FIOCLEX, FIOASYNC, FIOQSIZE, TCSANOW, TCSADRAIN, TCSAFLUSH,
        TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF, TCOON, TCIOFF, TCION, VINTR, VQUIT, VERASE,
        VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VDISCARD,
        VWERASE, VLNEXT, VEOL2, IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR,
        ICRNL, IUCLC, IXON, IXANY, IXOFF, IMAXBEL, IUTF8, OPOST, OLCUC, ONLCR, OCRNL, ONOCR,
        ONLRET, OFILL, OFDEL, TABDLY, XTABS, CBAUD, B0, B9600, B19200, B38400, B115200, CSIZE,
        CS5, CS6, CS7, CS8, CSTOPB, CREAD, PARENB, PARODD, HUPCL, CLOCAL, CBAUDEX, CIBAUD,
        CRTSCTS, ISIG, ICANON, XCASE, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP, ECHOCTL,
        ECHOPRT, ECHOKE, FLUSHO, PENDIN, IEXTEN, EXTPROC]);

    // auxv
    konst!(c, K, auxv::[AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ,
        AT_BASE, AT_FLAGS, AT_ENTRY, AT_NOTELF, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM,
        AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_BASE_PLATFORM, AT_RANDOM, AT_HWCAP2, AT_EXECFN,
        AT_SYSINFO_EHDR, AT_MINSIGSTKSZ]);

    // net
    layout!(
        c,
        K,
        net::SockaddrIn,
        "struct sockaddr_in",
        [sin_family, sin_port, sin_addr, sin_zero]
    );
    layout!(
        c,
        K,
        net::SockaddrIn6,
        "struct sockaddr_in6",
        [
            sin6_family,
            sin6_port,
            sin6_flowinfo,
            sin6_addr,
            sin6_scope_id
        ]
    );
    layout!(
        c,
        K,
        net::SockaddrUn,
        "struct sockaddr_un",
        [sun_family, sun_path]
    );
    layout!(
        c,
        K,
        net::SockaddrStorage,
        "struct __kernel_sockaddr_storage",
        [ss_family]
    );
    layout!(c, K, net::PollFd, "struct pollfd", [fd, events, revents]);
    layout!(c, K, net::EpollEvent, "struct epoll_event", [events, data]);
    konst!(c, K, net::[IPPROTO_IP, IPPROTO_ICMP, IPPROTO_TCP,
        IPPROTO_UDP, IPPROTO_IPV6, UNIX_PATH_MAX, SOL_SOCKET, SO_DEBUG, SO_REUSEADDR, SO_TYPE,
        SO_ERROR, SO_DONTROUTE, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE,
        SO_NO_CHECK, SO_PRIORITY, SO_LINGER, SO_BSDCOMPAT, SO_REUSEPORT, SO_PASSCRED,
        SO_PEERCRED, SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO, SO_SNDTIMEO, SO_BINDTODEVICE,
        SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_PEERNAME, SO_TIMESTAMP, SO_ACCEPTCONN,
        SO_PEERSEC, SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_PASSSEC, SO_MARK, SO_PROTOCOL,
        SO_DOMAIN, SO_PEEK_OFF, POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL,
        POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLMSG, POLLREMOVE, POLLRDHUP,
        EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLNVAL, EPOLLRDNORM, EPOLLRDBAND,
        EPOLLWRNORM, EPOLLWRBAND, EPOLLMSG, EPOLLRDHUP, EPOLLEXCLUSIVE, EPOLLWAKEUP,
        EPOLLONESHOT, EPOLLET, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLL_CLOEXEC]);

    // elf
    layout!(
        c,
        K,
        elf::Elf64Ehdr,
        "Elf64_Ehdr",
        [
            e_ident,
            e_type,
            e_machine,
            e_version,
            e_entry,
            e_phoff,
            e_shoff,
            e_flags,
            e_ehsize,
            e_phentsize,
            e_phnum,
            e_shentsize,
            e_shnum,
            e_shstrndx
        ]
    );
    layout!(
        c,
        K,
        elf::Elf64Phdr,
        "Elf64_Phdr",
        [
            p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
        ]
    );
}

fn libc_checks(c: &mut Checks) {
    use Hdr::Libc as L;
    // glibc's struct stat has the kernel's layout on x86-64, with other names.
    c.push(
        L,
        "sizeof(struct stat)".into(),
        size_of::<fs::Stat>() as i128,
        64,
    );
    off!(c, L, fs::Stat, st_dev, "struct stat", "st_dev");
    off!(c, L, fs::Stat, st_nlink, "struct stat", "st_nlink");
    off!(c, L, fs::Stat, st_rdev, "struct stat", "st_rdev");
    off!(c, L, fs::Stat, st_blocks, "struct stat", "st_blocks");
    off!(c, L, fs::Stat, st_atime, "struct stat", "st_atim.tv_sec");
    off!(
        c,
        L,
        fs::Stat,
        st_atime_nsec,
        "struct stat",
        "st_atim.tv_nsec"
    );
    off!(c, L, fs::Stat, st_mtime, "struct stat", "st_mtim.tv_sec");
    off!(
        c,
        L,
        fs::Stat,
        st_mtime_nsec,
        "struct stat",
        "st_mtim.tv_nsec"
    );
    off!(c, L, fs::Stat, st_ctime, "struct stat", "st_ctim.tv_sec");
    off!(
        c,
        L,
        fs::Stat,
        st_ctime_nsec,
        "struct stat",
        "st_ctim.tv_nsec"
    );
    layout!(
        c,
        L,
        fs::Statfs,
        "struct statfs",
        [
            f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen,
            f_frsize, f_flags, f_spare
        ]
    );
    // The dirent64 header ends where the name starts.
    c.push(
        L,
        "offsetof(struct dirent64, d_name)".into(),
        size_of::<fs::Dirent64>() as i128,
        64,
    );
    for (rust, cf) in [
        (offset_of!(fs::Dirent64, d_ino), "d_ino"),
        (offset_of!(fs::Dirent64, d_off), "d_off"),
        (offset_of!(fs::Dirent64, d_reclen), "d_reclen"),
        (offset_of!(fs::Dirent64, d_type), "d_type"),
    ] {
        c.push(
            L,
            format!("offsetof(struct dirent64, {cf})"),
            rust as i128,
            64,
        );
    }
    konst!(c, L, fs::[DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK,
        DT_WHT, F_OK, X_OK, W_OK, R_OK, PATH_MAX, NAME_MAX]);
    // glibc's mcontext_t is the kernel's sigcontext with registers in gregs[].
    off!(c, L, signal::MContext, r8, "mcontext_t", "gregs[REG_R8]");
    off!(c, L, signal::MContext, rdi, "mcontext_t", "gregs[REG_RDI]");
    off!(c, L, signal::MContext, rsp, "mcontext_t", "gregs[REG_RSP]");
    off!(c, L, signal::MContext, rip, "mcontext_t", "gregs[REG_RIP]");
    off!(
        c,
        L,
        signal::MContext,
        eflags,
        "mcontext_t",
        "gregs[REG_EFL]"
    );
    off!(
        c,
        L,
        signal::MContext,
        cs,
        "mcontext_t",
        "gregs[REG_CSGSFS]"
    );
    off!(c, L, signal::MContext, err, "mcontext_t", "gregs[REG_ERR]");
    off!(
        c,
        L,
        signal::MContext,
        trapno,
        "mcontext_t",
        "gregs[REG_TRAPNO]"
    );
    off!(
        c,
        L,
        signal::MContext,
        oldmask,
        "mcontext_t",
        "gregs[REG_OLDMASK]"
    );
    off!(c, L, signal::MContext, cr2, "mcontext_t", "gregs[REG_CR2]");
    off!(c, L, signal::MContext, fpstate, "mcontext_t", "fpregs");
    c.push(
        L,
        "sizeof(mcontext_t)".into(),
        size_of::<signal::MContext>() as i128,
        64,
    );
    c.push(
        L,
        "sizeof(struct _libc_fpstate)".into(),
        size_of::<signal::FpState>() as i128,
        64,
    );
    off!(
        c,
        L,
        signal::FpState,
        mxcsr,
        "struct _libc_fpstate",
        "mxcsr"
    );
    off!(
        c,
        L,
        signal::FpState,
        st_space,
        "struct _libc_fpstate",
        "_st"
    );
    off!(
        c,
        L,
        signal::FpState,
        xmm_space,
        "struct _libc_fpstate",
        "_xmm"
    );
    off!(
        c,
        L,
        signal::UContext,
        uc_mcontext,
        "ucontext_t",
        "uc_mcontext"
    );
    off!(
        c,
        L,
        signal::UContext,
        uc_sigmask,
        "ucontext_t",
        "uc_sigmask"
    );
    c.push(
        L,
        "sizeof(siginfo_t)".into(),
        size_of::<signal::SigInfo>() as i128,
        64,
    );
    layout!(
        c,
        L,
        process::Utsname,
        "struct utsname",
        [sysname, nodename, release, version, machine, domainname]
    );
    layout!(
        c,
        L,
        process::Rusage,
        "struct rusage",
        [ru_utime, ru_stime, ru_maxrss, ru_nivcsw]
    );
    layout!(
        c,
        L,
        process::Sysinfo,
        "struct sysinfo",
        [uptime, procs, totalhigh, mem_unit]
    );
    layout!(
        c,
        L,
        net::Msghdr,
        "struct msghdr",
        [
            msg_name,
            msg_namelen,
            msg_iov,
            msg_iovlen,
            msg_control,
            msg_controllen,
            msg_flags
        ]
    );
    layout!(c, L, net::Mmsghdr, "struct mmsghdr", [msg_hdr, msg_len]);
    layout!(
        c,
        L,
        net::Cmsghdr,
        "struct cmsghdr",
        [cmsg_len, cmsg_level, cmsg_type]
    );
    layout!(c, L, net::Ucred, "struct ucred", [pid, uid, gid]);
    layout!(c, L, net::Linger, "struct linger", [l_onoff, l_linger]);
    layout!(c, L, net::EpollEvent, "struct epoll_event", [events, data]);
    layout!(
        c,
        L,
        net::SockaddrStorage,
        "struct sockaddr_storage",
        [ss_family]
    );
    c.push(
        L,
        "CMSG_LEN(4)".into(),
        net::cmsg_len(4).unwrap() as i128,
        64,
    );
    c.push(
        L,
        "CMSG_SPACE(4)".into(),
        net::cmsg_space(4).unwrap() as i128,
        64,
    );
    c.push(
        L,
        "CMSG_SPACE(12)".into(),
        net::cmsg_space(12).unwrap() as i128,
        64,
    );
    konst!(c, L, time::[UTIME_NOW, UTIME_OMIT]);
    konst!(c, L, net::[SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET,
        SOCK_PACKET, SOCK_NONBLOCK, SOCK_CLOEXEC, AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET,
        MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_PROXY, MSG_TRUNC, MSG_DONTWAIT,
        MSG_EOR, MSG_WAITALL, MSG_FIN, MSG_SYN, MSG_CONFIRM, MSG_RST, MSG_ERRQUEUE,
        MSG_NOSIGNAL, MSG_MORE, MSG_WAITFORONE, MSG_BATCH, MSG_ZEROCOPY, MSG_FASTOPEN,
        MSG_CMSG_CLOEXEC, SCM_RIGHTS, SCM_CREDENTIALS, SHUT_RD, SHUT_WR, SHUT_RDWR]);
    konst!(c, L, elf::[SELFMAG, EI_NIDENT, EI_CLASS, EI_DATA, EI_VERSION, EI_OSABI, ELFCLASS32,
        ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, EV_CURRENT, ET_NONE, ET_REL, ET_EXEC, ET_DYN,
        ET_CORE, EM_X86_64, PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_SHLIB,
        PT_PHDR, PT_TLS, PT_GNU_EH_FRAME, PT_GNU_STACK, PT_GNU_RELRO, PT_GNU_PROPERTY, PF_X,
        PF_W, PF_R]);
    for (i, b) in elf::ELFMAG.iter().enumerate() {
        c.push(L, format!("(unsigned char)ELFMAG[{i}]"), *b as i128, 8);
    }
    c.push(L, "sysconf(_SC_PAGESIZE)".into(), mm::PAGE_SIZE as i128, 64);
}

const KERNEL_PRELUDE: &str = r#"
#include <linux/types.h>
#include <asm/stat.h>
#include <linux/stat.h>
#include <asm/statfs.h>
#include <linux/fcntl.h>
#include <linux/openat2.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/signal.h>
#include <asm/siginfo.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/time.h>
#include <linux/utsname.h>
#include <linux/resource.h>
#include <linux/times.h>
#include <linux/sysinfo.h>
#include <linux/uio.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/prctl.h>
#include <asm/prctl.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/random.h>
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <asm/termios.h>
#include <linux/socket.h>
#include <asm/socket.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/un.h>
#include <linux/net.h>
#include <asm/poll.h>
#include <linux/eventpoll.h>
#ifndef _NSIG
#define _NSIG 64
#endif
"#;

const LIBC_PRELUDE: &str = r#"
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/ucontext.h>
#include <sys/utsname.h>
#include <limits.h>
#include <unistd.h>
"#;

/// Compiles and runs a C program printing `exprs`, returning their values in order.
fn run_c(dir: &std::path::Path, name: &str, prelude: &str, exprs: &[&str]) -> Vec<i128> {
    let mut src = String::from(prelude);
    src.push_str("#include <stddef.h>\n#include <stdio.h>\nint main(void) {\n");
    for e in exprs {
        // Printed signed; the caller compares at the width of the Rust type.
        writeln!(src, "    printf(\"%lld\\n\", (long long)({e}));").unwrap();
    }
    src.push_str("    return 0;\n}\n");
    let c_path = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&c_path, &src).unwrap();
    let out = Command::new("gcc")
        .args(["-std=gnu11", "-Wall", "-Werror=int-conversion", "-o"])
        .arg(&exe)
        .arg(&c_path)
        .output()
        .expect("running gcc");
    assert!(
        out.status.success(),
        "gcc failed on {}:\n{}",
        c_path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().expect("running the C program");
    assert!(run.status.success());
    let vals: Vec<i128> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(vals.len(), exprs.len());
    vals
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rvisor-abi-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn layouts_and_constants_match_c_headers() {
    let mut checks = Checks::default();
    kernel_checks(&mut checks);
    libc_checks(&mut checks);
    let dir = temp_dir();
    let mut failures = Vec::new();
    for (hdr, name, prelude) in [
        (Hdr::Kernel, "kernel", KERNEL_PRELUDE),
        (Hdr::Libc, "libc", LIBC_PRELUDE),
    ] {
        let mine: Vec<&Check> = checks.0.iter().filter(|c| c.hdr == hdr).collect();
        let exprs: Vec<&str> = mine.iter().map(|c| c.c_expr.as_str()).collect();
        let vals = run_c(&dir, name, prelude, &exprs);
        for (check, c_val) in mine.iter().zip(vals) {
            let mask: i128 = if check.bits >= 128 {
                -1
            } else {
                (1i128 << check.bits) - 1
            };
            if c_val & mask != check.rust & mask {
                failures.push(format!(
                    "[{name}] {}: C = {c_val:#x}, Rust = {:#x}",
                    check.c_expr, check.rust
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checks.0.len() > 600, "only {} checks", checks.0.len());
}
