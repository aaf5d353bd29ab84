//! Workload tests: real programs from the host run natively and under
//! `runsc --platform=P do` (P is the first of [`tests::platforms`]); their
//! stdout and status must match. Plus the sandbox's promises towards the host:
//! writes stay in the overlay, `..` and symlinks cannot leave the root, the
//! host's stdio files are left as they were, and clear errors for commands
//! that cannot run.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tests::{RunOutput, RunSpec, ScratchDir, Status, compare_runs, run};

/// Serializes the tests: each sandbox pins CPUs, and the machine has two.
static SERIAL: Mutex<()> = Mutex::new(());

fn runsc() -> PathBuf {
    tests::built_runsc(env!("CARGO_TARGET_TMPDIR"))
}

fn platform() -> String {
    tests::first_platform()
}

fn native(spec: &RunSpec) -> RunOutput {
    run(spec).unwrap_or_else(|e| panic!("native run of {}: {e}", spec.program.display()))
}

fn sandboxed(spec: &RunSpec) -> RunOutput {
    let spec = spec.in_sandbox(&runsc(), &platform());
    run(&spec).unwrap_or_else(|e| panic!("sandbox run: {e}"))
}

/// Runs `program args` natively and in the sandbox (each in its own scratch
/// directory) and asserts equal stdout and status.
fn same_as_native(program: &str, args: &[&str]) {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let n_dir = ScratchDir::new("wl").expect("scratch dir");
    let s_dir = ScratchDir::new("wl").expect("scratch dir");
    let n = native(&RunSpec::new(program, args.iter().copied(), n_dir.path()));
    assert!(
        n.status.shell_code().is_some(),
        "{program} {args:?} timed out natively"
    );
    let s = sandboxed(&RunSpec::new(program, args.iter().copied(), s_dir.path()));
    if let Err(e) = compare_runs(&n, &s) {
        panic!("{program} {args:?}: sandbox differs from native:\n{e}");
    }
}

/// Runs the same command natively and in the sandbox in one given directory
/// (for commands that only read it) and asserts equal stdout and status.
fn same_as_native_in(dir: &Path, program: &str, args: &[&str]) {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let spec = RunSpec::new(program, args.iter().copied(), dir);
    let n = native(&spec);
    let s = sandboxed(&spec);
    if let Err(e) = compare_runs(&n, &s) {
        panic!("{program} {args:?}: sandbox differs from native:\n{e}");
    }
}

#[test]
fn bin_true_exits_zero() {
    same_as_native("/bin/true", &[]);
}

#[test]
fn bin_false_exits_one() {
    same_as_native("/bin/false", &[]);
}

#[test]
fn echo_prints_arguments() {
    same_as_native("/bin/echo", &["hello", "world"]);
}

#[test]
fn cat_os_release() {
    same_as_native("/bin/cat", &["/etc/os-release"]);
}

#[test]
fn ls_la_usr() {
    same_as_native("/bin/ls", &["-la", "/usr"]);
}

/// Release, version and node name may legitimately differ in a sandbox;
/// kernel name, machine and OS must not.
#[test]
fn uname_kernel_machine_os() {
    same_as_native("/bin/uname", &["-s", "-m", "-o"]);
}

#[test]
fn env_with_controlled_environment() {
    same_as_native("/usr/bin/env", &["-i", "A=1", "B=2", "/usr/bin/env"]);
}

#[test]
fn sh_arithmetic() {
    same_as_native("/bin/sh", &["-c", "echo $((6*7))"]);
}

#[test]
fn sh_exit_status_propagates() {
    same_as_native("/bin/sh", &["-c", "echo before; exit 7"]);
}

#[test]
fn python3_sum() {
    same_as_native("/usr/bin/python3", &["-c", "print(sum(range(10)))"]);
}

#[test]
fn sha256sum_of_50_mb_file() {
    let dir = ScratchDir::new("sha").expect("scratch dir");
    let path = dir.path().join("big.bin");
    let mut f = fs::File::create(&path).expect("create big.bin");
    let mut block = vec![0u8; 1 << 20];
    for i in 0..50u32 {
        for (j, b) in block.iter_mut().enumerate() {
            // A cheap, position-dependent pattern (truncation intended).
            *b = (j as u32).wrapping_mul(31).wrapping_add(i) as u8;
        }
        f.write_all(&block).expect("write big.bin");
    }
    drop(f);
    same_as_native_in(dir.path(), "/usr/bin/sha256sum", &["big.bin"]);
}

/// The sandbox's root is an overlay: writing, creating and deleting files
/// inside it leaves the host's files as they were.
#[test]
fn writes_stay_in_the_overlay() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("overlay").expect("scratch dir");
    let keep = dir.path().join("keep.txt");
    let other = dir.path().join("other.txt");
    fs::write(&keep, "original\n").expect("write keep.txt");
    fs::write(&other, "other\n").expect("write other.txt");
    let script = "echo changed > keep.txt && rm other.txt && echo new > created.txt \
                  && mkdir newdir && cat keep.txt created.txt && ls";
    let s = sandboxed(&RunSpec::new("/bin/sh", ["-c", script], dir.path()));
    assert_eq!(
        (s.status, s.stdout_str().as_str()),
        (
            Status::Exited(0),
            "changed\nnew\ncreated.txt\nkeep.txt\nnewdir\n"
        ),
        "the script must see its own writes; stderr:\n{}",
        s.stderr_str()
    );
    assert_eq!(
        fs::read_to_string(&keep).expect("read keep.txt"),
        "original\n",
        "host file was modified by the sandbox"
    );
    assert!(other.exists(), "host file was deleted by the sandbox");
    assert!(
        !dir.path().join("created.txt").exists(),
        "sandbox created a file on the host"
    );
    assert!(
        !dir.path().join("newdir").exists(),
        "sandbox created a directory on the host"
    );
}

/// `..` above the root and symlinks pointing far upwards resolve to the
/// sandbox's root, exactly as they do natively; a write through them stays
/// in the overlay.
#[test]
fn dotdot_and_symlink_escapes_stay_inside() {
    let dir = ScratchDir::new("escape").expect("scratch dir");
    std::os::unix::fs::symlink("../../../../../../../../../../..", dir.path().join("up"))
        .expect("symlink up");
    std::os::unix::fs::symlink("/../../../etc/os-release", dir.path().join("abs"))
        .expect("symlink abs");
    let script = "cd /../../.. && pwd -P && cd \"$OLDPWD\" && cd up && pwd -P && cd \"$OLDPWD\" \
                  && readlink -f up && head -n 1 abs && head -n 1 up/etc/os-release \
                  && ls -d up/../../tmp";
    same_as_native_in(dir.path(), "/bin/sh", &["-c", script]);

    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let marker = format!("rvisor-escape-marker-{}", std::process::id());
    let host_marker = Path::new("/tmp").join(&marker);
    let _ = fs::remove_file(&host_marker);
    let script = format!("echo x > up/tmp/{marker} && cat /tmp/{marker}");
    let s = sandboxed(&RunSpec::new(
        "/bin/sh",
        ["-c", script.as_str()],
        dir.path(),
    ));
    assert_eq!(
        (s.status, s.stdout_str().as_str()),
        (Status::Exited(0), "x\n"),
        "stderr:\n{}",
        s.stderr_str()
    );
    let leaked = host_marker.exists();
    let _ = fs::remove_file(&host_marker);
    assert!(
        !leaked,
        "a write through an escaping symlink reached the host's /tmp"
    );
}

/// A regular file given as stdout is written at its current offset, like a
/// shell's `>>`-less redirection of an already-written descriptor.
#[test]
fn stdout_file_written_at_current_offset() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("stdout").expect("scratch dir");
    let mut results = Vec::new();
    for sandbox in [false, true] {
        let path = dir.path().join(format!("out-{sandbox}"));
        let mut f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .expect("create stdout file");
        f.write_all(b"abc").expect("write abc");
        let mut spec = RunSpec::new("/bin/echo", ["hello"], dir.path());
        spec.stdout_file = Some(f.try_clone().expect("clone stdout file"));
        let out = if sandbox {
            sandboxed(&spec)
        } else {
            native(&spec)
        };
        assert_eq!(
            out.status,
            Status::Exited(0),
            "stderr:\n{}",
            out.stderr_str()
        );
        let mut content = String::new();
        f.seek(SeekFrom::Start(0)).expect("rewind");
        f.read_to_string(&mut content).expect("read stdout file");
        results.push(content);
    }
    assert_eq!(results[0], "abchello\n", "native run");
    assert_eq!(results[1], results[0], "sandbox run differs from native");
}

/// Owner and mode of /dev/null and of a stdout file are as before a run
/// (gVisor is known to chown the host's /dev/null).
#[test]
fn host_stdio_files_keep_owner_and_mode() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("owner").expect("scratch dir");
    let path = dir.path().join("out");
    let f = fs::File::create(&path).expect("create stdout file");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod stdout file");
    let meta = |p: &Path| {
        let m = fs::metadata(p).unwrap_or_else(|e| panic!("stat {}: {e}", p.display()));
        (m.uid(), m.gid(), m.mode())
    };
    let null_before = meta(Path::new("/dev/null"));
    let out_before = meta(&path);
    let mut spec = RunSpec::new("/bin/echo", ["x"], dir.path());
    spec.stdout_file = Some(f);
    let s = sandboxed(&spec);
    assert_eq!(s.status, Status::Exited(0), "stderr:\n{}", s.stderr_str());
    assert_eq!(
        meta(Path::new("/dev/null")),
        null_before,
        "/dev/null owner/mode changed"
    );
    assert_eq!(meta(&path), out_before, "stdout file owner/mode changed");
}

fn assert_one_error_line(s: &RunOutput, what: &str) {
    assert!(
        matches!(s.status.shell_code(), Some(c) if c != 0),
        "{what}: want a non-zero status, got {}",
        s.status
    );
    let stderr = s.stderr_str();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: want exactly one error line on stderr, got:\n{stderr}"
    );
}

#[test]
fn missing_command_gives_one_error_line() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("missing").expect("scratch dir");
    let s = sandboxed(&RunSpec::new(
        "/nonexistent/rvisor-no-such-command",
        Vec::<String>::new(),
        dir.path(),
    ));
    assert_one_error_line(&s, "missing command");
    assert!(
        s.stderr_str().contains("rvisor-no-such-command"),
        "the error should name the command:\n{}",
        s.stderr_str()
    );
}

#[test]
fn non_executable_file_gives_one_error_line() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("noexec").expect("scratch dir");
    let path = dir.path().join("not-executable");
    fs::write(&path, "#!/bin/sh\necho should not run\n").expect("write file");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod 644");
    let s = sandboxed(&RunSpec::new(&path, Vec::<String>::new(), dir.path()));
    assert_one_error_line(&s, "non-executable file");
    assert!(
        !s.stdout_str().contains("should not run"),
        "the file was executed"
    );
}

/// A guest that dies of a signal makes runsc exit with 128+N. The guest is
/// PID 1 of the sandbox's PID namespace, so, as on Linux, signals it sends
/// itself without a handler are ignored (`kill $$` does nothing to a
/// container's init); a fault still kills it.
#[test]
fn guest_killed_by_signal_gives_128_plus_n() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("signal").expect("scratch dir");
    let spec = RunSpec::new(
        "/usr/bin/python3",
        ["-c", "import ctypes; ctypes.string_at(0)"],
        dir.path(),
    );
    let n = native(&spec);
    assert_eq!(
        n.status,
        Status::Signaled(11),
        "native python dies of SIGSEGV"
    );
    let s = sandboxed(&spec);
    assert_eq!(
        s.status,
        Status::Exited(128 + 11),
        "runsc must exit 128+11 when the guest dies of SIGSEGV; stderr:\n{}",
        s.stderr_str()
    );
}
