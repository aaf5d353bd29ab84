//! `runsc do CMD [ARG...]`: run one program in a fresh sandbox whose root
//! file system is the host's `/` (served read-only by a gofer; the Sentry
//! keeps writes in memory unless `--overlay2=none`).
//!
//! `runsc do` starts two re-executions of itself: `runsc gofer` with one end
//! of a `SOCK_SEQPACKET` socketpair, and `runsc boot` with the other end,
//! the configuration (JSON in a memfd) and runsc's own stdio. Its exit
//! status is the guest's (a signal `N` gives `128 + N`).

use super::{check_platform, child_global_flags, forward_signals};
use crate::cli::{DoArgs, GlobalFlags};
use crate::config::WireConfig;
use crate::sandbox;
use anyhow::{Context, Result, bail};
use std::ffi::CString;
use std::fs::File;
use std::io::{Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The `PATH` a shell uses when the environment has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Runs `runsc do`; returns the exit status for runsc.
pub fn run(global: &GlobalFlags, args: DoArgs) -> Result<i32> {
    check_platform(global.platform)?;
    sandbox::cloexec_inherited_fds()?;
    let caller_cwd = std::env::current_dir()
        .context("reading the current directory; pass --cwd with an absolute path")?;
    let cwd = match &args.cwd {
        Some(c) => caller_cwd.join(c),
        None => caller_cwd,
    };
    if !cwd.is_dir() {
        bail!("--cwd {}: not a directory", cwd.display());
    }
    let cwd_str = cwd
        .to_str()
        .with_context(|| format!("working directory {} is not UTF-8", cwd.display()))?
        .to_owned();

    let env = guest_env(std::env::vars_os(), &args.env);
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map_or(DEFAULT_PATH, |(_, v)| v.as_str());
    let cmd = &args.command[0];
    if let Err(failure) = lookup(cmd, path_var, &cwd) {
        eprintln!("runsc: {cmd}: {}", failure.message());
        return Ok(failure.exit_code());
    }

    let config = WireConfig {
        argv: args.command.clone(),
        envv: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        cwd: cwd_str,
        strace: global.strace,
        hostname: sandbox::host_hostname()?,
        platform: global.platform.name().to_owned(),
        syscall_patching: global.systrap_patching,
        systrap_seccomp: global.systrap_seccomp,
    };
    tracing::debug!(?config, "runsc do");

    let (gofer_end, boot_end) = seqpacket_pair()?;
    let config_fd = config_memfd(&config)?;
    let read_only = global.overlay2 != "none";

    let mut gofer = spawn_gofer(global, &gofer_end, read_only)?;
    drop(gofer_end);
    let boot = spawn_boot(global, &boot_end, &config_fd);
    drop(boot_end);
    drop(config_fd);
    let mut boot = match boot {
        Ok(b) => b,
        Err(e) => {
            stop_gofer(&mut gofer);
            return Err(e);
        }
    };
    let boot_pid = i32::try_from(boot.id()).context("boot pid out of range")?;
    forward_signals(boot_pid, true)?;
    let status = boot.wait().context("waiting for runsc boot")?;
    stop_gofer(&mut gofer);
    tracing::debug!(?status, "runsc boot ended");
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    })
}

/// The guest's environment: the caller's variables (those that are UTF-8),
/// with `overrides` replacing or adding entries, in order.
fn guest_env(
    caller: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    overrides: &[(String, String)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = caller
        .filter_map(|(k, v)| match (k.into_string(), v.into_string()) {
            (Ok(k), Ok(v)) => Some((k, v)),
            (k, _) => {
                tracing::warn!(var = ?k, "skipping a non-UTF-8 environment variable");
                None
            }
        })
        .collect();
    for (k, v) in overrides {
        match env.iter_mut().find(|(ek, _)| ek == k) {
            Some(entry) => entry.1 = v.clone(),
            None => env.push((k.clone(), v.clone())),
        }
    }
    env
}

/// Why a command cannot be run, as a shell would say it.
#[derive(Debug, PartialEq, Eq)]
enum LookupFailure {
    /// Nothing by that name: 127.
    NotFound,
    /// It exists but cannot be executed: 126.
    PermissionDenied,
    /// It is a directory: 126.
    IsDirectory,
}

impl LookupFailure {
    fn message(&self) -> &'static str {
        match self {
            LookupFailure::NotFound => "command not found",
            LookupFailure::PermissionDenied => "permission denied",
            LookupFailure::IsDirectory => "is a directory",
        }
    }

    fn exit_code(&self) -> i32 {
        match self {
            LookupFailure::NotFound => 127,
            LookupFailure::PermissionDenied | LookupFailure::IsDirectory => 126,
        }
    }
}

/// Checks on the host, as the guest will see it (its root is the host's),
/// that `cmd` names an executable: a path when it contains `/`, else a
/// search of `path_var`. Relative names are taken from `cwd`.
fn lookup(cmd: &str, path_var: &str, cwd: &Path) -> Result<PathBuf, LookupFailure> {
    if cmd.is_empty() {
        return Err(LookupFailure::NotFound);
    }
    if cmd.contains('/') {
        let p = cwd.join(cmd);
        return check_executable(&p).map(|()| p);
    }
    let mut denied = false;
    for dir in path_var.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let p = cwd.join(dir).join(cmd);
        match check_executable(&p) {
            Ok(()) => return Ok(p),
            Err(LookupFailure::PermissionDenied) => denied = true,
            Err(_) => {}
        }
    }
    Err(if denied {
        LookupFailure::PermissionDenied
    } else {
        LookupFailure::NotFound
    })
}

/// Is `p` an existing, executable non-directory?
fn check_executable(p: &Path) -> Result<(), LookupFailure> {
    let meta = std::fs::metadata(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => LookupFailure::PermissionDenied,
        _ => LookupFailure::NotFound,
    })?;
    if meta.is_dir() {
        return Err(LookupFailure::IsDirectory);
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(LookupFailure::PermissionDenied);
    }
    let c = CString::new(p.as_os_str().as_encoded_bytes()).map_err(|_| LookupFailure::NotFound)?;
    // SAFETY: c is a NUL-terminated path.
    if unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::X_OK, libc::AT_EACCESS) } != 0 {
        return Err(LookupFailure::PermissionDenied);
    }
    Ok(())
}

/// A connected `SOCK_SEQPACKET` pair, close-on-exec.
fn seqpacket_pair() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid array of two ints for the kernel to fill.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error()).context("socketpair for the gofer");
    }
    // SAFETY: both FDs were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec memfd holding `config` as JSON, positioned at its start.
fn config_memfd(config: &WireConfig) -> Result<OwnedFd> {
    // SAFETY: the name is a NUL-terminated literal.
    let fd = unsafe { libc::memfd_create(c"runsc-boot-config".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()).context("memfd_create for the boot config");
    }
    // SAFETY: fd was just created and is owned by nobody else.
    let mut file = unsafe { File::from_raw_fd(fd) };
    // One write, not one per JSON token.
    let json = serde_json::to_vec(config).context("encoding the boot config")?;
    file.write_all(&json).context("writing the boot config")?;
    file.rewind().context("rewinding the boot config")?;
    Ok(file.into())
}

/// `/proc/self/exe [global flags]`, with `keep` FDs surviving exec and the
/// child killed if runsc dies.
fn self_command(global: &GlobalFlags, keep: Vec<i32>, new_session: bool) -> Command {
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg0("runsc").args(child_global_flags(global));
    // SAFETY: the hook only makes async-signal-safe calls (fcntl, prctl,
    // setsid) and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in &keep {
                sandbox::clear_cloexec(fd)?;
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if new_session && libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Starts `runsc gofer` serving `/` on `sock`. It runs in its own session,
/// so a terminal's ^C reaches only the Sentry; it exits when the socket
/// closes.
fn spawn_gofer(global: &GlobalFlags, sock: &OwnedFd, read_only: bool) -> Result<Child> {
    let n = sock.as_raw_fd();
    let mut cmd = self_command(global, vec![n], true);
    cmd.args(["gofer", "--sock-fd", &n.to_string(), "--root", "/"]);
    if read_only {
        cmd.arg("--read-only");
    }
    cmd.spawn().context("starting runsc gofer (/proc/self/exe)")
}

/// Starts `runsc boot` with the gofer socket, the config and runsc's stdio.
fn spawn_boot(global: &GlobalFlags, sock: &OwnedFd, config: &OwnedFd) -> Result<Child> {
    let (s, c) = (sock.as_raw_fd(), config.as_raw_fd());
    let mut cmd = self_command(global, vec![s, c], false);
    cmd.args([
        "boot",
        "--config-fd",
        &c.to_string(),
        "--gofer-fd",
        &s.to_string(),
    ]);
    cmd.spawn().context("starting runsc boot (/proc/self/exe)")
}

/// Waits a moment for the gofer to notice its socket closed, then kills it.
fn stop_gofer(gofer: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        match gofer.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    tracing::warn!(?status, "runsc gofer failed");
                }
                return;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break,
        }
    }
    tracing::debug!("killing runsc gofer");
    let _ = gofer.kill();
    let _ = gofer.wait();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn env_overrides_replace_and_append() {
        let caller = vec![
            (OsString::from("A"), OsString::from("1")),
            (OsString::from("B"), OsString::from("2")),
        ];
        let env = guest_env(
            caller.into_iter(),
            &[("B".into(), "x=y".into()), ("C".into(), "3".into())],
        );
        assert_eq!(
            env,
            [
                ("A".to_owned(), "1".to_owned()),
                ("B".to_owned(), "x=y".to_owned()),
                ("C".to_owned(), "3".to_owned())
            ]
        );
    }

    #[test]
    fn lookup_finds_sh_in_path() {
        assert!(lookup("sh", "/nonexistent:/bin:/usr/bin", Path::new("/")).is_ok());
    }

    #[test]
    fn lookup_of_missing_command_returns_127() {
        let e = lookup("no-such-command-rvisor", "/bin:/usr/bin", Path::new("/")).unwrap_err();
        assert_eq!(e, LookupFailure::NotFound);
        assert_eq!(e.exit_code(), 127);
        assert_eq!(
            lookup("", "/bin", Path::new("/")),
            Err(LookupFailure::NotFound)
        );
    }

    #[test]
    fn lookup_of_directory_returns_126() {
        let e = lookup("/tmp", "/bin", Path::new("/")).unwrap_err();
        assert_eq!(e, LookupFailure::IsDirectory);
        assert_eq!(e.exit_code(), 126);
    }

    #[test]
    fn lookup_of_non_executable_file_is_permission_denied() {
        let dir = std::env::temp_dir().join(format!("runsc-lookup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("plain");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            lookup("plain", dir.to_str().unwrap(), Path::new("/")),
            Err(LookupFailure::PermissionDenied)
        );
        assert_eq!(
            lookup("./plain", "/bin", &dir),
            Err(LookupFailure::PermissionDenied)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
