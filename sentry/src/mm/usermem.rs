//! The one way the kernel touches guest memory: copies through the VMAs,
//! failing with `EFAULT` where the guest has no access.

use std::marker::PhantomData;

use abi::Errno;
use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::{MemoryManager, PAGE, Vma, VmaName, vma_at};

/// A typed guest address. It is only an address: reading or writing it
/// copies through the [`MemoryManager`].
#[derive(Debug)]
pub struct UserPtr<T> {
    /// The guest address.
    pub addr: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for UserPtr<T> {}

impl<T> UserPtr<T> {
    /// Wraps a raw guest address.
    pub fn new(addr: u64) -> UserPtr<T> {
        UserPtr {
            addr,
            _t: PhantomData,
        }
    }

    /// Whether the pointer is NULL.
    pub fn is_null(self) -> bool {
        self.addr == 0
    }

    /// The `i`th element of an array starting here.
    pub fn index(self, i: u64) -> Result<UserPtr<T>, Errno> {
        let size = std::mem::size_of::<T>() as u64;
        let off = i.checked_mul(size).ok_or(Errno::EFAULT)?;
        Ok(UserPtr::new(
            self.addr.checked_add(off).ok_or(Errno::EFAULT)?,
        ))
    }
}

impl MemoryManager {
    /// Copies guest memory at `addr` into `buf`, failing with `EFAULT`
    /// unless every byte is readable.
    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let n = self.copy_in_partial(addr, buf);
        if n < buf.len() {
            Err(Errno::EFAULT)
        } else {
            Ok(())
        }
    }

    /// Copies as much as is readable; returns how many bytes were copied.
    pub fn copy_in_partial(&self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0usize;
        while done < buf.len() {
            let Some(a) = addr.checked_add(done as u64) else {
                break;
            };
            let Ok((off, avail)) = self.translate(a, false) else {
                break;
            };
            let n = (avail as usize).min(buf.len() - done);
            self.file().read(off, &mut buf[done..done + n]);
            done += n;
        }
        done
    }

    /// Reads guest memory at `addr` as a debugger does through
    /// `/proc/PID/mem` (Linux's `access_remote_vm` with `FOLL_FORCE`): a
    /// mapping without read permission is read too if it may be made
    /// readable (`VM_MAYREAD`), but never `[vvar]` (`VM_IO | VM_PFNMAP`).
    /// Returns how many bytes were read: fewer than `buf.len()` where a
    /// page that cannot be read begins.
    pub fn read_force(&self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0usize;
        while done < buf.len() {
            let Some(a) = addr.checked_add(done as u64) else {
                break;
            };
            let found = {
                let inner = self.lock();
                vma_at(&inner, a)
                    .filter(|v| force_readable(v))
                    .and_then(|v| v.translate(a).ok().flatten())
            };
            let Some((off, avail)) = found else {
                break;
            };
            let n = (avail as usize).min(buf.len() - done);
            self.file().read(off, &mut buf[done..done + n]);
            done += n;
        }
        done
    }

    /// Writes guest memory at `addr` as a debugger does through
    /// `/proc/PID/mem` (`access_remote_vm` with `FOLL_FORCE | FOLL_WRITE`):
    /// like [`poke`](Self::poke), a private mapping is written whatever its
    /// protection (its copy-on-write pages copied first), but a shared
    /// mapping only if it is writable, and never `[vvar]`
    /// (`check_vma_flags`). Returns how many bytes were written: fewer
    /// than `buf.len()` where a page that cannot be written begins.
    pub fn write_force(&self, addr: u64, buf: &[u8]) -> usize {
        let mut inner = self.lock();
        let mut done = 0usize;
        while done < buf.len() {
            let Some(a) = addr.checked_add(done as u64) else {
                break;
            };
            if !vma_at(&inner, a).is_some_and(force_writable) {
                break;
            }
            let Ok(off) = self.writable_offset(&mut inner, a) else {
                break;
            };
            let n = ((PAGE - a % PAGE) as usize).min(buf.len() - done);
            self.file().write(off, &buf[done..done + n]);
            done += n;
        }
        done
    }

    /// Copies `buf` to guest memory at `addr`, failing with `EFAULT` unless
    /// every byte is writable (nothing is written then past the fault).
    pub fn copy_out(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        let n = self.copy_out_partial(addr, buf);
        if n < buf.len() {
            Err(Errno::EFAULT)
        } else {
            Ok(())
        }
    }

    /// Copies as much as is writable; returns how many bytes were copied.
    pub fn copy_out_partial(&self, addr: u64, buf: &[u8]) -> usize {
        let mut done = 0usize;
        while done < buf.len() {
            let Some(a) = addr.checked_add(done as u64) else {
                break;
            };
            let Ok((off, avail)) = self.translate(a, true) else {
                break;
            };
            let n = (avail as usize).min(buf.len() - done);
            self.file().write(off, &buf[done..done + n]);
            done += n;
        }
        done
    }

    /// Writes `len` zero bytes at `addr`.
    pub fn zero_out(&self, addr: u64, len: u64) -> Result<(), Errno> {
        let chunk = [0u8; 4096];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(4096);
            self.copy_out(
                addr.checked_add(done).ok_or(Errno::EFAULT)?,
                &chunk[..n as usize],
            )?;
            done += n;
        }
        Ok(())
    }

    /// Reads a `T` (copied once, so later guest writes cannot change it).
    pub fn read<T: FromBytes + IntoBytes>(&self, ptr: UserPtr<T>) -> Result<T, Errno> {
        let mut v = T::new_zeroed();
        self.copy_in(ptr.addr, v.as_mut_bytes())?;
        Ok(v)
    }

    /// Writes a `T`.
    pub fn write<T: IntoBytes + Immutable>(&self, ptr: UserPtr<T>, v: &T) -> Result<(), Errno> {
        self.copy_out(ptr.addr, v.as_bytes())
    }

    /// Atomically replaces the aligned 32-bit guest word at `addr` with
    /// `new` if it holds `old` (breaking copy-on-write first); returns the
    /// value found. `EFAULT` unless the word is writable, `EINVAL` if
    /// misaligned.
    pub fn compare_exchange_u32(&self, addr: u64, old: u32, new: u32) -> Result<u32, Errno> {
        if !addr.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        let (off, _) = self.translate(addr, true)?;
        self.file()
            .compare_exchange_u32(off, old, new)
            .ok_or(Errno::EFAULT)
    }

    /// Reads a NUL-terminated string of at most `max` bytes (excluding the
    /// NUL); longer strings fail with `ENAMETOOLONG`.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 256];
        loop {
            let a = addr.checked_add(out.len() as u64).ok_or(Errno::EFAULT)?;
            // Never read across a page boundary in one step: the next page
            // may be unmapped while the string ends on this one.
            let to_page_end = (4096 - (a % 4096)) as usize;
            let want = chunk.len().min(to_page_end);
            self.copy_in(a, &mut chunk[..want])?;
            if let Some(nul) = chunk[..want].iter().position(|b| *b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                if out.len() > max {
                    return Err(Errno::ENAMETOOLONG);
                }
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..want]);
            if out.len() > max {
                return Err(Errno::ENAMETOOLONG);
            }
        }
    }

    /// Reads a NULL-terminated array of string pointers (`argv`, `envp`).
    pub fn read_str_array(&self, addr: u64, max_total: usize) -> Result<Vec<Vec<u8>>, Errno> {
        let mut out = Vec::new();
        let mut total = 0usize;
        if addr == 0 {
            return Ok(out);
        }
        for i in 0.. {
            let p: u64 = self.read(UserPtr::<u64>::new(addr).index(i)?)?;
            if p == 0 {
                break;
            }
            let s = self.read_cstr(p, max_total)?;
            total += s.len() + 1 + 8;
            if total > max_total {
                return Err(Errno::E2BIG);
            }
            out.push(s);
        }
        Ok(out)
    }
}

/// Whether a forced read (`FOLL_FORCE`) may read `v`: `check_vma_flags`
/// refuses `VM_IO | VM_PFNMAP` mappings (`[vvar]`) and ones that can never
/// be readable.
fn force_readable(v: &Vma) -> bool {
    v.name != VmaName::Vvar && (v.prot.read || v.max_prot.read)
}

/// Whether a forced write (`FOLL_FORCE | FOLL_WRITE`) may write `v`: a
/// writable mapping, or a copy-on-write one (`is_cow_mapping`: private,
/// `VM_MAYWRITE`; the vDSO is `VM_MAYWRITE` so debuggers can set
/// breakpoints in it). Never `[vvar]`.
fn force_writable(v: &Vma) -> bool {
    v.name != VmaName::Vvar
        && (v.prot.write || (!v.shared && (v.max_prot.write || v.name == VmaName::Vdso)))
}
