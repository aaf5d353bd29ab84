//! The host mappings that make a VMA: what the platform is asked to map
//! for a range of guest addresses.

use abi::Errno;
use platform::SpaceOp;

use super::{Backing, PAGE, PageState, SharedPages, Vma};

/// How much of a shared object's mapping around a faulting page a fault
/// maps (aligned in the object).
pub(super) const FAULT_AROUND: u64 = 256 * 1024;

/// The host mappings that make `[start, end)` of `vma`: one for private
/// pages, one per run of contiguous memory-file pages of a shared object
/// (pages not loaded yet stay unmapped: a touch faults and loads them;
/// pages past the object's end stay unmapped: a touch faults, SIGBUS).
///
/// Where the platform maps host files (`maps_files`), a mapping no one
/// can write of an object with a host file maps that file instead, up to
/// its end: the host serves its page faults.
pub(super) fn host_map_ops(
    vma: &Vma,
    start: u64,
    end: u64,
    maps_files: bool,
    ops: &mut Vec<SpaceOp>,
) -> Result<(), Errno> {
    let prot = vma.host_prot();
    match &vma.backing {
        Backing::Shared(pages) if maps_files && !prot.write => {
            let Some((file, file_len)) = pages.host_file() else {
                return host_map_pages(vma, pages.as_ref(), start, end, ops);
            };
            let pos = vma.offset + (start - vma.start);
            if pos < file_len {
                let len = (end - start).min(file_len - pos);
                ops.push(SpaceOp::MapFile {
                    addr: start,
                    len,
                    file,
                    offset: pos,
                    prot,
                });
            }
            Ok(())
        }
        Backing::Shared(pages) => host_map_pages(vma, pages.as_ref(), start, end, ops),
        Backing::Private(range) => {
            ops.push(SpaceOp::Map {
                addr: start,
                len: end - start,
                offset: range.offset + vma.offset + (start - vma.start),
                prot,
            });
            Ok(())
        }
    }
}

/// [`host_map_ops`] for a shared object's memory-file pages.
fn host_map_pages(
    vma: &Vma,
    pages: &dyn SharedPages,
    start: u64,
    end: u64,
    ops: &mut Vec<SpaceOp>,
) -> Result<(), Errno> {
    let prot = vma.host_prot();
    let mut addr = start;
    while addr < end {
        let index = (vma.offset + (addr - vma.start)) / PAGE;
        let first = match pages.state(index)? {
            PageState::At(first) => first,
            PageState::NotLoaded => {
                addr += PAGE;
                continue;
            }
            PageState::PastEnd => break,
        };
        let mut run = PAGE;
        while addr + run < end {
            match pages.state(index + run / PAGE)? {
                PageState::At(p) if p == first + run => run += PAGE,
                _ => break,
            }
        }
        ops.push(SpaceOp::Map {
            addr,
            len: run,
            offset: first,
            prot,
        });
        addr += run;
    }
    Ok(())
}
