//! Files served by the gofer: a read-only view of the host file tree that
//! the overlay root uses as its lower layer. Each node holds a gofer
//! `FileId`; file data is read straight from a host FD the gofer donated.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, OnceLock};

use abi::Errno;
use gofer::{Client, FileId, Stat};

use crate::vfs::{Attr, DirEntry, FsStat, Time};

/// A file on the gofer.
pub struct GoferNode {
    client: Arc<Client>,
    id: FileId,
    stat: Stat,
    read_fd: OnceLock<Result<Arc<File>, Errno>>,
}

impl GoferNode {
    /// The root of the gofer's tree.
    pub fn attach(client: Arc<Client>) -> Result<Arc<GoferNode>, Errno> {
        let (id, stat) = client.attach().map_err(|e| e.errno())?;
        Ok(Arc::new(GoferNode {
            client,
            id,
            stat,
            read_fd: OnceLock::new(),
        }))
    }

    /// The attributes as the gofer reported them at walk time.
    pub fn attr(&self) -> Attr {
        let s = &self.stat;
        let t = |ts: gofer::proto::Timespec| Time {
            sec: ts.sec,
            nsec: i64::from(ts.nsec),
        };
        Attr {
            dev: s.dev,
            ino: s.ino,
            mode: s.mode,
            nlink: s.nlink,
            uid: s.uid,
            gid: s.gid,
            rdev: s.rdev,
            size: s.size,
            blksize: s.blksize,
            blocks: s.blocks,
            atime: t(s.atime),
            mtime: t(s.mtime),
            ctime: t(s.ctime),
        }
    }

    /// Looks up one child.
    pub fn lookup(&self, name: &[u8]) -> Result<Arc<GoferNode>, Errno> {
        let walked = self.client.walk(self.id, &[name]).map_err(|e| e.errno())?;
        match walked.files.into_iter().next() {
            Some((id, stat)) => Ok(Arc::new(GoferNode {
                client: self.client.clone(),
                id,
                stat,
                read_fd: OnceLock::new(),
            })),
            None => Err(walked.error.unwrap_or(Errno::ENOENT)),
        }
    }

    /// Every entry of a directory.
    pub fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut out = Vec::new();
        let mut cookie = 0;
        loop {
            let batch = self
                .client
                .getdents(self.id, cookie)
                .map_err(|e| e.errno())?;
            let Some(last) = batch.last() else {
                break;
            };
            cookie = last.next;
            for d in batch {
                out.push(DirEntry {
                    ino: d.ino,
                    dtype: d.d_type,
                    name: d.name.as_bytes().to_vec(),
                });
            }
            if out.len() > 1 << 22 {
                return Err(Errno::EIO);
            }
        }
        Ok(out)
    }

    /// The target of a symlink.
    pub fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.client.readlink(self.id).map_err(|e| e.errno())
    }

    /// File-system statistics.
    pub fn statfs(&self) -> Result<FsStat, Errno> {
        let s = self.client.statfs(self.id).map_err(|e| e.errno())?;
        Ok(FsStat {
            fs_type: s.fs_type,
            bsize: s.bsize,
            blocks: s.blocks,
            bfree: s.bfree,
            bavail: s.bavail,
            files: s.files,
            ffree: s.ffree,
            namelen: s.namelen,
        })
    }

    /// A host FD open for reading, shared by every reader of this node.
    pub fn read_fd(&self) -> Result<Arc<File>, Errno> {
        self.read_fd
            .get_or_init(|| {
                self.client
                    .open(self.id, libc::O_RDONLY as u32)
                    .map(|fd| Arc::new(File::from(fd)))
                    .map_err(|e| e.errno())
            })
            .clone()
    }

    /// Reads at `off` from the file's data.
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let fd = self.read_fd()?;
        loop {
            match fd.read_at(buf, off) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Errno(e.raw_os_error().unwrap_or(libc::EIO))),
            }
        }
    }
}

impl Drop for GoferNode {
    fn drop(&mut self) {
        let _ = self.client.close(&[self.id]);
    }
}
