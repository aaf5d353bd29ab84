//! `runsc boot` (internal): become the Sentry.
//!
//! 1. Read the JSON configuration from the inherited memfd.
//! 2. `unshare` user, mount, IPC, UTS, network and PID namespaces; map root
//!    inside to the caller's euid/egid.
//! 3. Fork once. The parent only waits and exits with the child's status
//!    (128 + N for a signal N), passing on SIGINT/SIGTERM/SIGHUP. The
//!    child is PID 1 of the new PID namespace, which keeps the namespace
//!    alive while stub processes come and go.
//! 4. In the child: die with the parent, make mounts private, set the host
//!    name, make an empty tmpfs the root, then run the Sentry. Once the
//!    platform exists and before any guest instruction, `prepare` drops every
//!    capability, sets `no_new_privs` and installs the Sentry's seccomp
//!    filter (see [`crate::filter::sentry`]).
//!
//! Test hook: with `RVISOR_TEST_FORBIDDEN_SYSCALL=1` in the environment,
//! `prepare` makes a forbidden system call (`openat`) right after installing
//! the filter, which must kill the Sentry with `SIGSYS` (`runsc do` then
//! exits with 128 + 31).

use super::{check_platform, take_inherited_fd};
use crate::cli::{BootArgs, GlobalFlags};
use crate::config::WireConfig;
use crate::{filter, sandbox};
use anyhow::{Context, Result, bail};
use sentry::boot::{BootConfig, BootError, PlatformKind};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};

/// The environment variable of the forbidden-syscall test hook.
pub const TEST_FORBIDDEN_SYSCALL_ENV: &str = "RVISOR_TEST_FORBIDDEN_SYSCALL";

/// Runs `runsc boot`; returns the exit status.
pub fn run(global: &GlobalFlags, args: BootArgs) -> Result<i32> {
    check_platform(global.platform)?;
    sandbox::set_process_name(c"runsc-boot");
    let config = read_config(take_inherited_fd(args.config_fd, "--config-fd")?)?;
    let gofer = take_inherited_fd(args.gofer_fd, "--gofer-fd")?;
    let platform = match config.platform.as_str() {
        "ptrace" => PlatformKind::Ptrace,
        "systrap" => PlatformKind::Systrap,
        other => bail!(
            "platform {other} is not supported yet; use --platform=systrap or --platform=ptrace"
        ),
    };

    let (uid, gid) = sandbox::effective_ids();
    sandbox::enter_user_namespace(
        libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWPID,
        uid,
        gid,
    )?;

    // SAFETY: this process is single-threaded (nothing above starts a
    // thread), so the child may run arbitrary code after fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error()).context("fork of the Sentry");
    }
    if pid > 0 {
        drop(gofer);
        return wait_for_sentry(pid);
    }
    sentry_main(config, gofer, platform)
}

/// Reads the JSON configuration.
fn read_config(fd: OwnedFd) -> Result<WireConfig> {
    let mut json = Vec::new();
    File::from(fd)
        .read_to_end(&mut json)
        .context("reading the boot config")?;
    serde_json::from_slice(&json).context("parsing the boot config")
}

/// The signals the boot parent passes on to the Sentry.
const FORWARDED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The boot parent: waits for the Sentry and exits as it did, passing on
/// SIGINT, SIGTERM and SIGHUP.
///
/// The Sentry is PID 1 of its namespace, so the kernel drops any signal it
/// has no handler for (even from us). A signal the Sentry catches is
/// forwarded (unless it came from the terminal, which already sent it to the
/// Sentry's process group); one it does not catch kills the sandbox with
/// `SIGKILL`, and the boot parent then reports the original signal
/// (128 + N), as a shell would for a program it ends.
fn wait_for_sentry(pid: i32) -> Result<i32> {
    // SAFETY: a zeroed sigset_t is valid storage for sigemptyset.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: set is valid, initialised storage; the signal numbers are valid.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        for sig in FORWARDED {
            libc::sigaddset(&mut set, sig);
        }
    }
    // Blocked signals stay pending (even SIGCHLD, whose default is to be
    // ignored) until sigwaitinfo takes them.
    // SAFETY: set is initialised; the old mask is not wanted.
    if unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) } < 0 {
        return Err(std::io::Error::last_os_error()).context("blocking signals in runsc boot");
    }
    let mut killed_by = None;
    loop {
        // Checked after blocking SIGCHLD, so an exit before that is not missed.
        let mut status = 0;
        // SAFETY: waits for our own child; status is a valid out pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(exit_code(status, killed_by));
        }
        if r < 0 {
            return Err(std::io::Error::last_os_error()).context("waiting for the Sentry");
        }
        // SAFETY: a zeroed siginfo_t is valid storage for the kernel to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: set is initialised; info is valid storage.
        let sig = unsafe { libc::sigwaitinfo(&set, &mut info) };
        if sig < 0 || sig == libc::SIGCHLD {
            continue;
        }
        if sentry_catches(pid, sig) {
            if info.si_code != libc::SI_KERNEL {
                // SAFETY: kill takes no pointers; pid is our child.
                unsafe { libc::kill(pid, sig) };
            }
        } else {
            tracing::debug!(
                sig,
                "the Sentry does not handle this signal; killing the sandbox"
            );
            killed_by.get_or_insert(sig);
            // SAFETY: kill takes no pointers; pid is our child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Does process `pid` have a handler for `sig` (its `SigCgt` mask in
/// `/proc/PID/status`)? When unsure, no.
fn sentry_catches(pid: i32, sig: libc::c_int) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|mask| (1..=64).contains(&sig) && mask & (1 << (sig - 1)) != 0)
}

/// The exit status for a `waitpid` status: the code, or 128 + the signal
/// (the one we killed the Sentry for, if we did).
fn exit_code(status: libc::c_int, killed_by: Option<libc::c_int>) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        tracing::debug!(sig, "the Sentry was killed by a signal");
        if sig == libc::SIGSYS {
            eprintln!(
                "runsc: the Sentry made a host system call its seccomp filter forbids and was \
                 killed (SIGSYS); to find it, rerun with RVISOR_SECCOMP_LOG=1 and look for \
                 'type=1326' in dmesg"
            );
        }
        match killed_by {
            Some(original) if sig == libc::SIGKILL => 128 + original,
            _ => 128 + sig,
        }
    } else {
        1
    }
}

/// Host FDs the Sentry and the gofer make room for at start
/// ([`sandbox::reserve_fd_slots`]).
pub const FD_SLOTS: u32 = 4096;

/// The Sentry process (PID 1 of the sandbox's PID namespace).
fn sentry_main(config: WireConfig, gofer: OwnedFd, platform: PlatformKind) -> Result<i32> {
    sandbox::set_process_name(c"runsc-sentry");
    sandbox::reserve_fd_slots(FD_SLOTS);
    sandbox::set_parent_death_signal()?;
    sandbox::make_mounts_private()?;
    sandbox::set_hostname(&config.hostname)?;
    sandbox::enter_empty_root()?;

    let stdio = [
        dup_stdio(std::io::stdin().as_fd(), 0)?,
        dup_stdio(std::io::stdout().as_fd(), 1)?,
        dup_stdio(std::io::stderr().as_fd(), 2)?,
    ];
    // glibc sizes its malloc arena limit from the CPU count the first time a
    // 9th arena is needed (one per guest thread), which opens
    // /sys/devices/system/cpu/online: set the limit now, before the filter.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: mallopt only sets a malloc tuning parameter.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, (8 * cpus).min(1024) as libc::c_int) };
    // Shrinking a thread arena's heap makes glibc open
    // /proc/sys/vm/overcommit_memory (check_may_shrink_heap), which the
    // filter forbids: never trim below a threshold no heap reaches.
    // SAFETY: as above.
    unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) };
    let program = filter::compile(filter::sentry::allow_list(), filter::mismatch_action())?;
    let no_clone3 = filter::clone3_enosys()?;
    let count = filter::sentry::allow_list().len();
    let test_forbidden = std::env::var(TEST_FORBIDDEN_SYSCALL_ENV).is_ok_and(|v| v == "1");
    let argv0 = config.argv.first().cloned().unwrap_or_default();
    let boot_config = BootConfig {
        argv: config.argv,
        envv: config.envv,
        cwd: config.cwd,
        gofer,
        stdio,
        strace: config.strace,
        hostname: config.hostname,
        platform,
        syscall_patching: config.syscall_patching,
        systrap_seccomp: config.systrap_seccomp,
    };
    let mut prepare = || -> Result<(), String> {
        sandbox::drop_capabilities().map_err(|e| format!("{e:#}"))?;
        sandbox::set_no_new_privs().map_err(|e| format!("{e:#}"))?;
        filter::install(&no_clone3).map_err(|e| format!("{e:#}"))?;
        filter::install(&program).map_err(|e| format!("{e:#}"))?;
        tracing::debug!(syscalls = count, "sentry seccomp filter installed");
        if test_forbidden {
            // SAFETY: openat with a NUL-terminated literal path; the filter
            // kills the process before the kernel runs it.
            unsafe { libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c"/".as_ptr(), 0) };
            return Err("the forbidden openat was allowed by the seccomp filter".into());
        }
        Ok(())
    };
    match sentry::boot::run(boot_config, &mut prepare) {
        Ok(status) => Ok(status.shell_code()),
        Err(BootError::Exec { path, errno }) => {
            let (what, code) = match errno {
                abi::Errno::ENOENT => ("command not found".to_owned(), 127),
                abi::Errno::EACCES | abi::Errno::ENOEXEC => (errno.to_string(), 126),
                _ => (errno.to_string(), 126),
            };
            eprintln!(
                "runsc: {}: {what}",
                if path.is_empty() { &argv0 } else { &path }
            );
            Ok(code)
        }
        Err(e) => Err(anyhow::Error::new(e).context("the Sentry could not run the guest")),
    }
}

/// Duplicates standard stream `n` for the guest (close-on-exec).
fn dup_stdio(fd: std::os::fd::BorrowedFd<'_>, n: i32) -> Result<OwnedFd> {
    fd.try_clone_to_owned().with_context(|| {
        format!("duplicating FD {n} for the guest; runsc needs FDs 0, 1 and 2 open")
    })
}
