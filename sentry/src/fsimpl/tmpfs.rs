//! tmpfs: directories, regular files, symlinks and FIFO nodes held in the
//! Sentry, file data in memory-file chunks (so `MAP_SHARED` maps share it).
//! It is also the upper layer of the overlay root.

use crate::kernel::process::lock;
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use abi::Errno;

use crate::mm::{MemoryFile, PAGE, Range, SharedPages};
use crate::vfs::{
    Attr, Creation, DirEntry, FileOps, Inode, MmapSource, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG,
    SetAttr, Time, Whence, check_name, next_ino,
};

/// Device number reported for tmpfs inodes.
pub const TMPFS_DEV: u64 = 0x2f;
const CHUNK: u64 = 64 * 1024;
/// Largest tmpfs file (`EFBIG` beyond).
const MAX_FILE: u64 = 1 << 40;

/// Attributes common to all tmpfs inodes.
fn new_attr(c: Creation) -> Attr {
    Attr::fresh(TMPFS_DEV, next_ino(), c.mode, c.uid, c.gid)
}

/// Applies the fields `a` sets to `attr` and stamps the change time.
pub fn apply_setattr(attr: &mut Attr, a: &SetAttr) {
    if let Some(m) = a.mode {
        attr.mode = (attr.mode & S_IFMT) | (m & 0o7777);
    }
    if let Some(u) = a.uid {
        attr.uid = u;
    }
    if let Some(g) = a.gid {
        attr.gid = g;
    }
    if let Some(t) = a.atime {
        attr.atime = t;
    }
    if let Some(t) = a.mtime {
        attr.mtime = t;
    }
    attr.ctime = Time::now();
}

/// Adds `delta` to the link count in `attr` and updates its ctime.
pub(crate) fn bump_nlink(attr: &Mutex<Attr>, delta: i64) {
    let mut a = lock(attr);
    a.nlink = a.nlink.saturating_add_signed(delta);
    a.ctime = Time::now();
}

/// The bytes of a regular file: 64 KiB memory-file chunks, allocated on write.
pub struct FileData {
    file: Arc<MemoryFile>,
    chunks: Mutex<Vec<Option<Range>>>,
}

impl FileData {
    /// Empty data in `file`.
    pub fn new(file: Arc<MemoryFile>) -> Arc<FileData> {
        Arc::new(FileData {
            file,
            chunks: Mutex::new(Vec::new()),
        })
    }

    fn chunk_offset(&self, chunks: &mut Vec<Option<Range>>, index: usize) -> Result<u64, Errno> {
        if chunks.len() <= index {
            chunks.resize_with(index + 1, || None);
        }
        if let Some(r) = &chunks[index] {
            return Ok(r.offset);
        }
        let r = self.file.allocate(CHUNK).map_err(|_| Errno::ENOSPC)?;
        let off = r.offset;
        chunks[index] = Some(r);
        Ok(off)
    }

    /// Reads `buf.len()` bytes at `off` (the caller bounds it by the size).
    pub fn read(&self, buf: &mut [u8], off: u64) {
        let chunks = lock(&self.chunks);
        let mut done = 0usize;
        while done < buf.len() {
            let pos = off + done as u64;
            let idx = (pos / CHUNK) as usize;
            let in_chunk = pos % CHUNK;
            let n = ((CHUNK - in_chunk) as usize).min(buf.len() - done);
            match chunks.get(idx).and_then(|c| c.as_ref()) {
                Some(r) => self
                    .file
                    .read(r.offset + in_chunk, &mut buf[done..done + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
    }

    /// Writes `buf` at `off`.
    pub fn write(&self, buf: &[u8], off: u64) -> Result<(), Errno> {
        let mut chunks = lock(&self.chunks);
        let mut done = 0usize;
        while done < buf.len() {
            let pos = off + done as u64;
            let idx = usize::try_from(pos / CHUNK).map_err(|_| Errno::EFBIG)?;
            let in_chunk = pos % CHUNK;
            let n = ((CHUNK - in_chunk) as usize).min(buf.len() - done);
            let base = self.chunk_offset(&mut chunks, idx)?;
            self.file.write(base + in_chunk, &buf[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// Drops data past `size` (the tail of the last chunk is zeroed).
    pub fn truncate(&self, size: u64) {
        let mut chunks = lock(&self.chunks);
        let keep = size.div_ceil(CHUNK) as usize;
        if chunks.len() > keep {
            chunks.truncate(keep);
        }
        let tail = size % CHUNK;
        if tail != 0
            && let Some(Some(r)) = chunks.get((size / CHUNK) as usize)
        {
            self.file.zero(r.offset + tail, CHUNK - tail);
        }
    }

    /// Bytes allocated.
    pub fn allocated(&self) -> u64 {
        lock(&self.chunks).iter().filter(|c| c.is_some()).count() as u64 * CHUNK
    }
}

/// A tmpfs regular file.
pub struct TmpFile {
    attr: Mutex<Attr>,
    data: Arc<FileData>,
}

/// Pages of a tmpfs file for shared mappings.
struct FilePages {
    file: Arc<TmpFile>,
}

impl SharedPages for FilePages {
    fn page(&self, index: u64) -> Result<Option<u64>, Errno> {
        let size = lock(&self.file.attr).size;
        if index.saturating_mul(PAGE) >= size.div_ceil(PAGE) * PAGE {
            return Ok(None);
        }
        let mut chunks = lock(&self.file.data.chunks);
        let per = CHUNK / PAGE;
        let idx = usize::try_from(index / per).map_err(|_| Errno::EFBIG)?;
        let base = self.file.data.chunk_offset(&mut chunks, idx)?;
        Ok(Some(base + (index % per) * PAGE))
    }
}

impl TmpFile {
    /// A new empty file.
    pub fn new(file: Arc<MemoryFile>, c: Creation) -> Arc<TmpFile> {
        let mut attr = new_attr(c);
        attr.mode = S_IFREG | (c.mode & 0o7777);
        Arc::new(TmpFile {
            attr: Mutex::new(attr),
            data: FileData::new(file),
        })
    }

    /// A file with the given attributes (keeps inode number and times) and contents.
    pub fn with_attr(file: Arc<MemoryFile>, attr: Attr) -> Arc<TmpFile> {
        Arc::new(TmpFile {
            attr: Mutex::new(attr),
            data: FileData::new(file),
        })
    }

    /// Writes during copy-up, without touching times.
    pub fn fill(&self, buf: &[u8], off: u64) -> Result<(), Errno> {
        self.data.write(buf, off)
    }

    fn set_size(&self, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE {
            return Err(Errno::EFBIG);
        }
        let mut a = lock(&self.attr);
        if size < a.size {
            self.data.truncate(size);
        }
        a.size = size;
        let now = Time::now();
        a.mtime = now;
        a.ctime = now;
        Ok(())
    }
}

impl Inode for TmpFile {
    fn adjust_nlink(&self, delta: i64) {
        bump_nlink(&self.attr, delta);
    }

    fn attr(&self) -> Result<Attr, Errno> {
        let mut a = *lock(&self.attr);
        a.blocks = self.data.allocated() / 512;
        Ok(a)
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        // Linux truncates on O_TRUNC even with O_RDONLY.
        if flags & 0o1000 != 0 && flags & 0o10000000 == 0 {
            self.set_size(0)?;
        }
        Ok(Arc::new(TmpFileOps { file: self }))
    }

    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        if let Some(s) = a.size {
            self.set_size(s)?;
        }
        apply_setattr(&mut lock(&self.attr), &a);
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct TmpFileOps {
    file: Arc<TmpFile>,
}

impl FileOps for TmpFileOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let size = lock(&self.file.attr).size;
        if off >= size {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(size - off) as usize;
        self.file.data.read(&mut buf[..n], off);
        Ok(n)
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        if end > MAX_FILE {
            return Err(Errno::EFBIG);
        }
        self.file.data.write(buf, off)?;
        let mut a = lock(&self.file.attr);
        a.size = a.size.max(end);
        let now = Time::now();
        a.mtime = now;
        a.ctime = now;
        Ok(buf.len())
    }

    fn seek(&self, off: i64, whence: Whence, _pos: u64) -> Option<Result<u64, Errno>> {
        let size = lock(&self.file.attr).size;
        let off = u64::try_from(off).ok();
        match whence {
            // Every byte of a tmpfs file reads as data; the only hole is at the end.
            Whence::Data => Some(off.filter(|o| *o < size).ok_or(Errno::ENXIO)),
            Whence::Hole => Some(off.filter(|o| *o < size).map(|_| size).ok_or(Errno::ENXIO)),
            _ => None,
        }
    }

    fn mmap_source(&self) -> MmapSource {
        MmapSource::Pages(Arc::new(FilePages {
            file: self.file.clone(),
        }))
    }
}

/// A tmpfs symbolic link.
pub struct TmpSymlink {
    attr: Mutex<Attr>,
    target: Vec<u8>,
}

impl TmpSymlink {
    /// A new link to `target`.
    pub fn new(target: &[u8], c: Creation) -> Arc<TmpSymlink> {
        let mut attr = new_attr(c);
        attr.mode = S_IFLNK | 0o777;
        attr.size = target.len() as u64;
        Arc::new(TmpSymlink {
            attr: Mutex::new(attr),
            target: target.to_vec(),
        })
    }
}

impl Inode for TmpSymlink {
    fn adjust_nlink(&self, delta: i64) {
        bump_nlink(&self.attr, delta);
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(*lock(&self.attr))
    }
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Ok(self.target.clone())
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        apply_setattr(&mut lock(&self.attr), &a);
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A special node (FIFO, socket, device); a FIFO holds the pipe its
/// openers share.
pub struct TmpNode {
    attr: Mutex<Attr>,
    fifo: Option<Arc<crate::fsimpl::pipe::Pipe>>,
}

/// The pipe behind a FIFO node, if `inode` is one.
pub fn fifo_of(inode: &dyn Inode) -> Option<Arc<crate::fsimpl::pipe::Pipe>> {
    inode
        .as_any()
        .downcast_ref::<TmpNode>()
        .and_then(|n| n.fifo.clone())
}

impl Inode for TmpNode {
    fn adjust_nlink(&self, delta: i64) {
        bump_nlink(&self.attr, delta);
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(*lock(&self.attr))
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        match &self.fifo {
            Some(p) => p.clone().open(flags),
            None => Err(Errno::ENXIO),
        }
    }
    fn setattr(&self, a: SetAttr) -> Result<(), Errno> {
        apply_setattr(&mut lock(&self.attr), &a);
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A tmpfs directory.
pub struct TmpDir {
    attr: Mutex<Attr>,
    memory: Arc<MemoryFile>,
    entries: Mutex<BTreeMap<Vec<u8>, Arc<dyn Inode>>>,
    /// Removed by `rmdir`.
    dead: AtomicBool,
}

impl TmpDir {
    /// A new empty directory.
    pub fn new(memory: Arc<MemoryFile>, c: Creation) -> Arc<TmpDir> {
        let mut attr = new_attr(c);
        attr.mode = S_IFDIR | (c.mode & 0o7777);
        attr.nlink = 2;
        attr.size = 4096;
        Arc::new(TmpDir {
            attr: Mutex::new(attr),
            memory,
            entries: Mutex::new(BTreeMap::new()),
            dead: AtomicBool::new(false),
        })
    }

    /// Adds `inode` as `name` (building fixed trees such as `/dev`).
    pub fn add(&self, name: &[u8], inode: Arc<dyn Inode>) {
        lock(&self.entries).insert(name.to_vec(), inode);
    }

    fn touch(&self) {
        let mut a = lock(&self.attr);
        let now = Time::now();
        a.mtime = now;
        a.ctime = now;
    }

    fn insert_new(&self, name: &[u8], inode: Arc<dyn Inode>) -> Result<Arc<dyn Inode>, Errno> {
        check_name(name)?;
        if self.dead.load(Ordering::Relaxed) {
            return Err(Errno::ENOENT);
        }
        let mut e = lock(&self.entries);
        if e.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        e.insert(name.to_vec(), inode.clone());
        drop(e);
        self.touch();
        Ok(inode)
    }
}

impl Inode for TmpDir {
    fn attr(&self) -> Result<Attr, Errno> {
        let mut a = *lock(&self.attr);
        let subdirs = lock(&self.entries)
            .values()
            .filter(|i| i.attr().is_ok_and(|a| a.is_dir()))
            .count() as u64;
        a.nlink = if self.dead.load(Ordering::Relaxed) {
            0
        } else {
            2 + subdirs
        };
        Ok(a)
    }

    fn mark_dead(&self) {
        self.dead.store(true, Ordering::Relaxed);
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        lock(&self.entries).get(name).cloned().ok_or(Errno::ENOENT)
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Ok(lock(&self.entries)
            .iter()
            .map(|(n, i)| {
                let a = i.attr().unwrap_or_default();
                DirEntry {
                    ino: a.ino,
                    dtype: a.dtype(),
                    name: n.clone(),
                }
            })
            .collect())
    }

    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(DirOps))
    }

    fn create(&self, name: &[u8], c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        let inode: Arc<dyn Inode> = if c.mode & S_IFMT == S_IFREG || c.mode & S_IFMT == 0 {
            TmpFile::new(self.memory.clone(), c)
        } else {
            let mut attr = new_attr(c);
            attr.mode = c.mode;
            let fifo = (c.mode & S_IFMT == crate::vfs::S_IFIFO)
                .then(|| crate::fsimpl::pipe::Pipe::new(c.uid, c.gid));
            Arc::new(TmpNode {
                attr: Mutex::new(attr),
                fifo,
            })
        };
        self.insert_new(name, inode)
    }

    fn mkdir(&self, name: &[u8], c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        self.insert_new(name, TmpDir::new(self.memory.clone(), c))
    }

    fn symlink(&self, name: &[u8], target: &[u8], c: Creation) -> Result<Arc<dyn Inode>, Errno> {
        self.insert_new(name, TmpSymlink::new(target, c))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        if target.attr()?.is_dir() {
            return Err(Errno::EPERM);
        }
        self.insert_new(name, target.clone())?;
        target.adjust_nlink(1);
        Ok(())
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        let mut e = lock(&self.entries);
        let inode = e.get(name).ok_or(Errno::ENOENT)?;
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
        if let Some(gone) = e.remove(name) {
            if is_dir {
                gone.mark_dead();
            } else {
                gone.adjust_nlink(-1);
            }
        }
        drop(e);
        self.touch();
        Ok(())
    }

    fn rename(&self, name: &[u8], new_dir: &Arc<dyn Inode>, new_name: &[u8]) -> Result<(), Errno> {
        check_name(new_name)?;
        let target = new_dir
            .as_any()
            .downcast_ref::<TmpDir>()
            .ok_or(Errno::EXDEV)?;
        let moving = self.lookup(name)?;
        if let Ok(existing) = target.lookup(new_name)
            && crate::vfs::check_replace(&moving, &existing)?
        {
            return Ok(());
        }
        lock(&self.entries).remove(name);
        if let Some(old) = lock(&target.entries).insert(new_name.to_vec(), moving) {
            if old.attr().is_ok_and(|a| a.is_dir()) {
                old.mark_dead();
            } else {
                old.adjust_nlink(-1);
            }
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

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Operations of an open directory: reads fail with `EISDIR`.
pub struct DirOps;

impl FileOps for DirOps {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
}
