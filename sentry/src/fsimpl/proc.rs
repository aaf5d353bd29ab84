//! `/proc`: generated files describing the kernel and its process.
//! Contents are produced when a file is opened, from the process view the
//! task publishes.

use std::any::Any;
use std::sync::{Arc, Weak};

use abi::Errno;

use crate::kernel::process::lock;
use crate::kernel::{Kernel, ThreadGroup};
use crate::mm::VmaName;
use crate::vfs::{Attr, DirEntry, FileOps, Inode, S_IFDIR, S_IFLNK, S_IFREG, Time};

const PROC_DEV: u64 = 0x14;

/// What a generated file or link sees: the kernel and the process it
/// describes (the caller's for files directly under `/proc`).
type Gen = Arc<dyn Fn(&Kernel, &ProcessView) -> Vec<u8> + Send + Sync>;

/// A snapshot of one process for `/proc/PID`.
#[derive(Clone)]
struct ProcessView {
    pid: i32,
    ppid: i32,
    threads: usize,
    state: char,
    pgid: i32,
    sid: i32,
    mm: Option<Arc<crate::mm::MemoryManager>>,
    fds: Option<crate::vfs::FdTable>,
    exe: Vec<u8>,
    comm: Vec<u8>,
    cwd: Vec<u8>,
    creds: crate::kernel::Credentials,
}

fn view_of(tg: &Arc<ThreadGroup>) -> ProcessView {
    let s = tg.lock();
    let state = if s.zombie.is_some() {
        'Z'
    } else if s.stopped.is_some() {
        'T'
    } else {
        'S'
    };
    ProcessView {
        pid: tg.pid,
        ppid: s.parent.as_ref().map_or(0, |p| p.pid),
        threads: s.threads.len(),
        state,
        pgid: s.pgid,
        sid: s.sid,
        mm: s.mm.clone(),
        fds: s.fds.clone(),
        exe: s.exe.clone(),
        comm: s.comm.clone(),
        cwd: s.cwd.clone(),
        creds: s.creds,
    }
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

/// The process `pid` (0: the caller's) and the kernel.
fn view(k: &Weak<Kernel>, pid: i32) -> Result<(Arc<Kernel>, ProcessView), Errno> {
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
    let v = view_of(&tg);
    Ok((kernel, v))
}

/// A node of `/proc`.
enum Node {
    Root,
    PidDir,
    FdDir,
    TaskDir,
    File(Gen),
    Link(Gen),
}

struct ProcInode {
    kernel: Weak<Kernel>,
    node: Node,
    /// The process this node describes (0: the caller's, for `/proc` itself).
    pid: i32,
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
        self.child_of(name, node, self.pid)
    }

    fn child_of(&self, name: &[u8], node: Node, pid: i32) -> Arc<dyn Inode> {
        Arc::new(ProcInode {
            kernel: self.kernel.clone(),
            node,
            pid,
            ino: ino_of(name, self.ino ^ pid as u64),
        })
    }

    fn names(&self) -> Result<Vec<(Vec<u8>, u32)>, Errno> {
        let (kernel, v) = view(&self.kernel, self.pid)?;
        Ok(match self.node {
            Node::Root => {
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
                n.push((b"task".to_vec(), S_IFDIR));
                n
            }
            Node::FdDir => v
                .fds
                .as_ref()
                .map(|f| f.entries())
                .unwrap_or_default()
                .into_iter()
                .map(|(fd, _)| (fd.to_string().into_bytes(), S_IFLNK))
                .collect(),
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
const PID_FILES: [&str; 8] = [
    "cmdline", "environ", "comm", "status", "stat", "maps", "mounts", "limits",
];

fn root_file(name: &str) -> Option<Gen> {
    let g: Gen = match name {
        "cpuinfo" => Arc::new(|k, _| cpuinfo(k.cpus)),
        "meminfo" => Arc::new(|_, _| {
            b"MemTotal:        4194304 kB\nMemFree:         3145728 kB\nMemAvailable:    3145728 kB\nBuffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n".to_vec()
        }),
        "uptime" => Arc::new(|k, _| {
            let s = k.boot_time.elapsed().as_secs_f64();
            format!("{s:.2} {s:.2}\n").into_bytes()
        }),
        "loadavg" => Arc::new(|_, _| b"0.00 0.00 0.00 1/1 1\n".to_vec()),
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
            format!("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime {btime}\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n").into_bytes()
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

fn pid_file(name: &str) -> Option<Gen> {
    let g: Gen = match name {
        "cmdline" => Arc::new(|_, v| read_mem(v, true)),
        "environ" => Arc::new(|_, v| read_mem(v, false)),
        "comm" => Arc::new(|_, v| {
            let mut c = v.comm.clone();
            c.push(b'\n');
            c
        }),
        "status" => Arc::new(|_, v| {
            let c = &v.creds;
            format!(
                "Name:\t{}\nUmask:\t0022\nState:\t{state}\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t\nThreads:\t{threads}\nSigQ:\t0/63432\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nSeccomp:\t0\n",
                String::from_utf8_lossy(&v.comm),
                v.ppid,
                c.uid[0], c.uid[1], c.uid[2], c.uid[1],
                c.gid[0], c.gid[1], c.gid[2], c.gid[1],
                pid = v.pid,
                threads = v.threads,
                state = match v.state {
                    'Z' => "Z (zombie)",
                    'T' => "T (stopped)",
                    _ => "S (sleeping)",
                },
            )
            .into_bytes()
        }),
        "stat" => Arc::new(|_, v| {
            format!(
                "{} ({}) {} {} {} {} 0 -1 0 0 0 0 0 0 0 0 0 20 0 {} 0 0 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
                v.pid,
                String::from_utf8_lossy(&v.comm),
                v.state,
                v.ppid,
                v.pgid,
                v.sid,
                v.threads
            )
            .into_bytes()
        }),
        "maps" => Arc::new(|_, v| maps(v)),
        "mounts" => Arc::new(|_, _| {
            b"none / overlay rw,relatime 0 0\nnone /dev tmpfs rw,nosuid 0 0\nnone /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n".to_vec()
        }),
        "limits" => Arc::new(|_, _| {
            b"Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 1048576              files     \n".to_vec()
        }),
        _ => return None,
    };
    Some(g)
}

impl Inode for ProcInode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(match &self.node {
            Node::Root | Node::PidDir | Node::TaskDir => attr(S_IFDIR | 0o555, self.ino),
            Node::FdDir => attr(S_IFDIR | 0o500, self.ino),
            Node::File(_) => attr(S_IFREG | 0o444, self.ino),
            Node::Link(_) => attr(S_IFLNK | 0o777, self.ino),
        })
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let (kernel, v) = view(&self.kernel, self.pid)?;
        let s = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        match self.node {
            Node::Root => match s {
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
                    if let Ok(pid) = s.parse::<i32>()
                        && s == pid.to_string()
                        && pid > 0
                    {
                        // Threads are reachable by tid too, as on Linux.
                        let tasks = lock(&kernel.tasks);
                        let owner = tasks
                            .groups
                            .get(&pid)
                            .map(|g| g.pid)
                            .or_else(|| tasks.threads.get(&pid).map(|t| t.tg.pid));
                        return owner
                            .map(|p| self.child_of(name, Node::PidDir, p))
                            .ok_or(Errno::ENOENT);
                    }
                    root_file(s)
                        .map(|g| self.child(name, Node::File(g)))
                        .ok_or(Errno::ENOENT)
                }
            },
            Node::PidDir => match s {
                "exe" => Ok(self.child(name, Node::Link(Arc::new(|_, v| v.exe.clone())))),
                "cwd" => Ok(self.child(name, Node::Link(Arc::new(|_, v| v.cwd.clone())))),
                "root" => Ok(self.child(name, Node::Link(Arc::new(|_, _| b"/".to_vec())))),
                "fd" => Ok(self.child(name, Node::FdDir)),
                "task" => Ok(self.child(name, Node::TaskDir)),
                _ => pid_file(s)
                    .map(|g| self.child(name, Node::File(g)))
                    .ok_or(Errno::ENOENT),
            },
            Node::TaskDir => {
                let tid: i32 = s.parse().map_err(|_| Errno::ENOENT)?;
                let tg = lock(&kernel.tasks)
                    .groups
                    .get(&v.pid)
                    .cloned()
                    .ok_or(Errno::ENOENT)?;
                if !tg.lock().threads.iter().any(|t| t.tid == tid) {
                    return Err(Errno::ENOENT);
                }
                Ok(self.child(name, Node::PidDir))
            }
            Node::FdDir => {
                let fd: i32 = s.parse().map_err(|_| Errno::ENOENT)?;
                if s != fd.to_string() {
                    return Err(Errno::ENOENT);
                }
                v.fds
                    .as_ref()
                    .ok_or(Errno::ENOENT)?
                    .get(fd)
                    .map_err(|_| Errno::ENOENT)?;
                let l: Gen = Arc::new(move |k, v| match v.fds.as_ref().map(|t| t.get(fd)) {
                    Some(Ok(f)) => f.dentry.path_from(&k.root),
                    _ => Vec::new(),
                });
                Ok(self.child(name, Node::Link(l)))
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
                let (k, v) = view(&self.kernel, self.pid)?;
                Ok(g(&k, &v))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        match &self.node {
            Node::File(g) => {
                if flags & 3 != 0 {
                    return Err(Errno::EACCES);
                }
                let (k, v) = view(&self.kernel, self.pid)?;
                Ok(Arc::new(StaticOps { data: g(&k, &v) }))
            }
            Node::Link(_) => Err(Errno::ELOOP),
            _ => Ok(Arc::new(super::tmpfs::DirOps)),
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

impl FileOps for StaticOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let Ok(off) = usize::try_from(off) else {
            return Ok(0);
        };
        if off >= self.data.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.data.len() - off);
        buf[..n].copy_from_slice(&self.data[off..off + n]);
        Ok(n)
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
}

/// The root of `/proc`.
pub fn new_proc(kernel: Weak<Kernel>) -> Arc<dyn Inode> {
    Arc::new(ProcInode {
        kernel,
        node: Node::Root,
        pid: 0,
        ino: 1,
    })
}
