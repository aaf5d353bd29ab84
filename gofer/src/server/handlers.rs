//! The request handlers: FileId table and one function per request.
//!
//! # Invariants
//!
//! * Every [`Node`] holds an `O_PATH | O_NOFOLLOW` FD obtained by `openat`
//!   of a single validated name relative to another node's FD (or is the
//!   root), so every FD the server holds names a file under the root.
//! * A node's `(dev, ino, type)` are those of its FD and never change.
//! * A node's location (parent node and name) is where it was found; it is
//!   updated by renames made through this server and checked (by `dev` and
//!   `ino`) whenever it is used to re-open the file.
//! * A node keeps its parent alive (`Rc`), so re-opening by (parent, name)
//!   works after the client closed the parent's FileId. Parents only point
//!   towards the root (the kernel refuses to move a directory below
//!   itself), so these references form no cycles.

#![forbid(unsafe_code)]

use super::ServerOptions;
use super::host;
use crate::proto::{
    Dirent, FileId, GETDENTS_BASE_SIZE, MAX_MESSAGE_SIZE, Name, Owner, Request, Response,
    SETSTAT_ATIME, SETSTAT_ATIME_NOW, SETSTAT_GID, SETSTAT_MODE, SETSTAT_MTIME, SETSTAT_MTIME_NOW,
    SETSTAT_SIZE, SETSTAT_UID, SetStat, Stat, StatFs, Timespec, dirent_size,
};
use abi::Errno;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::rc::{Rc, Weak};

type Result<T> = std::result::Result<T, Errno>;

/// Where a node was found: its parent directory and its name there.
struct Loc {
    parent: Rc<Node>,
    name: Name,
}

/// One host file the server holds.
struct Node {
    /// `O_PATH | O_NOFOLLOW` FD of the file.
    fd: OwnedFd,
    dev: u64,
    ino: u64,
    /// `S_IFMT` bits.
    kind: u32,
    /// `None` for the root.
    loc: RefCell<Option<Loc>>,
}

impl Node {
    fn is_dir(&self) -> bool {
        self.kind == libc::S_IFDIR
    }

    fn same_file(&self, st: &libc::stat) -> bool {
        self.dev == st.st_dev && self.ino == st.st_ino
    }
}

/// The server's state: the FileId table.
pub(super) struct State {
    options: ServerOptions,
    root: Rc<Node>,
    files: HashMap<u64, Rc<Node>>,
    /// Every node ever made that may still be alive (as a parent of another
    /// node, or in `files`), for updating locations on rename.
    all: Vec<Weak<Node>>,
    next_id: u64,
}

fn cname(name: &Name) -> Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| Errno::EINVAL)
}

fn time(sec: i64, nsec: i64) -> Timespec {
    Timespec {
        sec,
        nsec: u32::try_from(nsec)
            .ok()
            .filter(|n| *n < 1_000_000_000)
            .unwrap_or(0),
    }
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn stat_of(st: &libc::stat) -> Stat {
    Stat {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: u64_of(st.st_size),
        blksize: u64_of(st.st_blksize),
        blocks: u64_of(st.st_blocks),
        atime: time(st.st_atime, st.st_atime_nsec),
        mtime: time(st.st_mtime, st.st_mtime_nsec),
        ctime: time(st.st_ctime, st.st_ctime_nsec),
    }
}

/// Open flags a client may pass to Open and Create.
const OPEN_FLAGS: i32 = libc::O_ACCMODE
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_DSYNC
    | libc::O_SYNC
    | libc::O_DIRECT
    | libc::O_NOATIME
    | libc::O_DIRECTORY
    | libc::O_LARGEFILE
    | libc::O_CLOEXEC
    | libc::O_NOFOLLOW
    | libc::O_NOCTTY;

/// Validates client open flags; returns them as host flags.
fn open_flags(flags: u32) -> Result<i32> {
    let flags = i32::try_from(flags).map_err(|_| Errno::EINVAL)?;
    if flags & !OPEN_FLAGS != 0 || flags & libc::O_ACCMODE == libc::O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    Ok(flags | libc::O_NOFOLLOW | libc::O_NOCTTY)
}

fn writes(flags: i32) -> bool {
    flags & libc::O_ACCMODE != libc::O_RDONLY || flags & libc::O_TRUNC != 0
}

impl State {
    pub(super) fn new(root: OwnedFd, options: ServerOptions) -> Result<State> {
        let st = host::fstat(root.as_fd())?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        let root = Rc::new(Node {
            fd: root,
            dev: st.st_dev,
            ino: st.st_ino,
            kind: libc::S_IFDIR,
            loc: RefCell::new(None),
        });
        Ok(State {
            options,
            all: vec![Rc::downgrade(&root)],
            root,
            files: HashMap::new(),
            next_id: 1,
        })
    }

    /// Answers one request; the FD, if any, is donated with the response.
    pub(super) fn handle(&mut self, req: Request) -> (Response, Option<OwnedFd>) {
        match self.dispatch(req) {
            Ok(r) => r,
            Err(e) => (Response::Error(e), None),
        }
    }

    fn dispatch(&mut self, req: Request) -> Result<(Response, Option<OwnedFd>)> {
        let writing = match &req {
            Request::Open { flags, .. } => writes(open_flags(*flags)?),
            Request::Create { .. }
            | Request::Mkdir { .. }
            | Request::Mknod { .. }
            | Request::Symlink { .. }
            | Request::Link { .. }
            | Request::Unlink { .. }
            | Request::Rename { .. }
            | Request::SetStat { .. } => true,
            _ => false,
        };
        if writing && self.options.read_only {
            return Err(Errno::EROFS);
        }
        let none = |r: Response| Ok((r, None));
        match req {
            Request::Attach => {
                let root = self.root.clone();
                let stat = stat_of(&host::fstat(root.fd.as_fd())?);
                none(Response::Attach {
                    root: self.insert(root),
                    stat,
                })
            }
            Request::Walk { dir, names } => none(self.walk(dir, &names)?),
            Request::Stat { file } => none(Response::Stat(stat_of(&host::fstat(
                self.get(file)?.fd.as_fd(),
            )?))),
            Request::Open { file, flags } => {
                let node = self.get(file)?;
                let fd = reopen(&node, open_flags(flags)?)?;
                Ok((Response::Open, Some(fd)))
            }
            Request::Create {
                dir,
                name,
                flags,
                mode,
                owner,
            } => self.create(dir, name, open_flags(flags)?, mode, owner),
            Request::Mkdir {
                dir,
                name,
                mode,
                owner,
            } => {
                let parent = self.get(dir)?;
                let c = cname(&name)?;
                host::mkdirat(parent.fd.as_fd(), &c, mode & 0o7777)?;
                let (file, stat) =
                    self.adopt_new(&parent, name, mode, owner, libc::AT_REMOVEDIR)?;
                none(Response::Created { file, stat })
            }
            Request::Mknod {
                dir,
                name,
                mode,
                owner,
            } => {
                let kind = match mode & libc::S_IFMT {
                    0 | libc::S_IFREG => libc::S_IFREG,
                    libc::S_IFIFO => libc::S_IFIFO,
                    libc::S_IFCHR | libc::S_IFBLK | libc::S_IFSOCK => return Err(Errno::EPERM),
                    _ => return Err(Errno::EINVAL),
                };
                let parent = self.get(dir)?;
                let c = cname(&name)?;
                host::mknodat(parent.fd.as_fd(), &c, kind | (mode & 0o7777))?;
                let (file, stat) = self.adopt_new(&parent, name, mode, owner, 0)?;
                none(Response::Created { file, stat })
            }
            Request::Symlink {
                dir,
                name,
                target,
                owner,
            } => {
                let parent = self.get(dir)?;
                let c = cname(&name)?;
                let t = CString::new(target).map_err(|_| Errno::EINVAL)?;
                host::symlinkat(&t, parent.fd.as_fd(), &c)?;
                // Symlink permissions are always 0777; no mode fix-up.
                let (file, stat) = self.adopt_new(&parent, name, u32::MAX, owner, 0)?;
                none(Response::Created { file, stat })
            }
            Request::Link { dir, name, target } => none(self.link(dir, name, target)?),
            Request::Unlink { dir, name, flags } => {
                if flags & !(libc::AT_REMOVEDIR as u32) != 0 {
                    return Err(Errno::EINVAL);
                }
                let parent = self.get(dir)?;
                host::unlinkat(parent.fd.as_fd(), &cname(&name)?, flags as i32)?;
                none(Response::Unlink)
            }
            Request::Rename {
                old_dir,
                old_name,
                new_dir,
                new_name,
                flags,
            } => {
                self.rename(old_dir, old_name, new_dir, new_name, flags)?;
                none(Response::Rename)
            }
            Request::Readlink { file } => {
                let node = self.get(file)?;
                if node.kind != libc::S_IFLNK {
                    return Err(Errno::EINVAL);
                }
                let target = host::readlink(node.fd.as_fd())?;
                crate::proto::check_target(&target).map_err(|e| e.errno())?;
                none(Response::Readlink(target))
            }
            Request::Getdents { dir, cookie } => {
                none(Response::Getdents(getdents(&*self.get(dir)?, cookie)?))
            }
            Request::SetStat { file, stat } => {
                set_stat(&*self.get(file)?, &stat)?;
                none(Response::SetStat)
            }
            Request::StatFs { file } => {
                let (s, fsid) = host::fstatfs(self.get(file)?.fd.as_fd())?;
                none(Response::StatFs(StatFs {
                    fs_type: u64_of(s.f_type),
                    bsize: u64_of(s.f_bsize),
                    blocks: s.f_blocks,
                    bfree: s.f_bfree,
                    bavail: s.f_bavail,
                    files: s.f_files,
                    ffree: s.f_ffree,
                    fsid,
                    namelen: u64_of(s.f_namelen),
                    frsize: u64_of(s.f_frsize),
                    flags: u64_of(s.f_flags),
                }))
            }
            Request::Close { files } => {
                let mut unknown = false;
                for f in files {
                    unknown |= self.files.remove(&f.0).is_none();
                }
                if unknown {
                    return Err(Errno::EBADF);
                }
                none(Response::Close)
            }
        }
    }

    fn get(&self, file: FileId) -> Result<Rc<Node>> {
        self.files.get(&file.0).cloned().ok_or(Errno::EBADF)
    }

    fn insert(&mut self, node: Rc<Node>) -> FileId {
        let id = self.next_id;
        self.next_id += 1;
        self.files.insert(id, node);
        FileId(id)
    }

    /// Makes a node for `parent/name`, opened `O_PATH | O_NOFOLLOW`.
    fn make_node(&mut self, parent: &Rc<Node>, name: Name) -> Result<(Rc<Node>, libc::stat)> {
        let c = cname(&name)?;
        let fd = host::openat(parent.fd.as_fd(), &c, libc::O_PATH | libc::O_NOFOLLOW, 0)?;
        let st = host::fstat(fd.as_fd())?;
        let node = Rc::new(Node {
            fd,
            dev: st.st_dev,
            ino: st.st_ino,
            kind: st.st_mode & libc::S_IFMT,
            loc: RefCell::new(Some(Loc {
                parent: parent.clone(),
                name,
            })),
        });
        if self.all.len() == self.all.capacity() {
            self.all.retain(|w| w.strong_count() > 0);
        }
        self.all.push(Rc::downgrade(&node));
        Ok((node, st))
    }

    fn walk(&mut self, dir: FileId, names: &[Name]) -> Result<Response> {
        let mut cur = self.get(dir)?;
        let mut walked = Vec::with_capacity(names.len());
        for name in names {
            match self.make_node(&cur, name.clone()) {
                Ok((node, st)) => {
                    walked.push((self.insert(node.clone()), stat_of(&st)));
                    cur = node;
                }
                Err(e) => {
                    return Ok(Response::Walk {
                        walked,
                        error: Some(e),
                    });
                }
            }
        }
        Ok(Response::Walk {
            walked,
            error: None,
        })
    }

    /// After creating `parent/name`: opens it `O_PATH`, sets its owner and
    /// (unless `mode` is `u32::MAX`) its exact permission bits, which the
    /// process umask may have cut. On failure the new entry is removed
    /// (`unlinkat` with `unlink_flags`).
    fn adopt_new(
        &mut self,
        parent: &Rc<Node>,
        name: Name,
        mode: u32,
        owner: Owner,
        unlink_flags: i32,
    ) -> Result<(FileId, Stat)> {
        let c = cname(&name)?;
        let result = self.make_node(parent, name).and_then(|(node, st)| {
            fix_owner_mode(&node, &st, mode, owner)?;
            Ok(node)
        });
        match result {
            Ok(node) => {
                let stat = stat_of(&host::fstat(node.fd.as_fd())?);
                Ok((self.insert(node), stat))
            }
            Err(e) => {
                let _ = host::unlinkat(parent.fd.as_fd(), &c, unlink_flags);
                Err(e)
            }
        }
    }

    fn create(
        &mut self,
        dir: FileId,
        name: Name,
        flags: i32,
        mode: u32,
        owner: Owner,
    ) -> Result<(Response, Option<OwnedFd>)> {
        if flags & libc::O_DIRECTORY != 0 {
            return Err(Errno::EINVAL);
        }
        let parent = self.get(dir)?;
        let c = cname(&name)?;
        let fd = host::openat(
            parent.fd.as_fd(),
            &c,
            (flags & !libc::O_TRUNC) | libc::O_CREAT | libc::O_EXCL,
            mode & 0o7777,
        )?;
        let opened = host::fstat(fd.as_fd());
        let (file, stat) = self.adopt_new(&parent, name, mode, owner, 0)?;
        let node = self.get(file)?;
        if !opened.is_ok_and(|st| node.same_file(&st)) {
            self.files.remove(&file.0);
            return Err(Errno::ESTALE);
        }
        Ok((Response::Create { file, stat }, Some(fd)))
    }

    fn link(&mut self, dir: FileId, name: Name, target: FileId) -> Result<Response> {
        let parent = self.get(dir)?;
        let target = self.get(target)?;
        if target.is_dir() {
            return Err(Errno::EPERM);
        }
        let loc = target.loc.borrow();
        let loc = loc.as_ref().ok_or(Errno::EPERM)?;
        let c = cname(&name)?;
        host::linkat(
            loc.parent.fd.as_fd(),
            &cname(&loc.name)?,
            parent.fd.as_fd(),
            &c,
        )?;
        let (node, st) = match self.make_node(&parent, name) {
            Ok(r) => r,
            Err(e) => {
                let _ = host::unlinkat(parent.fd.as_fd(), &c, 0);
                return Err(e);
            }
        };
        if !target.same_file(&st) {
            // The name no longer held the file the client meant.
            let _ = host::unlinkat(parent.fd.as_fd(), &c, 0);
            return Err(Errno::ESTALE);
        }
        Ok(Response::Created {
            file: self.insert(node),
            stat: stat_of(&st),
        })
    }

    fn rename(
        &mut self,
        old_dir: FileId,
        old_name: Name,
        new_dir: FileId,
        new_name: Name,
        flags: u32,
    ) -> Result<()> {
        if flags & !(libc::RENAME_NOREPLACE | libc::RENAME_EXCHANGE) != 0 {
            return Err(Errno::EINVAL);
        }
        let old_parent = self.get(old_dir)?;
        let new_parent = self.get(new_dir)?;
        host::renameat2(
            old_parent.fd.as_fd(),
            &cname(&old_name)?,
            new_parent.fd.as_fd(),
            &cname(&new_name)?,
            flags,
        )?;
        let exchange = flags & libc::RENAME_EXCHANGE != 0;
        let same = |a: &Node, b: &Node| a.dev == b.dev && a.ino == b.ino;
        for node in self.all.iter().filter_map(Weak::upgrade) {
            let mut loc = node.loc.borrow_mut();
            let Some(l) = loc.as_mut() else { continue };
            if same(&l.parent, &old_parent) && l.name == old_name {
                *l = Loc {
                    parent: new_parent.clone(),
                    name: new_name.clone(),
                };
            } else if exchange && same(&l.parent, &new_parent) && l.name == new_name {
                *l = Loc {
                    parent: old_parent.clone(),
                    name: old_name.clone(),
                };
            }
        }
        Ok(())
    }
}

/// Sets the owner (if it differs) and the permission bits (if `mode` is
/// not `u32::MAX` and they differ) of a newly created node.
fn fix_owner_mode(node: &Node, st: &libc::stat, mode: u32, owner: Owner) -> Result<()> {
    if st.st_uid != owner.uid || st.st_gid != owner.gid {
        host::chown(node.fd.as_fd(), owner.uid, owner.gid)?;
    }
    // The umask only clears permission bits; keep the special bits the
    // kernel chose (a directory inherits S_ISGID from its parent).
    if mode != u32::MAX && st.st_mode & 0o777 != mode & 0o777 {
        set_mode(node, (st.st_mode & 0o7000) | (mode & 0o777))?;
    }
    Ok(())
}

/// Re-opens `node` for I/O with host open `flags` (already validated).
///
/// Directories are re-opened through `"."`; regular files through their
/// parent and name, checked to still be the same inode. `O_TRUNC` is applied
/// only after that check. Other file types are refused with `EPERM`: the
/// gofer never donates FIFOs, sockets or device files.
fn reopen(node: &Node, flags: i32) -> Result<OwnedFd> {
    match node.kind {
        libc::S_IFDIR => host::openat(node.fd.as_fd(), c".", flags | libc::O_DIRECTORY, 0),
        libc::S_IFREG => {
            if flags & libc::O_DIRECTORY != 0 {
                return Err(Errno::ENOTDIR);
            }
            let loc = node.loc.borrow();
            let loc = loc.as_ref().ok_or(Errno::ESTALE)?;
            // O_NONBLOCK: should the name now be a FIFO, do not block in open.
            let fd = host::openat(
                loc.parent.fd.as_fd(),
                &cname(&loc.name)?,
                (flags & !libc::O_TRUNC) | libc::O_NONBLOCK,
                0,
            )?;
            if !node.same_file(&host::fstat(fd.as_fd())?) {
                return Err(Errno::ESTALE);
            }
            if flags & libc::O_NONBLOCK == 0 {
                host::set_status_flags(fd.as_fd(), flags & !(libc::O_TRUNC | libc::O_NONBLOCK))?;
            }
            if flags & libc::O_TRUNC != 0 && flags & libc::O_ACCMODE != libc::O_RDONLY {
                host::ftruncate(fd.as_fd(), 0)?;
            }
            Ok(fd)
        }
        libc::S_IFLNK => Err(Errno::ELOOP),
        _ => Err(Errno::EPERM),
    }
}

/// Sets the permission bits of `node`.
fn set_mode(node: &Node, mode: u32) -> Result<()> {
    match host::chmod_empty_path(node.fd.as_fd(), mode) {
        Err(e) if e == Errno::ENOSYS => {
            if node.kind == libc::S_IFLNK {
                return Err(Errno::EOPNOTSUPP);
            }
            let fd = reopen(node, libc::O_RDONLY)?;
            host::fchmod(fd.as_fd(), mode)
        }
        r => r,
    }
}

fn timespec(t: Timespec, set: bool, now: bool) -> libc::timespec {
    libc::timespec {
        tv_sec: t.sec,
        tv_nsec: if now {
            libc::UTIME_NOW
        } else if set {
            i64::from(t.nsec)
        } else {
            libc::UTIME_OMIT
        },
    }
}

fn set_stat(node: &Node, s: &SetStat) -> Result<()> {
    let m = s.mask;
    if m & SETSTAT_MODE != 0 {
        if s.mode & !0o7777 != 0 {
            return Err(Errno::EINVAL);
        }
        set_mode(node, s.mode)?;
    }
    if m & (SETSTAT_UID | SETSTAT_GID) != 0 {
        let uid = if m & SETSTAT_UID != 0 {
            s.uid
        } else {
            u32::MAX
        };
        let gid = if m & SETSTAT_GID != 0 {
            s.gid
        } else {
            u32::MAX
        };
        host::chown(node.fd.as_fd(), uid, gid)?;
    }
    if m & SETSTAT_SIZE != 0 {
        let size = i64::try_from(s.size).map_err(|_| Errno::EFBIG)?;
        match node.kind {
            libc::S_IFREG => host::ftruncate(reopen(node, libc::O_WRONLY)?.as_fd(), size)?,
            libc::S_IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
    }
    let times = SETSTAT_ATIME | SETSTAT_MTIME | SETSTAT_ATIME_NOW | SETSTAT_MTIME_NOW;
    if m & times != 0 {
        let ts = [
            timespec(s.atime, m & SETSTAT_ATIME != 0, m & SETSTAT_ATIME_NOW != 0),
            timespec(s.mtime, m & SETSTAT_MTIME != 0, m & SETSTAT_MTIME_NOW != 0),
        ];
        host::utimens(node.fd.as_fd(), &ts)?;
    }
    Ok(())
}

/// Size of the host buffer for one `getdents64` call. Each host record
/// (`linux_dirent64`: 19 bytes, name, NUL, padding) is larger than its
/// encoding, so one buffer's worth always fits in a response.
const HOST_DIRENT_BUF: usize = 32 * 1024;

/// Reads entries of `dir` from `cookie` (a `d_off` from an earlier call,
/// or 0) into one response's worth, skipping `.` and `..`.
fn getdents(dir: &Node, cookie: u64) -> Result<Vec<Dirent>> {
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let dfd = host::openat(dir.fd.as_fd(), c".", libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    if cookie != 0 {
        host::seek(
            dfd.as_fd(),
            i64::try_from(cookie).map_err(|_| Errno::EINVAL)?,
        )?;
    }
    let mut buf = vec![0u8; HOST_DIRENT_BUF];
    let mut entries = Vec::new();
    let mut size = GETDENTS_BASE_SIZE;
    // Loop only while nothing but "." and ".." has been seen, so that an
    // empty response always means the end of the directory.
    while entries.is_empty() {
        let n = host::getdents64(dfd.as_fd(), &mut buf)?;
        if n == 0 {
            break;
        }
        if !parse_dirents(&buf[..n], &mut entries, &mut size)? {
            break;
        }
    }
    Ok(entries)
}

/// Appends the records in `buf` to `entries` while they fit in a response.
/// Returns `false` if the response is full.
fn parse_dirents(mut buf: &[u8], entries: &mut Vec<Dirent>, size: &mut usize) -> Result<bool> {
    while !buf.is_empty() {
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen;
        //                         u8 d_type; char d_name[]; }
        let field = |at: usize, len: usize| buf.get(at..at + len).ok_or(Errno::EIO);
        let ino = u64::from_ne_bytes(field(0, 8)?.try_into().map_err(|_| Errno::EIO)?);
        let off = u64::from_ne_bytes(field(8, 8)?.try_into().map_err(|_| Errno::EIO)?);
        let reclen = usize::from(u16::from_ne_bytes(
            field(16, 2)?.try_into().map_err(|_| Errno::EIO)?,
        ));
        let d_type = field(18, 1)?[0];
        let record = buf
            .get(..reclen)
            .filter(|_| reclen > 19)
            .ok_or(Errno::EIO)?;
        let raw = &record[19..];
        let name = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
        buf = &buf[reclen..];
        if name == b"." || name == b".." {
            continue;
        }
        let Ok(name) = Name::new(name) else {
            continue;
        };
        let d = Dirent {
            ino,
            d_type,
            name,
            next: off,
        };
        if *size + dirent_size(&d) > MAX_MESSAGE_SIZE {
            return Ok(false);
        }
        *size += dirent_size(&d);
        entries.push(d);
    }
    Ok(true)
}
