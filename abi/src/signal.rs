//! Signal ABI: numbers and names, `sigset_t`, the kernel `sigaction`,
//! `siginfo_t`, `stack_t`, default actions, and the x86-64 signal frame
//! (`ucontext`, `sigcontext`, the fxsave area).
//!
//! Signal numbers are `i32` (C `int`); a number is valid in `1..=NSIG`.

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// `SIGHUP`
pub const SIGHUP: i32 = 1;
/// `SIGINT`
pub const SIGINT: i32 = 2;
/// `SIGQUIT`
pub const SIGQUIT: i32 = 3;
/// `SIGILL`
pub const SIGILL: i32 = 4;
/// `SIGTRAP`
pub const SIGTRAP: i32 = 5;
/// `SIGABRT`
pub const SIGABRT: i32 = 6;
/// `SIGIOT` (alias of `SIGABRT`)
pub const SIGIOT: i32 = 6;
/// `SIGBUS`
pub const SIGBUS: i32 = 7;
/// `SIGFPE`
pub const SIGFPE: i32 = 8;
/// `SIGKILL`
pub const SIGKILL: i32 = 9;
/// `SIGUSR1`
pub const SIGUSR1: i32 = 10;
/// `SIGSEGV`
pub const SIGSEGV: i32 = 11;
/// `SIGUSR2`
pub const SIGUSR2: i32 = 12;
/// `SIGPIPE`
pub const SIGPIPE: i32 = 13;
/// `SIGALRM`
pub const SIGALRM: i32 = 14;
/// `SIGTERM`
pub const SIGTERM: i32 = 15;
/// `SIGSTKFLT`
pub const SIGSTKFLT: i32 = 16;
/// `SIGCHLD`
pub const SIGCHLD: i32 = 17;
/// `SIGCONT`
pub const SIGCONT: i32 = 18;
/// `SIGSTOP`
pub const SIGSTOP: i32 = 19;
/// `SIGTSTP`
pub const SIGTSTP: i32 = 20;
/// `SIGTTIN`
pub const SIGTTIN: i32 = 21;
/// `SIGTTOU`
pub const SIGTTOU: i32 = 22;
/// `SIGURG`
pub const SIGURG: i32 = 23;
/// `SIGXCPU`
pub const SIGXCPU: i32 = 24;
/// `SIGXFSZ`
pub const SIGXFSZ: i32 = 25;
/// `SIGVTALRM`
pub const SIGVTALRM: i32 = 26;
/// `SIGPROF`
pub const SIGPROF: i32 = 27;
/// `SIGWINCH`
pub const SIGWINCH: i32 = 28;
/// `SIGIO`
pub const SIGIO: i32 = 29;
/// `SIGPOLL` (alias of `SIGIO`)
pub const SIGPOLL: i32 = 29;
/// `SIGPWR`
pub const SIGPWR: i32 = 30;
/// `SIGSYS`
pub const SIGSYS: i32 = 31;
/// `SIGRTMIN` (the kernel's; glibc reserves the first few for itself)
pub const SIGRTMIN: i32 = 32;
/// `SIGRTMAX`
pub const SIGRTMAX: i32 = 64;
/// `_NSIG`: the highest signal number.
pub const NSIG: i32 = 64;

/// Whether `sig` is a valid signal number (`1..=NSIG`).
pub fn is_valid_signal(sig: i32) -> bool {
    (1..=NSIG).contains(&sig)
}

/// Whether `sig` is a real-time signal.
pub fn is_realtime(sig: i32) -> bool {
    (SIGRTMIN..=SIGRTMAX).contains(&sig)
}

const SIGNAL_NAMES: [&str; 64] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMAX-16",
    "SIGRTMAX-15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
    "SIGRTMAX",
];

/// The name of signal `sig` ("SIGSEGV", "SIGRTMIN+3"), if it is valid.
pub fn signal_name(sig: i32) -> Option<&'static str> {
    let i = usize::try_from(sig.checked_sub(1)?).ok()?;
    SIGNAL_NAMES.get(i).copied()
}

/// What a signal does when its disposition is `SIG_DFL` (signal(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultAction {
    /// Terminate the process.
    Terminate,
    /// Terminate the process and dump core.
    CoreDump,
    /// Stop the process.
    Stop,
    /// Continue the process if it is stopped.
    Continue,
    /// Ignore the signal.
    Ignore,
}

/// The default action of signal `sig`, if it is valid.
pub fn default_action(sig: i32) -> Option<DefaultAction> {
    use DefaultAction::*;
    let action = match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => CoreDump,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Continue,
        SIGCHLD | SIGURG | SIGWINCH => Ignore,
        s if is_valid_signal(s) => Terminate,
        _ => return None,
    };
    Some(action)
}

/// A kernel `sigset_t`: bit `sig - 1` is signal `sig`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(transparent)]
pub struct SigSet(pub u64);

impl SigSet {
    /// The empty set.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal.
    pub const FULL: SigSet = SigSet(u64::MAX);
    /// The signals that can be neither blocked, caught nor ignored.
    pub const UNBLOCKABLE: SigSet = SigSet((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));

    /// The mask bit of `sig`, or 0 if `sig` is not a valid signal.
    pub fn bit(sig: i32) -> u64 {
        if is_valid_signal(sig) {
            1u64 << (sig - 1)
        } else {
            0
        }
    }

    /// The set holding only `sig` (empty if `sig` is invalid).
    pub fn of(sig: i32) -> SigSet {
        SigSet(Self::bit(sig))
    }

    /// Whether `sig` is in the set (false for invalid numbers).
    pub fn contains(self, sig: i32) -> bool {
        self.0 & Self::bit(sig) != 0
    }

    /// Adds `sig` (no effect if invalid).
    pub fn add(&mut self, sig: i32) {
        self.0 |= Self::bit(sig);
    }

    /// Removes `sig`.
    pub fn remove(&mut self, sig: i32) {
        self.0 &= !Self::bit(sig);
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Signals in either set.
    pub fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    /// Signals in both sets.
    pub fn intersection(self, other: SigSet) -> SigSet {
        SigSet(self.0 & other.0)
    }

    /// Signals in `self` but not in `other`.
    pub fn difference(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// The set without `SIGKILL` and `SIGSTOP`, as `sigprocmask` stores it.
    pub fn without_unblockable(self) -> SigSet {
        self.difference(Self::UNBLOCKABLE)
    }

    /// The lowest-numbered signal in the set (the one Linux delivers first
    /// among equals), if any.
    pub fn lowest(self) -> Option<i32> {
        if self.0 == 0 {
            None
        } else {
            // trailing_zeros() < 64 here, so the cast cannot wrap.
            Some(self.0.trailing_zeros() as i32 + 1)
        }
    }

    /// The signals in the set, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = i32> {
        (1..=NSIG).filter(move |&s| self.contains(s))
    }
}

/// `SIG_DFL`: the default disposition.
pub const SIG_DFL: u64 = 0;
/// `SIG_IGN`: ignore the signal.
pub const SIG_IGN: u64 = 1;

/// `SIG_BLOCK` (`rt_sigprocmask`)
pub const SIG_BLOCK: i32 = 0;
/// `SIG_UNBLOCK`
pub const SIG_UNBLOCK: i32 = 1;
/// `SIG_SETMASK`
pub const SIG_SETMASK: i32 = 2;

/// `SA_NOCLDSTOP`
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// `SA_NOCLDWAIT`
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// `SA_SIGINFO`
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// `SA_UNSUPPORTED`: probe bit, never reported back as set.
pub const SA_UNSUPPORTED: u64 = 0x0000_0400;
/// `SA_EXPOSE_TAGBITS`
pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
/// `SA_RESTORER`: `sa_restorer` is valid (x86-64 requires it in practice).
pub const SA_RESTORER: u64 = 0x0400_0000;
/// `SA_ONSTACK`
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `SA_RESTART`
pub const SA_RESTART: u64 = 0x1000_0000;
/// `SA_NODEFER`
pub const SA_NODEFER: u64 = 0x4000_0000;
/// `SA_RESETHAND`
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// The kernel's `struct sigaction` as `rt_sigaction` reads and writes it
/// (32 bytes; glibc's user-space struct differs).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SigAction {
    /// `sa_handler`: handler address, `SIG_DFL` or `SIG_IGN`.
    pub sa_handler: u64,
    /// `sa_flags`: `SA_*`.
    pub sa_flags: u64,
    /// `sa_restorer`: return trampoline (calls `rt_sigreturn`).
    pub sa_restorer: u64,
    /// `sa_mask`: signals blocked while the handler runs.
    pub sa_mask: SigSet,
}

/// `SS_ONSTACK`: the thread is running on its alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// `SS_DISABLE`: no alternate stack.
pub const SS_DISABLE: i32 = 2;
/// `SS_AUTODISARM`
pub const SS_AUTODISARM: i32 = 1 << 31;
/// `MINSIGSTKSZ`
pub const MINSIGSTKSZ: u64 = 2048;
/// `SIGSTKSZ`
pub const SIGSTKSZ: u64 = 8192;

/// `stack_t` (`sigaltstack`, 24 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StackT {
    /// `ss_sp`: base address.
    pub ss_sp: u64,
    /// `ss_flags`: `SS_*`.
    pub ss_flags: i32,
    /// Padding.
    pub _pad: u32,
    /// `ss_size`.
    pub ss_size: u64,
}

/// `SI_USER`: sent by `kill`.
pub const SI_USER: i32 = 0;
/// `SI_KERNEL`
pub const SI_KERNEL: i32 = 0x80;
/// `SI_QUEUE`: sent by `sigqueue`.
pub const SI_QUEUE: i32 = -1;
/// `SI_TIMER`: POSIX timer expiry.
pub const SI_TIMER: i32 = -2;
/// `SI_MESGQ`
pub const SI_MESGQ: i32 = -3;
/// `SI_ASYNCIO`
pub const SI_ASYNCIO: i32 = -4;
/// `SI_SIGIO`
pub const SI_SIGIO: i32 = -5;
/// `SI_TKILL`: sent by `tkill`/`tgkill`.
pub const SI_TKILL: i32 = -6;
/// `SI_DETHREAD`
pub const SI_DETHREAD: i32 = -7;
/// `SI_ASYNCNL`
pub const SI_ASYNCNL: i32 = -60;

/// `ILL_ILLOPC`
pub const ILL_ILLOPC: i32 = 1;
/// `ILL_ILLOPN`
pub const ILL_ILLOPN: i32 = 2;
/// `ILL_ILLADR`
pub const ILL_ILLADR: i32 = 3;
/// `ILL_ILLTRP`
pub const ILL_ILLTRP: i32 = 4;
/// `ILL_PRVOPC`
pub const ILL_PRVOPC: i32 = 5;
/// `ILL_PRVREG`
pub const ILL_PRVREG: i32 = 6;
/// `ILL_COPROC`
pub const ILL_COPROC: i32 = 7;
/// `ILL_BADSTK`
pub const ILL_BADSTK: i32 = 8;
/// `ILL_BADIADDR`
pub const ILL_BADIADDR: i32 = 9;

/// `FPE_INTDIV`
pub const FPE_INTDIV: i32 = 1;
/// `FPE_INTOVF`
pub const FPE_INTOVF: i32 = 2;
/// `FPE_FLTDIV`
pub const FPE_FLTDIV: i32 = 3;
/// `FPE_FLTOVF`
pub const FPE_FLTOVF: i32 = 4;
/// `FPE_FLTUND`
pub const FPE_FLTUND: i32 = 5;
/// `FPE_FLTRES`
pub const FPE_FLTRES: i32 = 6;
/// `FPE_FLTINV`
pub const FPE_FLTINV: i32 = 7;
/// `FPE_FLTSUB`
pub const FPE_FLTSUB: i32 = 8;
/// `FPE_FLTUNK`
pub const FPE_FLTUNK: i32 = 14;
/// `FPE_CONDTRAP`
pub const FPE_CONDTRAP: i32 = 15;

/// `SEGV_MAPERR`: address not mapped.
pub const SEGV_MAPERR: i32 = 1;
/// `SEGV_ACCERR`: permission denied by the mapping.
pub const SEGV_ACCERR: i32 = 2;
/// `SEGV_BNDERR`
pub const SEGV_BNDERR: i32 = 3;
/// `SEGV_PKUERR`
pub const SEGV_PKUERR: i32 = 4;

/// `BUS_ADRALN`
pub const BUS_ADRALN: i32 = 1;
/// `BUS_ADRERR`: e.g. access beyond the end of a mapped file.
pub const BUS_ADRERR: i32 = 2;
/// `BUS_OBJERR`
pub const BUS_OBJERR: i32 = 3;
/// `BUS_MCEERR_AR`
pub const BUS_MCEERR_AR: i32 = 4;
/// `BUS_MCEERR_AO`
pub const BUS_MCEERR_AO: i32 = 5;

/// `TRAP_BRKPT`
pub const TRAP_BRKPT: i32 = 1;
/// `TRAP_TRACE`
pub const TRAP_TRACE: i32 = 2;
/// `TRAP_BRANCH`
pub const TRAP_BRANCH: i32 = 3;
/// `TRAP_HWBKPT`
pub const TRAP_HWBKPT: i32 = 4;
/// `TRAP_UNK`
pub const TRAP_UNK: i32 = 5;

/// `CLD_EXITED`
pub const CLD_EXITED: i32 = 1;
/// `CLD_KILLED`
pub const CLD_KILLED: i32 = 2;
/// `CLD_DUMPED`
pub const CLD_DUMPED: i32 = 3;
/// `CLD_TRAPPED`
pub const CLD_TRAPPED: i32 = 4;
/// `CLD_STOPPED`
pub const CLD_STOPPED: i32 = 5;
/// `CLD_CONTINUED`
pub const CLD_CONTINUED: i32 = 6;

/// `POLL_IN`
pub const POLL_IN: i32 = 1;
/// `POLL_OUT`
pub const POLL_OUT: i32 = 2;
/// `POLL_MSG`
pub const POLL_MSG: i32 = 3;
/// `POLL_ERR`
pub const POLL_ERR: i32 = 4;
/// `POLL_PRI`
pub const POLL_PRI: i32 = 5;
/// `POLL_HUP`
pub const POLL_HUP: i32 = 6;

/// `SYS_SECCOMP`: `SIGSYS` raised by a seccomp filter.
pub const SYS_SECCOMP: i32 = 1;

/// `siginfo_t` (128 bytes): a header and a union whose form depends on the
/// signal and `si_code`. Read and write the union through the accessors; the
/// `*_OFFSET` constants give each field's byte offset in the whole struct.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SigInfo {
    /// `si_signo`.
    pub si_signo: i32,
    /// `si_errno`.
    pub si_errno: i32,
    /// `si_code`: `SI_*` or a signal-specific code.
    pub si_code: i32,
    /// Padding (the union is 8-byte aligned).
    pub _pad: i32,
    /// `_sifields`: the union, as raw words.
    pub fields: [u64; 14],
}

impl SigInfo {
    /// Offset of `_sifields`.
    pub const FIELDS_OFFSET: usize = 16;
    /// Offset of `si_pid` (kill, rt, sigchld forms).
    pub const PID_OFFSET: usize = 16;
    /// Offset of `si_uid` (kill, rt, sigchld forms).
    pub const UID_OFFSET: usize = 20;
    /// Offset of `si_timerid` (timer form).
    pub const TIMERID_OFFSET: usize = 16;
    /// Offset of `si_overrun` (timer form).
    pub const OVERRUN_OFFSET: usize = 20;
    /// Offset of `si_value` (timer and rt forms).
    pub const VALUE_OFFSET: usize = 24;
    /// Offset of `si_status` (sigchld form).
    pub const STATUS_OFFSET: usize = 24;
    /// Offset of `si_utime` (sigchld form).
    pub const UTIME_OFFSET: usize = 32;
    /// Offset of `si_stime` (sigchld form).
    pub const STIME_OFFSET: usize = 40;
    /// Offset of `si_addr` (fault form).
    pub const ADDR_OFFSET: usize = 16;
    /// Offset of `si_addr_lsb` (fault form, `BUS_MCEERR_*`).
    pub const ADDR_LSB_OFFSET: usize = 24;
    /// Offset of `si_band` (poll form).
    pub const BAND_OFFSET: usize = 16;
    /// Offset of `si_fd` (poll form).
    pub const FD_OFFSET: usize = 24;
    /// Offset of `si_call_addr` (sigsys form).
    pub const CALL_ADDR_OFFSET: usize = 16;
    /// Offset of `si_syscall` (sigsys form).
    pub const SYSCALL_OFFSET: usize = 24;
    /// Offset of `si_arch` (sigsys form).
    pub const ARCH_OFFSET: usize = 28;

    fn header(signo: i32, code: i32) -> SigInfo {
        SigInfo {
            si_signo: signo,
            si_code: code,
            ..SigInfo::default()
        }
    }

    fn get<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut out = [0u8; N];
        let start = off - Self::FIELDS_OFFSET;
        out.copy_from_slice(&self.fields.as_bytes()[start..start + N]);
        out
    }

    fn set(&mut self, off: usize, bytes: &[u8]) {
        let start = off - Self::FIELDS_OFFSET;
        self.fields.as_mut_bytes()[start..start + bytes.len()].copy_from_slice(bytes);
    }

    fn get_i32(&self, off: usize) -> i32 {
        i32::from_ne_bytes(self.get(off))
    }

    fn get_u64(&self, off: usize) -> u64 {
        u64::from_ne_bytes(self.get(off))
    }

    /// The kill form (`SI_USER`, `SI_TKILL`, ...): sender pid and uid.
    pub fn kill(signo: i32, code: i32, pid: i32, uid: u32) -> SigInfo {
        let mut info = Self::header(signo, code);
        info.set(Self::PID_OFFSET, &pid.to_ne_bytes());
        info.set(Self::UID_OFFSET, &uid.to_ne_bytes());
        info
    }

    /// The rt form (`sigqueue`, `SI_QUEUE`): kill form plus `si_value`.
    pub fn rt(signo: i32, code: i32, pid: i32, uid: u32, value: u64) -> SigInfo {
        let mut info = Self::kill(signo, code, pid, uid);
        info.set(Self::VALUE_OFFSET, &value.to_ne_bytes());
        info
    }

    /// The `SIGCHLD` form: `code` is a `CLD_*` value, `status` the exit code
    /// or signal, times in clock ticks.
    pub fn sigchld(code: i32, pid: i32, uid: u32, status: i32, utime: i64, stime: i64) -> SigInfo {
        let mut info = Self::kill(SIGCHLD, code, pid, uid);
        info.set(Self::STATUS_OFFSET, &status.to_ne_bytes());
        info.set(Self::UTIME_OFFSET, &utime.to_ne_bytes());
        info.set(Self::STIME_OFFSET, &stime.to_ne_bytes());
        info
    }

    /// The fault form (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGTRAP`):
    /// the faulting address.
    pub fn fault(signo: i32, code: i32, addr: u64) -> SigInfo {
        let mut info = Self::header(signo, code);
        info.set(Self::ADDR_OFFSET, &addr.to_ne_bytes());
        info
    }

    /// The POSIX timer form (`SI_TIMER`).
    pub fn timer(signo: i32, timerid: i32, overrun: i32, value: u64) -> SigInfo {
        let mut info = Self::header(signo, SI_TIMER);
        info.set(Self::TIMERID_OFFSET, &timerid.to_ne_bytes());
        info.set(Self::OVERRUN_OFFSET, &overrun.to_ne_bytes());
        info.set(Self::VALUE_OFFSET, &value.to_ne_bytes());
        info
    }

    /// The seccomp form (`SIGSYS`, `SYS_SECCOMP`).
    pub fn sigsys(call_addr: u64, syscall: i32, arch: u32, errno: i32) -> SigInfo {
        let mut info = Self::header(SIGSYS, SYS_SECCOMP);
        info.si_errno = errno;
        info.set(Self::CALL_ADDR_OFFSET, &call_addr.to_ne_bytes());
        info.set(Self::SYSCALL_OFFSET, &syscall.to_ne_bytes());
        info.set(Self::ARCH_OFFSET, &arch.to_ne_bytes());
        info
    }

    /// `si_pid`.
    pub fn si_pid(&self) -> i32 {
        self.get_i32(Self::PID_OFFSET)
    }

    /// `si_uid`.
    pub fn si_uid(&self) -> u32 {
        u32::from_ne_bytes(self.get(Self::UID_OFFSET))
    }

    /// `si_status`.
    pub fn si_status(&self) -> i32 {
        self.get_i32(Self::STATUS_OFFSET)
    }

    /// `si_utime`.
    pub fn si_utime(&self) -> i64 {
        i64::from_ne_bytes(self.get(Self::UTIME_OFFSET))
    }

    /// `si_stime`.
    pub fn si_stime(&self) -> i64 {
        i64::from_ne_bytes(self.get(Self::STIME_OFFSET))
    }

    /// `si_addr`.
    pub fn si_addr(&self) -> u64 {
        self.get_u64(Self::ADDR_OFFSET)
    }

    /// `si_addr_lsb`.
    pub fn si_addr_lsb(&self) -> i16 {
        i16::from_ne_bytes(self.get(Self::ADDR_LSB_OFFSET))
    }

    /// `si_timerid`.
    pub fn si_timerid(&self) -> i32 {
        self.get_i32(Self::TIMERID_OFFSET)
    }

    /// `si_overrun`.
    pub fn si_overrun(&self) -> i32 {
        self.get_i32(Self::OVERRUN_OFFSET)
    }

    /// Sets `si_overrun` (timers coalesce expirations into it).
    pub fn set_si_overrun(&mut self, overrun: i32) {
        self.set(Self::OVERRUN_OFFSET, &overrun.to_ne_bytes());
    }

    /// `si_value` (`sival_ptr`; `sival_int` is its low 32 bits).
    pub fn si_value(&self) -> u64 {
        self.get_u64(Self::VALUE_OFFSET)
    }

    /// `si_band`.
    pub fn si_band(&self) -> i64 {
        i64::from_ne_bytes(self.get(Self::BAND_OFFSET))
    }

    /// `si_fd`.
    pub fn si_fd(&self) -> i32 {
        self.get_i32(Self::FD_OFFSET)
    }

    /// `si_call_addr`.
    pub fn si_call_addr(&self) -> u64 {
        self.get_u64(Self::CALL_ADDR_OFFSET)
    }

    /// `si_syscall`.
    pub fn si_syscall(&self) -> i32 {
        self.get_i32(Self::SYSCALL_OFFSET)
    }

    /// `si_arch`.
    pub fn si_arch(&self) -> u32 {
        u32::from_ne_bytes(self.get(Self::ARCH_OFFSET))
    }
}

/// `struct _fpx_sw_bytes`: the software-reserved tail of the fxsave area that
/// announces an xsave frame (`FP_XSTATE_MAGIC1`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct FpxSwBytes {
    /// `magic1`: `FP_XSTATE_MAGIC1` when extended state follows.
    pub magic1: u32,
    /// `extended_size`: total size of the frame, including `FP_XSTATE_MAGIC2`.
    pub extended_size: u32,
    /// `xfeatures`: the xsave feature bits present.
    pub xfeatures: u64,
    /// `xstate_size`: size of the xsave area.
    pub xstate_size: u32,
    /// `padding`.
    pub padding: [u32; 7],
}

/// `FP_XSTATE_MAGIC1`
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// `FP_XSTATE_MAGIC2`: the word after an xsave area in a signal frame.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;

/// `struct _fpstate_64`: the legacy 512-byte `fxsave` area (16-byte aligned
/// in a signal frame; xsave state may follow it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct FpState {
    /// `cwd`: x87 control word.
    pub cwd: u16,
    /// `swd`: x87 status word.
    pub swd: u16,
    /// `twd`: abridged x87 tag word.
    pub twd: u16,
    /// `fop`: last x87 opcode.
    pub fop: u16,
    /// `rip`: last x87 instruction pointer.
    pub rip: u64,
    /// `rdp`: last x87 data pointer.
    pub rdp: u64,
    /// `mxcsr`.
    pub mxcsr: u32,
    /// `mxcsr_mask`.
    pub mxcsr_mask: u32,
    /// `st_space`: 8 x87 registers, 16 bytes each.
    pub st_space: [u32; 32],
    /// `xmm_space`: 16 XMM registers, 16 bytes each.
    pub xmm_space: [u32; 64],
    /// `reserved2`.
    pub reserved2: [u32; 12],
    /// `sw_reserved` (`reserved3`).
    pub sw_reserved: FpxSwBytes,
}

impl Default for FpState {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

/// `struct sigcontext` (x86-64; glibc's `mcontext_t` has the same layout):
/// the registers saved in a signal frame (256 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct MContext {
    /// `r8`
    pub r8: u64,
    /// `r9`
    pub r9: u64,
    /// `r10`
    pub r10: u64,
    /// `r11`
    pub r11: u64,
    /// `r12`
    pub r12: u64,
    /// `r13`
    pub r13: u64,
    /// `r14`
    pub r14: u64,
    /// `r15`
    pub r15: u64,
    /// `rdi`
    pub rdi: u64,
    /// `rsi`
    pub rsi: u64,
    /// `rbp`
    pub rbp: u64,
    /// `rbx`
    pub rbx: u64,
    /// `rdx`
    pub rdx: u64,
    /// `rax`
    pub rax: u64,
    /// `rcx`
    pub rcx: u64,
    /// `rsp`
    pub rsp: u64,
    /// `rip`
    pub rip: u64,
    /// `eflags` (RFLAGS)
    pub eflags: u64,
    /// `cs`
    pub cs: u16,
    /// `gs`
    pub gs: u16,
    /// `fs`
    pub fs: u16,
    /// `ss` (meaningful with `UC_SIGCONTEXT_SS`; `__pad0` in old headers)
    pub ss: u16,
    /// `err`: the hardware error code of the fault.
    pub err: u64,
    /// `trapno`: the hardware trap number.
    pub trapno: u64,
    /// `oldmask`: unused on x86-64 (the mask is `uc_sigmask`).
    pub oldmask: u64,
    /// `cr2`: the faulting address.
    pub cr2: u64,
    /// `fpstate`: guest address of the [`FpState`], or 0.
    pub fpstate: u64,
    /// `reserved1`.
    pub reserved1: [u64; 8],
}

/// `UC_FP_XSTATE`: the fp state is an xsave frame.
pub const UC_FP_XSTATE: u64 = 0x1;
/// `UC_SIGCONTEXT_SS`: `ss` in the sigcontext is valid.
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
/// `UC_STRICT_RESTORE_SS`: `rt_sigreturn` restores `ss` exactly.
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// The kernel's `struct ucontext` (x86-64, 304 bytes), as built in an
/// `rt_sigframe` and read back by `rt_sigreturn`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct UContext {
    /// `uc_flags`: `UC_*`.
    pub uc_flags: u64,
    /// `uc_link`: unused by the kernel.
    pub uc_link: u64,
    /// `uc_stack`: the alternate stack at signal time.
    pub uc_stack: StackT,
    /// `uc_mcontext`: saved registers.
    pub uc_mcontext: MContext,
    /// `uc_sigmask`: the mask to restore.
    pub uc_sigmask: SigSet,
}

/// The x86-64 `struct rt_sigframe` (kernel-internal, arch/x86/include/asm/
/// sigframe.h): what the stack pointer points at when a handler starts. The
/// fp state follows separately, 64-byte aligned below it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct RtSigframe {
    /// `pretcode`: the return address (`sa_restorer`).
    pub pretcode: u64,
    /// `uc`.
    pub uc: UContext,
    /// `info`.
    pub info: SigInfo,
}

const _: () = assert!(size_of::<SigAction>() == 32);
const _: () = assert!(size_of::<SigInfo>() == 128);
const _: () = assert!(size_of::<StackT>() == 24);
const _: () = assert!(size_of::<FpState>() == 512);
const _: () = assert!(size_of::<MContext>() == 256);
const _: () = assert!(size_of::<UContext>() == 304);
const _: () = assert!(size_of::<RtSigframe>() == 440);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_default_actions() {
        assert_eq!(signal_name(SIGSEGV), Some("SIGSEGV"));
        assert_eq!(signal_name(SIGSYS), Some("SIGSYS"));
        assert_eq!(signal_name(SIGRTMIN), Some("SIGRTMIN"));
        assert_eq!(signal_name(SIGRTMAX), Some("SIGRTMAX"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(65), None);
        assert_eq!(signal_name(i32::MIN), None);
        assert_eq!(default_action(SIGCHLD), Some(DefaultAction::Ignore));
        assert_eq!(default_action(SIGSEGV), Some(DefaultAction::CoreDump));
        assert_eq!(default_action(SIGTSTP), Some(DefaultAction::Stop));
        assert_eq!(default_action(SIGCONT), Some(DefaultAction::Continue));
        assert_eq!(default_action(SIGRTMIN + 3), Some(DefaultAction::Terminate));
        assert_eq!(default_action(65), None);
    }

    #[test]
    fn sigset_when_signal_invalid_ignores_it() {
        let mut s = SigSet::EMPTY;
        s.add(SIGINT);
        s.add(SIGRTMAX);
        s.add(0);
        s.add(65);
        assert_eq!(s.0, (1 << 1) | (1 << 63));
        assert!(s.contains(SIGINT) && s.contains(SIGRTMAX) && !s.contains(0));
        assert_eq!(s.lowest(), Some(SIGINT));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![SIGINT, SIGRTMAX]);
        s.remove(SIGINT);
        assert_eq!(s.lowest(), Some(SIGRTMAX));
        assert!(!SigSet::FULL.without_unblockable().contains(SIGKILL));
    }

    #[test]
    fn siginfo_forms_round_trip() {
        let k = SigInfo::kill(SIGTERM, SI_USER, 42, 1000);
        assert_eq!((k.si_signo, k.si_pid(), k.si_uid()), (SIGTERM, 42, 1000));
        let c = SigInfo::sigchld(CLD_EXITED, 7, 0, 3, 11, 12);
        assert_eq!(
            (c.si_pid(), c.si_status(), c.si_utime(), c.si_stime()),
            (7, 3, 11, 12)
        );
        let f = SigInfo::fault(SIGSEGV, SEGV_MAPERR, 0xdead_beef_0000);
        assert_eq!(f.si_addr(), 0xdead_beef_0000);
        let mut t = SigInfo::timer(SIGALRM, 5, 2, 99);
        t.set_si_overrun(3);
        assert_eq!(
            (t.si_code, t.si_timerid(), t.si_overrun(), t.si_value()),
            (SI_TIMER, 5, 3, 99)
        );
        let s = SigInfo::sigsys(0x1000, 231, 0xc000_003e, 1);
        assert_eq!(
            (s.si_call_addr(), s.si_syscall(), s.si_arch()),
            (0x1000, 231, 0xc000_003e)
        );
        assert_eq!(&k.as_bytes()[16..20], &42i32.to_ne_bytes());
    }
}
