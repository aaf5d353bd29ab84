//! Unix-domain sockets (`AF_UNIX`): connected pairs of endpoints, each
//! direction a queue of messages. Stream sockets read across message
//! boundaries; datagram and seqpacket sockets read one message at a time.
//!
//! As with pipes, an operation that would block returns `EAGAIN` and the
//! syscall layer waits on the socket's wait queue; every state change of a
//! connection notifies both endpoints' queues.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use abi::Errno;

use super::unix_names::{Listener, UnixName};
use crate::kernel::waitqueue::WaitQueue;
use crate::mm::{MemoryManager, UserPtr};
use crate::vfs::{Attr, FileOps, FileRef, Inode, S_IFSOCK, next_ino};

pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_SEQPACKET: u32 = 5;

/// Bytes one direction holds (Linux's default socket buffer size).
const CAPACITY: usize = 212_992;
/// Datagrams one direction holds (`/proc/sys/net/unix/max_dgram_qlen`).
const MAX_DGRAMS: usize = 512;
/// Device number of sockfs.
const SOCKFS_DEV: u64 = 0x8;
const FIONREAD: u64 = 0x541b;

/// `sk_shutdown` bits.
pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;

const POLLIN: u32 = 0x1;
const POLLOUT: u32 = 0x4;
const POLLHUP: u32 = 0x10;
const POLLRDNORM: u32 = 0x40;
const POLLWRNORM: u32 = 0x100;
const POLLRDHUP: u32 = 0x2000;

/// Credentials of a socket's creator (`SO_PEERCRED`).
#[derive(Clone, Copy, Default)]
pub struct Cred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

struct Msg {
    data: Vec<u8>,
    off: usize,
    /// Open files passed with the message (`SCM_RIGHTS`); they go to the
    /// first receive that reads from it.
    files: Vec<FileRef>,
}

struct ConnState {
    /// `queues[s]`: messages waiting to be read by side `s`.
    queues: [VecDeque<Msg>; 2],
    /// `sk_shutdown` of each side.
    shut: [u8; 2],
    /// Whether each side was closed.
    closed: [bool; 2],
}

impl ConnState {
    fn bytes(&self, side: usize) -> usize {
        self.queues[side].iter().map(|m| m.data.len() - m.off).sum()
    }
}

/// A connection between two endpoints.
struct Conn {
    state: Mutex<ConnState>,
    queues: [Arc<WaitQueue>; 2],
    creds: [Cred; 2],
}

impl Conn {
    fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn notify(&self) {
        self.queues[0].notify_all();
        self.queues[1].notify_all();
    }
}

/// One `AF_UNIX` socket: its own inode (`fstat` shows a socket) and file.
pub struct UnixSocket {
    kind: u32,
    attr: Attr,
    events: Arc<WaitQueue>,
    peer: Mutex<Option<(Arc<Conn>, usize)>>,
    /// Set by `listen`.
    listener: Mutex<Option<Listener>>,
    /// The name `bind` gave it, and the addresses `getsockname` and
    /// `getpeername` show (`sockaddr_un` bytes).
    names: Mutex<SocketNames>,
    /// Itself, for the name table and connections.
    me: Weak<UnixSocket>,
}

#[derive(Default)]
struct SocketNames {
    bound: Option<UnixName>,
    local: Option<Vec<u8>>,
    peer: Option<Vec<u8>>,
}

impl UnixSocket {
    /// A new unconnected socket of `kind` (`SOCK_STREAM`, ...).
    pub fn new(kind: u32, uid: u32, gid: u32) -> Arc<UnixSocket> {
        Arc::new_cyclic(|me| UnixSocket {
            me: me.clone(),
            kind,
            attr: Attr::fresh(SOCKFS_DEV, next_ino(), S_IFSOCK | 0o777, uid, gid),
            events: Arc::new(WaitQueue::default()),
            peer: Mutex::new(None),
            listener: Mutex::new(None),
            names: Mutex::default(),
        })
    }

    /// A new stream or seqpacket socket connected to `client` (`connect`):
    /// the server end, made with `server_cred` (the listener's).
    pub(super) fn connect_pair(
        client: &UnixSocket,
        client_cred: Cred,
        server_cred: Cred,
    ) -> Arc<UnixSocket> {
        let server = Self::new(client.kind, server_cred.uid, server_cred.gid);
        Self::join(client, &server, [client_cred, server_cred]);
        server
    }

    pub(super) fn listener_lock(&self) -> MutexGuard<'_, Option<Listener>> {
        self.listener.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn names_lock(&self) -> MutexGuard<'_, SocketNames> {
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `bind`: names the socket `name`, shown as `addr`. `EINVAL` if it
    /// has a name already, `EADDRINUSE` if another socket has this one.
    pub fn bind_to(&self, name: UnixName, addr: Vec<u8>) -> Result<(), Errno> {
        let mut n = self.names_lock();
        if n.bound.is_some() {
            return Err(Errno::EINVAL);
        }
        super::unix_names::register(name.clone(), &self.me)?;
        n.bound = Some(name);
        n.local = Some(addr);
        Ok(())
    }

    /// The name `bind` gave the socket.
    pub fn local_name(&self) -> Option<UnixName> {
        self.names_lock().bound.clone()
    }

    /// The address `getsockname` shows (`None`: unnamed).
    pub fn local_addr(&self) -> Option<Vec<u8>> {
        self.names_lock().local.clone()
    }

    /// The address `getpeername` shows (`None`: unnamed).
    pub fn peer_addr(&self) -> Option<Vec<u8>> {
        self.names_lock().peer.clone()
    }

    pub(super) fn set_names(&self, local: Option<Vec<u8>>, peer: Option<Vec<u8>>) {
        let mut n = self.names_lock();
        n.local = local;
        n.peer = peer;
    }

    /// Wakes whoever waits on the socket.
    pub(super) fn wake(&self) {
        self.events.notify_all();
    }

    /// A connected pair (`socketpair`), both ends created by `cred`.
    pub fn pair(kind: u32, cred: Cred) -> (Arc<UnixSocket>, Arc<UnixSocket>) {
        let a = Self::new(kind, cred.uid, cred.gid);
        let b = Self::new(kind, cred.uid, cred.gid);
        Self::join(&a, &b, [cred, cred]);
        (a, b)
    }

    /// Connects `a` (side 0) and `b` (side 1), whose creators are `creds`.
    fn join(a: &UnixSocket, b: &UnixSocket, creds: [Cred; 2]) {
        let conn = Arc::new(Conn {
            state: Mutex::new(ConnState {
                queues: [VecDeque::new(), VecDeque::new()],
                shut: [0; 2],
                closed: [false; 2],
            }),
            queues: [a.events.clone(), b.events.clone()],
            creds,
        });
        *a.peer_lock() = Some((conn.clone(), 0));
        *b.peer_lock() = Some((conn, 1));
    }

    fn peer_lock(&self) -> MutexGuard<'_, Option<(Arc<Conn>, usize)>> {
        self.peer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn conn(&self) -> Option<(Arc<Conn>, usize)> {
        self.peer_lock().clone()
    }

    /// The socket type (`SO_TYPE`).
    pub fn kind(&self) -> u32 {
        self.kind
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        self.peer_lock().is_some()
    }

    /// The peer's credentials (`SO_PEERCRED`).
    pub fn peer_cred(&self) -> Option<Cred> {
        self.conn().map(|(c, side)| c.creds[1 - side])
    }

    fn stream(&self) -> bool {
        self.kind == SOCK_STREAM
    }

    /// Receives into `buf`; `peek` leaves the data queued. Returns the
    /// bytes copied and the length of the message (for datagrams, which
    /// a short buffer truncates).
    pub fn recv(&self, buf: &mut [u8], peek: bool) -> Result<(usize, usize), Errno> {
        self.recv_with_files(buf, peek).map(|(n, len, _)| (n, len))
    }

    /// [`recv`](Self::recv), with the files passed along with what was
    /// read. A stream read stops before a message that carries files once
    /// it has data, and after one that does, as Linux's does.
    pub fn recv_with_files(
        &self,
        buf: &mut [u8],
        peek: bool,
    ) -> Result<(usize, usize, Vec<FileRef>), Errno> {
        let Some((conn, side)) = self.conn() else {
            return if self.kind == SOCK_DGRAM {
                Err(Errno::EAGAIN)
            } else {
                Err(Errno::EINVAL)
            };
        };
        let mut s = conn.lock();
        if s.queues[side].is_empty() {
            if s.shut[side] & RCV_SHUTDOWN != 0 {
                return Ok((0, 0, Vec::new()));
            }
            return Err(Errno::EAGAIN);
        }
        let q = &mut s.queues[side];
        if !self.stream() {
            let Some(m) = q.front() else {
                return Err(Errno::EAGAIN);
            };
            let len = m.data.len();
            let n = len.min(buf.len());
            buf[..n].copy_from_slice(&m.data[..n]);
            let files = if peek {
                m.files.clone()
            } else {
                q.pop_front().map(|m| m.files).unwrap_or_default()
            };
            drop(s);
            conn.notify();
            return Ok((n, len, files));
        }
        let mut n = 0;
        let mut i = 0;
        let mut files = Vec::new();
        while n < buf.len() {
            let Some(m) = q.get_mut(i) else {
                break;
            };
            let carries = !m.files.is_empty();
            if carries && n > 0 {
                break;
            }
            if carries {
                files = if peek {
                    m.files.clone()
                } else {
                    std::mem::take(&mut m.files)
                };
            }
            let avail = &m.data[m.off..];
            let k = avail.len().min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&avail[..k]);
            n += k;
            if peek {
                i += 1;
            } else {
                m.off += k;
                if m.off == m.data.len() {
                    q.pop_front();
                }
            }
            if carries {
                break;
            }
        }
        drop(s);
        if !peek {
            conn.notify();
        }
        Ok((n, n, files))
    }

    /// Sends `buf` to the peer: `EPIPE` once the peer is gone or either
    /// side shut the direction down (the caller raises `SIGPIPE`).
    pub fn send(&self, buf: &[u8]) -> Result<usize, Errno> {
        self.send_with_files(buf, &mut Vec::new())
    }

    /// [`send`](Self::send), passing `files` with the data (`SCM_RIGHTS`):
    /// they go with the part queued, and stay in `files` if nothing was.
    pub fn send_with_files(&self, buf: &[u8], files: &mut Vec<FileRef>) -> Result<usize, Errno> {
        let Some((conn, side)) = self.conn() else {
            return Err(if self.kind == SOCK_DGRAM {
                Errno::EDESTADDRREQ
            } else {
                Errno::ENOTCONN
            });
        };
        let peer = 1 - side;
        let mut s = conn.lock();
        if self.kind == SOCK_DGRAM && s.closed[peer] {
            return Err(Errno::ECONNREFUSED);
        }
        if s.shut[side] & SEND_SHUTDOWN != 0 || s.shut[peer] & RCV_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
        let used = s.bytes(peer);
        let n = if self.stream() {
            if buf.is_empty() {
                return Ok(0);
            }
            let room = CAPACITY.saturating_sub(used);
            if room == 0 {
                return Err(Errno::EAGAIN);
            }
            buf.len().min(room)
        } else {
            if buf.len() > CAPACITY {
                return Err(Errno::EMSGSIZE);
            }
            if used + buf.len() > CAPACITY || s.queues[peer].len() >= MAX_DGRAMS {
                return Err(Errno::EAGAIN);
            }
            buf.len()
        };
        s.queues[peer].push_back(Msg {
            data: buf[..n].to_vec(),
            off: 0,
            files: std::mem::take(files),
        });
        drop(s);
        conn.notify();
        Ok(n)
    }

    /// `shutdown(how)`: 0 `SHUT_RD`, 1 `SHUT_WR`, 2 `SHUT_RDWR`.
    pub fn shutdown(&self, how: u64) -> Result<(), Errno> {
        let mask = match how {
            0 => RCV_SHUTDOWN,
            1 => SEND_SHUTDOWN,
            2 => RCV_SHUTDOWN | SEND_SHUTDOWN,
            _ => return Err(Errno::EINVAL),
        };
        let Some((conn, side)) = self.conn() else {
            return Err(Errno::ENOTCONN);
        };
        let mut s = conn.lock();
        s.shut[side] |= mask;
        if self.kind != SOCK_DGRAM {
            // The peer sees the mirror image.
            let mut peer_mask = 0;
            if mask & RCV_SHUTDOWN != 0 {
                peer_mask |= SEND_SHUTDOWN;
            }
            if mask & SEND_SHUTDOWN != 0 {
                peer_mask |= RCV_SHUTDOWN;
            }
            s.shut[1 - side] |= peer_mask;
        }
        drop(s);
        conn.notify();
        Ok(())
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let Some((conn, side)) = self.peer_lock().take() else {
            return;
        };
        let mut s = conn.lock();
        s.closed[side] = true;
        s.shut[side] = RCV_SHUTDOWN | SEND_SHUTDOWN;
        s.queues[side].clear();
        if self.kind != SOCK_DGRAM {
            s.shut[1 - side] = RCV_SHUTDOWN | SEND_SHUTDOWN;
        }
        drop(s);
        conn.notify();
    }
}

impl Inode for UnixSocket {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(self.attr)
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Err(Errno::ENXIO)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FileOps for UnixSocket {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        self.recv(buf, false).map(|(n, _)| n)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        self.send(buf)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, req: u64, arg: u64, mm: &MemoryManager) -> Result<u64, Errno> {
        match req {
            FIONREAD => {
                let n = self.conn().map_or(0, |(c, side)| {
                    let s = c.lock();
                    if self.stream() {
                        s.bytes(side)
                    } else {
                        s.queues[side].front().map_or(0, |m| m.data.len())
                    }
                });
                let n = i32::try_from(n).unwrap_or(i32::MAX);
                mm.write(UserPtr::<i32>::new(arg), &n)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.events)
    }

    fn hung_up(&self) -> bool {
        self.poll_events() & POLLHUP != 0
    }

    fn readiness(&self) -> (bool, bool) {
        let m = self.poll_events();
        (m & POLLIN != 0, m & POLLOUT != 0)
    }

    fn poll_events(&self) -> u32 {
        // Linux's unix_poll / unix_dgram_poll.
        if let Some(l) = self.listener_lock().as_ref() {
            return if l.pending.is_empty() {
                0
            } else {
                POLLIN | POLLRDNORM
            };
        }
        let Some((conn, side)) = self.conn() else {
            return if self.kind == SOCK_DGRAM {
                POLLOUT | POLLWRNORM
            } else {
                POLLHUP | POLLOUT | POLLWRNORM
            };
        };
        let s = conn.lock();
        let mut mask = 0;
        let shut = s.shut[side];
        if shut == RCV_SHUTDOWN | SEND_SHUTDOWN {
            mask |= POLLHUP;
        }
        if shut & RCV_SHUTDOWN != 0 {
            mask |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if !s.queues[side].is_empty() {
            mask |= POLLIN | POLLRDNORM;
        }
        let peer = 1 - side;
        let writable = s.bytes(peer) < CAPACITY && s.queues[peer].len() < MAX_DGRAMS;
        if writable || s.closed[peer] {
            mask |= POLLOUT | POLLWRNORM;
        }
        mask
    }
}
