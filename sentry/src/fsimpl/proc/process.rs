//! `/proc/PID`: the snapshot of a process that its files are generated
//! from, and the generated files themselves (stat, status, statm, maps,
//! cmdline, environ, auxv, limits, io, fdinfo).

use std::sync::Arc;
use std::time::Instant;

use abi::Errno;

use super::Gen;
use super::smaps::PageKind;
use crate::kernel::process::lock;
use crate::kernel::{Kernel, TaskHandle, ThreadGroup};
use crate::mm::{Backing, Vma, VmaName};

/// `USER_HZ`: the unit of times in `/proc/PID/stat`.
const CLK_TCK: u64 = 100;
const PAGE: u64 = 4096;

/// A snapshot of one process (or one of its threads) for `/proc/PID`.
#[derive(Clone)]
pub(super) struct ProcessView {
    /// Process id.
    pub(super) pid: i32,
    /// The thread described: the leader's tid for the process's files.
    pub(super) tid: i32,
    /// Parent's pid (0 for init).
    pub(super) ppid: i32,
    /// Number of threads.
    pub(super) threads: usize,
    /// State letter of `/proc/PID/stat` (`R`, `S`, `T`, `Z`).
    pub(super) state: char,
    /// Process group.
    pub(super) pgid: i32,
    /// Session.
    pub(super) sid: i32,
    /// Address space; `None` once the process has exited.
    pub(super) mm: Option<Arc<crate::mm::MemoryManager>>,
    /// FD table; `None` once the process has exited.
    pub(super) fds: Option<crate::vfs::FdTable>,
    /// Executable path.
    pub(super) exe: Vec<u8>,
    /// The thread's name.
    pub(super) comm: Vec<u8>,
    /// Working directory path.
    pub(super) cwd: Vec<u8>,
    /// Whether same-user processes may inspect it ([`TgState::dumpable`]).
    ///
    /// [`TgState::dumpable`]: crate::kernel::process::TgState::dumpable
    pub(super) dumpable: bool,
    /// Identity.
    pub(super) creds: crate::kernel::Credentials,
    /// The thread's blocked signals.
    pub(super) blocked: u64,
    /// Thread-directed and process-directed pending signals.
    pub(super) pending: (u64, u64),
    /// Ignored signals.
    pub(super) ignored: u64,
    /// Caught signals.
    pub(super) caught: u64,
    /// Signal sent to the parent at exit.
    pub(super) exit_signal: i32,
    /// When the process was created.
    pub(super) start: Instant,
    /// CPU time of the thread (or the whole process), ns.
    pub(super) cpu: u64,
    /// CPU time of reaped children, ns.
    pub(super) cpu_children: (u64, u64),
    /// Resource limits.
    pub(super) rlimits: [(u64, u64); 16],
    /// The process tracing the thread (0: none).
    pub(super) tracer_pid: i32,
}

/// Regular files of `/proc/PID` as `readdir` lists them (`comm` and
/// `mem` have nodes of their own, the rest come from [`pid_file`]).
pub(super) const PID_FILES: [&str; 14] = [
    "cmdline",
    "environ",
    "comm",
    "status",
    "stat",
    "statm",
    "maps",
    "smaps",
    "smaps_rollup",
    "mem",
    "mounts",
    "limits",
    "io",
    "auxv",
];

/// Ticks (`USER_HZ`) in `ns` nanoseconds.
fn ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / CLK_TCK)
}

/// A view of process `tg`; of its thread `tid` unless 0.
pub(super) fn view_of(tg: &Arc<ThreadGroup>, tid: i32) -> Result<ProcessView, Errno> {
    let want = if tid == 0 { tg.pid } else { tid };
    let s = tg.lock();
    let thread: Option<Arc<TaskHandle>> = s.threads.iter().find(|t| t.tid == want).cloned();
    if tid != 0 && thread.is_none() {
        return Err(Errno::ENOENT);
    }
    let state = if s.zombie.is_some() {
        'Z'
    } else if s.stopped.is_some() {
        'T'
    } else if crate::kernel::current().0 == want {
        'R'
    } else {
        'S'
    };
    let mut v = ProcessView {
        pid: tg.pid,
        tid: want,
        ppid: s.parent.as_ref().map_or(0, |p| p.pid),
        threads: s.threads.len(),
        state,
        pgid: s.pgid,
        sid: s.sid,
        mm: if s.zombie.is_some() {
            None
        } else {
            s.mm.clone()
        },
        fds: if s.zombie.is_some() {
            None
        } else {
            s.fds.clone()
        },
        exe: s.exe.clone(),
        comm: s.comm.clone(),
        cwd: s.cwd.clone(),
        creds: s.creds,
        dumpable: s.dumpable,
        blocked: 0,
        pending: (0, s.pending.set),
        ignored: 0,
        caught: 0,
        exit_signal: s.exit_signal,
        start: tg.start,
        cpu: 0,
        cpu_children: s.cpu_children,
        rlimits: s.rlimits,
        tracer_pid: 0,
    };
    drop(s);
    if let Some(t) = &thread {
        let st = lock(&t.state);
        if !st.comm.is_empty() {
            v.comm = st.comm.clone();
        }
        v.blocked = st.mask;
        v.pending.0 = st.pending.set;
    }
    for (i, a) in lock(&tg.actions).iter().enumerate() {
        match a.sa_handler {
            0 => {}
            1 => v.ignored |= 1 << i,
            _ => v.caught |= 1 << i,
        }
    }
    v.cpu = match (&thread, &v.mm) {
        (Some(t), Some(mm)) if tid != 0 => crate::kernel::timers::thread_cpu_ns(t),
        _ => crate::kernel::timers::process_cpu_ns(tg),
    };
    Ok(v)
}

fn read_mem(v: &ProcessView, which: bool) -> Vec<u8> {
    let Some(mm) = &v.mm else {
        return Vec::new();
    };
    let range = if which {
        mm.arg_env().0
    } else {
        mm.arg_env().1
    };
    let len = range.1.saturating_sub(range.0).min(1 << 20) as usize;
    let mut b = vec![0u8; len];
    let n = mm.copy_in_partial(range.0, &mut b);
    b.truncate(n);
    b
}

/// The line `maps` shows for `m`, without the newline (Linux's
/// `show_map_vma`): range, permissions, offset, device, inode, then the
/// name from column 73; a nameless mapping's line ends in a space.
pub(super) fn vma_header(m: &Vma) -> String {
    let p = |b: bool, c: char| if b { c } else { '-' };
    let (dev, ino, name) = match (&m.name, &m.backing) {
        (VmaName::File { dev, ino, path }, _) => (*dev, *ino, path.as_str()),
        // Shared anonymous memory is a file of Linux's internal tmpfs
        // (device 0:1), named after the `/dev/zero` its setup pretends to
        // map; the inode number here names the pages.
        (VmaName::Anonymous, Backing::Private(r)) if m.shared => {
            (1, r.offset / PAGE, "/dev/zero (deleted)")
        }
        (VmaName::Heap, _) => (0, 0, "[heap]"),
        (VmaName::Stack, _) => (0, 0, "[stack]"),
        (VmaName::Vvar, _) => (0, 0, "[vvar]"),
        (VmaName::Vdso, _) => (0, 0, "[vdso]"),
        (VmaName::Anonymous, _) => (0, 0, ""),
    };
    // Only a mapping of a file (shared anonymous memory included) has an
    // offset; private anonymous memory shows 0.
    let file_backed = matches!(m.name, VmaName::File { .. })
        || (m.shared && matches!(m.name, VmaName::Anonymous));
    let offset = if file_backed { m.offset } else { 0 };
    let prefix = format!(
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        m.start,
        m.end,
        p(m.prot.read, 'r'),
        p(m.prot.write, 'w'),
        p(m.prot.exec, 'x'),
        if m.shared { 's' } else { 'p' },
        offset,
        (dev >> 8) & 0xfff,
        dev & 0xff,
        ino
    );
    named(prefix, name)
}

/// `prefix` with `name` after it at column 73 (`seq_pad`: at least one
/// space between them), or `prefix` alone for no name.
pub(super) fn named(prefix: String, name: &str) -> String {
    if name.is_empty() {
        prefix
    } else {
        format!("{prefix:<72} {name}")
    }
}

fn maps(v: &ProcessView) -> Vec<u8> {
    let mut out = String::new();
    let Some(mm) = &v.mm else {
        return Vec::new();
    };
    for m in mm.vmas() {
        out.push_str(&vma_header(&m));
        out.push('\n');
    }
    out.into_bytes()
}

/// Memory use of a process, in bytes.
#[derive(Default)]
struct MemStats {
    size: u64,
    rss: u64,
    /// Resident pages by kind: `RssAnon`, `RssFile`, `RssShmem`.
    anon: u64,
    file: u64,
    shmem: u64,
    text: u64,
    data: u64,
    stack: u64,
    start_code: u64,
    end_code: u64,
    start_stack: u64,
}

fn mem_stats(v: &ProcessView) -> MemStats {
    let mut m = MemStats::default();
    let Some(mm) = &v.mm else {
        return m;
    };
    let host_files = mm.space().maps_host_files();
    for vma in mm.vmas() {
        let len = vma.end - vma.start;
        m.size += len;
        let rss = vma.resident(mm.file(), host_files);
        m.rss += rss;
        match PageKind::of(&vma) {
            PageKind::Anon => m.anon += rss,
            PageKind::File => m.file += rss,
            PageKind::Shmem => m.shmem += rss,
        }
        match vma.name {
            VmaName::Stack => {
                m.stack += len;
                m.start_stack = vma.end;
            }
            VmaName::File { .. } if vma.prot.exec => {
                m.text += len;
                if m.start_code == 0 {
                    m.start_code = vma.start;
                    m.end_code = vma.end;
                }
            }
            _ if vma.prot.write && !vma.shared => m.data += len,
            _ => {}
        }
    }
    m
}

fn stat(k: &Kernel, v: &ProcessView) -> Vec<u8> {
    let m = mem_stats(v);
    let start = ticks(v.start.saturating_duration_since(k.boot_time).as_nanos() as u64);
    let ((arg0, arg1), (env0, env1)) = v.mm.as_ref().map_or(((0, 0), (0, 0)), |mm| mm.arg_env());
    let nice = v.creds.nice;
    let exit_code = 0;
    format!(
        "{} ({}) {} {} {} {} 0 -1 4194304 0 0 0 0 {} {} {} {} {} {} {} 0 {} {} {} 18446744073709551615 {} {} {} 0 0 {} {} {} {} 0 0 0 {} 0 {} {} 0 0 0 0 0 0 {} {} {} {} {}\n",
        v.tid,
        String::from_utf8_lossy(&v.comm),
        v.state,
        v.ppid,
        v.pgid,
        v.sid,
        ticks(v.cpu),
        0,
        ticks(v.cpu_children.0),
        ticks(v.cpu_children.1),
        20 + nice,
        nice,
        v.threads,
        start,
        m.size,
        m.rss / PAGE,
        m.start_code,
        m.end_code,
        m.start_stack,
        v.pending.0 | v.pending.1,
        v.blocked,
        v.ignored,
        v.caught,
        v.exit_signal,
        v.creds.sched.1,
        v.creds.sched.0,
        arg0,
        arg1,
        env0,
        env1,
        exit_code,
    )
    .into_bytes()
}

/// A mask of the first `n` CPUs as Linux prints bitmaps (`%*pb`): hex in
/// 32-bit groups, most significant first, separated by commas, the first
/// group only as wide as its bits need.
fn cpu_mask(n: usize) -> String {
    let n = n.max(1);
    let groups = n.div_ceil(32);
    let mut out = String::new();
    for g in (0..groups).rev() {
        let bits = (n - g * 32).min(32);
        let word = if bits == 32 {
            u32::MAX
        } else {
            (1u32 << bits) - 1
        };
        if g == groups - 1 {
            let width = bits.div_ceil(4);
            out.push_str(&format!("{word:0width$x}"));
        } else {
            out.push_str(&format!(",{word:08x}"));
        }
    }
    out
}

/// `limits`: each resource limit as `proc_pid_limits` prints it.
fn limits(v: &ProcessView) -> Vec<u8> {
    const ROWS: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let value = |x: u64| {
        if x == u64::MAX {
            "unlimited".to_string()
        } else {
            x.to_string()
        }
    };
    let mut out = format!(
        "{:<25} {:<20} {:<20} {:<10}\n",
        "Limit", "Soft Limit", "Hard Limit", "Units"
    );
    for ((name, unit), (soft, hard)) in ROWS.iter().zip(v.rlimits) {
        out.push_str(&format!(
            "{name:<25} {:<20} {:<20} ",
            value(soft),
            value(hard)
        ));
        if !unit.is_empty() {
            out.push_str(&format!("{unit:<10}"));
        }
        out.push('\n');
    }
    out.into_bytes()
}

fn status(k: &Kernel, v: &ProcessView) -> Vec<u8> {
    let c = &v.creds;
    let kb = |b: u64| format!("{:>8} kB", b / 1024);
    let mut out = format!(
        "Name:\t{}\nUmask:\t0022\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t{}\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t{}\nNStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\nKthread:\t0\n",
        String::from_utf8_lossy(&v.comm),
        match v.state {
            'Z' => "Z (zombie)",
            'T' => "T (stopped)",
            'R' => "R (running)",
            _ => "S (sleeping)",
        },
        v.pid,
        v.tid,
        v.ppid,
        v.tracer_pid,
        c.uid[0],
        c.uid[1],
        c.uid[2],
        c.fsuid,
        c.gid[0],
        c.gid[1],
        c.gid[2],
        c.fsgid,
        c.groups()
            .iter()
            .map(|g| format!("{g} "))
            .collect::<String>(),
        v.pid,
        v.tid,
        v.pgid,
        v.sid,
    );
    if v.mm.is_some() {
        let m = mem_stats(v);
        out.push_str(&format!(
            "VmPeak:\t{}\nVmSize:\t{}\nVmLck:\t{}\nVmPin:\t{}\nVmHWM:\t{}\nVmRSS:\t{}\nRssAnon:\t{}\nRssFile:\t{}\nRssShmem:\t{}\nVmData:\t{}\nVmStk:\t{}\nVmExe:\t{}\nVmLib:\t{}\nVmPTE:\t{}\nVmSwap:\t{}\nHugetlbPages:\t{}\nCoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n",
            kb(m.size),
            kb(m.size),
            kb(0),
            kb(0),
            kb(m.rss),
            kb(m.rss),
            kb(m.anon),
            kb(m.file),
            kb(m.shmem),
            kb(m.data),
            kb(m.stack),
            kb(m.text),
            kb(0),
            kb(0),
            kb(0),
            kb(0),
        ));
    }
    let queued = (v.pending.0 | v.pending.1).count_ones();
    out.push_str(&format!(
        "Threads:\t{}\nSigQ:\t{queued}/63432\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\nCapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t0000000000000000\nNoNewPrivs:\t{}\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\nCpus_allowed:\t{}\nCpus_allowed_list:\t0-{}\nMems_allowed:\t{}00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
        v.threads,
        v.pending.0,
        v.pending.1,
        v.blocked,
        v.ignored,
        v.caught,
        c.cap_inheritable,
        c.cap_permitted,
        c.cap_effective,
        c.cap_bounding,
        u8::from(c.no_new_privs),
        cpu_mask(k.cpus),
        k.cpus.saturating_sub(1),
        "00000000,".repeat(31),
    ));
    out.into_bytes()
}

fn statm(v: &ProcessView) -> Vec<u8> {
    let m = mem_stats(v);
    format!(
        "{} {} {} {} 0 {} 0\n",
        m.size / PAGE,
        m.rss / PAGE,
        (m.file + m.shmem) / PAGE,
        m.text / PAGE,
        (m.data + m.stack) / PAGE
    )
    .into_bytes()
}

/// The generator of regular file `name` of `/proc/PID`.
pub(super) fn pid_file(name: &str) -> Option<Gen> {
    let g: Gen = match name {
        "cmdline" => Arc::new(|_, v| read_mem(v, true)),
        "environ" => Arc::new(|_, v| read_mem(v, false)),
        "status" => Arc::new(status),
        "stat" => Arc::new(stat),
        "statm" => Arc::new(|_, v| statm(v)),
        "maps" => Arc::new(|_, v| maps(v)),
        "smaps" => Arc::new(super::smaps::smaps),
        "smaps_rollup" => Arc::new(super::smaps::smaps_rollup),
        "mounts" => Arc::new(|_, _| {
            b"none / overlay rw,relatime 0 0\nnone /dev tmpfs rw,nosuid 0 0\nnone /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n".to_vec()
        }),
        "auxv" => Arc::new(|_, v| {
            let Some(mm) = &v.mm else {
                return Vec::new();
            };
            let (start, end) = mm.auxv();
            let mut b = vec![0u8; end.saturating_sub(start).min(4096) as usize];
            let n = mm.copy_in_partial(start, &mut b);
            b.truncate(n);
            b
        }),
        "limits" => Arc::new(|_, v| limits(v)),
        "io" => Arc::new(|_, _| {
            b"rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n".to_vec()
        }),
        _ => return None,
    };
    Some(g)
}

/// `fdinfo/N`: position, flags (octal, with `O_CLOEXEC` from the FD), mount.
pub(super) fn fdinfo(v: &ProcessView, fd: i32) -> Vec<u8> {
    const O_LARGEFILE: u32 = 0o100000;
    const O_CLOEXEC: u32 = 0o2000000;
    let Some(fds) = &v.fds else {
        return Vec::new();
    };
    let Ok(f) = fds.get(fd) else {
        return Vec::new();
    };
    let mut flags = f.flags() | O_LARGEFILE;
    if fds.cloexec(fd).unwrap_or(false) {
        flags |= O_CLOEXEC;
    }
    let pos = *lock(&f.pos);
    let ino = f.inode().attr().map_or(0, |a| a.ino);
    format!("pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t1\nino:\t{ino}\n").into_bytes()
}
