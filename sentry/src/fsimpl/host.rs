//! Host files: descriptors the Sentry inherited (the guest's stdio). Reads
//! and writes use the host file's own offset, so output to a regular file
//! lands where the file's offset is, as it would natively; terminal ioctls
//! pass through.

use std::any::Any;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use abi::Errno;

use crate::mm::MemoryManager;
use crate::vfs::{Attr, FileOps, Inode, Time, Whence};

fn host_errno(e: &std::io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}

/// An inherited host file.
pub struct HostFile {
    file: File,
    /// A terminal (asked once: every read and write checks job control).
    tty: bool,
}

impl HostFile {
    /// Wraps `fd`.
    pub fn new(fd: OwnedFd) -> Arc<HostFile> {
        // SAFETY: isatty only queries our own FD.
        let tty = unsafe { libc::isatty(fd.as_raw_fd()) } == 1;
        Arc::new(HostFile {
            file: File::from(fd),
            tty,
        })
    }
}

impl Inode for HostFile {
    fn attr(&self) -> Result<Attr, Errno> {
        let m = self.file.metadata().map_err(|e| host_errno(&e))?;
        use std::os::unix::fs::MetadataExt;
        Ok(Attr {
            dev: m.dev(),
            ino: m.ino(),
            mode: m.mode(),
            nlink: m.nlink(),
            uid: m.uid(),
            gid: m.gid(),
            rdev: m.rdev(),
            size: m.size(),
            blksize: m.blksize(),
            blocks: m.blocks(),
            atime: Time {
                sec: m.atime(),
                nsec: m.atime_nsec(),
            },
            mtime: Time {
                sec: m.mtime(),
                nsec: m.mtime_nsec(),
            },
            ctime: Time {
                sec: m.ctime(),
                nsec: m.ctime_nsec(),
            },
        })
    }

    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(HostFileOps { host: self }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Operations on an inherited host file.
pub struct HostFileOps {
    host: Arc<HostFile>,
}

const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541b;
const TERMIOS_SIZE: usize = 36;
const WINSIZE_SIZE: usize = 8;

impl HostFileOps {
    fn raw(&self) -> i32 {
        self.host.file.as_raw_fd()
    }

    /// Runs a host ioctl whose argument is a buffer of `N` bytes.
    fn ioctl_buf<const N: usize>(&self, req: u64, buf: &mut [u8; N]) -> Result<(), Errno> {
        // SAFETY: the request numbers used here take a pointer to a buffer of
        // exactly N bytes, which `buf` is.
        let r = unsafe { libc::ioctl(self.raw(), req as _, buf.as_mut_ptr()) };
        if r < 0 {
            return Err(host_errno(&std::io::Error::last_os_error()));
        }
        Ok(())
    }
}

impl FileOps for HostFileOps {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        loop {
            match (&self.host.file).read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(host_errno(&e)),
            }
        }
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        loop {
            match (&self.host.file).write(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(host_errno(&e)),
            }
        }
    }

    fn seekable(&self) -> bool {
        false
    }

    fn seek(&self, off: i64, whence: Whence, _pos: u64) -> Option<Result<u64, Errno>> {
        let w = match whence {
            Whence::Set => libc::SEEK_SET,
            Whence::Cur => libc::SEEK_CUR,
            Whence::End => libc::SEEK_END,
            Whence::Data => libc::SEEK_DATA,
            Whence::Hole => libc::SEEK_HOLE,
        };
        // SAFETY: lseek on our own FD touches no memory.
        let r = unsafe { libc::lseek(self.raw(), off, w) };
        Some(if r < 0 {
            Err(host_errno(&std::io::Error::last_os_error()))
        } else {
            Ok(r as u64)
        })
    }

    fn ioctl(&self, req: u64, arg: u64, mm: &MemoryManager) -> Result<u64, Errno> {
        match req {
            TCGETS => {
                let mut t = [0u8; TERMIOS_SIZE];
                self.ioctl_buf(req, &mut t)?;
                mm.copy_out(arg, &t)?;
                Ok(0)
            }
            TCSETS | TCSETSW | TCSETSF => {
                let mut t = [0u8; TERMIOS_SIZE];
                // Check it is a terminal before reading guest memory.
                let mut probe = [0u8; TERMIOS_SIZE];
                self.ioctl_buf(TCGETS, &mut probe)?;
                mm.copy_in(arg, &mut t)?;
                self.ioctl_buf(req, &mut t)?;
                Ok(0)
            }
            TIOCGWINSZ => {
                let mut w = [0u8; WINSIZE_SIZE];
                self.ioctl_buf(req, &mut w)?;
                mm.copy_out(arg, &w)?;
                Ok(0)
            }
            TIOCSWINSZ => {
                let mut w = [0u8; WINSIZE_SIZE];
                let mut probe = [0u8; WINSIZE_SIZE];
                self.ioctl_buf(TIOCGWINSZ, &mut probe)?;
                mm.copy_in(arg, &mut w)?;
                self.ioctl_buf(req, &mut w)?;
                Ok(0)
            }
            FIONREAD => {
                let mut n = [0u8; 4];
                self.ioctl_buf(req, &mut n)?;
                mm.copy_out(arg, &n)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn terminal_tostop(&self) -> Option<bool> {
        const TOSTOP: u32 = 0o400;
        if !self.host.tty {
            return None;
        }
        let mut t = [0u8; TERMIOS_SIZE];
        self.ioctl_buf(TCGETS, &mut t).ok()?;
        // c_lflag follows c_iflag, c_oflag and c_cflag.
        let lflag = u32::from_ne_bytes([t[12], t[13], t[14], t[15]]);
        Some(lflag & TOSTOP != 0)
    }

    fn host_fd(&self) -> Option<i32> {
        Some(self.raw())
    }

    fn sync(&self) -> Result<(), Errno> {
        match self.host.file.sync_all() {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Err(Errno::EINVAL),
            Err(e) => Err(host_errno(&e)),
        }
    }
}
