//! Starting the Sentry: the configuration `runsc boot` hands over, and the
//! entry point that runs the first guest process to completion.

use std::os::fd::OwnedFd;

/// Which platform runs guest code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformKind {
    /// One traced stub process per address space, `PTRACE_SYSEMU` per syscall.
    Ptrace,
}

/// Everything the Sentry needs to start the first guest process. Host
/// resources arrive as already-open descriptors; the Sentry opens no host
/// path after start-up.
#[derive(Debug)]
pub struct BootConfig {
    /// The program and its arguments; `argv[0]` is resolved against `PATH` in `envv`.
    pub argv: Vec<String>,
    /// The guest's environment, `KEY=VALUE` strings.
    pub envv: Vec<String>,
    /// The guest's initial working directory (absolute, inside the sandbox).
    pub cwd: String,
    /// Connected `SOCK_SEQPACKET` socket to the gofer serving the root filesystem.
    pub gofer: OwnedFd,
    /// Host descriptors that become the guest's FDs 0, 1 and 2.
    pub stdio: [OwnedFd; 3],
    /// Log every guest syscall, strace-style.
    pub strace: bool,
    /// The guest's host name (`uname -n`).
    pub hostname: String,
    /// Which platform to use.
    pub platform: PlatformKind,
}

/// How the first guest process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// It called `exit_group(code)`.
    Exited(u8),
    /// It was killed by signal `.0`.
    Signaled(i32),
}

impl ExitStatus {
    /// The status a launcher should exit with: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => i32::from(c),
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// Why the Sentry could not run the guest at all.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The platform could not be created.
    #[error("platform: {0}")]
    Platform(String),
    /// The program could not be started (not found, not executable, bad ELF).
    #[error("cannot execute {path}: {errno}")]
    Exec {
        /// The path that was tried.
        path: String,
        /// Why it failed.
        errno: abi::Errno,
    },
    /// Something else on the host failed during start-up.
    #[error("{0}")]
    Host(String),
}

/// Runs the guest described by `config` until its first process exits.
///
/// `prepare` is called once the platform exists (its pristine stub forked)
/// and before any guest instruction runs: `runsc boot` uses it to drop
/// capabilities and install the Sentry's host seccomp filter.
pub fn run(
    config: BootConfig,
    prepare: &mut dyn FnMut() -> Result<(), String>,
) -> Result<ExitStatus, BootError> {
    let _ = config;
    prepare().map_err(BootError::Host)?;
    Err(BootError::Host("the Sentry is not built yet".into()))
}
