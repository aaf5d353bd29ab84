//! Pipes (`pipe`, `pipe2`) and FIFOs: a ring of page-sized buffers held in
//! the Sentry, with counts of open read and write ends, as Linux's
//! `fs/pipe.c` keeps them.
//!
//! The pipe itself never blocks: a read of an empty pipe whose writers are
//! still open, or a write to a full pipe, returns `EAGAIN`, and the syscall
//! layer waits on the pipe's wait queue unless the description is
//! `O_NONBLOCK`. Every change of the pipe's state notifies the queue.
//!
//! Capacity is counted in slots of one page, as Linux does: a write first
//! merges its tail into the last page when it fits, then takes whole free
//! slots; packet-mode (`O_DIRECT`) writes never merge, and a read of a
//! packet returns at most that packet, discarding what the buffer did not
//! take.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use abi::Errno;

use crate::kernel::Task;
use crate::kernel::waitqueue::WaitQueue;
use crate::mm::MemoryManager;
use crate::mm::UserPtr;
use crate::vfs::{Attr, FileOps, Inode, S_IFIFO, next_ino};

/// Default capacity (16 pages, as Linux).
pub const DEFAULT_CAPACITY: u64 = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// `/proc/sys/fs/pipe-max-size`.
pub const MAX_CAPACITY: u64 = 1 << 20;
const PAGE: usize = 4096;
/// Device number of pipefs.
const PIPEFS_DEV: u64 = 0xd;
const FIONREAD: u64 = 0x541b;
const O_NONBLOCK: u32 = 0o4000;

const POLLIN: u32 = 0x1;
const POLLOUT: u32 = 0x4;
const POLLERR: u32 = 0x8;
const POLLHUP: u32 = 0x10;
const POLLRDNORM: u32 = 0x40;
const POLLWRNORM: u32 = 0x100;

/// What a blocking FIFO open waits for: the reader or writer counter
/// (`true`: the writer counter) to move past the value it had.
type Partner = (u64, bool);

/// One page-sized buffer of the ring.
struct Slot {
    data: Vec<u8>,
    /// Bytes already read from the front.
    off: usize,
    /// Written in packet mode (`O_DIRECT`).
    packet: bool,
}

impl Slot {
    fn remaining(&self) -> usize {
        self.data.len() - self.off
    }
}

struct State {
    slots: VecDeque<Slot>,
    /// Capacity in bytes (a power of two, at least a page).
    capacity: u64,
    readers: usize,
    writers: usize,
    /// How often a read end / write end was opened (FIFO rendezvous).
    r_counter: u64,
    w_counter: u64,
}

impl State {
    fn max_slots(&self) -> usize {
        usize::try_from(self.capacity / PAGE as u64).unwrap_or(usize::MAX)
    }
    fn full(&self) -> bool {
        self.slots.len() >= self.max_slots()
    }
    fn bytes(&self) -> usize {
        self.slots.iter().map(Slot::remaining).sum()
    }
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
        Arc::new(Pipe {
            state: Mutex::new(State {
                slots: VecDeque::new(),
                capacity: DEFAULT_CAPACITY,
                readers: 0,
                writers: 0,
                r_counter: 1,
                w_counter: 1,
            }),
            attr: Attr::fresh(PIPEFS_DEV, next_ino(), S_IFIFO | 0o600, uid, gid),
            events: WaitQueue::default(),
        })
    }

    fn end(self: &Arc<Self>, read: bool, write: bool, hup_version: u64) -> Arc<PipeEnd> {
        Arc::new(PipeEnd {
            pipe: self.clone(),
            read,
            write,
            hup_version,
            packet: AtomicBool::new(false),
        })
    }

    /// Opens an end of an anonymous pipe: the read end if `!write`;
    /// `packet` for `O_DIRECT`.
    pub fn open_end(self: &Arc<Self>, write: bool) -> Arc<PipeEnd> {
        let mut s = self.lock();
        if write {
            s.writers += 1;
        } else {
            s.readers += 1;
        }
        drop(s);
        self.end(!write, write, 0)
    }

    /// Opens a FIFO end for `open` flags without waiting for the other
    /// side (`fifo_open` up to `wait_for_partner`): `ENXIO` for a
    /// non-blocking writer with no reader. Returns the end and, for a
    /// blocking open with no partner yet, the counter value to wait past
    /// (`(counter, wait_for_writer)`).
    fn fifo_open_nowait(
        self: &Arc<Self>,
        flags: u32,
    ) -> Result<(Arc<PipeEnd>, Option<Partner>), Errno> {
        let nonblock = flags & O_NONBLOCK != 0;
        let mut s = self.lock();
        let r = match flags & 3 {
            0 => {
                s.r_counter += 1;
                s.readers += 1;
                let mut hup_version = 0;
                let mut wait = None;
                if s.writers == 0 {
                    if nonblock {
                        // No POLLHUP until a writer has come and gone.
                        hup_version = s.w_counter;
                    } else {
                        wait = Some((s.w_counter, true));
                    }
                }
                (self.end(true, false, hup_version), wait)
            }
            1 => {
                if nonblock && s.readers == 0 {
                    return Err(Errno::ENXIO);
                }
                s.w_counter += 1;
                s.writers += 1;
                let wait = (s.readers == 0).then_some((s.r_counter, false));
                (self.end(false, true, 0), wait)
            }
            2 => {
                s.r_counter += 1;
                s.w_counter += 1;
                s.readers += 1;
                s.writers += 1;
                (self.end(true, true, 0), None)
            }
            _ => return Err(Errno::EINVAL),
        };
        drop(s);
        self.events.notify_all();
        Ok(r)
    }

    /// Opens a FIFO by path, as `fifo_open`: a reader waits for a writer
    /// and a writer for a reader unless `O_NONBLOCK`; `O_RDWR` never
    /// waits; a signal ends the wait (`ERESTARTSYS`).
    pub fn open_fifo(self: &Arc<Self>, task: &Task, flags: u32) -> Result<Arc<PipeEnd>, Errno> {
        let (end, wait) = self.fifo_open_nowait(flags)?;
        if let Some((seen, want_writer)) = wait {
            task.block(&[&self.events], None, || {
                let s = self.lock();
                let c = if want_writer {
                    s.w_counter
                } else {
                    s.r_counter
                };
                (c != seen).then_some(())
            })?;
        }
        Ok(end)
    }

    /// The wait queue every state change notifies.
    pub fn queue(&self) -> &WaitQueue {
        &self.events
    }
}

impl Inode for Pipe {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(self.attr)
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        // Reopening through /proc/PID/fd: as a FIFO open that never waits.
        let (end, _) = self.fifo_open_nowait(flags)?;
        Ok(end)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One open end of a pipe; dropping it (the last close) closes the end.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
    /// `POLLHUP` shows only once the write counter moved past this
    /// (`f_version` in Linux).
    hup_version: u64,
    /// Writes through this end are packets (`O_DIRECT`).
    packet: AtomicBool,
}

impl PipeEnd {
    /// Sets packet mode (`O_DIRECT`) for writes through this end.
    pub fn set_packet(&self, on: bool) {
        self.packet.store(on, Ordering::Relaxed);
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut s = self.pipe.lock();
        if self.write {
            s.writers = s.writers.saturating_sub(1);
        }
        if self.read {
            s.readers = s.readers.saturating_sub(1);
        }
        if s.readers == 0 && s.writers == 0 {
            // Linux frees the pipe with its last end: a FIFO opened again
            // starts empty, at the default size.
            s.slots.clear();
            s.capacity = DEFAULT_CAPACITY;
        }
        drop(s);
        self.pipe.events.notify_all();
    }
}

impl FileOps for PipeEnd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let mut s = self.pipe.lock();
        if s.slots.is_empty() {
            if s.writers == 0 {
                return Ok(0);
            }
            return Err(Errno::EAGAIN);
        }
        let mut n = 0;
        while n < buf.len() {
            let Some(slot) = s.slots.front_mut() else {
                break;
            };
            let k = slot.remaining().min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&slot.data[slot.off..slot.off + k]);
            n += k;
            slot.off += k;
            let packet = slot.packet;
            if packet || slot.remaining() == 0 {
                s.slots.pop_front();
            }
            if packet {
                break;
            }
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
        if buf.is_empty() {
            return Ok(0);
        }
        let packet = self.packet.load(Ordering::Relaxed);
        let mut n = 0;
        // The part past whole pages merges into the last page if it fits.
        let chars = buf.len() % PAGE;
        if !packet
            && chars != 0
            && let Some(last) = s.slots.back_mut()
            && !last.packet
            && last.data.len() + chars <= PAGE
        {
            last.data.extend_from_slice(&buf[..chars]);
            n = chars;
        }
        while n < buf.len() && !s.full() {
            let k = (buf.len() - n).min(PAGE);
            let mut data = Vec::with_capacity(if packet { k } else { PAGE });
            data.extend_from_slice(&buf[n..n + k]);
            s.slots.push_back(Slot {
                data,
                off: 0,
                packet,
            });
            n += k;
        }
        drop(s);
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        self.pipe.events.notify_all();
        Ok(n)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, req: u64, arg: u64, mm: &MemoryManager) -> Result<u64, Errno> {
        match req {
            FIONREAD => {
                let n = self.pipe.lock().bytes();
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
        self.poll_events() & POLLHUP != 0
    }

    fn readiness(&self) -> (bool, bool) {
        let s = self.pipe.lock();
        (
            self.read && (!s.slots.is_empty() || s.writers == 0),
            self.write && (s.readers == 0 || !s.full()),
        )
    }

    fn poll_events(&self) -> u32 {
        // Linux's pipe_poll.
        let s = self.pipe.lock();
        let mut mask = 0;
        if self.read {
            if !s.slots.is_empty() {
                mask |= POLLIN | POLLRDNORM;
            }
            if s.writers == 0 && self.hup_version != s.w_counter {
                mask |= POLLHUP;
            }
        }
        if self.write {
            if !s.full() {
                mask |= POLLOUT | POLLWRNORM;
            }
            if s.readers == 0 {
                mask |= POLLERR;
            }
        }
        mask
    }

    fn pipe_size(&self, set: Option<u64>) -> Result<u64, Errno> {
        let mut s = self.pipe.lock();
        let Some(want) = set else {
            return Ok(s.capacity);
        };
        // round_pipe_size. The Sentry runs guests with CAP_SYS_RESOURCE,
        // which may exceed pipe-max-size (MAX_CAPACITY).
        if want > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let size = want.max(PAGE as u64).next_power_of_two();
        if ((size / PAGE as u64) as usize) < s.slots.len() {
            return Err(Errno::EBUSY);
        }
        s.capacity = size;
        drop(s);
        self.pipe.events.notify_all();
        Ok(size)
    }
}
