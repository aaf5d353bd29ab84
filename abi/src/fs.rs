//! File-system ABI: `stat`, `statx`, `statfs`, `dirent64`, open flags, `*at`
//! flags, mode bits, `fcntl` commands, `flock` and `openat2`'s `open_how`.
//!
//! Flag and mask values are `u32` (bit patterns); command selectors that C
//! declares `int` (`F_*`, `SEEK_*`) are `i32`.

use bitflags::bitflags;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Longest path, including the terminating NUL (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Longest path component (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// `struct stat` as x86-64 `stat`/`fstat`/`newfstatat` fill it (144 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Stat {
    /// `st_dev`: device containing the file.
    pub st_dev: u64,
    /// `st_ino`: inode number.
    pub st_ino: u64,
    /// `st_nlink`: number of hard links.
    pub st_nlink: u64,
    /// `st_mode`: file type and permission bits.
    pub st_mode: u32,
    /// `st_uid`: owner.
    pub st_uid: u32,
    /// `st_gid`: group.
    pub st_gid: u32,
    /// `__pad0`.
    pub __pad0: u32,
    /// `st_rdev`: device number of a special file.
    pub st_rdev: u64,
    /// `st_size`: size in bytes.
    pub st_size: i64,
    /// `st_blksize`: preferred I/O block size.
    pub st_blksize: i64,
    /// `st_blocks`: number of 512-byte blocks allocated.
    pub st_blocks: i64,
    /// `st_atime`: last access, seconds.
    pub st_atime: i64,
    /// `st_atime_nsec`: last access, nanoseconds.
    pub st_atime_nsec: i64,
    /// `st_mtime`: last modification, seconds.
    pub st_mtime: i64,
    /// `st_mtime_nsec`: last modification, nanoseconds.
    pub st_mtime_nsec: i64,
    /// `st_ctime`: last status change, seconds.
    pub st_ctime: i64,
    /// `st_ctime_nsec`: last status change, nanoseconds.
    pub st_ctime_nsec: i64,
    /// `__unused`.
    pub __unused: [i64; 3],
}

/// `struct statx_timestamp`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct StatxTimestamp {
    /// `tv_sec`.
    pub tv_sec: i64,
    /// `tv_nsec`.
    pub tv_nsec: u32,
    /// `__reserved`.
    pub __reserved: i32,
}

/// `struct statx` (256 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Statx {
    /// `stx_mask`: which fields were filled (`STATX_*`).
    pub stx_mask: u32,
    /// `stx_blksize`: preferred I/O block size.
    pub stx_blksize: u32,
    /// `stx_attributes`: `STATX_ATTR_*` bits.
    pub stx_attributes: u64,
    /// `stx_nlink`.
    pub stx_nlink: u32,
    /// `stx_uid`.
    pub stx_uid: u32,
    /// `stx_gid`.
    pub stx_gid: u32,
    /// `stx_mode`.
    pub stx_mode: u16,
    /// `__spare0`.
    pub __spare0: u16,
    /// `stx_ino`.
    pub stx_ino: u64,
    /// `stx_size`.
    pub stx_size: u64,
    /// `stx_blocks`.
    pub stx_blocks: u64,
    /// `stx_attributes_mask`: which `stx_attributes` bits are supported.
    pub stx_attributes_mask: u64,
    /// `stx_atime`.
    pub stx_atime: StatxTimestamp,
    /// `stx_btime`.
    pub stx_btime: StatxTimestamp,
    /// `stx_ctime`.
    pub stx_ctime: StatxTimestamp,
    /// `stx_mtime`.
    pub stx_mtime: StatxTimestamp,
    /// `stx_rdev_major`.
    pub stx_rdev_major: u32,
    /// `stx_rdev_minor`.
    pub stx_rdev_minor: u32,
    /// `stx_dev_major`.
    pub stx_dev_major: u32,
    /// `stx_dev_minor`.
    pub stx_dev_minor: u32,
    /// `stx_mnt_id`.
    pub stx_mnt_id: u64,
    /// `stx_dio_mem_align`.
    pub stx_dio_mem_align: u32,
    /// `stx_dio_offset_align`.
    pub stx_dio_offset_align: u32,
    /// `__spare3`: room for future fields.
    pub __spare3: [u64; 12],
}

/// `STATX_TYPE`
pub const STATX_TYPE: u32 = 0x1;
/// `STATX_MODE`
pub const STATX_MODE: u32 = 0x2;
/// `STATX_NLINK`
pub const STATX_NLINK: u32 = 0x4;
/// `STATX_UID`
pub const STATX_UID: u32 = 0x8;
/// `STATX_GID`
pub const STATX_GID: u32 = 0x10;
/// `STATX_ATIME`
pub const STATX_ATIME: u32 = 0x20;
/// `STATX_MTIME`
pub const STATX_MTIME: u32 = 0x40;
/// `STATX_CTIME`
pub const STATX_CTIME: u32 = 0x80;
/// `STATX_INO`
pub const STATX_INO: u32 = 0x100;
/// `STATX_SIZE`
pub const STATX_SIZE: u32 = 0x200;
/// `STATX_BLOCKS`
pub const STATX_BLOCKS: u32 = 0x400;
/// `STATX_BASIC_STATS`: everything `stat` returns.
pub const STATX_BASIC_STATS: u32 = 0x7ff;
/// `STATX_BTIME`
pub const STATX_BTIME: u32 = 0x800;
/// `STATX_ALL` (deprecated): basic stats and btime.
pub const STATX_ALL: u32 = 0xfff;
/// `STATX_MNT_ID`
pub const STATX_MNT_ID: u32 = 0x1000;
/// `STATX_DIOALIGN`
pub const STATX_DIOALIGN: u32 = 0x2000;
/// `STATX__RESERVED`: must not be set in a request.
pub const STATX__RESERVED: u32 = 0x8000_0000;

/// `STATX_ATTR_COMPRESSED`
pub const STATX_ATTR_COMPRESSED: u64 = 0x4;
/// `STATX_ATTR_IMMUTABLE`
pub const STATX_ATTR_IMMUTABLE: u64 = 0x10;
/// `STATX_ATTR_APPEND`
pub const STATX_ATTR_APPEND: u64 = 0x20;
/// `STATX_ATTR_NODUMP`
pub const STATX_ATTR_NODUMP: u64 = 0x40;
/// `STATX_ATTR_ENCRYPTED`
pub const STATX_ATTR_ENCRYPTED: u64 = 0x800;
/// `STATX_ATTR_AUTOMOUNT`
pub const STATX_ATTR_AUTOMOUNT: u64 = 0x1000;
/// `STATX_ATTR_MOUNT_ROOT`
pub const STATX_ATTR_MOUNT_ROOT: u64 = 0x2000;
/// `STATX_ATTR_VERITY`
pub const STATX_ATTR_VERITY: u64 = 0x10_0000;
/// `STATX_ATTR_DAX`
pub const STATX_ATTR_DAX: u64 = 0x20_0000;

/// `struct statfs` as x86-64 `statfs`/`fstatfs` fill it (120 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Statfs {
    /// `f_type`: file-system magic number.
    pub f_type: i64,
    /// `f_bsize`: optimal transfer block size.
    pub f_bsize: i64,
    /// `f_blocks`: total data blocks.
    pub f_blocks: u64,
    /// `f_bfree`: free blocks.
    pub f_bfree: u64,
    /// `f_bavail`: free blocks for unprivileged users.
    pub f_bavail: u64,
    /// `f_files`: total inodes.
    pub f_files: u64,
    /// `f_ffree`: free inodes.
    pub f_ffree: u64,
    /// `f_fsid`: file-system id.
    pub f_fsid: [i32; 2],
    /// `f_namelen`: longest file name.
    pub f_namelen: i64,
    /// `f_frsize`: fragment size.
    pub f_frsize: i64,
    /// `f_flags`: mount flags (`ST_*`).
    pub f_flags: i64,
    /// `f_spare`.
    pub f_spare: [i64; 4],
}

/// The fixed header of `struct linux_dirent64` (19 bytes, unaligned); the
/// NUL-terminated name follows at offset 19 and the record is padded to
/// `d_reclen` (a multiple of 8).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C, packed)]
pub struct Dirent64 {
    /// `d_ino`: inode number.
    pub d_ino: u64,
    /// `d_off`: offset of the next entry (opaque cookie).
    pub d_off: i64,
    /// `d_reclen`: length of this record.
    pub d_reclen: u16,
    /// `d_type`: `DT_*`.
    pub d_type: u8,
}

impl Dirent64 {
    /// Offset of `d_name` in the record.
    pub const NAME_OFFSET: usize = 19;

    /// The `d_reclen` of a record whose name is `name_len` bytes long (NUL
    /// terminator and padding to 8 bytes included), or `None` on overflow.
    pub fn reclen(name_len: usize) -> Option<usize> {
        let raw = Self::NAME_OFFSET.checked_add(name_len)?.checked_add(1)?;
        Some(raw.checked_add(7)? & !7)
    }
}

/// `DT_UNKNOWN`
pub const DT_UNKNOWN: u8 = 0;
/// `DT_FIFO`
pub const DT_FIFO: u8 = 1;
/// `DT_CHR`
pub const DT_CHR: u8 = 2;
/// `DT_DIR`
pub const DT_DIR: u8 = 4;
/// `DT_BLK`
pub const DT_BLK: u8 = 6;
/// `DT_REG`
pub const DT_REG: u8 = 8;
/// `DT_LNK`
pub const DT_LNK: u8 = 10;
/// `DT_SOCK`
pub const DT_SOCK: u8 = 12;
/// `DT_WHT`
pub const DT_WHT: u8 = 14;

/// The `DT_*` type of a file with mode `mode` (`IFTODT`).
pub fn dt_from_mode(mode: u32) -> u8 {
    // The file type occupies bits 12..16, so this always fits in a u8.
    ((mode & S_IFMT) >> 12) as u8
}

bitflags! {
    /// Flags of `open`, `openat` and `openat2` (`O_*`), and of `F_GETFL`.
    ///
    /// The access mode (`O_RDONLY`, `O_WRONLY`, `O_RDWR`) is a two-bit field,
    /// not a flag: read it with [`OpenFlags::access_mode`].
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct OpenFlags: u32 {
        /// `O_RDONLY` (zero: test with [`OpenFlags::access_mode`]).
        const RDONLY = 0;
        /// `O_WRONLY`
        const WRONLY = 0o1;
        /// `O_RDWR`
        const RDWR = 0o2;
        /// `O_ACCMODE`: the access-mode mask.
        const ACCMODE = 0o3;
        /// `O_CREAT`
        const CREAT = 0o100;
        /// `O_EXCL`
        const EXCL = 0o200;
        /// `O_NOCTTY`
        const NOCTTY = 0o400;
        /// `O_TRUNC`
        const TRUNC = 0o1000;
        /// `O_APPEND`
        const APPEND = 0o2000;
        /// `O_NONBLOCK`
        const NONBLOCK = 0o4000;
        /// `O_DSYNC`
        const DSYNC = 0o10000;
        /// `O_ASYNC` (`FASYNC`)
        const ASYNC = 0o20000;
        /// `O_DIRECT`
        const DIRECT = 0o40000;
        /// `O_LARGEFILE`
        const LARGEFILE = 0o100000;
        /// `O_DIRECTORY`
        const DIRECTORY = 0o200000;
        /// `O_NOFOLLOW`
        const NOFOLLOW = 0o400000;
        /// `O_NOATIME`
        const NOATIME = 0o1000000;
        /// `O_CLOEXEC`
        const CLOEXEC = 0o2000000;
        /// `O_SYNC` (`__O_SYNC | O_DSYNC`)
        const SYNC = 0o4010000;
        /// `O_PATH`
        const PATH = 0o10000000;
        /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`)
        const TMPFILE = 0o20200000;
    }
}

impl OpenFlags {
    /// The access mode: `O_RDONLY`, `O_WRONLY`, `O_RDWR` or 3 (which Linux
    /// accepts as "neither read nor write").
    pub fn access_mode(self) -> u32 {
        self.bits() & Self::ACCMODE.bits()
    }

    /// Whether the access mode allows reading.
    pub fn readable(self) -> bool {
        matches!(self.access_mode(), 0 | 2)
    }

    /// Whether the access mode allows writing.
    pub fn writable(self) -> bool {
        matches!(self.access_mode(), 1 | 2)
    }
}

/// `AT_FDCWD`: the `dirfd` meaning "the current working directory".
pub const AT_FDCWD: i32 = -100;
/// `AT_SYMLINK_NOFOLLOW`
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
/// `AT_EACCESS` (`faccessat`; same value as `AT_REMOVEDIR`)
pub const AT_EACCESS: u32 = 0x200;
/// `AT_REMOVEDIR` (`unlinkat`)
pub const AT_REMOVEDIR: u32 = 0x200;
/// `AT_SYMLINK_FOLLOW` (`linkat`)
pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
/// `AT_NO_AUTOMOUNT`
pub const AT_NO_AUTOMOUNT: u32 = 0x800;
/// `AT_EMPTY_PATH`
pub const AT_EMPTY_PATH: u32 = 0x1000;
/// `AT_STATX_SYNC_TYPE`: mask of the statx sync mode.
pub const AT_STATX_SYNC_TYPE: u32 = 0x6000;
/// `AT_STATX_SYNC_AS_STAT`
pub const AT_STATX_SYNC_AS_STAT: u32 = 0x0000;
/// `AT_STATX_FORCE_SYNC`
pub const AT_STATX_FORCE_SYNC: u32 = 0x2000;
/// `AT_STATX_DONT_SYNC`
pub const AT_STATX_DONT_SYNC: u32 = 0x4000;
/// `AT_RECURSIVE`
pub const AT_RECURSIVE: u32 = 0x8000;

/// `S_IFMT`: the file-type mask of a mode.
pub const S_IFMT: u32 = 0o170000;
/// `S_IFSOCK`
pub const S_IFSOCK: u32 = 0o140000;
/// `S_IFLNK`
pub const S_IFLNK: u32 = 0o120000;
/// `S_IFREG`
pub const S_IFREG: u32 = 0o100000;
/// `S_IFBLK`
pub const S_IFBLK: u32 = 0o060000;
/// `S_IFDIR`
pub const S_IFDIR: u32 = 0o040000;
/// `S_IFCHR`
pub const S_IFCHR: u32 = 0o020000;
/// `S_IFIFO`
pub const S_IFIFO: u32 = 0o010000;
/// `S_ISUID`
pub const S_ISUID: u32 = 0o4000;
/// `S_ISGID`
pub const S_ISGID: u32 = 0o2000;
/// `S_ISVTX` (sticky)
pub const S_ISVTX: u32 = 0o1000;
/// `S_IRWXU`
pub const S_IRWXU: u32 = 0o700;
/// `S_IRUSR`
pub const S_IRUSR: u32 = 0o400;
/// `S_IWUSR`
pub const S_IWUSR: u32 = 0o200;
/// `S_IXUSR`
pub const S_IXUSR: u32 = 0o100;
/// `S_IRWXG`
pub const S_IRWXG: u32 = 0o070;
/// `S_IRGRP`
pub const S_IRGRP: u32 = 0o040;
/// `S_IWGRP`
pub const S_IWGRP: u32 = 0o020;
/// `S_IXGRP`
pub const S_IXGRP: u32 = 0o010;
/// `S_IRWXO`
pub const S_IRWXO: u32 = 0o007;
/// `S_IROTH`
pub const S_IROTH: u32 = 0o004;
/// `S_IWOTH`
pub const S_IWOTH: u32 = 0o002;
/// `S_IXOTH`
pub const S_IXOTH: u32 = 0o001;

/// `F_DUPFD`
pub const F_DUPFD: i32 = 0;
/// `F_GETFD`
pub const F_GETFD: i32 = 1;
/// `F_SETFD`
pub const F_SETFD: i32 = 2;
/// `F_GETFL`
pub const F_GETFL: i32 = 3;
/// `F_SETFL`
pub const F_SETFL: i32 = 4;
/// `F_GETLK`
pub const F_GETLK: i32 = 5;
/// `F_SETLK`
pub const F_SETLK: i32 = 6;
/// `F_SETLKW`
pub const F_SETLKW: i32 = 7;
/// `F_SETOWN`
pub const F_SETOWN: i32 = 8;
/// `F_GETOWN`
pub const F_GETOWN: i32 = 9;
/// `F_SETSIG`
pub const F_SETSIG: i32 = 10;
/// `F_GETSIG`
pub const F_GETSIG: i32 = 11;
/// `F_SETOWN_EX`
pub const F_SETOWN_EX: i32 = 15;
/// `F_GETOWN_EX`
pub const F_GETOWN_EX: i32 = 16;
/// `F_OFD_GETLK`
pub const F_OFD_GETLK: i32 = 36;
/// `F_OFD_SETLK`
pub const F_OFD_SETLK: i32 = 37;
/// `F_OFD_SETLKW`
pub const F_OFD_SETLKW: i32 = 38;
/// `F_SETLEASE`
pub const F_SETLEASE: i32 = 1024;
/// `F_GETLEASE`
pub const F_GETLEASE: i32 = 1025;
/// `F_NOTIFY`
pub const F_NOTIFY: i32 = 1026;
/// `F_DUPFD_CLOEXEC`
pub const F_DUPFD_CLOEXEC: i32 = 1030;
/// `F_SETPIPE_SZ`
pub const F_SETPIPE_SZ: i32 = 1031;
/// `F_GETPIPE_SZ`
pub const F_GETPIPE_SZ: i32 = 1032;
/// `F_ADD_SEALS`
pub const F_ADD_SEALS: i32 = 1033;
/// `F_GET_SEALS`
pub const F_GET_SEALS: i32 = 1034;
/// `FD_CLOEXEC`: the only file-descriptor flag.
pub const FD_CLOEXEC: u32 = 1;
/// `F_SEAL_SEAL`
pub const F_SEAL_SEAL: u32 = 0x1;
/// `F_SEAL_SHRINK`
pub const F_SEAL_SHRINK: u32 = 0x2;
/// `F_SEAL_GROW`
pub const F_SEAL_GROW: u32 = 0x4;
/// `F_SEAL_WRITE`
pub const F_SEAL_WRITE: u32 = 0x8;
/// `F_SEAL_FUTURE_WRITE`
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
/// `F_RDLCK`
pub const F_RDLCK: i16 = 0;
/// `F_WRLCK`
pub const F_WRLCK: i16 = 1;
/// `F_UNLCK`
pub const F_UNLCK: i16 = 2;

/// `struct flock` (32 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Flock {
    /// `l_type`: `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub l_type: i16,
    /// `l_whence`: `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub l_whence: i16,
    /// Padding.
    pub _pad0: u32,
    /// `l_start`.
    pub l_start: i64,
    /// `l_len` (0 = to end of file).
    pub l_len: i64,
    /// `l_pid`.
    pub l_pid: i32,
    /// Padding.
    pub _pad1: u32,
}

/// `SEEK_SET`
pub const SEEK_SET: i32 = 0;
/// `SEEK_CUR`
pub const SEEK_CUR: i32 = 1;
/// `SEEK_END`
pub const SEEK_END: i32 = 2;
/// `SEEK_DATA`
pub const SEEK_DATA: i32 = 3;
/// `SEEK_HOLE`
pub const SEEK_HOLE: i32 = 4;

/// `F_OK`: test for existence.
pub const F_OK: u32 = 0;
/// `X_OK`
pub const X_OK: u32 = 1;
/// `W_OK`
pub const W_OK: u32 = 2;
/// `R_OK`
pub const R_OK: u32 = 4;

/// `RENAME_NOREPLACE`
pub const RENAME_NOREPLACE: u32 = 1;
/// `RENAME_EXCHANGE`
pub const RENAME_EXCHANGE: u32 = 2;
/// `RENAME_WHITEOUT`
pub const RENAME_WHITEOUT: u32 = 4;

/// `struct open_how` (`openat2`, 24 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct OpenHow {
    /// `flags`: `O_*`.
    pub flags: u64,
    /// `mode`: creation mode.
    pub mode: u64,
    /// `resolve`: `RESOLVE_*`.
    pub resolve: u64,
}

/// `OPEN_HOW_SIZE_VER0`: the first published size of `open_how`.
pub const OPEN_HOW_SIZE_VER0: usize = 24;

/// `RESOLVE_NO_XDEV`
pub const RESOLVE_NO_XDEV: u64 = 0x01;
/// `RESOLVE_NO_MAGICLINKS`
pub const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
/// `RESOLVE_NO_SYMLINKS`
pub const RESOLVE_NO_SYMLINKS: u64 = 0x04;
/// `RESOLVE_BENEATH`
pub const RESOLVE_BENEATH: u64 = 0x08;
/// `RESOLVE_IN_ROOT`
pub const RESOLVE_IN_ROOT: u64 = 0x10;
/// `RESOLVE_CACHED`
pub const RESOLVE_CACHED: u64 = 0x20;

const _: () = assert!(size_of::<Stat>() == 144);
const _: () = assert!(size_of::<Statx>() == 256);
const _: () = assert!(size_of::<Statfs>() == 120);
const _: () = assert!(size_of::<Dirent64>() == Dirent64::NAME_OFFSET);
const _: () = assert!(size_of::<Flock>() == 32);
const _: () = assert!(size_of::<OpenHow>() == OPEN_HOW_SIZE_VER0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_mode_when_rdwr_is_readable_and_writable() {
        let f = OpenFlags::RDWR | OpenFlags::CLOEXEC;
        assert_eq!(f.access_mode(), 2);
        assert!(f.readable() && f.writable());
        assert!(OpenFlags::empty().readable());
        assert!(!OpenFlags::empty().writable());
        assert!(!OpenFlags::ACCMODE.readable());
    }

    #[test]
    fn dirent_reclen_pads_to_eight() {
        assert_eq!(Dirent64::reclen(1), Some(24));
        assert_eq!(Dirent64::reclen(4), Some(24));
        assert_eq!(Dirent64::reclen(5), Some(32));
        assert_eq!(Dirent64::reclen(usize::MAX), None);
    }

    #[test]
    fn dt_from_mode_maps_types() {
        assert_eq!(dt_from_mode(S_IFDIR | 0o755), DT_DIR);
        assert_eq!(dt_from_mode(S_IFREG), DT_REG);
        assert_eq!(dt_from_mode(S_IFLNK), DT_LNK);
        assert_eq!(dt_from_mode(S_IFSOCK), DT_SOCK);
    }
}
