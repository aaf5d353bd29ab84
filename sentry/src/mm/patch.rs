//! Syscall-site patching (systrap).
//!
//! A trapped system call costs a host signal and an `rt_sigreturn`. When
//! the trapped instruction ends the common seven-byte sequence
//! `mov $nr, %eax; syscall` (`b8 nr32 0f 05`), the Sentry rewrites its
//! first five bytes into `jmp *ABS32` (`ff 24 25 abs32`), an indirect jump
//! through a table entry in the guest's *trampoline area*. The entry points
//! to per-site code there that sets `eax` and `rcx` as the `syscall` would
//! have and jumps to the platform's trampoline, which enters the Sentry
//! through shared memory without a signal.
//!
//! The table sits at `0x050f_0000`, so every table address ends in the
//! bytes `0f 05`: the patched site still holds a `syscall` instruction at
//! the offset where the original one was. A thread that had executed the
//! `mov` before the patch, or that is sent back there (syscall restart,
//! an interrupt in the trampoline), traps there as before.
//!
//! Safety rules:
//! - only private, non-writable, executable mappings are patched (never a
//!   shared file, never code the guest may be writing);
//! - eight bytes holding the five changed ones lie in one cache line and
//!   are replaced by one locked compare-and-exchange, so another thread
//!   executing the site sees either the old or the new instruction (a site
//!   whose first five bytes cross a cache line stays as it is);
//! - copy-on-write pages are copied first, so no other address space sees
//!   the change;
//! - when the guest unmaps, remaps or changes the protection of the area,
//!   every patched site is restored first and patching stops for that
//!   address space.

use std::collections::HashSet;

use platform::Prot;

use super::{Backing, MemoryManager, MmInner, PAGE, Vma, VmaName, vma_at};

/// First address of the trampoline area.
pub const AREA_START: u64 = 0x050f_0000;
/// Table entries (one per patched site).
const SITES: u64 = 4096;
/// Per-site code: `mov $nr, %eax; movabs $ret, %rcx; movabs $tramp, %r11;
/// jmp *%r11`, padded.
const SITE_CODE: u64 = 32;
/// First byte of the per-site code.
const CODE_START: u64 = AREA_START + SITES * 8;
/// One past the trampoline area.
pub const AREA_END: u64 = CODE_START + SITES * SITE_CODE;
/// Sites remembered as not patchable, at most.
const REJECTED_MAX: usize = 4096;

/// System calls whose sites stay as they are: they replace the registers,
/// the stack or the whole thread, and are rare.
const NEVER: [u64; 9] = [
    15,  // rt_sigreturn
    56,  // clone
    57,  // fork
    58,  // vfork
    59,  // execve
    60,  // exit
    231, // exit_group
    322, // execveat
    435, // clone3
];

/// One address space's patching state.
#[derive(Clone, Default)]
pub(super) struct PatchState {
    /// No more patching here (the area is gone or full, or the host cannot).
    disabled: bool,
    /// The trampoline area is mapped.
    area: bool,
    /// Patched sites: address of the eight-byte window, its original and
    /// patched bytes.
    sites: Vec<(u64, u64, u64)>,
    /// Trapped sites found not patchable.
    rejected: HashSet<u64>,
}

impl PatchState {
    /// Whether `nr` is trapped at `site` for good.
    fn skip(&self, site: u64, nr: u64) -> bool {
        self.disabled || NEVER.contains(&nr) || nr > 1024 || self.rejected.contains(&site)
    }

    fn reject(&mut self, site: u64) {
        if self.rejected.len() >= REJECTED_MAX {
            self.rejected.clear();
        }
        self.rejected.insert(site);
    }
}

/// The eight bytes around a patched site, `shift` bytes into them: `jmp
/// *entry` over the `mov`; everything else (the `syscall` included) as it
/// was.
fn patched_bytes(original: [u8; 8], shift: usize, entry: u64) -> [u8; 8] {
    let e = (entry as u32).to_le_bytes();
    let mut p = original;
    p[shift..shift + 5].copy_from_slice(&[0xff, 0x24, 0x25, e[0], e[1]]);
    p
}

/// The per-site code for system call `nr` returning to `ret`.
fn site_code(nr: u32, ret: u64, trampoline: u64) -> [u8; SITE_CODE as usize] {
    let mut c = [0xccu8; SITE_CODE as usize];
    c[0] = 0xb8;
    c[1..5].copy_from_slice(&nr.to_le_bytes());
    c[5..7].copy_from_slice(&[0x48, 0xb9]);
    c[7..15].copy_from_slice(&ret.to_le_bytes());
    c[15..17].copy_from_slice(&[0x49, 0xbb]);
    c[17..25].copy_from_slice(&trampoline.to_le_bytes());
    c[25..28].copy_from_slice(&[0x41, 0xff, 0xe3]);
    c
}

impl MemoryManager {
    /// Turns patching off for this address space (a flag, or a host that
    /// cannot run the trampoline).
    pub fn disable_patching(&self) {
        self.lock().patch.disabled = true;
    }

    /// After system call `nr` trapped with its `syscall` instruction ending
    /// at `rip`: patches the site if it is the `mov $nr, %eax; syscall`
    /// sequence and may safely be changed, so the next call through it
    /// enters `trampoline` without a trap.
    pub fn patch_syscall_site(&self, rip: u64, nr: u64, trampoline: u64) {
        let Some(site) = rip.checked_sub(7) else {
            return;
        };
        let mut inner = self.lock();
        if inner.patch.skip(site, nr) {
            return;
        }
        if !self.try_patch(&mut inner, site, nr as u32, trampoline) {
            inner.patch.reject(site);
        }
    }

    fn try_patch(&self, inner: &mut MmInner, site: u64, nr: u32, trampoline: u64) -> bool {
        // The seven bytes lie in one page, and the five that change in an
        // eight-byte window inside one cache line: the site's own eight
        // bytes, or the eight ending where the `mov` does.
        if site % PAGE > PAGE - 7 {
            return false;
        }
        let shift: usize = match site % 64 {
            0..=56 => 0,
            57..=59 => 3,
            _ => return false,
        };
        let window = site - shift as u64;
        let Some(v) = vma_at(inner, window) else {
            return false;
        };
        if v.shared || v.prot.write || !v.prot.exec || v.name == VmaName::Vdso {
            return false;
        }
        let Ok(Some((off, _))) = v.translate(window) else {
            return false;
        };
        let mut bytes = [0u8; 10];
        self.file.read(off, &mut bytes[..(shift + 7).max(8)]);
        let code = &bytes[shift..shift + 7];
        if code[0] != 0xb8 || code[1..5] != nr.to_le_bytes() || code[5..7] != [0x0f, 0x05] {
            return false;
        }
        let mut original = [0u8; 8];
        original.copy_from_slice(&bytes[..8]);
        if !self.ensure_area(inner) {
            return false;
        }
        let index = inner.patch.sites.len() as u64;
        if index >= SITES {
            inner.patch.disabled = true;
            return false;
        }
        let code = CODE_START + index * SITE_CODE;
        let entry = AREA_START + index * 8;
        if self
            .poke_locked(inner, code, &site_code(nr, site + 7, trampoline))
            .is_err()
            || self.poke_locked(inner, entry, &code.to_le_bytes()).is_err()
        {
            return false;
        }
        let patched = patched_bytes(original, shift, entry);
        let old = u64::from_le_bytes(original);
        let new = u64::from_le_bytes(patched);
        if !self.exchange_code(inner, window, old, new) {
            return false;
        }
        inner.patch.sites.push((window, old, new));
        true
    }

    /// Maps the trampoline area the first time a site is patched; false
    /// (and patching off) when the guest has something there.
    fn ensure_area(&self, inner: &mut MmInner) -> bool {
        if inner.patch.area {
            return true;
        }
        let taken = inner
            .vmas
            .values()
            .any(|v| v.start < AREA_END && AREA_START < v.end);
        if taken {
            inner.patch.disabled = true;
            return false;
        }
        let Ok(range) = self.file.allocate(AREA_END - AREA_START) else {
            return false;
        };
        let rx = Prot {
            read: true,
            write: false,
            exec: true,
        };
        let vma = Vma {
            start: AREA_START,
            end: AREA_END,
            prot: rx,
            max_prot: rx,
            shared: false,
            backing: Backing::Private(std::sync::Arc::new(range)),
            offset: 0,
            name: VmaName::Anonymous,
            cow: false,
            account: false,
        };
        if self.host_map(&vma, AREA_START, AREA_END).is_err() {
            return false;
        }
        inner.vmas.insert(AREA_START, vma);
        inner.patch.area = true;
        true
    }

    /// Replaces the eight code bytes at `addr` (one cache line) with `new`
    /// if they hold `old`, copying a copy-on-write page first.
    fn exchange_code(&self, inner: &mut MmInner, addr: u64, old: u64, new: u64) -> bool {
        let Ok(off) = self.writable_offset(inner, addr) else {
            return false;
        };
        debug_assert_eq!(off % PAGE, addr % PAGE);
        self.file.compare_exchange_code(off, old, new)
    }

    /// Called before the guest changes `[start, end)`: if that touches the
    /// trampoline area, every patched site gets its original bytes back
    /// and patching stops here.
    pub(super) fn release_patch_area(&self, inner: &mut MmInner, start: u64, end: u64) {
        if !inner.patch.area || end <= AREA_START || AREA_END <= start {
            return;
        }
        let sites = std::mem::take(&mut inner.patch.sites);
        for (site, old, new) in sites {
            // A site whose mapping is gone or changed keeps what it has.
            let _ = self.exchange_code(inner, site, new, old);
        }
        inner.patch.area = false;
        inner.patch.disabled = true;
    }

    /// Called before the guest claims `[start, end)` in a way that must
    /// not find the trampoline area in its way (the heap growing into it,
    /// `MAP_FIXED_NOREPLACE` over it): the sites are restored and the area
    /// is unmapped, as if it had never been there.
    pub(super) fn yield_patch_area(&self, inner: &mut MmInner, start: u64, end: u64) {
        if inner.patch.area && start < AREA_END && AREA_START < end {
            // unmap_locked restores the sites first.
            let _ = self.unmap_locked(inner, AREA_START, AREA_END - AREA_START);
        }
    }

    /// Forgets which trapped sites in `[start, end)` were not patchable
    /// (new code may be mapped there).
    pub(super) fn forget_rejected(&self, inner: &mut MmInner, start: u64, end: u64) {
        inner.patch.rejected.retain(|s| *s < start || *s >= end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patched_site_keeps_its_syscall_in_place() {
        let original = [0xb8, 0x6e, 0, 0, 0, 0x0f, 0x05, 0xc3];
        let entry = AREA_START + 8 * 17;
        let p = patched_bytes(original, 0, entry);
        assert_eq!(p[..3], [0xff, 0x24, 0x25]);
        assert_eq!(u32::from_le_bytes([p[3], p[4], p[5], p[6]]) as u64, entry);
        assert_eq!(p[5..], [0x0f, 0x05, 0xc3]);
    }

    #[test]
    fn shifted_window_changes_only_the_mov() {
        let original = [0x90, 0x90, 0x90, 0xb8, 0x27, 0, 0, 0];
        let p = patched_bytes(original, 3, AREA_START);
        assert_eq!(p, [0x90, 0x90, 0x90, 0xff, 0x24, 0x25, 0x00, 0x00]);
    }

    #[test]
    fn every_table_entry_ends_in_a_syscall() {
        for i in [0, 1, SITES - 1] {
            let e = ((AREA_START + 8 * i) as u32).to_le_bytes();
            assert_eq!(e[2..], [0x0f, 0x05]);
        }
        const { assert!(CODE_START >= AREA_START + 8 * SITES) };
    }

    #[test]
    fn site_code_sets_eax_and_rcx_then_jumps() {
        let c = site_code(39, 0x1122_3344_5566, 0x7788_99aa_bbcc);
        assert_eq!(c[..5], [0xb8, 39, 0, 0, 0]);
        assert_eq!(c[5..7], [0x48, 0xb9]);
        assert_eq!(
            u64::from_le_bytes(c[7..15].try_into().unwrap()),
            0x1122_3344_5566
        );
        assert_eq!(c[15..17], [0x49, 0xbb]);
        assert_eq!(
            u64::from_le_bytes(c[17..25].try_into().unwrap()),
            0x7788_99aa_bbcc
        );
        assert_eq!(c[25..28], [0x41, 0xff, 0xe3]);
    }
}
