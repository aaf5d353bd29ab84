//! File metadata and the name space: stat, directories, links, renames,
//! permissions, times.

use std::sync::Arc;

use abi::Errno;
use abi::fs::{Stat, Statfs, Statx, StatxTimestamp};
use zerocopy::FromZeros;

use super::fs::{AT_FDCWD, file, start_dir};
use super::{SyscallResult, arg_fd};
use crate::kernel::Task;
use crate::mm::UserPtr;
use crate::vfs::{
    Attr, Creation, Dentry, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
    SetAttr, Time, resolve, resolve_parent,
};

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_NO_AUTOMOUNT: u32 = 0x800;
const AT_EMPTY_PATH: u32 = 0x1000;
const AT_EACCESS: u32 = 0x200;
const AT_STATX_SYNC_TYPE: u32 = 0x6000;

fn to_stat(a: &Attr) -> Stat {
    let mut s = Stat::new_zeroed();
    s.st_dev = a.dev;
    s.st_ino = a.ino;
    s.st_nlink = a.nlink;
    s.st_mode = a.mode;
    s.st_uid = a.uid;
    s.st_gid = a.gid;
    s.st_rdev = a.rdev;
    s.st_size = a.size as i64;
    s.st_blksize = a.blksize as i64;
    s.st_blocks = a.blocks as i64;
    s.st_atime = a.atime.sec;
    s.st_atime_nsec = a.atime.nsec;
    s.st_mtime = a.mtime.sec;
    s.st_mtime_nsec = a.mtime.nsec;
    s.st_ctime = a.ctime.sec;
    s.st_ctime_nsec = a.ctime.nsec;
    s
}

/// Resolves a `*at` path with `AT_EMPTY_PATH` and `AT_SYMLINK_NOFOLLOW` handling.
fn lookup_at(task: &Task, dirfd: u64, path_addr: u64, flags: u32) -> Result<Arc<Dentry>, Errno> {
    let path = task.read_path(path_addr)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if arg_fd(dirfd) == AT_FDCWD {
            return Ok(task.fs.cwd.clone());
        }
        return Ok(file(task, dirfd)?.dentry.clone());
    }
    let start = start_dir(task, dirfd, &path)?;
    resolve(
        &task.fs.root,
        &start,
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
    )
}

fn write_stat(
    task: &Task,
    d: &Arc<Dentry>,
    fd_ops: Option<&crate::vfs::FileRef>,
    out: u64,
) -> SyscallResult {
    let _ = fd_ops;
    let a = d.inode.attr()?;
    task.mm.write(UserPtr::new(out), &to_stat(&a))?;
    Ok(0)
}

pub(super) fn stat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    write_stat(task, &d, None, a[1])
}

pub(super) fn lstat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], AT_SYMLINK_NOFOLLOW)?;
    write_stat(task, &d, None, a[1])
}

pub(super) fn fstat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    write_stat(task, &f.dentry.clone(), Some(&f), a[1])
}

pub(super) fn newfstatat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[3] as u32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let d = lookup_at(task, a[0], a[1], flags)?;
    write_stat(task, &d, None, a[2])
}

fn statx_ts(t: Time) -> StatxTimestamp {
    let mut s = StatxTimestamp::new_zeroed();
    s.tv_sec = t.sec;
    s.tv_nsec = t.nsec as u32;
    s
}

pub(super) fn statx(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[2] as u32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
    {
        return Err(Errno::EINVAL);
    }
    let mask = a[3] as u32;
    if mask & 0x8000_0000 != 0 {
        return Err(Errno::EINVAL);
    }
    let d = lookup_at(task, a[0], a[1], flags)?;
    let at = d.inode.attr()?;
    let mut s = Statx::new_zeroed();
    s.stx_mask = 0x7ff; // STATX_BASIC_STATS
    s.stx_blksize = at.blksize as u32;
    s.stx_nlink = at.nlink as u32;
    s.stx_uid = at.uid;
    s.stx_gid = at.gid;
    s.stx_mode = at.mode as u16;
    s.stx_ino = at.ino;
    s.stx_size = at.size;
    s.stx_blocks = at.blocks;
    s.stx_atime = statx_ts(at.atime);
    s.stx_ctime = statx_ts(at.ctime);
    s.stx_mtime = statx_ts(at.mtime);
    s.stx_rdev_major = ((at.rdev >> 8) & 0xfff) as u32 | ((at.rdev >> 32) & !0xfff) as u32;
    s.stx_rdev_minor = (at.rdev & 0xff) as u32 | ((at.rdev >> 12) & !0xff) as u32;
    s.stx_dev_major = ((at.dev >> 8) & 0xfff) as u32;
    s.stx_dev_minor = (at.dev & 0xff) as u32 | ((at.dev >> 12) & !0xff) as u32;
    task.mm.write(UserPtr::new(a[4]), &s)?;
    Ok(0)
}

fn to_statfs(s: crate::vfs::FsStat) -> Statfs {
    let mut o = Statfs::new_zeroed();
    o.f_type = s.fs_type as i64;
    o.f_bsize = s.bsize as i64;
    o.f_blocks = s.blocks;
    o.f_bfree = s.bfree;
    o.f_bavail = s.bavail;
    o.f_files = s.files;
    o.f_ffree = s.ffree;
    o.f_namelen = s.namelen as i64;
    o.f_frsize = s.bsize as i64;
    o
}

pub(super) fn statfs(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    let s = d.inode.statfs()?;
    task.mm.write(UserPtr::new(a[1]), &to_statfs(s))?;
    Ok(0)
}

pub(super) fn fstatfs(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    let s = f.inode().statfs()?;
    task.mm.write(UserPtr::new(a[1]), &to_statfs(s))?;
    Ok(0)
}

fn dir_entries(f: &crate::vfs::FileRef) -> Result<Vec<crate::vfs::DirEntry>, Errno> {
    let mut snap = f.dir_snapshot.lock().unwrap_or_else(|e| e.into_inner());
    if snap.is_none() {
        let d = &f.dentry;
        let me = d.inode.attr()?;
        let parent_ino = d
            .parent
            .as_ref()
            .and_then(|p| p.inode.attr().ok())
            .map_or(me.ino, |a| a.ino);
        let mut v = vec![
            crate::vfs::DirEntry {
                ino: me.ino,
                dtype: 4,
                name: b".".to_vec(),
            },
            crate::vfs::DirEntry {
                ino: parent_ino,
                dtype: 4,
                name: b"..".to_vec(),
            },
        ];
        v.extend(d.inode.readdir()?);
        *snap = Some(v);
    }
    Ok(snap.clone().unwrap_or_default())
}

fn getdents_common(task: &mut Task, a: &[u64; 6], wide: bool) -> SyscallResult {
    let f = file(task, a[0])?;
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    if !f.inode().attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let entries = dir_entries(&f)?;
    let count = (a[2] as u32).min(1 << 20) as usize;
    let mut pos = f.pos.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    let mut idx = *pos as usize;
    while idx < entries.len() {
        let e = &entries[idx];
        let name_len = e.name.len();
        let rec = if wide {
            (19 + name_len + 1).div_ceil(8) * 8
        } else {
            (18 + name_len + 2).div_ceil(8) * 8
        };
        if out.len() + rec > count {
            if out.is_empty() {
                return Err(Errno::EINVAL);
            }
            break;
        }
        let start = out.len();
        out.resize(start + rec, 0);
        let b = &mut out[start..];
        b[0..8].copy_from_slice(&e.ino.to_le_bytes());
        b[8..16].copy_from_slice(&((idx + 1) as u64).to_le_bytes());
        b[16..18].copy_from_slice(&(rec as u16).to_le_bytes());
        if wide {
            b[18] = e.dtype;
            b[19..19 + name_len].copy_from_slice(&e.name);
        } else {
            b[18..18 + name_len].copy_from_slice(&e.name);
            b[rec - 1] = e.dtype;
        }
        idx += 1;
    }
    task.mm.copy_out(a[1], &out)?;
    *pos = idx as u64;
    Ok(out.len() as u64)
}

pub(super) fn getdents64(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    getdents_common(task, a, true)
}

pub(super) fn getdents(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    getdents_common(task, a, false)
}

pub(super) fn getcwd(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if task.fs.cwd.inode.is_dead() {
        return Err(Errno::ENOENT);
    }
    let mut p = task.fs.cwd.path_from(&task.fs.root);
    p.push(0);
    if (a[1] as usize) < p.len() {
        return Err(Errno::ERANGE);
    }
    task.mm.copy_out(a[0], &p)?;
    Ok(p.len() as u64)
}

pub(super) fn chdir(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    if !d.inode.attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    task.fs.cwd = d;
    Ok(0)
}

pub(super) fn fchdir(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if !f.inode().attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    task.fs.cwd = f.dentry.clone();
    Ok(0)
}

fn creation(task: &Task, kind: u32, mode: u32) -> Creation {
    Creation {
        mode: kind | (mode & 0o7777 & !task.fs.umask),
        uid: task.creds.uid[1],
        gid: task.creds.gid[1],
    }
}

fn do_mkdir(task: &mut Task, dirfd: u64, path_addr: u64, mode: u32) -> SyscallResult {
    let path = task.read_path(path_addr)?;
    let start = start_dir(task, dirfd, &path)?;
    let l = resolve_parent(&task.fs.root, &start, &path)?;
    if l.name.is_empty() || l.name == b"." || l.name == b".." {
        return Err(Errno::EEXIST);
    }
    if l.parent.child(&l.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    l.parent
        .inode
        .mkdir(&l.name, creation(task, S_IFDIR, mode))?;
    l.parent.invalidate(&l.name);
    Ok(0)
}

fn do_mknod(task: &mut Task, dirfd: u64, path_addr: u64, mode: u32) -> SyscallResult {
    let kind = match mode & S_IFMT {
        0 => S_IFREG,
        k @ (S_IFREG | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK) => k,
        S_IFDIR => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    };
    let path = task.read_path(path_addr)?;
    make_node(task, dirfd, &path, kind, mode)?;
    Ok(0)
}

/// Creates a node of type `kind` (`S_IF*`) at `path` with permission bits
/// `mode` less the umask (`mknod`, and `bind` of a named socket).
pub(super) fn make_node(
    task: &Task,
    dirfd: u64,
    path: &[u8],
    kind: u32,
    mode: u32,
) -> Result<Arc<dyn crate::vfs::Inode>, Errno> {
    let start = start_dir(task, dirfd, path)?;
    let l = resolve_parent(&task.fs.root, &start, path)?;
    if l.name.is_empty() || l.name == b"." || l.name == b".." {
        return Err(Errno::EEXIST);
    }
    if l.parent.child(&l.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    if l.trailing_slash {
        return Err(Errno::ENOENT);
    }
    let inode = l.parent.inode.create(&l.name, creation(task, kind, mode))?;
    l.parent.invalidate(&l.name);
    Ok(inode)
}

pub(super) fn mknod(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_mknod(task, AT_FDCWD as u64, a[0], a[1] as u32)
}

pub(super) fn mknodat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_mknod(task, a[0], a[1], a[2] as u32)
}

pub(super) fn mkdir(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_mkdir(task, AT_FDCWD as u64, a[0], a[1] as u32)
}

pub(super) fn mkdirat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_mkdir(task, a[0], a[1], a[2] as u32)
}

fn do_unlink(task: &mut Task, dirfd: u64, path_addr: u64, dir: bool) -> SyscallResult {
    let path = task.read_path(path_addr)?;
    let start = start_dir(task, dirfd, &path)?;
    let l = resolve_parent(&task.fs.root, &start, &path)?;
    if dir {
        if l.name.is_empty() {
            return Err(Errno::EBUSY);
        }
        if l.name == b"." {
            return Err(Errno::EINVAL);
        }
        if l.name == b".." {
            return Err(Errno::ENOTEMPTY);
        }
    } else {
        if l.name.is_empty() || l.name == b"." || l.name == b".." {
            return Err(Errno::EISDIR);
        }
        let child = l.parent.child(&l.name)?;
        if l.trailing_slash {
            return Err(if child.inode.attr()?.is_dir() {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
    }
    if l.parent.is_mount_point(&l.name) {
        return Err(Errno::EBUSY);
    }
    l.parent.inode.unlink(&l.name, dir)?;
    l.parent.invalidate(&l.name);
    Ok(0)
}

pub(super) fn unlink(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_unlink(task, AT_FDCWD as u64, a[0], false)
}

pub(super) fn rmdir(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_unlink(task, AT_FDCWD as u64, a[0], true)
}

pub(super) fn unlinkat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[2] as u32;
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    do_unlink(task, a[0], a[1], flags & AT_REMOVEDIR != 0)
}

fn do_rename(
    task: &mut Task,
    olddir: u64,
    old: u64,
    newdir: u64,
    new: u64,
    flags: u32,
) -> SyscallResult {
    const RENAME_NOREPLACE: u32 = 1;
    const RENAME_EXCHANGE: u32 = 2;
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | 4) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_EXCHANGE != 0 {
        return Err(Errno::EINVAL);
    }
    let old_path = task.read_path(old)?;
    let new_path = task.read_path(new)?;
    let os = start_dir(task, olddir, &old_path)?;
    let ns = start_dir(task, newdir, &new_path)?;
    let ol = resolve_parent(&task.fs.root, &os, &old_path)?;
    let nl = resolve_parent(&task.fs.root, &ns, &new_path)?;
    for n in [&ol.name, &nl.name] {
        if n.is_empty() || n.as_slice() == b"." || n.as_slice() == b".." {
            return Err(Errno::EBUSY);
        }
    }
    let src = ol.parent.child(&ol.name)?;
    let src_dir = src.inode.attr()?.is_dir();
    if (ol.trailing_slash || nl.trailing_slash) && !src_dir {
        return Err(Errno::ENOTDIR);
    }
    if flags & RENAME_NOREPLACE != 0 && nl.parent.child(&nl.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    // A directory cannot move into itself.
    if src_dir {
        let mut d = Some(nl.parent.clone());
        while let Some(x) = d {
            if Arc::ptr_eq(&x.inode, &src.inode) {
                return Err(Errno::EINVAL);
            }
            d = x.parent.clone();
        }
    }
    if Arc::ptr_eq(&ol.parent.inode, &nl.parent.inode) && ol.name == nl.name {
        return Ok(0);
    }
    ol.parent
        .inode
        .rename(&ol.name, &nl.parent.inode, &nl.name)?;
    ol.parent.invalidate(&ol.name);
    nl.parent.invalidate(&nl.name);
    Ok(0)
}

pub(super) fn rename(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_rename(task, AT_FDCWD as u64, a[0], AT_FDCWD as u64, a[1], 0)
}

pub(super) fn renameat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_rename(task, a[0], a[1], a[2], a[3], 0)
}

pub(super) fn renameat2(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_rename(task, a[0], a[1], a[2], a[3], a[4] as u32)
}

fn do_link(
    task: &mut Task,
    olddir: u64,
    old: u64,
    newdir: u64,
    new: u64,
    flags: u32,
) -> SyscallResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let follow = if flags & AT_SYMLINK_FOLLOW != 0 {
        0
    } else {
        AT_SYMLINK_NOFOLLOW
    };
    let src = lookup_at(task, olddir, old, follow | (flags & AT_EMPTY_PATH))?;
    if src.inode.attr()?.is_dir() {
        return Err(Errno::EPERM);
    }
    let new_path = task.read_path(new)?;
    let ns = start_dir(task, newdir, &new_path)?;
    let l = resolve_parent(&task.fs.root, &ns, &new_path)?;
    if l.name.is_empty() || l.name == b"." || l.name == b".." || l.parent.child(&l.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    if l.trailing_slash {
        return Err(Errno::ENOENT);
    }
    l.parent.inode.link(&l.name, &src.inode)?;
    l.parent.invalidate(&l.name);
    Ok(0)
}

pub(super) fn link(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_link(task, AT_FDCWD as u64, a[0], AT_FDCWD as u64, a[1], 0)
}

pub(super) fn linkat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_link(task, a[0], a[1], a[2], a[3], a[4] as u32)
}

fn do_symlink(task: &mut Task, target: u64, newdir: u64, new: u64) -> SyscallResult {
    let target = task.read_path(target)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let new_path = task.read_path(new)?;
    let ns = start_dir(task, newdir, &new_path)?;
    let l = resolve_parent(&task.fs.root, &ns, &new_path)?;
    if l.name.is_empty() || l.name == b"." || l.name == b".." || l.parent.child(&l.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    if l.trailing_slash {
        return Err(Errno::ENOENT);
    }
    l.parent
        .inode
        .symlink(&l.name, &target, creation(task, S_IFLNK, 0o777))?;
    l.parent.invalidate(&l.name);
    Ok(0)
}

pub(super) fn symlink(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_symlink(task, a[0], AT_FDCWD as u64, a[1])
}

pub(super) fn symlinkat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_symlink(task, a[0], a[1], a[2])
}

fn do_readlink(task: &mut Task, dirfd: u64, path: u64, buf: u64, size: u64) -> SyscallResult {
    // `bufsiz` is an `int` in the kernel: only the low 32 bits count.
    let size = u64::try_from(size as i32).map_err(|_| Errno::EINVAL)?;
    if size == 0 {
        return Err(Errno::EINVAL);
    }
    let d = lookup_at(task, dirfd, path, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)?;
    if !d.inode.attr()?.is_symlink() {
        return Err(Errno::EINVAL);
    }
    let target = d.inode.readlink()?;
    let n = target.len().min(size as usize);
    task.mm.copy_out(buf, &target[..n])?;
    Ok(n as u64)
}

pub(super) fn readlink(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let p = task.read_path(a[0])?;
    if p.is_empty() {
        return Err(Errno::ENOENT);
    }
    do_readlink(task, AT_FDCWD as u64, a[0], a[1], a[2])
}

pub(super) fn readlinkat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_readlink(task, a[0], a[1], a[2], a[3])
}

fn do_access(task: &mut Task, dirfd: u64, path: u64, mode: u64, flags: u32) -> SyscallResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let d = lookup_at(
        task,
        dirfd,
        path,
        flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH),
    )?;
    let a = d.inode.attr()?;
    let uid = task.creds.uid[0];
    if uid == 0 {
        // Root may do anything but execute a file with no execute bit at all.
        if mode & 1 != 0 && a.mode & S_IFMT != S_IFDIR && a.mode & 0o111 == 0 {
            return Err(Errno::EACCES);
        }
        return Ok(0);
    }
    let bits = if a.uid == uid {
        (a.mode >> 6) & 7
    } else if a.gid == task.creds.gid[0] {
        (a.mode >> 3) & 7
    } else {
        a.mode & 7
    };
    if (mode as u32) & !bits != 0 {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub(super) fn access(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_access(task, AT_FDCWD as u64, a[0], a[1], 0)
}

pub(super) fn faccessat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_access(task, a[0], a[1], a[2], 0)
}

pub(super) fn faccessat2(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    do_access(task, a[0], a[1], a[2], a[3] as u32)
}

fn set(task: &mut Task, d: &Arc<Dentry>, mut s: SetAttr) -> SyscallResult {
    use crate::kernel::cap;
    let c = &task.creds;
    if s.uid.is_some() || s.gid.is_some() || s.mode.is_some() {
        let at = d.inode.attr()?;
        let owner = c.fsuid == at.uid;
        // chown_ok / chgrp_ok: the owner may keep its uid and pick one of
        // its groups; anything else needs CAP_CHOWN.
        let uid_ok = s.uid.is_none_or(|u| owner && u == at.uid) || c.has_cap(cap::CHOWN);
        let gid_ok = s
            .gid
            .is_none_or(|g| owner && (g == at.gid || c.in_group(g)))
            || c.has_cap(cap::CHOWN);
        // chmod: the owner or CAP_FOWNER.
        let mode_ok = s.mode.is_none() || owner || c.has_cap(cap::FOWNER);
        if !uid_ok || !gid_ok || !mode_ok {
            return Err(Errno::EPERM);
        }
    }
    if s.mode.is_none() && s.size.is_none() {
        // chown: Linux kills S_ISUID, and S_ISGID when group-executable,
        // on non-directories (even for root, even with -1/-1).
        let at = d.inode.attr()?;
        if !at.is_dir() && !at.is_symlink() {
            let mut m = at.mode & 0o7777;
            m &= !0o4000;
            if m & 0o2010 == 0o2010 {
                m &= !0o2000;
            }
            if m != at.mode & 0o7777 {
                s.mode = Some(m);
            }
        }
    }
    d.inode.setattr(s)?;
    Ok(0)
}

/// The change `chmod` and its variants make.
fn mode_attr(mode: u64) -> SetAttr {
    SetAttr {
        mode: Some(mode as u32),
        ..Default::default()
    }
}

pub(super) fn chmod(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    set(task, &d, mode_attr(a[1]))
}

pub(super) fn fchmod(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    let d = f.dentry.clone();
    set(task, &d, mode_attr(a[1]))
}

pub(super) fn fchmodat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, a[0], a[1], 0)?;
    set(task, &d, mode_attr(a[2]))
}

fn owner(uid: u64, gid: u64) -> SetAttr {
    let u = uid as u32;
    let g = gid as u32;
    SetAttr {
        uid: (u != u32::MAX).then_some(u),
        gid: (g != u32::MAX).then_some(g),
        ..Default::default()
    }
}

pub(super) fn chown(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    set(task, &d, owner(a[1], a[2]))
}

pub(super) fn lchown(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], AT_SYMLINK_NOFOLLOW)?;
    set(task, &d, owner(a[1], a[2]))
}

pub(super) fn fchown(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    let d = f.dentry.clone();
    set(task, &d, owner(a[1], a[2]))
}

pub(super) fn fchownat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let flags = a[4] as u32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let d = lookup_at(task, a[0], a[1], flags)?;
    set(task, &d, owner(a[2], a[3]))
}

pub(super) fn umask(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let old = task.fs.umask;
    task.fs.umask = a[0] as u32 & 0o777;
    Ok(u64::from(old))
}

fn truncate_to(d: &Arc<Dentry>, len: u64) -> SyscallResult {
    if (len as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let at = d.inode.attr()?;
    if at.is_dir() {
        return Err(Errno::EISDIR);
    }
    if at.kind() != S_IFREG {
        return Err(Errno::EINVAL);
    }
    d.inode.setattr(SetAttr {
        size: Some(len),
        ..Default::default()
    })?;
    Ok(0)
}

pub(super) fn truncate(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let d = lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    if a[1] > task.rlimit(1) {
        return Err(Errno::EFBIG);
    }
    truncate_to(&d, a[1])
}

pub(super) fn ftruncate(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let f = file(task, a[0])?;
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    if !f.writable() {
        return Err(if f.is_path() {
            Errno::EBADF
        } else {
            Errno::EINVAL
        });
    }
    if a[1] > task.rlimit(1) {
        return Err(Errno::EFBIG);
    }
    truncate_to(&f.dentry, a[1])
}

pub(super) fn utimensat(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const UTIME_NOW: i64 = (1 << 30) - 1;
    const UTIME_OMIT: i64 = (1 << 30) - 2;
    let flags = a[3] as u32;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let times: Option<[i64; 4]> = if a[2] == 0 {
        None
    } else {
        Some(task.mm.read(UserPtr::new(a[2]))?)
    };
    let d = if a[1] == 0 {
        file(task, a[0])?.dentry.clone()
    } else {
        lookup_at(task, a[0], a[1], flags)?
    };
    let now = Time::now();
    let pick = |sec: i64, nsec: i64| -> Result<Option<Time>, Errno> {
        match nsec {
            UTIME_NOW => Ok(Some(now)),
            UTIME_OMIT => Ok(None),
            n if (0..1_000_000_000).contains(&n) => Ok(Some(Time { sec, nsec: n })),
            _ => Err(Errno::EINVAL),
        }
    };
    let (atime, mtime) = match times {
        None => (Some(now), Some(now)),
        Some(t) => (pick(t[0], t[1])?, pick(t[2], t[3])?),
    };
    d.inode.setattr(SetAttr {
        atime,
        mtime,
        ..Default::default()
    })?;
    Ok(0)
}

/// Extended attributes: none are stored yet, so every name is absent.
pub(super) fn getxattr(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    task.mm.read_cstr(a[1], 255).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::ERANGE
        } else {
            e
        }
    })?;
    Err(Errno::ENODATA)
}

pub(super) fn fgetxattr(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    file(task, a[0])?;
    task.mm.read_cstr(a[1], 255).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::ERANGE
        } else {
            e
        }
    })?;
    Err(Errno::ENODATA)
}

pub(super) fn listxattr(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    lookup_at(task, AT_FDCWD as u64, a[0], 0)?;
    Ok(0)
}

pub(super) fn flistxattr(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    file(task, a[0])?;
    Ok(0)
}
