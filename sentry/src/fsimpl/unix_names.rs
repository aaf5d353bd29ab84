//! Named `AF_UNIX` sockets: `bind` to a path or an abstract name,
//! `listen`, `connect` and `accept` for stream and seqpacket sockets.
//!
//! A bound socket is found by its name: the inode of the socket file `bind`
//! made at a path (so a renamed or hard-linked file still reaches it), or
//! its abstract name. `connect` makes a connected pair whose server end
//! waits in the listener's backlog until `accept` takes it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

use abi::Errno;

use super::socket::{Cred, SOCK_DGRAM, UnixSocket};

/// Where a socket is bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnixName {
    /// The socket file at a path, by device and inode.
    Path {
        /// Device of the socket file.
        dev: u64,
        /// Inode of the socket file.
        ino: u64,
    },
    /// A name in the abstract namespace (without the leading NUL).
    Abstract(Vec<u8>),
}

/// Every bound socket of the sandbox, by name.
static NAMES: LazyLock<Mutex<HashMap<UnixName, Weak<UnixSocket>>>> = LazyLock::new(Mutex::default);

fn names() -> MutexGuard<'static, HashMap<UnixName, Weak<UnixSocket>>> {
    NAMES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Most connections one listener holds unaccepted, whatever its backlog
/// (Linux caps the backlog at `net.core.somaxconn`, 4096).
const SOMAXCONN: usize = 4096;

/// A listening socket's state.
pub struct Listener {
    /// Connections `accept` has not taken yet: their server ends.
    pub pending: VecDeque<Arc<UnixSocket>>,
    /// `listen`'s backlog.
    pub backlog: usize,
    /// The listener's credentials when it listened (the client's
    /// `SO_PEERCRED`).
    pub cred: Cred,
}

/// Records that `sock` is bound to `name`; `EADDRINUSE` if a live socket
/// is.
pub fn register(name: UnixName, sock: &Weak<UnixSocket>) -> Result<(), Errno> {
    let mut n = names();
    if n.get(&name).is_some_and(|w| w.strong_count() > 0) {
        return Err(Errno::EADDRINUSE);
    }
    n.retain(|_, w| w.strong_count() > 0);
    n.insert(name, sock.clone());
    Ok(())
}

/// The socket bound to `name`: `ECONNREFUSED` when there is none.
pub fn lookup(name: &UnixName) -> Result<Arc<UnixSocket>, Errno> {
    names()
        .get(name)
        .and_then(Weak::upgrade)
        .ok_or(Errno::ECONNREFUSED)
}

impl UnixSocket {
    /// `listen`: a bound stream or seqpacket socket starts taking
    /// connections (again, with a new backlog).
    pub fn listen(&self, backlog: i32, cred: Cred) -> Result<(), Errno> {
        if self.kind() == SOCK_DGRAM {
            return Err(Errno::EOPNOTSUPP);
        }
        if self.connected() || self.local_name().is_none() {
            return Err(Errno::EINVAL);
        }
        let backlog = usize::try_from(backlog).unwrap_or(0).min(SOMAXCONN);
        let mut l = self.listener_lock();
        match l.as_mut() {
            Some(l) => l.backlog = backlog,
            None => {
                *l = Some(Listener {
                    pending: VecDeque::new(),
                    backlog,
                    cred,
                });
            }
        }
        Ok(())
    }

    /// Whether the socket listens (`SO_ACCEPTCONN`).
    pub fn listening(&self) -> bool {
        self.listener_lock().is_some()
    }

    /// `connect` to `target`: queues the server end of a new connection
    /// in its backlog. `EAGAIN` when the backlog is full.
    pub fn connect_to(&self, target: &UnixSocket, cred: Cred) -> Result<(), Errno> {
        if self.kind() == SOCK_DGRAM || target.kind() != self.kind() {
            return Err(Errno::ECONNREFUSED);
        }
        if self.connected() {
            return Err(Errno::EISCONN);
        }
        if self.listening() {
            return Err(Errno::EINVAL);
        }
        let mut l = target.listener_lock();
        let Some(listener) = l.as_mut() else {
            return Err(Errno::ECONNREFUSED);
        };
        // Linux lets the backlog overflow by one.
        if listener.pending.len() > listener.backlog {
            return Err(Errno::EAGAIN);
        }
        let server = UnixSocket::connect_pair(self, cred, listener.cred);
        server.set_names(target.local_addr(), self.local_addr());
        self.set_names(self.local_addr(), target.local_addr());
        listener.pending.push_back(server);
        drop(l);
        target.wake();
        Ok(())
    }

    /// `accept`: the next connection's server end; `EAGAIN` when none
    /// waits, `EINVAL` when the socket does not listen.
    pub fn accept(&self) -> Result<Arc<UnixSocket>, Errno> {
        let mut l = self.listener_lock();
        let listener = l.as_mut().ok_or(Errno::EINVAL)?;
        listener.pending.pop_front().ok_or(Errno::EAGAIN)
    }

    /// Whether a connection waits to be accepted.
    pub fn acceptable(&self) -> bool {
        self.listener_lock()
            .as_ref()
            .is_some_and(|l| !l.pending.is_empty())
    }
}
