//! The Linux x86-64 system-call ABI as data: numbers, names, errno values,
//! flags and the exact layouts of the structures that cross the guest
//! boundary. This crate makes no host calls at all.

#![forbid(unsafe_code)]

pub mod errno;
pub mod syscalls;

pub use errno::Errno;
