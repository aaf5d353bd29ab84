//! The Sentry: rvisor's user-space Linux kernel.

pub mod boot;
pub mod mm;
