//! Guest tests: every `tests/guest/*.c` built static and dynamic, run
//! natively (which must exit 0) and then under `runsc --platform=P do` for
//! each platform; stdout and exit status must match the native run.
//!
//! Trials are named `<program>::<static|dynamic>::<platform>`, so
//! `cargo test -p tests --test guest -- file_rw` runs one program.
//!
//! A program's first line may be `// args: A B C` (extra arguments, split on
//! whitespace) or `// static-only` (no dynamic build).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use libtest_mimic::{Arguments, Failed, Trial};
use tests::{RunSpec, ScratchDir, build_c, compare_runs, find_runsc, platforms, run, target_dir};

/// One guest program and what its first line declares.
#[derive(Debug, Clone)]
struct Program {
    name: String,
    source: PathBuf,
    args: Vec<String>,
    static_only: bool,
}

/// The two ways each program is linked.
const LINKAGES: &[(&str, bool)] = &[("static", true), ("dynamic", false)];

fn discover(guest_dir: &Path) -> Vec<Program> {
    let mut programs = Vec::new();
    let entries = fs::read_dir(guest_dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", guest_dir.display()));
    for entry in entries {
        let path = entry.expect("reading guest directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("c") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("guest program names are UTF-8")
            .to_string();
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let first = text.lines().next().unwrap_or("").trim();
        let mut args = Vec::new();
        let mut static_only = false;
        if let Some(rest) = first.strip_prefix("// args:") {
            args = rest.split_whitespace().map(String::from).collect();
        } else if first == "// static-only" {
            static_only = true;
        }
        programs.push(Program {
            name,
            source: path,
            args,
            static_only,
        });
    }
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    programs
}

/// Builds every (program, linkage) on as many threads as there are CPUs;
/// returns the build result per binary path.
fn build_all(
    jobs: Vec<(PathBuf, PathBuf, bool)>,
    header: &Path,
) -> Vec<(PathBuf, Result<(), String>)> {
    let queue = Arc::new(Mutex::new(jobs));
    let results = Arc::new(Mutex::new(Vec::new()));
    let workers = thread::available_parallelism().map_or(2, |n| n.get());
    thread::scope(|s| {
        for _ in 0..workers {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            s.spawn(move || {
                loop {
                    let job = queue.lock().expect("build queue lock").pop();
                    let Some((source, out, static_link)) = job else {
                        break;
                    };
                    let r = build_c(&source, &[header], &out, static_link);
                    results.lock().expect("build results lock").push((out, r));
                }
            });
        }
    });
    Arc::try_unwrap(results)
        .expect("build threads finished")
        .into_inner()
        .expect("build results lock")
}

fn run_trial(
    binary: &Path,
    build: &Result<(), String>,
    args: &[String],
    runsc: &Result<PathBuf, String>,
    platform: &str,
    label: &str,
) -> Result<(), Failed> {
    build.clone()?;
    let native_dir = ScratchDir::new(label).map_err(|e| format!("scratch dir: {e}"))?;
    let native = run(&RunSpec::new(binary, args, native_dir.path()))
        .map_err(|e| format!("native run: {e}"))?;
    if native.status.shell_code() != Some(0) {
        return Err(format!(
            "the test fails natively ({}), so it is wrong, not the sandbox:\n--- stdout ---\n{}--- stderr ---\n{}",
            native.status,
            tests::tail(&native.stdout_str(), 40),
            native.stderr_str()
        )
        .into());
    }
    let runsc = runsc.clone()?;
    let sandbox_dir = ScratchDir::new(label).map_err(|e| format!("scratch dir: {e}"))?;
    let sandbox_spec = RunSpec::new(binary, args, sandbox_dir.path()).in_sandbox(&runsc, platform);
    let sandbox = run(&sandbox_spec).map_err(|e| format!("sandbox run: {e}"))?;
    compare_runs(&native, &sandbox).map_err(Failed::from)
}

fn main() {
    let args = Arguments::from_args();
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let guest_dir = crate_dir.join("guest");
    let header = guest_dir.join("guest.h");
    let target = target_dir(env!("CARGO_TARGET_TMPDIR"));
    let out_dir = target.join("guest");
    let programs = discover(&guest_dir);

    let binary = |p: &Program, linkage: &str| out_dir.join(linkage).join(&p.name);
    let mut jobs = Vec::new();
    for p in &programs {
        for &(linkage, static_link) in LINKAGES {
            if p.static_only && !static_link {
                continue;
            }
            jobs.push((p.source.clone(), binary(p, linkage), static_link));
        }
    }
    // `--list` only names the trials; do not compile for it.
    let builds: Vec<(PathBuf, Result<(), String>)> = if args.list {
        Vec::new()
    } else {
        build_all(jobs, &header)
    };
    let build_result = |path: &Path| -> Result<(), String> {
        builds
            .iter()
            .find(|(p, _)| p == path)
            .map_or_else(|| Ok(()), |(_, r)| r.clone())
    };

    let runsc = find_runsc(&target);
    let known = std::fs::read_to_string(crate_dir.join("known_failures.txt")).unwrap_or_default();
    let known: Vec<String> = known
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let mut trials = Vec::new();
    for p in &programs {
        for &(linkage, static_link) in LINKAGES {
            if p.static_only && !static_link {
                continue;
            }
            let bin = binary(p, linkage);
            let build = build_result(&bin);
            for platform in platforms() {
                let name = format!("{}::{linkage}::{platform}", p.name);
                let (bin, build, runsc, prog_args) =
                    (bin.clone(), build.clone(), runsc.clone(), p.args.clone());
                let label = format!("{}-{linkage}", p.name);
                let ignored = known.contains(&format!("{}::{linkage}", p.name));
                trials.push(
                    Trial::test(name, move || {
                        run_trial(&bin, &build, &prog_args, &runsc, &platform, &label)
                    })
                    .with_ignored_flag(ignored),
                );
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
