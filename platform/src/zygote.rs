//! The stub zygote: systrap's fallback for hosts without syscall user
//! dispatch (or when `--systrap-seccomp` asks for it).
//!
//! There, a guest system call must raise `SIGSYS` through a seccomp
//! `SECCOMP_RET_TRAP` filter instead. A stub forked by the Sentry inherits
//! the Sentry's own filter, whose answer to a system call it does not
//! allow is to kill the process, and seccomp takes the strictest answer of
//! all filters: a guest's `getppid` would kill its stub. So stubs come from
//! a zygote forked before the Sentry installs its filter. The zygote
//! installs the stub filter on itself first, so every stub it forks has
//! exactly that one:
//!
//! * a system call made outside the stub's code traps (`SIGSYS`, handled
//!   like a dispatch trap);
//! * inside the stub's code, only the calls the stub makes are allowed;
//!   anything else kills the process (a guest that jumps into the stub's
//!   code gains nothing but those).
//!
//! The zygote drops every capability (the Sentry threads that trace its
//! stubs have none either) and keeps nothing but the stub pages, the memory file and its
//! socket to the Sentry. For each byte the Sentry writes, it forks a stub
//! and answers with its pid; the stub idles until the Sentry seizes it
//! (`PTRACE_SEIZE`: the Sentry is its grandparent).

use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use std::sync::Mutex;

use crate::{PlatformError, Result, lock, stub};

/// `seccomp_data` offsets.
const NR: u32 = 0;
const ARCH: u32 = 4;
const IP_LO: u32 = 8;
const IP_HI: u32 = 12;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_TRAP: u32 = 0x0003_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;

/// What stub code itself calls: set-up, the zygote's loop, the handler,
/// the trampoline, the syscall thread (address-space changes, new threads).
const STUB_CALLS: &[i64] = &[
    libc::SYS_read,
    libc::SYS_write,
    libc::SYS_close,
    libc::SYS_mmap,
    libc::SYS_mprotect,
    libc::SYS_munmap,
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigreturn,
    libc::SYS_sched_yield,
    libc::SYS_pause,
    libc::SYS_getpid,
    libc::SYS_clone,
    libc::SYS_exit,
    libc::SYS_wait4,
    libc::SYS_kill,
    libc::SYS_sigaltstack,
    libc::SYS_prctl,
    libc::SYS_futex,
    libc::SYS_exit_group,
    libc::SYS_rseq,
    libc::SYS_close_range,
];

/// The stub filter: trap outside `[start, end)`, allow [`STUB_CALLS`]
/// inside it, kill otherwise. `None` if the range crosses a 4 GiB boundary
/// (the filter compares the halves of the address separately).
pub fn stub_filter(start: u64, end: u64) -> Option<Vec<libc::sock_filter>> {
    let last = end.checked_sub(1)?;
    if start >> 32 != last >> 32 || start >= end {
        return None;
    }
    let stmt = |code: u16, k: u32| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u16, k: u32, jt: u8, jf: u8| libc::sock_filter { code, jt, jf, k };
    const LD: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const JGE: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
    const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let n = STUB_CALLS.len();
    // Layout: 0..8 checks, 8..8+n the allow-list, then KILL, TRAP, ALLOW.
    let kill = 8 + n;
    let trap = kill + 1;
    let allow = kill + 2;
    let to = |from: usize, target: usize| u8::try_from(target - from - 1).ok();
    let mut p = vec![
        stmt(LD, ARCH),
        jump(JEQ, AUDIT_ARCH_X86_64, 0, to(1, kill)?),
        stmt(LD, IP_HI),
        jump(JEQ, (start >> 32) as u32, 0, to(3, trap)?),
        stmt(LD, IP_LO),
        jump(JGE, start as u32, 0, to(5, trap)?),
        jump(JGE, end as u32, to(6, trap)?, 0),
        stmt(LD, NR),
    ];
    for (i, nr) in STUB_CALLS.iter().enumerate() {
        p.push(jump(JEQ, *nr as u32, to(8 + i, allow)?, 0));
    }
    p.push(stmt(RET, RET_KILL_PROCESS));
    p.push(stmt(RET, RET_TRAP));
    p.push(stmt(RET, RET_ALLOW));
    Some(p)
}

/// What the zygote's entry reads (layout shared with the assembly).
#[repr(C)]
struct ZygoteArgs {
    sock: u64,
    keep: u64,
    fprog: u64,
    start: u64,
    end: u64,
    rseq: u64,
    rseq_len: u64,
    /// `capset` header and data that drop every capability.
    caps: u64,
}

/// `capset(&header, &data)` arguments (version 3, this process, all zero).
#[repr(C)]
struct NoCaps {
    header: [u32; 2],
    data: [u32; 6],
}

unsafe extern "C" {
    /// The zygote's entry (never returns).
    fn rvisor_zygote_entry(args: *const ZygoteArgs) -> !;
}

/// The Sentry's handle on its zygote.
pub struct Zygote {
    sock: Mutex<OwnedFd>,
}

impl Zygote {
    /// Forks the zygote, keeping host FD `keep_fd` (the memory file) in
    /// it. Must run before the Sentry installs its own seccomp filter.
    pub fn start(keep_fd: i32) -> Result<Zygote> {
        let (start, end) = stub::stub_range();
        let filter = stub_filter(start, end)
            .ok_or_else(|| PlatformError::Stub("stub code crosses a 4 GiB boundary".into()))?;
        let fprog = libc::sock_fprog {
            len: u16::try_from(filter.len())
                .map_err(|_| PlatformError::Stub("stub filter too long".into()))?,
            filter: filter.as_ptr().cast_mut(),
        };
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(|e| PlatformError::Host {
            what: "zygote socketpair",
            err: e.into(),
        })?;
        let (rseq, rseq_len) = stub::rseq_area();
        let no_caps = NoCaps {
            header: [0x2008_0522, 0],
            data: [0; 6],
        };
        let args = ZygoteArgs {
            sock: theirs.as_raw_fd() as u64,
            keep: u64::try_from(keep_fd)
                .map_err(|_| PlatformError::Stub("bad memory fd".into()))?,
            fprog: std::ptr::addr_of!(fprog) as u64,
            start,
            end,
            rseq,
            rseq_len,
            caps: std::ptr::addr_of!(no_caps) as u64,
        };
        // SAFETY: a raw fork (clone without CLONE_VM). The child runs only
        // the stub's assembly, which reads `args` (and through it the
        // filter) from its copy of our memory before unmapping it, and
        // makes raw system calls; forking a multi-threaded process is
        // sound for that.
        let pid = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) };
        if pid < 0 {
            return Err(PlatformError::last("clone zygote"));
        }
        if pid == 0 {
            // SAFETY: see above; never returns.
            unsafe { rvisor_zygote_entry(&args) }
        }
        drop(theirs);
        Ok(Zygote {
            sock: Mutex::new(ours),
        })
    }

    /// A new stub from the zygote, idling untraced; its pid.
    pub(crate) fn fork_stub(&self) -> Result<i32> {
        let sock = lock(&self.sock);
        let fd = sock.as_raw_fd();
        let one = [1u8];
        // SAFETY: writes one byte from a valid buffer to our socket.
        if unsafe { libc::write(fd, one.as_ptr().cast(), 1) } != 1 {
            return Err(PlatformError::last("ask the zygote for a stub"));
        }
        let mut pid = [0u8; 4];
        let mut got = 0usize;
        while got < 4 {
            // SAFETY: reads into the rest of a valid 4-byte buffer.
            let r = unsafe { libc::read(fd, pid[got..].as_mut_ptr().cast(), 4 - got) };
            if r <= 0 {
                return Err(PlatformError::Stub("the stub zygote is gone".into()));
            }
            got += r as usize;
        }
        let pid = i32::from_le_bytes(pid);
        if pid <= 0 {
            return Err(PlatformError::Host {
                what: "zygote fork",
                err: std::io::Error::from_raw_os_error(-pid),
            });
        }
        Ok(pid)
    }
}

/// Whether the host kernel has syscall user dispatch (Linux 5.11+).
pub fn has_user_dispatch() -> bool {
    // PR_SET_SYSCALL_USER_DISPATCH with PR_SYS_DISPATCH_OFF: a no-op where
    // it exists, EINVAL where it does not.
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(59, 0, 0, 0, 0) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_jumps_stay_inside_the_program() {
        let p = stub_filter(0x5555_0000_1000, 0x5555_0000_4000).expect("filter");
        for (i, ins) in p.iter().enumerate() {
            if ins.code & 0x07 == libc::BPF_JMP as u16 {
                assert!(i + 1 + (ins.jt as usize) < p.len());
                assert!(i + 1 + (ins.jf as usize) < p.len());
            }
        }
        assert_eq!(p.last().map(|i| i.k), Some(RET_ALLOW));
    }

    #[test]
    fn filter_refuses_a_range_across_4_gib() {
        assert!(stub_filter(0xffff_f000, 0x1_0000_1000).is_none());
    }
}
