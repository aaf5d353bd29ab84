//! `epoll`: an anonymous file holding a set of watched files
//! (`fs/eventpoll.c`). Readiness comes from each file's `poll_events`;
//! edge-triggered watches report only after the file's wait queue was
//! notified since the last report, which a per-watch [`Waker`] registered
//! on that queue records.
//!
//! Watches hold their files weakly: closing the last descriptor of a file
//! drops its watch, as Linux's `eventpoll_release` does.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use abi::Errno;

use crate::kernel::Task;
use crate::kernel::process::lock;
use crate::kernel::waitqueue::{WaitQueue, Waker};
use crate::mm::UserPtr;
use crate::syscalls::{SyscallResult, arg_fd};
use crate::vfs::{FileDescription as Fd, FileOps, FileRef, S_IFDIR, S_IFREG};

const EPOLL_CLOEXEC: u32 = 0o2000000;
const EPOLLIN: u32 = 0x1;
const EPOLLERR: u32 = 0x8;
const EPOLLHUP: u32 = 0x10;
const EPOLLEXCLUSIVE: u32 = 1 << 28;
const EPOLLWAKEUP: u32 = 1 << 29;
const EPOLLONESHOT: u32 = 1 << 30;
const EPOLLET: u32 = 1 << 31;
/// Size of the packed `struct epoll_event`.
const EVENT_SIZE: u64 = 12;

struct Watch {
    fd: i32,
    file: Weak<Fd>,
    events: u32,
    data: u64,
    /// Woken whenever the file's wait queue is notified (the "edge").
    edge: Arc<Waker>,
    /// `EPOLLONESHOT` fired: no more reports until `EPOLL_CTL_MOD`.
    disabled: bool,
}

impl Watch {
    fn detach(&self) {
        if let Some(f) = self.file.upgrade()
            && let Some(q) = f.ops.wait_queue()
        {
            q.remove(&self.edge);
        }
    }
}

/// The inode of an epoll instance.
pub struct EpollInode {
    watches: Mutex<Vec<Watch>>,
    /// Notified when the watch list changes.
    queue: WaitQueue,
}

impl Drop for EpollInode {
    fn drop(&mut self) {
        for w in lock(&self.watches).iter() {
            w.detach();
        }
    }
}

/// Whether the edge flag was set; clears it.
fn take_edge(w: &Waker) -> bool {
    w.sleep(Some(Instant::now()))
}

impl EpollInode {
    /// Collects up to `max` ready events; `consume` takes edges and fires
    /// one-shot watches (a real wait), otherwise only looks.
    fn scan(&self, max: usize, consume: bool) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut ws = lock(&self.watches);
        ws.retain(|w| w.file.strong_count() > 0);
        for w in ws.iter_mut() {
            if out.len() >= max {
                break;
            }
            if w.disabled {
                continue;
            }
            let Some(f) = w.file.upgrade() else {
                continue;
            };
            let m = f.ops.poll_events() & (w.events | EPOLLERR | EPOLLHUP);
            if m == 0 {
                continue;
            }
            if w.events & EPOLLET != 0 && f.ops.wait_queue().is_some() {
                if !consume {
                    // Peek without clearing: the flag is re-set below.
                    if !take_edge(&w.edge) {
                        continue;
                    }
                    w.edge.wake();
                } else if !take_edge(&w.edge) {
                    continue;
                }
            }
            if consume && w.events & EPOLLONESHOT != 0 {
                w.disabled = true;
            }
            out.push((m, w.data));
        }
        out
    }
}

super::anon_inode!(EpollInode);

struct EpollOps {
    inode: Arc<EpollInode>,
}

impl FileOps for EpollOps {
    fn seekable(&self) -> bool {
        false
    }
    fn readiness(&self) -> (bool, bool) {
        (!self.inode.scan(1, false).is_empty(), false)
    }
    fn poll_events(&self) -> u32 {
        if self.readiness().0 {
            EPOLLIN | 0x40
        } else {
            0
        }
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.inode.queue)
    }
}

fn create(task: &mut Task, flags: u32) -> SyscallResult {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let inode = Arc::new(EpollInode {
        watches: Mutex::new(Vec::new()),
        queue: WaitQueue::default(),
    });
    let ops = Arc::new(EpollOps {
        inode: inode.clone(),
    });
    let cloexec = flags & EPOLL_CLOEXEC != 0;
    Ok(super::install_anon_file(task, "eventpoll", inode, ops, 0, cloexec)? as u64)
}

/// `epoll_create(size)`.
pub fn epoll_create(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if (a[0] as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    create(task, 0)
}

/// `epoll_create1(flags)`.
pub fn epoll_create1(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    create(task, a[0] as u32)
}

fn epoll_of(f: &FileRef) -> Result<&EpollInode, Errno> {
    f.inode()
        .as_any()
        .downcast_ref::<EpollInode>()
        .ok_or(Errno::EINVAL)
}

/// `epoll_ctl(epfd, op, fd, event)`.
pub fn epoll_ctl(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const ADD: u64 = 1;
    const DEL: u64 = 2;
    const MOD: u64 = 3;
    let (epfd, op, fd) = (arg_fd(a[0]), a[1], arg_fd(a[2]));
    let ev = if op == DEL {
        None
    } else {
        let raw: [u8; 12] = task.mm.read(UserPtr::new(a[3]))?;
        let events = u32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let mut d = [0u8; 8];
        d.copy_from_slice(&raw[4..12]);
        Some((events, u64::from_ne_bytes(d)))
    };
    let ep_file = task.fds.get(epfd)?;
    let target = task.fds.get(fd)?;
    let kind = target.inode().attr()?.kind();
    if kind == S_IFREG || kind == S_IFDIR {
        return Err(Errno::EPERM);
    }
    let ep = epoll_of(&ep_file)?;
    if epfd == fd {
        return Err(Errno::EINVAL);
    }
    if let Some((events, _)) = ev
        && events & EPOLLEXCLUSIVE != 0
        && (op == MOD || events & (EPOLLONESHOT | EPOLLWAKEUP) != 0)
    {
        return Err(Errno::EINVAL);
    }
    let mut ws = lock(&ep.watches);
    ws.retain(|w| w.file.strong_count() > 0);
    let pos = ws
        .iter()
        .position(|w| w.fd == fd && std::ptr::eq(w.file.as_ptr(), Arc::as_ptr(&target)));
    match (op, pos, ev) {
        (ADD, Some(_), _) => return Err(Errno::EEXIST),
        (ADD, None, Some((events, data))) => {
            let edge = Arc::new(Waker::default());
            // Whatever is ready now counts as an edge.
            edge.wake();
            if let Some(q) = target.ops.wait_queue() {
                q.add(&edge);
            }
            ws.push(Watch {
                fd,
                file: Arc::downgrade(&target),
                events,
                data,
                edge,
                disabled: false,
            });
        }
        (MOD, Some(i), Some((events, data))) => {
            let w = &mut ws[i];
            if w.events & EPOLLEXCLUSIVE != 0 {
                return Err(Errno::EINVAL);
            }
            w.events = events;
            w.data = data;
            w.disabled = false;
            w.edge.wake();
        }
        (DEL, Some(i), _) => {
            let w = ws.swap_remove(i);
            w.detach();
        }
        (ADD | MOD | DEL, None, _) => return Err(Errno::ENOENT),
        _ => return Err(Errno::EINVAL),
    }
    drop(ws);
    ep.queue.notify_all();
    Ok(0)
}

fn wait(task: &Task, a: &[u64; 6], timeout: Option<Duration>) -> SyscallResult {
    let max = a[2] as i32;
    if max <= 0 || i64::from(max) > i64::from(i32::MAX) / EVENT_SIZE as i64 {
        return Err(Errno::EINVAL);
    }
    let max = max as usize;
    let (events_addr, len) = (a[1], max as u64 * EVENT_SIZE);
    if events_addr
        .checked_add(len)
        .is_none_or(|e| e > crate::mm::TASK_SIZE)
    {
        return Err(Errno::EFAULT);
    }
    let ep_file = task.fds.get(arg_fd(a[0]))?;
    let ep = epoll_of(&ep_file)?;
    let mut ready = ep.scan(max, true);
    if ready.is_empty() && timeout != Some(Duration::ZERO) {
        let files: Vec<FileRef> = lock(&ep.watches)
            .iter()
            .filter_map(|w| w.file.upgrade())
            .collect();
        let mut queues: Vec<&WaitQueue> = files.iter().filter_map(|f| f.ops.wait_queue()).collect();
        queues.push(&ep.queue);
        let deadline = timeout.map(|t| Instant::now() + t);
        ready = match task.block(&queues, deadline, || {
            let r = ep.scan(max, true);
            (!r.is_empty()).then_some(r)
        }) {
            Ok(r) => r,
            Err(Errno::ETIMEDOUT) => Vec::new(),
            Err(_) => return Err(Errno::EINTR),
        };
    }
    let mut out = Vec::with_capacity(ready.len() * EVENT_SIZE as usize);
    for (m, data) in &ready {
        out.extend_from_slice(&m.to_ne_bytes());
        out.extend_from_slice(&data.to_ne_bytes());
    }
    task.mm.copy_out(events_addr, &out)?;
    Ok(ready.len() as u64)
}

fn ms_timeout(t: i32) -> Option<Duration> {
    (t >= 0).then(|| Duration::from_millis(t as u64))
}

/// `epoll_wait(epfd, events, maxevents, timeout_ms)`.
pub fn epoll_wait(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    wait(task, a, ms_timeout(a[3] as i32))
}

/// `epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)`.
pub fn epoll_pwait(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let a2 = *a;
    crate::kernel::signal::with_sigmask(task, a[4], a[5], |t| {
        wait(t, &a2, ms_timeout(a2[3] as i32))
    })
}

/// `epoll_pwait2(epfd, events, maxevents, timeout_ts, sigmask, sigsetsize)`.
pub fn epoll_pwait2(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let timeout = if a[3] == 0 {
        None
    } else {
        let ts: [i64; 2] = task.mm.read(UserPtr::new(a[3]))?;
        if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
            return Err(Errno::EINVAL);
        }
        Some(Duration::new(ts[0] as u64, ts[1] as u32))
    };
    let a2 = *a;
    crate::kernel::signal::with_sigmask(task, a[4], a[5], |t| wait(t, &a2, timeout))
}
