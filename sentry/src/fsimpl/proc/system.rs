//! Files directly under `/proc` that describe the whole sandbox (cpuinfo,
//! meminfo, uptime, loadavg, stat, version...) and `/proc/sys`.

use std::sync::Arc;

use super::Gen;
use crate::kernel::Kernel;
use crate::kernel::process::lock;
use crate::vfs::{Inode, Time};

/// Regular files directly under `/proc`.
pub(super) const ROOT_FILES: [&str; 8] = [
    "cpuinfo",
    "meminfo",
    "uptime",
    "loadavg",
    "version",
    "filesystems",
    "stat",
    "cmdline",
];

/// Seconds since boot with two decimals, rounded up (a sandbox that just
/// booted has been up for more than 0).
fn uptime(k: &Kernel) -> String {
    let cs = k.boot_time.elapsed().as_nanos().div_ceil(10_000_000);
    format!("{}.{:02}", cs / 100, cs % 100)
}

/// The generator of regular file `name` directly under `/proc`.
pub(super) fn root_file(name: &str) -> Option<Gen> {
    let g: Gen = match name {
        "cpuinfo" => Arc::new(|k, _| cpuinfo(k.cpus)),
        "meminfo" => Arc::new(|_, _| {
            b"MemTotal:        4194304 kB\nMemFree:         3145728 kB\nMemAvailable:    3145728 kB\nBuffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n".to_vec()
        }),
        "uptime" => Arc::new(|k, _| {
            let up = uptime(k);
            format!("{up} {up}\n").into_bytes()
        }),
        "loadavg" => Arc::new(|k, _| {
            let tasks = lock(&k.tasks);
            let total = tasks.threads.len().max(1);
            let last = tasks
                .threads
                .keys()
                .chain(tasks.groups.keys())
                .max()
                .copied()
                .unwrap_or(1);
            // Running: the reader, at least.
            format!("0.00 0.00 0.00 1/{total} {last}\n").into_bytes()
        }),
        "version" => Arc::new(|k, _| {
            format!(
                "Linux version {} (rvisor) {}\n",
                String::from_utf8_lossy(&k.uts.0),
                String::from_utf8_lossy(&k.uts.1)
            )
            .into_bytes()
        }),
        "filesystems" => Arc::new(|_, _| {
            b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\nnodev\toverlay\n".to_vec()
        }),
        "stat" => Arc::new(|k, _| {
            let btime = Time::now().sec - k.boot_time.elapsed().as_secs() as i64;
            let (nprocs, running) = {
                let t = lock(&k.tasks);
                (t.groups.len(), t.threads.len().max(1))
            };
            let mut out = String::from("cpu  0 0 0 0 0 0 0 0 0 0\n");
            for i in 0..k.cpus.max(1) {
                out.push_str(&format!("cpu{i} 0 0 0 0 0 0 0 0 0 0\n"));
            }
            out.push_str(&format!("intr 0\nctxt 0\nbtime {btime}\nprocesses {nprocs}\nprocs_running {running}\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n"));
            out.into_bytes()
        }),
        "cmdline" => Arc::new(|_, _| b"BOOT_IMAGE=/vmlinuz\n".to_vec()),
        _ => return None,
    };
    Some(g)
}

fn cpuinfo(n: usize) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            "processor\t: {i}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: rvisor virtual CPU\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2\n\n"
        ));
    }
    out.into_bytes()
}

/// `/proc/sys`: fixed kernel parameters as Linux reports them by default.
pub(super) static SYS: std::sync::OnceLock<Arc<dyn Inode>> = std::sync::OnceLock::new();

/// Builds `/proc/sys` (once, at boot).
pub fn build_sys(memory: Arc<crate::mm::MemoryFile>, hostname: &[u8], release: &[u8]) {
    use crate::fsimpl::tmpfs::{TmpDir, TmpFile};
    use crate::vfs::Creation;
    let dir_c = Creation {
        mode: 0o555,
        uid: 0,
        gid: 0,
    };
    let file_c = Creation {
        mode: 0o644,
        uid: 0,
        gid: 0,
    };
    let line = |v: &[u8]| {
        let mut l = v.to_vec();
        l.push(b'\n');
        l
    };
    type Files<'a> = &'a [(&'a str, Vec<u8>)];
    let tree: &[(&str, Files)] = &[
        (
            "fs",
            &[
                ("pipe-max-size", line(b"1048576")),
                ("file-max", line(b"9223372036854775807")),
                ("nr_open", line(b"1048576")),
            ],
        ),
        (
            "kernel",
            &[
                ("hostname", line(hostname)),
                ("osrelease", line(release)),
                ("ostype", line(b"Linux")),
                ("pid_max", line(b"4194304")),
                ("threads-max", line(b"126864")),
                ("ngroups_max", line(b"65536")),
                ("cap_last_cap", line(b"40")),
                ("core_pattern", line(b"core")),
                ("overflowuid", line(b"65534")),
                ("overflowgid", line(b"65534")),
            ],
        ),
        (
            "vm",
            &[
                ("overcommit_memory", line(b"0")),
                ("max_map_count", line(b"65530")),
                ("mmap_min_addr", line(b"65536")),
            ],
        ),
        ("net", &[]),
    ];
    let sys = TmpDir::new(memory.clone(), dir_c);
    for (dir, files) in tree {
        let d = TmpDir::new(memory.clone(), dir_c);
        for (name, body) in files.iter() {
            let f = TmpFile::new(memory.clone(), file_c);
            if f.fill(body, 0).is_ok() {
                let _ = crate::vfs::Inode::setattr(
                    f.as_ref(),
                    crate::vfs::SetAttr {
                        size: Some(body.len() as u64),
                        ..Default::default()
                    },
                );
                d.add(name.as_bytes(), f);
            }
        }
        sys.add(dir.as_bytes(), d);
    }
    let _ = SYS.set(sys);
}
