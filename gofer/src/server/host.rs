//! Safe wrappers over the host file syscalls the gofer makes.
//!
//! Every function here takes directory FDs and single-component names (or
//! an empty path with `AT_EMPTY_PATH`); none takes a path from the root.
//! The complete list of syscalls is in the [`super`] module docs.

use abi::Errno;
use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// An empty C string, for `AT_EMPTY_PATH` calls.
pub(crate) const EMPTY: &CStr = c"";

fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// Turns a `-1`-on-error return into a `Result`, retrying on `EINTR`.
fn retry<T: PartialEq + From<i8>>(mut f: impl FnMut() -> T) -> Result<T, Errno> {
    loop {
        let r = f();
        if r != T::from(-1) {
            return Ok(r);
        }
        let e = last_errno();
        if e != Errno::EINTR {
            return Err(e);
        }
    }
}

/// `openat(dir, name, flags | O_CLOEXEC, mode)`.
pub(crate) fn openat(
    dir: BorrowedFd<'_>,
    name: &CStr,
    flags: i32,
    mode: u32,
) -> Result<OwnedFd, Errno> {
    let fd = retry(|| {
        // SAFETY: `name` is a valid NUL-terminated string; the kernel only
        // reads it. No memory is handed over.
        unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                flags | libc::O_CLOEXEC,
                mode,
            )
        }
    })?;
    // SAFETY: openat succeeded, so `fd` is a new descriptor owned by nobody
    // else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW | extra)`.
pub(crate) fn fstatat(dir: BorrowedFd<'_>, name: &CStr, extra: i32) -> Result<libc::stat, Errno> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    retry(|| {
        // SAFETY: `st` has room for one `struct stat`, which the kernel fills
        // on success; `name` is NUL-terminated.
        unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW | extra,
            )
        }
    })?;
    // SAFETY: fstatat succeeded and initialised `st`.
    Ok(unsafe { st.assume_init() })
}

/// Attributes of the file `fd` refers to (an `O_PATH` FD is fine).
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> Result<libc::stat, Errno> {
    fstatat(fd, EMPTY, libc::AT_EMPTY_PATH)
}

/// `fstatfs(fd)` (an `O_PATH` FD is fine); also returns `f_fsid` as a u64.
pub(crate) fn fstatfs(fd: BorrowedFd<'_>) -> Result<(libc::statfs64, u64), Errno> {
    let mut st = MaybeUninit::<libc::statfs64>::uninit();
    // SAFETY: `st` has room for one `struct statfs64`, filled on success.
    retry(|| unsafe { libc::fstatfs64(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstatfs succeeded and initialised `st`.
    let st = unsafe { st.assume_init() };
    // SAFETY: fsid_t is two c_ints with no padding; every bit pattern of
    // [i32; 2] is valid.
    let [a, b]: [i32; 2] = unsafe { std::mem::transmute(st.f_fsid) };
    let fsid = u64::from(a as u32) | (u64::from(b as u32) << 32);
    Ok((st, fsid))
}

/// `lseek(fd, off, SEEK_SET)`.
pub(crate) fn seek(fd: BorrowedFd<'_>, off: i64) -> Result<(), Errno> {
    // SAFETY: lseek takes no pointers.
    retry(|| unsafe { libc::lseek(fd.as_raw_fd(), off, libc::SEEK_SET) })?;
    Ok(())
}

/// `getdents64(fd, buf)`: the number of bytes of `linux_dirent64` records
/// written to `buf`, 0 at the end of the directory.
pub(crate) fn getdents64(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    let n = retry(|| {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        }
    })?;
    usize::try_from(n).map_err(|_| Errno::EIO)
}

/// `mkdirat(dir, name, mode)`.
pub(crate) fn mkdirat(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated and only read.
    retry(|| unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), mode) })?;
    Ok(())
}

/// `mknodat(dir, name, mode, 0)`.
pub(crate) fn mknodat(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated and only read.
    retry(|| unsafe { libc::mknodat(dir.as_raw_fd(), name.as_ptr(), mode, 0) })?;
    Ok(())
}

/// `symlinkat(target, dir, name)`.
pub(crate) fn symlinkat(target: &CStr, dir: BorrowedFd<'_>, name: &CStr) -> Result<(), Errno> {
    // SAFETY: both strings are NUL-terminated and only read.
    retry(|| unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) })?;
    Ok(())
}

/// `linkat(old_dir, old_name, new_dir, new_name, 0)` (never follows).
pub(crate) fn linkat(
    old_dir: BorrowedFd<'_>,
    old_name: &CStr,
    new_dir: BorrowedFd<'_>,
    new_name: &CStr,
) -> Result<(), Errno> {
    retry(|| {
        // SAFETY: both names are NUL-terminated and only read.
        unsafe {
            libc::linkat(
                old_dir.as_raw_fd(),
                old_name.as_ptr(),
                new_dir.as_raw_fd(),
                new_name.as_ptr(),
                0,
            )
        }
    })?;
    Ok(())
}

/// `unlinkat(dir, name, flags)`.
pub(crate) fn unlinkat(dir: BorrowedFd<'_>, name: &CStr, flags: i32) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated and only read.
    retry(|| unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), flags) })?;
    Ok(())
}

/// `renameat2(old_dir, old_name, new_dir, new_name, flags)`.
pub(crate) fn renameat2(
    old_dir: BorrowedFd<'_>,
    old_name: &CStr,
    new_dir: BorrowedFd<'_>,
    new_name: &CStr,
    flags: u32,
) -> Result<(), Errno> {
    retry(|| {
        // SAFETY: both names are NUL-terminated and only read.
        unsafe {
            libc::renameat2(
                old_dir.as_raw_fd(),
                old_name.as_ptr(),
                new_dir.as_raw_fd(),
                new_name.as_ptr(),
                flags,
            )
        }
    })?;
    Ok(())
}

/// `readlinkat(fd, "", ...)`: the target of the symlink `fd` (an `O_PATH`
/// FD of the link itself).
pub(crate) fn readlink(fd: BorrowedFd<'_>) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    let n = retry(|| {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`;
        // the empty path is NUL-terminated.
        unsafe {
            libc::readlinkat(
                fd.as_raw_fd(),
                EMPTY.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        }
    })?;
    buf.truncate(usize::try_from(n).map_err(|_| Errno::EIO)?);
    Ok(buf)
}

/// `fchownat(fd, "", uid, gid, AT_EMPTY_PATH)`; `u32::MAX` leaves an id
/// unchanged. Works on `O_PATH` FDs, including symlinks (the link itself).
pub(crate) fn chown(fd: BorrowedFd<'_>, uid: u32, gid: u32) -> Result<(), Errno> {
    retry(|| {
        // SAFETY: the empty path is NUL-terminated and only read.
        unsafe {
            libc::fchownat(
                fd.as_raw_fd(),
                EMPTY.as_ptr(),
                uid,
                gid,
                libc::AT_EMPTY_PATH,
            )
        }
    })?;
    Ok(())
}

/// `fchmodat2(fd, "", mode, AT_EMPTY_PATH)` (Linux 6.6+; `ENOSYS` before).
pub(crate) fn chmod_empty_path(fd: BorrowedFd<'_>, mode: u32) -> Result<(), Errno> {
    retry(|| {
        // SAFETY: the empty path is NUL-terminated and only read.
        unsafe {
            libc::syscall(
                libc::SYS_fchmodat2,
                fd.as_raw_fd(),
                EMPTY.as_ptr(),
                mode,
                libc::AT_EMPTY_PATH,
            )
        }
    })?;
    Ok(())
}

/// `fchmod(fd, mode)` on an FD opened for reading or writing.
pub(crate) fn fchmod(fd: BorrowedFd<'_>, mode: u32) -> Result<(), Errno> {
    // SAFETY: fchmod takes no pointers.
    retry(|| unsafe { libc::fchmod(fd.as_raw_fd(), mode) })?;
    Ok(())
}

/// `utimensat(fd, "", times, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)`.
pub(crate) fn utimens(fd: BorrowedFd<'_>, times: &[libc::timespec; 2]) -> Result<(), Errno> {
    retry(|| {
        // SAFETY: `times` points at two timespecs and the empty path is
        // NUL-terminated; both are only read.
        unsafe {
            libc::utimensat(
                fd.as_raw_fd(),
                EMPTY.as_ptr(),
                times.as_ptr(),
                libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
            )
        }
    })?;
    Ok(())
}

/// `ftruncate(fd, size)`.
pub(crate) fn ftruncate(fd: BorrowedFd<'_>, size: i64) -> Result<(), Errno> {
    // SAFETY: ftruncate takes no pointers.
    retry(|| unsafe { libc::ftruncate(fd.as_raw_fd(), size) })?;
    Ok(())
}

/// `fcntl(fd, F_SETFL, flags)`.
pub(crate) fn set_status_flags(fd: BorrowedFd<'_>, flags: i32) -> Result<(), Errno> {
    // SAFETY: F_SETFL takes an integer argument, no pointers.
    retry(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags) })?;
    Ok(())
}
