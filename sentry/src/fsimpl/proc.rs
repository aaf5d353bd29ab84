//! `/proc`: generated files describing the kernel and its process.
//! Contents are produced when a file is opened, from the process view the
//! task publishes.

use std::any::Any;
use std::sync::{Arc, Weak};
use std::time::Instant;

use abi::Errno;

use crate::kernel::process::lock;
use crate::kernel::{Kernel, TaskHandle, ThreadGroup};
use crate::mm::VmaName;
use crate::vfs::{Attr, Dentry, DirEntry, FileOps, Inode, S_IFDIR, S_IFLNK, S_IFREG, Time};

const PROC_DEV: u64 = 0x14;
/// `USER_HZ`: the unit of times in `/proc/PID/stat`.
const CLK_TCK: u64 = 100;
const PAGE: u64 = 4096;

/// What a generated file or link sees: the kernel and the process it
/// describes (the caller's for files directly under `/proc`).
type Gen = Arc<dyn Fn(&Kernel, &ProcessView) -> Vec<u8> + Send + Sync>;

/// A snapshot of one process (or one of its threads) for `/proc/PID`.
#[derive(Clone)]
struct ProcessView {
    pid: i32,
    /// The thread described: the leader's tid for the process's files.
    tid: i32,
    ppid: i32,
    threads: usize,
    state: char,
    pgid: i32,
    sid: i32,
    mm: Option<Arc<crate::mm::MemoryManager>>,
    fds: Option<crate::vfs::FdTable>,
    exe: Vec<u8>,
    /// The thread's name.
    comm: Vec<u8>,
    cwd: Vec<u8>,
    creds: crate::kernel::Credentials,
    /// The thread's blocked signals.
    blocked: u64,
    /// Thread-directed and process-directed pending signals.
    pending: (u64, u64),
    /// Ignored and caught signals.
    ignored: u64,
    caught: u64,
    exit_signal: i32,
    start: Instant,
    /// CPU time of the thread (or the whole process), ns.
    cpu: u64,
    /// CPU time of reaped children, ns.
    cpu_children: (u64, u64),
}

/// Ticks (`USER_HZ`) in `ns` nanoseconds.
fn ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / CLK_TCK)
}

/// A view of process `tg`; of its thread `tid` unless 0.
fn view_of(tg: &Arc<ThreadGroup>, tid: i32) -> Result<ProcessView, Errno> {
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
        blocked: 0,
        pending: (0, s.pending.set),
        ignored: 0,
        caught: 0,
        exit_signal: s.exit_signal,
        start: tg.start,
        cpu: 0,
        cpu_children: s.cpu_children,
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

fn attr(mode: u32, ino: u64) -> Attr {
    let now = Time::now();
    Attr {
        dev: PROC_DEV,
        ino,
        mode,
        nlink: if mode & S_IFDIR != 0 { 2 } else { 1 },
        blksize: 1024,
        atime: now,
        mtime: now,
        ctime: now,
        ..Attr::default()
    }
}

/// The process `pid` (0: the caller's), or its thread `tid` (unless 0),
/// and the kernel.
fn view(k: &Weak<Kernel>, pid: i32, tid: i32) -> Result<(Arc<Kernel>, ProcessView), Errno> {
    let kernel = k.upgrade().ok_or(Errno::ESRCH)?;
    let pid = if pid == 0 {
        crate::kernel::current().1
    } else {
        pid
    };
    let tg = lock(&kernel.tasks)
        .groups
        .get(&pid)
        .cloned()
        .ok_or(Errno::ENOENT)?;
    let v = view_of(&tg, tid)?;
    Ok((kernel, v))
}

/// A node of `/proc`.
enum Node {
    Root,
    PidDir,
    FdDir,
    FdInfoDir,
    TaskDir,
    File(Gen),
    /// `comm`: readable and writable by the process's own threads.
    Comm,
    Link(Gen),
    /// `fd/N`: a magic link to the open file.
    FdLink(i32),
}

struct ProcInode {
    kernel: Weak<Kernel>,
    node: Node,
    /// The process this node describes (0: the caller's, for `/proc` itself).
    pid: i32,
    /// The thread (`/proc/PID/task/TID`, `/proc/TID`), or 0 for the process.
    tid: i32,
    ino: u64,
}

fn ino_of(name: &[u8], salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in name {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    (h & 0xffff_ffff) | 0x1000
}

impl ProcInode {
    fn child(&self, name: &[u8], node: Node) -> Arc<dyn Inode> {
        self.child_of(name, node, self.pid, self.tid)
    }

    fn child_of(&self, name: &[u8], node: Node, pid: i32, tid: i32) -> Arc<dyn Inode> {
        Arc::new(ProcInode {
            kernel: self.kernel.clone(),
            node,
            pid,
            tid,
            ino: ino_of(name, self.ino ^ pid as u64 ^ ((tid as u64) << 32)),
        })
    }

    fn names(&self) -> Result<Vec<(Vec<u8>, u32)>, Errno> {
        let (kernel, v) = view(&self.kernel, self.pid, self.tid)?;
        Ok(match self.node {
            Node::Root => {
                // Processes only: threads are reachable but not listed.
                let mut pids: Vec<i32> =
                    lock(&kernel.tasks).groups.values().map(|g| g.pid).collect();
                pids.sort_unstable();
                let mut n: Vec<(Vec<u8>, u32)> = pids
                    .iter()
                    .map(|p| (p.to_string().into_bytes(), S_IFDIR))
                    .collect();
                for f in ROOT_FILES {
                    n.push((f.as_bytes().to_vec(), S_IFREG));
                }
                n.push((b"self".to_vec(), S_IFLNK));
                n.push((b"thread-self".to_vec(), S_IFLNK));
                n.push((b"mounts".to_vec(), S_IFLNK));
                if SYS.get().is_some() {
                    n.push((b"sys".to_vec(), S_IFDIR));
                }
                n
            }
            Node::PidDir => {
                let mut n: Vec<(Vec<u8>, u32)> = PID_FILES
                    .iter()
                    .map(|f| (f.as_bytes().to_vec(), S_IFREG))
                    .collect();
                for l in ["exe", "cwd", "root"] {
                    n.push((l.as_bytes().to_vec(), S_IFLNK));
                }
                n.push((b"fd".to_vec(), S_IFDIR));
                n.push((b"fdinfo".to_vec(), S_IFDIR));
                if self.tid == 0 {
                    n.push((b"task".to_vec(), S_IFDIR));
                }
                n
            }
            Node::FdDir | Node::FdInfoDir => {
                let kind = if matches!(self.node, Node::FdDir) {
                    S_IFLNK
                } else {
                    S_IFREG
                };
                let mut fds: Vec<i32> = v
                    .fds
                    .as_ref()
                    .map(|f| f.entries())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(fd, _)| fd)
                    .collect();
                fds.sort_unstable();
                fds.into_iter()
                    .map(|fd| (fd.to_string().into_bytes(), kind))
                    .collect()
            }
            Node::TaskDir => {
                let tg = lock(&kernel.tasks).groups.get(&v.pid).cloned();
                let mut tids: Vec<i32> = tg
                    .map(|g| g.lock().threads.iter().map(|t| t.tid).collect())
                    .unwrap_or_default();
                tids.sort_unstable();
                tids.iter()
                    .map(|t| (t.to_string().into_bytes(), S_IFDIR))
                    .collect()
            }
            _ => return Err(Errno::ENOTDIR),
        })
    }

    /// The open file behind `fd/N`.
    fn fd_file(&self, fd: i32) -> Result<crate::vfs::FileRef, Errno> {
        let (_, v) = view(&self.kernel, self.pid, self.tid)?;
        v.fds
            .as_ref()
            .ok_or(Errno::ENOENT)?
            .get(fd)
            .map_err(|_| Errno::ENOENT)
    }
}

const ROOT_FILES: [&str; 8] = [
    "cpuinfo",
    "meminfo",
    "uptime",
    "loadavg",
    "version",
    "filesystems",
    "stat",
    "cmdline",
];
const PID_FILES: [&str; 11] = [
    "cmdline", "environ", "comm", "status", "stat", "statm", "maps", "mounts", "limits", "io",
    "auxv",
];

/// Seconds since boot with two decimals, rounded up (a sandbox that just
/// booted has been up for more than 0).
fn uptime(k: &Kernel) -> String {
    let cs = k.boot_time.elapsed().as_nanos().div_ceil(10_000_000);
    format!("{}.{:02}", cs / 100, cs % 100)
}

fn root_file(name: &str) -> Option<Gen> {
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

fn maps(v: &ProcessView) -> Vec<u8> {
    let mut out = String::new();
    let Some(mm) = &v.mm else {
        return Vec::new();
    };
    for m in mm.vmas() {
        let p = |b: bool, c: char| if b { c } else { '-' };
        let (dev, ino, name) = match &m.name {
            VmaName::File { dev, ino, path } => (*dev, *ino, path.clone()),
            VmaName::Heap => (0, 0, "[heap]".into()),
            VmaName::Stack => (0, 0, "[stack]".into()),
            VmaName::Vvar => (0, 0, "[vvar]".into()),
            VmaName::Vdso => (0, 0, "[vdso]".into()),
            VmaName::Anonymous => (0, 0, String::new()),
        };
        let line = format!(
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {}",
            m.start,
            m.end,
            p(m.prot.read, 'r'),
            p(m.prot.write, 'w'),
            p(m.prot.exec, 'x'),
            if m.shared { 's' } else { 'p' },
            m.offset,
            (dev >> 8) & 0xfff,
            dev & 0xff,
            ino
        );
        if name.is_empty() {
            out.push_str(&line);
        } else {
            out.push_str(&format!("{line:<73}{name}"));
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Memory use of a process, in bytes.
#[derive(Default)]
struct MemStats {
    size: u64,
    rss: u64,
    shared: u64,
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
    for vma in mm.vmas() {
        let len = vma.end - vma.start;
        m.size += len;
        // The Sentry backs a mapping's pages when it is made: everything
        // accessible is resident.
        if vma.prot.read || vma.prot.write || vma.prot.exec {
            m.rss += len;
        }
        let file = matches!(vma.name, VmaName::File { .. });
        if file || vma.shared {
            m.shared += len;
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

fn status(k: &Kernel, v: &ProcessView) -> Vec<u8> {
    let c = &v.creds;
    let kb = |b: u64| format!("{:>8} kB", b / 1024);
    let mut out = format!(
        "Name:\t{}\nUmask:\t0022\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t{}\nNStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}\n",
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
            "VmPeak:\t{}\nVmSize:\t{}\nVmLck:\t{}\nVmPin:\t{}\nVmHWM:\t{}\nVmRSS:\t{}\nRssAnon:\t{}\nRssFile:\t{}\nRssShmem:\t{}\nVmData:\t{}\nVmStk:\t{}\nVmExe:\t{}\nVmLib:\t{}\nVmPTE:\t{}\nVmSwap:\t{}\n",
            kb(m.size),
            kb(m.size),
            kb(0),
            kb(0),
            kb(m.rss),
            kb(m.rss),
            kb(m.rss.saturating_sub(m.shared)),
            kb(m.shared),
            kb(0),
            kb(m.data),
            kb(m.stack),
            kb(m.text),
            kb(0),
            kb(0),
            kb(0),
        ));
    }
    let queued = (v.pending.0 | v.pending.1).count_ones();
    out.push_str(&format!(
        "Threads:\t{}\nSigQ:\t{queued}/63432\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\nCapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t0000000000000000\nNoNewPrivs:\t{}\nSeccomp:\t0\nSeccomp_filters:\t0\nCpus_allowed_list:\t0-{}\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
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
        k.cpus.saturating_sub(1),
    ));
    out.into_bytes()
}

fn statm(v: &ProcessView) -> Vec<u8> {
    let m = mem_stats(v);
    format!(
        "{} {} {} {} 0 {} 0\n",
        m.size / PAGE,
        m.rss / PAGE,
        m.shared / PAGE,
        m.text / PAGE,
        (m.data + m.stack) / PAGE
    )
    .into_bytes()
}

fn pid_file(name: &str) -> Option<Gen> {
    let g: Gen = match name {
        "cmdline" => Arc::new(|_, v| read_mem(v, true)),
        "environ" => Arc::new(|_, v| read_mem(v, false)),
        "status" => Arc::new(status),
        "stat" => Arc::new(stat),
        "statm" => Arc::new(|_, v| statm(v)),
        "maps" => Arc::new(|_, v| maps(v)),
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
        "limits" => Arc::new(|_, _| {
            let rows: [(&str, &str, &str, &str); 4] = [
                ("Max stack size", "8388608", "unlimited", "bytes"),
                ("Max processes", "63432", "63432", "processes"),
                ("Max open files", "1024", "1048576", "files"),
                ("Max pending signals", "63432", "63432", "signals"),
            ];
            let mut out = format!(
                "{:<26}{:<21}{:<21}{:<10}\n",
                "Limit", "Soft Limit", "Hard Limit", "Units"
            );
            for (n, s, h, u) in rows {
                out.push_str(&format!("{n:<26}{s:<21}{h:<21}{u:<10}\n"));
            }
            out.into_bytes()
        }),
        "io" => Arc::new(|_, _| {
            b"rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n".to_vec()
        }),
        _ => return None,
    };
    Some(g)
}

/// `fdinfo/N`: position, flags (octal, with `O_CLOEXEC` from the FD), mount.
fn fdinfo(v: &ProcessView, fd: i32) -> Vec<u8> {
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

impl Inode for ProcInode {
    fn attr(&self) -> Result<Attr, Errno> {
        // A process (or thread) that is gone takes its directory with it,
        // even when a walk finds the name cached.
        let (uid, gid) = if self.pid != 0 {
            let (_, v) = view(&self.kernel, self.pid, self.tid)?;
            (v.creds.uid[1], v.creds.gid[1])
        } else {
            (0, 0)
        };
        let mut a = match &self.node {
            Node::Root | Node::PidDir | Node::TaskDir => attr(S_IFDIR | 0o555, self.ino),
            Node::FdDir | Node::FdInfoDir => attr(S_IFDIR | 0o500, self.ino),
            Node::File(_) => attr(S_IFREG | 0o444, self.ino),
            Node::Comm => attr(S_IFREG | 0o644, self.ino),
            Node::Link(_) => attr(S_IFLNK | 0o777, self.ino),
            Node::FdLink(fd) => {
                let f = self.fd_file(*fd)?;
                let mut mode = S_IFLNK;
                if f.readable() {
                    mode |= 0o500;
                }
                if f.writable() {
                    mode |= 0o300;
                }
                attr(mode, self.ino)
            }
        };
        if !matches!(self.node, Node::Root) {
            a.uid = uid;
            a.gid = gid;
        }
        Ok(a)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let (kernel, v) = view(&self.kernel, self.pid, self.tid)?;
        let s = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        let number = |s: &str| -> Result<i32, Errno> {
            match s.parse::<i32>() {
                Ok(n) if n >= 0 && s == n.to_string() => Ok(n),
                _ => Err(Errno::ENOENT),
            }
        };
        match self.node {
            Node::Root => match s {
                "sys" => SYS.get().cloned().ok_or(Errno::ENOENT),
                "self" => Ok(self.child(
                    name,
                    Node::Link(Arc::new(|_, _| {
                        crate::kernel::current().1.to_string().into_bytes()
                    })),
                )),
                "thread-self" => Ok(self.child(
                    name,
                    Node::Link(Arc::new(|_, _| {
                        let (tid, pid) = crate::kernel::current();
                        format!("{pid}/task/{tid}").into_bytes()
                    })),
                )),
                "mounts" => {
                    Ok(self.child(name, Node::Link(Arc::new(|_, _| b"self/mounts".to_vec()))))
                }
                _ => {
                    if let Ok(id) = number(s)
                        && id > 0
                    {
                        // Threads are reachable by tid too, as on Linux.
                        let tasks = lock(&kernel.tasks);
                        if let Some(g) = tasks.groups.get(&id) {
                            return Ok(self.child_of(name, Node::PidDir, g.pid, 0));
                        }
                        return tasks
                            .threads
                            .get(&id)
                            .map(|t| self.child_of(name, Node::PidDir, t.tg.pid, id))
                            .ok_or(Errno::ENOENT);
                    }
                    root_file(s)
                        .map(|g| self.child_of(name, Node::File(g), 0, 0))
                        .ok_or(Errno::ENOENT)
                }
            },
            Node::PidDir => match s {
                "exe" => Ok(self.child(name, Node::Link(Arc::new(|_, v| v.exe.clone())))),
                "cwd" => Ok(self.child(name, Node::Link(Arc::new(|_, v| v.cwd.clone())))),
                "root" => Ok(self.child(name, Node::Link(Arc::new(|_, _| b"/".to_vec())))),
                "fd" => Ok(self.child(name, Node::FdDir)),
                "fdinfo" => Ok(self.child(name, Node::FdInfoDir)),
                "task" if self.tid == 0 => Ok(self.child(name, Node::TaskDir)),
                "comm" => Ok(self.child(name, Node::Comm)),
                _ => pid_file(s)
                    .map(|g| self.child(name, Node::File(g)))
                    .ok_or(Errno::ENOENT),
            },
            Node::TaskDir => {
                let tid = number(s)?;
                let tg = lock(&kernel.tasks)
                    .groups
                    .get(&v.pid)
                    .cloned()
                    .ok_or(Errno::ENOENT)?;
                if !tg.lock().threads.iter().any(|t| t.tid == tid) {
                    return Err(Errno::ENOENT);
                }
                Ok(self.child_of(name, Node::PidDir, v.pid, tid))
            }
            Node::FdDir | Node::FdInfoDir => {
                let fd = number(s)?;
                self.fd_file(fd)?;
                if matches!(self.node, Node::FdDir) {
                    Ok(self.child(name, Node::FdLink(fd)))
                } else {
                    Ok(self.child(name, Node::File(Arc::new(move |_, v| fdinfo(v, fd)))))
                }
            }
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Ok(self
            .names()?
            .into_iter()
            .map(|(n, kind)| DirEntry {
                ino: ino_of(&n, self.ino),
                dtype: crate::vfs::mode_to_dtype(kind),
                name: n,
            })
            .collect())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.node {
            Node::Link(g) => {
                let (k, v) = view(&self.kernel, self.pid, self.tid)?;
                Ok(g(&k, &v))
            }
            Node::FdLink(fd) => {
                let k = self.kernel.upgrade().ok_or(Errno::ESRCH)?;
                Ok(self.fd_file(*fd)?.dentry.path_from(&k.root))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn follow_link(&self) -> Option<Result<Arc<Dentry>, Errno>> {
        match &self.node {
            Node::FdLink(fd) => Some(self.fd_file(*fd).map(|f| f.dentry.clone())),
            _ => None,
        }
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        match &self.node {
            Node::File(g) => {
                if flags & 3 != 0 {
                    return Err(Errno::EACCES);
                }
                let (k, v) = view(&self.kernel, self.pid, self.tid)?;
                Ok(Arc::new(StaticOps { data: g(&k, &v) }))
            }
            Node::Comm => {
                let (_, v) = view(&self.kernel, self.pid, self.tid)?;
                let mut data = v.comm.clone();
                data.push(b'\n');
                Ok(Arc::new(CommOps {
                    kernel: self.kernel.clone(),
                    pid: v.pid,
                    tid: v.tid,
                    data,
                }))
            }
            Node::Link(_) | Node::FdLink(_) => Err(Errno::ELOOP),
            _ => Ok(Arc::new(super::tmpfs::DirOps)),
        }
    }

    fn setattr(&self, _a: crate::vfs::SetAttr) -> Result<(), Errno> {
        // O_TRUNC of comm is accepted, as Linux's proc files ignore it.
        match self.node {
            Node::Comm => Ok(()),
            _ => Err(Errno::EPERM),
        }
    }

    fn statfs(&self) -> Result<crate::vfs::FsStat, Errno> {
        Ok(crate::vfs::FsStat {
            fs_type: 0x9fa0,
            bsize: 4096,
            namelen: 255,
            ..Default::default()
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A snapshot of generated contents.
struct StaticOps {
    data: Vec<u8>,
}

fn read_snapshot(data: &[u8], buf: &mut [u8], off: u64) -> usize {
    let Ok(off) = usize::try_from(off) else {
        return 0;
    };
    if off >= data.len() {
        return 0;
    }
    let n = buf.len().min(data.len() - off);
    buf[..n].copy_from_slice(&data[off..off + n]);
    n
}

impl FileOps for StaticOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        Ok(read_snapshot(&self.data, buf, off))
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
}

/// An open `comm`: the name when opened; a write renames the thread.
struct CommOps {
    kernel: Weak<Kernel>,
    pid: i32,
    tid: i32,
    data: Vec<u8>,
}

impl FileOps for CommOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        Ok(read_snapshot(&self.data, buf, off))
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        // Only threads of the same process may rename (Linux's comm_write).
        if crate::kernel::current().1 != self.pid {
            return Err(Errno::EINVAL);
        }
        let k = self.kernel.upgrade().ok_or(Errno::ESRCH)?;
        let t = lock(&k.tasks)
            .threads
            .get(&self.tid)
            .cloned()
            .ok_or(Errno::ESRCH)?;
        if t.tg.pid != self.pid {
            return Err(Errno::ESRCH);
        }
        t.set_comm(&buf[..buf.len().min(crate::kernel::process::COMM_MAX)]);
        Ok(buf.len())
    }
}

/// `/proc/sys`: fixed kernel parameters as Linux reports them by default.
static SYS: std::sync::OnceLock<Arc<dyn Inode>> = std::sync::OnceLock::new();

/// Builds `/proc/sys` (once, at boot).
pub fn build_sys(memory: Arc<crate::mm::MemoryFile>, hostname: &[u8], release: &[u8]) {
    use super::tmpfs::{TmpDir, TmpFile};
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

/// The root of `/proc`.
pub fn new_proc(kernel: Weak<Kernel>) -> Arc<dyn Inode> {
    Arc::new(ProcInode {
        kernel,
        node: Node::Root,
        pid: 0,
        tid: 0,
        ino: 1,
    })
}
