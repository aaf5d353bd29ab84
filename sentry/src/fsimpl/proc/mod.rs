//! `/proc`: generated files describing the kernel and its process.
//! Contents are produced when a file is opened, from the process view the
//! task publishes.
//!
//! This module holds the inode tree (lookup, readdir, open);
//! [`process`] the per-process snapshot and files, [`smaps`] the memory
//! figures of `smaps` and `smaps_rollup`, [`mem`] the process's memory as
//! a file, [`ns`] the namespace links, [`system`] the files that describe
//! the whole sandbox and `/proc/sys`.

#![forbid(unsafe_code)]

mod mem;
mod ns;
mod process;
mod smaps;
mod system;

pub use system::build_sys;

use std::any::Any;
use std::sync::{Arc, Weak};

use abi::Errno;

use crate::kernel::Kernel;
use crate::kernel::process::lock;
use crate::vfs::{Attr, Dentry, DirEntry, FileOps, Inode, S_IFDIR, S_IFLNK, S_IFREG, Time};

use process::{PID_FILES, ProcessView, fdinfo, pid_file, view_of};
use system::{ROOT_FILES, SYS, root_file};

const PROC_DEV: u64 = 0x14;

/// What a generated file or link sees: the kernel and the process it
/// describes (the caller's for files directly under `/proc`).
type Gen = Arc<dyn Fn(&Kernel, &ProcessView) -> Vec<u8> + Send + Sync>;

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
    let mut v = view_of(&tg, tid)?;
    v.tracer_pid = kernel
        .tracees
        .get(v.tid)
        .and_then(|t| t.tracer.upgrade())
        .map_or(0, |g| g.pid);
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
    /// `ns`: the namespace links.
    NsDir,
    /// `ns/NAME`: a magic link to a namespace (index in [`ns::NAMESPACES`]).
    NsLink(usize),
    /// `mem`: the process's memory.
    Mem,
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
                n.push((b"ns".to_vec(), S_IFDIR));
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
            Node::NsDir => ns::NAMESPACES
                .iter()
                .map(|(name, _, _)| (name.as_bytes().to_vec(), S_IFLNK))
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

    /// Whether the calling task may inspect the process `v` through
    /// links such as `ns/*` (`ptrace_may_access` with
    /// `PTRACE_MODE_READ_FSCREDS`): its own process always, another if
    /// [`Credentials::may_ptrace`](crate::kernel::Credentials::may_ptrace)
    /// allows; `EACCES` otherwise.
    fn may_inspect(k: &Kernel, v: &ProcessView) -> Result<(), Errno> {
        let me = crate::kernel::current().1;
        if me == v.pid {
            return Ok(());
        }
        let caller = lock(&k.tasks)
            .groups
            .get(&me)
            .cloned()
            .ok_or(Errno::ESRCH)?;
        let creds = caller.lock().creds;
        if creds.may_ptrace(&v.creds, v.dumpable) {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    }

    /// Opens `mem` (`mem_open`): bound to the process's address space now;
    /// `ESRCH` if it has none (a zombie); `EACCES` unless the caller shares
    /// that address space or may ptrace the process (`mm_access`).
    fn open_mem(&self) -> Result<Arc<dyn FileOps>, Errno> {
        let (k, v) = view(&self.kernel, self.pid, self.tid)?;
        let target = lock(&k.tasks)
            .groups
            .get(&v.pid)
            .cloned()
            .ok_or(Errno::ESRCH)?;
        // Not the parent's, which a child just forked shows for a moment.
        let mm = target.own_mm()?.ok_or(Errno::ESRCH)?;
        let me = crate::kernel::current().1;
        let caller = lock(&k.tasks)
            .groups
            .get(&me)
            .cloned()
            .ok_or(Errno::ESRCH)?;
        let (own_mm, creds) = {
            let s = caller.lock();
            (s.mm.clone(), s.creds)
        };
        if !own_mm.is_some_and(|m| Arc::ptr_eq(&m, &mm)) && !creds.may_ptrace(&v.creds, v.dumpable)
        {
            return Err(Errno::EACCES);
        }
        Ok(Arc::new(mem::MemFile::new(&k, &target, &mm)))
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

impl Inode for ProcInode {
    fn attr(&self) -> Result<Attr, Errno> {
        // A process (or thread) that is gone takes its directory with it,
        // even when a walk finds the name cached; but an open `mem` stays
        // usable (reading nothing), so it keeps attributes. `mem` of a
        // process that is not dumpable, or has no memory, belongs to root
        // (`task_dump_owner`): only root opens it then.
        let (uid, gid) = if self.pid != 0 {
            match view(&self.kernel, self.pid, self.tid) {
                Ok((_, v)) if matches!(self.node, Node::Mem) && (!v.dumpable || v.mm.is_none()) => {
                    (0, 0)
                }
                Ok((_, v)) => (v.creds.uid[1], v.creds.gid[1]),
                Err(_) if matches!(self.node, Node::Mem) => (0, 0),
                Err(e) => return Err(e),
            }
        } else {
            (0, 0)
        };
        let mut a = match &self.node {
            Node::Root | Node::PidDir | Node::TaskDir => attr(S_IFDIR | 0o555, self.ino),
            Node::FdDir | Node::FdInfoDir => attr(S_IFDIR | 0o500, self.ino),
            Node::File(_) => attr(S_IFREG | 0o444, self.ino),
            Node::Comm => attr(S_IFREG | 0o644, self.ino),
            Node::Link(_) | Node::NsLink(_) => attr(S_IFLNK | 0o777, self.ino),
            Node::NsDir => attr(S_IFDIR | 0o511, self.ino),
            Node::Mem => attr(S_IFREG | 0o600, self.ino),
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
                "ns" => Ok(self.child(name, Node::NsDir)),
                "mem" => Ok(self.child(name, Node::Mem)),
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
            Node::NsDir => ns::lookup(name)
                .map(|i| self.child(name, Node::NsLink(i)))
                .ok_or(Errno::ENOENT),
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
            Node::NsLink(i) => {
                let (k, v) = view(&self.kernel, self.pid, self.tid)?;
                Self::may_inspect(&k, &v)?;
                ns::link_text(*i)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn follow_link(&self) -> Option<Result<Arc<Dentry>, Errno>> {
        match &self.node {
            Node::FdLink(fd) => Some(self.fd_file(*fd).map(|f| f.dentry.clone())),
            Node::NsLink(i) => Some(
                view(&self.kernel, self.pid, self.tid)
                    .and_then(|(k, v)| Self::may_inspect(&k, &v))
                    .and_then(|()| ns::target(*i)),
            ),
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
            Node::Mem => self.open_mem(),
            Node::Link(_) | Node::FdLink(_) | Node::NsLink(_) => Err(Errno::ELOOP),
            _ => Ok(Arc::new(crate::fsimpl::tmpfs::DirOps)),
        }
    }

    fn setattr(&self, _a: crate::vfs::SetAttr) -> Result<(), Errno> {
        // O_TRUNC of comm and mem is accepted, as Linux's proc files ignore it.
        match self.node {
            Node::Comm | Node::Mem => Ok(()),
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
