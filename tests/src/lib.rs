//! End-to-end test support: building the C guest programs, finding `runsc`,
//! running a command natively or in the sandbox with a timeout, and comparing
//! the two runs.
//!
//! Everything here is host-side plumbing for the `guest` and `workloads` test
//! targets and the `ratios` bench; it never links the Sentry itself. The
//! contract with the sandbox is only the command line
//! `runsc --platform=P do --cwd DIR CMD ARGS...`, the exit status (the guest's
//! status, or 128+N when the guest was killed by signal N) and the guest's
//! stdout/stderr.
//!
//! Every run gets the same small, fixed environment ([`guest_env`]) and a
//! fresh scratch directory under `/tmp` ([`ScratchDir`]), natively and in the
//! sandbox alike, so that guest programs can write files and still print the
//! same output on both sides.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Platforms every guest test runs on unless `RVISOR_PLATFORMS` says
/// otherwise. `systrap-trapping` is systrap with syscall-site patching off
/// (every system call traps); `systrap-seccomp` traps through its seccomp
/// fallback instead of syscall user dispatch.
pub const DEFAULT_PLATFORMS: &[&str] =
    &["systrap", "ptrace", "systrap-trapping", "systrap-seccomp"];

/// The `runsc` flags that select a platform name of [`platforms`].
pub fn platform_flags(platform: &str) -> Vec<String> {
    match platform {
        "systrap-trapping" => vec![
            "--platform=systrap".into(),
            "--systrap-patching=false".into(),
        ],
        "systrap-seccomp" => vec!["--platform=systrap".into(), "--systrap-seccomp".into()],
        p => vec![format!("--platform={p}")],
    }
}

/// How long one run (native or sandboxed) may take before it is killed.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// Flags every guest program is compiled with (plus `-static` for the static
/// build).
pub const GCC_FLAGS: &[&str] = &["-O1", "-Wall", "-D_GNU_SOURCE"];

/// The platforms to test: `RVISOR_PLATFORMS` (comma-separated) if set and
/// non-empty, else [`DEFAULT_PLATFORMS`].
pub fn platforms() -> Vec<String> {
    match std::env::var("RVISOR_PLATFORMS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
        _ => DEFAULT_PLATFORMS.iter().map(|p| p.to_string()).collect(),
    }
}

/// The first platform of [`platforms`], for tests that run on one.
pub fn first_platform() -> String {
    platforms()
        .into_iter()
        .next()
        .expect("RVISOR_PLATFORMS names at least one platform")
}

/// Our built `runsc` for a test or bench; pass `env!("CARGO_TARGET_TMPDIR")`.
/// Panics with the reason when it cannot be found.
pub fn built_runsc(cargo_target_tmpdir: &str) -> PathBuf {
    find_runsc(&target_dir(cargo_target_tmpdir)).unwrap_or_else(|e| panic!("{e}"))
}

/// The workspace root (the parent of this crate's manifest directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The cargo target directory, derived from `CARGO_TARGET_TMPDIR`
/// (`<target>/tmp`), which cargo sets when compiling integration tests and
/// benches. Pass `env!("CARGO_TARGET_TMPDIR")`.
pub fn target_dir(cargo_target_tmpdir: &str) -> PathBuf {
    let tmp = Path::new(cargo_target_tmpdir);
    tmp.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Locates our `runsc`: `$RVISOR_RUNSC`, else `<target>/release/runsc` if it
/// exists, else `<target>/debug/runsc`. Errors with a message saying how to
/// build it when none exists.
pub fn find_runsc(target: &Path) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("RVISOR_RUNSC") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "RVISOR_RUNSC={} does not name an existing file",
                path.display()
            ))
        };
    }
    let release = target.join("release/runsc");
    if release.is_file() {
        return Ok(release);
    }
    let debug = target.join("debug/runsc");
    if debug.is_file() {
        return Ok(debug);
    }
    Err(format!(
        "runsc not found: neither {} nor {} exists and RVISOR_RUNSC is unset; \
         build it with `cargo build --release -p runsc`",
        release.display(),
        debug.display()
    ))
}

/// The fixed environment every run (native and sandboxed) gets.
pub fn guest_env() -> Vec<(String, String)> {
    vec![
        (
            "PATH".into(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        ),
        ("HOME".into(), "/root".into()),
        ("LANG".into(), "C".into()),
        ("LC_ALL".into(), "C".into()),
        ("RVISOR_GUEST".into(), "1".into()),
    ]
}

/// Host variables passed through to `runsc` itself (not part of
/// [`guest_env`]), so that its logging can be turned on while testing.
const RUNSC_PASSTHROUGH_ENV: &[&str] = &["RUST_LOG", "RUST_BACKTRACE"];

/// A fresh directory `/tmp/rvisor-<tag>-<pid>-<n>/work`, removed (with its
/// parent) on drop. The last component is always `work`, so a guest may print
/// the basename of its working directory.
#[derive(Debug)]
pub struct ScratchDir {
    parent: PathBuf,
    work: PathBuf,
}

impl ScratchDir {
    /// Creates a new scratch directory; `tag` only makes the name readable.
    pub fn new(tag: &str) -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tag: String = tag
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let parent = PathBuf::from(format!("/tmp/rvisor-{tag}-{}-{n}", std::process::id()));
            match fs::create_dir(&parent) {
                Ok(()) => {
                    let work = parent.join("work");
                    fs::create_dir(&work)?;
                    return Ok(ScratchDir { parent, work });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The directory to use as the working directory.
    pub fn path(&self) -> &Path {
        &self.work
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.parent);
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Normal exit with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
    /// Killed by us after [`RUN_TIMEOUT`] (or the given timeout).
    TimedOut,
}

impl Status {
    /// The status as a shell would report it: the exit code, or 128+N for a
    /// signal. `runsc do` reports a guest killed by signal N this way.
    pub fn shell_code(self) -> Option<i32> {
        match self {
            Status::Exited(c) => Some(c),
            Status::Signaled(s) => Some(128 + s),
            Status::TimedOut => None,
        }
    }

    fn from_exit(status: ExitStatus) -> Self {
        match (status.code(), status.signal()) {
            (Some(c), _) => Status::Exited(c),
            (None, Some(s)) => Status::Signaled(s),
            (None, None) => Status::Exited(-1),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Exited(c) => write!(f, "exit {c}"),
            Status::Signaled(s) => write!(f, "signal {s} (shell status {})", 128 + s),
            Status::TimedOut => write!(f, "timed out"),
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// How it ended.
    pub status: Status,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
    /// Wall-clock time from spawn to exit.
    pub elapsed: Duration,
}

impl RunOutput {
    /// stdout as (lossy) UTF-8.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as (lossy) UTF-8.
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// What to run and how.
#[derive(Debug)]
pub struct RunSpec {
    /// The program.
    pub program: PathBuf,
    /// Its arguments (not including argv\[0\]).
    pub args: Vec<OsString>,
    /// Working directory.
    pub cwd: PathBuf,
    /// The complete environment (the host's is cleared).
    pub env: Vec<(String, String)>,
    /// Kill after this long.
    pub timeout: Duration,
    /// Where stdout goes; `None` captures it.
    pub stdout_file: Option<fs::File>,
}

impl RunSpec {
    /// A spec for `program args...` in `cwd` with [`guest_env`] and
    /// [`RUN_TIMEOUT`].
    pub fn new<I, S>(program: impl Into<PathBuf>, args: I, cwd: &Path) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        RunSpec {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            cwd: cwd.to_path_buf(),
            env: guest_env(),
            timeout: RUN_TIMEOUT,
            stdout_file: None,
        }
    }

    /// The same command wrapped as `runsc --platform=P do --cwd CWD CMD...`.
    /// `runsc` gets the same environment plus a few logging variables.
    pub fn in_sandbox(&self, runsc: &Path, platform: &str) -> RunSpec {
        let mut args: Vec<OsString> = platform_flags(platform)
            .into_iter()
            .map(OsString::from)
            .collect();
        args.extend([
            "do".into(),
            "--cwd".into(),
            self.cwd.clone().into_os_string(),
            self.program.clone().into_os_string(),
        ]);
        args.extend(self.args.iter().cloned());
        let mut env = self.env.clone();
        for key in RUNSC_PASSTHROUGH_ENV {
            if let Ok(v) = std::env::var(key) {
                env.push(((*key).to_string(), v));
            }
        }
        RunSpec {
            program: runsc.to_path_buf(),
            args,
            cwd: self.cwd.clone(),
            env,
            timeout: self.timeout,
            stdout_file: self.stdout_file.as_ref().and_then(|f| f.try_clone().ok()),
        }
    }
}

/// Reads a pipe to the end on a helper thread; the receiver gets the bytes.
fn drain<R: Read + Send + 'static>(mut r: R) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// Runs `spec` in its own process group with stdin from `/dev/null`,
/// capturing stdout (unless redirected to a file) and stderr. On timeout the
/// whole process group is killed with `SIGKILL`.
pub fn run(spec: &RunSpec) -> io::Result<RunOutput> {
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0);
    match &spec.stdout_file {
        Some(f) => cmd.stdout(Stdio::from(f.try_clone()?)),
        None => cmd.stdout(Stdio::piped()),
    };
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot start {}: {e}", spec.program.display()),
        )
    })?;
    let pgid = child.id();
    let out_rx = child.stdout.take().map(drain);
    let err_rx = child.stderr.take().map(drain);
    let deadline = start + spec.timeout;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Status::from_exit(st);
        }
        if Instant::now() >= deadline {
            kill_group(pgid);
            let _ = child.wait();
            break Status::TimedOut;
        }
        thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    // A descendant outside the process group may keep a pipe open: do not
    // wait for it for long.
    let grace = Duration::from_secs(2);
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.map(|rx| rx.recv_timeout(grace).unwrap_or_default())
            .unwrap_or_default()
    };
    let stdout = collect(out_rx);
    let stderr = collect(err_rx);
    if status != Status::TimedOut {
        // Leave no stray children of a finished run behind.
        kill_group(pgid);
    }
    Ok(RunOutput {
        status,
        stdout,
        stderr,
        elapsed,
    })
}

fn kill_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and has no memory effects; a
    // negative pid addresses the process group we created with
    // `process_group(0)`, whose id is the child's pid.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// A side-by-side report of the first lines where `native` and `sandbox`
/// differ, in a unified-diff-like form (`-` native, `+` sandbox); empty when
/// they are equal.
pub fn first_diff(native: &str, sandbox: &str) -> String {
    let a: Vec<&str> = native.lines().collect();
    let b: Vec<&str> = sandbox.lines().collect();
    let Some(first) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) else {
        if native == sandbox {
            return String::new();
        }
        return "outputs differ only in trailing newline\n".to_string();
    };
    let from = first.saturating_sub(3);
    let mut out = format!("@@ first difference at line {} @@\n", first + 1);
    for line in &a[from..first] {
        out.push_str(&format!(" {line}\n"));
    }
    const SHOW: usize = 12;
    for line in a.iter().skip(first).take(SHOW) {
        out.push_str(&format!("-{line}\n"));
    }
    if a.len() > first + SHOW {
        out.push_str(&format!(
            "-... ({} more native lines)\n",
            a.len() - first - SHOW
        ));
    }
    for line in b.iter().skip(first).take(SHOW) {
        out.push_str(&format!("+{line}\n"));
    }
    if b.len() > first + SHOW {
        out.push_str(&format!(
            "+... ({} more sandbox lines)\n",
            b.len() - first - SHOW
        ));
    }
    out
}

/// Compares a native and a sandboxed run: same stdout, same shell status.
/// The error message shows the diff and the sandbox's stderr.
pub fn compare_runs(native: &RunOutput, sandbox: &RunOutput) -> Result<(), String> {
    let mut problems = String::new();
    if sandbox.status == Status::TimedOut {
        problems.push_str("sandbox run timed out\n");
    } else if native.status.shell_code() != sandbox.status.shell_code() {
        problems.push_str(&format!(
            "status differs: native {}, sandbox {}\n",
            native.status, sandbox.status
        ));
    }
    if native.stdout != sandbox.stdout {
        problems.push_str("stdout differs (- native, + sandbox):\n");
        problems.push_str(&first_diff(&native.stdout_str(), &sandbox.stdout_str()));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let stderr = sandbox.stderr_str();
    problems.push_str(&format!(
        "native {}, sandbox {}\n--- sandbox stderr ---\n{}",
        native.status,
        sandbox.status,
        if stderr.trim().is_empty() {
            "(empty)\n".to_string()
        } else {
            tail(&stderr, 40)
        }
    ));
    Err(problems)
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let from = lines.len().saturating_sub(n);
    let mut out = lines[from..].join("\n");
    out.push('\n');
    out
}

/// Whether `out` is missing or older than any of `inputs`.
pub fn needs_rebuild(out: &Path, inputs: &[&Path]) -> bool {
    let Ok(out_meta) = fs::metadata(out) else {
        return true;
    };
    let out_time = (out_meta.mtime(), out_meta.mtime_nsec());
    inputs.iter().any(|i| match fs::metadata(i) {
        Ok(m) => (m.mtime(), m.mtime_nsec()) >= out_time,
        Err(_) => true,
    })
}

/// Compiles `source` into `out` with gcc ([`GCC_FLAGS`], plus `-static` when
/// `static_link`), unless `out` is newer than `source` and `deps`. Writes to a
/// temporary name first so a concurrent reader never sees half a binary.
pub fn build_c(source: &Path, deps: &[&Path], out: &Path, static_link: bool) -> Result<(), String> {
    let mut inputs = vec![source];
    inputs.extend_from_slice(deps);
    if !needs_rebuild(out, &inputs) {
        return Ok(());
    }
    let dir = out
        .parent()
        .ok_or_else(|| format!("bad output path {}", out.display()))?;
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let mut cmd = Command::new("gcc");
    cmd.args(GCC_FLAGS);
    if static_link {
        cmd.arg("-static");
    }
    cmd.arg("-o").arg(&tmp).arg(source);
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run gcc (is it installed?): {e}"))?;
    if !output.status.success() {
        let _ = fs::remove_file(&tmp);
        return Err(format!(
            "gcc failed for {}:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    fs::rename(&tmp, out).map_err(|e| format!("rename to {}: {e}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_diff_when_equal_returns_empty() {
        assert_eq!(first_diff("a\nb\n", "a\nb\n"), "");
    }

    #[test]
    fn first_diff_when_line_differs_shows_both_sides() {
        let d = first_diff("a\nb\nc\n", "a\nx\nc\n");
        assert!(d.contains("line 2"), "{d}");
        assert!(d.contains("-b\n"), "{d}");
        assert!(d.contains("+x\n"), "{d}");
    }

    #[test]
    fn shell_code_when_signaled_is_128_plus_n() {
        assert_eq!(Status::Signaled(9).shell_code(), Some(137));
        assert_eq!(Status::Exited(3).shell_code(), Some(3));
    }

    #[test]
    fn run_when_timeout_kills_and_reports() {
        let dir = ScratchDir::new("unit").expect("scratch dir");
        let mut spec = RunSpec::new("/bin/sleep", ["10"], dir.path());
        spec.timeout = Duration::from_millis(200);
        let out = run(&spec).expect("run sleep");
        assert_eq!(out.status, Status::TimedOut);
    }

    #[test]
    fn run_captures_stdout_and_status() {
        let dir = ScratchDir::new("unit").expect("scratch dir");
        let spec = RunSpec::new("/bin/sh", ["-c", "echo hi; exit 3"], dir.path());
        let out = run(&spec).expect("run sh");
        assert_eq!(out.stdout, b"hi\n");
        assert_eq!(out.status, Status::Exited(3));
    }
}
