//! Runs a program in the Sentry without namespaces or filters, with the
//! gofer in a thread: a debugging aid for Sentry developers.
//! Usage: cargo run -p sentry --example direct -- /bin/echo hello

use std::os::fd::{FromRawFd, OwnedFd};

fn main() {
    tracing_subscriber_init();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid array of two ints.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    assert_eq!(r, 0);
    // SAFETY: both FDs are fresh and ours.
    let (a, b) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let root: OwnedFd = std::fs::File::open("/").expect("open /").into();
    std::thread::spawn(move || gofer::serve(b, root, gofer::ServerOptions { read_only: true }));
    let dup = |fd: i32| -> OwnedFd {
        // SAFETY: dup of a standard FD.
        unsafe { OwnedFd::from_raw_fd(libc::dup(fd)) }
    };
    let config = sentry::boot::BootConfig {
        argv,
        envv: std::env::vars().map(|(k, v)| format!("{k}={v}")).collect(),
        cwd: std::env::current_dir()
            .expect("cwd")
            .to_string_lossy()
            .into_owned(),
        gofer: a,
        stdio: [dup(0), dup(1), dup(2)],
        strace: std::env::var("STRACE").is_ok(),
        hostname: "rvisor".into(),
        platform: sentry::boot::PlatformKind::Ptrace,
        syscall_patching: false,
        systrap_seccomp: false,
    };
    match sentry::boot::run(config, &mut || Ok(())) {
        Ok(s) => std::process::exit(s.shell_code()),
        Err(e) => {
            eprintln!("direct: {e}");
            std::process::exit(127);
        }
    }
}

fn tracing_subscriber_init() {}
