//! Socket system calls: `AF_UNIX` sockets (see `fsimpl::socket`).

use std::sync::Arc;

use abi::Errno;

use super::SyscallResult;
use super::fs::{file, read_iovecs};
use crate::fsimpl::socket::{Cred, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, UnixSocket};
use crate::fsimpl::unix_names::{self, UnixName};
use crate::kernel::Task;
use crate::mm::UserPtr;
use crate::vfs::{Dentry, FileDescription, FileRef};

const AF_UNIX: u64 = 1;
const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;
const SOCK_NONBLOCK: u32 = 0o4000;
const SOCK_CLOEXEC: u32 = 0o2000000;
const SOCK_MAX: u32 = 11;
const O_NONBLOCK: u32 = 0o4000;

const MSG_PEEK: u64 = 0x2;
const MSG_TRUNC: u64 = 0x20;
const MSG_DONTWAIT: u64 = 0x40;
const MSG_NOSIGNAL: u64 = 0x4000;

const SOL_SOCKET: u64 = 1;
const SO_TYPE: u64 = 3;
const SO_ERROR: u64 = 4;
const SO_SNDBUF: u64 = 7;
const SO_RCVBUF: u64 = 8;
const SO_PEERCRED: u64 = 17;
const SO_ACCEPTCONN: u64 = 30;
const SO_PROTOCOL: u64 = 38;
const SO_DOMAIN: u64 = 39;

/// Largest single send or receive buffer the Sentry copies at once.
const MAX_IO: u64 = 1 << 24;

/// Checks `socket`/`socketpair` arguments; returns (type, flags).
fn check_args(domain: u64, ty: u64, proto: u64, pair: bool) -> Result<(u32, u32), Errno> {
    if domain != AF_UNIX {
        if pair && (domain == AF_INET || domain == AF_INET6) {
            return Err(Errno::EOPNOTSUPP);
        }
        return Err(Errno::EAFNOSUPPORT);
    }
    let ty = u32::try_from(ty).map_err(|_| Errno::EINVAL)?;
    let flags = ty & !0xf;
    let kind = ty & 0xf;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 || kind >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if proto != 0 && proto != AF_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let kind = match kind {
        SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET => kind,
        // SOCK_RAW is a datagram socket for AF_UNIX.
        3 => SOCK_DGRAM,
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    Ok((kind, flags))
}

fn install(task: &Task, sock: Arc<UnixSocket>, flags: u32) -> Result<i32, Errno> {
    let ino = crate::vfs::Inode::attr(&*sock)?.ino;
    let dentry = Dentry::detached(format!("socket:[{ino}]").into_bytes(), sock.clone());
    let file = FileDescription::new(dentry, sock, 2 | (flags & O_NONBLOCK));
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    task.fds.insert(file, flags & SOCK_CLOEXEC != 0, 0, limit)
}

pub(super) fn socket(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (kind, flags) = check_args(a[0], a[1], a[2], false)?;
    let sock = UnixSocket::new(kind, task.creds.uid[1], task.creds.gid[1]);
    Ok(install(task, sock, flags)? as u64)
}

pub(super) fn socketpair(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (kind, flags) = check_args(a[0], a[1], a[2], true)?;
    let cred = Cred {
        pid: task.pid,
        uid: task.creds.uid[1],
        gid: task.creds.gid[1],
    };
    let (s0, s1) = UnixSocket::pair(kind, cred);
    let fd0 = install(task, s0, flags)?;
    let fd1 = match install(task, s1, flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = task.fds.remove(fd0);
            return Err(e);
        }
    };
    if let Err(e) = task.mm.write(UserPtr::<[i32; 2]>::new(a[3]), &[fd0, fd1]) {
        let _ = task.fds.remove(fd0);
        let _ = task.fds.remove(fd1);
        return Err(e);
    }
    Ok(0)
}

/// The socket a file is: `ENOTSOCK` for other files.
fn as_sock(f: &FileRef) -> Result<&UnixSocket, Errno> {
    f.inode()
        .as_any()
        .downcast_ref::<UnixSocket>()
        .ok_or(Errno::ENOTSOCK)
}

/// Sends `data`: a blocking stream send waits until all of it is queued.
fn do_send(task: &Task, f: &FileRef, data: &[u8], flags: u64) -> SyscallResult {
    do_send_files(task, f, data, flags, Vec::new())
}

/// [`do_send`], passing `files` with the first part of the data queued.
fn do_send_files(
    task: &Task,
    f: &FileRef,
    data: &[u8],
    flags: u64,
    mut files: Vec<FileRef>,
) -> SyscallResult {
    let s = as_sock(f)?;
    let dontwait = flags & MSG_DONTWAIT != 0;
    let nosignal = flags & MSG_NOSIGNAL != 0;
    let all = s.kind() == SOCK_STREAM && !dontwait && f.flags() & O_NONBLOCK == 0;
    let mut done = 0;
    loop {
        let r = super::fs::wait_io(task, f, true, dontwait, !nosignal, || {
            s.send_with_files(&data[done..], &mut files)
        });
        match r {
            Ok(n) => {
                done += n;
                if !all || done >= data.len() || n == 0 {
                    return Ok(done as u64);
                }
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => return Ok(done as u64),
        }
    }
}

/// Receives up to `len` bytes: (data, full message length).
fn do_recv(task: &Task, f: &FileRef, len: u64, flags: u64) -> Result<(Vec<u8>, usize), Errno> {
    do_recv_files(task, f, len, flags).map(|(d, full, _)| (d, full))
}

/// [`do_recv`], with the files passed along (`SCM_RIGHTS`).
fn do_recv_files(
    task: &Task,
    f: &FileRef,
    len: u64,
    flags: u64,
) -> Result<(Vec<u8>, usize, Vec<FileRef>), Errno> {
    let s = as_sock(f)?;
    let mut buf = vec![0u8; len.min(MAX_IO) as usize];
    let peek = flags & MSG_PEEK != 0;
    let mut full = 0;
    let mut files = Vec::new();
    let n = super::fs::wait_io(task, f, false, flags & MSG_DONTWAIT != 0, false, || {
        let (n, l, passed) = s.recv_with_files(&mut buf, peek)?;
        full = l;
        files = passed;
        Ok(n)
    })?;
    buf.truncate(n);
    Ok((buf, full, files))
}

fn copy_in(task: &Task, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let mut data = vec![0u8; len.min(MAX_IO) as usize];
    task.mm.copy_in(addr, &mut data)?;
    Ok(data)
}

pub(super) fn sendto(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    if a[4] != 0 && s.connected() {
        if s.kind() != SOCK_DGRAM {
            return Err(Errno::EISCONN);
        }
    } else if a[4] != 0 {
        // Named destinations need bind(), which is not there yet.
        return Err(Errno::ECONNREFUSED);
    }
    let data = copy_in(task, a[1], a[2])?;
    do_send(task, &f, &data, a[3])
}

pub(super) fn recvfrom(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let (data, full) = do_recv(task, &f, a[2], a[3])?;
    task.mm.copy_out(a[1], &data)?;
    if a[4] != 0 && a[5] != 0 {
        // The peer is unnamed: an empty address.
        task.mm.write(UserPtr::<u32>::new(a[5]), &0)?;
    }
    let dgram = as_sock(&f)?.kind() != SOCK_STREAM;
    if dgram && a[3] & MSG_TRUNC != 0 {
        return Ok(full as u64);
    }
    Ok(data.len() as u64)
}

/// `struct msghdr` as seven words: name, namelen, iov, iovlen, control,
/// controllen, flags.
type MsgHdr = [u64; 7];

pub(super) fn sendmsg(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    as_sock(&f)?;
    let m: MsgHdr = task.mm.read(UserPtr::<MsgHdr>::new(a[1]))?;
    let vecs = read_iovecs(task, m[2], m[3])?;
    let mut data = Vec::new();
    for (base, len) in vecs {
        let start = data.len();
        let len = len.min(MAX_IO - start as u64) as usize;
        data.resize(start + len, 0);
        task.mm.copy_in(base, &mut data[start..])?;
    }
    let files = read_rights(task, m[4], m[5])?;
    do_send_files(task, &f, &data, a[2], files)
}

/// `SOL_SOCKET`/`SCM_RIGHTS`: the control message type that passes files.
const SCM_RIGHTS: u32 = 1;
/// Most files one message may pass (`SCM_MAX_FD`).
const SCM_MAX_FD: usize = 253;
/// `struct cmsghdr`: length (u64), level and type (i32 each).
const CMSG_HDR: u64 = 16;
/// `MSG_CTRUNC`: control data did not fit.
const MSG_CTRUNC: u32 = 0x8;
/// `MSG_CMSG_CLOEXEC`: received files are close-on-exec.
const MSG_CMSG_CLOEXEC: u64 = 0x4000_0000;

/// The files a `sendmsg` control buffer passes (`SCM_RIGHTS`); other
/// control messages are ignored.
fn read_rights(task: &Task, control: u64, len: u64) -> Result<Vec<FileRef>, Errno> {
    let mut files = Vec::new();
    if control == 0 || len == 0 {
        return Ok(files);
    }
    if len > 1 << 16 {
        return Err(Errno::ENOBUFS);
    }
    let mut buf = vec![0u8; len as usize];
    task.mm.copy_in(control, &mut buf)?;
    let mut off = 0usize;
    while off + CMSG_HDR as usize <= buf.len() {
        let word = |i: usize| -> [u8; 8] { buf[i..i + 8].try_into().unwrap_or([0; 8]) };
        let cmsg_len = u64::from_ne_bytes(word(off)) as usize;
        let level = u32::from_ne_bytes(word(off + 8)[..4].try_into().unwrap_or([0; 4]));
        let kind = u32::from_ne_bytes(word(off + 8)[4..].try_into().unwrap_or([0; 4]));
        if cmsg_len < CMSG_HDR as usize || cmsg_len > buf.len() - off {
            return Err(Errno::EINVAL);
        }
        if level == SOL_SOCKET as u32 && kind == SCM_RIGHTS {
            let data = &buf[off + CMSG_HDR as usize..off + cmsg_len];
            for fd in data.chunks_exact(4) {
                if files.len() >= SCM_MAX_FD {
                    return Err(Errno::EINVAL);
                }
                let fd = i32::from_ne_bytes(fd.try_into().unwrap_or([0xff; 4]));
                files.push(task.fds.get(fd).map_err(|_| Errno::EBADF)?);
            }
        }
        // The next header starts 8-byte aligned.
        off += cmsg_len.div_ceil(8) * 8;
    }
    Ok(files)
}

/// Installs received `files` and writes their `SCM_RIGHTS` message into
/// the control buffer of `len` bytes: as many as fit (`MSG_CTRUNC` if not
/// all). Returns (control bytes used, the flag).
fn write_rights(
    task: &Task,
    control: u64,
    len: u64,
    files: Vec<FileRef>,
    cloexec: bool,
) -> Result<(u64, u32), Errno> {
    if files.is_empty() {
        return Ok((0, 0));
    }
    if control == 0 || len < CMSG_HDR {
        return Ok((0, MSG_CTRUNC));
    }
    let room = ((len - CMSG_HDR) / 4) as usize;
    let trunc = room < files.len();
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    let mut fds = Vec::new();
    for f in files.into_iter().take(room) {
        match task.fds.insert(f, cloexec, 0, limit) {
            Ok(fd) => fds.push(fd),
            Err(_) => break,
        }
    }
    let cmsg_len = CMSG_HDR + 4 * fds.len() as u64;
    let mut out = cmsg_len.to_ne_bytes().to_vec();
    out.extend_from_slice(&(SOL_SOCKET as u32).to_ne_bytes());
    out.extend_from_slice(&SCM_RIGHTS.to_ne_bytes());
    for fd in &fds {
        out.extend_from_slice(&fd.to_ne_bytes());
    }
    task.mm.copy_out(control, &out)?;
    let used = cmsg_len.div_ceil(8).saturating_mul(8).min(len);
    Ok((used, if trunc { MSG_CTRUNC } else { 0 }))
}

pub(super) fn recvmsg(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    as_sock(&f)?;
    let m: MsgHdr = task.mm.read(UserPtr::<MsgHdr>::new(a[1]))?;
    let vecs = read_iovecs(task, m[2], m[3])?;
    let total: u64 = vecs.iter().map(|v| v.1).sum();
    let (data, full, files) = do_recv_files(task, &f, total, a[2])?;
    let mut off = 0;
    for (base, len) in vecs {
        if off >= data.len() {
            break;
        }
        let k = (len as usize).min(data.len() - off);
        task.mm.copy_out(base, &data[off..off + k])?;
        off += k;
    }
    let dgram = as_sock(&f)?.kind() != SOCK_STREAM;
    let trunc = dgram && full > data.len();
    let (used, ctrunc) = write_rights(task, m[4], m[5], files, a[2] & MSG_CMSG_CLOEXEC != 0)?;
    // msg_namelen (unnamed peer), msg_controllen, msg_flags.
    task.mm.write(UserPtr::<u32>::new(a[1] + 8), &0)?;
    task.mm.write(UserPtr::<u64>::new(a[1] + 40), &used)?;
    let flags = if trunc { MSG_TRUNC as u32 } else { 0 } | ctrunc;
    task.mm.write(UserPtr::<u32>::new(a[1] + 48), &flags)?;
    if trunc && a[2] & MSG_TRUNC != 0 {
        return Ok(full as u64);
    }
    Ok(data.len() as u64)
}

pub(super) fn shutdown(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    as_sock(&f)?.shutdown(a[1])?;
    Ok(0)
}

/// Writes an option value of at most `*optlen` bytes and stores the length.
fn put_opt(task: &Task, val: u64, lenp: u64, bytes: &[u8]) -> SyscallResult {
    let len: i32 = task.mm.read(UserPtr::<i32>::new(lenp))?;
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    let n = len.min(bytes.len());
    task.mm.copy_out(val, &bytes[..n])?;
    task.mm.write(UserPtr::<i32>::new(lenp), &(n as i32))?;
    Ok(0)
}

pub(super) fn getsockopt(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    if a[1] != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let int = |v: i32| v.to_ne_bytes().to_vec();
    let bytes = match a[2] {
        SO_TYPE => int(s.kind() as i32),
        SO_ACCEPTCONN => int(i32::from(s.listening())),
        SO_ERROR | SO_PROTOCOL => int(0),
        SO_DOMAIN => int(AF_UNIX as i32),
        SO_SNDBUF | SO_RCVBUF => int(212_992),
        SO_PEERCRED => {
            let c = s.peer_cred().unwrap_or(Cred {
                pid: 0,
                uid: u32::MAX,
                gid: u32::MAX,
            });
            let mut b = c.pid.to_ne_bytes().to_vec();
            b.extend_from_slice(&c.uid.to_ne_bytes());
            b.extend_from_slice(&c.gid.to_ne_bytes());
            b
        }
        _ => return Err(Errno::ENOPROTOOPT),
    };
    put_opt(task, a[3], a[4], &bytes)
}

pub(super) fn setsockopt(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    as_sock(&f)?;
    if a[1] != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    if (a[4] as i32) < 4 {
        return Err(Errno::EINVAL);
    }
    let _: i32 = task.mm.read(UserPtr::<i32>::new(a[3]))?;
    Ok(0)
}

/// Writes a socket address: `addr` (`None`: an unnamed `AF_UNIX` one, the
/// family alone), cut to the caller's buffer; the length written back is
/// the address's own.
fn put_addr(task: &Task, addr: Option<Vec<u8>>, buf: u64, lenp: u64) -> SyscallResult {
    let len: i32 = task.mm.read(UserPtr::<i32>::new(lenp))?;
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    let bytes = addr.unwrap_or_else(|| (AF_UNIX as u16).to_ne_bytes().to_vec());
    let n = len.min(bytes.len());
    task.mm.copy_out(buf, &bytes[..n])?;
    task.mm
        .write(UserPtr::<i32>::new(lenp), &(bytes.len() as i32))?;
    Ok(0)
}

pub(super) fn getsockname(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let addr = as_sock(&f)?.local_addr();
    put_addr(task, addr, a[1], a[2])
}

pub(super) fn getpeername(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    if !s.connected() {
        return Err(Errno::ENOTCONN);
    }
    put_addr(task, s.peer_addr(), a[1], a[2])
}

/// A `sockaddr_un` the guest passed.
enum UnixAddr {
    /// A path (without the NUL).
    Path(Vec<u8>),
    /// An abstract name (without the leading NUL).
    Abstract(Vec<u8>),
    /// The family alone: `bind` picks an abstract name.
    Unnamed,
}

/// Reads a `sockaddr_un` of `len` bytes (Linux's `unix_validate_addr`).
fn read_unix_addr(task: &Task, addr: u64, len: u64) -> Result<UnixAddr, Errno> {
    const SUN_LEN_MAX: u64 = 110;
    if !(2..=SUN_LEN_MAX).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; len as usize];
    task.mm.copy_in(addr, &mut b)?;
    if u16::from_ne_bytes([b[0], b[1]]) != AF_UNIX as u16 {
        return Err(Errno::EINVAL);
    }
    Ok(match b.get(2) {
        None => UnixAddr::Unnamed,
        Some(0) => UnixAddr::Abstract(b[3..].to_vec()),
        Some(_) => {
            let path = &b[2..];
            let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
            UnixAddr::Path(path[..end].to_vec())
        }
    })
}

/// The `sockaddr_un` bytes `getsockname` shows for an address.
fn shown(family_and: &[&[u8]]) -> Vec<u8> {
    let mut v = (AF_UNIX as u16).to_ne_bytes().to_vec();
    for part in family_and {
        v.extend_from_slice(part);
    }
    v
}

/// The name of the socket file at `path`: `ECONNREFUSED` if it is no
/// socket.
fn socket_file_name(task: &Task, path: &[u8]) -> Result<UnixName, Errno> {
    let start = super::fs::start_dir(task, super::fs::AT_FDCWD as u64, path)?;
    let d = crate::vfs::resolve(&task.fs.root, &start, path, true)?;
    let attr = d.inode.attr()?;
    if attr.mode & crate::vfs::S_IFMT != crate::vfs::S_IFSOCK {
        return Err(Errno::ECONNREFUSED);
    }
    Ok(UnixName::Path {
        dev: attr.dev,
        ino: attr.ino,
    })
}

/// Whether anything exists at `path` (without following a last symlink).
fn socket_file_exists(task: &Task, path: &[u8]) -> bool {
    super::fs::start_dir(task, super::fs::AT_FDCWD as u64, path)
        .and_then(|start| crate::vfs::resolve(&task.fs.root, &start, path, false))
        .is_ok()
}

fn cred_of(task: &Task) -> Cred {
    Cred {
        pid: task.pid,
        uid: task.creds.uid[1],
        gid: task.creds.gid[1],
    }
}

pub(super) fn bind(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    static AUTOBIND: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    let addr = read_unix_addr(task, a[1], a[2])?;
    if s.local_name().is_some() {
        // Linux makes the socket file first: a path that exists is
        // EADDRINUSE even for a bound socket.
        if let UnixAddr::Path(path) = &addr
            && socket_file_exists(task, path)
        {
            return Err(Errno::EADDRINUSE);
        }
        return Err(Errno::EINVAL);
    }
    match addr {
        UnixAddr::Abstract(name) => {
            let addr = shown(&[&[0], &name]);
            s.bind_to(UnixName::Abstract(name), addr)?;
        }
        UnixAddr::Unnamed => loop {
            // Linux's autobind: five hex digits in the abstract namespace.
            let n = AUTOBIND.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0xfffff;
            let name = format!("{n:05x}").into_bytes();
            let addr = shown(&[&[0], &name]);
            match s.bind_to(UnixName::Abstract(name), addr) {
                Err(Errno::EADDRINUSE) => continue,
                r => break r?,
            }
        },
        UnixAddr::Path(path) => {
            const S_IFSOCK: u32 = 0o140000;
            match super::fsmeta::make_node(task, super::fs::AT_FDCWD as u64, &path, S_IFSOCK, 0o777)
            {
                Err(Errno::EEXIST) => return Err(Errno::EADDRINUSE),
                r => r?,
            };
            let name = socket_file_name(task, &path)?;
            s.bind_to(name, shown(&[&path, &[0]]))?;
        }
    }
    Ok(0)
}

pub(super) fn listen(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    s.listen(a[1] as i32, cred_of(task))?;
    Ok(0)
}

pub(super) fn connect(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    let name = match read_unix_addr(task, a[1], a[2])? {
        UnixAddr::Abstract(name) => UnixName::Abstract(name),
        UnixAddr::Path(path) => socket_file_name(task, &path)?,
        UnixAddr::Unnamed => return Err(Errno::EINVAL),
    };
    let target = unix_names::lookup(&name)?;
    s.connect_to(&target, cred_of(task))?;
    Ok(0)
}

pub(super) fn accept(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    accept4(task, &[a[0], a[1], a[2], 0, 0, 0])
}

pub(super) fn accept4(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = u32::try_from(a[3]).map_err(|_| Errno::EINVAL)?;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let f = file(task, a[0])?;
    let s = as_sock(&f)?;
    if s.kind() == SOCK_DGRAM {
        return Err(Errno::EOPNOTSUPP);
    }
    let conn = super::fs::wait_io(task, &f, false, false, false, || s.accept())?;
    let peer = conn.peer_addr();
    let fd = install(task, conn, flags)?;
    if a[1] != 0
        && let Err(e) = put_addr(task, peer, a[1], a[2])
    {
        let _ = task.fds.remove(fd);
        return Err(e);
    }
    Ok(fd as u64)
}
