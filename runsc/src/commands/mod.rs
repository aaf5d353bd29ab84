//! One module per subcommand, plus the few helpers they share.

pub mod boot;
pub mod do_cmd;
pub mod gofer;

use crate::cli::{GlobalFlags, LogFormat, Platform};
use anyhow::{Result, bail};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// Refuses platforms that do not exist yet.
pub fn check_platform(platform: Platform) -> Result<()> {
    if platform == Platform::Kvm {
        bail!(
            "platform {} is not supported yet; use --platform=systrap or --platform=ptrace",
            platform.name()
        );
    }
    Ok(())
}

/// The global flags a re-executed `runsc boot`/`runsc gofer` needs to log
/// and behave like its parent.
pub fn child_global_flags(global: &GlobalFlags) -> Vec<String> {
    let mut v = vec![format!("--platform={}", global.platform.name())];
    if global.debug {
        v.push("--debug".into());
    }
    if global.strace {
        v.push("--strace".into());
    }
    if let Some(dir) = &global.debug_log {
        v.push(format!("--debug-log={}", dir.display()));
    }
    if let Some(file) = &global.log {
        v.push(format!("--log={}", file.display()));
    }
    if global.log_format == LogFormat::Json {
        v.push("--log-format=json".into());
    }
    v
}

/// Takes ownership of an FD number inherited from the parent `runsc`,
/// checking it is open and not one of the standard streams, and marks it
/// close-on-exec.
pub fn take_inherited_fd(fd: i32, what: &str) -> Result<OwnedFd> {
    if fd < 3 {
        bail!("{what}: FD {fd} is a standard stream; runsc passes FDs 3 and up");
    }
    // SAFETY: fcntl on an integer FD; an invalid one gives EBADF.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        bail!(
            "{what}: FD {fd} is not open ({}); runsc boot/gofer are internal commands started by runsc",
            std::io::Error::last_os_error()
        );
    }
    // SAFETY: the FD is open (checked above) and was handed to this process
    // by its parent on the command line; nothing else in this process owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The process signals go to, for [`forward_signals`].
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

/// The signals `runsc` and the boot parent pass on.
const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO.
    let code = unsafe { (*info).si_code };
    if code == libc::SI_KERNEL && FORWARD_SKIP_KERNEL.load(Ordering::Relaxed) != 0 {
        return;
    }
    let pid = FORWARD_TO.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe and takes no pointers.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Non-zero: do not forward signals the kernel generated (terminal signals,
/// which already reach the whole foreground process group).
static FORWARD_SKIP_KERNEL: AtomicI32 = AtomicI32::new(0);

/// Forwards SIGINT, SIGTERM and SIGHUP received by this process to `pid`.
/// With `skip_terminal`, signals the kernel sent (`SI_KERNEL`: a terminal's
/// ^C, ^\ or hangup, which the target receives itself) are not forwarded
/// again.
pub fn forward_signals(pid: i32, skip_terminal: bool) -> Result<()> {
    FORWARD_TO.store(pid, Ordering::Relaxed);
    FORWARD_SKIP_KERNEL.store(i32::from(skip_terminal), Ordering::Relaxed);
    for sig in FORWARDED {
        // SAFETY: a zeroed sigaction is a valid starting value.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = forward as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        // SAFETY: sa is a valid sigaction whose handler only does
        // async-signal-safe work (atomic loads and kill).
        if unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) } < 0 {
            bail!(
                "installing the handler forwarding signal {sig}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(())
}
