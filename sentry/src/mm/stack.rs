//! The main thread's stack: sized by `RLIMIT_STACK`, grown down on touch.
//!
//! `execve` maps the arguments and 128 KiB below them, as Linux does; a
//! touch below the stack VMA (a fault, or a system call writing there)
//! grows it down to the page touched, while the stack stays within the
//! process's `RLIMIT_STACK` and keeps a guard gap above the mapping below
//! (Linux's `expand_stack`). Top-down `mmap` placement starts below the
//! room the limit asks for.

use std::sync::Arc;

use abi::Errno;

use super::{
    Backing, MIN_ADDR, MemoryManager, MmInner, PAGE, TASK_SIZE, Vma, VmaName, page_down, reserved,
};

/// Room kept between a growing stack and the mapping below it
/// (`stack_guard_gap`: 256 pages).
const STACK_GUARD_GAP: u64 = 256 * PAGE;
/// Least and most room `mmap` placement leaves for the stack (Linux's
/// `mmap_base`).
const MIN_GAP: u64 = 128 << 20;
const MAX_GAP: u64 = TASK_SIZE / 6 * 5;
/// The stack Linux maps below the arguments at `execve`.
pub const STACK_EXPAND: u64 = 128 << 10;
/// Memory-file room kept below a new stack, so that it grows without a
/// copy.
const RESERVE: u64 = 8 << 20;

/// How the stack and the `mmap` area share the top of the address space.
#[derive(Clone, Copy, Debug)]
pub(super) struct StackLayout {
    /// The most the stack may grow to (`RLIMIT_STACK`, soft), bytes.
    pub limit: u64,
    /// Where top-down `mmap` placement starts.
    pub mmap_base: u64,
}

impl StackLayout {
    /// The layout for a stack limit.
    pub fn for_limit(limit: u64) -> StackLayout {
        let gap = limit
            .saturating_add(STACK_GUARD_GAP)
            .clamp(MIN_GAP, MAX_GAP);
        StackLayout {
            limit,
            mmap_base: page_down(TASK_SIZE - gap),
        }
    }
}

impl Default for StackLayout {
    fn default() -> StackLayout {
        StackLayout::for_limit(8 << 20)
    }
}

impl MemoryManager {
    /// Sets the stack limit growth obeys (`setrlimit(RLIMIT_STACK)`).
    pub fn set_stack_limit(&self, limit: u64) {
        self.lock().stack.limit = limit;
    }

    /// Lays a new address space out for stack limit `limit` (`execve`).
    pub fn set_stack_layout(&self, limit: u64) {
        self.lock().stack = StackLayout::for_limit(limit);
    }

    /// The stack limit growth obeys.
    pub fn stack_limit(&self) -> u64 {
        self.lock().stack.limit
    }

    /// The memory-file room for a new stack of `len` bytes: enough to grow
    /// to the limit (at most [`RESERVE`]) without a copy.
    pub fn stack_reserve(&self, len: u64) -> u64 {
        let limit = self.stack_limit().min(RESERVE);
        len.max(
            limit
                .checked_add(PAGE - 1)
                .map_or(RESERVE, |l| l & !(PAGE - 1)),
        )
    }

    /// Grows the stack VMA just above `addr` down to cover it. Fails (the
    /// touch is a fault) when no stack lies above, when the stack would
    /// pass its limit, or come within the guard gap of an accessible
    /// mapping below.
    pub(super) fn grow_stack(&self, inner: &mut MmInner, addr: u64) -> Result<(), Errno> {
        let page = page_down(addr);
        let Some(v) = inner.vmas.range(addr..).next().map(|(_, v)| v) else {
            return Err(Errno::EFAULT);
        };
        if v.name != VmaName::Stack || v.start <= addr || page < MIN_ADDR {
            return Err(Errno::EFAULT);
        }
        let (start, end) = (v.start, v.end);
        if end - page > inner.stack.limit || reserved(&inner.reserved, page, start) {
            return Err(Errno::EFAULT);
        }
        if let Some((_, below)) = inner.vmas.range(..page).next_back()
            && below.name != VmaName::Stack
            && (below.prot.read || below.prot.write || below.prot.exec)
            && below.end.saturating_add(STACK_GUARD_GAP) > page
        {
            return Err(Errno::EFAULT);
        }
        let v = inner.vmas.remove(&start).ok_or(Errno::EFAULT)?;
        let grown = self.grown_stack(inner, &v, page);
        match grown {
            Ok(nv) => {
                inner.vmas.insert(nv.start, nv);
                Ok(())
            }
            Err(e) => {
                inner.vmas.insert(v.start, v);
                Err(e)
            }
        }
    }

    /// Stack VMA `v` (out of the tree) grown down to `page`, mapped on
    /// the host: the pages below in its own memory-file range when no one
    /// else uses that range, else a copy into a larger range.
    fn grown_stack(&self, inner: &MmInner, v: &Vma, page: u64) -> Result<Vma, Errno> {
        let Backing::Private(range) = &v.backing else {
            return Err(Errno::EFAULT);
        };
        let delta = v.start - page;
        let sole_user = Arc::strong_count(range) == 1
            && !inner
                .vmas
                .values()
                .any(|x| matches!(&x.backing, Backing::Private(r) if Arc::ptr_eq(r, range)));
        if sole_user && !v.cow && v.offset >= delta {
            let nv = Vma {
                start: page,
                offset: v.offset - delta,
                ..v.clone()
            };
            self.host_map(&nv, page, v.start)?;
            return Ok(nv);
        }
        // Shared since fork, or out of room: copy into a range with room.
        let len = v.end - page;
        let room = len.min(RESERVE);
        let fresh = self
            .file
            .allocate(len.checked_add(room).ok_or(Errno::ENOMEM)?)?;
        self.file.copy_data(
            fresh.offset + room + delta,
            range.offset + v.offset,
            v.end - v.start,
        );
        let nv = Vma {
            start: page,
            offset: room,
            backing: Backing::Private(Arc::new(fresh)),
            cow: false,
            ..v.clone()
        };
        self.host_map(&nv, nv.start, nv.end)?;
        Ok(nv)
    }
}
