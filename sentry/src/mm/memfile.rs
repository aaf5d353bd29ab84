//! The memory file: one `memfd` per sandbox that holds every byte of guest
//! memory, mapped whole into the Sentry. This module and the platform crate
//! are the only places that touch raw memory.
//!
//! Ranges are handed out page-aligned by a best-fit extent allocator; the
//! host allocates physical pages lazily on first touch, and freed ranges are
//! returned to the host with `fallocate(PUNCH_HOLE)`.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use abi::Errno;

/// Page size of x86-64.
pub const PAGE: u64 = 4096;

/// Virtual size of the memory file: address space, not memory.
const FILE_SIZE: u64 = 1 << 38;

/// The sandbox's memory file.
pub struct MemoryFile {
    fd: OwnedFd,
    base: *mut u8,
    free: Mutex<FreeList>,
}

// SAFETY: `base` points to a shared mapping that lives as long as the
// MemoryFile; all access through it goes through methods that copy bytes,
// and concurrent access to guest memory is what the guest asked for.
unsafe impl Send for MemoryFile {}
// SAFETY: as above.
unsafe impl Sync for MemoryFile {}

struct FreeList {
    /// start → length of each free extent.
    by_start: BTreeMap<u64, u64>,
}

impl MemoryFile {
    /// Creates the memory file and maps it into the Sentry.
    pub fn new() -> std::io::Result<Arc<MemoryFile>> {
        // SAFETY: the name is a valid C string.
        let raw = unsafe { libc::memfd_create(c"rvisor-memory".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh FD we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: fd is a valid memfd.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), FILE_SIZE as i64) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: maps the whole file shared; the kernel picks the address.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                FILE_SIZE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let mut by_start = BTreeMap::new();
        // Page 0 is never handed out, so offset 0 can mean "no page".
        by_start.insert(PAGE, FILE_SIZE - PAGE);
        Ok(Arc::new(MemoryFile {
            fd,
            base: base.cast(),
            free: Mutex::new(FreeList { by_start }),
        }))
    }

    /// The host FD of the memory file (stubs map ranges of it).
    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// Allocates `len` bytes (rounded up to pages) of zeroed memory.
    pub fn allocate(self: &Arc<Self>, len: u64) -> Result<Range, Errno> {
        let len = len.checked_add(PAGE - 1).ok_or(Errno::ENOMEM)? & !(PAGE - 1);
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let mut free = self.free.lock().map_err(|_| Errno::ENOMEM)?;
        // First fit in address order keeps the file compact.
        let found = free
            .by_start
            .iter()
            .find(|(_, l)| **l >= len)
            .map(|(s, l)| (*s, *l));
        let (start, extent) = found.ok_or(Errno::ENOMEM)?;
        free.by_start.remove(&start);
        if extent > len {
            free.by_start.insert(start + len, extent - len);
        }
        Ok(Range {
            file: self.clone(),
            offset: start,
            len,
        })
    }

    fn release(&self, offset: u64, len: u64) {
        self.punch(offset, len);
        let Ok(mut free) = self.free.lock() else {
            return;
        };
        let mut start = offset;
        let mut len = len;
        // Merge with the following extent.
        if let Some(next_len) = free.by_start.remove(&(start + len)) {
            len += next_len;
        }
        // Merge with the preceding extent.
        let prev = free
            .by_start
            .range(..start)
            .next_back()
            .map(|(s, l)| (*s, *l));
        if let Some((ps, pl)) = prev
            && ps + pl == start
        {
            free.by_start.remove(&ps);
            start = ps;
            len += pl;
        }
        free.by_start.insert(start, len);
    }

    /// Gives the pages of `[offset, offset+len)` back to the host; they read
    /// as zero afterwards.
    pub fn punch(&self, offset: u64, len: u64) {
        // SAFETY: operates on our own memfd; no memory is touched.
        unsafe {
            libc::fallocate(
                self.fd.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                offset as i64,
                len as i64,
            );
        }
    }

    fn check(&self, offset: u64, len: usize) -> bool {
        offset
            .checked_add(len as u64)
            .is_some_and(|end| end <= FILE_SIZE)
    }

    /// The Sentry's address of byte `offset` of the file (for platforms
    /// that share memory with stubs).
    pub fn host_address(&self, offset: u64) -> Option<usize> {
        self.check(offset, 0)
            .then(|| self.base as usize + offset as usize)
    }

    /// Copies bytes of the file at `offset` into `dst`.
    pub fn read(&self, offset: u64, dst: &mut [u8]) {
        if !self.check(offset, dst.len()) {
            return;
        }
        // SAFETY: the range is inside the mapping (checked); the guest may
        // write it concurrently, which makes the bytes unspecified but the
        // copy itself sound (plain bytes, no references held).
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.add(offset as usize),
                dst.as_mut_ptr(),
                dst.len(),
            );
        }
    }

    /// Copies `src` into the file at `offset`.
    pub fn write(&self, offset: u64, src: &[u8]) {
        if !self.check(offset, src.len()) {
            return;
        }
        // SAFETY: as in `read`.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.base.add(offset as usize), src.len());
        }
    }

    /// Atomically replaces the 32-bit word at `offset` (4-byte aligned) with
    /// `new` if it holds `old`; returns the value found. `None` when the
    /// offset is misaligned or outside the file.
    pub fn compare_exchange_u32(&self, offset: u64, old: u32, new: u32) -> Option<u32> {
        if !offset.is_multiple_of(4) || !self.check(offset, 4) {
            return None;
        }
        // SAFETY: the word is inside the mapping (checked) and 4-byte
        // aligned (the mapping is page-aligned); the guest accesses it
        // concurrently only through its own atomic or plain accesses of
        // shared memory, which is what an atomic view of it is for.
        let word = unsafe {
            std::sync::atomic::AtomicU32::from_ptr(self.base.add(offset as usize).cast::<u32>())
        };
        Some(
            match word.compare_exchange(
                old,
                new,
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
            ) {
                Ok(v) | Err(v) => v,
            },
        )
    }

    /// Atomically replaces the eight bytes at `offset` with `new` if they
    /// hold `old` (code patching: one locked instruction, so a thread
    /// fetching the bytes sees all old or all new). The bytes must lie in
    /// one cache line; false if they do not, are outside the file, or
    /// held something else.
    pub fn compare_exchange_code(&self, offset: u64, old: u64, new: u64) -> bool {
        if offset % 64 > 56 || !self.check(offset, 8) {
            return false;
        }
        let found: u64;
        // SAFETY: the eight bytes are inside the mapping (checked) and in
        // one cache line, where a locked cmpxchg is atomic even unaligned;
        // the guest may access them concurrently, which is what the lock
        // is for. No Rust reference to the bytes exists.
        unsafe {
            std::arch::asm!(
                "lock cmpxchg qword ptr [{p}], {new}",
                p = in(reg) self.base.add(offset as usize),
                new = in(reg) new,
                inout("rax") old => found,
                options(nostack),
            );
        }
        found == old
    }

    /// Fills `[offset, offset+len)` with zeroes.
    pub fn zero(&self, offset: u64, len: u64) {
        if !self.check(offset, len as usize) {
            return;
        }
        // SAFETY: as in `read`.
        unsafe { std::ptr::write_bytes(self.base.add(offset as usize), 0, len as usize) };
    }

    /// Copies within the file.
    pub fn copy(&self, dst: u64, src: u64, len: u64) {
        if !self.check(dst, len as usize) || !self.check(src, len as usize) {
            return;
        }
        // SAFETY: both ranges are inside the mapping; `copy` allows overlap.
        unsafe {
            std::ptr::copy(
                self.base.add(src as usize),
                self.base.add(dst as usize),
                len as usize,
            );
        }
    }

    /// The runs of `[start, end)` that have pages, as (start, end) pairs:
    /// the rest are holes the host has not allocated, or punched
    /// (`SEEK_DATA`/`SEEK_HOLE`).
    fn data_runs(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        let fd = self.fd.as_raw_fd();
        let mut pos = start;
        std::iter::from_fn(move || {
            if pos >= end {
                return None;
            }
            // SAFETY: lseek on our own memfd touches no memory.
            let data = unsafe { libc::lseek(fd, pos as i64, libc::SEEK_DATA) };
            if data < 0 || data as u64 >= end {
                pos = end;
                return None;
            }
            let data = data as u64;
            // SAFETY: as above.
            let hole = unsafe { libc::lseek(fd, data as i64, libc::SEEK_HOLE) };
            let hole = if hole < 0 {
                end
            } else {
                (hole as u64).min(end)
            };
            pos = hole;
            Some((data, hole))
        })
    }

    /// Copies `len` bytes from `src` to `dst` (both in the file), skipping
    /// holes so that untouched pages stay unallocated in the copy.
    pub fn copy_data(&self, dst: u64, src: u64, len: u64) {
        for (data, hole) in self.data_runs(src, src + len) {
            self.copy(dst + (data - src), data, hole - data);
        }
    }

    /// How many bytes of `[offset, offset+len)` have pages (the rest are
    /// holes the host has not allocated, or punched).
    pub fn resident(&self, offset: u64, len: u64) -> u64 {
        let end = offset.saturating_add(len).min(FILE_SIZE);
        self.data_runs(offset, end).map(|(d, h)| h - d).sum()
    }

    /// Reads from host FD `fd` at file offset `pos` straight into the memory
    /// file at `offset`; returns the number of bytes read.
    pub fn read_from_host(&self, fd: i32, pos: u64, offset: u64, len: u64) -> Result<u64, Errno> {
        if !self.check(offset, len as usize) {
            return Err(Errno::EFAULT);
        }
        let mut done = 0u64;
        while done < len {
            // SAFETY: the destination is inside our mapping (checked above).
            let r = unsafe {
                libc::pread(
                    fd,
                    self.base.add((offset + done) as usize).cast(),
                    (len - done) as usize,
                    (pos + done) as i64,
                )
            };
            if r < 0 {
                let e = std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO);
                if e == libc::EINTR {
                    continue;
                }
                return Err(Errno(e));
            }
            if r == 0 {
                break;
            }
            done += r as u64;
        }
        Ok(done)
    }
}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping made in `new`; no references into it
        // outlive `self`.
        unsafe { libc::munmap(self.base.cast(), FILE_SIZE as usize) };
    }
}

/// An owned, page-aligned range of the memory file, freed on drop.
pub struct Range {
    file: Arc<MemoryFile>,
    /// Offset in the memory file.
    pub offset: u64,
    /// Length in bytes (a multiple of the page size).
    pub len: u64,
}

impl Range {
    /// The memory file this range belongs to.
    pub fn file(&self) -> &Arc<MemoryFile> {
        &self.file
    }
}

impl Drop for Range {
    fn drop(&mut self) {
        self.file.release(self.offset, self.len);
    }
}

impl std::fmt::Debug for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Range({:#x}+{:#x})", self.offset, self.len)
    }
}
