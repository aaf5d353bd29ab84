//! `runsc`: rvisor's one binary. An OCI runtime with runc's and gVisor's
//! command line (most commands still to come), a direct launcher
//! (`runsc do`), and — re-executed by itself — the Sentry (`runsc boot`)
//! and the gofer (`runsc gofer`).
//!
//! Environment variables for debugging:
//! * `RVISOR_LOG` — `tracing` directives replacing the flag-derived levels;
//! * `RVISOR_SECCOMP_LOG=1` — host seccomp filters log instead of killing
//!   (see [`filter`]);
//! * `RVISOR_TEST_FORBIDDEN_SYSCALL=1` — test hook, see [`commands::boot`].

mod cli;
mod commands;
mod config;
mod filter;
mod logging;
mod sandbox;

use clap::Parser;
use cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let name = cli.command.name();
    if let Err(e) = logging::init(&cli.global, name) {
        eprintln!("runsc: {e:#}");
        std::process::exit(1);
    }
    let logs_to_file = cli.global.debug_log.is_some() || cli.global.log.is_some();
    let result = match cli.command {
        Command::Do(args) => commands::do_cmd::run(&cli.global, args),
        Command::Boot(args) => commands::boot::run(&cli.global, args),
        Command::Gofer(args) => commands::gofer::run(&cli.global, args),
        _ => {
            eprintln!("runsc: command {name} is not implemented yet");
            Ok(1)
        }
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            if logs_to_file {
                tracing::error!("{e:#}");
            }
            let prefix = match name {
                "boot" | "gofer" => format!("runsc {name}"),
                _ => "runsc".to_owned(),
            };
            eprintln!("{prefix}: {e:#}");
            1
        }
    };
    std::process::exit(code);
}
