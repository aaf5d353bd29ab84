//! Guest memory: the memory file, address spaces made of VMAs, and the one
//! typed way the kernel reads and writes guest memory.
//!
//! A [`MemoryManager`] owns the VMAs of one guest address space. Each VMA is
//! backed by memory-file pages: a private range (anonymous memory or a
//! private copy of file contents) or the pages of a shared object (a tmpfs
//! file). The VMA is mapped into the platform's address space when it is
//! created, so the host allocates pages lazily on first touch and ordinary
//! page faults never reach the Sentry; a fault that does reach it is a
//! genuine access violation.
//!
//! # Lock order
//! `MemoryManager::inner` is a leaf lock except for calls into the platform
//! address space and the memory file, which take no kernel locks.

mod hostmap;
pub mod memfile;
mod patch;
mod stack;
mod usermem;
mod vma;

pub use memfile::{MemoryFile, PAGE, Range};
pub use patch::{AREA_END as PATCH_AREA_END, AREA_START as PATCH_AREA_START};
pub use stack::STACK_EXPAND;
pub use usermem::UserPtr;
pub use vma::{Backing, FixedPages, PageState, SharedPages, Vma, VmaName};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use abi::Errno;
use platform::{Access, AddressSpace, Prot, SpaceOp};

use hostmap::{FAULT_AROUND, host_map_ops};

/// Lowest address a guest mapping may have (`vm.mmap_min_addr`).
pub const MIN_ADDR: u64 = 0x10000;
/// One past the highest user address on x86-64 with 4-level paging.
pub const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// Top of the default stack.
pub const STACK_TOP: u64 = 0x7fff_ffff_e000;

/// Rounds `v` up to a page boundary; `None` on overflow.
pub fn page_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE - 1).map(|x| x & !(PAGE - 1))
}

/// Rounds `v` down to a page boundary.
pub fn page_down(v: u64) -> u64 {
    v & !(PAGE - 1)
}

/// What [`MemoryManager::fault`] made of a host fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// The fault broke a copy-on-write or mapped a page, or the mapping
    /// allowed the access already: run the guest again.
    Resolved,
    /// A page of a shared object past its end (`SIGBUS`, `BUS_ADRERR`).
    PastEnd,
    /// No mapping covers the address (`SIGSEGV`, `SEGV_MAPERR`).
    Unmapped,
    /// The mapping does not allow the access (`SIGSEGV`, `SEGV_ACCERR`).
    Denied,
}

/// A copy of an address space's layout taken at `fork`.
pub struct MmSnapshot {
    file: Arc<MemoryFile>,
    vmas: Vec<Vma>,
    brk_start: u64,
    brk: u64,
    args: (u64, u64),
    env: (u64, u64),
    auxv: (u64, u64),
    patch: patch::PatchState,
    stack: stack::StackLayout,
}

/// What a new mapping should hold.
pub struct MapRequest {
    /// Address hint or, with `fixed`, the exact address.
    pub addr: u64,
    /// Length in bytes (rounded up to pages).
    pub len: u64,
    /// Protection.
    pub prot: Prot,
    /// The most `mprotect` may grant later (write is absent for a shared
    /// mapping of a file opened read-only).
    pub max_prot: Prot,
    /// `MAP_FIXED`: replace whatever is at `addr`.
    pub fixed: bool,
    /// `MAP_FIXED_NOREPLACE`: exactly `addr`, failing with `EEXIST` if taken.
    pub noreplace: bool,
    /// `MAP_SHARED`.
    pub shared: bool,
    /// The pages.
    pub backing: Backing,
    /// Offset into the backing of the first page.
    pub offset: u64,
    /// Name in `/proc/PID/maps`.
    pub name: VmaName,
}

/// One guest address space.
pub struct MemoryManager {
    space: Arc<dyn AddressSpace>,
    file: Arc<MemoryFile>,
    inner: Mutex<MmInner>,
    /// Host changes held back while the address space is being built (see
    /// [`MemoryManager::defer_host_changes`]).
    deferred: Mutex<Option<Vec<SpaceOp>>>,
}

struct MmInner {
    vmas: BTreeMap<u64, Vma>,
    brk_start: u64,
    brk: u64,
    /// Host ranges no guest mapping may use (the stub's code).
    reserved: [(u64, u64); 2],
    /// The guest's `argv` and `envp` areas, for `/proc/PID/cmdline`.
    args: (u64, u64),
    env: (u64, u64),
    auxv: (u64, u64),
    /// Syscall-site patching.
    patch: patch::PatchState,
    /// The stack's limit and the `mmap` area's top.
    stack: stack::StackLayout,
}

impl MemoryManager {
    /// An empty address space on `space`, whose pages come from `file`.
    pub fn new(space: Arc<dyn AddressSpace>, file: Arc<MemoryFile>) -> MemoryManager {
        MemoryManager {
            space,
            file,
            inner: Mutex::new(MmInner {
                vmas: BTreeMap::new(),
                brk_start: 0,
                brk: 0,
                reserved: [
                    platform::stub::stub_range(),
                    (
                        platform::systrap::REGION_ADDR,
                        platform::systrap::REGION_ADDR + platform::systrap::REGION_SIZE,
                    ),
                ],
                args: (0, 0),
                env: (0, 0),
                auxv: (0, 0),
                patch: patch::PatchState::default(),
                stack: stack::StackLayout::default(),
            }),
            deferred: Mutex::new(None),
        }
    }

    /// Holds back host mapping changes until [`flush_host_changes`]
    /// (Self::flush_host_changes), which hands them to the platform in one
    /// batch: loading a program makes a dozen mappings before any guest
    /// code runs, each otherwise a round trip to the stub.
    pub fn defer_host_changes(&self) {
        let mut d = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        d.get_or_insert_with(Vec::new);
    }

    /// Applies the changes held back since [`defer_host_changes`]
    /// (Self::defer_host_changes) and stops holding them back.
    pub fn flush_host_changes(&self) -> Result<(), Errno> {
        let ops = self
            .deferred
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match ops {
            Some(ops) => self.space.apply(&ops).map_err(|_| Errno::ENOMEM),
            None => Ok(()),
        }
    }

    /// Gives the host mapping of `vma` its current protection
    /// ([`Vma::host_prot`]). A shared object's pages are mapped again
    /// rather than protected: pages not loaded yet, or past the object's
    /// end, leave holes `mprotect` would refuse.
    fn host_reprotect(&self, vma: &Vma) -> Result<(), Errno> {
        match vma.backing {
            Backing::Shared(_) => self.host_map(vma, vma.start, vma.end),
            Backing::Private(_) => self.host_apply(&[SpaceOp::Protect {
                addr: vma.start,
                len: vma.end - vma.start,
                prot: vma.host_prot(),
            }]),
        }
    }

    /// Applies `ops` to the host address space, or holds them back.
    fn host_apply(&self, ops: &[SpaceOp]) -> Result<(), Errno> {
        if let Some(d) = self
            .deferred
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            d.extend_from_slice(ops);
            return Ok(());
        }
        self.space.apply(ops).map_err(|_| Errno::ENOMEM)
    }

    fn lock(&self) -> MutexGuard<'_, MmInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The platform address space.
    pub fn space(&self) -> &Arc<dyn AddressSpace> {
        &self.space
    }

    /// The memory file.
    pub fn file(&self) -> &Arc<MemoryFile> {
        &self.file
    }

    /// Creates a mapping and returns its address.
    pub fn map(&self, req: MapRequest) -> Result<u64, Errno> {
        let len = page_up(req.len).ok_or(Errno::ENOMEM)?;
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.lock();
        let addr = if req.fixed || req.noreplace {
            if !req.addr.is_multiple_of(PAGE) {
                return Err(Errno::EINVAL);
            }
            let end = req.addr.checked_add(len).ok_or(Errno::ENOMEM)?;
            if end > TASK_SIZE || req.addr < MIN_ADDR.min(PAGE) {
                return Err(Errno::ENOMEM);
            }
            if reserved(&inner.reserved, req.addr, end) {
                return Err(Errno::ENOMEM);
            }
            if req.noreplace {
                self.yield_patch_area(&mut inner, req.addr, end);
            }
            if req.noreplace
                && inner
                    .vmas
                    .values()
                    .any(|v| v.start < end && req.addr < v.end)
            {
                return Err(Errno::EEXIST);
            }
            self.unmap_locked(&mut inner, req.addr, len)?;
            req.addr
        } else {
            find_free(&inner, page_down(req.addr), len)?
        };
        let vma = Vma {
            start: addr,
            end: addr + len,
            prot: req.prot,
            max_prot: req.max_prot,
            shared: req.shared,
            backing: req.backing,
            offset: req.offset,
            name: req.name,
            cow: false,
            // `accountable_mapping`: private and writable.
            account: !req.shared && req.prot.write,
        };
        self.host_map(&vma, addr, addr + len)?;
        inner.vmas.insert(addr, vma);
        Ok(addr)
    }

    /// Allocates fresh anonymous memory of `len` bytes for a mapping.
    pub fn anonymous(&self, len: u64) -> Result<Backing, Errno> {
        Ok(Backing::Private(Arc::new(self.file.allocate(len)?)))
    }

    fn host_map(&self, vma: &Vma, start: u64, end: u64) -> Result<(), Errno> {
        let mut ops = Vec::new();
        host_map_ops(vma, start, end, self.space.maps_host_files(), &mut ops)?;
        self.host_apply(&ops)
    }
}

impl MemoryManager {
    /// Removes mappings in `[addr, addr+len)` (`munmap`).
    pub fn unmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let len = page_up(len).ok_or(Errno::EINVAL)?;
        if len == 0 || addr.checked_add(len).is_none_or(|e| e > TASK_SIZE) {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.lock();
        self.unmap_locked(&mut inner, addr, len)
    }

    fn unmap_locked(&self, inner: &mut MmInner, addr: u64, len: u64) -> Result<(), Errno> {
        let end = addr + len;
        self.release_patch_area(inner, addr, end);
        self.forget_rejected(inner, addr, end);
        let keys: Vec<u64> = inner
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > addr)
            .map(|(k, _)| *k)
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        for k in keys {
            let Some(v) = inner.vmas.remove(&k) else {
                continue;
            };
            let (before, middle, after) = v.split3(addr, end);
            if let Some(b) = before {
                inner.vmas.insert(b.start, b);
            }
            if let Some(a) = after {
                inner.vmas.insert(a.start, a);
            }
            if let Some(m) = middle {
                m.release_pages(&self.file);
            }
        }
        self.host_apply(&[SpaceOp::Unmap { addr, len }])
    }

    /// Changes protection (`mprotect`).
    pub fn protect(&self, addr: u64, len: u64, prot: Prot) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let len = page_up(len).ok_or(Errno::ENOMEM)?;
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        let mut inner = self.lock();
        // The whole range must be mapped.
        let mut cursor = addr;
        for v in inner
            .vmas
            .range(..end)
            .map(|(_, v)| v)
            .filter(|v| v.end > addr)
        {
            if v.start > cursor {
                return Err(Errno::ENOMEM);
            }
            if (prot.write && !v.max_prot.write) || (prot.exec && !v.max_prot.exec) {
                return Err(Errno::EACCES);
            }
            cursor = v.end;
        }
        if cursor < end {
            return Err(Errno::ENOMEM);
        }
        self.release_patch_area(&mut inner, addr, end);
        let keys: Vec<u64> = inner
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > addr)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            let Some(v) = inner.vmas.remove(&k) else {
                continue;
            };
            let (before, middle, after) = v.split3(addr, end);
            for mut part in [before, middle, after].into_iter().flatten() {
                if part.start >= addr && part.end <= end {
                    if prot.write && !part.shared {
                        part.account = true;
                    } else if !prot.write
                        && part.account
                        && part.is_anonymous()
                        && part.resident(&self.file, false) == 0
                    {
                        part.account = false;
                    }
                    part.prot = prot;
                    self.host_reprotect(&part)?;
                }
                inner.vmas.insert(part.start, part);
            }
        }
        Ok(())
    }

    /// Moves or resizes a mapping (`mremap`).
    pub fn remap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        may_move: bool,
        fixed: Option<u64>,
    ) -> Result<u64, Errno> {
        if !old.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let old_len = page_up(old_len).ok_or(Errno::EINVAL)?;
        let new_len = page_up(new_len).ok_or(Errno::EINVAL)?;
        if new_len == 0 {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.lock();
        let (vstart, vend, shared) = {
            let v = vma_at(&inner, old).ok_or(Errno::EFAULT)?;
            (v.start, v.end, v.shared)
        };
        let old_end = old.checked_add(old_len).ok_or(Errno::EINVAL)?;
        if old_len == 0 || old_end > vend {
            return Err(Errno::EFAULT);
        }
        let _ = vstart;
        self.release_patch_area(&mut inner, old, old_end);
        if fixed.is_none() {
            if new_len <= old_len {
                if new_len < old_len {
                    self.unmap_locked(&mut inner, old + new_len, old_len - new_len)?;
                }
                return Ok(old);
            }
            // Grow in place when this is the end of the VMA and the space after is free.
            let new_end = old.checked_add(new_len).ok_or(Errno::ENOMEM)?;
            let free_after = new_end <= TASK_SIZE
                && !reserved(&inner.reserved, old_end, new_end)
                && !inner
                    .vmas
                    .values()
                    .any(|v| v.start < new_end && old_end < v.end);
            if old_end == vend
                && free_after
                && !shared
                && self.grow_in_place(&mut inner, old, new_end)?
            {
                return Ok(old);
            }
            if !may_move {
                return Err(Errno::ENOMEM);
            }
        }
        // Move: new private pages holding a copy of the old contents.
        let dst = match fixed {
            Some(a) => {
                if a % PAGE != 0 || a.checked_add(new_len).is_none_or(|e| e > TASK_SIZE) {
                    return Err(Errno::EINVAL);
                }
                if a < old_end && old < a + new_len {
                    return Err(Errno::EINVAL);
                }
                self.unmap_locked(&mut inner, a, new_len)?;
                a
            }
            None => find_free(&inner, 0, new_len)?,
        };
        let template = vma_at(&inner, old).ok_or(Errno::EFAULT)?.clone();
        let range = Arc::new(self.file.allocate(new_len)?);
        let copy_len = old_len.min(new_len);
        self.copy_pages(&template, old, range.offset, copy_len)?;
        let vma = Vma {
            start: dst,
            end: dst + new_len,
            backing: Backing::Private(range),
            offset: 0,
            cow: false,
            ..template
        };
        self.host_map(&vma, vma.start, vma.end)?;
        self.unmap_locked(&mut inner, old, old_len)?;
        inner.vmas.insert(dst, vma);
        Ok(dst)
    }

    /// Grows the VMA ending at `old_end`... by giving it fresh pages that follow it.
    fn grow_in_place(&self, inner: &mut MmInner, old: u64, new_end: u64) -> Result<bool, Errno> {
        let Some(v) = vma_at(inner, old).cloned() else {
            return Ok(false);
        };
        let extra = Vma {
            start: v.end,
            end: new_end,
            backing: Backing::Private(Arc::new(self.file.allocate(new_end - v.end)?)),
            offset: 0,
            cow: false,
            ..v
        };
        self.host_map(&extra, extra.start, extra.end)?;
        inner.vmas.insert(extra.start, extra);
        Ok(true)
    }

    fn copy_pages(&self, src_vma: &Vma, src: u64, dst_off: u64, len: u64) -> Result<(), Errno> {
        let mut done = 0;
        while done < len {
            let addr = src + done;
            let Some((off, avail)) = src_vma.translate(addr)? else {
                done += PAGE;
                continue;
            };
            let n = avail.min(len - done);
            self.file.copy(dst_off + done, off, n);
            done += n;
        }
        Ok(())
    }

    /// Sets up the program break after loading: `start` is the end of the data segment.
    pub fn set_brk_start(&self, start: u64) {
        let mut inner = self.lock();
        inner.brk_start = start;
        inner.brk = start;
    }

    /// The `brk` system call: moves the break, returning the (possibly unchanged) break.
    pub fn brk(&self, new: u64) -> u64 {
        let mut inner = self.lock();
        let cur = inner.brk;
        if new < inner.brk_start || new > TASK_SIZE {
            return cur;
        }
        let (Some(old_top), Some(new_top)) = (page_up(cur), page_up(new)) else {
            return cur;
        };
        if new_top > old_top {
            let len = new_top - old_top;
            self.yield_patch_area(&mut inner, old_top, new_top);
            if reserved(&inner.reserved, old_top, new_top)
                || inner
                    .vmas
                    .values()
                    .any(|v| v.start < new_top && old_top < v.end)
            {
                return cur;
            }
            let Ok(range) = self.file.allocate(len) else {
                return cur;
            };
            let rw = Prot {
                read: true,
                write: true,
                exec: false,
            };
            let vma = Vma {
                start: old_top,
                end: new_top,
                prot: rw,
                max_prot: Prot {
                    read: true,
                    write: true,
                    exec: true,
                },
                shared: false,
                backing: Backing::Private(Arc::new(range)),
                offset: 0,
                name: VmaName::Heap,
                cow: false,
                account: true,
            };
            if self.host_map(&vma, old_top, new_top).is_err() {
                return cur;
            }
            inner.vmas.insert(old_top, vma);
        } else if new_top < old_top
            && self
                .unmap_locked(&mut inner, new_top, old_top - new_top)
                .is_err()
        {
            return cur;
        }
        inner.brk = new;
        new
    }

    /// `madvise(MADV_DONTNEED)`: private pages read as zero (or the file's
    /// contents, for private file mappings, which we treat as anonymous).
    pub fn dont_need(&self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        let len = page_up(len).ok_or(Errno::EINVAL)?;
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        let mut inner = self.lock();
        self.release_patch_area(&mut inner, addr, end);
        let mut cursor = addr;
        for v in inner
            .vmas
            .range(..end)
            .map(|(_, v)| v)
            .filter(|v| v.end > addr)
        {
            if v.start > cursor {
                return Err(Errno::ENOMEM);
            }
            cursor = v.end;
            if v.shared {
                continue;
            }
            if let Backing::Private(r) = &v.backing {
                let s = v.start.max(addr);
                let e = v.end.min(end);
                self.file.punch(r.offset + v.offset + (s - v.start), e - s);
            }
        }
        if cursor < end {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// Whether `[addr, addr+len)` is entirely mapped (`msync`, `mincore`, `madvise` checks).
    pub fn is_mapped(&self, addr: u64, len: u64) -> bool {
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let inner = self.lock();
        let mut cursor = addr;
        for v in inner
            .vmas
            .range(..end)
            .map(|(_, v)| v)
            .filter(|v| v.end > addr)
        {
            if v.start > cursor {
                return false;
            }
            cursor = v.end;
        }
        cursor >= end
    }

    /// The VMA containing `addr`, if any.
    pub fn vma_containing(&self, addr: u64) -> Option<Vma> {
        vma_at(&self.lock(), addr).cloned()
    }

    /// Every VMA, in address order (for `/proc/PID/maps`).
    pub fn vmas(&self) -> Vec<Vma> {
        self.lock().vmas.values().cloned().collect()
    }

    /// Records where `argv` and `envp` strings live (for `/proc/PID/cmdline`).
    pub fn set_arg_env(&self, args: (u64, u64), env: (u64, u64)) {
        let mut inner = self.lock();
        inner.args = args;
        inner.env = env;
    }

    /// Records where the auxiliary vector lives (for `/proc/PID/auxv`).
    pub fn set_auxv(&self, range: (u64, u64)) {
        self.lock().auxv = range;
    }

    /// The auxiliary vector's area.
    pub fn auxv(&self) -> (u64, u64) {
        self.lock().auxv
    }

    /// The `argv` and `envp` string areas.
    pub fn arg_env(&self) -> ((u64, u64), (u64, u64)) {
        let inner = self.lock();
        (inner.args, inner.env)
    }

    /// Memory-file offset and contiguous length available at guest `addr`,
    /// if the access is allowed.
    fn translate(&self, addr: u64, write: bool) -> Result<(u64, u64), Errno> {
        let mut inner = self.lock();
        if vma_at(&inner, addr).is_none() {
            self.grow_stack(&mut inner, addr)?;
        }
        let (start, cow) = {
            let v = vma_at(&inner, addr).ok_or(Errno::EFAULT)?;
            if (write && !v.prot.write) || (!write && !v.prot.read) {
                return Err(Errno::EFAULT);
            }
            (v.start, v.cow)
        };
        if write && cow {
            self.break_cow_at(&mut inner, start, addr)?;
        }
        let v = vma_at(&inner, addr).ok_or(Errno::EFAULT)?;
        v.translate(addr)?.ok_or(Errno::EFAULT)
    }

    /// Writes `buf` at `addr` whatever the mapping's protection, as
    /// ptrace's `POKEDATA` does (breakpoints into text); copy-on-write pages
    /// are copied first so other address spaces never see the write.
    pub fn poke(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        let mut inner = self.lock();
        self.poke_locked(&mut inner, addr, buf)
    }

    fn poke_locked(&self, inner: &mut MmInner, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
            let off = self.writable_offset(inner, a)?;
            let avail = PAGE - a % PAGE;
            let n = (avail as usize).min(buf.len() - done);
            self.file.write(off, &buf[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// The memory-file offset of `addr` for a write whatever the mapping's
    /// protection: a copy-on-write page is copied first, and a private view
    /// of shared pages (the vDSO) gets pages of its own, so other address
    /// spaces never see the write.
    fn writable_offset(&self, inner: &mut MmInner, addr: u64) -> Result<u64, Errno> {
        let (start, cow, over_shared) = vma_at(inner, addr)
            .map(|v| {
                let over_shared = !v.shared && matches!(v.backing, Backing::Shared(_));
                (v.start, v.cow, over_shared)
            })
            .ok_or(Errno::EFAULT)?;
        if cow {
            self.break_cow_at(inner, start, addr)?;
        }
        let over_shared = over_shared
            && vma_at(inner, addr).is_some_and(|v| matches!(v.backing, Backing::Shared(_)));
        if over_shared {
            let start = vma_at(inner, addr).map(|v| v.start).ok_or(Errno::EFAULT)?;
            self.privatize(inner, start)?;
        }
        let v = vma_at(inner, addr).ok_or(Errno::EFAULT)?;
        let (off, _) = v.translate(addr)?.ok_or(Errno::EFAULT)?;
        Ok(off)
    }

    /// Gives the private VMA at `start`, which maps shared pages, a copy of
    /// its own.
    fn privatize(&self, inner: &mut MmInner, start: u64) -> Result<(), Errno> {
        let v = inner.vmas.get(&start).cloned().ok_or(Errno::EFAULT)?;
        let len = v.end - v.start;
        let range = Arc::new(self.file.allocate(len)?);
        self.copy_pages(&v, v.start, range.offset, len)?;
        let nv = Vma {
            backing: Backing::Private(range),
            offset: 0,
            cow: false,
            ..v
        };
        self.host_map(&nv, nv.start, nv.end)?;
        inner.vmas.insert(start, nv);
        Ok(())
    }

    /// A fault the host reported at `addr`, as Linux's `handle_mm_fault`
    /// sees it: a write to a copy-on-write page gets a copy, a page a
    /// shared object has (or has grown into) is mapped, and a fault the
    /// mapping allows (another thread broke the same copy-on-write first,
    /// or changed the mapping) maps the page again and lets the guest go
    /// on. `not_present` is the host's `SEGV_MAPERR`; an access of unknown
    /// kind is a read or a write, not an instruction fetch.
    pub fn fault(&self, addr: u64, access: Access, not_present: bool) -> FaultOutcome {
        let mut inner = self.lock();
        if vma_at(&inner, addr).is_none() {
            return match self.grow_stack(&mut inner, addr) {
                Ok(()) => FaultOutcome::Resolved,
                Err(_) => FaultOutcome::Unmapped,
            };
        }
        let Some(v) = vma_at(&inner, addr) else {
            return FaultOutcome::Unmapped;
        };
        let (start, cow, prot) = (v.start, v.cow, v.prot);
        if cow && prot.write && matches!(access, Access::Write | Access::Unknown) {
            return match self.break_cow_at(&mut inner, start, addr) {
                Ok(()) => FaultOutcome::Resolved,
                Err(_) => FaultOutcome::Denied,
            };
        }
        // On x86 any mapping that is not PROT_NONE can be read. A fault of
        // unknown kind on a page not mapped is taken as a read (should it
        // be a write the mapping denies, it faults again on the mapped
        // page); on a mapped page it was a write.
        let readable = prot.read || prot.write || prot.exec;
        let allowed = match access {
            Access::Read => readable,
            Access::Unknown if not_present => readable,
            Access::Write | Access::Unknown => prot.write && !cow,
            Access::Execute => prot.exec,
        };
        if !allowed {
            return FaultOutcome::Denied;
        }
        if let Backing::Shared(pages) = &v.backing
            && not_present
        {
            return self.map_shared_page(v, pages, addr);
        }
        let page = page_down(addr);
        match self.host_map(v, page, page + PAGE) {
            Ok(()) => FaultOutcome::Resolved,
            Err(_) => FaultOutcome::Denied,
        }
    }

    /// Marks the private mapping at `addr` (which maps a file's shared
    /// pages, `MAP_PRIVATE`) copy-on-write: the file's pages show through,
    /// later writes to the file included, until the guest writes a page,
    /// which then gets a copy of its own (`mm/memory.c`, do_wp_page).
    pub fn make_private_view(&self, addr: u64) -> Result<(), Errno> {
        let mut inner = self.lock();
        let v = inner.vmas.get_mut(&addr).ok_or(Errno::EFAULT)?;
        v.cow = true;
        let v = v.clone();
        self.host_reprotect(&v)
    }

    /// Breaks copy-on-write for a write at `addr` in the VMA at `start`: a
    /// private view of shared pages copies just that page; private pages
    /// shared since fork are handled for the whole VMA.
    fn break_cow_at(&self, inner: &mut MmInner, start: u64, addr: u64) -> Result<(), Errno> {
        let is_view = inner
            .vmas
            .get(&start)
            .is_some_and(|v| !v.shared && matches!(v.backing, Backing::Shared(_)));
        if !is_view {
            return self.break_cow(inner, start);
        }
        let v = inner.vmas.remove(&start).ok_or(Errno::EFAULT)?;
        let page = page_down(addr);
        let (before, middle, after) = v.split3(page, page + PAGE);
        for part in [before, after].into_iter().flatten() {
            inner.vmas.insert(part.start, part);
        }
        let Some(middle) = middle else {
            return Err(Errno::EFAULT);
        };
        let range = Arc::new(self.file.allocate(PAGE)?);
        if let Ok(Some((off, _))) = middle.translate(page) {
            self.file.copy(range.offset, off, PAGE);
        }
        let nv = Vma {
            backing: Backing::Private(range),
            offset: 0,
            cow: false,
            ..middle
        };
        self.host_map(&nv, nv.start, nv.end)?;
        inner.vmas.insert(nv.start, nv);
        Ok(())
    }

    /// Resolves a not-present fault in a mapping of a shared object: a
    /// page the object now has (it was loaded, or grew) is mapped with the
    /// loaded pages around it, one past the object's end is a bus error.
    fn map_shared_page(&self, v: &Vma, pages: &Arc<dyn SharedPages>, addr: u64) -> FaultOutcome {
        let page = addr & !(PAGE - 1);
        let index = (v.offset + (page - v.start)) / PAGE;
        match pages.page(index) {
            Ok(Some(_)) => {
                // Map the loaded pages around it too, as the host's own
                // fault-around does for file mappings.
                let pos = v.offset + (page - v.start);
                let from = page.saturating_sub(pos % FAULT_AROUND).max(v.start);
                let to = page
                    .saturating_add(FAULT_AROUND - pos % FAULT_AROUND)
                    .min(v.end);
                if self.host_map(v, from, to).is_ok() {
                    FaultOutcome::Resolved
                } else {
                    FaultOutcome::Denied
                }
            }
            Ok(None) => FaultOutcome::PastEnd,
            Err(_) => FaultOutcome::Denied,
        }
    }

    /// Gives the VMA at `start` pages of its own (or, when no other address
    /// space shares them any more, simply makes them writable again).
    fn break_cow(&self, inner: &mut MmInner, start: u64) -> Result<(), Errno> {
        let Some(v) = inner.vmas.get(&start).cloned() else {
            return Err(Errno::EFAULT);
        };
        let Backing::Private(range) = &v.backing else {
            return Err(Errno::EFAULT);
        };
        let here = inner
            .vmas
            .values()
            .filter(|x| matches!(&x.backing, Backing::Private(r) if Arc::ptr_eq(r, range)))
            .count();
        let mut nv = v.clone();
        nv.cow = false;
        if Arc::strong_count(range) > here + 1 {
            // Shared with another address space: copy our part.
            let len = v.end - v.start;
            let fresh = self.file.allocate(len)?;
            self.file
                .copy_data(fresh.offset, range.offset + v.offset, len);
            nv.backing = Backing::Private(Arc::new(fresh));
            nv.offset = 0;
            self.host_map(&nv, nv.start, nv.end)?;
        } else {
            self.host_reprotect(&nv)?;
        }
        inner.vmas.insert(start, nv);
        Ok(())
    }

    /// Snapshots this address space for `fork`: private pages become
    /// copy-on-write in both copies.
    pub fn fork_snapshot(&self) -> MmSnapshot {
        let mut inner = self.lock();
        let starts: Vec<u64> = inner.vmas.keys().copied().collect();
        let mut ops = Vec::new();
        for s in starts {
            let Some(v) = inner.vmas.get_mut(&s) else {
                continue;
            };
            if v.shared || !matches!(v.backing, Backing::Private(_)) || v.cow {
                continue;
            }
            v.cow = true;
            if v.prot.write {
                ops.push(SpaceOp::Protect {
                    addr: v.start,
                    len: v.end - v.start,
                    prot: v.host_prot(),
                });
            }
        }
        let _ = self.space.apply(&ops);
        MmSnapshot {
            file: self.file.clone(),
            vmas: inner.vmas.values().cloned().collect(),
            brk_start: inner.brk_start,
            brk: inner.brk,
            args: inner.args,
            env: inner.env,
            auxv: inner.auxv,
            patch: inner.patch.clone(),
            stack: inner.stack,
        }
    }

    /// The child's address space after `fork`, on the new platform space.
    pub fn from_snapshot(
        space: Arc<dyn AddressSpace>,
        snap: MmSnapshot,
    ) -> Result<MemoryManager, Errno> {
        let mm = MemoryManager::new(space, snap.file.clone());
        {
            let mut inner = mm.lock();
            inner.brk_start = snap.brk_start;
            inner.brk = snap.brk;
            inner.args = snap.args;
            inner.env = snap.env;
            inner.auxv = snap.auxv;
            inner.patch = snap.patch;
            inner.stack = snap.stack;
            let mut ops = Vec::new();
            let maps_files = mm.space.maps_host_files();
            for v in snap.vmas {
                host_map_ops(&v, v.start, v.end, maps_files, &mut ops)?;
                inner.vmas.insert(v.start, v);
            }
            mm.space.apply(&ops).map_err(|_| Errno::ENOMEM)?;
        }
        Ok(mm)
    }

    /// The memory-file offset behind `addr` in a shared mapping (for
    /// shared futexes), or `None` for private memory.
    pub fn shared_offset(&self, addr: u64) -> Option<u64> {
        let inner = self.lock();
        let v = vma_at(&inner, addr)?;
        if !v.shared {
            return None;
        }
        v.translate(addr).ok().flatten().map(|(off, _)| off)
    }

    /// An id naming this address space (private futex keys).
    pub fn id(&self) -> usize {
        self as *const MemoryManager as usize
    }
}

fn reserved(rs: &[(u64, u64)], start: u64, end: u64) -> bool {
    rs.iter().any(|r| overlaps(*r, start, end))
}

fn overlaps(r: (u64, u64), start: u64, end: u64) -> bool {
    r.0 < end && start < r.1
}

fn vma_at(inner: &MmInner, addr: u64) -> Option<&Vma> {
    inner
        .vmas
        .range(..=addr)
        .next_back()
        .map(|(_, v)| v)
        .filter(|v| addr < v.end)
}

/// Finds a free, page-aligned range of `len` bytes: at `hint` if it fits,
/// else the highest gap below the `mmap` base.
fn find_free(inner: &MmInner, hint: u64, len: u64) -> Result<u64, Errno> {
    let taken = |s: u64, e: u64| {
        reserved(&inner.reserved, s, e) || inner.vmas.values().any(|v| v.start < e && s < v.end)
    };
    if hint >= MIN_ADDR
        && let Some(end) = hint.checked_add(len)
        && end <= TASK_SIZE
        && !taken(hint, end)
    {
        return Ok(hint);
    }
    let mut top = inner.stack.mmap_base;
    loop {
        let lo = top.checked_sub(len).ok_or(Errno::ENOMEM)?;
        if lo < MIN_ADDR {
            return Err(Errno::ENOMEM);
        }
        if let Some(r) = inner.reserved.iter().find(|r| overlaps(**r, lo, top)) {
            top = r.0;
            continue;
        }
        match inner.vmas.range(..top).next_back() {
            Some((_, v)) if v.end > lo => top = v.start,
            _ => return Ok(lo),
        }
    }
}
