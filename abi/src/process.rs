//! Process ABI: `uname`, resource limits and usage, `times`, `sysinfo`,
//! `iovec`, `clone`/`clone3`, `wait` options, `prctl`, `arch_prctl`,
//! capabilities, futexes, robust lists and `getrandom`.

use bitflags::bitflags;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::time::Timeval;

/// Length of each `utsname` field, NUL included (`__NEW_UTS_LEN + 1`).
pub const UTS_FIELD_LEN: usize = 65;

/// `struct new_utsname` (`uname`, 6 × 65 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Utsname {
    /// `sysname` ("Linux").
    pub sysname: [u8; UTS_FIELD_LEN],
    /// `nodename`: the host name.
    pub nodename: [u8; UTS_FIELD_LEN],
    /// `release`.
    pub release: [u8; UTS_FIELD_LEN],
    /// `version`.
    pub version: [u8; UTS_FIELD_LEN],
    /// `machine` ("x86_64").
    pub machine: [u8; UTS_FIELD_LEN],
    /// `domainname`.
    pub domainname: [u8; UTS_FIELD_LEN],
}

impl Default for Utsname {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl Utsname {
    /// Copies `s` into a field, truncated to 64 bytes so a NUL always ends it.
    pub fn set_field(field: &mut [u8; UTS_FIELD_LEN], s: &str) {
        *field = [0; UTS_FIELD_LEN];
        let n = s.len().min(UTS_FIELD_LEN - 1);
        field[..n].copy_from_slice(&s.as_bytes()[..n]);
    }
}

/// `struct rlimit` (`getrlimit`, `prlimit64`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Rlimit {
    /// `rlim_cur`: soft limit.
    pub rlim_cur: u64,
    /// `rlim_max`: hard limit.
    pub rlim_max: u64,
}

/// `RLIM_INFINITY`
pub const RLIM_INFINITY: u64 = u64::MAX;
/// `RLIMIT_CPU`
pub const RLIMIT_CPU: u32 = 0;
/// `RLIMIT_FSIZE`
pub const RLIMIT_FSIZE: u32 = 1;
/// `RLIMIT_DATA`
pub const RLIMIT_DATA: u32 = 2;
/// `RLIMIT_STACK`
pub const RLIMIT_STACK: u32 = 3;
/// `RLIMIT_CORE`
pub const RLIMIT_CORE: u32 = 4;
/// `RLIMIT_RSS`
pub const RLIMIT_RSS: u32 = 5;
/// `RLIMIT_NPROC`
pub const RLIMIT_NPROC: u32 = 6;
/// `RLIMIT_NOFILE`
pub const RLIMIT_NOFILE: u32 = 7;
/// `RLIMIT_MEMLOCK`
pub const RLIMIT_MEMLOCK: u32 = 8;
/// `RLIMIT_AS`
pub const RLIMIT_AS: u32 = 9;
/// `RLIMIT_LOCKS`
pub const RLIMIT_LOCKS: u32 = 10;
/// `RLIMIT_SIGPENDING`
pub const RLIMIT_SIGPENDING: u32 = 11;
/// `RLIMIT_MSGQUEUE`
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// `RLIMIT_NICE`
pub const RLIMIT_NICE: u32 = 13;
/// `RLIMIT_RTPRIO`
pub const RLIMIT_RTPRIO: u32 = 14;
/// `RLIMIT_RTTIME`
pub const RLIMIT_RTTIME: u32 = 15;
/// `RLIM_NLIMITS`: the number of resources.
pub const RLIM_NLIMITS: u32 = 16;

/// `RUSAGE_SELF`
pub const RUSAGE_SELF: i32 = 0;
/// `RUSAGE_CHILDREN`
pub const RUSAGE_CHILDREN: i32 = -1;
/// `RUSAGE_THREAD`
pub const RUSAGE_THREAD: i32 = 1;

/// `struct rusage` (144 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Rusage {
    /// `ru_utime`: user CPU time.
    pub ru_utime: Timeval,
    /// `ru_stime`: system CPU time.
    pub ru_stime: Timeval,
    /// `ru_maxrss`: peak resident set, KiB.
    pub ru_maxrss: i64,
    /// `ru_ixrss`
    pub ru_ixrss: i64,
    /// `ru_idrss`
    pub ru_idrss: i64,
    /// `ru_isrss`
    pub ru_isrss: i64,
    /// `ru_minflt`: minor faults.
    pub ru_minflt: i64,
    /// `ru_majflt`: major faults.
    pub ru_majflt: i64,
    /// `ru_nswap`
    pub ru_nswap: i64,
    /// `ru_inblock`
    pub ru_inblock: i64,
    /// `ru_oublock`
    pub ru_oublock: i64,
    /// `ru_msgsnd`
    pub ru_msgsnd: i64,
    /// `ru_msgrcv`
    pub ru_msgrcv: i64,
    /// `ru_nsignals`
    pub ru_nsignals: i64,
    /// `ru_nvcsw`: voluntary context switches.
    pub ru_nvcsw: i64,
    /// `ru_nivcsw`: involuntary context switches.
    pub ru_nivcsw: i64,
}

/// `struct tms` (`times`), in clock ticks.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Tms {
    /// `tms_utime`
    pub tms_utime: i64,
    /// `tms_stime`
    pub tms_stime: i64,
    /// `tms_cutime`
    pub tms_cutime: i64,
    /// `tms_cstime`
    pub tms_cstime: i64,
}

/// `struct sysinfo` (112 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Sysinfo {
    /// `uptime`: seconds since boot.
    pub uptime: i64,
    /// `loads`: 1, 5 and 15 minute load averages (fixed point, `1 << 16`).
    pub loads: [u64; 3],
    /// `totalram`
    pub totalram: u64,
    /// `freeram`
    pub freeram: u64,
    /// `sharedram`
    pub sharedram: u64,
    /// `bufferram`
    pub bufferram: u64,
    /// `totalswap`
    pub totalswap: u64,
    /// `freeswap`
    pub freeswap: u64,
    /// `procs`: number of processes.
    pub procs: u16,
    /// `pad`
    pub pad: u16,
    /// Padding.
    pub _pad2: u32,
    /// `totalhigh`
    pub totalhigh: u64,
    /// `freehigh`
    pub freehigh: u64,
    /// `mem_unit`: the unit of the memory sizes, in bytes.
    pub mem_unit: u32,
    /// Padding (`_f`).
    pub _pad3: u32,
}

/// `struct iovec` (16 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Iovec {
    /// `iov_base`: guest address.
    pub iov_base: u64,
    /// `iov_len`.
    pub iov_len: u64,
}

/// `UIO_MAXIOV` (`IOV_MAX`): the most iovecs one call accepts.
pub const UIO_MAXIOV: usize = 1024;

/// `CSIGNAL`: the exit-signal byte of `clone`'s flags.
pub const CSIGNAL: u64 = 0xff;

bitflags! {
    /// `CLONE_*` flags of `clone` and `clone3` (for `clone`, mask off
    /// [`CSIGNAL`] first).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct CloneFlags: u64 {
        /// `CLONE_NEWTIME` (`clone3` and `unshare` only; overlaps `CSIGNAL`)
        const NEWTIME = 0x80;
        /// `CLONE_VM`
        const VM = 0x100;
        /// `CLONE_FS`
        const FS = 0x200;
        /// `CLONE_FILES`
        const FILES = 0x400;
        /// `CLONE_SIGHAND`
        const SIGHAND = 0x800;
        /// `CLONE_PIDFD`
        const PIDFD = 0x1000;
        /// `CLONE_PTRACE`
        const PTRACE = 0x2000;
        /// `CLONE_VFORK`
        const VFORK = 0x4000;
        /// `CLONE_PARENT`
        const PARENT = 0x8000;
        /// `CLONE_THREAD`
        const THREAD = 0x1_0000;
        /// `CLONE_NEWNS`
        const NEWNS = 0x2_0000;
        /// `CLONE_SYSVSEM`
        const SYSVSEM = 0x4_0000;
        /// `CLONE_SETTLS`
        const SETTLS = 0x8_0000;
        /// `CLONE_PARENT_SETTID`
        const PARENT_SETTID = 0x10_0000;
        /// `CLONE_CHILD_CLEARTID`
        const CHILD_CLEARTID = 0x20_0000;
        /// `CLONE_DETACHED` (ignored)
        const DETACHED = 0x40_0000;
        /// `CLONE_UNTRACED`
        const UNTRACED = 0x80_0000;
        /// `CLONE_CHILD_SETTID`
        const CHILD_SETTID = 0x100_0000;
        /// `CLONE_NEWCGROUP`
        const NEWCGROUP = 0x200_0000;
        /// `CLONE_NEWUTS`
        const NEWUTS = 0x400_0000;
        /// `CLONE_NEWIPC`
        const NEWIPC = 0x800_0000;
        /// `CLONE_NEWUSER`
        const NEWUSER = 0x1000_0000;
        /// `CLONE_NEWPID`
        const NEWPID = 0x2000_0000;
        /// `CLONE_NEWNET`
        const NEWNET = 0x4000_0000;
        /// `CLONE_IO`
        const IO = 0x8000_0000;
        /// `CLONE_CLEAR_SIGHAND` (`clone3` only)
        const CLEAR_SIGHAND = 0x1_0000_0000;
        /// `CLONE_INTO_CGROUP` (`clone3` only)
        const INTO_CGROUP = 0x2_0000_0000;
    }
}

/// `struct clone_args` (`clone3`, 88 bytes in its current version).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Clone3Args {
    /// `flags`: `CLONE_*`.
    pub flags: u64,
    /// `pidfd`: where to store the pidfd (`CLONE_PIDFD`).
    pub pidfd: u64,
    /// `child_tid`: `CLONE_CHILD_SETTID`/`CLEARTID` address.
    pub child_tid: u64,
    /// `parent_tid`: `CLONE_PARENT_SETTID` address.
    pub parent_tid: u64,
    /// `exit_signal`.
    pub exit_signal: u64,
    /// `stack`: lowest address of the child's stack.
    pub stack: u64,
    /// `stack_size`.
    pub stack_size: u64,
    /// `tls`: `CLONE_SETTLS` value.
    pub tls: u64,
    /// `set_tid`: array of pids to request.
    pub set_tid: u64,
    /// `set_tid_size`.
    pub set_tid_size: u64,
    /// `cgroup`: `CLONE_INTO_CGROUP` fd.
    pub cgroup: u64,
}

/// `CLONE_ARGS_SIZE_VER0`
pub const CLONE_ARGS_SIZE_VER0: usize = 64;
/// `CLONE_ARGS_SIZE_VER1`
pub const CLONE_ARGS_SIZE_VER1: usize = 80;
/// `CLONE_ARGS_SIZE_VER2`
pub const CLONE_ARGS_SIZE_VER2: usize = 88;

/// `WNOHANG`
pub const WNOHANG: u32 = 0x1;
/// `WUNTRACED`
pub const WUNTRACED: u32 = 0x2;
/// `WSTOPPED` (`waitid`; same as `WUNTRACED`)
pub const WSTOPPED: u32 = 0x2;
/// `WEXITED`
pub const WEXITED: u32 = 0x4;
/// `WCONTINUED`
pub const WCONTINUED: u32 = 0x8;
/// `WNOWAIT`
pub const WNOWAIT: u32 = 0x0100_0000;
/// `__WNOTHREAD`
pub const __WNOTHREAD: u32 = 0x2000_0000;
/// `__WALL`
pub const __WALL: u32 = 0x4000_0000;
/// `__WCLONE`
pub const __WCLONE: u32 = 0x8000_0000;

/// `P_ALL`
pub const P_ALL: i32 = 0;
/// `P_PID`
pub const P_PID: i32 = 1;
/// `P_PGID`
pub const P_PGID: i32 = 2;
/// `P_PIDFD`
pub const P_PIDFD: i32 = 3;

/// `PR_SET_PDEATHSIG`
pub const PR_SET_PDEATHSIG: i32 = 1;
/// `PR_GET_PDEATHSIG`
pub const PR_GET_PDEATHSIG: i32 = 2;
/// `PR_GET_DUMPABLE`
pub const PR_GET_DUMPABLE: i32 = 3;
/// `PR_SET_DUMPABLE`
pub const PR_SET_DUMPABLE: i32 = 4;
/// `PR_GET_KEEPCAPS`
pub const PR_GET_KEEPCAPS: i32 = 7;
/// `PR_SET_KEEPCAPS`
pub const PR_SET_KEEPCAPS: i32 = 8;
/// `PR_GET_TIMING`
pub const PR_GET_TIMING: i32 = 13;
/// `PR_SET_TIMING`
pub const PR_SET_TIMING: i32 = 14;
/// `PR_SET_NAME`
pub const PR_SET_NAME: i32 = 15;
/// `PR_GET_NAME`
pub const PR_GET_NAME: i32 = 16;
/// `PR_GET_ENDIAN`
pub const PR_GET_ENDIAN: i32 = 19;
/// `PR_SET_ENDIAN`
pub const PR_SET_ENDIAN: i32 = 20;
/// `PR_GET_SECCOMP`
pub const PR_GET_SECCOMP: i32 = 21;
/// `PR_SET_SECCOMP`
pub const PR_SET_SECCOMP: i32 = 22;
/// `PR_CAPBSET_READ`
pub const PR_CAPBSET_READ: i32 = 23;
/// `PR_CAPBSET_DROP`
pub const PR_CAPBSET_DROP: i32 = 24;
/// `PR_GET_TSC`
pub const PR_GET_TSC: i32 = 25;
/// `PR_SET_TSC`
pub const PR_SET_TSC: i32 = 26;
/// `PR_GET_SECUREBITS`
pub const PR_GET_SECUREBITS: i32 = 27;
/// `PR_SET_SECUREBITS`
pub const PR_SET_SECUREBITS: i32 = 28;
/// `PR_SET_TIMERSLACK`
pub const PR_SET_TIMERSLACK: i32 = 29;
/// `PR_GET_TIMERSLACK`
pub const PR_GET_TIMERSLACK: i32 = 30;
/// `PR_TASK_PERF_EVENTS_DISABLE`
pub const PR_TASK_PERF_EVENTS_DISABLE: i32 = 31;
/// `PR_TASK_PERF_EVENTS_ENABLE`
pub const PR_TASK_PERF_EVENTS_ENABLE: i32 = 32;
/// `PR_MCE_KILL`
pub const PR_MCE_KILL: i32 = 33;
/// `PR_MCE_KILL_GET`
pub const PR_MCE_KILL_GET: i32 = 34;
/// `PR_SET_MM`
pub const PR_SET_MM: i32 = 35;
/// `PR_SET_CHILD_SUBREAPER`
pub const PR_SET_CHILD_SUBREAPER: i32 = 36;
/// `PR_GET_CHILD_SUBREAPER`
pub const PR_GET_CHILD_SUBREAPER: i32 = 37;
/// `PR_SET_NO_NEW_PRIVS`
pub const PR_SET_NO_NEW_PRIVS: i32 = 38;
/// `PR_GET_NO_NEW_PRIVS`
pub const PR_GET_NO_NEW_PRIVS: i32 = 39;
/// `PR_GET_TID_ADDRESS`
pub const PR_GET_TID_ADDRESS: i32 = 40;
/// `PR_SET_THP_DISABLE`
pub const PR_SET_THP_DISABLE: i32 = 41;
/// `PR_GET_THP_DISABLE`
pub const PR_GET_THP_DISABLE: i32 = 42;
/// `PR_SET_FP_MODE`
pub const PR_SET_FP_MODE: i32 = 45;
/// `PR_GET_FP_MODE`
pub const PR_GET_FP_MODE: i32 = 46;
/// `PR_CAP_AMBIENT`
pub const PR_CAP_AMBIENT: i32 = 47;
/// `PR_CAP_AMBIENT_IS_SET`
pub const PR_CAP_AMBIENT_IS_SET: i32 = 1;
/// `PR_CAP_AMBIENT_RAISE`
pub const PR_CAP_AMBIENT_RAISE: i32 = 2;
/// `PR_CAP_AMBIENT_LOWER`
pub const PR_CAP_AMBIENT_LOWER: i32 = 3;
/// `PR_CAP_AMBIENT_CLEAR_ALL`
pub const PR_CAP_AMBIENT_CLEAR_ALL: i32 = 4;
/// `PR_GET_SPECULATION_CTRL`
pub const PR_GET_SPECULATION_CTRL: i32 = 52;
/// `PR_SET_SPECULATION_CTRL`
pub const PR_SET_SPECULATION_CTRL: i32 = 53;
/// `PR_SET_TAGGED_ADDR_CTRL`
pub const PR_SET_TAGGED_ADDR_CTRL: i32 = 55;
/// `PR_GET_TAGGED_ADDR_CTRL`
pub const PR_GET_TAGGED_ADDR_CTRL: i32 = 56;
/// `PR_SET_IO_FLUSHER`
pub const PR_SET_IO_FLUSHER: i32 = 57;
/// `PR_GET_IO_FLUSHER`
pub const PR_GET_IO_FLUSHER: i32 = 58;
/// `PR_SET_SYSCALL_USER_DISPATCH`
pub const PR_SET_SYSCALL_USER_DISPATCH: i32 = 59;
/// `PR_SET_PTRACER`
pub const PR_SET_PTRACER: i32 = 0x5961_6d61;
/// `PR_SET_VMA`
pub const PR_SET_VMA: i32 = 0x5356_4d41;
/// `PR_SET_VMA_ANON_NAME`
pub const PR_SET_VMA_ANON_NAME: i32 = 0;
/// `TASK_COMM_LEN`: `PR_SET_NAME`/`PR_GET_NAME` buffer size, NUL included.
pub const TASK_COMM_LEN: usize = 16;

/// `ARCH_SET_GS`
pub const ARCH_SET_GS: i32 = 0x1001;
/// `ARCH_SET_FS`
pub const ARCH_SET_FS: i32 = 0x1002;
/// `ARCH_GET_FS`
pub const ARCH_GET_FS: i32 = 0x1003;
/// `ARCH_GET_GS`
pub const ARCH_GET_GS: i32 = 0x1004;
/// `ARCH_GET_CPUID`
pub const ARCH_GET_CPUID: i32 = 0x1011;
/// `ARCH_SET_CPUID`
pub const ARCH_SET_CPUID: i32 = 0x1012;
/// `ARCH_MAP_VDSO_X32`
pub const ARCH_MAP_VDSO_X32: i32 = 0x2001;
/// `ARCH_MAP_VDSO_32`
pub const ARCH_MAP_VDSO_32: i32 = 0x2002;
/// `ARCH_MAP_VDSO_64`
pub const ARCH_MAP_VDSO_64: i32 = 0x2003;

/// `_LINUX_CAPABILITY_VERSION_1` (32-bit sets)
pub const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
/// `_LINUX_CAPABILITY_VERSION_2` (deprecated)
pub const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
/// `_LINUX_CAPABILITY_VERSION_3` (64-bit sets, two `CapUserData`)
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// `_LINUX_CAPABILITY_U32S_1`
pub const LINUX_CAPABILITY_U32S_1: usize = 1;
/// `_LINUX_CAPABILITY_U32S_3`
pub const LINUX_CAPABILITY_U32S_3: usize = 2;

/// `struct __user_cap_header_struct` (`capget`, `capset`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct CapUserHeader {
    /// `version`: `_LINUX_CAPABILITY_VERSION_*`.
    pub version: u32,
    /// `pid`: target thread, 0 for the caller.
    pub pid: i32,
}

/// `struct __user_cap_data_struct`: 32 bits of each set.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct CapUserData {
    /// `effective`
    pub effective: u32,
    /// `permitted`
    pub permitted: u32,
    /// `inheritable`
    pub inheritable: u32,
}

/// `FUTEX_WAIT`
pub const FUTEX_WAIT: u32 = 0;
/// `FUTEX_WAKE`
pub const FUTEX_WAKE: u32 = 1;
/// `FUTEX_FD` (removed)
pub const FUTEX_FD: u32 = 2;
/// `FUTEX_REQUEUE`
pub const FUTEX_REQUEUE: u32 = 3;
/// `FUTEX_CMP_REQUEUE`
pub const FUTEX_CMP_REQUEUE: u32 = 4;
/// `FUTEX_WAKE_OP`
pub const FUTEX_WAKE_OP: u32 = 5;
/// `FUTEX_LOCK_PI`
pub const FUTEX_LOCK_PI: u32 = 6;
/// `FUTEX_UNLOCK_PI`
pub const FUTEX_UNLOCK_PI: u32 = 7;
/// `FUTEX_TRYLOCK_PI`
pub const FUTEX_TRYLOCK_PI: u32 = 8;
/// `FUTEX_WAIT_BITSET`
pub const FUTEX_WAIT_BITSET: u32 = 9;
/// `FUTEX_WAKE_BITSET`
pub const FUTEX_WAKE_BITSET: u32 = 10;
/// `FUTEX_WAIT_REQUEUE_PI`
pub const FUTEX_WAIT_REQUEUE_PI: u32 = 11;
/// `FUTEX_CMP_REQUEUE_PI`
pub const FUTEX_CMP_REQUEUE_PI: u32 = 12;
/// `FUTEX_LOCK_PI2`
pub const FUTEX_LOCK_PI2: u32 = 13;
/// `FUTEX_PRIVATE_FLAG`
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
/// `FUTEX_CLOCK_REALTIME`
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
/// `FUTEX_CMD_MASK`: the operation without its flags.
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
/// `FUTEX_BITSET_MATCH_ANY`
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;
/// `FUTEX_WAITERS`: bit of a PI/robust futex word.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// `FUTEX_OWNER_DIED`
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// `FUTEX_TID_MASK`
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// `ROBUST_LIST_LIMIT`: most entries walked at exit.
pub const ROBUST_LIST_LIMIT: usize = 2048;
/// `FUTEX_OP_SET` (`FUTEX_WAKE_OP`)
pub const FUTEX_OP_SET: u32 = 0;
/// `FUTEX_OP_ADD`
pub const FUTEX_OP_ADD: u32 = 1;
/// `FUTEX_OP_OR`
pub const FUTEX_OP_OR: u32 = 2;
/// `FUTEX_OP_ANDN`
pub const FUTEX_OP_ANDN: u32 = 3;
/// `FUTEX_OP_XOR`
pub const FUTEX_OP_XOR: u32 = 4;
/// `FUTEX_OP_OPARG_SHIFT`: flag, the operand is `1 << oparg`.
pub const FUTEX_OP_OPARG_SHIFT: u32 = 8;
/// `FUTEX_OP_CMP_EQ`
pub const FUTEX_OP_CMP_EQ: u32 = 0;
/// `FUTEX_OP_CMP_NE`
pub const FUTEX_OP_CMP_NE: u32 = 1;
/// `FUTEX_OP_CMP_LT`
pub const FUTEX_OP_CMP_LT: u32 = 2;
/// `FUTEX_OP_CMP_LE`
pub const FUTEX_OP_CMP_LE: u32 = 3;
/// `FUTEX_OP_CMP_GT`
pub const FUTEX_OP_CMP_GT: u32 = 4;
/// `FUTEX_OP_CMP_GE`
pub const FUTEX_OP_CMP_GE: u32 = 5;

/// `struct robust_list_head` (`set_robust_list`, 24 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct RobustListHead {
    /// `list.next`: first entry (the head itself when empty).
    pub list: u64,
    /// `futex_offset`: from an entry to its futex word.
    pub futex_offset: i64,
    /// `list_op_pending`: entry being acquired or released.
    pub list_op_pending: u64,
}

/// `GRND_NONBLOCK`
pub const GRND_NONBLOCK: u32 = 0x1;
/// `GRND_RANDOM`
pub const GRND_RANDOM: u32 = 0x2;
/// `GRND_INSECURE`
pub const GRND_INSECURE: u32 = 0x4;

const _: () = assert!(size_of::<Utsname>() == 390);
const _: () = assert!(size_of::<Rusage>() == 144);
const _: () = assert!(size_of::<Sysinfo>() == 112);
const _: () = assert!(size_of::<Clone3Args>() == CLONE_ARGS_SIZE_VER2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utsname_set_field_truncates_and_terminates() {
        let mut u = Utsname::default();
        Utsname::set_field(&mut u.sysname, "Linux");
        assert_eq!(&u.sysname[..6], b"Linux\0");
        let long = "x".repeat(100);
        Utsname::set_field(&mut u.nodename, &long);
        assert_eq!(u.nodename[63], b'x');
        assert_eq!(u.nodename[64], 0);
    }

    #[test]
    fn futex_cmd_mask_strips_flags() {
        assert_eq!(
            (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) & FUTEX_CMD_MASK,
            FUTEX_WAIT_BITSET
        );
    }
}
