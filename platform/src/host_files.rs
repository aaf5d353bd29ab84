//! Host files mapped straight into a systrap stub ([`crate::SpaceOp::MapFile`]).
//!
//! A stub keeps no FD but the memory file, so a host file reaches it over a
//! datagram socket the stub keeps from birth: the Sentry sends the FD
//! (`SCM_RIGHTS`) with the file's id as payload, and the stub's syscall
//! thread receives it with a `recvmsg` whose buffers the Sentry laid out in
//! slot 0. The stub keeps the FDs it received (up to [`MAX_HELD`], then it
//! closes them all and starts over), so each file crosses once per stub.
//!
//! The guest can write slot 0 and call the stub's code, so a receive may
//! find nothing or another message: the payload must name the file asked
//! for, or the mapping fails (the guest only hurts itself).

use std::collections::HashMap;
use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{
    AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, sendmsg, socketpair,
};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{HostFile, PlatformError, Result, lock};

/// Most host files a stub holds open at once: with the memory file and
/// the socket, below the 64 FDs a fresh FD table has room for (growing a
/// table its threads share waits for an RCU grace period, 10–30 ms on a
/// virtual machine).
pub(crate) const MAX_HELD: usize = 40;
/// Where in slot 0 the first receive's buffers lie, and how far apart.
const RECV_AT: u64 = 1024;
const RECV_STRIDE: u64 = 160;
/// How many receives fit before the batch area.
pub(crate) const MAX_RECV: usize = 16;
/// Offsets within one receive's buffers.
const IOV: u64 = 64;
const DATA: u64 = 80;
const CMSG: u64 = 88;
/// `CMSG_SPACE(sizeof(int))` and `CMSG_LEN(sizeof(int))`.
const CMSG_SPACE: u64 = 24;
const CMSG_LEN: u64 = 20;

/// A stub's end of things: the Sentry's socket and which files the stub holds.
pub(crate) struct StubFiles {
    socket: OwnedFd,
    held: Mutex<HashMap<u64, i32>>,
    /// A receive went wrong: messages may be left in the socket, so no
    /// more files go this way.
    broken: AtomicBool,
}

/// A connected pair of datagram sockets: (the Sentry's end, the stub's end).
pub(crate) fn socket_pair() -> Result<(OwnedFd, OwnedFd)> {
    socketpair(
        AddressFamily::Unix,
        SockType::Datagram,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| PlatformError::Host {
        what: "host-file socketpair",
        err: e.into(),
    })
}

/// One `recvmsg` for the stub's syscall thread: where its `msghdr` lies
/// (in the stub) and the bytes to write at [`Receive::offset`] of slot 0.
pub(crate) struct Receive {
    /// Offset in slot 0 of the buffers.
    pub offset: u64,
    /// The stub's address of its `msghdr`.
    pub msghdr: u64,
    /// `msghdr`, `iovec` and an empty payload and control buffer.
    pub bytes: [u8; RECV_STRIDE as usize],
}

impl Receive {
    /// The buffers of receive number `i` in a stub whose slot 0 lies at
    /// `slot0` in its address space.
    pub(crate) fn new(i: usize, slot0: u64) -> Receive {
        let offset = RECV_AT + i as u64 * RECV_STRIDE;
        let at = slot0 + offset;
        let mut bytes = [0u8; RECV_STRIDE as usize];
        let mut put = |off: u64, v: u64| {
            let o = off as usize;
            bytes[o..o + 8].copy_from_slice(&v.to_ne_bytes());
        };
        // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags.
        put(16, at + IOV);
        put(24, 1);
        put(32, at + CMSG);
        put(40, CMSG_SPACE);
        // struct iovec: the 8-byte payload.
        put(IOV, at + DATA);
        put(IOV + 8, 8);
        Receive {
            offset,
            msghdr: at,
            bytes,
        }
    }

    /// The stub's FD the receive delivered, if its buffers (read back
    /// from slot 0, hostile) hold exactly one FD with `id` as payload.
    pub(crate) fn received(back: &[u8; RECV_STRIDE as usize], id: u64) -> (Option<i32>, bool) {
        let u64_at = |off: u64| {
            let o = off as usize;
            u64::from_ne_bytes(back[o..o + 8].try_into().unwrap_or([0; 8]))
        };
        let i32_at = |off: u64| {
            let o = off as usize;
            i32::from_ne_bytes(back[o..o + 4].try_into().unwrap_or([0; 4]))
        };
        let well_formed = u64_at(CMSG) == CMSG_LEN
            && i32_at(CMSG + 8) == libc::SOL_SOCKET
            && i32_at(CMSG + 12) == libc::SCM_RIGHTS;
        let fd = i32_at(CMSG + 16);
        let fd = (well_formed && fd >= 0).then_some(fd);
        (fd, u64_at(DATA) == id)
    }
}

impl StubFiles {
    /// Files for a stub on the other end of `socket`.
    pub(crate) fn new(socket: OwnedFd) -> StubFiles {
        StubFiles {
            socket,
            held: Mutex::new(HashMap::new()),
            broken: AtomicBool::new(false),
        }
    }

    /// Whether files can still be passed.
    pub(crate) fn usable(&self) -> bool {
        !self.broken.load(Ordering::Acquire)
    }

    /// Stops passing files (see `broken`).
    pub(crate) fn break_off(&self) {
        self.broken.store(true, Ordering::Release);
    }

    /// The stub's FD for file `id`, if it holds it.
    pub(crate) fn held(&self, id: u64) -> Option<i32> {
        lock(&self.held).get(&id).copied()
    }

    /// Records that the stub holds `id` as `fd`.
    pub(crate) fn hold(&self, id: u64, fd: i32) {
        lock(&self.held).insert(id, fd);
    }

    /// Whether holding `more` files more would pass [`MAX_HELD`].
    pub(crate) fn full(&self, more: usize) -> bool {
        lock(&self.held).len() + more > MAX_HELD
    }

    /// Forgets every held file, returning the stub's FDs to close.
    pub(crate) fn forget_all(&self) -> Vec<i32> {
        lock(&self.held).drain().map(|(_, fd)| fd).collect()
    }

    /// Sends `file` to the stub (it receives it with a [`Receive`]).
    pub(crate) fn send(&self, file: HostFile) -> Result<()> {
        let payload = file.id.to_ne_bytes();
        let fds = [file.fd];
        sendmsg::<()>(
            self.socket.as_raw_fd(),
            &[IoSlice::new(&payload)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL,
            None,
        )
        .map_err(|e| PlatformError::Host {
            what: "send host file to stub",
            err: e.into(),
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receive_buffers_point_into_their_own_slot_space() {
        let r = Receive::new(3, 0x1000_0000);
        assert_eq!(r.offset, RECV_AT + 3 * RECV_STRIDE);
        assert!(r.offset + RECV_STRIDE <= 4096, "stays below the batch area");
        let word = |o: usize| u64::from_ne_bytes(r.bytes[o..o + 8].try_into().unwrap());
        assert_eq!(word(16), r.msghdr + IOV);
        assert_eq!(word(32), r.msghdr + CMSG);
        assert_eq!(word(IOV as usize), r.msghdr + DATA);
    }

    #[test]
    fn a_receive_must_carry_one_fd_and_the_id() {
        let mut back = [0u8; RECV_STRIDE as usize];
        assert_eq!(Receive::received(&back, 7), (None, false));
        back[CMSG as usize..CMSG as usize + 8].copy_from_slice(&CMSG_LEN.to_ne_bytes());
        back[CMSG as usize + 8..CMSG as usize + 12]
            .copy_from_slice(&libc::SOL_SOCKET.to_ne_bytes());
        back[CMSG as usize + 12..CMSG as usize + 16]
            .copy_from_slice(&libc::SCM_RIGHTS.to_ne_bytes());
        back[CMSG as usize + 16..CMSG as usize + 20].copy_from_slice(&5i32.to_ne_bytes());
        back[DATA as usize..DATA as usize + 8].copy_from_slice(&7u64.to_ne_bytes());
        assert_eq!(Receive::received(&back, 7), (Some(5), true));
        assert_eq!(Receive::received(&back, 8), (Some(5), false));
    }
}
