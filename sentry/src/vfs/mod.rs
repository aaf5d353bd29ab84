//! The virtual file system: inodes and file operations that each file
//! system implements, dentries that cache the name tree and carry mounts,
//! path resolution as Linux does it, and open file descriptions.
//!
//! # Lock order
//! `Dentry::children` → any file system's own locks. File systems never
//! call back into dentries.

#![forbid(unsafe_code)]

mod dentry;
mod file;
mod path;

pub use dentry::Dentry;
pub use file::{FdTable, FileDescription, FileRef};
pub use path::{FsContext, Lookup, resolve, resolve_parent};

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use abi::Errno;

use crate::mm::SharedPages;

/// File type bits of `st_mode`.
pub const S_IFMT: u32 = 0o170000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// FIFO.
pub const S_IFIFO: u32 = 0o010000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;

/// A point in time, seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Time {
    /// Seconds.
    pub sec: i64,
    /// Nanoseconds.
    pub nsec: i64,
}

impl Time {
    /// The current real time.
    pub fn now() -> Time {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Time {
            sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nsec: i64::from(d.subsec_nanos()),
        }
    }
}

/// What `stat` reports of an inode.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attr {
    /// Device of the file system.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Type and permission bits.
    pub mode: u32,
    /// Link count.
    pub nlink: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number for device files.
    pub rdev: u64,
    /// Size in bytes.
    pub size: u64,
    /// Preferred I/O size.
    pub blksize: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    /// Last access.
    pub atime: Time,
    /// Last modification.
    pub mtime: Time,
    /// Last status change.
    pub ctime: Time,
}

impl Attr {
    /// A new inode's attributes: one link, 4 KiB blocks, all times now.
    pub fn fresh(dev: u64, ino: u64, mode: u32, uid: u32, gid: u32) -> Attr {
        let now = Time::now();
        Attr {
            dev,
            ino,
            mode,
            nlink: 1,
            uid,
            gid,
            blksize: 4096,
            atime: now,
            mtime: now,
            ctime: now,
            ..Attr::default()
        }
    }

    /// The file type bits.
    pub fn kind(&self) -> u32 {
        self.mode & S_IFMT
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.kind() == S_IFDIR
    }

    /// Whether this is a symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.kind() == S_IFLNK
    }

    /// The `d_type` for a directory entry of this inode.
    pub fn dtype(&self) -> u8 {
        mode_to_dtype(self.mode)
    }
}

/// `d_type` of a mode.
pub fn mode_to_dtype(mode: u32) -> u8 {
    match mode & S_IFMT {
        S_IFDIR => 4,
        S_IFREG => 8,
        S_IFLNK => 10,
        S_IFCHR => 2,
        S_IFBLK => 6,
        S_IFIFO => 1,
        S_IFSOCK => 12,
        _ => 0,
    }
}

/// Changes `setattr` makes; `None` leaves a field alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetAttr {
    /// New permission bits (type bits ignored).
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New size (truncate or extend).
    pub size: Option<u64>,
    /// New access time.
    pub atime: Option<Time>,
    /// New modification time.
    pub mtime: Option<Time>,
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Inode number.
    pub ino: u64,
    /// `d_type`.
    pub dtype: u8,
    /// Name.
    pub name: Vec<u8>,
}

/// File-system statistics (`statfs`).
#[derive(Clone, Copy, Debug, Default)]
pub struct FsStat {
    /// Magic number of the file-system type.
    pub fs_type: u64,
    /// Block size.
    pub bsize: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Blocks available to unprivileged users.
    pub bavail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Longest name.
    pub namelen: u64,
}

/// Who creates a file: owner and mode after the umask.
#[derive(Clone, Copy, Debug)]
pub struct Creation {
    /// Type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// A file-system object.
pub trait Inode: Send + Sync + Any {
    /// Its attributes.
    fn attr(&self) -> Result<Attr, Errno>;
    /// Adds `delta` to the link count (a name was linked or removed).
    fn adjust_nlink(&self, _delta: i64) {}
    /// Marks a directory removed (`rmdir`): nothing can be created in it
    /// and its link count is 0.
    fn mark_dead(&self) {}
    /// Whether `mark_dead` was called.
    fn is_dead(&self) -> bool {
        false
    }
    /// Looks up `name` in a directory (`name` is never `.` or `..`).
    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }
    /// Lists a directory (without `.` and `..`).
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }
    /// The target of a symbolic link.
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }
    /// For a "magic" link (`/proc/PID/fd/N`, as Linux's `proc_get_link`):
    /// the dentry a walk continues at, instead of resolving the text
    /// `readlink` shows (pipes and deleted files have no path).
    fn follow_link(&self) -> Option<Result<Arc<Dentry>, Errno>> {
        None
    }
    /// Opens the inode; `flags` are the `open` flags.
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno>;
    /// Creates a regular file, FIFO or device node `name` in a directory.
    fn create(&self, _name: &[u8], _c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::EPERM)
    }
    /// Creates directory `name`.
    fn mkdir(&self, _name: &[u8], _c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::EPERM)
    }
    /// Creates symbolic link `name` → `target`.
    fn symlink(&self, _name: &[u8], _target: &[u8], _c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::EPERM)
    }
    /// Creates hard link `name` to `target`.
    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// Removes `name` (a directory when `dir`, else a non-directory).
    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// Moves `name` to `new_name` in `new_dir` (same file system).
    fn rename(
        &self,
        _name: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new_name: &[u8],
    ) -> Result<(), Errno> {
        Err(Errno::EXDEV)
    }
    /// Changes attributes.
    fn setattr(&self, _a: SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// File-system statistics.
    fn statfs(&self) -> Result<FsStat, Errno> {
        Ok(FsStat {
            fs_type: 0x0102_1994,
            bsize: 4096,
            namelen: 255,
            ..FsStat::default()
        })
    }
    /// Lets rename and link check that two inodes belong to the same file system.
    fn as_any(&self) -> &dyn Any;
}

/// `lseek` origins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    /// `SEEK_SET`.
    Set,
    /// `SEEK_CUR`.
    Cur,
    /// `SEEK_END`.
    End,
    /// `SEEK_DATA`.
    Data,
    /// `SEEK_HOLE`.
    Hole,
}

/// How an open file can be mapped.
pub enum MmapSource {
    /// Share these pages (`MAP_SHARED`) or copy them (`MAP_PRIVATE`).
    Pages(Arc<dyn SharedPages>),
    /// Pages of a file that does not change under the sandbox (the lower
    /// layer): mapped like `Pages`, except that a writable private mapping
    /// gets a copy at once (it is about to be written: a library's data).
    Cached(Arc<dyn SharedPages>),
    /// Copy the contents through `read_at`.
    Copy,
    /// Fresh zero pages, as for anonymous memory (`/dev/zero`).
    Zero,
    /// The file cannot be mapped.
    None,
}

/// Operations on an open file.
pub trait FileOps: Send + Sync {
    /// Reads at `off` (ignored by streams).
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// Writes at `off` (ignored by streams; for `O_APPEND` the caller passes the size).
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// Whether the file has a position (`lseek` works, reads advance it).
    fn seekable(&self) -> bool {
        true
    }
    /// A custom `lseek` from the file position `pos` (host files share the
    /// host offset; `/proc/PID/mem` takes any `u64`); `None` means the
    /// generic one.
    fn seek(&self, _off: i64, _whence: Whence, _pos: u64) -> Option<Result<u64, Errno>> {
        None
    }
    /// `ioctl`.
    fn ioctl(&self, _req: u64, _arg: u64, _mm: &crate::mm::MemoryManager) -> Result<u64, Errno> {
        Err(Errno::ENOTTY)
    }
    /// How the file can be mapped.
    fn mmap_source(&self) -> MmapSource {
        MmapSource::None
    }
    /// For a host terminal: whether its `TOSTOP` flag is set (background
    /// writes stop); `None` for anything else.
    fn terminal_tostop(&self) -> Option<bool> {
        None
    }
    /// A host FD behind the file, for `stat` of host files.
    fn host_fd(&self) -> Option<i32> {
        None
    }
    /// Flushes data (`fsync`).
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// Readiness for `poll`: (readable, writable).
    fn readiness(&self) -> (bool, bool) {
        (true, true)
    }
    /// Where a reader or writer that got `EAGAIN` waits for a change; files
    /// without one never block.
    fn wait_queue(&self) -> Option<&crate::kernel::waitqueue::WaitQueue> {
        None
    }
    /// Whether the peer end is gone (`POLLHUP`): pipes with no writers.
    fn hung_up(&self) -> bool {
        false
    }
    /// The `poll` mask (`POLLIN`, `POLLOUT`, `POLLHUP`, `POLLERR`, ...) as
    /// the file's Linux `poll` operation reports it; by default derived
    /// from `readiness` and `hung_up`.
    fn poll_events(&self) -> u32 {
        let (r, w) = self.readiness();
        let mut m = 0;
        if r {
            m |= 0x1 | 0x40;
        }
        if w {
            m |= 0x4 | 0x100;
        }
        if self.hung_up() {
            m |= 0x10;
        }
        m
    }
    /// `F_GETPIPE_SZ` (`set` is `None`) or `F_SETPIPE_SZ`; `EBADF` for
    /// anything but a pipe.
    fn pipe_size(&self, _set: Option<u64>) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1_000_000);

/// A fresh inode number for in-memory file systems.
pub fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// The checks `rename(2)` makes before `moving` replaces `existing`:
/// directory over non-directory is `ENOTDIR`, the reverse `EISDIR`, over a
/// non-empty directory `ENOTEMPTY`. Returns true when both are the same
/// inode (the rename does nothing).
pub fn check_replace(moving: &Arc<dyn Inode>, existing: &Arc<dyn Inode>) -> Result<bool, Errno> {
    if Arc::ptr_eq(existing, moving) {
        return Ok(true);
    }
    let moving_dir = moving.attr()?.is_dir();
    let ex_dir = existing.attr()?.is_dir();
    if moving_dir && !ex_dir {
        return Err(Errno::ENOTDIR);
    }
    if !moving_dir && ex_dir {
        return Err(Errno::EISDIR);
    }
    if ex_dir && !existing.readdir()?.is_empty() {
        return Err(Errno::ENOTEMPTY);
    }
    Ok(false)
}

/// Checks a single path component for length and content.
pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.len() > 255 {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}
