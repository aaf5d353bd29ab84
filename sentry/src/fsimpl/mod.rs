//! File systems.

pub mod dev;
pub mod epoll;
pub mod gofer;
pub mod host;
pub mod overlay;
pub mod pidfd;
pub mod pipe;
pub mod proc;
pub mod signalfd;
pub mod socket;
pub mod tmpfs;

/// Attributes of an anonymous inode (`anon_inode:[...]`: epoll, pidfd,
/// signalfd): one shared inode on the anonymous-inode file system.
pub fn anon_attr() -> crate::vfs::Attr {
    let now = crate::vfs::Time::now();
    crate::vfs::Attr {
        dev: 0xe,
        ino: 1,
        mode: 0o600,
        nlink: 1,
        blksize: 4096,
        atime: now,
        mtime: now,
        ctime: now,
        ..crate::vfs::Attr::default()
    }
}
