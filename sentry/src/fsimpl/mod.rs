//! File systems.

/// Implements [`crate::vfs::Inode`] for an anonymous inode type (epoll,
/// pidfd, signalfd): the anonymous-inode file system's attributes, and no
/// opening by path.
macro_rules! anon_inode {
    ($t:ty) => {
        impl crate::vfs::Inode for $t {
            fn attr(&self) -> Result<crate::vfs::Attr, abi::Errno> {
                Ok(crate::fsimpl::anon_attr())
            }
            fn open(
                self: std::sync::Arc<Self>,
                _flags: u32,
            ) -> Result<std::sync::Arc<dyn crate::vfs::FileOps>, abi::Errno> {
                Err(abi::Errno::ENXIO)
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
        }
    };
}
pub(crate) use anon_inode;

pub mod dev;
pub mod epoll;
pub mod eventfd;
pub mod gofer;
pub mod host;
pub mod lower_pages;
pub mod overlay;
pub mod pidfd;
pub mod pipe;
pub mod proc;
pub mod signalfd;
pub mod socket;
pub mod tmpfs;
pub mod unix_names;

/// Opens a new anonymous-inode file, `anon_inode:[kind]` (epoll,
/// eventfd, pidfd, signalfd), read-write with `status` flags added
/// (`O_NONBLOCK`), in `task`'s FD table.
pub fn install_anon_file(
    task: &crate::kernel::Task,
    kind: &str,
    inode: std::sync::Arc<dyn crate::vfs::Inode>,
    ops: std::sync::Arc<dyn crate::vfs::FileOps>,
    status: u32,
    cloexec: bool,
) -> Result<i32, abi::Errno> {
    let dentry = crate::vfs::Dentry::detached(format!("anon_inode:[{kind}]").into_bytes(), inode);
    let file = crate::vfs::FileDescription::new(dentry, ops, 2 | status);
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    task.fds.insert(file, cloexec, 0, limit)
}

/// Attributes of an anonymous inode (`anon_inode:[...]`: epoll, pidfd,
/// signalfd): one shared inode on the anonymous-inode file system.
pub fn anon_attr() -> crate::vfs::Attr {
    crate::vfs::Attr::fresh(0xe, 1, 0o600, 0, 0)
}
