//! Sandbox overhead as ratios to native (and to gVisor when installed).
//!
//! `cargo bench -p tests --bench ratios` builds `tests/bench/bench.c`
//! statically, runs each mode natively, under our `runsc` on the systrap and
//! the ptrace platform (`--platform=systrap|ptrace
//! do` and, when `/usr/bin/runsc` exists, under gVisor's `runsc
//! --platform=ptrace --network=none do`; each run prints its own ns/op
//! (measured inside the guest). It also measures the wall time of a whole
//! `runsc do /bin/true` (median of several runs). Then it prints a table.
//!
//! Tuning (environment):
//! * `RVISOR_BENCH_ITERS` — iterations of every mode in a sandbox;
//!   `RVISOR_BENCH_ITERS_<MODE>` (e.g. `RVISOR_BENCH_ITERS_MMAP1M`) for one.
//! * `RVISOR_BENCH_NATIVE_ITERS` — iterations of every mode natively
//!   (defaults per mode in [`MODES`]).
//! * `RVISOR_BENCH_STARTUP_RUNS` — runs of `runsc do /bin/true` (default 10).
//! * `RVISOR_BENCH_REPEATS` — runs of each mode, of which the median counts
//!   (default 5).
//! * `RVISOR_RUNSC` — our runsc binary (see `tests::find_runsc`).
//!
//! The defaults keep the whole bench within about three minutes at ~70 µs
//! per trapped system call.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::{RunSpec, ScratchDir, build_c, find_runsc, run, target_dir};

/// gVisor's runsc, if installed.
const GVISOR: &str = "/usr/bin/runsc";

/// The benchmark modes with their default iteration counts: (mode, in a
/// sandbox, natively).
const MODES: &[(&str, u64, u64)] = &[
    ("getppid", 2000, 200_000),
    ("openclose", 2000, 20_000),
    ("read4k", 2000, 100_000),
    ("mmap1m", 100, 1000),
    ("forkwait", 50, 2000),
    ("forkexec", 20, 500),
    ("thread", 100, 5000),
    ("futexpp", 300, 20_000),
    ("pipepp", 300, 20_000),
    ("signal", 300, 50_000),
    ("clock", 100_000, 1_000_000),
    ("fault", 2000, 20_000),
];

/// Timeout for one benchmark run.
const BENCH_TIMEOUT: Duration = Duration::from_secs(120);

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a positive integer")),
        Err(_) => default,
    }
}

fn sandbox_iters(mode: &str, default: u64) -> u64 {
    let all = env_u64("RVISOR_BENCH_ITERS", default);
    env_u64(&format!("RVISOR_BENCH_ITERS_{}", mode.to_uppercase()), all)
}

/// gVisor's `do` chowns the host's /dev/null; put it back.
fn restore_dev_null() {
    if let Err(e) = std::os::unix::fs::chown("/dev/null", Some(0), Some(0)) {
        eprintln!("warning: chown root:root /dev/null failed: {e}");
    }
}

/// How to run a command: natively, or through a runsc with leading flags.
#[derive(Clone)]
enum Runner {
    Native,
    Ours(PathBuf, &'static str),
    Gvisor,
}

impl Runner {
    fn spec(&self, program: &Path, args: &[String], cwd: &Path) -> RunSpec {
        let mut spec = RunSpec::new(program, args.iter().cloned(), cwd);
        spec.timeout = BENCH_TIMEOUT;
        match self {
            Runner::Native => spec,
            Runner::Ours(runsc, platform) => spec.in_sandbox(runsc, platform),
            Runner::Gvisor => {
                let mut wrapped = spec.in_sandbox(Path::new(GVISOR), "ptrace");
                wrapped.args.insert(1, "--network=none".into());
                wrapped
            }
        }
    }

    fn after(&self) {
        if matches!(self, Runner::Gvisor) {
            restore_dev_null();
        }
    }
}

/// Runs one benchmark mode `repeats` times; returns the median ns/op or an
/// error message. (Hand-offs between threads on this machine's virtual
/// CPUs vary a lot from run to run: one run says little.)
fn measure(
    runner: &Runner,
    bench: &Path,
    mode: &str,
    iters: u64,
    repeats: u64,
) -> Result<f64, String> {
    let mut v = Vec::new();
    for _ in 0..repeats.max(1) {
        v.push(measure_once(runner, bench, mode, iters)?);
    }
    v.sort_by(f64::total_cmp);
    Ok(v[v.len() / 2])
}

/// Runs one benchmark mode once; returns ns/op or an error message.
fn measure_once(runner: &Runner, bench: &Path, mode: &str, iters: u64) -> Result<f64, String> {
    let dir = ScratchDir::new("bench").map_err(|e| format!("scratch dir: {e}"))?;
    let spec = runner.spec(bench, &[mode.to_string(), iters.to_string()], dir.path());
    let out = run(&spec);
    runner.after();
    let out = out.map_err(|e| e.to_string())?;
    if out.status.shell_code() != Some(0) {
        return Err(format!(
            "{} (stderr: {})",
            out.status,
            out.stderr_str().trim()
        ));
    }
    out.stdout_str()
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("bad output {:?}", out.stdout_str()))
}

/// Median wall time of `runs` runs of `/bin/true`, in nanoseconds.
fn startup(runner: &Runner, runs: u64) -> Result<f64, String> {
    workload(runner, "/bin/true", &[], runs)
}

/// A 300-line C file for the compiler workload.
fn c_source() -> String {
    let mut s = String::from("#include <stdio.h>\n#include <string.h>\n");
    for i in 0..48 {
        s.push_str(&format!(
            "static int f{i}(int x) {{\n\tint acc = {i};\n\tfor (int k = 0; k < x; k++)\n\t\tacc = acc * 31 + (k ^ {i});\n\treturn acc;\n}}\n"
        ));
    }
    s.push_str("int main(void) {\n\tint t = 0;\n");
    for i in 0..48 {
        s.push_str(&format!("\tt += f{i}({i});\n"));
    }
    s.push_str("\tprintf(\"%d\\n\", t);\n\treturn 0;\n}\n");
    s
}

/// Median wall time of `runs` runs of `program args` (in a scratch
/// directory holding `gen300.c`), in nanoseconds.
fn workload(runner: &Runner, program: &str, args: &[&str], runs: u64) -> Result<f64, String> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let dir = ScratchDir::new("bench").map_err(|e| format!("scratch dir: {e}"))?;
        std::fs::write(dir.path().join("gen300.c"), c_source()).map_err(|e| e.to_string())?;
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let spec = runner.spec(Path::new(program), &args, dir.path());
        let out = run(&spec);
        runner.after();
        let out = out.map_err(|e| e.to_string())?;
        if out.status.shell_code() != Some(0) {
            return Err(format!(
                "{} (stderr: {})",
                out.status,
                out.stderr_str().trim()
            ));
        }
        times.push(out.elapsed.as_secs_f64() * 1e9);
    }
    times.sort_by(f64::total_cmp);
    times
        .get(times.len() / 2)
        .copied()
        .ok_or_else(|| "no runs".to_string())
}

fn cell(v: &Result<f64, String>) -> String {
    match v {
        Ok(ns) => format!("{ns:.0}"),
        Err(_) => "error".to_string(),
    }
}

fn ratio(a: &Result<f64, String>, b: &Result<f64, String>) -> String {
    match (a, b) {
        (Ok(a), Ok(b)) if *b > 0.0 => format!("{:.1}x", a / b),
        _ => "-".to_string(),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; like other libtest-style flags it is
    // ignored.
    let target = target_dir(env!("CARGO_TARGET_TMPDIR"));
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/bench.c");
    let bench = target.join("guest/bench/bench");
    if let Err(e) = build_c(&source, &[], &bench, true) {
        eprintln!("cannot build the benchmark program: {e}");
        std::process::exit(1);
    }
    let ours = find_runsc(&target);
    if let Err(e) = &ours {
        eprintln!("ours: {e}");
    }
    let gvisor = Path::new(GVISOR).is_file();
    if !gvisor {
        println!("gVisor: not installed ({GVISOR} missing); skipping its columns");
    }
    let startup_runs = env_u64("RVISOR_BENCH_STARTUP_RUNS", 10).max(1);
    let repeats = env_u64("RVISOR_BENCH_REPEATS", 5).max(1);

    let mut errors = Vec::new();
    let mut note = |who: &str, what: &str, r: &Result<f64, String>| {
        if let Err(e) = r {
            errors.push(format!("{who} {what}: {e}"));
        }
    };
    let mut rows = Vec::new();
    for &(mode, default_iters, default_native) in MODES {
        let iters = sandbox_iters(mode, default_iters);
        let native_iters = env_u64("RVISOR_BENCH_NATIVE_ITERS", default_native);
        let n = measure(&Runner::Native, &bench, mode, native_iters, repeats);
        note("native", mode, &n);
        let o = match &ours {
            Ok(r) => measure(
                &Runner::Ours(r.clone(), "systrap"),
                &bench,
                mode,
                iters,
                repeats,
            ),
            Err(e) => Err(e.clone()),
        };
        note("ours", mode, &o);
        let p = match &ours {
            Ok(r) => measure(
                &Runner::Ours(r.clone(), "ptrace"),
                &bench,
                mode,
                iters,
                repeats,
            ),
            Err(e) => Err(e.clone()),
        };
        note("ours (ptrace)", mode, &p);
        let g = if gvisor {
            let g = measure(&Runner::Gvisor, &bench, mode, iters, repeats);
            note("gVisor", mode, &g);
            Some(g)
        } else {
            None
        };
        rows.push((format!("{mode} (x{iters}, med. of {repeats})"), n, o, p, g));
    }
    let n = startup(&Runner::Native, startup_runs);
    note("native", "startup", &n);
    let o = match &ours {
        Ok(r) => startup(&Runner::Ours(r.clone(), "systrap"), startup_runs),
        Err(e) => Err(e.clone()),
    };
    note("ours", "startup", &o);
    let p = match &ours {
        Ok(r) => startup(&Runner::Ours(r.clone(), "ptrace"), startup_runs),
        Err(e) => Err(e.clone()),
    };
    note("ours (ptrace)", "startup", &p);
    let g = gvisor.then(|| {
        let g = startup(&Runner::Gvisor, startup_runs);
        note("gVisor", "startup", &g);
        g
    });
    rows.push((
        format!("do /bin/true (median of {startup_runs})"),
        n,
        o,
        p,
        g,
    ));

    let wl_runs = env_u64("RVISOR_BENCH_WORKLOAD_RUNS", 3).max(1);
    let workloads: &[(&str, &str, &[&str])] = &[
        ("python3 -c pass", "/usr/bin/python3", &["-c", "pass"]),
        (
            "gcc -O2 (300 lines)",
            "/usr/bin/gcc",
            &["-O2", "-o", "gen300", "gen300.c"],
        ),
        (
            "tar czf /usr/share/doc",
            "/bin/tar",
            &["czf", "doc.tgz", "/usr/share/doc"],
        ),
    ];
    for (name, program, args) in workloads {
        let n = workload(&Runner::Native, program, args, wl_runs);
        note("native", name, &n);
        let o = match &ours {
            Ok(r) => workload(&Runner::Ours(r.clone(), "systrap"), program, args, wl_runs),
            Err(e) => Err(e.clone()),
        };
        note("ours", name, &o);
        let p = match &ours {
            Ok(r) => workload(&Runner::Ours(r.clone(), "ptrace"), program, args, wl_runs),
            Err(e) => Err(e.clone()),
        };
        note("ours (ptrace)", name, &p);
        let g = gvisor.then(|| {
            let g = workload(&Runner::Gvisor, program, args, wl_runs);
            note("gVisor", name, &g);
            g
        });
        rows.push((format!("{name} (median of {wl_runs})"), n, o, p, g));
    }

    println!();
    println!(
        "{:<40} {:>11} {:>11} {:>11} {:>11} {:>9} {:>9} {:>9}",
        "benchmark (ns/op)", "native", "systrap", "ptrace", "gVisor", "sys/nat", "sys/gV", "ptr/gV"
    );
    for (name, n, o, p, g) in &rows {
        let (gcell, gratio, pratio) = match g {
            Some(g) => (cell(g), ratio(o, g), ratio(p, g)),
            None => ("n/a".to_string(), "n/a".to_string(), "n/a".to_string()),
        };
        println!(
            "{:<40} {:>11} {:>11} {:>11} {:>11} {:>9} {:>9} {:>9}",
            name,
            cell(n),
            cell(o),
            cell(p),
            gcell,
            ratio(o, n),
            gratio,
            pratio
        );
    }
    println!();
    if let Ok(r) = &ours {
        match sentry_rss(&Runner::Ours(r.clone(), "systrap"), "runsc-sentry") {
            Ok(kb) => println!(
                "resident memory of our Sentry while the guest sleeps: {:.1} MB",
                kb as f64 / 1024.0
            ),
            Err(e) => println!("resident memory of our Sentry: {e}"),
        }
    }
    if gvisor {
        match sentry_rss(&Runner::Gvisor, "runsc-sandbox") {
            Ok(kb) => println!(
                "resident memory of gVisor's Sentry while the guest sleeps: {:.1} MB",
                kb as f64 / 1024.0
            ),
            Err(e) => println!("resident memory of gVisor's Sentry: {e}"),
        }
    }
    if !errors.is_empty() {
        println!();
        println!("errors:");
        for e in &errors {
            println!("  {e}");
        }
    }
}

/// Runs `sleep 2` in the sandbox and reads the resident memory (kB) of the
/// process whose comm or command line names `marker` (its Sentry).
fn sentry_rss(runner: &Runner, marker: &str) -> Result<u64, String> {
    let dir = ScratchDir::new("bench").map_err(|e| format!("scratch dir: {e}"))?;
    let spec = runner.spec(Path::new("/bin/sleep"), &["2".to_string()], dir.path());
    let handle = std::thread::spawn(move || run(&spec));
    std::thread::sleep(Duration::from_millis(1200));
    let mut best = None;
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let p = e.path();
            let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
            let cmd = std::fs::read(p.join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if comm.trim() == marker || cmd.starts_with(marker) {
                let status = std::fs::read_to_string(p.join("status")).unwrap_or_default();
                let rss = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
                if let Some(kb) = rss {
                    best = Some(best.map_or(kb, |b: u64| b.max(kb)));
                }
            }
        }
    }
    let _ = handle.join();
    runner.after();
    best.ok_or_else(|| format!("no {marker} process found"))
}
