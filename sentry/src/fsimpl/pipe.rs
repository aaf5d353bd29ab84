//! Anonymous pipes (`pipe`, `pipe2`): a bounded byte buffer held in the
//! Sentry, with counts of open read and write ends.
//!
//! The pipe itself never blocks: a read of an empty pipe whose writers are
//! still open, or a write to a full pipe, returns `EAGAIN`, and the syscall
//! layer waits on the pipe's wait queue unless the description is
//! `O_NONBLOCK`. Every change of the pipe's state notifies the queue.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use abi::Errno;

use crate::kernel::waitqueue::WaitQueue;
use crate::mm::MemoryManager;
use crate::mm::UserPtr;
use crate::vfs::{Attr, FileOps, Inode, S_IFIFO, Time, next_ino};

/// Default capacity (16 pages, as Linux).
pub const DEFAULT_CAPACITY: u64 = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// Largest `F_SETPIPE_SZ` (`/proc/sys/fs/pipe-max-size`).
pub const MAX_CAPACITY: u64 = 1 << 20;
/// Device number of pipefs.
const PIPEFS_DEV: u64 = 0xd;
const FIONREAD: u64 = 0x541b;

struct State {
    buf: VecDeque<u8>,
    capacity: u64,
    readers: usize,
    writers: usize,
}

/// The pipe object both ends share; also its inode (`fstat` shows a FIFO).
pub struct Pipe {
    state: Mutex<State>,
    attr: Attr,
    events: WaitQueue,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new pipe with no ends open yet, owned by `uid`/`gid`.
    pub fn new(uid: u32, gid: u32) -> Arc<Pipe> {
        let now = Time::now();
        Arc::new(Pipe {
            state: Mutex::new(State {
                buf: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                readers: 0,
                writers: 0,
            }),
            attr: Attr {
                dev: PIPEFS_DEV,
                ino: next_ino(),
                mode: S_IFIFO | 0o600,
                nlink: 1,
                uid,
                gid,
                blksize: 4096,
                atime: now,
                mtime: now,
                ctime: now,
                ..Attr::default()
            },
            events: WaitQueue::default(),
        })
    }

    /// Opens an end: the read end if `!write`.
    pub fn open_end(self: &Arc<Self>, write: bool) -> Arc<PipeEnd> {
        let mut s = self.lock();
        if write {
            s.writers += 1;
        } else {
            s.readers += 1;
        }
        Arc::new(PipeEnd {
            pipe: self.clone(),
            write,
        })
    }
}

impl Inode for Pipe {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(self.attr)
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        // Reopening through /proc/PID/fd is not supported.
        Err(Errno::ENXIO)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One open end of a pipe; dropping it (the last close) closes the end.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut s = self.pipe.lock();
        if self.write {
            s.writers = s.writers.saturating_sub(1);
        } else {
            s.readers = s.readers.saturating_sub(1);
        }
        drop(s);
        self.pipe.events.notify_all();
    }
}

impl FileOps for PipeEnd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if self.write {
            return Err(Errno::EBADF);
        }
        let mut s = self.pipe.lock();
        if s.buf.is_empty() {
            if s.writers == 0 || buf.is_empty() {
                return Ok(0);
            }
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(s.buf.len());
        for (d, b) in buf.iter_mut().zip(s.buf.drain(..n)) {
            *d = b;
        }
        drop(s);
        self.pipe.events.notify_all();
        Ok(n)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        if !self.write {
            return Err(Errno::EBADF);
        }
        let mut s = self.pipe.lock();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let room = usize::try_from(s.capacity)
            .unwrap_or(usize::MAX)
            .saturating_sub(s.buf.len());
        // Writes of at most PIPE_BUF bytes go in whole or not at all.
        if room == 0 || (buf.len() <= PIPE_BUF && room < buf.len()) {
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(room);
        s.buf.extend(&buf[..n]);
        drop(s);
        self.pipe.events.notify_all();
        Ok(n)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, req: u64, arg: u64, mm: &MemoryManager) -> Result<u64, Errno> {
        match req {
            FIONREAD => {
                let n = if self.write {
                    0
                } else {
                    self.pipe.lock().buf.len()
                };
                let n = i32::try_from(n).unwrap_or(i32::MAX);
                mm.write(UserPtr::<i32>::new(arg), &n)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.events)
    }

    fn hung_up(&self) -> bool {
        let s = self.pipe.lock();
        if self.write {
            s.readers == 0
        } else {
            s.writers == 0
        }
    }

    fn readiness(&self) -> (bool, bool) {
        let s = self.pipe.lock();
        if self.write {
            let room = s.capacity.saturating_sub(s.buf.len() as u64);
            (false, s.readers == 0 || room >= PIPE_BUF as u64)
        } else {
            (!s.buf.is_empty() || s.writers == 0, false)
        }
    }

    fn pipe_size(&self, set: Option<u64>) -> Result<u64, Errno> {
        let mut s = self.pipe.lock();
        let Some(want) = set else {
            return Ok(s.capacity);
        };
        // The Sentry runs guests as root, who may exceed pipe-max-size
        // (MAX_CAPACITY), but not 2^31.
        if want > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let size = want.max(4096).next_power_of_two();
        if size < s.buf.len() as u64 {
            return Err(Errno::EBUSY);
        }
        s.capacity = size;
        Ok(size)
    }
}
