//! The gofer: the file broker that serves host files to the Sentry.
//!
//! * [`proto`] defines the messages exchanged over a `SOCK_SEQPACKET` socket
//!   and their hand-written little-endian encoding. It is shared by the
//!   Sentry (through [`client`]) and the gofer process (through [`server`]).
//! * [`server`] is the gofer process's request loop: it holds one host FD per
//!   [`proto::FileId`] and resolves every name with `openat(dirfd, name,
//!   O_PATH | O_NOFOLLOW)` relative to FDs it holds, so a client can never
//!   leave the root it was given.
//! * [`client`] is the Sentry's side: a thread-safe [`client::Client`].
//!
//! Unsafe code lives only in `transport` (FD passing with `SCM_RIGHTS`) and
//! `server::host` (thin wrappers over the host file syscalls); `proto`,
//! `client` and the server's request handlers forbid it.

#![warn(missing_docs)]

pub mod client;
pub mod proto;
pub mod server;
mod transport;

pub use client::{Client, ClientError};
pub use proto::{FileId, Stat};
pub use server::{ServerError, ServerOptions, serve};
