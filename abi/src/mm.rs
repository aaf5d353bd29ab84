//! Memory-management ABI: `mmap` protections and flags, `mremap`, `madvise`,
//! `msync` and `mlockall` flags, and page arithmetic.

/// The page size of x86-64 Linux.
pub const PAGE_SIZE: u64 = 4096;
/// `log2(PAGE_SIZE)`.
pub const PAGE_SHIFT: u32 = 12;
/// The bits of an address below the page boundary.
pub const PAGE_MASK: u64 = PAGE_SIZE - 1;

/// `addr` rounded up to a page boundary, or `None` if that overflows.
pub fn page_round_up(addr: u64) -> Option<u64> {
    addr.checked_add(PAGE_MASK).map(|a| a & !PAGE_MASK)
}

/// `addr` rounded down to a page boundary.
pub fn page_round_down(addr: u64) -> u64 {
    addr & !PAGE_MASK
}

/// Whether `addr` is on a page boundary.
pub fn is_page_aligned(addr: u64) -> bool {
    addr & PAGE_MASK == 0
}

/// `PROT_NONE`
pub const PROT_NONE: u32 = 0x0;
/// `PROT_READ`
pub const PROT_READ: u32 = 0x1;
/// `PROT_WRITE`
pub const PROT_WRITE: u32 = 0x2;
/// `PROT_EXEC`
pub const PROT_EXEC: u32 = 0x4;
/// `PROT_SEM`
pub const PROT_SEM: u32 = 0x8;
/// `PROT_GROWSDOWN` (`mprotect` only)
pub const PROT_GROWSDOWN: u32 = 0x0100_0000;
/// `PROT_GROWSUP` (`mprotect` only)
pub const PROT_GROWSUP: u32 = 0x0200_0000;

/// `MAP_SHARED`
pub const MAP_SHARED: u32 = 0x01;
/// `MAP_PRIVATE`
pub const MAP_PRIVATE: u32 = 0x02;
/// `MAP_SHARED_VALIDATE`: `MAP_SHARED`, failing on unknown flags.
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
/// `MAP_TYPE`: mask of the mapping type.
pub const MAP_TYPE: u32 = 0x0f;
/// `MAP_FIXED`
pub const MAP_FIXED: u32 = 0x10;
/// `MAP_ANONYMOUS`
pub const MAP_ANONYMOUS: u32 = 0x20;
/// `MAP_32BIT`
pub const MAP_32BIT: u32 = 0x40;
/// `MAP_GROWSDOWN`
pub const MAP_GROWSDOWN: u32 = 0x0100;
/// `MAP_DENYWRITE` (ignored)
pub const MAP_DENYWRITE: u32 = 0x0800;
/// `MAP_EXECUTABLE` (ignored)
pub const MAP_EXECUTABLE: u32 = 0x1000;
/// `MAP_LOCKED`
pub const MAP_LOCKED: u32 = 0x2000;
/// `MAP_NORESERVE`
pub const MAP_NORESERVE: u32 = 0x4000;
/// `MAP_POPULATE`
pub const MAP_POPULATE: u32 = 0x8000;
/// `MAP_NONBLOCK`
pub const MAP_NONBLOCK: u32 = 0x1_0000;
/// `MAP_STACK`
pub const MAP_STACK: u32 = 0x2_0000;
/// `MAP_HUGETLB`
pub const MAP_HUGETLB: u32 = 0x4_0000;
/// `MAP_SYNC`
pub const MAP_SYNC: u32 = 0x8_0000;
/// `MAP_FIXED_NOREPLACE`
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
/// `MAP_UNINITIALIZED`
pub const MAP_UNINITIALIZED: u32 = 0x400_0000;
/// `MAP_HUGE_SHIFT`: where a huge-page size is encoded with `MAP_HUGETLB`.
pub const MAP_HUGE_SHIFT: u32 = 26;
/// `MAP_HUGE_MASK`
pub const MAP_HUGE_MASK: u32 = 0x3f;

/// `MREMAP_MAYMOVE`
pub const MREMAP_MAYMOVE: u32 = 1;
/// `MREMAP_FIXED`
pub const MREMAP_FIXED: u32 = 2;
/// `MREMAP_DONTUNMAP`
pub const MREMAP_DONTUNMAP: u32 = 4;

/// `MADV_NORMAL`
pub const MADV_NORMAL: i32 = 0;
/// `MADV_RANDOM`
pub const MADV_RANDOM: i32 = 1;
/// `MADV_SEQUENTIAL`
pub const MADV_SEQUENTIAL: i32 = 2;
/// `MADV_WILLNEED`
pub const MADV_WILLNEED: i32 = 3;
/// `MADV_DONTNEED`
pub const MADV_DONTNEED: i32 = 4;
/// `MADV_FREE`
pub const MADV_FREE: i32 = 8;
/// `MADV_REMOVE`
pub const MADV_REMOVE: i32 = 9;
/// `MADV_DONTFORK`
pub const MADV_DONTFORK: i32 = 10;
/// `MADV_DOFORK`
pub const MADV_DOFORK: i32 = 11;
/// `MADV_MERGEABLE`
pub const MADV_MERGEABLE: i32 = 12;
/// `MADV_UNMERGEABLE`
pub const MADV_UNMERGEABLE: i32 = 13;
/// `MADV_HUGEPAGE`
pub const MADV_HUGEPAGE: i32 = 14;
/// `MADV_NOHUGEPAGE`
pub const MADV_NOHUGEPAGE: i32 = 15;
/// `MADV_DONTDUMP`
pub const MADV_DONTDUMP: i32 = 16;
/// `MADV_DODUMP`
pub const MADV_DODUMP: i32 = 17;
/// `MADV_WIPEONFORK`
pub const MADV_WIPEONFORK: i32 = 18;
/// `MADV_KEEPONFORK`
pub const MADV_KEEPONFORK: i32 = 19;
/// `MADV_COLD`
pub const MADV_COLD: i32 = 20;
/// `MADV_PAGEOUT`
pub const MADV_PAGEOUT: i32 = 21;
/// `MADV_POPULATE_READ`
pub const MADV_POPULATE_READ: i32 = 22;
/// `MADV_POPULATE_WRITE`
pub const MADV_POPULATE_WRITE: i32 = 23;
/// `MADV_HWPOISON`
pub const MADV_HWPOISON: i32 = 100;

/// `MS_ASYNC`
pub const MS_ASYNC: u32 = 1;
/// `MS_INVALIDATE`
pub const MS_INVALIDATE: u32 = 2;
/// `MS_SYNC`
pub const MS_SYNC: u32 = 4;

/// `MCL_CURRENT`
pub const MCL_CURRENT: u32 = 1;
/// `MCL_FUTURE`
pub const MCL_FUTURE: u32 = 2;
/// `MCL_ONFAULT`
pub const MCL_ONFAULT: u32 = 4;

/// `MLOCK_ONFAULT` (`mlock2`)
pub const MLOCK_ONFAULT: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_round_up_when_near_max_returns_none() {
        assert_eq!(page_round_up(0), Some(0));
        assert_eq!(page_round_up(1), Some(4096));
        assert_eq!(page_round_up(4096), Some(4096));
        assert_eq!(page_round_up(u64::MAX - 4094), None);
        assert_eq!(page_round_up(u64::MAX - 4095), Some(u64::MAX - 4095));
    }

    #[test]
    fn page_round_down_clears_low_bits() {
        assert_eq!(page_round_down(4097), 4096);
        assert_eq!(page_round_down(u64::MAX), u64::MAX - 4095);
        assert!(is_page_aligned(8192));
        assert!(!is_page_aligned(8193));
    }
}
