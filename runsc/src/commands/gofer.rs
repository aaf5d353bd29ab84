//! `runsc gofer` (internal): serve one directory tree to the Sentry.
//!
//! 1. `unshare` user, mount, IPC, UTS and network namespaces; map root
//!    inside to the caller's euid/egid.
//! 2. Open the root directory (`O_PATH | O_DIRECTORY`) before anything else
//!    changes; every later file operation is relative to it.
//! 3. Make mounts private and move into an empty tmpfs root, so no path
//!    resolves to a host file.
//! 4. Drop every capability, set `no_new_privs`, install the gofer's seccomp
//!    filter (see [`crate::filter::gofer`]).
//! 5. Serve until the Sentry closes the socket.

use super::take_inherited_fd;
use crate::cli::{GlobalFlags, GoferArgs};
use crate::{filter, sandbox};
use anyhow::{Context, Result};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// Runs `runsc gofer`; returns the exit status.
pub fn run(_global: &GlobalFlags, args: GoferArgs) -> Result<i32> {
    sandbox::set_process_name(c"runsc-gofer");
    sandbox::reserve_fd_slots(super::boot::FD_SLOTS);
    let sock = take_inherited_fd(args.sock_fd, "--sock-fd")?;
    let (uid, gid) = sandbox::effective_ids();
    sandbox::enter_user_namespace(
        libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWNET,
        uid,
        gid,
    )?;
    let root = open_root(&args.root)?;
    sandbox::make_mounts_private()?;
    sandbox::enter_empty_root()?;
    sandbox::drop_capabilities()?;
    sandbox::set_no_new_privs()?;
    let list = filter::gofer::allow_list();
    let count = list.len();
    let program = filter::compile(list, filter::mismatch_action())?;
    filter::install(&program)?;
    tracing::debug!(syscalls = count, root = %args.root.display(), read_only = args.read_only,
        "gofer seccomp filter installed; serving");
    gofer::serve(
        sock,
        root,
        gofer::ServerOptions {
            read_only: args.read_only,
        },
    )
    .context("gofer")?;
    Ok(0)
}

/// Opens `path` as an `O_PATH` directory FD.
fn open_root(path: &std::path::Path) -> Result<OwnedFd> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .context("--root contains a NUL byte")?;
    // SAFETY: c is a NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("opening the gofer root {}", path.display()));
    }
    // SAFETY: fd was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
