//! `eventfd`/`eventfd2`: an anonymous file holding a 64-bit counter
//! (`fs/eventfd.c`). A write adds to it; a read returns it and resets it
//! to zero, or, with `EFD_SEMAPHORE`, returns 1 and decrements it. A read
//! of zero and a write that would pass `u64::MAX - 1` wait (or fail with
//! `EAGAIN` under `O_NONBLOCK`). Readable while the counter is not zero,
//! writable while one more can be added.

use std::sync::{Arc, Mutex};

use abi::Errno;

use crate::kernel::Task;
use crate::kernel::process::lock;
use crate::kernel::waitqueue::WaitQueue;
use crate::syscalls::SyscallResult;
use crate::vfs::{FileOps, Whence};

const EFD_SEMAPHORE: u32 = 1;
const EFD_CLOEXEC: u32 = 0o2000000;
const EFD_NONBLOCK: u32 = 0o4000;
/// The most the counter may hold.
const MAX: u64 = u64::MAX - 1;

/// The inode of an eventfd: its counter, shared by every FD for it.
pub struct EventfdInode {
    count: Mutex<u64>,
    semaphore: bool,
    /// Notified whenever the counter changes (readers and writers wait).
    queue: WaitQueue,
}

super::anon_inode!(EventfdInode);

struct EventfdOps {
    inode: Arc<EventfdInode>,
}

impl FileOps for EventfdOps {
    fn read(&self, buf: &mut [u8], _o: u64) -> Result<usize, Errno> {
        let out = buf.get_mut(..8).ok_or(Errno::EINVAL)?;
        let mut count = lock(&self.inode.count);
        if *count == 0 {
            // The syscall layer waits unless O_NONBLOCK.
            return Err(Errno::EAGAIN);
        }
        let value = if self.inode.semaphore { 1 } else { *count };
        *count -= value;
        drop(count);
        out.copy_from_slice(&value.to_ne_bytes());
        self.inode.queue.notify_all();
        Ok(8)
    }

    fn write(&self, buf: &[u8], _o: u64) -> Result<usize, Errno> {
        // Exactly one counter's worth, as Linux 6 requires.
        let bytes: [u8; 8] = buf.try_into().map_err(|_| Errno::EINVAL)?;
        let value = u64::from_ne_bytes(bytes);
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut count = lock(&self.inode.count);
        if MAX - *count < value {
            return Err(Errno::EAGAIN);
        }
        *count += value;
        drop(count);
        if value > 0 {
            self.inode.queue.notify_all();
        }
        Ok(8)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn seek(&self, _off: i64, _whence: Whence, _pos: u64) -> Option<Result<u64, Errno>> {
        // `noop_llseek`: the position stays 0.
        Some(Ok(0))
    }

    fn readiness(&self) -> (bool, bool) {
        let count = *lock(&self.inode.count);
        (count > 0, count < MAX)
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.inode.queue)
    }
}

/// `eventfd2(initval, flags)`.
pub fn eventfd2(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[1] as u32;
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let inode = Arc::new(EventfdInode {
        count: Mutex::new(u64::from(a[0] as u32)),
        semaphore: flags & EFD_SEMAPHORE != 0,
        queue: WaitQueue::default(),
    });
    let ops = Arc::new(EventfdOps {
        inode: inode.clone(),
    });
    let (status, cloexec) = (flags & EFD_NONBLOCK, flags & EFD_CLOEXEC != 0);
    Ok(super::install_anon_file(task, "eventfd", inode, ops, status, cloexec)? as u64)
}

/// `eventfd(initval)`: `eventfd2` without flags.
pub fn eventfd(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    eventfd2(task, &[a[0], 0, 0, 0, 0, 0])
}
