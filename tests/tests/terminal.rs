//! Programs on a terminal: `tty/job_control.c` runs as the leader of a
//! session whose controlling terminal is a fresh pseudo-terminal (stdin,
//! stdout and stderr), natively and then as `runsc do` on each platform;
//! what it prints on the terminal and its status must match.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::{build_c, platform_flags, platforms, target_dir, workspace_root};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A pseudo-terminal pair: (master, slave).
fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut m, mut s) = (-1, -1);
    // SAFETY: out-pointers to two ints; the other arguments may be null.
    let r = unsafe {
        libc::openpty(
            &mut m,
            &mut s,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both FDs were just opened and are owned here.
    unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) }
}

/// Runs `program args` on a new terminal; returns what it printed there
/// and its exit status.
fn on_terminal(program: &Path, args: &[String]) -> (String, Option<i32>) {
    let (master, slave) = open_pty();
    let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup"));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(stdio(&slave))
        .stdout(stdio(&slave))
        .stderr(stdio(&slave));
    // SAFETY: the closure runs in the child between fork and exec and
    // makes only async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn on a terminal");
    // Only the child may hold the slave side now, or the master never
    // reads end-of-file (the command keeps copies of its stdio).
    drop(cmd);
    drop(slave);
    let mut master = std::fs::File::from(master);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once every holder of the slave side is gone.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        let _ = tx.send(out);
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > TIMEOUT {
            // SAFETY: kills the session we made (its leader's pid is its id).
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.kill();
            panic!("{} {args:?} timed out on a terminal", program.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // A process left holding the terminal would keep the output open.
    let out = rx
        .recv_timeout(
            TIMEOUT
                .saturating_sub(start.elapsed())
                .max(Duration::from_secs(1)),
        )
        .unwrap_or_else(|_| panic!("{} {args:?}: the terminal stayed open", program.display()));
    (String::from_utf8_lossy(&out).into_owned(), status.code())
}

fn job_control_program() -> PathBuf {
    let target = target_dir(env!("CARGO_TARGET_TMPDIR"));
    let source = workspace_root().join("tests/tty/job_control.c");
    let out = target.join("guest/tty/job_control");
    build_c(&source, &[], &out, false).unwrap_or_else(|e| panic!("{e}"));
    out
}

#[test]
fn job_control_on_the_controlling_terminal_matches_native() {
    let program = job_control_program();
    let native = on_terminal(&program, &[]);
    assert_eq!(native.1, Some(0), "native run failed:\n{}", native.0);
    let runsc = tests::built_runsc(env!("CARGO_TARGET_TMPDIR"));
    for platform in platforms() {
        let mut args = platform_flags(&platform);
        args.push("do".into());
        args.push(program.display().to_string());
        let sandbox = on_terminal(&runsc, &args);
        assert_eq!(
            sandbox, native,
            "on {platform}: the sandbox's terminal output (left) differs from native (right)"
        );
    }
    assert!(native.0.contains("stopped by"), "{}", native.0);
}
