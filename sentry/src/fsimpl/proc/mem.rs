//! `/proc/PID/mem`: the process's memory as a file, read and written at
//! file offset = address, as debuggers use it (`fs/proc/base.c`,
//! `mem_rw`; proc_pid_mem(5)).
//!
//! The file is bound to the address space the process had when it was
//! opened: once no process uses that address space any more (the process
//! exec'd or exited), reads and writes transfer nothing, as on Linux
//! (which holds the `mm_struct` but not its users count). Accesses are
//! forced, as ptrace's are: a private mapping can be written whatever its
//! protection.

use std::sync::{Arc, Weak};

use abi::Errno;

use crate::kernel::process::lock;
use crate::kernel::{Kernel, ThreadGroup};
use crate::mm::MemoryManager;
use crate::vfs::{FileOps, Whence};

/// An open `/proc/PID/mem`.
pub(super) struct MemFile {
    kernel: Weak<Kernel>,
    /// The process it was opened on: the first place to look for a user
    /// of the address space.
    tg: Weak<ThreadGroup>,
    mm: Weak<MemoryManager>,
}

impl MemFile {
    /// A file on the address space `mm` of process `tg`, which it keeps
    /// alive neither.
    pub(super) fn new(
        kernel: &Arc<Kernel>,
        tg: &Arc<ThreadGroup>,
        mm: &Arc<MemoryManager>,
    ) -> MemFile {
        MemFile {
            kernel: Arc::downgrade(kernel),
            tg: Arc::downgrade(tg),
            mm: Arc::downgrade(mm),
        }
    }

    /// The address space, if a process still uses it (Linux's
    /// `mmget_not_zero`). An exiting thread may hold it a little longer
    /// than its process shows it, so being alive is not enough: some
    /// process must publish it as its own.
    fn live_mm(&self) -> Option<Arc<MemoryManager>> {
        let mm = self.mm.upgrade()?;
        let uses = |g: &ThreadGroup| {
            let s = g.lock();
            s.zombie.is_none() && s.mm.as_ref().is_some_and(|m| Arc::ptr_eq(m, &mm))
        };
        if self.tg.upgrade().is_some_and(|g| uses(&g)) {
            return Some(mm);
        }
        // Another process may share it (`CLONE_VM`).
        let kernel = self.kernel.upgrade()?;
        let groups: Vec<Arc<ThreadGroup>> = lock(&kernel.tasks).groups.values().cloned().collect();
        groups.iter().any(|g| uses(g)).then_some(mm)
    }
}

impl MemFile {
    /// Moves `len` bytes with `op` on the live address space: short where
    /// an inaccessible page begins, `EIO` if the first byte is, 0 bytes
    /// once no process uses the address space.
    fn transfer(
        &self,
        len: usize,
        op: impl FnOnce(&MemoryManager) -> usize,
    ) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        let Some(mm) = self.live_mm() else {
            return Ok(0);
        };
        match op(&mm) {
            0 => Err(Errno::EIO),
            n => Ok(n),
        }
    }
}

impl FileOps for MemFile {
    /// Reads memory at address `off` ([`MemFile::transfer`]).
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let len = buf.len();
        self.transfer(len, |mm| mm.read_force(off, buf))
    }

    /// Writes memory at address `off` ([`MemFile::transfer`]).
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        self.transfer(buf.len(), |mm| mm.write_force(off, buf))
    }

    /// `mem_lseek`: any 64-bit position (addresses past `i64::MAX`
    /// included, which `lseek` returns as negative numbers), from the
    /// start or the current position; nothing else.
    fn seek(&self, off: i64, whence: Whence, pos: u64) -> Option<Result<u64, Errno>> {
        Some(match whence {
            Whence::Set => Ok(off as u64),
            Whence::Cur => Ok(pos.wrapping_add(off as u64)),
            _ => Err(Errno::EINVAL),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unbound() -> MemFile {
        MemFile {
            kernel: Weak::new(),
            tg: Weak::new(),
            mm: Weak::new(),
        }
    }

    #[test]
    fn seek_takes_any_64_bit_address() {
        let f = unbound();
        assert_eq!(f.seek(i64::MIN, Whence::Set, 0), Some(Ok(1 << 63)));
        assert_eq!(f.seek(-1, Whence::Cur, 0), Some(Ok(u64::MAX)));
        assert_eq!(f.seek(2, Whence::Cur, u64::MAX), Some(Ok(1)));
        assert_eq!(f.seek(0, Whence::End, 0), Some(Err(Errno::EINVAL)));
    }

    #[test]
    fn a_gone_address_space_transfers_nothing() {
        let f = unbound();
        let mut buf = [0u8; 8];
        assert_eq!(f.read(&mut buf, 0x1000), Ok(0));
        assert_eq!(f.write(&buf, 0x1000), Ok(0));
    }
}
