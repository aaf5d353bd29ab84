//! The overlay root: a tmpfs upper layer over the gofer's read-only lower
//! layer. Nothing written in the sandbox reaches the host: a file opened
//! for writing (or whose attributes change) is copied up into memory first;
//! removing a lower name leaves a whiteout; a renamed directory carries its
//! lower layer with it.

use crate::kernel::process::lock;
use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use abi::Errno;

use super::gofer::GoferNode;
use super::lower_pages::LowerPages;
use super::tmpfs::{DirOps, TmpDir, TmpFile, apply_setattr, bump_nlink};
use crate::mm::MemoryFile;
use crate::vfs::{
    Attr, Creation, DirEntry, FileOps, FsStat, Inode, MmapSource, S_IFDIR, S_IFLNK, S_IFMT,
    S_IFREG, SetAttr, Time, check_name,
};

/// Wraps a lower node in the overlay node of its type.
fn wrap(memory: &Arc<MemoryFile>, lower: Arc<GoferNode>) -> Arc<dyn Inode> {
    let attr = lower.attr();
    match attr.mode & S_IFMT {
        S_IFDIR => Arc::new(OvDir {
            memory: memory.clone(),
            lower: Some(lower),
            attr: Mutex::new(attr),
            entries: Mutex::new(BTreeMap::new()),
            whiteouts: Mutex::new(HashSet::new()),
            dead: AtomicBool::new(false),
        }),
        S_IFREG => Arc::new(OvFile {
            pages: OnceLock::new(),
            memory: memory.clone(),
            lower,
            upper: Mutex::new(None),
            attr: Mutex::new(attr),
        }),
        _ => Arc::new(OvOther {
            lower,
            attr: Mutex::new(attr),
        }),
    }
}

/// The root directory of an overlay over `lower`.
pub fn new_root(memory: Arc<MemoryFile>, lower: Arc<GoferNode>) -> Arc<dyn Inode> {
    wrap(&memory, lower)
}

/// An overlay directory.
pub struct OvDir {
    memory: Arc<MemoryFile>,
    lower: Option<Arc<GoferNode>>,
    attr: Mutex<Attr>,
    /// Names resolved or created here: upper-layer inodes and wrapped lower ones.
    entries: Mutex<BTreeMap<Vec<u8>, Arc<dyn Inode>>>,
    /// Lower names removed in the sandbox.
    whiteouts: Mutex<HashSet<Vec<u8>>>,
    /// Removed by `rmdir`.
    dead: AtomicBool,
}

impl OvDir {
    fn lower_has(&self, name: &[u8]) -> bool {
        self.lower.as_ref().is_some_and(|l| l.lookup(name).is_ok())
    }

    fn touch(&self) {
        let mut a = lock(&self.attr);
        let now = Time::now();
        a.mtime = now;
        a.ctime = now;
    }

    fn add_new(&self, name: &[u8], inode: Arc<dyn Inode>) -> Result<Arc<dyn Inode>, Errno> {
        check_name(name)?;
        if self.dead.load(Ordering::Relaxed) {
            return Err(Errno::ENOENT);
        }
        match self.lookup(name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        lock(&self.entries).insert(name.to_vec(), inode.clone());
        self.touch();
        Ok(inode)
    }

    fn remove_name(&self, name: &[u8]) {
        lock(&self.entries).remove(name);
        if self.lower_has(name) {
            lock(&self.whiteouts).insert(name.to_vec());
        }
    }
}

impl Inode for OvDir {
    fn attr(&self) -> Result<Attr, Errno> {
        let mut a = *lock(&self.attr);
        if self.dead.load(Ordering::Relaxed) {
            a.nlink = 0;
        }
        Ok(a)
    }

    fn mark_dead(&self) {
        self.dead.store(true, Ordering::Relaxed);
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if let Some(i) = lock(&self.entries).get(name) {
            return Ok(i.clone());
        }
        if lock(&self.whiteouts).contains(name) {
            return Err(Errno::ENOENT);
        }
        let lower = self.lower.as_ref().ok_or(Errno::ENOENT)?.lookup(name)?;
        let node = wrap(&self.memory, lower);
        // Another thread may have raced us here; keep the first.
        Ok(lock(&self.entries)
            .entry(name.to_vec())
            .or_insert(node)
            .clone())
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut names: BTreeMap<Vec<u8>, DirEntry> = BTreeMap::new();
        if let Some(l) = &self.lower {
            let wh = lock(&self.whiteouts).clone();
            for d in l.readdir()? {
                if !wh.contains(&d.name) {
                    names.insert(d.name.clone(), d);
                }
            }
        }
        for (n, i) in lock(&self.entries).iter() {
            let a = i.attr().unwrap_or_default();
            names.insert(
                n.clone(),
                DirEntry {
                    ino: a.ino,
                    dtype: a.dtype(),
                    name: n.clone(),
                },
            );
        }
        Ok(names.into_values().collect())
    }

    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(DirOps))
    }

    fn create(&self, name: &[u8], c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        let scratch = TmpDir::new(self.memory.clone(), c);
        let inode = scratch.create(name, c)?;
        self.add_new(name, inode)
    }

    fn mkdir(&self, name: &[u8], c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        let mut attr = TmpDir::new(self.memory.clone(), c).attr()?;
        attr.mode = S_IFDIR | (c.mode & 0o7777);
        let dir = Arc::new(OvDir {
            memory: self.memory.clone(),
            lower: None,
            attr: Mutex::new(attr),
            entries: Mutex::new(BTreeMap::new()),
            whiteouts: Mutex::new(HashSet::new()),
            dead: AtomicBool::new(false),
        });
        let r = self.add_new(name, dir)?;
        // The new directory's ".." links to this one.
        bump_nlink(&self.attr, 1);
        Ok(r)
    }

    fn symlink(&self, name: &[u8], target: &[u8], c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        let scratch = TmpDir::new(self.memory.clone(), c);
        let inode = scratch.symlink(name, target, c)?;
        self.add_new(name, inode)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        if target.attr()?.is_dir() {
            return Err(Errno::EPERM);
        }
        self.add_new(name, target.clone())?;
        target.adjust_nlink(1);
        Ok(())
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        let inode = self.lookup(name)?;
        let is_dir = inode.attr()?.is_dir();
        if dir && !is_dir {
            return Err(Errno::ENOTDIR);
        }
        if !dir && is_dir {
            return Err(Errno::EISDIR);
        }
        if is_dir && !inode.readdir()?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.remove_name(name);
        if is_dir {
            inode.mark_dead();
            bump_nlink(&self.attr, -1);
        } else {
            inode.adjust_nlink(-1);
        }
        self.touch();
        Ok(())
    }

    fn rename(&self, name: &[u8], new_dir: &Arc<dyn Inode>, new_name: &[u8]) -> Result<(), Errno> {
        check_name(new_name)?;
        let target = new_dir
            .as_any()
            .downcast_ref::<OvDir>()
            .ok_or(Errno::EXDEV)?;
        let moving = self.lookup(name)?;
        let moving_dir = moving.attr()?.is_dir();
        match target.lookup(new_name) {
            Ok(existing) => {
                if crate::vfs::check_replace(&moving, &existing)? {
                    return Ok(());
                }
            }
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let replaced = target.lookup(new_name).ok();
        self.remove_name(name);
        lock(&target.entries).insert(new_name.to_vec(), moving);
        if let Some(old) = replaced {
            if old.attr().is_ok_and(|a| a.is_dir()) {
                old.mark_dead();
                bump_nlink(&target.attr, -1);
            } else {
                old.adjust_nlink(-1);
            }
        }
        if moving_dir {
            bump_nlink(&self.attr, -1);
            bump_nlink(&target.attr, 1);
        }
        self.touch();
        target.touch();
        Ok(())
    }

    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        if a.size.is_some() {
            return Err(Errno::EISDIR);
        }
        apply_setattr(&mut lock(&self.attr), &a);
        Ok(())
    }

    fn statfs(&self) -> Result<FsStat, Errno> {
        match &self.lower {
            Some(l) => l.statfs(),
            None => Ok(FsStat {
                fs_type: 0x794c_7630,
                bsize: 4096,
                namelen: 255,
                ..FsStat::default()
            }),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An overlay regular file: lower data until first written, then a tmpfs copy.
pub struct OvFile {
    memory: Arc<MemoryFile>,
    lower: Arc<GoferNode>,
    upper: Mutex<Option<Arc<TmpFile>>>,
    attr: Mutex<Attr>,
    /// The lower file's contents in memory-file pages, read as mappings
    /// touch them and shared by every mapping since: a library or program
    /// is read from the host once per sandbox, not once per process. (The
    /// lower layer does not change under the sandbox.)
    pages: OnceLock<Option<Arc<LowerPages>>>,
}

impl OvFile {
    fn lower_pages(&self) -> Option<Arc<LowerPages>> {
        self.pages
            .get_or_init(|| {
                let size = lock(&self.attr).size;
                let fd = self.lower.read_fd().ok()?;
                LowerPages::new(&self.memory, fd, size).ok().map(Arc::new)
            })
            .clone()
    }

    fn copy_up(&self) -> Result<Arc<TmpFile>, Errno> {
        let mut upper = lock(&self.upper);
        if let Some(u) = upper.as_ref() {
            return Ok(u.clone());
        }
        let attr = *lock(&self.attr);
        let file = TmpFile::with_attr(self.memory.clone(), attr);
        let mut buf = vec![0u8; 1 << 20];
        let mut off = 0u64;
        loop {
            let n = self.lower.pread(&mut buf, off)?;
            if n == 0 {
                break;
            }
            file.fill(&buf[..n], off)?;
            off += n as u64;
        }
        *upper = Some(file.clone());
        Ok(file)
    }
}

impl Inode for OvFile {
    fn adjust_nlink(&self, delta: i64) {
        bump_nlink(&self.attr, delta);
        if let Some(u) = lock(&self.upper).as_ref() {
            u.adjust_nlink(delta);
        }
    }

    fn attr(&self) -> Result<Attr, Errno> {
        if let Some(u) = lock(&self.upper).as_ref() {
            return u.attr();
        }
        Ok(*lock(&self.attr))
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let writes = matches!(flags & 3, 1 | 2) || flags & 0o1000 != 0;
        let upper = lock(&self.upper).clone();
        match upper {
            Some(u) => u.open(flags),
            None if writes => self.copy_up()?.open(flags),
            None => Ok(Arc::new(LowerFileOps { node: self })),
        }
    }

    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        self.copy_up()?.setattr(a)
    }

    fn statfs(&self) -> Result<FsStat, Errno> {
        self.lower.statfs()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Reading an overlay file that has not been copied up.
struct LowerFileOps {
    node: Arc<OvFile>,
}

impl FileOps for LowerFileOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        // A copy-up through another description makes the upper the truth.
        if let Some(u) = lock(&self.node.upper).clone() {
            return u.open(0)?.read(buf, off);
        }
        self.node.lower.pread(buf, off)
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }

    fn mmap_source(&self) -> MmapSource {
        if lock(&self.node.upper).is_some() {
            // Copied up through another description: read the upper.
            return MmapSource::Copy;
        }
        match self.node.lower_pages() {
            Some(pages) => MmapSource::Cached(pages),
            None => MmapSource::Copy,
        }
    }

    fn seek(&self, off: i64, whence: crate::vfs::Whence, _pos: u64) -> Option<Result<u64, Errno>> {
        use crate::vfs::Whence;
        let size = self.node.attr().map(|a| a.size).unwrap_or(0);
        let off = u64::try_from(off).ok();
        match whence {
            Whence::Data => Some(off.filter(|o| *o < size).ok_or(Errno::ENXIO)),
            Whence::Hole => Some(off.filter(|o| *o < size).map(|_| size).ok_or(Errno::ENXIO)),
            _ => None,
        }
    }
}

/// A lower symlink, device node, FIFO or socket: visible, not writable.
pub struct OvOther {
    lower: Arc<GoferNode>,
    attr: Mutex<Attr>,
}

impl Inode for OvOther {
    fn adjust_nlink(&self, delta: i64) {
        bump_nlink(&self.attr, delta);
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(*lock(&self.attr))
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        if lock(&self.attr).mode & S_IFMT != S_IFLNK {
            return Err(Errno::EINVAL);
        }
        self.lower.readlink()
    }

    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if lock(&self.attr).mode & S_IFMT == S_IFLNK {
            return Err(Errno::ELOOP);
        }
        Err(Errno::ENXIO)
    }

    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        apply_setattr(&mut lock(&self.attr), &a);
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
