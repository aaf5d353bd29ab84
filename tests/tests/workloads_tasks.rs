//! Workloads of many processes and threads: shell scripts (dash and
//! busybox), a compiler driver, make, Python's threading, subprocess and
//! multiprocessing, strace and ps inside the sandbox. Each runs natively and
//! under `runsc do` with the same files; stdout and status must match.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tests::{RunOutput, RunSpec, ScratchDir, compare_runs, run};

/// Serializes the tests: each sandbox pins CPUs, and the machine has two.
static SERIAL: Mutex<()> = Mutex::new(());

fn runsc() -> PathBuf {
    tests::built_runsc(env!("CARGO_TARGET_TMPDIR"))
}

fn platform() -> String {
    tests::first_platform()
}

/// Writes `files` into a fresh directory, runs `program args` there
/// natively, then again in a second fresh copy under the sandbox, and
/// compares.
fn same_as_native(files: &[(&str, &str)], program: &str, args: &[&str]) -> RunOutput {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let setup = |dir: &Path| {
        for (name, body) in files {
            let p = dir.join(name);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(&p, body).expect("write file");
        }
    };
    let n_dir = ScratchDir::new("wlt").expect("scratch dir");
    let s_dir = ScratchDir::new("wlt").expect("scratch dir");
    setup(n_dir.path());
    setup(s_dir.path());
    let n = run(&RunSpec::new(program, args.iter().copied(), n_dir.path()))
        .unwrap_or_else(|e| panic!("native {program}: {e}"));
    assert!(
        n.status.shell_code() == Some(0),
        "{program} {args:?} failed natively: {}",
        n.stderr_str()
    );
    let spec =
        RunSpec::new(program, args.iter().copied(), s_dir.path()).in_sandbox(&runsc(), &platform());
    let s = run(&spec).unwrap_or_else(|e| panic!("sandbox {program}: {e}"));
    if let Err(e) = compare_runs(&n, &s) {
        panic!("{program} {args:?}: sandbox differs from native:\n{e}");
    }
    s
}

const SCRIPT: &str = r#"
set -e
trap 'echo trapped USR1' USR1
echo "pipeline: $(printf 'b\na\nc\n' | sort | tr 'a-z' 'A-Z' | head -n 2 | tr '\n' ' ')"
x=$( (echo sub; echo shell) | wc -l )
echo "subshell lines: $x"
( cd /; echo "in subshell: $(pwd)" )
echo "still in: $(basename "$(pwd)")"
sleep 0.2 & p1=$!
(sleep 0.1; exit 3) & p2=$!
wait $p1; echo "first: $?"
set +e
wait $p2; echo "second: $?"
set -e
kill -USR1 $$
for i in 1 2 3; do echo "loop $i"; done | cat -n
f() { echo "func $1"; return 4; }
f arg || echo "func status: $?"
echo done > out.txt; cat out.txt
"#;

#[test]
fn dash_script_with_pipelines_subshells_traps_and_jobs() {
    same_as_native(&[("s.sh", SCRIPT)], "/bin/sh", &["s.sh"]);
}

#[test]
fn busybox_sh_script() {
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let busybox =
        busybox.expect("busybox is installed (.ci/run installs it: apt-get install busybox)");
    same_as_native(&[("s.sh", SCRIPT)], busybox, &["sh", "s.sh"]);
}

const MAIN_C: &str = r#"
#include <stdio.h>
#include "lib.h"
int main(void) {
    long t = 0;
    for (int i = 0; i < 1000; i++) t += square(i) % 7;
    printf("total %ld, fib(20) %ld, %s\n", t, fib(20), greeting());
    return 0;
}
"#;
const LIB_H: &str = "long square(long);\nlong fib(int);\nconst char *greeting(void);\n";
const LIB1_C: &str = "#include \"lib.h\"\nlong square(long x) { return x * x; }\nlong fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n";
const LIB2_C: &str =
    "#include \"lib.h\"\nconst char *greeting(void) { return \"hello from lib2\"; }\n";

#[test]
fn gcc_compiles_links_and_runs_a_multi_file_program() {
    same_as_native(
        &[
            ("main.c", MAIN_C),
            ("lib.h", LIB_H),
            ("lib1.c", LIB1_C),
            ("lib2.c", LIB2_C),
        ],
        "/bin/sh",
        &["-c", "gcc -O2 -Wall -o prog main.c lib1.c lib2.c && ./prog"],
    );
}

const MAKEFILE: &str = "prog: main.o lib1.o lib2.o\n\tgcc -o prog main.o lib1.o lib2.o\n%.o: %.c lib.h\n\tgcc -O2 -c $< -o $@\n";

#[test]
fn make_j2_builds_a_small_project() {
    same_as_native(
        &[
            ("main.c", MAIN_C),
            ("lib.h", LIB_H),
            ("lib1.c", LIB1_C),
            ("lib2.c", LIB2_C),
            ("Makefile", MAKEFILE),
        ],
        "/bin/sh",
        &["-c", "make -s -j2 && ./prog"],
    );
}

const PY: &str = r#"
import os, signal, subprocess, threading, time, multiprocessing

def sq(x):
    return x * x

def main():
    results = []
    lock = threading.Lock()
    def work(i):
        with lock:
            results.append(i * i)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
    print("threads", sorted(results))

    print("subprocess", subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout.strip())
    print("pipe", subprocess.run("printf 'x\ny\n' | wc -l", shell=True, capture_output=True, text=True).stdout.strip())

    pid = os.fork()
    if pid == 0:
        os._exit(5)
    _, status = os.waitpid(pid, 0)
    print("fork", os.WEXITSTATUS(status))

    got = []
    signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
    os.kill(os.getpid(), signal.SIGUSR1)
    print("signal", got)

    ticks = []
    signal.signal(signal.SIGALRM, lambda s, f: ticks.append(s))
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    deadline = time.time() + 5
    while len(ticks) < 3 and time.time() < deadline:
        time.sleep(0.01)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("itimer", len(ticks) >= 3)

    with multiprocessing.Pool(4) as p:
        print("pool", p.map(sq, range(10)))
    # The other start methods: a fresh interpreter per worker, and a fork
    # server reached over a Unix socket that passes file descriptors. (The
    # script's work stays under the main guard: those workers import it.)
    for method in ("spawn", "forkserver"):
        with multiprocessing.get_context(method).Pool(2) as p:
            print(method, p.map(sq, range(4)))

if __name__ == "__main__":
    main()
"#;

#[test]
fn python_threads_subprocess_fork_signals_and_pool() {
    same_as_native(&[("t.py", PY)], "/usr/bin/python3", &["t.py"]);
}

const TRACED_C: &str =
    "#include <unistd.h>\nint main(void) { write(1, \"traced\\n\", 7); return 0; }\n";

#[test]
fn strace_follows_a_program_inside_the_sandbox() {
    // The trace itself goes to stderr (pids differ); stdout and status must match.
    same_as_native(
        &[("p.c", TRACED_C)],
        "/bin/sh",
        &[
            "-c",
            "gcc -O1 -o p p.c && strace -f -e trace=write -o trace.txt ./p && grep -c 'write(1, \"traced' trace.txt",
        ],
    );
}

#[test]
fn ps_lists_exactly_the_sandbox_processes() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = ScratchDir::new("ps").expect("scratch dir");
    let spec = RunSpec::new(
        "/bin/sh",
        ["-c", "sleep 5 & ps -e -o pid=,comm= ; kill $!"],
        dir.path(),
    )
    .in_sandbox(&runsc(), &platform());
    let s = run(&spec).unwrap_or_else(|e| panic!("sandbox ps: {e}"));
    let out = s.stdout_str();
    let mut procs: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_owned(), it.next()?.to_owned()))
        })
        .collect();
    procs.sort();
    let names: Vec<&str> = procs.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(
        procs.first().map(|(p, c)| (p.as_str(), c.as_str())),
        Some(("1", "sh")),
        "ps output:\n{out}"
    );
    assert_eq!(procs.len(), 3, "sh, sleep and ps only; got:\n{out}");
    assert!(
        names.contains(&"sleep") && names.contains(&"ps"),
        "ps output:\n{out}"
    );
}

#[test]
fn kill_minus_one_kills_only_guest_processes() {
    let _guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // A host process the guest could name by pid if pids leaked.
    let mut host = std::process::Command::new("/bin/sleep")
        .arg("30")
        .spawn()
        .expect("spawn host sleep");
    let dir = ScratchDir::new("kill").expect("scratch dir");
    let script = format!(
        "sleep 30 & sleep 30 & kill -KILL -1; kill -0 {} 2>/dev/null && echo host-visible; wait; echo survived",
        host.id()
    );
    let spec = RunSpec::new("/bin/sh", ["-c", script.as_str()], dir.path())
        .in_sandbox(&runsc(), &platform());
    let s = run(&spec).unwrap_or_else(|e| panic!("sandbox run: {e}"));
    let alive = host.try_wait().expect("try_wait").is_none();
    let _ = host.kill();
    let _ = host.wait();
    assert!(alive, "a host process was killed from inside the sandbox");
    assert_eq!(
        s.stdout_str(),
        "survived\n",
        "init survives kill(-1), its children die; stderr: {}",
        s.stderr_str()
    );
}

const CRASH_C: &str = "#include <stdio.h>\nint f(int x) { return 10 / x; }\nint main(void) { printf(\"%d\\n\", f(0)); return 0; }\n";

#[test]
fn gdb_runs_a_program_and_shows_the_backtrace_of_its_crash() {
    same_as_native(
        &[("crash.c", CRASH_C)],
        "/bin/sh",
        &[
            "-c",
            "gcc -g -O0 -o crash crash.c && gdb -batch -ex run -ex bt ./crash 2>/dev/null",
        ],
    );
}
