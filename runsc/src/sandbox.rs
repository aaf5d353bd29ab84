//! Host isolation steps shared by `runsc boot` and `runsc gofer`: user and
//! other namespaces, private mounts, an empty root directory, and dropping
//! every capability.
//!
//! Each function is one host operation (or a short fixed sequence of them)
//! with an error that says what failed.

use anyhow::{Context, Result, bail};
use std::ffi::CString;
use std::io;

/// `-1` from a libc call → the `errno` as an `io::Error`.
fn check(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The caller's effective uid and gid (read them before `unshare`).
pub fn effective_ids() -> (u32, u32) {
    // SAFETY: geteuid and getegid cannot fail and touch no memory.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

/// `unshare(flags)`, which must include `CLONE_NEWUSER`, then maps root in
/// the new user namespace to `uid`/`gid` outside it (writing `deny` to
/// `setgroups` first, as unprivileged callers must).
pub fn enter_user_namespace(flags: libc::c_int, uid: u32, gid: u32) -> Result<()> {
    // SAFETY: unshare takes no pointers. The caller is single-threaded (a
    // requirement of CLONE_NEWUSER that the kernel checks itself).
    check(unsafe { libc::unshare(flags) }).context(
        "unshare(user, mount, ipc, uts, net namespaces) failed; the host must allow \
         unprivileged user namespaces (sysctl user.max_user_namespaces > 0, \
         kernel.unprivileged_userns_clone=1, no AppArmor userns restriction)",
    )?;
    std::fs::write("/proc/self/setgroups", "deny").context("writing /proc/self/setgroups")?;
    std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))
        .context("writing /proc/self/uid_map")?;
    std::fs::write("/proc/self/gid_map", format!("0 {gid} 1"))
        .context("writing /proc/self/gid_map")?;
    Ok(())
}

/// Makes every mount in this (new) mount namespace private, so nothing we
/// mount propagates to the host.
pub fn make_mounts_private() -> Result<()> {
    // SAFETY: the path is a NUL-terminated literal; the other pointers may be null.
    check(unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    })
    .context("making mounts private (mount / MS_REC|MS_PRIVATE)")
}

/// Directories an empty tmpfs may be mounted on; in our private mount
/// namespace covering them hides nothing from anyone else.
const EMPTY_ROOT_CANDIDATES: [&std::ffi::CStr; 3] = [c"/tmp", c"/mnt", c"/proc"];

/// Makes an empty, read-only tmpfs the root directory and the working
/// directory: mounts it over an existing directory, then `pivot_root`s into
/// it and detaches the old root (falling back to `chroot` where
/// `pivot_root` is impossible, e.g. an initramfs root).
pub fn enter_empty_root() -> Result<()> {
    let mut last_err = None;
    let mut target = None;
    for dir in EMPTY_ROOT_CANDIDATES {
        // SAFETY: all strings are NUL-terminated literals.
        let r = unsafe {
            libc::mount(
                c"rvisor-root".as_ptr(),
                dir.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                c"size=4k,nr_inodes=4,mode=0555".as_ptr().cast(),
            )
        };
        match check(r) {
            Ok(()) => {
                target = Some(dir);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let Some(dir) = target else {
        bail!(
            "mounting an empty tmpfs for the Sentry's root failed on {:?}: {}",
            EMPTY_ROOT_CANDIDATES,
            last_err.map(|e| e.to_string()).unwrap_or_default()
        );
    };
    // SAFETY: dir is a NUL-terminated string.
    check(unsafe { libc::chdir(dir.as_ptr()) })
        .with_context(|| format!("chdir to the empty root {dir:?}"))?;
    // pivot_root(".", ".") stacks the old root on top of the new one; the
    // detach then removes it, leaving only the empty tmpfs.
    // SAFETY: both paths are NUL-terminated literals.
    let pivoted = unsafe { libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) };
    if pivoted == 0 {
        // SAFETY: the path is a NUL-terminated literal.
        check(unsafe { libc::umount2(c".".as_ptr(), libc::MNT_DETACH) })
            .context("detaching the old root after pivot_root")?;
    } else {
        tracing::debug!(
            error = %io::Error::last_os_error(),
            "pivot_root failed; using chroot"
        );
        // SAFETY: the path is a NUL-terminated literal.
        check(unsafe { libc::chroot(c".".as_ptr()) }).context("chroot to the empty root")?;
    }
    // SAFETY: the path is a NUL-terminated literal.
    check(unsafe { libc::chdir(c"/".as_ptr()) }).context("chdir / in the empty root")?;
    // Read-only from now on: nothing in the sandbox should create files here.
    // SAFETY: strings are NUL-terminated literals; data may be null.
    let r = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REMOUNT
                | libc::MS_BIND
                | libc::MS_RDONLY
                | libc::MS_NOSUID
                | libc::MS_NODEV
                | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    };
    if let Err(e) = check(r) {
        tracing::debug!(error = %e, "could not remount the empty root read-only");
    }
    Ok(())
}

/// Sets the host name of this (new) UTS namespace.
pub fn set_hostname(name: &str) -> Result<()> {
    let c = CString::new(name).context("host name contains NUL")?;
    // SAFETY: c is a valid buffer of the given length.
    check(unsafe { libc::sethostname(c.as_ptr(), name.len()) })
        .with_context(|| format!("sethostname({name:?})"))
}

/// The host's host name.
pub fn host_hostname() -> Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length.
    check(unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) })
        .context("gethostname")?;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// Asks the kernel to send `SIGKILL` to this process when its parent dies.
pub fn set_parent_death_signal() -> Result<()> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) })
        .context("prctl(PR_SET_PDEATHSIG)")
}

/// Names this process (`comm`, as `ps` and the audit log show it);
/// `name` is cut to 15 bytes by the kernel.
pub fn set_process_name(name: &std::ffi::CStr) {
    // SAFETY: name is NUL-terminated; the kernel copies at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, name.as_ptr(), 0, 0, 0) };
}

/// Grows this process's FD table to `slots` entries (or as many as
/// `RLIMIT_NOFILE` allows) now, while it has one thread. The Sentry and
/// the gofer hold a host FD per file in use; once threads share the
/// table, each time it doubles the kernel waits for an RCU grace period
/// (`expand_fdtable`), which takes 10–30 ms on a virtual machine, in the
/// middle of some guest's `open`.
pub fn reserve_fd_slots(slots: u32) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: lim is a valid out pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    let top = u64::from(slots).min(lim.rlim_cur).saturating_sub(1);
    let Ok(top) = libc::c_int::try_from(top) else {
        return;
    };
    if top < 64 {
        return;
    }
    // SAFETY: duplicates stdin (or fails harmlessly) onto a free high slot
    // and closes it again; no FD of ours is touched unless that slot was
    // in use, which F_DUPFD avoids by taking the lowest free one at or
    // above it.
    unsafe {
        let fd = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, top);
        if fd >= 0 {
            libc::close(fd);
        }
    }
}

/// `PR_SET_NO_NEW_PRIVS`: no exec can ever gain privileges again.
pub fn set_no_new_privs() -> Result<()> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })
        .context("prctl(PR_SET_NO_NEW_PRIVS)")
}

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Drops every capability: clears the ambient set, empties the bounding set
/// (`PR_CAPBSET_DROP` for each capability the kernel knows), then sets the
/// effective, permitted and inheritable sets to zero.
pub fn drop_capabilities() -> Result<()> {
    // SAFETY: prctl with integer arguments only.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if let Err(e) = check(r) {
        // EINVAL: a kernel without ambient capabilities (before 4.3).
        if e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e).context("clearing ambient capabilities");
        }
    }
    for cap in 0..64 {
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        if let Err(e) = check(r) {
            // EINVAL: past the last capability this kernel knows.
            if e.raw_os_error() == Some(libc::EINVAL) {
                break;
            }
            return Err(e)
                .with_context(|| format!("dropping capability {cap} from the bounding set"));
        }
    }
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: header and data are valid for the kernel's version-3 layout
    // (one header, two data elements); capset only reads data.
    let r = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error()).context("capset to no capabilities");
    }
    Ok(())
}

/// Clears `FD_CLOEXEC` on `fd` so it survives `exec`. Meant for `pre_exec`
/// hooks (async-signal-safe: one `fcntl`).
pub fn clear_cloexec(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: fcntl on an integer FD with an integer argument.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) })
}

/// Marks every FD from 3 up close-on-exec, so descriptors runsc inherited
/// by accident (from a shell, a test harness, a leaky parent) never reach
/// the Sentry or the gofer. Uses `close_range(CLOSE_RANGE_CLOEXEC)` (Linux
/// 5.11), else walks `/proc/self/fd`.
pub fn cloexec_inherited_fds() -> Result<()> {
    // SAFETY: close_range with integer arguments only.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .context("listing /proc/self/fd to mark inherited FDs close-on-exec")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd >= 3)
        .collect();
    for fd in fds {
        // SAFETY: fcntl on an integer FD; one closed meanwhile gives EBADF, ignored.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    Ok(())
}
