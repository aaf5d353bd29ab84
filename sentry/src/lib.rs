//! The Sentry: rvisor's user-space Linux kernel.

pub mod boot;
pub mod fsimpl;
pub mod kernel;
pub mod loader;
pub mod mm;
pub mod syscalls;
pub mod vfs;

/// The kernel release guests see (`uname -r`).
pub const KERNEL_RELEASE: &str = "4.4.0";
/// The kernel version string guests see (`uname -v`).
pub const KERNEL_VERSION: &str = "#1 SMP Sun Jan 10 15:06:54 PST 2016";
