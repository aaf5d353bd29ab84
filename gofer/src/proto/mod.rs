//! The gofer protocol: messages and their encoding.
//!
//! Every message travels as one `SOCK_SEQPACKET` datagram of at most
//! [`MAX_MESSAGE_SIZE`] bytes:
//!
//! ```text
//! header:  id: u64 | opcode: u16 | payload length: u32     (all little-endian)
//! payload: opcode-specific fields, see `wire.rs`
//! ```
//!
//! Host FDs (the result of [`Request::Open`] and [`Request::Create`]) travel
//! alongside as `SCM_RIGHTS`; [`Response::fd_count`] says how many a response
//! must carry. A response repeats the request's id; its opcode is the
//! request's opcode with bit 15 set, or [`OP_ERROR`] for an [`Errno`].
//!
//! Decoding is total: every malformed message (truncated, trailing bytes,
//! unknown opcode, oversized counts, invalid names, out-of-range values) gives
//! a [`ProtoError`], never a panic, and no allocation is sized from a length
//! field before the bytes it describes have been seen.

#![forbid(unsafe_code)]

mod wire;

use abi::Errno;
use std::fmt;

pub use wire::{
    GETDENTS_BASE_SIZE, decode_header, decode_request, decode_response, dirent_size,
    encode_request, encode_response,
};

/// The largest message, header included, either side may send.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Size of the fixed message header (id, opcode, payload length).
pub const HEADER_SIZE: usize = 8 + 2 + 4;

/// The longest name of a directory entry (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// The longest symlink target, without the terminating NUL (`PATH_MAX - 1`).
pub const TARGET_MAX: usize = 4095;

/// The most names one [`Request::Walk`] may carry.
pub const MAX_WALK_NAMES: usize = 255;

/// The most FileIds one [`Request::Close`] may carry.
pub const MAX_CLOSE_FILES: usize = 4096;

/// The opcode of an error response.
pub const OP_ERROR: u16 = 0xffff;

/// The most FDs any message carries.
pub const MAX_FDS: usize = 1;

/// A server-side handle on one host file, chosen by the server.
///
/// FileIds are never reused within a connection.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FileId(pub u64);

/// A validated directory-entry name: 1 to [`NAME_MAX`] bytes, no `/`, no
/// NUL, and neither `.` nor `..`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name(Vec<u8>);

/// Why a byte string is not a valid [`Name`] or symlink target.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("empty name")]
    Empty,
    /// The name is longer than allowed.
    #[error("name too long")]
    TooLong,
    /// The name contains a `/`.
    #[error("name contains '/'")]
    Slash,
    /// The name contains a NUL byte.
    #[error("name contains NUL")]
    Nul,
    /// The name is `.` or `..`.
    #[error("name is '.' or '..'")]
    Dot,
}

impl NameError {
    /// The errno Linux gives for such a name.
    pub fn errno(self) -> Errno {
        match self {
            NameError::Empty => Errno::ENOENT,
            NameError::TooLong => Errno::ENAMETOOLONG,
            NameError::Slash | NameError::Nul | NameError::Dot => Errno::EINVAL,
        }
    }
}

impl Name {
    /// Validates `bytes` as a single path component.
    pub fn new(bytes: &[u8]) -> Result<Name, NameError> {
        if bytes.is_empty() {
            return Err(NameError::Empty);
        }
        if bytes.len() > NAME_MAX {
            return Err(NameError::TooLong);
        }
        if bytes.contains(&b'/') {
            return Err(NameError::Slash);
        }
        if bytes.contains(&0) {
            return Err(NameError::Nul);
        }
        if bytes == b"." || bytes == b".." {
            return Err(NameError::Dot);
        }
        Ok(Name(bytes.to_vec()))
    }

    /// The name's bytes (never empty, never containing `/` or NUL).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// Validates a symlink target: 1 to [`TARGET_MAX`] bytes without NUL.
pub fn check_target(bytes: &[u8]) -> Result<(), NameError> {
    if bytes.is_empty() {
        return Err(NameError::Empty);
    }
    if bytes.len() > TARGET_MAX {
        return Err(NameError::TooLong);
    }
    if bytes.contains(&0) {
        return Err(NameError::Nul);
    }
    Ok(())
}

/// A point in time: seconds and nanoseconds (`nsec < 1_000_000_000`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Timespec {
    /// Seconds since the epoch.
    pub sec: i64,
    /// Nanoseconds, below one second.
    pub nsec: u32,
}

/// File attributes, as `stat(2)` reports them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stat {
    /// Device holding the file.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// File type and permission bits (`S_IFMT | 07777`).
    pub mode: u32,
    /// Number of hard links.
    pub nlink: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number, for device files.
    pub rdev: u64,
    /// Size in bytes.
    pub size: u64,
    /// Preferred I/O block size.
    pub blksize: u64,
    /// Number of 512-byte blocks allocated.
    pub blocks: u64,
    /// Last access.
    pub atime: Timespec,
    /// Last modification.
    pub mtime: Timespec,
    /// Last status change.
    pub ctime: Timespec,
}

/// Filesystem statistics, as `statfs(2)` reports them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatFs {
    /// Filesystem magic number.
    pub fs_type: u64,
    /// Optimal transfer block size.
    pub bsize: u64,
    /// Total data blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks available to unprivileged users.
    pub bavail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Filesystem id.
    pub fsid: u64,
    /// Maximum name length.
    pub namelen: u64,
    /// Fragment size.
    pub frsize: u64,
    /// Mount flags (`ST_*`).
    pub flags: u64,
}

/// The owner given to a newly created file.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Owner {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// Which attributes a [`SetStat`] changes: a mask of `SETSTAT_*` bits.
pub type SetStatMask = u32;

/// [`SetStat`] bit: change the permission bits.
pub const SETSTAT_MODE: SetStatMask = 1 << 0;
/// [`SetStat`] bit: change the owner.
pub const SETSTAT_UID: SetStatMask = 1 << 1;
/// [`SetStat`] bit: change the group.
pub const SETSTAT_GID: SetStatMask = 1 << 2;
/// [`SetStat`] bit: change the size (regular files only).
pub const SETSTAT_SIZE: SetStatMask = 1 << 3;
/// [`SetStat`] bit: set the access time to `atime`.
pub const SETSTAT_ATIME: SetStatMask = 1 << 4;
/// [`SetStat`] bit: set the modification time to `mtime`.
pub const SETSTAT_MTIME: SetStatMask = 1 << 5;
/// [`SetStat`] bit: set the access time to the server's current time.
pub const SETSTAT_ATIME_NOW: SetStatMask = 1 << 6;
/// [`SetStat`] bit: set the modification time to the server's current time.
pub const SETSTAT_MTIME_NOW: SetStatMask = 1 << 7;
/// All defined [`SetStat`] bits; others are malformed.
pub const SETSTAT_ALL: SetStatMask = (1 << 8) - 1;

/// The attributes [`Request::SetStat`] changes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SetStat {
    /// Which of the fields below apply (`SETSTAT_*` bits).
    pub mask: SetStatMask,
    /// New permission bits (`07777`).
    pub mode: u32,
    /// New owner.
    pub uid: u32,
    /// New group.
    pub gid: u32,
    /// New size.
    pub size: u64,
    /// New access time.
    pub atime: Timespec,
    /// New modification time.
    pub mtime: Timespec,
}

/// One directory entry returned by [`Request::Getdents`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dirent {
    /// Inode number.
    pub ino: u64,
    /// Entry type (`DT_*`).
    pub d_type: u8,
    /// The entry's name (never `.` or `..`).
    pub name: Name,
    /// The cookie to pass to continue reading after this entry.
    pub next: u64,
}

/// A request from the client (the Sentry) to the server (the gofer).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Request {
    /// Get a FileId for the root. → [`Response::Attach`].
    Attach,
    /// Walk `names` one by one from `dir`, never following symlinks.
    /// → [`Response::Walk`].
    Walk {
        /// The directory to start from.
        dir: FileId,
        /// The components to walk.
        names: Vec<Name>,
    },
    /// Attributes of `file`. → [`Response::Stat`].
    Stat {
        /// The file.
        file: FileId,
    },
    /// Open `file` with `open(2)` `flags`; the host FD is donated.
    /// → [`Response::Open`].
    Open {
        /// The file.
        file: FileId,
        /// `O_ACCMODE`, `O_TRUNC`, `O_APPEND`, `O_NONBLOCK`, `O_DSYNC`,
        /// `O_SYNC`, `O_DIRECT`, `O_NOATIME`, `O_DIRECTORY`, `O_LARGEFILE`.
        flags: u32,
    },
    /// Create and open a regular file `name` in `dir` (`O_CREAT | O_EXCL`).
    /// → [`Response::Create`].
    Create {
        /// The directory.
        dir: FileId,
        /// The new file's name.
        name: Name,
        /// Open flags, as for [`Request::Open`].
        flags: u32,
        /// Permission bits.
        mode: u32,
        /// Owner of the new file.
        owner: Owner,
    },
    /// Create a directory. → [`Response::Created`].
    Mkdir {
        /// The parent directory.
        dir: FileId,
        /// The new directory's name.
        name: Name,
        /// Permission bits.
        mode: u32,
        /// Owner of the new directory.
        owner: Owner,
    },
    /// Create a regular file or a FIFO (`mode` carries the type).
    /// → [`Response::Created`].
    Mknod {
        /// The parent directory.
        dir: FileId,
        /// The new file's name.
        name: Name,
        /// File type (`S_IFREG`, `S_IFIFO` or 0) and permission bits.
        mode: u32,
        /// Owner of the new file.
        owner: Owner,
    },
    /// Create a symlink `name` → `target`. → [`Response::Created`].
    Symlink {
        /// The parent directory.
        dir: FileId,
        /// The symlink's name.
        name: Name,
        /// The symlink's contents (1..=4095 bytes, no NUL).
        target: Vec<u8>,
        /// Owner of the symlink.
        owner: Owner,
    },
    /// Create a hard link `name` in `dir` to `target`.
    /// → [`Response::Created`].
    Link {
        /// The directory to hold the new link.
        dir: FileId,
        /// The new link's name.
        name: Name,
        /// The existing file.
        target: FileId,
    },
    /// Remove `name` from `dir` (`unlinkat(2)`; `flags` may hold
    /// `AT_REMOVEDIR`). → [`Response::Unlink`].
    Unlink {
        /// The directory.
        dir: FileId,
        /// The entry to remove.
        name: Name,
        /// 0 or `AT_REMOVEDIR`.
        flags: u32,
    },
    /// `renameat2(2)`. → [`Response::Rename`].
    Rename {
        /// The source directory.
        old_dir: FileId,
        /// The source name.
        old_name: Name,
        /// The destination directory.
        new_dir: FileId,
        /// The destination name.
        new_name: Name,
        /// 0, `RENAME_NOREPLACE` or `RENAME_EXCHANGE`.
        flags: u32,
    },
    /// Contents of the symlink `file`. → [`Response::Readlink`].
    Readlink {
        /// The symlink.
        file: FileId,
    },
    /// Entries of `dir` from `cookie` on (0 is the start).
    /// → [`Response::Getdents`]; an empty list means the end.
    Getdents {
        /// The directory.
        dir: FileId,
        /// Where to continue: 0 or a previous entry's `next`.
        cookie: u64,
    },
    /// Change attributes. → [`Response::SetStat`].
    SetStat {
        /// The file.
        file: FileId,
        /// What to change.
        stat: SetStat,
    },
    /// Statistics of the filesystem holding `file`. → [`Response::StatFs`].
    StatFs {
        /// Any file on the filesystem.
        file: FileId,
    },
    /// Forget FileIds and close their host FDs. → [`Response::Close`].
    Close {
        /// The FileIds to forget.
        files: Vec<FileId>,
    },
}

/// A response from the server to one [`Request`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Response {
    /// The request failed.
    Error(Errno),
    /// The root.
    Attach {
        /// The root's new FileId.
        root: FileId,
        /// The root's attributes.
        stat: Stat,
    },
    /// The components walked.
    Walk {
        /// One (FileId, Stat) per component walked, in order.
        walked: Vec<(FileId, Stat)>,
        /// Why the walk stopped before the last component, if it did.
        error: Option<Errno>,
    },
    /// Attributes.
    Stat(Stat),
    /// The opened file; carries one FD.
    Open,
    /// The created file; carries one FD (the open file).
    Create {
        /// The new file's FileId.
        file: FileId,
        /// Its attributes.
        stat: Stat,
    },
    /// A new directory entry (mkdir, mknod, symlink, link).
    Created {
        /// The new entry's FileId.
        file: FileId,
        /// Its attributes.
        stat: Stat,
    },
    /// The entry was removed.
    Unlink,
    /// The entry was renamed.
    Rename,
    /// A symlink's contents.
    Readlink(Vec<u8>),
    /// Directory entries; empty at the end of the directory.
    Getdents(Vec<Dirent>),
    /// Attributes were changed.
    SetStat,
    /// Filesystem statistics.
    StatFs(StatFs),
    /// FileIds were closed.
    Close,
}

impl Response {
    /// How many FDs travel with this response.
    pub fn fd_count(&self) -> usize {
        match self {
            Response::Open | Response::Create { .. } => 1,
            _ => 0,
        }
    }
}

/// The fixed part of every message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// Request id, chosen by the client and echoed by the server.
    pub id: u64,
    /// What the payload is.
    pub opcode: u16,
    /// Length of the payload in bytes.
    pub len: u32,
}

/// Why a message could not be decoded, or did not fit the exchange.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ProtoError {
    /// The message ended before a field.
    #[error("message truncated")]
    Truncated,
    /// Bytes remain after the last field.
    #[error("{0} trailing bytes after message")]
    TrailingBytes(usize),
    /// The header's payload length disagrees with the message size.
    #[error("payload length {header} but {actual} bytes received")]
    LengthMismatch {
        /// The length in the header.
        header: u32,
        /// The bytes actually present.
        actual: usize,
    },
    /// The message is larger than [`MAX_MESSAGE_SIZE`].
    #[error("message of {0} bytes exceeds the maximum")]
    TooLarge(usize),
    /// The opcode is not known.
    #[error("unknown opcode {0:#x}")]
    UnknownOpcode(u16),
    /// A count is above its limit.
    #[error("count {count} exceeds limit {limit}")]
    CountTooLarge {
        /// The count received.
        count: u64,
        /// The limit.
        limit: usize,
    },
    /// A name or symlink target is invalid.
    #[error("invalid name: {0}")]
    BadName(#[from] NameError),
    /// A field has an impossible value.
    #[error("invalid value for {0}")]
    BadValue(&'static str),
    /// The message carried a different number of FDs than it should.
    #[error("expected {expected} FDs, received {received}")]
    UnexpectedFds {
        /// FDs the message should carry.
        expected: usize,
        /// FDs that arrived.
        received: usize,
    },
    /// A response's id does not match the request.
    #[error("response id {got} for request {expected}")]
    IdMismatch {
        /// The request's id.
        expected: u64,
        /// The response's id.
        got: u64,
    },
    /// A response of the wrong kind for the request.
    #[error("response {got:#x} does not answer request {request:#x}")]
    WrongResponse {
        /// The request's opcode.
        request: u16,
        /// The response's opcode.
        got: u16,
    },
}

#[cfg(test)]
mod tests;
