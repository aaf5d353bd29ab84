//! The Linux x86-64 system-call ABI as data: numbers, names, errno values,
//! flags and the exact layouts of the structures that cross the guest
//! boundary. This crate makes no host calls at all.
//!
//! Every struct here is `#[repr(C)]` with explicit padding fields and derives
//! zerocopy's `FromBytes`/`IntoBytes`, so the Sentry copies it to and from
//! guest memory as plain bytes. `tests/layout.rs` checks every size, field
//! offset and a large set of constants against the host's C headers.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auxv;
pub mod elf;
pub mod errno;
pub mod fs;
pub mod mm;
pub mod net;
pub mod process;
pub mod signal;
pub mod syscalls;
pub mod time;
pub mod tty;

pub use errno::Errno;
