//! The Sentry's host seccomp filter really is installed before the guest
//! runs: a forbidden system call made right after installing it (the
//! `RVISOR_TEST_FORBIDDEN_SYSCALL` hook in `runsc boot`) kills the Sentry
//! with `SIGSYS`, and `runsc do` reports 128 + 31.

use std::process::Command;

const RUNSC: &str = env!("CARGO_BIN_EXE_runsc");

#[test]
fn forbidden_syscall_kills_the_sentry_with_sigsys() {
    let out = Command::new(RUNSC)
        .args(["do", "/bin/true"])
        .env("RVISOR_TEST_FORBIDDEN_SYSCALL", "1")
        .env_remove("RVISOR_SECCOMP_LOG")
        .output()
        .expect("run runsc");
    assert_eq!(
        out.status.code(),
        Some(128 + libc::SIGSYS),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn seccomp_log_mode_lets_the_forbidden_syscall_through() {
    let out = Command::new(RUNSC)
        .args(["do", "/bin/true"])
        .env("RVISOR_TEST_FORBIDDEN_SYSCALL", "1")
        .env("RVISOR_SECCOMP_LOG", "1")
        .output()
        .expect("run runsc");
    // Not killed: the hook reports that the call was allowed instead.
    assert_ne!(out.status.code(), Some(128 + libc::SIGSYS));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("forbidden openat was allowed"),
        "stderr: {stderr}"
    );
}
