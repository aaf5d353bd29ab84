//! Open file descriptions and the FD table.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use abi::Errno;

use super::{Dentry, DirEntry, FileOps, Inode};

/// `O_ACCMODE`.
pub const O_ACCMODE: u32 = 3;
/// `O_PATH`.
pub const O_PATH: u32 = 0o10000000;

/// An open file description: what `open` creates and `dup` shares.
pub struct FileDescription {
    /// Where it was opened (for `/proc/PID/fd` and `fchdir`).
    pub dentry: Arc<Dentry>,
    /// The file's operations.
    pub ops: Arc<dyn FileOps>,
    /// Status flags (`O_APPEND`, `O_NONBLOCK`...) and the access mode.
    pub flags: Mutex<u32>,
    /// The file position.
    pub pos: Mutex<u64>,
    /// A directory listing taken at the first `getdents`, so that a
    /// directory read across several calls is consistent.
    pub dir_snapshot: Mutex<Option<Vec<DirEntry>>>,
}

/// A shared reference to an open file description.
pub type FileRef = Arc<FileDescription>;

impl FileDescription {
    /// A new description.
    pub fn new(dentry: Arc<Dentry>, ops: Arc<dyn FileOps>, flags: u32) -> FileRef {
        Arc::new(FileDescription {
            dentry,
            ops,
            flags: Mutex::new(flags),
            pos: Mutex::new(0),
            dir_snapshot: Mutex::new(None),
        })
    }

    /// The inode.
    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.dentry.inode
    }

    /// The current flags.
    pub fn flags(&self) -> u32 {
        *self.flags.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether it was opened for reading.
    pub fn readable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && matches!(f & O_ACCMODE, 0 | 2)
    }

    /// Whether it was opened for writing.
    pub fn writable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && matches!(f & O_ACCMODE, 1 | 2)
    }

    /// Whether it is an `O_PATH` description.
    pub fn is_path(&self) -> bool {
        self.flags() & O_PATH != 0
    }
}

/// The most FDs a table may hold (`RLIMIT_NOFILE` default hard limit).
pub const MAX_FDS: u32 = 1 << 20;

#[derive(Clone)]
struct Slot {
    file: FileRef,
    cloexec: bool,
}

/// A task's FD table, shared by the tasks that share it (`CLONE_FILES`)
/// and readable by `/proc/PID/fd`.
#[derive(Clone, Default)]
pub struct FdTable {
    inner: Arc<Mutex<FdSlots>>,
}

#[derive(Clone, Default)]
struct FdSlots {
    slots: BTreeMap<u32, Slot>,
}

impl FdTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, FdSlots> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An independent copy (for `fork` without `CLONE_FILES`).
    pub fn fork(&self) -> FdTable {
        FdTable {
            inner: Arc::new(Mutex::new(self.lock().clone())),
        }
    }

    /// Looks up `fd` (`EBADF` if not open).
    pub fn get(&self, fd: i32) -> Result<FileRef, Errno> {
        let fd = u32::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.lock()
            .slots
            .get(&fd)
            .map(|s| s.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free FD ≥ `min` below `limit`.
    pub fn insert(&self, file: FileRef, cloexec: bool, min: u32, limit: u32) -> Result<i32, Errno> {
        let mut slots = self.lock();
        let mut fd = min;
        for k in slots.slots.range(min..).map(|(k, _)| *k) {
            if k != fd {
                break;
            }
            fd += 1;
        }
        if fd >= limit.min(MAX_FDS) {
            return Err(Errno::EMFILE);
        }
        slots.slots.insert(fd, Slot { file, cloexec });
        i32::try_from(fd).map_err(|_| Errno::EMFILE)
    }

    /// Installs `file` at exactly `fd`, returning what was there.
    pub fn insert_at(&self, fd: u32, file: FileRef, cloexec: bool) -> Option<FileRef> {
        self.lock()
            .slots
            .insert(fd, Slot { file, cloexec })
            .map(|s| s.file)
    }

    /// Closes `fd`.
    pub fn remove(&self, fd: i32) -> Result<FileRef, Errno> {
        let fd = u32::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.lock()
            .slots
            .remove(&fd)
            .map(|s| s.file)
            .ok_or(Errno::EBADF)
    }

    /// `FD_CLOEXEC` of `fd`.
    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        let fd = u32::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.lock()
            .slots
            .get(&fd)
            .map(|s| s.cloexec)
            .ok_or(Errno::EBADF)
    }

    /// Sets `FD_CLOEXEC` of `fd`.
    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        let fd = u32::try_from(fd).map_err(|_| Errno::EBADF)?;
        let mut slots = self.lock();
        let s = slots.slots.get_mut(&fd).ok_or(Errno::EBADF)?;
        s.cloexec = on;
        Ok(())
    }

    /// Closes every `FD_CLOEXEC` descriptor (at `execve`).
    pub fn close_on_exec(&self) {
        self.lock().slots.retain(|_, s| !s.cloexec);
    }

    /// Every open FD with its file.
    pub fn entries(&self) -> Vec<(i32, FileRef)> {
        self.lock()
            .slots
            .iter()
            .filter_map(|(k, s)| Some((i32::try_from(*k).ok()?, s.file.clone())))
            .collect()
    }

    /// Closes FDs in `[first, last]` (`close_range`).
    pub fn remove_range(&self, first: u32, last: u32, only_cloexec: bool) {
        let mut slots = self.lock();
        let keys: Vec<u32> = slots.slots.range(first..=last).map(|(k, _)| *k).collect();
        for k in keys {
            if only_cloexec {
                if let Some(s) = slots.slots.get_mut(&k) {
                    s.cloexec = true;
                }
            } else {
                slots.slots.remove(&k);
            }
        }
    }
}
