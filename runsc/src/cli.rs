//! The command line: gVisor-compatible global flags and runc-shaped
//! subcommands, parsed with clap.
//!
//! Global flags go before the command, as with gVisor's `runsc`:
//! `runsc [global flags] COMMAND [command flags]`. Boolean flags also accept
//! Go's `--flag=true|false` spelling.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `runsc`: the rvisor runtime.
#[derive(Parser, Debug)]
#[command(
    name = "runsc",
    version,
    about = "rvisor: run programs under a user-space application kernel",
    long_about = None
)]
pub struct Cli {
    /// Flags that apply to every command.
    #[command(flatten)]
    pub global: GlobalFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The global flags, spelled as gVisor spells them.
#[derive(Args, Debug, Clone)]
pub struct GlobalFlags {
    /// Directory holding container state.
    #[arg(long, value_name = "DIR", default_value = "/var/run/runsc")]
    pub root: PathBuf,
    /// Which platform runs guest code.
    #[arg(long, value_enum, default_value_t = Platform::Systrap)]
    pub platform: Platform,
    /// On systrap, rewrite trapped `mov $nr, %eax; syscall` sites into
    /// jumps that enter the Sentry without a signal (`false`: every
    /// syscall traps).
    #[arg(long = "systrap-patching", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true", action = clap::ArgAction::Set)]
    pub systrap_patching: bool,
    /// On systrap, trap system calls with a seccomp filter (the fallback
    /// for hosts without syscall user dispatch, Linux < 5.11) even where
    /// the host has dispatch.
    #[arg(long = "systrap-seccomp", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub systrap_seccomp: bool,
    /// Networking mode (only `none` behaviour exists: the sandbox has no network).
    #[arg(long, value_enum, default_value_t = Network::Sandbox)]
    pub network: Network,
    /// Log at debug level.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub debug: bool,
    /// Write logs of every runsc process to files in this directory.
    #[arg(long = "debug-log", value_name = "DIR")]
    pub debug_log: Option<PathBuf>,
    /// Log every guest system call (log target `strace`).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub strace: bool,
    /// Write the log to this file instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Log line format.
    #[arg(long = "log-format", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Run without privileges (root in the sandbox maps to the invoking user; always the case today).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub rootless: bool,
    /// Do not configure cgroups (accepted; cgroups are not used yet).
    #[arg(long = "ignore-cgroups", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub ignore_cgroups: bool,
    /// Overlay configuration for the root filesystem (`none` lets the guest
    /// write to the host through the gofer; anything else keeps the gofer
    /// read-only and writes in the Sentry's memory).
    #[arg(long, value_name = "VALUE", default_value = "root:memory")]
    pub overlay2: String,
    /// File access mode (accepted; only `exclusive` behaviour exists).
    #[arg(
        long = "file-access",
        value_name = "VALUE",
        default_value = "exclusive"
    )]
    pub file_access: String,
}

/// `--platform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Platform {
    /// `PTRACE_SYSEMU` on stub processes.
    Ptrace,
    /// Seccomp traps in stub processes (not implemented yet).
    Systrap,
    /// Hardware virtualisation (not implemented yet).
    Kvm,
}

impl Platform {
    /// The flag's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Ptrace => "ptrace",
            Platform::Systrap => "systrap",
            Platform::Kvm => "kvm",
        }
    }
}

/// `--network`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Network {
    /// The Sentry's own network stack (today: no network at all).
    Sandbox,
    /// The host's network (today: no network at all).
    Host,
    /// No network.
    None,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a program in a new sandbox whose root is the host's root (read-only
    /// unless --overlay2=none).
    Do(DoArgs),
    /// Create and start a container (not implemented yet).
    Run(Unimplemented),
    /// Create a container (not implemented yet).
    Create(Unimplemented),
    /// Start a created container (not implemented yet).
    Start(Unimplemented),
    /// Print a container's state (not implemented yet).
    State(Unimplemented),
    /// Send a signal to a container (not implemented yet).
    Kill(Unimplemented),
    /// Delete a container (not implemented yet).
    Delete(Unimplemented),
    /// Run a process in a running container (not implemented yet).
    Exec(Unimplemented),
    /// List a container's processes (not implemented yet).
    Ps(Unimplemented),
    /// List containers (not implemented yet).
    List(Unimplemented),
    /// Write a default OCI spec (not implemented yet).
    Spec(Unimplemented),
    /// Print container events (not implemented yet).
    Events(Unimplemented),
    /// Wait for a container to exit (not implemented yet).
    Wait(Unimplemented),
    /// Pause a container (not implemented yet).
    Pause(Unimplemented),
    /// Resume a paused container (not implemented yet).
    Resume(Unimplemented),
    /// Checkpoint a container (not implemented yet).
    Checkpoint(Unimplemented),
    /// Restore a container (not implemented yet).
    Restore(Unimplemented),
    /// Internal: run the Sentry.
    #[command(hide = true)]
    Boot(BootArgs),
    /// Internal: run a gofer.
    #[command(hide = true)]
    Gofer(GoferArgs),
}

impl Command {
    /// The command's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Do(_) => "do",
            Command::Run(_) => "run",
            Command::Create(_) => "create",
            Command::Start(_) => "start",
            Command::State(_) => "state",
            Command::Kill(_) => "kill",
            Command::Delete(_) => "delete",
            Command::Exec(_) => "exec",
            Command::Ps(_) => "ps",
            Command::List(_) => "list",
            Command::Spec(_) => "spec",
            Command::Events(_) => "events",
            Command::Wait(_) => "wait",
            Command::Pause(_) => "pause",
            Command::Resume(_) => "resume",
            Command::Checkpoint(_) => "checkpoint",
            Command::Restore(_) => "restore",
            Command::Boot(_) => "boot",
            Command::Gofer(_) => "gofer",
        }
    }
}

/// Arguments of a command that does not exist yet: anything is accepted.
#[derive(Args, Debug)]
pub struct Unimplemented {
    /// Ignored.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., hide = true)]
    pub args: Vec<String>,
}

/// `runsc do`.
#[derive(Args, Debug)]
pub struct DoArgs {
    /// The guest's working directory (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Set an environment variable in the guest (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// The program and its arguments.
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 1..
    )]
    pub command: Vec<String>,
}

/// `runsc boot` (internal).
#[derive(Args, Debug)]
pub struct BootArgs {
    /// FD holding the JSON boot configuration.
    #[arg(long = "config-fd", value_name = "FD")]
    pub config_fd: i32,
    /// FD of the gofer socket for the root filesystem.
    #[arg(long = "gofer-fd", value_name = "FD")]
    pub gofer_fd: i32,
}

/// `runsc gofer` (internal).
#[derive(Args, Debug)]
pub struct GoferArgs {
    /// FD of the socket to serve.
    #[arg(long = "sock-fd", value_name = "FD")]
    pub sock_fd: i32,
    /// The directory to serve as the sandbox's root.
    #[arg(long, value_name = "DIR")]
    pub root: PathBuf,
    /// Refuse every change to the filesystem.
    #[arg(long = "read-only")]
    pub read_only: bool,
}

/// Parses `KEY=VALUE` for `--env`.
fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn do_takes_trailing_args_with_hyphens() {
        let cli =
            Cli::try_parse_from(["runsc", "--debug", "do", "--env", "A=b", "ls", "-l", "--x"])
                .unwrap();
        assert!(cli.global.debug);
        let Command::Do(d) = cli.command else {
            panic!()
        };
        assert_eq!(d.command, ["ls", "-l", "--x"]);
        assert_eq!(d.env, [("A".to_owned(), "b".to_owned())]);
    }

    #[test]
    fn go_style_bool_is_accepted() {
        let cli = Cli::try_parse_from(["runsc", "--debug=false", "--strace=true", "list"]).unwrap();
        assert!(!cli.global.debug);
        assert!(cli.global.strace);
    }

    #[test]
    fn env_without_equals_is_a_usage_error() {
        assert!(Cli::try_parse_from(["runsc", "do", "--env", "A", "ls"]).is_err());
    }

    #[test]
    fn unimplemented_commands_accept_any_arguments() {
        assert!(Cli::try_parse_from(["runsc", "run", "--bundle", "/b", "id"]).is_ok());
    }
}
