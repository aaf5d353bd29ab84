//! `runsc`'s command line as a user sees it: exit statuses and messages.

use std::process::{Command, Output};

const RUNSC: &str = env!("CARGO_BIN_EXE_runsc");

fn runsc(args: &[&str]) -> Output {
    Command::new(RUNSC).args(args).output().expect("run runsc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn missing_command_exits_127_with_one_line() {
    let o = runsc(&["do", "no-such-command-rvisor"]);
    assert_eq!(o.status.code(), Some(127));
    assert_eq!(
        stderr(&o),
        "runsc: no-such-command-rvisor: command not found\n"
    );
}

#[test]
fn non_executable_file_exits_126() {
    use std::os::unix::fs::PermissionsExt;
    let f = std::env::temp_dir().join(format!("runsc-cli-noexec-{}", std::process::id()));
    std::fs::write(&f, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = runsc(&["do", f.to_str().unwrap()]);
    std::fs::remove_file(&f).unwrap();
    assert_eq!(o.status.code(), Some(126), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with(": permission denied\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unsupported_platform_is_a_clear_error() {
    let o = runsc(&["--platform=kvm", "do", "/bin/true"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "platform kvm is not supported yet; use --platform=systrap or --platform=ptrace"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unimplemented_command_says_so() {
    let o = runsc(&["state", "some-id"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "runsc: command state is not implemented yet\n");
}

#[test]
fn bad_flag_is_a_usage_error() {
    let o = runsc(&["--no-such-flag", "do", "/bin/true"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_lists_runc_commands_but_not_internal_ones() {
    let o = runsc(&["--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    for cmd in [
        "do", "run", "create", "start", "state", "kill", "delete", "spec", "list",
    ] {
        assert!(
            out.contains(&format!("\n  {cmd} ")),
            "missing {cmd} in:\n{out}"
        );
    }
    assert!(!out.contains("\n  boot "));
    assert!(!out.contains("\n  gofer "));
}

#[test]
fn do_runs_a_program_and_returns_its_status() {
    let o = runsc(&["do", "/bin/echo", "hello"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "hello\n");
    let o = runsc(&["do", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
}

#[test]
fn sigterm_to_runsc_ends_the_sandbox_with_143() {
    let mut child = Command::new(RUNSC)
        .args(["do", "sleep", "30"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run runsc");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill takes no pointers; pid is our child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let start = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

/// Every process below `root`, from `/proc`.
fn descendants(root: i32) -> Vec<i32> {
    let mut parent_of: Vec<(i32, i32)> = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command name (which may hold spaces).
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found
}

#[test]
fn a_sandbox_stopped_and_continued_goes_on() {
    // As a shell's job control does to a foreground job (Ctrl-Z, fg): the
    // Sentry's sleeps resume through restart_syscall, which its seccomp
    // filter must allow.
    let mut child = Command::new(RUNSC)
        .args(["do", "sleep", "1"])
        .spawn()
        .expect("run runsc");
    std::thread::sleep(std::time::Duration::from_millis(400));
    let pid = i32::try_from(child.id()).unwrap();
    let all = descendants(pid);
    assert!(all.len() > 2, "no sandbox processes under runsc: {all:?}");
    for sig in [libc::SIGSTOP, libc::SIGCONT] {
        for p in &all {
            // SAFETY: kill takes no pointers; the pids are our descendants.
            unsafe { libc::kill(*p, sig) };
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
