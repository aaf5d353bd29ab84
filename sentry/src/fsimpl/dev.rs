//! `/dev`: the character devices every program expects, as a tmpfs tree.

use std::any::Any;
use std::sync::Arc;

use abi::Errno;

use super::tmpfs::{TmpDir, TmpSymlink};
use crate::mm::MemoryFile;
use crate::vfs::{Attr, Creation, FileOps, Inode, MmapSource, S_IFCHR, SetAttr};

/// Which device a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// `/dev/null`: reads end at once, writes vanish.
    Null,
    /// `/dev/zero`: reads give zeroes.
    Zero,
    /// `/dev/full`: reads give zeroes, writes fail with `ENOSPC`.
    Full,
    /// `/dev/random`.
    Random,
    /// `/dev/urandom`.
    Urandom,
    /// `/dev/tty`: the controlling terminal (the sandbox has none).
    Tty,
}

impl Device {
    fn rdev(self) -> (u64, u64) {
        match self {
            Device::Null => (1, 3),
            Device::Zero => (1, 5),
            Device::Full => (1, 7),
            Device::Random => (1, 8),
            Device::Urandom => (1, 9),
            Device::Tty => (5, 0),
        }
    }
}

/// Encodes a device number as Linux's `makedev`.
pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// A device node.
pub struct DevNode {
    device: Device,
    attr: std::sync::Mutex<Attr>,
}

impl DevNode {
    /// A node for `device`.
    pub fn new(device: Device) -> Arc<DevNode> {
        let (ma, mi) = device.rdev();
        Arc::new(DevNode {
            device,
            attr: std::sync::Mutex::new(Attr {
                rdev: makedev(ma, mi),
                ..Attr::fresh(0x6, crate::vfs::next_ino(), S_IFCHR | 0o666, 0, 0)
            }),
        })
    }
}

impl Inode for DevNode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(*self.attr.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if self.device == Device::Tty {
            return Err(Errno::ENXIO);
        }
        Ok(Arc::new(DevOps {
            device: self.device,
        }))
    }

    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        let mut attr = self.attr.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = a.mode {
            attr.mode = S_IFCHR | (m & 0o7777);
        }
        if let Some(u) = a.uid {
            attr.uid = u;
        }
        if let Some(g) = a.gid {
            attr.gid = g;
        }
        if let Some(t) = a.atime {
            attr.atime = t;
        }
        if let Some(t) = a.mtime {
            attr.mtime = t;
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct DevOps {
    device: Device,
}

impl FileOps for DevOps {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        match self.device {
            Device::Null => Ok(0),
            Device::Zero | Device::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            Device::Random | Device::Urandom => {
                crate::kernel::random::fill(buf);
                Ok(buf.len())
            }
            Device::Tty => Err(Errno::EIO),
        }
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        match self.device {
            Device::Full => Err(Errno::ENOSPC),
            _ => Ok(buf.len()),
        }
    }

    fn seekable(&self) -> bool {
        true
    }

    fn seek(
        &self,
        _off: i64,
        _whence: crate::vfs::Whence,
        _pos: u64,
    ) -> Option<Result<u64, Errno>> {
        Some(Ok(0))
    }

    fn mmap_source(&self) -> MmapSource {
        match self.device {
            Device::Zero => MmapSource::Zero,
            _ => MmapSource::None,
        }
    }
}

/// Builds the `/dev` tree.
pub fn new_dev(memory: Arc<MemoryFile>) -> Arc<TmpDir> {
    let c = Creation {
        mode: 0o755,
        uid: 0,
        gid: 0,
    };
    let dev = TmpDir::new(memory.clone(), c);
    for (name, d) in [
        (&b"null"[..], Device::Null),
        (b"zero", Device::Zero),
        (b"full", Device::Full),
        (b"random", Device::Random),
        (b"urandom", Device::Urandom),
        (b"tty", Device::Tty),
    ] {
        dev.add(name, DevNode::new(d));
    }
    let l = Creation {
        mode: 0o777,
        uid: 0,
        gid: 0,
    };
    dev.add(b"fd", TmpSymlink::new(b"/proc/self/fd", l));
    dev.add(b"stdin", TmpSymlink::new(b"/proc/self/fd/0", l));
    dev.add(b"stdout", TmpSymlink::new(b"/proc/self/fd/1", l));
    dev.add(b"stderr", TmpSymlink::new(b"/proc/self/fd/2", l));
    dev.add(b"ptmx", TmpSymlink::new(b"pts/ptmx", l));
    let shm = Creation {
        mode: 0o1777,
        uid: 0,
        gid: 0,
    };
    dev.add(b"shm", TmpDir::new(memory.clone(), shm));
    dev.add(b"pts", TmpDir::new(memory, c));
    dev
}
