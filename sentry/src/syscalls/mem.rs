//! Memory: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore.

use std::sync::Arc;

use abi::Errno;
use platform::Prot;

use super::SyscallResult;
use super::fs::file;
use crate::kernel::Task;
use crate::mm::{Backing, MapRequest, PAGE, VmaName, page_up};
use crate::vfs::MmapSource;

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_GROWSDOWN: u64 = 0x100;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
const MAP_HUGETLB: u64 = 0x40000;
/// Flags `MAP_SHARED_VALIDATE` accepts.
const MAP_KNOWN: u64 = 0x01
    | 0x02
    | 0x10
    | 0x20
    | 0x40
    | 0x100
    | 0x800
    | 0x1000
    | 0x2000
    | 0x4000
    | 0x8000
    | 0x10000
    | 0x20000
    | 0x40000
    | 0x80000
    | 0x100000
    | 0xfc000000;

const RLIMIT_DATA: usize = 2;
const RLIMIT_AS: usize = 9;

/// Whether a mapping counts as data for `RLIMIT_DATA` (private, writable,
/// not a stack), as Linux's `is_data_mapping` decides.
fn is_data(writable: bool, shared: bool, stack: bool) -> bool {
    writable && !shared && !stack
}

/// Checks `RLIMIT_AS` and `RLIMIT_DATA` before the address space grows by
/// `len` bytes (of data when `data`), of which the bytes already mapped in
/// `[replace, replace + len)` are replaced rather than added.
fn check_vm_limits(task: &Task, len: u64, data: bool, replace: Option<u64>) -> Result<(), Errno> {
    let (as_limit, data_limit) = (task.rlimit(RLIMIT_AS), task.rlimit(RLIMIT_DATA));
    if as_limit == u64::MAX && (data_limit == u64::MAX || !data) {
        return Ok(());
    }
    let (mut total, mut data_total) = (0u64, 0u64);
    let (mut gone, mut data_gone) = (0u64, 0u64);
    for v in task.mm.vmas() {
        let size = v.end - v.start;
        let is_d = is_data(v.prot.write, v.shared, matches!(v.name, VmaName::Stack));
        total += size;
        if is_d {
            data_total += size;
        }
        if let Some(at) = replace {
            let end = at.saturating_add(len);
            let overlap = v.end.min(end).saturating_sub(v.start.max(at));
            gone += overlap;
            if is_d {
                data_gone += overlap;
            }
        }
    }
    if (total - gone.min(total)).saturating_add(len) > as_limit {
        return Err(Errno::ENOMEM);
    }
    if data && (data_total - data_gone.min(data_total)).saturating_add(len) > data_limit {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

fn prot_of(bits: u64) -> Result<Prot, Errno> {
    // PROT_GROWSDOWN / PROT_GROWSUP are accepted and ignored.
    if bits & !(7 | 0x0100_0000 | 0x0200_0000) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut p = Prot::from_bits(bits);
    // x86-64 cannot map write-only or exec-only pages: they are readable too.
    if p.write || p.exec {
        p.read = true;
    }
    Ok(p)
}

pub(super) fn mmap(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let (addr, len, prot, flags, fd, off) = (a[0], a[1], a[2], a[3], a[4], a[5]);
    let kind = flags & MAP_TYPE;
    if !matches!(kind, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    if kind == MAP_SHARED_VALIDATE && flags & !MAP_KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if len == 0 || off % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    // Anonymous mappings take only MAP_SHARED or MAP_PRIVATE.
    if kind == MAP_SHARED_VALIDATE && flags & MAP_ANONYMOUS != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MAP_HUGETLB != 0 && flags & MAP_ANONYMOUS == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len).ok_or(Errno::ENOMEM)?;
    if off.checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    let prot = prot_of(prot)?;
    let shared = kind != MAP_PRIVATE;
    let all = Prot {
        read: true,
        write: true,
        exec: true,
    };
    let fixed = flags & MAP_FIXED != 0;
    let noreplace = flags & MAP_FIXED_NOREPLACE != 0 && !fixed;
    if (fixed || noreplace) && addr % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    check_vm_limits(
        task,
        len,
        is_data(prot.write, shared, flags & MAP_GROWSDOWN != 0),
        fixed.then_some(addr),
    )?;
    let mut private_view = false;
    let (backing, offset, max_prot, name) = if flags & MAP_ANONYMOUS != 0 {
        let name = if flags & MAP_GROWSDOWN != 0 {
            VmaName::Stack
        } else {
            VmaName::Anonymous
        };
        (task.mm.anonymous(len)?, 0, all, name)
    } else {
        let f = file(task, fd)?;
        if f.is_path() || !f.readable() {
            return Err(Errno::EACCES);
        }
        if shared && prot.write && !f.writable() {
            return Err(Errno::EACCES);
        }
        let attr = f.inode().attr()?;
        let name = VmaName::File {
            dev: attr.dev,
            ino: attr.ino,
            path: String::from_utf8_lossy(&f.dentry.path_from(&task.fs.root)).into_owned(),
        };
        let max = Prot {
            read: true,
            write: !shared || f.writable(),
            exec: true,
        };
        match f.ops.mmap_source() {
            MmapSource::None => return Err(Errno::ENODEV),
            MmapSource::Zero => (task.mm.anonymous(len)?, 0, all, VmaName::Anonymous),
            MmapSource::Pages(pages) => {
                private_view = !shared;
                (Backing::Shared(pages), off, max, name)
            }
            // A writable private mapping of a library is written at once
            // (relocations): a copy now is cheaper than a copy-on-write
            // fault per page.
            MmapSource::Cached(pages) if shared || !prot.write => {
                private_view = !shared;
                (Backing::Shared(pages), off, max, name)
            }
            src => {
                // A private copy of the file's contents.
                let range = task.mm.file().allocate(len)?;
                let mut buf = vec![0u8; (len as usize).min(1 << 20)];
                let mut done = 0u64;
                while done < len {
                    let want = ((len - done) as usize).min(buf.len());
                    let n = match &src {
                        MmapSource::Pages(_) | MmapSource::Cached(_) | MmapSource::Copy => {
                            f.ops.read(&mut buf[..want], off + done)?
                        }
                        _ => 0,
                    };
                    if n == 0 {
                        break;
                    }
                    task.mm.file().write(range.offset + done, &buf[..n]);
                    done += n as u64;
                }
                (Backing::Private(Arc::new(range)), 0, max, name)
            }
        }
    };
    let addr = task.mm.map(MapRequest {
        addr,
        len,
        prot,
        max_prot,
        fixed,
        noreplace,
        shared,
        backing,
        offset,
        name,
    })?;
    if private_view {
        task.mm.make_private_view(addr)?;
    }
    Ok(addr)
}

pub(super) fn munmap(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    task.mm.unmap(a[0], a[1])?;
    Ok(0)
}

pub(super) fn mprotect(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let prot = prot_of(a[2])?;
    task.mm.protect(a[0], a[1], prot)?;
    Ok(0)
}

pub(super) fn mremap(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const MREMAP_MAYMOVE: u64 = 1;
    const MREMAP_FIXED: u64 = 2;
    const MREMAP_DONTUNMAP: u64 = 4;
    let flags = a[3];
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
        || flags & MREMAP_DONTUNMAP != 0
    {
        return Err(Errno::EINVAL);
    }
    let fixed = (flags & MREMAP_FIXED != 0).then_some(a[4]);
    if let (Some(old), Some(new)) = (page_up(a[1]), page_up(a[2]))
        && new > old
    {
        let v = task.mm.vma_containing(a[0]);
        let data =
            v.is_some_and(|v| is_data(v.prot.write, v.shared, matches!(v.name, VmaName::Stack)));
        check_vm_limits(task, new - old, data, None)?;
    }
    task.mm
        .remap(a[0], a[1], a[2], flags & MREMAP_MAYMOVE != 0, fixed)
}

pub(super) fn brk(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    let cur = task.mm.brk(0);
    if let (Some(old_top), Some(new_top)) = (page_up(cur), page_up(a[0]))
        && new_top > old_top
        && check_vm_limits(task, new_top - old_top, true, None).is_err()
    {
        return Ok(cur);
    }
    Ok(task.mm.brk(a[0]))
}

pub(super) fn madvise(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const MADV_DONTNEED: u64 = 4;
    const MADV_FREE: u64 = 8;
    if !a[0].is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    match a[2] {
        MADV_DONTNEED => {
            task.mm.dont_need(a[0], a[1])?;
            Ok(0)
        }
        0..=3 | MADV_FREE | 9..=21 | 100..=101 => {
            let len = page_up(a[1]).ok_or(Errno::EINVAL)?;
            if len > 0 && !task.mm.is_mapped(a[0], len) {
                return Err(Errno::ENOMEM);
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn msync(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    if !a[0].is_multiple_of(PAGE)
        || a[2] & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || (a[2] & MS_ASYNC != 0 && a[2] & MS_SYNC != 0)
    {
        return Err(Errno::EINVAL);
    }
    let len = page_up(a[1]).ok_or(Errno::ENOMEM)?;
    if !task.mm.is_mapped(a[0], len) {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

pub(super) fn mincore(task: &mut Task, a: &[u64; 6]) -> SyscallResult {
    if !a[0].is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let len = page_up(a[1]).ok_or(Errno::ENOMEM)?;
    if !task.mm.is_mapped(a[0], len) {
        return Err(Errno::ENOMEM);
    }
    let pages = (len / PAGE) as usize;
    task.mm.copy_out(a[2], &vec![1u8; pages.min(1 << 24)])?;
    Ok(0)
}
