//! `/proc/PID/ns`: one magic link per namespace type, reading as
//! `type:[inode]` (namespaces(7)). Every process of the sandbox shares one
//! set of namespaces, so the links name the same namespaces for all of
//! them; following one reaches that namespace's nsfs inode, whose inode
//! number is the one in the link text.

use std::any::Any;
use std::sync::Arc;

use abi::Errno;

use crate::vfs::{Attr, Dentry, FileOps, FsStat, Inode, S_IFREG};

/// The entries of `/proc/PID/ns` in the order Linux lists them
/// (`ns_entries`): name, namespace type, inode number. The numbers are
/// those of Linux's initial namespaces (`PROC_*_INIT_INO`): the sandbox's
/// namespaces are the only ones its guests can see.
pub(super) const NAMESPACES: [(&str, &str, u64); 10] = [
    ("net", "net", 0xEFFF_FFF9),
    ("uts", "uts", 0xEFFF_FFFE),
    ("ipc", "ipc", 0xEFFF_FFFF),
    ("pid", "pid", 0xEFFF_FFFC),
    ("pid_for_children", "pid", 0xEFFF_FFFC),
    ("user", "user", 0xEFFF_FFFD),
    ("mnt", "mnt", 0xEFFF_FFF8),
    ("cgroup", "cgroup", 0xEFFF_FFFB),
    ("time", "time", 0xEFFF_FFFA),
    ("time_for_children", "time", 0xEFFF_FFFA),
];

/// Device of the nsfs file system (`0:4`, as on a typical host).
const NSFS_DEV: u64 = 4;
/// `NSFS_MAGIC`.
const NSFS_MAGIC: u64 = 0x6e73_6673;

/// The index in [`NAMESPACES`] of entry `name`.
pub(super) fn lookup(name: &[u8]) -> Option<usize> {
    NAMESPACES.iter().position(|(n, _, _)| n.as_bytes() == name)
}

/// What the link of entry `index` reads as: `type:[inode]`.
pub(super) fn link_text(index: usize) -> Result<Vec<u8>, Errno> {
    let (_, kind, ino) = NAMESPACES.get(index).ok_or(Errno::ENOENT)?;
    Ok(format!("{kind}:[{ino}]").into_bytes())
}

/// Where following the link of entry `index` leads: the namespace's nsfs
/// inode, outside any mounted tree and named by the link text (as
/// `/proc/PID/fd/N` of an open namespace reads).
pub(super) fn target(index: usize) -> Result<Arc<Dentry>, Errno> {
    let (_, _, ino) = NAMESPACES.get(index).ok_or(Errno::ENOENT)?;
    Ok(Dentry::detached(
        link_text(index)?,
        Arc::new(NsInode { ino: *ino }),
    ))
}

/// A namespace as nsfs shows it: a read-only regular file whose inode
/// number identifies the namespace.
struct NsInode {
    ino: u64,
}

impl Inode for NsInode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr::fresh(NSFS_DEV, self.ino, S_IFREG | 0o444, 0, 0))
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        // Linux refuses to open a namespace for writing, even for root.
        if flags & 3 != 0 {
            return Err(Errno::EPERM);
        }
        Ok(Arc::new(NsFile))
    }

    fn statfs(&self) -> Result<FsStat, Errno> {
        Ok(FsStat {
            fs_type: NSFS_MAGIC,
            bsize: 4096,
            namelen: 255,
            ..FsStat::default()
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open namespace (for `setns`, or to keep it alive): it cannot be read,
/// written or seeked (`ns_file_operations`).
struct NsFile;

impl FileOps for NsFile {
    fn seekable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_reads_as_type_and_inode() {
        let pid = lookup(b"pid_for_children").expect("listed");
        assert_eq!(link_text(pid).expect("valid"), b"pid:[4026531836]");
        assert_eq!(lookup(b"nope"), None);
        assert_eq!(link_text(NAMESPACES.len()), Err(Errno::ENOENT));
    }

    #[test]
    fn following_a_link_reaches_the_namespace_inode() {
        let d = target(lookup(b"mnt").expect("listed")).expect("valid");
        let a = d.inode.attr().expect("attr");
        assert_eq!((a.ino, a.mode), (4_026_531_832, S_IFREG | 0o444));
        assert_eq!(d.name, b"mnt:[4026531832]");
    }
}
