//! File I/O: open, close, read, write and their vectored and positional
//! forms, seek, dup, fcntl, ioctl, poll.

use std::sync::Arc;

use abi::Errno;

use super::{SyscallResult, arg_fd};
use crate::fsimpl::pipe::Pipe;
use crate::kernel::Task;
use crate::mm::{TASK_SIZE, UserPtr};
use crate::vfs::{
    Creation, Dentry, FileDescription, FileOps, FileRef, Inode, S_IFREG, Whence, resolve,
    resolve_parent,
};

pub(super) const AT_FDCWD: i32 = -100;
pub(super) const O_CREAT: u32 = 0o100;
const O_EXCL: u32 = 0o200;
const O_TRUNC: u32 = 0o1000;
pub(super) const O_APPEND: u32 = 0o2000;
const O_NONBLOCK: u32 = 0o4000;
pub(super) const O_DIRECTORY: u32 = 0o200000;
const O_NOFOLLOW: u32 = 0o400000;
pub(super) const O_CLOEXEC: u32 = 0o2000000;
pub(super) const O_PATH: u32 = 0o10000000;
const O_TMPFILE_BIT: u32 = 0o20000000;
/// Flags `open` accepts; others are ignored by Linux (but O_TMPFILE is checked).
const MAX_RW: u64 = 0x7fff_f000;
const CHUNK: usize = 1 << 20;

/// The open file at `fd`.
pub(super) fn file(task: &Task, fd: u64) -> Result<FileRef, Errno> {
    task.fds.get(arg_fd(fd))
}

/// The starting directory for a `*at` call.
pub(super) fn start_dir(task: &Task, dirfd: u64, path: &[u8]) -> Result<Arc<Dentry>, Errno> {
    if path.first() == Some(&b'/') {
        return Ok(task.fs.root.clone());
    }
    let fd = arg_fd(dirfd);
    if fd == AT_FDCWD {
        return Ok(task.fs.cwd.clone());
    }
    let f = task.fds.get(fd)?;
    if !path.is_empty() && !f.inode().attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(f.dentry.clone())
}

struct PathOps;
impl FileOps for PathOps {
    fn read(&self, _b: &mut [u8], _o: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _b: &[u8], _o: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
}

/// Opens `path` relative to `dirfd`; returns the new FD.
pub(super) fn do_open(
    task: &mut Task,
    dirfd: u64,
    path_addr: u64,
    flags: u32,
    mode: u32,
) -> SyscallResult {
    if flags & O_TMPFILE_BIT != 0 {
        // O_TMPFILE needs O_DIRECTORY with it and write access, and no O_CREAT.
        if flags & O_DIRECTORY == 0 || flags & 3 == 0 || flags & O_CREAT != 0 {
            return Err(Errno::EINVAL);
        }
        let path = task.read_path(path_addr)?;
        let start = start_dir(task, dirfd, &path)?;
        let root = task.fs.root.clone();
        if !resolve(&root, &start, &path, true)?.inode.attr()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
        // Since Linux 6.4.
        return Err(Errno::EINVAL);
    }
    let path = task.read_path(path_addr)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let start = start_dir(task, dirfd, &path)?;
    let root = task.fs.root.clone();
    let follow = flags & O_NOFOLLOW == 0;
    let mut created = false;
    let dentry = if flags & O_CREAT != 0 && flags & O_PATH == 0 {
        let (mut start, mut path) = (start, path);
        let mut hops = 0;
        loop {
            let l = resolve_parent(&root, &start, &path)?;
            if l.name.is_empty() || l.name == b"." || l.name == b".." {
                return Err(Errno::EISDIR);
            }
            if l.trailing_slash {
                // Linux refuses O_CREAT on "name/" whether or not it exists.
                return Err(Errno::EISDIR);
            }
            match l.parent.child(&l.name) {
                Ok(existing) => {
                    if flags & O_EXCL != 0 {
                        return Err(Errno::EEXIST);
                    }
                    if !existing.inode.attr()?.is_symlink() {
                        break existing;
                    }
                    if !follow {
                        return Err(Errno::ELOOP);
                    }
                    // Follow the link; a dangling one creates its target.
                    hops += 1;
                    if hops > 40 {
                        return Err(Errno::ELOOP);
                    }
                    let target = existing.inode.readlink()?;
                    if target.is_empty() {
                        return Err(Errno::ENOENT);
                    }
                    start = if target.first() == Some(&b'/') {
                        root.clone()
                    } else {
                        l.parent.clone()
                    };
                    path = target;
                }
                Err(Errno::ENOENT) => {
                    let c = Creation {
                        mode: S_IFREG | (mode & 0o7777 & !task.fs.umask),
                        uid: task.creds.uid[1],
                        gid: task.creds.gid[1],
                    };
                    l.parent.inode.create(&l.name, c)?;
                    l.parent.invalidate(&l.name);
                    created = true;
                    break l.parent.child(&l.name)?;
                }
                Err(e) => return Err(e),
            }
        }
    } else {
        resolve(&root, &start, &path, follow)?
    };
    let attr = dentry.inode.attr()?;
    if attr.is_symlink() && flags & O_PATH == 0 {
        return Err(Errno::ELOOP);
    }
    if flags & O_DIRECTORY != 0 && !attr.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let acc = flags & 3;
    if attr.is_dir() && flags & O_PATH == 0 && (acc == 1 || acc == 2 || flags & O_CREAT != 0) {
        return Err(Errno::EISDIR);
    }
    if flags & O_PATH == 0 && !created {
        // generic_permission: read for O_RDONLY/O_RDWR, write for
        // O_WRONLY/O_RDWR/O_TRUNC.
        let mut want = match acc {
            0 => 4,
            1 => 2,
            _ => 6,
        };
        if flags & O_TRUNC != 0 {
            want |= 2;
        }
        if !task
            .creds
            .may_access(attr.mode & 0o7777, attr.uid, attr.gid, attr.is_dir(), want)
        {
            return Err(Errno::EACCES);
        }
    }
    let ops: Arc<dyn FileOps> = if flags & O_PATH != 0 {
        Arc::new(PathOps)
    } else if let Some(pipe) = crate::fsimpl::tmpfs::fifo_of(&*dentry.inode) {
        // A FIFO: both ends share the node's pipe; open waits for a partner.
        pipe.open_fifo(task, flags)?
    } else {
        dentry.inode.clone().open(flags)?
    };
    let keep = flags & !(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | 0o400);
    let fd = FileDescription::new(dentry, ops, keep);
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    let n = task.fds.insert(fd, flags & O_CLOEXEC != 0, 0, limit)?;
    Ok(n as u64)
}

pub(super) fn open(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_open(task, AT_FDCWD as u64, a[0], a[1] as u32, a[2] as u32)
}

pub(super) fn openat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_open(task, a[0], a[1], a[2] as u32, a[3] as u32)
}

pub(super) fn creat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_open(
        task,
        AT_FDCWD as u64,
        a[0],
        O_CREAT | O_TRUNC | 1,
        a[1] as u32,
    )
}

pub(super) fn close(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    task.fds.remove(arg_fd(a[0]))?;
    Ok(0)
}

pub(super) fn close_range(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (first, last, flags) = (a[0] as u32, a[1] as u32, a[2] as u32);
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    const CLOSE_RANGE_UNSHARE: u32 = 2;
    if flags & !(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    task.fds
        .remove_range(first, last, flags & CLOSE_RANGE_CLOEXEC != 0);
    Ok(0)
}

fn check_user_range(addr: u64, len: u64) -> Result<(), Errno> {
    match addr.checked_add(len) {
        Some(e) if e <= TASK_SIZE => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

/// Reads up to `len` bytes from `f` into guest memory at `buf`; `pos` is
/// the explicit offset (pread) or `None` for the file position.
fn read_into(task: &Task, f: &FileRef, buf: u64, len: u64, pos: Option<u64>) -> SyscallResult {
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    if f.inode().attr()?.is_dir() {
        return Err(Errno::EISDIR);
    }
    let len = len.min(MAX_RW);
    check_user_range(buf, len)?;
    let seekable = f.ops.seekable();
    let mut guard = f.pos.lock().unwrap_or_else(|e| e.into_inner());
    let mut off = pos.unwrap_or(*guard);
    let mut total = 0u64;
    let mut tmp = vec![0u8; (len as usize).min(CHUNK)];
    while total < len {
        let want = ((len - total) as usize).min(tmp.len());
        let n = match f.ops.read(&mut tmp[..want], off) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let copied = task.mm.copy_out_partial(buf + total, &tmp[..n]);
        total += copied as u64;
        off += copied as u64;
        if copied < n {
            if total == 0 {
                return Err(Errno::EFAULT);
            }
            break;
        }
        if !seekable || n < want {
            break;
        }
    }
    if pos.is_none() && seekable {
        *guard = off;
    }
    Ok(total)
}

/// How much of a `len`-byte write at `off` `RLIMIT_FSIZE` allows: a write
/// crossing the limit is cut short; one starting at or past it raises
/// `SIGXFSZ` and fails with `EFBIG` (when it is the first chunk, `first`).
pub(super) fn fsize_check(task: &Task, off: u64, len: usize, first: bool) -> Result<usize, Errno> {
    const SIGXFSZ: i32 = 25;
    let limit = task.rlimit(1);
    if limit == u64::MAX {
        return Ok(len);
    }
    if off >= limit {
        if !first {
            return Ok(0);
        }
        let info = abi::signal::SigInfo::kill(SIGXFSZ, 0, task.pid, task.creds.uid[0]);
        crate::kernel::signal::send_to_thread(&task.kernel, &task.handle, info);
        return Err(Errno::EFBIG);
    }
    Ok(len.min(usize::try_from(limit - off).unwrap_or(usize::MAX)))
}

/// Writes up to `len` bytes of guest memory at `buf` to `f`.
fn write_from(task: &Task, f: &FileRef, buf: u64, len: u64, pos: Option<u64>) -> SyscallResult {
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let len = len.min(MAX_RW);
    check_user_range(buf, len)?;
    let seekable = f.ops.seekable();
    let mut guard = f.pos.lock().unwrap_or_else(|e| e.into_inner());
    let append = f.flags() & O_APPEND != 0;
    // With O_APPEND even pwrite appends (a documented Linux bug).
    let mut off = match pos {
        _ if append && seekable => f.inode().attr()?.size,
        Some(p) => p,
        None => *guard,
    };
    let mut total = 0u64;
    let mut tmp = vec![0u8; (len as usize).min(CHUNK)];
    while total < len {
        let want = ((len - total) as usize).min(tmp.len());
        let got = task.mm.copy_in_partial(buf + total, &mut tmp[..want]);
        if got == 0 {
            if total == 0 {
                return Err(Errno::EFAULT);
            }
            break;
        }
        let mut got = got;
        if seekable && f.inode().attr()?.kind() == S_IFREG {
            got = fsize_check(task, off, got, total == 0)?;
            if got == 0 {
                break;
            }
        }
        let n = match f.ops.write(&tmp[..got], off) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n as u64;
        off += n as u64;
        if n < got || got < want {
            break;
        }
    }
    if pos.is_none() && seekable {
        *guard = off;
    }
    Ok(total)
}

/// Runs `op` on `f`, waiting while it would block (`EAGAIN`) unless the
/// description is non-blocking; a signal ends the wait (`ERESTARTSYS`).
pub(super) fn blocking(
    task: &Task,
    f: &FileRef,
    write: bool,
    op: impl FnMut() -> SyscallResult,
) -> SyscallResult {
    wait_io(task, f, write, false, write, op)
}

/// [`blocking`] with the choices `send`/`recv` have: `dontwait` never
/// waits (`MSG_DONTWAIT`), and `EPIPE` raises `SIGPIPE` only with
/// `sigpipe` (not under `MSG_NOSIGNAL`, never for reads).
pub(super) fn wait_io<T>(
    task: &Task,
    f: &FileRef,
    write: bool,
    dontwait: bool,
    sigpipe: bool,
    mut op: impl FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    // Job control: a background process reading (or, with TOSTOP,
    // writing) the controlling terminal.
    if let Some(tostop) = f.ops.terminal_tostop()
        && (!write || tostop)
    {
        let access = if write {
            crate::kernel::tty::TtyAccess::Write
        } else {
            crate::kernel::tty::TtyAccess::Read
        };
        task.kernel.ctty.check(task, access)?;
    }
    loop {
        match op() {
            Err(Errno::EAGAIN) if !dontwait && f.flags() & O_NONBLOCK == 0 => {
                let Some(q) = f.ops.wait_queue() else {
                    return Err(Errno::EAGAIN);
                };
                task.block(&[q], None, || {
                    let (r, w) = f.ops.readiness();
                    (if write { w } else { r }).then_some(())
                })?;
            }
            Err(Errno::EPIPE) if sigpipe => {
                let info = abi::signal::SigInfo::kill(13, 0, task.pid, task.creds.uid[0]);
                crate::kernel::signal::send_to_thread(&task.kernel, &task.handle, info);
                return Err(Errno::EPIPE);
            }
            r => return r,
        }
    }
}

pub(super) fn read(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    blocking(task, &f, false, || read_into(task, &f, a[1], a[2], None))
}

pub(super) fn write(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let is_pipe = f
        .inode()
        .attr()
        .is_ok_and(|at| matches!(at.kind(), crate::vfs::S_IFIFO | crate::vfs::S_IFSOCK));
    if !is_pipe || f.flags() & O_NONBLOCK != 0 {
        return blocking(task, &f, true, || write_from(task, &f, a[1], a[2], None));
    }
    // A blocking pipe write waits until all of it is written (or a signal
    // or a vanished reader ends it, returning what was written).
    let len = a[2].min(MAX_RW);
    let mut done = 0u64;
    loop {
        let r = blocking(task, &f, true, || {
            write_from(task, &f, a[1] + done, len - done, None)
        });
        match r {
            Ok(n) => {
                done += n;
                if done >= len || n == 0 {
                    return Ok(done);
                }
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => return Ok(done),
        }
    }
}

fn positional(f: &FileRef, off: u64) -> Result<u64, Errno> {
    if (off as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    Ok(off)
}

pub(super) fn pread64(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    let off = positional(&f, a[3])?;
    read_into(task, &f, a[1], a[2], Some(off))
}

pub(super) fn pwrite64(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let off = positional(&f, a[3])?;
    write_from(task, &f, a[1], a[2], Some(off))
}

pub(super) fn read_iovecs(task: &Task, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, Errno> {
    if cnt > 1024 {
        return Err(Errno::EINVAL);
    }
    let mut out = Vec::with_capacity(cnt as usize);
    let mut total = 0u64;
    for i in 0..cnt {
        let p = UserPtr::<[u64; 2]>::new(iov).index(i)?;
        let [base, len] = task.mm.read(p)?;
        if (len as i64) < 0 {
            return Err(Errno::EINVAL);
        }
        total = total.checked_add(len).ok_or(Errno::EINVAL)?;
        if total > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        out.push((base, len));
    }
    Ok(out)
}

fn readv_at(task: &Task, f: &FileRef, iov: u64, cnt: u64, pos: Option<u64>) -> SyscallResult {
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    let vecs = read_iovecs(task, iov, cnt)?;
    let mut total = 0u64;
    for (base, len) in vecs {
        if len == 0 {
            continue;
        }
        let r = read_into(task, f, base, len, pos.map(|p| p + total));
        match r {
            Ok(n) => {
                total += n;
                if n < len {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total)
}

fn writev_at(task: &Task, f: &FileRef, iov: u64, cnt: u64, pos: Option<u64>) -> SyscallResult {
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let vecs = read_iovecs(task, iov, cnt)?;
    // Gather into one buffer so a stream sees one write, as Linux's pipes do.
    let mut data = Vec::new();
    for (base, len) in vecs {
        let len = len.min(MAX_RW - data.len() as u64);
        let start = data.len();
        data.resize(start + len as usize, 0);
        let got = task.mm.copy_in_partial(base, &mut data[start..]);
        data.truncate(start + got);
        if (got as u64) < len {
            if data.is_empty() {
                return Err(Errno::EFAULT);
            }
            break;
        }
    }
    if data.is_empty() {
        return Ok(0);
    }
    let seekable = f.ops.seekable();
    let mut guard = f.pos.lock().unwrap_or_else(|e| e.into_inner());
    let off = match pos {
        _ if f.flags() & O_APPEND != 0 && seekable => f.inode().attr()?.size,
        Some(p) => p,
        None => *guard,
    };
    if seekable && f.inode().attr()?.kind() == S_IFREG {
        let allowed = fsize_check(task, off, data.len(), true)?;
        data.truncate(allowed);
    }
    let n = f.ops.write(&data, off)? as u64;
    if pos.is_none() && seekable {
        *guard = off + n;
    }
    Ok(n)
}

pub(super) fn readv(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    blocking(task, &f, false, || readv_at(task, &f, a[1], a[2], None))
}

pub(super) fn writev(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    blocking(task, &f, true, || writev_at(task, &f, a[1], a[2], None))
}

pub(super) fn preadv(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let off = positional(&f, a[3])?;
    readv_at(task, &f, a[1], a[2], Some(off))
}

pub(super) fn pwritev(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let off = positional(&f, a[3])?;
    writev_at(task, &f, a[1], a[2], Some(off))
}

pub(super) fn lseek(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let off = a[1] as i64;
    let whence = match a[2] {
        0 => Whence::Set,
        1 => Whence::Cur,
        2 => Whence::End,
        3 => Whence::Data,
        4 => Whence::Hole,
        _ => return Err(Errno::EINVAL),
    };
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    let mut pos = f.pos.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = f.ops.seek(off, whence, *pos) {
        let v = r?;
        if f.ops.seekable() {
            *pos = v;
        }
        return Ok(v);
    }
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let attr = f.inode().attr()?;
    let size = attr.size as i64;
    let new = match whence {
        Whence::Set => Some(off),
        Whence::Cur => (*pos as i64).checked_add(off),
        Whence::End => size.checked_add(off),
        Whence::Data => {
            if off < 0 || off >= size {
                return Err(Errno::ENXIO);
            }
            Some(off)
        }
        Whence::Hole => {
            if off < 0 || off >= size {
                return Err(Errno::ENXIO);
            }
            Some(size)
        }
    };
    let new = new.ok_or(Errno::EOVERFLOW)?;
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *pos = new as u64;
    if attr.is_dir() && new == 0 {
        *f.dir_snapshot.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
    Ok(new as u64)
}

pub(super) fn dup(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    Ok(task.fds.insert(f, false, 0, limit)? as u64)
}

fn dup_to(task: &mut Task, old: u64, new: u64, cloexec: bool) -> SyscallResult {
    let f = file(task, old)?;
    let new_fd = u32::try_from(arg_fd(new)).map_err(|_| Errno::EBADF)?;
    if u64::from(new_fd) >= task.rlimit(7) {
        return Err(Errno::EBADF);
    }
    task.fds.insert_at(new_fd, f, cloexec);
    Ok(u64::from(new_fd))
}

pub(super) fn dup2(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if arg_fd(a[0]) == arg_fd(a[1]) {
        file(task, a[0])?;
        return Ok(u64::from(arg_fd(a[1]) as u32));
    }
    dup_to(task, a[0], a[1], false)
}

pub(super) fn dup3(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[2] as u32;
    if flags & !O_CLOEXEC != 0 || arg_fd(a[0]) == arg_fd(a[1]) {
        return Err(Errno::EINVAL);
    }
    dup_to(task, a[0], a[1], flags & O_CLOEXEC != 0)
}

pub(super) fn fcntl(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let fd = arg_fd(a[0]);
    let f = task.fds.get(fd)?;
    let cmd = a[1] as u32;
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    match cmd {
        0 | 1030 => {
            // F_DUPFD, F_DUPFD_CLOEXEC
            let min = u32::try_from(a[2] as i32).map_err(|_| Errno::EINVAL)?;
            if min >= limit {
                return Err(Errno::EINVAL);
            }
            Ok(task.fds.insert(f, cmd == 1030, min, limit)? as u64)
        }
        1 => Ok(u64::from(task.fds.cloexec(fd)?)),
        2 => {
            task.fds.set_cloexec(fd, a[2] & 1 != 0)?;
            Ok(0)
        }
        3 => Ok(u64::from(
            f.flags() | if f.is_path() { 0 } else { 0o100000 },
        )),
        4 => {
            if f.is_path() {
                return Err(Errno::EBADF);
            }
            const SETTABLE: u32 = O_APPEND | O_NONBLOCK | 0o20000 | 0o40000 | 0o1000000;
            let mut fl = f.flags.lock().unwrap_or_else(|e| e.into_inner());
            *fl = (*fl & !SETTABLE) | (a[2] as u32 & SETTABLE);
            Ok(0)
        }
        5 | 36 => {
            // F_GETLK, F_OFD_GETLK: no conflicting locks in a one-process sandbox.
            let mut lk: [u8; 32] = task.mm.read(UserPtr::new(a[2]))?;
            let ty = i16::from_le_bytes([lk[0], lk[1]]);
            if !(0..=2).contains(&ty) {
                return Err(Errno::EINVAL);
            }
            lk[0..2].copy_from_slice(&2i16.to_le_bytes());
            task.mm.write(UserPtr::new(a[2]), &lk)?;
            Ok(0)
        }
        6 | 7 | 37 | 38 => {
            let lk: [u8; 32] = task.mm.read(UserPtr::new(a[2]))?;
            let ty = i16::from_le_bytes([lk[0], lk[1]]);
            match ty {
                0 if !f.readable() => Err(Errno::EBADF),
                1 if !f.writable() => Err(Errno::EBADF),
                0..=2 => Ok(0),
                _ => Err(Errno::EINVAL),
            }
        }
        1031 => {
            // F_SETPIPE_SZ: the argument is an int.
            let want = u64::try_from(a[2] as i32).map_err(|_| Errno::EINVAL)?;
            f.ops.pipe_size(Some(want))
        }
        1032 => f.ops.pipe_size(None),
        1033 => Err(Errno::EBADF),
        1034 => Err(Errno::EINVAL),
        1025 => Ok(0),
        1026 => Err(Errno::EINVAL),
        8 | 9 => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn flock(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    file(task, a[0])?;
    let op = a[1] as u32 & !4;
    if !matches!(op, 1 | 2 | 8) {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub(super) fn ioctl(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let fd = arg_fd(a[0]);
    let f = task.fds.get(fd)?;
    match a[1] {
        0x5451 => {
            task.fds.set_cloexec(fd, true)?;
            Ok(0)
        }
        0x5450 => {
            task.fds.set_cloexec(fd, false)?;
            Ok(0)
        }
        0x5421 => {
            let on: i32 = task.mm.read(UserPtr::new(a[2]))?;
            let mut fl = f.flags.lock().unwrap_or_else(|e| e.into_inner());
            if on != 0 {
                *fl |= O_NONBLOCK;
            } else {
                *fl &= !O_NONBLOCK;
            }
            Ok(0)
        }
        req => {
            if f.is_path() {
                return Err(Errno::EBADF);
            }
            let attr = f.inode().attr()?;
            if req == FIONREAD && attr.kind() == S_IFREG {
                // Bytes between the file position and the end, as an int.
                let pos = *f.pos.lock().unwrap_or_else(|e| e.into_inner());
                let n = attr.size.wrapping_sub(pos) as i32;
                task.mm.write(UserPtr::<i32>::new(a[2]), &n)?;
                return Ok(0);
            }
            if f.ops.terminal_tostop().is_some() {
                use crate::kernel::tty::TtyAccess;
                let ctty = &task.kernel.ctty;
                match req {
                    TIOCGPGRP => {
                        let fg = ctty.foreground(task)?;
                        task.mm.write(UserPtr::<i32>::new(a[2]), &fg)?;
                        return Ok(0);
                    }
                    TIOCGSID => {
                        let sid = ctty.session(task)?;
                        task.mm.write(UserPtr::<i32>::new(a[2]), &sid)?;
                        return Ok(0);
                    }
                    TIOCSPGRP => {
                        let pgrp: i32 = task.mm.read(UserPtr::new(a[2]))?;
                        ctty.set_foreground(task, pgrp)?;
                        return Ok(0);
                    }
                    TCSETS | TCSETSW | TCSETSF | TCFLSH | TCXONC => {
                        ctty.check(task, TtyAccess::Change)?;
                    }
                    _ => {}
                }
            }
            f.ops.ioctl(req, a[2], &task.mm)
        }
    }
}

const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TCXONC: u64 = 0x540a;
const TCFLSH: u64 = 0x540b;
const TIOCGPGRP: u64 = 0x540f;
const TIOCSPGRP: u64 = 0x5410;
const TIOCGSID: u64 = 0x5429;

const FIONREAD: u64 = 0x541b;

fn do_pipe(task: &mut Task, fds_addr: u64, flags: u32) -> SyscallResult {
    const O_DIRECT: u32 = 0o40000;
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    let pipe = Pipe::new(task.creds.uid[1], task.creds.gid[1]);
    let ino = pipe.attr()?.ino;
    let dentry = Dentry::detached(format!("pipe:[{ino}]").into_bytes(), pipe.clone());
    let status = flags & (O_NONBLOCK | O_DIRECT);
    let (rd_end, wr_end) = (pipe.open_end(false), pipe.open_end(true));
    wr_end.set_packet(flags & O_DIRECT != 0);
    let rd = FileDescription::new(dentry.clone(), rd_end, status);
    let wr = FileDescription::new(dentry, wr_end, status | 1);
    let limit = u32::try_from(task.rlimit(7)).unwrap_or(u32::MAX);
    let cloexec = flags & O_CLOEXEC != 0;
    let r = task.fds.insert(rd, cloexec, 0, limit)?;
    let w = match task.fds.insert(wr, cloexec, 0, limit) {
        Ok(w) => w,
        Err(e) => {
            let _ = task.fds.remove(r);
            return Err(e);
        }
    };
    if let Err(e) = task.mm.write(UserPtr::<[i32; 2]>::new(fds_addr), &[r, w]) {
        let _ = task.fds.remove(r);
        let _ = task.fds.remove(w);
        return Err(e);
    }
    Ok(0)
}

pub(super) fn pipe(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_pipe(task, a[0], 0)
}

pub(super) fn pipe2(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_pipe(task, a[0], a[1] as u32)
}

pub(super) fn fsync(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    f.ops.sync()?;
    Ok(0)
}

pub(super) fn sync(_task: &mut Task, _a: &[u64; 6]) -> SyscallResult {
    Ok(0)
}

pub(super) fn fadvise64(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    if a[3] > 5 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub(super) fn fallocate(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let (mode, off, len) = (a[1], a[2] as i64, a[3] as i64);
    if off < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    if mode != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let end = off.checked_add(len).ok_or(Errno::EFBIG)? as u64;
    let attr = f.inode().attr()?;
    if attr.kind() != S_IFREG {
        return Err(Errno::ENODEV);
    }
    if end > attr.size {
        f.inode().setattr(crate::vfs::SetAttr {
            size: Some(end),
            ..Default::default()
        })?;
    }
    Ok(0)
}

const POLLNVAL: i16 = 0x20;

fn poll_fds(task: &Task, fds: u64, nfds: u64, timeout_ms: Option<i64>) -> SyscallResult {
    const POLLHUP: i16 = 0x10;
    const POLLERR: i16 = 0x8;
    if nfds > task.rlimit(7).min(1 << 20) {
        return Err(Errno::EINVAL);
    }
    let mut entries = Vec::with_capacity(nfds as usize);
    for i in 0..nfds {
        let p = UserPtr::<[u8; 8]>::new(fds).index(i)?;
        entries.push(task.mm.read(p)?);
    }
    let files: Vec<Option<FileRef>> = entries
        .iter()
        .map(|e| {
            let fd = i32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            if fd < 0 { None } else { task.fds.get(fd).ok() }
        })
        .collect();
    let scan = |entries: &mut Vec<[u8; 8]>| -> u64 {
        let mut ready = 0u64;
        for (e, f) in entries.iter_mut().zip(&files) {
            let fd = i32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let events = i16::from_le_bytes([e[4], e[5]]);
            let revents = match (fd, f) {
                (fd, _) if fd < 0 => 0,
                (_, None) => POLLNVAL,
                (_, Some(f)) => {
                    // POLLERR and POLLHUP are reported whether asked or not.
                    let mask = f.ops.poll_events() as i16;
                    mask & (events | POLLERR | POLLHUP)
                }
            };
            e[6..8].copy_from_slice(&revents.to_le_bytes());
            if revents != 0 {
                ready += 1;
            }
        }
        ready
    };
    let mut ready = scan(&mut entries);
    if ready == 0 && timeout_ms != Some(0) {
        let queues: Vec<&crate::kernel::waitqueue::WaitQueue> = files
            .iter()
            .flatten()
            .filter_map(|f| f.ops.wait_queue())
            .collect();
        let deadline = timeout_ms
            .map(|ms| std::time::Instant::now() + std::time::Duration::from_millis(ms as u64));
        let mut scratch = entries.clone();
        match task.block(&queues, deadline, || {
            let n = scan(&mut scratch);
            (n > 0).then_some(n)
        }) {
            Ok(n) => {
                ready = n;
                entries = scratch;
            }
            Err(Errno::ETIMEDOUT) => {}
            Err(_) => return Err(Errno::ERESTARTNOHAND),
        }
    }
    for (i, e) in entries.iter().enumerate() {
        task.mm
            .write(UserPtr::<[u8; 8]>::new(fds).index(i as u64)?, e)?;
    }
    Ok(ready)
}

pub(super) fn poll(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let t = a[2] as i32;
    poll_fds(task, a[0], a[1], (t >= 0).then_some(i64::from(t)))
}

pub(super) fn ppoll(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let timeout = if a[2] == 0 {
        None
    } else {
        let ts: [i64; 2] = task.mm.read(UserPtr::new(a[2]))?;
        if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
            return Err(Errno::EINVAL);
        }
        Some(ts[0].saturating_mul(1000) + ts[1] / 1_000_000)
    };
    crate::kernel::signal::with_sigmask(task, a[3], a[4], |t| poll_fds(t, a[0], a[1], timeout))
}

fn select_common(task: &Task, nfds: u64, sets: [u64; 3], timeout_ms: Option<i64>) -> SyscallResult {
    let nfds = i32::try_from(nfds as i64).map_err(|_| Errno::EINVAL)?;
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let words = (nfds as usize).div_ceil(64);
    // The descriptors asked about: (fd, file, which of the three sets).
    let mut asked: Vec<(usize, FileRef, usize)> = Vec::new();
    for (k, addr) in sets.iter().enumerate() {
        if *addr == 0 {
            continue;
        }
        for w in 0..words {
            let bits: u64 = task.mm.read(UserPtr::<u64>::new(*addr).index(w as u64)?)?;
            for b in 0..64 {
                let fd = w * 64 + b;
                if fd >= nfds as usize || bits & (1 << b) == 0 {
                    continue;
                }
                asked.push((fd, task.fds.get(fd as i32)?, k));
            }
        }
    }
    // POLLIN_SET, POLLOUT_SET and POLLEX_SET of fs/select.c.
    let scan = || -> (u64, [Vec<u64>; 3]) {
        let mut out: [Vec<u64>; 3] = [vec![0; words], vec![0; words], vec![0; words]];
        let mut ready = 0u64;
        for (fd, f, k) in &asked {
            let m = f.ops.poll_events();
            let hit = match k {
                0 => m & (0x1 | 0x40 | 0x80 | 0x10 | 0x8) != 0,
                1 => m & (0x4 | 0x100 | 0x200 | 0x8) != 0,
                _ => m & 0x2 != 0,
            };
            if hit {
                out[*k][fd / 64] |= 1 << (fd % 64);
                ready += 1;
            }
        }
        (ready, out)
    };
    let mut result = scan();
    if result.0 == 0 && timeout_ms != Some(0) {
        // The same wait as poll: on every file's queue, until one is ready.
        let queues: Vec<&crate::kernel::waitqueue::WaitQueue> = asked
            .iter()
            .filter_map(|(_, f, _)| f.ops.wait_queue())
            .collect();
        let deadline = timeout_ms
            .map(|ms| std::time::Instant::now() + std::time::Duration::from_millis(ms as u64));
        match task.block(&queues, deadline, || {
            let r = scan();
            (r.0 > 0).then_some(r)
        }) {
            Ok(r) => result = r,
            Err(Errno::ETIMEDOUT) => {}
            Err(_) => return Err(Errno::ERESTARTNOHAND),
        }
    }
    for (addr, out_set) in sets.iter().zip(result.1.iter()) {
        if *addr == 0 {
            continue;
        }
        for (w, v) in out_set.iter().enumerate() {
            task.mm
                .write(UserPtr::<u64>::new(*addr).index(w as u64)?, v)?;
        }
    }
    Ok(result.0)
}

pub(super) fn select(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let timeout = if a[4] == 0 {
        None
    } else {
        let tv: [i64; 2] = task.mm.read(UserPtr::new(a[4]))?;
        if tv[0] < 0 || !(0..1_000_000).contains(&tv[1]) {
            return Err(Errno::EINVAL);
        }
        Some(tv[0].saturating_mul(1000) + tv[1] / 1000)
    };
    select_common(task, a[0], [a[1], a[2], a[3]], timeout)
}

pub(super) fn pselect6(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let timeout = if a[4] == 0 {
        None
    } else {
        let ts: [i64; 2] = task.mm.read(UserPtr::new(a[4]))?;
        if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
            return Err(Errno::EINVAL);
        }
        Some(ts[0].saturating_mul(1000) + ts[1] / 1_000_000)
    };
    // The sixth argument points to { const sigset_t *ss; size_t ss_len }.
    let (mask, size) = if a[5] == 0 {
        (0, 8)
    } else {
        let m: [u64; 2] = task.mm.read(UserPtr::new(a[5]))?;
        (m[0], m[1])
    };
    crate::kernel::signal::with_sigmask(task, mask, size, |t| {
        select_common(t, a[0], [a[1], a[2], a[3]], timeout)
    })
}

/// `sendfile(out_fd, in_fd, offset, count)`: copies within the Sentry.
pub(super) fn sendfile(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let out = file(task, a[0])?;
    let inp = file(task, a[1])?;
    if !inp.readable() || !out.writable() || out.flags() & O_APPEND != 0 {
        return Err(if out.flags() & O_APPEND != 0 {
            Errno::EINVAL
        } else {
            Errno::EBADF
        });
    }
    let count = a[3].min(MAX_RW);
    let explicit: Option<i64> = if a[2] != 0 {
        Some(task.mm.read(UserPtr::new(a[2]))?)
    } else {
        None
    };
    if explicit.is_some_and(|o| o < 0) {
        return Err(Errno::EINVAL);
    }
    let mut in_off = match explicit {
        Some(o) => o as u64,
        None => *inp.pos.lock().unwrap_or_else(|e| e.into_inner()),
    };
    let out_seekable = out.ops.seekable();
    let mut out_off = *out.pos.lock().unwrap_or_else(|e| e.into_inner());
    let out_regular = out_seekable && out.inode().attr()?.kind() == S_IFREG;
    let mut buf = vec![0u8; (count as usize).min(CHUNK)];
    let mut total = 0u64;
    while total < count {
        let want = ((count - total) as usize).min(buf.len());
        let n = match inp.ops.read(&mut buf[..want], in_off) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let n = if out_regular {
            fsize_check(task, out_off, n, total == 0)?
        } else {
            n
        };
        if n == 0 {
            break;
        }
        let w = match out.ops.write(&buf[..n], out_off) {
            Ok(w) => w,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        in_off += w as u64;
        total += w as u64;
        if out_seekable {
            out_off += w as u64;
        }
        if w < n || n < want {
            break;
        }
    }
    if out_seekable {
        *out.pos.lock().unwrap_or_else(|e| e.into_inner()) = out_off;
    }
    match explicit {
        Some(_) => task.mm.write(UserPtr::<i64>::new(a[2]), &(in_off as i64))?,
        None if inp.ops.seekable() => {
            *inp.pos.lock().unwrap_or_else(|e| e.into_inner()) = in_off;
        }
        None => {}
    }
    Ok(total)
}
