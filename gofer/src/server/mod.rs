//! The gofer process's request loop.
//!
//! [`serve`] answers requests on one `SOCK_SEQPACKET` socket, one at a time,
//! until the peer closes it. It holds one host FD per [`crate::FileId`]
//! (opened `O_PATH | O_NOFOLLOW` for walked files) and resolves every name
//! with `openat(dirfd, name, O_PATH | O_NOFOLLOW)` relative to an FD it
//! holds — never a path string from the root — so a client cannot leave the
//! root with `..` (refused by the protocol), symlinks (never followed) or
//! absolute symlinks. It needs no `/proc`.
//!
//! Files are re-opened for I/O through the parent directory FD and the
//! name each FileId was walked by (`openat(parent, name, flags |
//! O_NOFOLLOW)`), and the result is checked to be the same inode (device and
//! inode number) before it is donated; directories are re-opened with
//! `openat(fd, ".")`. Renames done through the server keep these
//! (parent, name) pairs up to date; a file renamed behind the server's back
//! gives `ESTALE`. Only regular files and directories are ever opened.
//!
//! # Host syscalls
//!
//! The complete list, for the gofer's seccomp allow-list (21 entries):
//!
//! | syscall | used for |
//! |---|---|
//! | `recvmsg`, `sendmsg` | the socket, with `SCM_RIGHTS` |
//! | `openat` | walk (`O_PATH`), open, create, getdents directory FDs |
//! | `close` | dropping FDs |
//! | `newfstatat` | stat (`AT_EMPTY_PATH`) |
//! | `fstatfs` | statfs |
//! | `getdents64`, `lseek` | getdents and its cookies |
//! | `mkdirat`, `mknodat`, `symlinkat`, `linkat`, `unlinkat`, `renameat2` | namespace changes |
//! | `readlinkat` | readlink (empty path) |
//! | `fchownat` | owner of new files, setstat (`AT_EMPTY_PATH`) |
//! | `fchmodat2` | setstat mode (`AT_EMPTY_PATH`); `ENOSYS` before Linux 6.6 falls back to `fchmod` |
//! | `fchmod` | that fallback, on a re-opened FD |
//! | `utimensat` | setstat times (`AT_EMPTY_PATH`) |
//! | `ftruncate` | setstat size, `O_TRUNC` |
//! | `fcntl` (`F_SETFL`) | clearing the `O_NONBLOCK` used while re-opening |
//!
//! The Rust runtime adds its own needs (memory allocation: `mmap`, `munmap`,
//! `mremap`, `madvise`, `brk`; `futex`; `exit_group`; `sigaltstack`,
//! `rt_sigprocmask`; `write` for logging), which the allow-list must also
//! admit.

mod handlers;
mod host;

use crate::proto::{self, HEADER_SIZE, MAX_MESSAGE_SIZE, ProtoError, Response};
use crate::transport;
use abi::Errno;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// How the server behaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Refuse every change to the filesystem with `EROFS` (including opens
    /// for writing and `O_TRUNC`).
    pub read_only: bool,
}

/// Why [`serve`] stopped before the peer closed the socket.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The socket failed.
    #[error("gofer socket: {0}")]
    Io(Errno),
    /// The peer sent a message too malformed to answer (no header).
    #[error("gofer protocol: {0}")]
    Protocol(ProtoError),
    /// The root FD is unusable.
    #[error("gofer root: {0}")]
    Root(Errno),
}

/// Serves requests on `sock` for the directory tree under `root` until the
/// peer closes the socket (then returns `Ok`).
///
/// `root` must be an open directory FD; it may be `O_PATH`. A request whose
/// payload is malformed is answered with `EINVAL`; a message too short to
/// carry a header ends the connection with [`ServerError::Protocol`]. FDs
/// sent by the client are closed and the request refused with `EINVAL`.
pub fn serve(sock: OwnedFd, root: OwnedFd, options: ServerOptions) -> Result<(), ServerError> {
    let mut state = handlers::State::new(root, options).map_err(ServerError::Root)?;
    let mut buf = vec![0u8; MAX_MESSAGE_SIZE];
    loop {
        let Some(received) = transport::recv(sock.as_fd(), &mut buf).map_err(ServerError::Io)?
        else {
            return Ok(());
        };
        let msg = &buf[..received.len];
        let decoded = if received.truncated {
            Err(ProtoError::TooLarge(received.len))
        } else if !received.fds.is_empty() {
            Err(ProtoError::UnexpectedFds {
                expected: 0,
                received: received.fds.len(),
            })
        } else {
            proto::decode_request(msg)
        };
        drop(received.fds);
        let (id, response, fd) = match decoded {
            Ok((id, req)) => {
                tracing::trace!(id, ?req, "gofer request");
                let (response, fd) = state.handle(req);
                (id, response, fd)
            }
            Err(e) => {
                let Some(id) = msg
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_le_bytes)
                    .filter(|_| msg.len() >= HEADER_SIZE)
                else {
                    tracing::warn!(error = %e, "gofer: message without header");
                    return Err(ServerError::Protocol(e));
                };
                tracing::warn!(id, error = %e, "gofer: malformed request");
                (id, Response::Error(Errno::EINVAL), None)
            }
        };
        if !reply(sock.as_fd(), id, &response, fd)? {
            return Ok(());
        }
    }
}

/// Sends one response. Returns `false` if the peer has gone away.
fn reply(
    sock: BorrowedFd<'_>,
    id: u64,
    response: &Response,
    fd: Option<OwnedFd>,
) -> Result<bool, ServerError> {
    let mut msg = proto::encode_response(id, response);
    let mut fds: Vec<BorrowedFd<'_>> = fd.as_ref().map(|f| f.as_fd()).into_iter().collect();
    if msg.len() > MAX_MESSAGE_SIZE || fds.len() != response.fd_count() {
        // A server bug; answer something the client can decode.
        tracing::error!(id, "gofer: response does not fit the protocol");
        msg = proto::encode_response(id, &Response::Error(Errno::EIO));
        fds.clear();
    }
    match transport::send(sock, &msg, &fds) {
        Ok(()) => Ok(true),
        Err(e) if e == Errno::EPIPE || e == Errno::ECONNRESET => Ok(false),
        Err(e) => Err(ServerError::Io(e)),
    }
}
