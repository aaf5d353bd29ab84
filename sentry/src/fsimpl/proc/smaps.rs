//! `/proc/PID/smaps` and `/proc/PID/smaps_rollup`: memory use per mapping
//! and summed, in Linux 6.x's format (`fs/proc/task_mmu.c`,
//! `show_smap`, `show_smaps_rollup`; proc_pid_smaps(5)).
//!
//! What the figures rest on, mapping by mapping:
//! * Resident bytes come from [`Vma::resident`]: exact for pages in the
//!   memory file, an estimate for lower-layer file pages the platform
//!   maps from the host (counted resident when the mapping is accessible).
//! * Linux counts a page as shared when more than one address space maps
//!   it (its map count). Here a mapping's pages count as shared with every
//!   address space in the sandbox that maps the same backing object (the
//!   pages a `fork` left copy-on-write in both, a `MAP_SHARED` region, a
//!   library's file pages); the proportional share (`Pss`) divides by
//!   that number. Pages are counted per mapping, not per page.
//! * Anonymous pages (private memory) and shared-memory pages (`MAP_SHARED`
//!   anonymous memory, tmpfs files) are dirty, file pages clean.
//! * No swap, huge pages, KSM, lazy-free pages or locked memory exist in
//!   the sandbox: those figures are 0. `ProtectionKey:` is never printed,
//!   as Linux omits it where protection keys are unavailable, and the
//!   sandbox offers none (`pkey_alloc` is not implemented).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::process::{ProcessView, named, vma_header};
use crate::kernel::Kernel;
use crate::kernel::process::lock;
use crate::mm::{Backing, MemoryManager, PAGE, Vma, VmaName};

/// What kind of page a mapping holds, as Linux's counters sort them
/// (`MM_ANONPAGES`, `MM_FILEPAGES`, `MM_SHMEMPAGES`; `Pss_Anon`,
/// `Pss_File`, `Pss_Shmem`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PageKind {
    /// Private memory: anonymous, or a private copy of a file.
    Anon,
    /// Pages of a file on the lower layer, or the vDSO's.
    File,
    /// Shared memory: `MAP_SHARED` anonymous memory or a tmpfs file.
    Shmem,
}

impl PageKind {
    /// The kind of the pages `v` maps. A private view of a file's pages
    /// (`MAP_PRIVATE` before any write) holds the file's pages; a page it
    /// copied on write has a private mapping of its own.
    pub(super) fn of(v: &Vma) -> PageKind {
        match &v.backing {
            Backing::Private(_) if !v.shared => PageKind::Anon,
            Backing::Private(_) => PageKind::Shmem,
            Backing::Shared(p) => {
                if matches!(v.name, VmaName::Vdso | VmaName::Vvar) || p.host_file().is_some() {
                    PageKind::File
                } else {
                    PageKind::Shmem
                }
            }
        }
    }
}

/// The figures of one mapping or of all of them (Linux's
/// `mem_size_stats`), in bytes; `pss*` in bytes shifted left by
/// [`PSS_SHIFT`] as Linux keeps them, so shares add up before rounding.
#[derive(Default)]
struct Usage {
    resident: u64,
    shared_clean: u64,
    shared_dirty: u64,
    private_clean: u64,
    private_dirty: u64,
    anonymous: u64,
    pss: u64,
    pss_dirty: u64,
    pss_anon: u64,
    pss_file: u64,
    pss_shmem: u64,
}

/// Fraction bits of the proportional set size (Linux's `PSS_SHIFT`).
const PSS_SHIFT: u32 = 12;

impl Usage {
    /// Adds `rss` resident bytes of `kind`, mapped by `sharers` address
    /// spaces (at least 1).
    fn add(&mut self, rss: u64, kind: PageKind, sharers: u64) {
        let dirty = kind != PageKind::File;
        let pss = (rss << PSS_SHIFT) / sharers.max(1);
        self.resident += rss;
        self.pss += pss;
        if kind == PageKind::Anon {
            self.anonymous += rss;
        }
        match kind {
            PageKind::Anon => self.pss_anon += pss,
            PageKind::File => self.pss_file += pss,
            PageKind::Shmem => self.pss_shmem += pss,
        }
        if dirty {
            self.pss_dirty += pss;
        }
        match (sharers > 1, dirty) {
            (true, true) => self.shared_dirty += rss,
            (true, false) => self.shared_clean += rss,
            (false, true) => self.private_dirty += rss,
            (false, false) => self.private_clean += rss,
        }
    }

    /// The lines `__show_smap` prints; with `rollup`, the `Pss_*` split
    /// that only `smaps_rollup` has.
    fn render(&self, out: &mut String, rollup: bool) {
        let pss = |v: u64| v >> PSS_SHIFT;
        let mut rows: Vec<(&str, u64)> = vec![
            ("Rss:", self.resident),
            ("Pss:", pss(self.pss)),
            ("Pss_Dirty:", pss(self.pss_dirty)),
        ];
        if rollup {
            rows.extend([
                ("Pss_Anon:", pss(self.pss_anon)),
                ("Pss_File:", pss(self.pss_file)),
                ("Pss_Shmem:", pss(self.pss_shmem)),
            ]);
        }
        rows.extend([
            ("Shared_Clean:", self.shared_clean),
            ("Shared_Dirty:", self.shared_dirty),
            ("Private_Clean:", self.private_clean),
            ("Private_Dirty:", self.private_dirty),
            // Every resident page counts as recently used.
            ("Referenced:", self.resident),
            ("Anonymous:", self.anonymous),
            ("KSM:", 0),
            ("LazyFree:", 0),
            ("AnonHugePages:", 0),
            ("ShmemPmdMapped:", 0),
            ("FilePmdMapped:", 0),
            ("Shared_Hugetlb:", 0),
            ("Private_Hugetlb:", 0),
            ("Swap:", 0),
            ("SwapPss:", 0),
            ("Locked:", 0),
        ]);
        for (name, bytes) in rows {
            kb_line(out, name, bytes);
        }
    }
}

/// One `Name:   N kB` line: the name padded to 16 columns, the value in
/// kB right-aligned in 8 (`SEQ_PUT_DEC`).
fn kb_line(out: &mut String, name: &str, bytes: u64) {
    out.push_str(&format!("{name:<16}{:>8} kB\n", bytes >> 10));
}

/// Identifies a mapping's backing object: pages two mappings share if
/// and only if they have the same backing.
fn backing_key(b: &Backing) -> usize {
    match b {
        Backing::Private(r) => Arc::as_ptr(r).cast::<()>() as usize,
        Backing::Shared(p) => Arc::as_ptr(p).cast::<()>() as usize,
    }
}

/// How many distinct address spaces of the sandbox map each backing
/// object.
fn sharers(k: &Kernel) -> HashMap<usize, u64> {
    let groups: Vec<_> = lock(&k.tasks).groups.values().cloned().collect();
    let mut spaces: Vec<Arc<MemoryManager>> = Vec::new();
    for g in groups {
        let s = g.lock();
        if s.zombie.is_some() {
            continue;
        }
        if let Some(mm) = &s.mm
            && !spaces.iter().any(|m| Arc::ptr_eq(m, mm))
        {
            spaces.push(mm.clone());
        }
    }
    let mut users: HashMap<usize, HashSet<usize>> = HashMap::new();
    for mm in &spaces {
        for v in mm.vmas() {
            users
                .entry(backing_key(&v.backing))
                .or_default()
                .insert(mm.id());
        }
    }
    users
        .into_iter()
        .map(|(k, set)| (k, set.len() as u64))
        .collect()
}

/// Adds the usage of mapping `v` of `mm` to `u`.
fn account(
    u: &mut Usage,
    mm: &MemoryManager,
    v: &Vma,
    sharers: &HashMap<usize, u64>,
    host_files: bool,
) {
    // `[vvar]` is `VM_PFNMAP`: its pages are not counted.
    if v.name == VmaName::Vvar {
        return;
    }
    let rss = v.resident(mm.file(), host_files);
    let n = sharers.get(&backing_key(&v.backing)).copied().unwrap_or(1);
    u.add(rss, PageKind::of(v), n);
}

/// The `VmFlags:` line: the two-letter names of the `VM_*` flags Linux
/// would give `v`, in its bit order (`show_smap_vma_flags`).
fn vm_flags(v: &Vma) -> String {
    let vvar = v.name == VmaName::Vvar;
    let vdso = v.name == VmaName::Vdso;
    // `VM_SHARED` is dropped, with `VM_MAYWRITE`, for a shared mapping of
    // a file opened read-only: the only shared mappings here that may
    // never be written. The vDSO may be written (breakpoints).
    let may_write = v.max_prot.write || vdso;
    let flags = [
        (v.prot.read, "rd"),
        (v.prot.write, "wr"),
        (v.prot.exec, "ex"),
        (v.shared && may_write, "sh"),
        (v.max_prot.read || vdso, "mr"),
        (may_write, "mw"),
        (v.max_prot.exec || vdso, "me"),
        (v.shared, "ms"),
        (v.name == VmaName::Stack, "gd"),
        (vvar, "pf"),
        (vvar, "io"),
        (vvar || vdso, "de"),
        (v.account, "ac"),
        (vvar, "dd"),
    ];
    let mut out = String::from("VmFlags: ");
    for (set, name) in flags {
        if set {
            out.push_str(name);
            out.push(' ');
        }
    }
    out.push('\n');
    out
}

/// `/proc/PID/smaps`.
pub(super) fn smaps(k: &Kernel, v: &ProcessView) -> Vec<u8> {
    let Some(mm) = &v.mm else {
        return Vec::new();
    };
    let sharers = sharers(k);
    let host_files = mm.space().maps_host_files();
    let mut out = String::new();
    for m in mm.vmas() {
        out.push_str(&vma_header(&m));
        out.push('\n');
        kb_line(&mut out, "Size:", m.end - m.start);
        kb_line(&mut out, "KernelPageSize:", PAGE);
        kb_line(&mut out, "MMUPageSize:", PAGE);
        let mut u = Usage::default();
        account(&mut u, mm, &m, &sharers, host_files);
        u.render(&mut out, false);
        out.push_str(&format!("THPeligible:    {:>8}\n", 0));
        out.push_str(&vm_flags(&m));
    }
    out.into_bytes()
}

/// `/proc/PID/smaps_rollup`: one header spanning the first mapping's start
/// to the last one's end, and the sums.
pub(super) fn smaps_rollup(k: &Kernel, v: &ProcessView) -> Vec<u8> {
    let Some(mm) = &v.mm else {
        return Vec::new();
    };
    let sharers = sharers(k);
    let host_files = mm.space().maps_host_files();
    let vmas = mm.vmas();
    let start = vmas.first().map_or(0, |m| m.start);
    let end = vmas.last().map_or(0, |m| m.end);
    let mut total = Usage::default();
    for m in &vmas {
        account(&mut total, mm, m, &sharers, host_files);
    }
    let prefix = format!("{start:08x}-{end:08x} ---p 00000000 00:00 0 ");
    let mut out = named(prefix, "[rollup]");
    out.push('\n');
    total.render(&mut out, true);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_line_pads_the_name_to_16_and_the_value_to_8() {
        let mut out = String::new();
        kb_line(&mut out, "Size:", 12 * 1024);
        kb_line(&mut out, "Private_Hugetlb:", 123_456_789 * 1024);
        assert_eq!(
            out,
            "Size:                 12 kB\nPrivate_Hugetlb:123456789 kB\n"
        );
    }

    #[test]
    fn private_pages_of_one_space_are_private_and_dirty() {
        let mut u = Usage::default();
        u.add(8192, PageKind::Anon, 1);
        assert_eq!(
            (u.resident, u.private_dirty, u.anonymous),
            (8192, 8192, 8192)
        );
        assert_eq!((u.shared_dirty, u.pss >> PSS_SHIFT), (0, 8192));
    }

    #[test]
    fn pages_of_two_spaces_are_shared_and_halved() {
        let mut u = Usage::default();
        u.add(8192, PageKind::File, 2);
        assert_eq!((u.shared_clean, u.private_clean, u.anonymous), (8192, 0, 0));
        assert_eq!(
            (u.pss >> PSS_SHIFT, u.pss_file >> PSS_SHIFT, u.pss_dirty),
            (4096, 4096, 0)
        );
    }

    #[test]
    fn rollup_lists_the_pss_split_and_no_flags() {
        let mut out = String::new();
        Usage::default().render(&mut out, true);
        let names: Vec<&str> = out.lines().filter_map(|l| l.split(':').next()).collect();
        assert_eq!(
            names[..6],
            [
                "Rss",
                "Pss",
                "Pss_Dirty",
                "Pss_Anon",
                "Pss_File",
                "Pss_Shmem"
            ]
        );
        assert_eq!(names.last(), Some(&"Locked"));
    }
}
