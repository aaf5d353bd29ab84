//! The Sentry's side of the gofer protocol.
//!
//! # Concurrency
//!
//! [`Client`] is `Send + Sync`. One mutex guards the socket for a whole
//! round trip (send, then receive the answer), so requests from several
//! threads are serialised and each response is matched to its request by
//! id. After a transport or protocol failure the client is marked broken
//! and every later call fails with [`ClientError::Transport`] (`EPIPE`).

#![forbid(unsafe_code)]

use crate::proto::{
    self, Dirent, FileId, MAX_CLOSE_FILES, MAX_MESSAGE_SIZE, MAX_WALK_NAMES, Name, NameError,
    Owner, ProtoError, Request, Response, SetStat, Stat, StatFs,
};
use crate::transport;
use abi::Errno;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an errno.
    #[error("gofer: {0}")]
    Remote(Errno),
    /// The server broke the protocol (or the client is broken by an
    /// earlier failure).
    #[error("gofer protocol error: {0}")]
    Protocol(ProtoError),
    /// The socket failed (including the server closing it).
    #[error("gofer socket: {0}")]
    Transport(Errno),
    /// An argument cannot be sent (invalid name, too many names...).
    #[error("invalid argument: {0}")]
    Invalid(NameError),
}

impl ClientError {
    /// The errno to give the guest: the remote one, `EIO` for a broken
    /// connection, or the errno Linux gives for an invalid name.
    pub fn errno(&self) -> Errno {
        match self {
            ClientError::Remote(e) => *e,
            ClientError::Protocol(_) | ClientError::Transport(_) => Errno::EIO,
            ClientError::Invalid(e) => e.errno(),
        }
    }
}

impl From<NameError> for ClientError {
    fn from(e: NameError) -> Self {
        ClientError::Invalid(e)
    }
}

/// The result of [`Client::walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked {
    /// A (FileId, Stat) per component walked, in order.
    pub files: Vec<(FileId, Stat)>,
    /// Why the walk stopped before the last name, if it did: component
    /// `files.len()` failed with this errno.
    pub error: Option<Errno>,
}

/// The result of [`Client::create`].
#[derive(Debug)]
pub struct Created {
    /// The new file's FileId.
    pub file: FileId,
    /// Its attributes.
    pub stat: Stat,
    /// The open host file.
    pub fd: OwnedFd,
}

struct Inner {
    sock: OwnedFd,
    next_id: u64,
    broken: bool,
    buf: Vec<u8>,
}

/// A connection to a gofer server.
pub struct Client {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

fn name(bytes: &[u8]) -> Result<Name, ClientError> {
    Ok(Name::new(bytes)?)
}

fn unexpected(req: &Request, resp: &Response) -> ClientError {
    ClientError::Protocol(ProtoError::WrongResponse {
        request: req.opcode(),
        got: resp.opcode(),
    })
}

impl Client {
    /// Wraps a connected `SOCK_SEQPACKET` socket whose peer runs
    /// [`crate::server::serve`].
    pub fn new(sock: OwnedFd) -> Client {
        Client {
            inner: Mutex::new(Inner {
                sock,
                next_id: 1,
                broken: false,
                buf: vec![0; MAX_MESSAGE_SIZE],
            }),
        }
    }

    /// Sends `req`, waits for its response and checks that it answers the
    /// request and carries the right number of FDs. An error response is
    /// returned as `Ok(Response::Error)` here.
    fn call(&self, req: &Request) -> Result<(Response, Vec<OwnedFd>), ClientError> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *guard;
        if inner.broken {
            return Err(ClientError::Transport(Errno::EPIPE));
        }
        let id = inner.next_id;
        inner.next_id = inner.next_id.wrapping_add(1);
        let msg = proto::encode_request(id, req);
        if msg.len() > MAX_MESSAGE_SIZE {
            return Err(ClientError::Invalid(NameError::TooLong));
        }
        let result = round_trip(inner, id, req, &msg);
        if matches!(
            result,
            Err(ClientError::Protocol(_) | ClientError::Transport(_))
        ) {
            inner.broken = true;
        }
        result
    }

    /// Like [`Client::call`], turning an error response into
    /// [`ClientError::Remote`].
    fn call_ok(&self, req: &Request) -> Result<(Response, Vec<OwnedFd>), ClientError> {
        match self.call(req)? {
            (Response::Error(e), _) => Err(ClientError::Remote(e)),
            ok => Ok(ok),
        }
    }

    /// Calls a request answered by [`Response::Created`].
    fn call_created(&self, req: &Request) -> Result<(FileId, Stat), ClientError> {
        match self.call_ok(req)?.0 {
            Response::Created { file, stat } => Ok((file, stat)),
            other => Err(unexpected(req, &other)),
        }
    }

    /// Calls a request answered by an empty success response.
    fn call_unit(&self, req: &Request) -> Result<(), ClientError> {
        self.call_ok(req).map(|_| ())
    }

    /// Gets a new FileId for the server's root directory.
    pub fn attach(&self) -> Result<(FileId, Stat), ClientError> {
        let req = Request::Attach;
        match self.call_ok(&req)?.0 {
            Response::Attach { root, stat } => Ok((root, stat)),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Walks `names` from `dir`, one component at a time, never following
    /// symlinks. Stops at the first component that fails, returning the
    /// prefix walked and that component's errno. At most
    /// [`MAX_WALK_NAMES`] names.
    pub fn walk(&self, dir: FileId, names: &[&[u8]]) -> Result<Walked, ClientError> {
        if names.len() > MAX_WALK_NAMES {
            return Err(ClientError::Invalid(NameError::TooLong));
        }
        let names: Vec<Name> = names.iter().map(|n| name(n)).collect::<Result<_, _>>()?;
        let n_names = names.len();
        let req = Request::Walk { dir, names };
        match self.call_ok(&req)?.0 {
            Response::Walk { walked, error } => {
                let complete = walked.len() == n_names && error.is_none();
                let stopped = walked.len() < n_names && error.is_some();
                if !(complete || stopped) {
                    return Err(ClientError::Protocol(ProtoError::BadValue("walk length")));
                }
                Ok(Walked {
                    files: walked,
                    error,
                })
            }
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Attributes of `file` (of the symlink itself for a symlink).
    pub fn stat(&self, file: FileId) -> Result<Stat, ClientError> {
        let req = Request::Stat { file };
        match self.call_ok(&req)?.0 {
            Response::Stat(s) => Ok(s),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Opens `file` with `open(2)` `flags` and returns the host FD.
    pub fn open(&self, file: FileId, flags: u32) -> Result<OwnedFd, ClientError> {
        let req = Request::Open { file, flags };
        let (resp, mut fds) = self.call_ok(&req)?;
        match resp {
            Response::Open => fds
                .pop()
                .ok_or(ClientError::Protocol(ProtoError::BadValue("fd"))),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Creates the regular file `name` in `dir` (`O_CREAT | O_EXCL`) and
    /// opens it with `flags`.
    pub fn create(
        &self,
        dir: FileId,
        name_: &[u8],
        flags: u32,
        mode: u32,
        owner: Owner,
    ) -> Result<Created, ClientError> {
        let req = Request::Create {
            dir,
            name: name(name_)?,
            flags,
            mode,
            owner,
        };
        let (resp, mut fds) = self.call_ok(&req)?;
        match resp {
            Response::Create { file, stat } => Ok(Created {
                file,
                stat,
                fd: fds
                    .pop()
                    .ok_or(ClientError::Protocol(ProtoError::BadValue("fd")))?,
            }),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Creates the directory `name` in `dir`.
    pub fn mkdir(
        &self,
        dir: FileId,
        name_: &[u8],
        mode: u32,
        owner: Owner,
    ) -> Result<(FileId, Stat), ClientError> {
        self.call_created(&Request::Mkdir {
            dir,
            name: name(name_)?,
            mode,
            owner,
        })
    }

    /// Creates a regular file or FIFO `name` in `dir`; `mode` holds the
    /// type (`S_IFREG`, `S_IFIFO` or 0) and the permission bits.
    pub fn mknod(
        &self,
        dir: FileId,
        name_: &[u8],
        mode: u32,
        owner: Owner,
    ) -> Result<(FileId, Stat), ClientError> {
        self.call_created(&Request::Mknod {
            dir,
            name: name(name_)?,
            mode,
            owner,
        })
    }

    /// Creates the symlink `name` → `target` in `dir`.
    pub fn symlink(
        &self,
        dir: FileId,
        name_: &[u8],
        target: &[u8],
        owner: Owner,
    ) -> Result<(FileId, Stat), ClientError> {
        proto::check_target(target)?;
        self.call_created(&Request::Symlink {
            dir,
            name: name(name_)?,
            target: target.to_vec(),
            owner,
        })
    }

    /// Creates the hard link `name` in `dir` to the file `target`.
    pub fn link(
        &self,
        dir: FileId,
        name_: &[u8],
        target: FileId,
    ) -> Result<(FileId, Stat), ClientError> {
        self.call_created(&Request::Link {
            dir,
            name: name(name_)?,
            target,
        })
    }

    /// Removes `name` from `dir`; `flags` is 0 or `AT_REMOVEDIR`.
    pub fn unlink(&self, dir: FileId, name_: &[u8], flags: u32) -> Result<(), ClientError> {
        self.call_unit(&Request::Unlink {
            dir,
            name: name(name_)?,
            flags,
        })
    }

    /// Renames `old_dir/old_name` to `new_dir/new_name` (`renameat2(2)`
    /// flags: 0, `RENAME_NOREPLACE` or `RENAME_EXCHANGE`).
    pub fn rename(
        &self,
        old_dir: FileId,
        old_name: &[u8],
        new_dir: FileId,
        new_name: &[u8],
        flags: u32,
    ) -> Result<(), ClientError> {
        self.call_unit(&Request::Rename {
            old_dir,
            old_name: name(old_name)?,
            new_dir,
            new_name: name(new_name)?,
            flags,
        })
    }

    /// The contents of the symlink `file`.
    pub fn readlink(&self, file: FileId) -> Result<Vec<u8>, ClientError> {
        let req = Request::Readlink { file };
        match self.call_ok(&req)?.0 {
            Response::Readlink(t) => Ok(t),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Entries of `dir` starting at `cookie` (0 for the start; otherwise
    /// the `next` of the last entry seen). An empty result is the end.
    /// `.` and `..` are never returned.
    pub fn getdents(&self, dir: FileId, cookie: u64) -> Result<Vec<Dirent>, ClientError> {
        let req = Request::Getdents { dir, cookie };
        match self.call_ok(&req)?.0 {
            Response::Getdents(entries) => Ok(entries),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Changes the attributes selected by `stat.mask`.
    pub fn set_stat(&self, file: FileId, stat: &SetStat) -> Result<(), ClientError> {
        self.call_unit(&Request::SetStat { file, stat: *stat })
    }

    /// Statistics of the filesystem holding `file`.
    pub fn statfs(&self, file: FileId) -> Result<StatFs, ClientError> {
        let req = Request::StatFs { file };
        match self.call_ok(&req)?.0 {
            Response::StatFs(s) => Ok(s),
            other => Err(unexpected(&req, &other)),
        }
    }

    /// Forgets `files` on the server. Every FileId is closed even if some
    /// are unknown; the error then is `EBADF`.
    pub fn close(&self, files: &[FileId]) -> Result<(), ClientError> {
        let mut result = Ok(());
        for chunk in files.chunks(MAX_CLOSE_FILES) {
            let r = self.call_unit(&Request::Close {
                files: chunk.to_vec(),
            });
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}

/// One round trip on a locked connection.
fn round_trip(
    inner: &mut Inner,
    id: u64,
    req: &Request,
    msg: &[u8],
) -> Result<(Response, Vec<OwnedFd>), ClientError> {
    transport::send(inner.sock.as_fd(), msg, &[]).map_err(ClientError::Transport)?;
    let received = transport::recv(inner.sock.as_fd(), &mut inner.buf)
        .map_err(ClientError::Transport)?
        .ok_or(ClientError::Transport(Errno::ECONNRESET))?;
    // Any FDs received are owned from here on and closed on every error path.
    let fds = received.fds;
    if received.truncated {
        return Err(ClientError::Protocol(ProtoError::TooLarge(received.len)));
    }
    let (got, resp) =
        proto::decode_response(&inner.buf[..received.len]).map_err(ClientError::Protocol)?;
    if got != id {
        return Err(ClientError::Protocol(ProtoError::IdMismatch {
            expected: id,
            got,
        }));
    }
    if !req.accepts(&resp) {
        return Err(unexpected(req, &resp));
    }
    if fds.len() != resp.fd_count() {
        return Err(ClientError::Protocol(ProtoError::UnexpectedFds {
            expected: resp.fd_count(),
            received: fds.len(),
        }));
    }
    Ok((resp, fds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Stat, decode_request, encode_response};
    use std::os::fd::BorrowedFd;

    fn socketpair() -> (OwnedFd, OwnedFd) {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        // Stream sockets suffice for these one-message exchanges.
        (OwnedFd::from(a), OwnedFd::from(b))
    }

    /// Runs a fake server that answers one request with `answer(id)` and
    /// the FDs `fds`.
    fn fake_server(
        answer: impl Fn(u64) -> Vec<u8> + Send + 'static,
        nfds: usize,
    ) -> (Client, std::thread::JoinHandle<()>) {
        let (a, b) = socketpair();
        let t = std::thread::spawn(move || {
            let mut buf = vec![0; MAX_MESSAGE_SIZE];
            let r = transport::recv(b.as_fd(), &mut buf).unwrap().unwrap();
            let (id, _) = decode_request(&buf[..r.len]).unwrap();
            let extra: Vec<OwnedFd> = (0..nfds).map(|_| socketpair().0).collect();
            let fds: Vec<BorrowedFd<'_>> = extra.iter().map(|f| f.as_fd()).collect();
            transport::send(b.as_fd(), &answer(id), &fds).unwrap();
            // Wait for the client to hang up.
            let _ = transport::recv(b.as_fd(), &mut buf);
        });
        (Client::new(a), t)
    }

    fn protocol_error(r: Result<impl std::fmt::Debug, ClientError>) -> ProtoError {
        match r {
            Err(ClientError::Protocol(p)) => p,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn stat_when_response_id_differs_returns_protocol_error() {
        let (c, t) = fake_server(
            |id| encode_response(id + 1, &Response::Stat(Stat::default())),
            0,
        );
        let e = c.stat(FileId(1));
        assert!(matches!(protocol_error(e), ProtoError::IdMismatch { .. }));
        // The client is now broken, and says so without a round trip.
        assert_eq!(c.stat(FileId(1)).unwrap_err().errno(), Errno::EIO);
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn stat_when_response_carries_fds_returns_protocol_error() {
        let (c, t) = fake_server(
            |id| encode_response(id, &Response::Stat(Stat::default())),
            2,
        );
        assert_eq!(
            protocol_error(c.stat(FileId(1))),
            ProtoError::UnexpectedFds {
                expected: 0,
                received: 2
            }
        );
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn open_when_response_lacks_fd_returns_protocol_error() {
        let (c, t) = fake_server(|id| encode_response(id, &Response::Open), 0);
        assert!(matches!(
            protocol_error(c.open(FileId(1), 0)),
            ProtoError::UnexpectedFds { .. }
        ));
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn stat_when_response_is_of_another_kind_returns_protocol_error() {
        let (c, t) = fake_server(|id| encode_response(id, &Response::Close), 0);
        assert!(matches!(
            protocol_error(c.stat(FileId(1))),
            ProtoError::WrongResponse { .. }
        ));
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn walk_when_response_is_longer_than_request_returns_protocol_error() {
        let (c, t) = fake_server(
            |id| {
                encode_response(
                    id,
                    &Response::Walk {
                        walked: vec![(FileId(1), Stat::default()); 2],
                        error: None,
                    },
                )
            },
            0,
        );
        assert_eq!(
            protocol_error(c.walk(FileId(1), &[b"a"])),
            ProtoError::BadValue("walk length")
        );
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn remote_errno_is_passed_through() {
        let (c, t) = fake_server(|id| encode_response(id, &Response::Error(Errno::EACCES)), 0);
        let e = c.stat(FileId(1)).unwrap_err();
        assert!(matches!(e, ClientError::Remote(Errno::EACCES)));
        assert_eq!(e.errno(), Errno::EACCES);
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn garbage_response_returns_protocol_error() {
        let (c, t) = fake_server(|_| vec![0xff; 40], 0);
        assert_eq!(c.stat(FileId(1)).unwrap_err().errno(), Errno::EIO);
        drop(c);
        t.join().unwrap();
    }

    #[test]
    fn invalid_names_are_refused_before_sending() {
        let (a, _b) = socketpair();
        let c = Client::new(a);
        assert_eq!(
            c.mkdir(FileId(1), b"..", 0, Owner::default())
                .unwrap_err()
                .errno(),
            Errno::EINVAL
        );
        assert_eq!(
            c.unlink(FileId(1), &[b'x'; 256], 0).unwrap_err().errno(),
            Errno::ENAMETOOLONG
        );
        let many = vec![&b"a"[..]; MAX_WALK_NAMES + 1];
        assert!(matches!(
            c.walk(FileId(1), &many),
            Err(ClientError::Invalid(_))
        ));
    }

    #[test]
    fn client_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Client>();
    }
}
