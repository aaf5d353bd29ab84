//! Sending and receiving one `SOCK_SEQPACKET` message with `SCM_RIGHTS`.
//!
//! Host syscalls used here: `sendmsg`, `recvmsg` (and `close` when received
//! FDs are dropped).

use abi::Errno;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The most FDs one message may carry. More than the protocol ever sends, so
/// that a peer sending too many is detected rather than silently cut.
const RECV_FDS: usize = 4;

/// Bytes of control buffer for `n` FDs: `CMSG_SPACE(n * sizeof(int))`.
const fn cmsg_space(n: usize) -> usize {
    // SAFETY: CMSG_SPACE is pure arithmetic on its argument.
    unsafe { libc::CMSG_SPACE((n * size_of::<RawFd>()) as u32) as usize }
}

/// Control buffer storage, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct CmsgBuf([u8; cmsg_space(RECV_FDS)]);

/// One received message.
pub(crate) struct Received {
    /// Bytes of the message stored at the start of the buffer.
    pub len: usize,
    /// FDs that came with it (close-on-exec).
    pub fds: Vec<OwnedFd>,
    /// The message or its FDs did not fit (`MSG_TRUNC` or `MSG_CTRUNC`).
    pub truncated: bool,
}

fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// Sends `msg` as one datagram with `fds` attached.
pub(crate) fn send(sock: BorrowedFd<'_>, msg: &[u8], fds: &[BorrowedFd<'_>]) -> Result<(), Errno> {
    if fds.len() > RECV_FDS {
        return Err(Errno::EINVAL);
    }
    let mut cbuf = CmsgBuf([0; cmsg_space(RECV_FDS)]);
    let mut iov = libc::iovec {
        iov_base: msg.as_ptr() as *mut libc::c_void,
        iov_len: msg.len(),
    };
    // SAFETY: msghdr is a plain C struct for which all-zeroes is valid.
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    if !fds.is_empty() {
        hdr.msg_control = cbuf.0.as_mut_ptr().cast();
        hdr.msg_controllen = cmsg_space(fds.len());
        // SAFETY: msg_control points at a buffer of msg_controllen bytes,
        // which is at least CMSG_SPACE(fds.len() * 4) > sizeof(cmsghdr), so
        // CMSG_FIRSTHDR returns a valid, aligned header pointer into it.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&hdr);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN((fds.len() * size_of::<RawFd>()) as u32) as usize;
            let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
            for (i, fd) in fds.iter().enumerate() {
                data.add(i).write_unaligned(fd.as_raw_fd());
            }
        }
    }
    loop {
        // SAFETY: hdr points at one iovec describing `msg` (read only by the
        // kernel) and at a control buffer that lives until the call returns.
        let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &hdr, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            // SEQPACKET sends are atomic: all or an error.
            return Ok(());
        }
        let e = last_errno();
        if e != Errno::EINTR {
            return Err(e);
        }
    }
}

/// Receives one datagram into `buf` (its whole length is usable).
///
/// Returns `None` at end of stream (the peer closed the socket).
pub(crate) fn recv(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Option<Received>, Errno> {
    let mut cbuf = CmsgBuf([0; cmsg_space(RECV_FDS)]);
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is a plain C struct for which all-zeroes is valid.
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = &mut iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = cbuf.0.as_mut_ptr().cast();
    hdr.msg_controllen = cbuf.0.len();
    let n = loop {
        // SAFETY: hdr points at one iovec covering `buf` and at `cbuf`,
        // both writable and alive for the duration of the call.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut hdr, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let e = last_errno();
        if e != Errno::EINTR {
            return Err(e);
        }
    };
    let mut fds = Vec::new();
    // SAFETY: after a successful recvmsg the kernel has filled msg_control
    // with msg_controllen bytes of well-formed cmsg headers; CMSG_FIRSTHDR
    // and CMSG_NXTHDR stay within that range and return null at its end.
    // Each SCM_RIGHTS payload holds (cmsg_len - CMSG_LEN(0)) / 4 FDs that
    // were installed in our table for us alone, so wrapping them in OwnedFd
    // transfers their ownership exactly once.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&hdr);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                let bytes = (*cmsg).cmsg_len - libc::CMSG_LEN(0) as usize;
                for i in 0..bytes / size_of::<RawFd>() {
                    fds.push(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&hdr, cmsg);
        }
    }
    if n == 0 && fds.is_empty() {
        return Ok(None);
    }
    let truncated = hdr.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0;
    Ok(Some(Received {
        len: n.min(buf.len()),
        fds,
        truncated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn seqpacket_pair() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two FDs socketpair writes.
        let r = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        };
        assert_eq!(r, 0);
        // SAFETY: socketpair succeeded; both FDs are new and owned here.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    #[test]
    fn recv_when_message_exceeds_buffer_reports_truncation() {
        let (a, b) = seqpacket_pair();
        send(a.as_fd(), &[7; 100], &[]).unwrap();
        let mut buf = [0; 10];
        let r = recv(b.as_fd(), &mut buf).unwrap().unwrap();
        assert!(r.truncated);
        assert_eq!(r.len, 10);
    }

    #[test]
    fn fds_travel_with_the_message_up_to_the_limit() {
        let (a, b) = seqpacket_pair();
        let (x, _y) = seqpacket_pair();
        send(a.as_fd(), b"hi", &[x.as_fd()]).unwrap();
        let mut buf = [0; 10];
        let r = recv(b.as_fd(), &mut buf).unwrap().unwrap();
        assert_eq!((r.len, r.fds.len(), r.truncated), (2, 1, false));
        assert_eq!(&buf[..2], b"hi");

        let many: Vec<BorrowedFd<'_>> = (0..RECV_FDS).map(|_| x.as_fd()).collect();
        send(a.as_fd(), b"x", &many).unwrap();
        let r = recv(b.as_fd(), &mut buf).unwrap().unwrap();
        assert_eq!(r.fds.len(), RECV_FDS);
        assert!(send(a.as_fd(), b"x", &[x.as_fd(); RECV_FDS + 1]).is_err());
    }

    #[test]
    fn recv_when_peer_closed_returns_none() {
        let (a, b) = seqpacket_pair();
        drop(a);
        assert!(recv(b.as_fd(), &mut [0; 10]).unwrap().is_none());
    }
}
