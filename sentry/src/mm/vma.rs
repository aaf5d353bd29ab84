//! Virtual memory areas.

use std::sync::Arc;

use abi::Errno;
use platform::Prot;

use super::{MemoryFile, PAGE, Range};

/// The pages of a shared object (a tmpfs file) that mappings can share.
pub trait SharedPages: Send + Sync {
    /// Memory-file offset of page `index` of the object, allocating (or
    /// loading) it if the object extends that far; `None` past the
    /// object's end.
    fn page(&self, index: u64) -> Result<Option<u64>, Errno>;

    /// Where page `index` is now, without loading it: a mapping maps only
    /// pages that are [`PageState::At`] and leaves the rest to fault. By
    /// default every page within the object is.
    fn state(&self, index: u64) -> Result<PageState, Errno> {
        Ok(match self.page(index)? {
            Some(offset) => PageState::At(offset),
            None => PageState::PastEnd,
        })
    }

    /// The host file with the same contents, which a platform may map
    /// itself where no one can write (see [`platform::HostFile`]), and its
    /// length in whole pages; `None` (the default) for objects only the
    /// memory file holds.
    fn host_file(&self) -> Option<(platform::HostFile, u64)> {
        None
    }
}

/// Where a page of a shared object is (see [`SharedPages::state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageState {
    /// In memory, at this memory-file offset.
    At(u64),
    /// Within the object, loaded on first touch.
    NotLoaded,
    /// Past the object's end.
    PastEnd,
}

/// A fixed run of memory-file pages that every mapping of it shares (the
/// vDSO and its parameter page): never copied on write, never freed while
/// mapped.
pub struct FixedPages {
    range: Arc<Range>,
}

impl FixedPages {
    /// The pages of `range`.
    pub fn new(range: Arc<Range>) -> FixedPages {
        FixedPages { range }
    }

    /// Length in bytes (whole pages).
    pub fn len(&self) -> u64 {
        self.range.len
    }

    /// Whether there are no pages (never: ranges are at least one page).
    pub fn is_empty(&self) -> bool {
        self.range.len == 0
    }

    /// Memory-file offset of the first page.
    pub fn offset(&self) -> u64 {
        self.range.offset
    }
}

impl SharedPages for FixedPages {
    fn page(&self, index: u64) -> Result<Option<u64>, Errno> {
        Ok((index < self.range.len / PAGE).then(|| self.range.offset + index * PAGE))
    }
}

/// What backs a VMA.
#[derive(Clone)]
pub enum Backing {
    /// Pages of this mapping alone: anonymous memory or a private copy of a file.
    Private(Arc<Range>),
    /// Pages of a shared object.
    Shared(Arc<dyn SharedPages>),
}

/// How a VMA is named in `/proc/PID/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmaName {
    /// No name.
    Anonymous,
    /// A file mapping: device, inode and path.
    File {
        /// Device number.
        dev: u64,
        /// Inode number.
        ino: u64,
        /// Path for display.
        path: String,
    },
    /// `[heap]`.
    Heap,
    /// `[stack]`.
    Stack,
    /// `[vvar]`: the vDSO's parameter page.
    Vvar,
    /// `[vdso]`: the vDSO's code.
    Vdso,
}

/// One mapping.
#[derive(Clone)]
pub struct Vma {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Current protection.
    pub prot: Prot,
    /// The most `mprotect` may grant.
    pub max_prot: Prot,
    /// `MAP_SHARED`.
    pub shared: bool,
    /// The pages.
    pub backing: Backing,
    /// Offset into the backing of `start`.
    pub offset: u64,
    /// Name for `/proc/PID/maps`.
    pub name: VmaName,
    /// Private pages shared with another address space since `fork`: the
    /// host mapping is read-only and the first write copies them.
    pub cow: bool,
    /// Linux's `VM_ACCOUNT` (`ac` in `/proc/PID/smaps`): a private mapping
    /// that is, or has been, writable. Set by `mmap` and `mprotect`, kept
    /// when the mapping is made read-only again (a library's RELRO) unless
    /// it is anonymous and no page of it was ever touched, as Linux's
    /// `mprotect_fixup` does.
    pub account: bool,
}

impl Vma {
    /// The protection of the host mapping: without write while copy-on-write.
    pub fn host_prot(&self) -> Prot {
        Prot {
            write: self.prot.write && !self.cow,
            ..self.prot
        }
    }

    /// Splits into the parts before `[s, e)`, inside it, and after it.
    pub fn split3(self, s: u64, e: u64) -> (Option<Vma>, Option<Vma>, Option<Vma>) {
        let cut = |v: &Vma, a: u64, b: u64| -> Option<Vma> {
            let a = a.max(v.start);
            let b = b.min(v.end);
            (a < b).then(|| Vma {
                start: a,
                end: b,
                offset: v.offset + (a - v.start),
                ..v.clone()
            })
        };
        (cut(&self, 0, s), cut(&self, s, e), cut(&self, e, u64::MAX))
    }

    /// Returns unmapped private pages to the host when nothing else can see
    /// them (the range is not shared with another address space).
    pub fn release_pages(&self, file: &MemoryFile) {
        if let Backing::Private(r) = &self.backing
            && !self.shared
            && Arc::strong_count(r) == 1
        {
            file.punch(r.offset + self.offset, self.end - self.start);
        }
    }

    /// Whether this is anonymous memory as Linux's `vma_is_anonymous` sees
    /// it: private pages of no file (heap, stack, `MAP_ANONYMOUS`).
    pub fn is_anonymous(&self) -> bool {
        matches!(self.backing, Backing::Private(_))
            && !matches!(
                self.name,
                VmaName::File { .. } | VmaName::Vdso | VmaName::Vvar
            )
    }

    /// Bytes of this mapping whose pages exist, as well as the Sentry can
    /// tell (for `/proc/PID/smaps` and `statm`). Exact for pages in the
    /// memory file: a private page exists once the guest or the Sentry
    /// touched it (the host allocates memory-file pages lazily; a read
    /// allocates one too, where Linux maps the shared zero page and counts
    /// nothing). A page of a lower-layer file not loaded into the memory
    /// file is resident only if the platform maps host files itself
    /// (`host_files`) and the mapping can be accessed: whether the guest
    /// touched it then only the host's page tables know, and counting it
    /// overstates Rss by the pages never touched (Linux's fault-around
    /// maps 16 pages per fault, so most of a small file is mapped anyway).
    pub fn resident(&self, file: &MemoryFile, host_files: bool) -> u64 {
        let accessible = self.prot.read || self.prot.write || self.prot.exec;
        let len = self.end - self.start;
        match &self.backing {
            Backing::Private(r) => file.resident(r.offset + self.offset, len),
            Backing::Shared(p) => {
                let unloaded_resident = host_files && accessible && p.host_file().is_some();
                let mut total = 0;
                // Runs of pages contiguous in the memory file, measured at once.
                let mut run: Option<(u64, u64)> = None;
                for i in 0..len / PAGE {
                    let Some(index) = (self.offset / PAGE).checked_add(i) else {
                        break;
                    };
                    match p.state(index) {
                        Ok(PageState::At(off)) => match run {
                            Some((s, l)) if s + l == off => run = Some((s, l + PAGE)),
                            _ => {
                                if let Some((s, l)) = run {
                                    total += file.resident(s, l);
                                }
                                run = Some((off, PAGE));
                            }
                        },
                        Ok(PageState::NotLoaded) => {
                            if unloaded_resident {
                                total += PAGE;
                            }
                        }
                        // Every page after the object's end is past it too.
                        Ok(PageState::PastEnd) | Err(_) => break,
                    }
                }
                if let Some((s, l)) = run {
                    total += file.resident(s, l);
                }
                total
            }
        }
    }

    /// Memory-file offset of `addr` and how many bytes follow contiguously
    /// within this VMA; `None` past the end of a shared object.
    pub fn translate(&self, addr: u64) -> Result<Option<(u64, u64)>, Errno> {
        let rel = addr - self.start;
        match &self.backing {
            Backing::Private(r) => Ok(Some((r.offset + self.offset + rel, self.end - addr))),
            Backing::Shared(p) => {
                let pos = self.offset + rel;
                let in_page = pos % PAGE;
                let avail = (PAGE - in_page).min(self.end - addr);
                Ok(p.page(pos / PAGE)?.map(|off| (off + in_page, avail)))
            }
        }
    }
}
