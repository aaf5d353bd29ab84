//! `signalfd`/`signalfd4`: an anonymous file holding a signal mask. A read
//! takes pending signals in the mask from the reading thread and its
//! process and returns them as 128-byte `signalfd_siginfo` records
//! (`fs/signalfd.c`); it is readable while such a signal is pending.
//!
//! Reads and polls act for the calling thread (Linux uses `current`), found
//! through [`crate::kernel::current`].

use std::sync::{Arc, Mutex, Weak};

use abi::Errno;
use abi::signal::SigInfo;

use crate::kernel::process::{TaskHandle, UNBLOCKABLE, lock};
use crate::kernel::waitqueue::WaitQueue;
use crate::kernel::{Kernel, Task};
use crate::mm::UserPtr;
use crate::syscalls::{SyscallResult, arg_fd};
use crate::vfs::FileOps;

const SFD_CLOEXEC: u32 = 0o2000000;
const SFD_NONBLOCK: u32 = 0o4000;
/// Size of `struct signalfd_siginfo`.
const RECORD: usize = 128;

/// The inode of a signalfd: its mask, shared by every FD for it.
pub struct SignalfdInode {
    mask: Mutex<u64>,
    kernel: Weak<Kernel>,
    /// Notified when the mask changes (a waiting reader re-checks).
    queue: WaitQueue,
}

impl SignalfdInode {
    fn mask(&self) -> u64 {
        *lock(&self.mask)
    }

    /// The calling thread.
    fn current(&self) -> Option<Arc<TaskHandle>> {
        let kernel = self.kernel.upgrade()?;
        let (tid, _) = crate::kernel::current();
        lock(&kernel.tasks).threads.get(&tid).cloned()
    }

    /// Whether a signal in the mask is pending for the calling thread.
    fn pending(&self) -> bool {
        let mask = self.mask();
        let Some(t) = self.current() else {
            return false;
        };
        if lock(&t.state).pending.set & mask != 0 {
            return true;
        }
        t.tg.lock().pending.set & mask != 0
    }

    /// Takes one pending signal in the mask: thread-directed first, then
    /// process-wide (`dequeue_signal`).
    fn dequeue(&self) -> Option<SigInfo> {
        let t = self.current()?;
        let blocked = !self.mask();
        loop {
            let taken = lock(&t.state).pending.take(blocked);
            let mut info = match taken {
                Some(i) => i,
                None => t.tg.lock().pending.take(blocked)?,
            };
            // A stale signal of a re-armed or deleted POSIX timer is dropped.
            if crate::kernel::timers::deliverable(&t.tg, &mut info) {
                return Some(info);
            }
        }
    }
}

super::anon_inode!(SignalfdInode);

/// `signalfd_siginfo` from a `siginfo_t`, field by field as
/// `signalfd_copyinfo` does for the siginfo's layout.
fn record(info: &SigInfo) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    let mut put = |off: usize, b: &[u8]| r[off..off + b.len()].copy_from_slice(b);
    let (signo, code) = (info.si_signo, info.si_code);
    put(0, &(signo as u32).to_ne_bytes());
    put(4, &info.si_errno.to_ne_bytes());
    put(8, &code.to_ne_bytes());
    // siginfo_layout().
    enum L {
        Kill,
        Timer,
        Poll,
        Fault,
        Chld,
        Rt,
        Sys,
    }
    let layout = if code > abi::signal::SI_USER && code < abi::signal::SI_KERNEL {
        match (signo, code) {
            (4, 1..=11) | (8, 1..=15) | (11, 1..=10) | (7, 1..=5) | (5, 1..=6) => L::Fault,
            (17, 1..=6) => L::Chld,
            (29, 1..=6) => L::Poll,
            (31, 1..=1) => L::Sys,
            (_, 1..=6) => L::Poll,
            _ => L::Kill,
        }
    } else if code == abi::signal::SI_TIMER {
        L::Timer
    } else if code == abi::signal::SI_SIGIO {
        L::Poll
    } else if code < 0 {
        L::Rt
    } else {
        L::Kill
    };
    let value = info.si_value();
    match layout {
        L::Kill => {
            put(12, &(info.si_pid() as u32).to_ne_bytes());
            put(16, &info.si_uid().to_ne_bytes());
        }
        L::Rt => {
            put(12, &(info.si_pid() as u32).to_ne_bytes());
            put(16, &info.si_uid().to_ne_bytes());
            put(44, &(value as u32).to_ne_bytes());
            put(48, &value.to_ne_bytes());
        }
        L::Timer => {
            put(24, &(info.si_timerid() as u32).to_ne_bytes());
            put(32, &(info.si_overrun() as u32).to_ne_bytes());
            put(44, &(value as u32).to_ne_bytes());
            put(48, &value.to_ne_bytes());
        }
        L::Poll => {
            put(28, &(info.si_band() as u32).to_ne_bytes());
            put(20, &info.si_fd().to_ne_bytes());
        }
        L::Fault => {
            put(72, &info.si_addr().to_ne_bytes());
            if signo == 7 && (code == 4 || code == 5) {
                put(80, &info.si_addr_lsb().to_ne_bytes());
            }
        }
        L::Chld => {
            put(12, &(info.si_pid() as u32).to_ne_bytes());
            put(16, &info.si_uid().to_ne_bytes());
            put(40, &info.si_status().to_ne_bytes());
            put(56, &info.si_utime().to_ne_bytes());
            put(64, &info.si_stime().to_ne_bytes());
        }
        L::Sys => {
            put(88, &info.si_call_addr().to_ne_bytes());
            put(84, &info.si_syscall().to_ne_bytes());
            put(96, &info.si_arch().to_ne_bytes());
        }
    }
    r
}

struct SignalfdOps {
    inode: Arc<SignalfdInode>,
}

impl FileOps for SignalfdOps {
    fn read(&self, buf: &mut [u8], _o: u64) -> Result<usize, Errno> {
        let count = buf.len() / RECORD;
        if count == 0 {
            return Err(Errno::EINVAL);
        }
        let mut n = 0;
        for chunk in buf.chunks_exact_mut(RECORD).take(count) {
            let Some(info) = self.inode.dequeue() else {
                break;
            };
            chunk.copy_from_slice(&record(&info));
            n += RECORD;
        }
        if n == 0 {
            // The syscall layer waits unless O_NONBLOCK.
            return Err(Errno::EAGAIN);
        }
        Ok(n)
    }
    fn write(&self, _b: &[u8], _o: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self) -> (bool, bool) {
        (self.inode.pending(), false)
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        // Signals wake the waiting task directly; the queue is for mask
        // changes.
        Some(&self.inode.queue)
    }
}

/// `signalfd4(fd, mask, sizemask, flags)`.
pub fn signalfd4(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[3] as u32;
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 || a[2] != 8 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = task.mm.read(UserPtr::new(a[1]))?;
    let mask = mask & !UNBLOCKABLE;
    let fd = arg_fd(a[0]);
    if fd != -1 {
        let f = task.fds.get(fd)?;
        let inode = f.inode();
        let sfd = inode
            .as_any()
            .downcast_ref::<SignalfdInode>()
            .ok_or(Errno::EINVAL)?;
        *lock(&sfd.mask) = mask;
        sfd.queue.notify_all();
        return Ok(fd as u64);
    }
    let inode = Arc::new(SignalfdInode {
        mask: Mutex::new(mask),
        kernel: Arc::downgrade(&task.kernel),
        queue: WaitQueue::default(),
    });
    let ops = Arc::new(SignalfdOps {
        inode: inode.clone(),
    });
    let (status, cloexec) = (flags & SFD_NONBLOCK, flags & SFD_CLOEXEC != 0);
    Ok(super::install_anon_file(task, "signalfd", inode, ops, status, cloexec)? as u64)
}

/// `signalfd(fd, mask, sizemask)`: `signalfd4` without flags.
pub fn signalfd(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    signalfd4(task, &[a[0], a[1], a[2], 0, 0, 0])
}
