//! A lower-layer file's contents in memory-file pages, loaded a chunk at a
//! time as mappings touch them.
//!
//! Programs and libraries map far more of their files than they touch
//! (a compiler's 30 MB of code, of which one compilation runs a few), and
//! copying a page costs about as much here as the host's own page fault
//! does. So a chunk is read from the host on its first touch: a guest
//! fault in a mapping of it, or the Sentry reading the mapping. Mappings
//! map the chunks loaded so far; a touch of any other page faults, and
//! the fault loads its chunk and maps it (`MemoryManager::shared_fault`).
//! The lower layer does not change under the sandbox, so a chunk once
//! read stays right for every later mapping.
//!
//! Where the platform can map host files itself, mappings no one can
//! write map the host file instead (`SharedPages::host_file`), and the
//! host's page cache serves their faults; the chunks then serve only the
//! Sentry's own reads of such mappings and the pages a write copies.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use abi::Errno;

use crate::kernel::process::lock;
use crate::mm::{MemoryFile, PAGE, PageState, Range, SharedPages};

/// Bytes read from the host at a time.
pub const CHUNK: u64 = 256 * 1024;

/// The pages of a read-only host file, loaded on demand.
pub struct LowerPages {
    /// Names this file to platforms that map it themselves.
    id: u64,
    memory: Arc<MemoryFile>,
    range: Range,
    size: u64,
    fd: Arc<File>,
    /// Which chunks are loaded.
    loaded: Mutex<Vec<bool>>,
}

impl LowerPages {
    /// The `size` bytes of host file `fd`, in memory-file pages reserved
    /// now and filled as they are touched.
    pub fn new(memory: &Arc<MemoryFile>, fd: Arc<File>, size: u64) -> Result<LowerPages, Errno> {
        let len = crate::mm::page_up(size)
            .filter(|l| *l > 0)
            .ok_or(Errno::EINVAL)?;
        let chunks = usize::try_from(len.div_ceil(CHUNK)).map_err(|_| Errno::EFBIG)?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Ok(LowerPages {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            memory: memory.clone(),
            range: memory.allocate(len)?,
            size,
            fd,
            loaded: Mutex::new(vec![false; chunks]),
        })
    }

    fn pages(&self) -> u64 {
        self.range.len / PAGE
    }

    /// Reads chunk `chunk` from the host unless it is loaded.
    fn load(&self, chunk: usize) -> Result<(), Errno> {
        let mut loaded = lock(&self.loaded);
        let done = loaded.get_mut(chunk).ok_or(Errno::EFAULT)?;
        if *done {
            return Ok(());
        }
        let pos = chunk as u64 * CHUNK;
        let len = CHUNK.min(self.size.saturating_sub(pos));
        let n =
            self.memory
                .read_from_host(self.fd.as_raw_fd(), pos, self.range.offset + pos, len)?;
        if n != len {
            // The host file shrank under us: the rest reads as zeros, as
            // the pages already are.
            tracing::warn!(pos, len, n, "lower file shorter than its size");
        }
        *done = true;
        Ok(())
    }
}

impl SharedPages for LowerPages {
    fn page(&self, index: u64) -> Result<Option<u64>, Errno> {
        if index >= self.pages() {
            return Ok(None);
        }
        let chunk = usize::try_from(index * PAGE / CHUNK).map_err(|_| Errno::EFAULT)?;
        self.load(chunk)?;
        Ok(Some(self.range.offset + index * PAGE))
    }

    fn host_file(&self) -> Option<(platform::HostFile, u64)> {
        let file = platform::HostFile {
            id: self.id,
            fd: self.fd.as_raw_fd(),
        };
        Some((file, self.range.len))
    }

    fn state(&self, index: u64) -> Result<PageState, Errno> {
        if index >= self.pages() {
            return Ok(PageState::PastEnd);
        }
        let chunk = usize::try_from(index * PAGE / CHUNK).map_err(|_| Errno::EFAULT)?;
        Ok(if lock(&self.loaded).get(chunk) == Some(&true) {
            PageState::At(self.range.offset + index * PAGE)
        } else {
            PageState::NotLoaded
        })
    }
}
