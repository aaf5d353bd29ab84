//! File systems.

pub mod dev;
pub mod epoll;
pub mod gofer;
pub mod host;
pub mod overlay;
pub mod pidfd;
pub mod pipe;
pub mod proc;
pub mod signalfd;
pub mod tmpfs;
