//! Basic socket ABI: address families, socket types, `sockaddr_*`, socket
//! options, message headers and control messages, `poll` and `epoll`.

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// `AF_UNSPEC`
pub const AF_UNSPEC: u16 = 0;
/// `AF_UNIX` (`AF_LOCAL`)
pub const AF_UNIX: u16 = 1;
/// `AF_INET`
pub const AF_INET: u16 = 2;
/// `AF_INET6`
pub const AF_INET6: u16 = 10;
/// `AF_NETLINK`
pub const AF_NETLINK: u16 = 16;
/// `AF_PACKET`
pub const AF_PACKET: u16 = 17;

/// `SOCK_STREAM`
pub const SOCK_STREAM: u32 = 1;
/// `SOCK_DGRAM`
pub const SOCK_DGRAM: u32 = 2;
/// `SOCK_RAW`
pub const SOCK_RAW: u32 = 3;
/// `SOCK_RDM`
pub const SOCK_RDM: u32 = 4;
/// `SOCK_SEQPACKET`
pub const SOCK_SEQPACKET: u32 = 5;
/// `SOCK_PACKET`
pub const SOCK_PACKET: u32 = 10;
/// `SOCK_TYPE_MASK`: the type bits of `socket`'s `type` argument.
pub const SOCK_TYPE_MASK: u32 = 0xf;
/// `SOCK_NONBLOCK`
pub const SOCK_NONBLOCK: u32 = 0o4000;
/// `SOCK_CLOEXEC`
pub const SOCK_CLOEXEC: u32 = 0o2000000;

/// `IPPROTO_IP`
pub const IPPROTO_IP: i32 = 0;
/// `IPPROTO_ICMP`
pub const IPPROTO_ICMP: i32 = 1;
/// `IPPROTO_TCP`
pub const IPPROTO_TCP: i32 = 6;
/// `IPPROTO_UDP`
pub const IPPROTO_UDP: i32 = 17;
/// `IPPROTO_IPV6`
pub const IPPROTO_IPV6: i32 = 41;

/// `struct sockaddr_in` (16 bytes). Port and address are in network order.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SockaddrIn {
    /// `sin_family`: `AF_INET`.
    pub sin_family: u16,
    /// `sin_port` (big-endian).
    pub sin_port: u16,
    /// `sin_addr.s_addr` (big-endian).
    pub sin_addr: u32,
    /// `sin_zero`.
    pub sin_zero: [u8; 8],
}

/// `struct sockaddr_in6` (28 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SockaddrIn6 {
    /// `sin6_family`: `AF_INET6`.
    pub sin6_family: u16,
    /// `sin6_port` (big-endian).
    pub sin6_port: u16,
    /// `sin6_flowinfo` (big-endian).
    pub sin6_flowinfo: u32,
    /// `sin6_addr`.
    pub sin6_addr: [u8; 16],
    /// `sin6_scope_id`.
    pub sin6_scope_id: u32,
}

/// `UNIX_PATH_MAX`: size of `sun_path`.
pub const UNIX_PATH_MAX: usize = 108;

/// `struct sockaddr_un` (110 bytes). An abstract address starts with a NUL
/// and its length comes from the address length, not a terminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SockaddrUn {
    /// `sun_family`: `AF_UNIX`.
    pub sun_family: u16,
    /// `sun_path`.
    pub sun_path: [u8; UNIX_PATH_MAX],
}

impl Default for SockaddrUn {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

/// `struct sockaddr_storage` (128 bytes, 8-byte aligned): room for any address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C, align(8))]
pub struct SockaddrStorage {
    /// `ss_family`.
    pub ss_family: u16,
    /// The address bytes after the family.
    pub data: [u8; 126],
}

impl Default for SockaddrStorage {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

/// `SOL_SOCKET`: the socket-level option level.
pub const SOL_SOCKET: i32 = 1;
/// `SO_DEBUG`
pub const SO_DEBUG: i32 = 1;
/// `SO_REUSEADDR`
pub const SO_REUSEADDR: i32 = 2;
/// `SO_TYPE`
pub const SO_TYPE: i32 = 3;
/// `SO_ERROR`
pub const SO_ERROR: i32 = 4;
/// `SO_DONTROUTE`
pub const SO_DONTROUTE: i32 = 5;
/// `SO_BROADCAST`
pub const SO_BROADCAST: i32 = 6;
/// `SO_SNDBUF`
pub const SO_SNDBUF: i32 = 7;
/// `SO_RCVBUF`
pub const SO_RCVBUF: i32 = 8;
/// `SO_KEEPALIVE`
pub const SO_KEEPALIVE: i32 = 9;
/// `SO_OOBINLINE`
pub const SO_OOBINLINE: i32 = 10;
/// `SO_NO_CHECK`
pub const SO_NO_CHECK: i32 = 11;
/// `SO_PRIORITY`
pub const SO_PRIORITY: i32 = 12;
/// `SO_LINGER`
pub const SO_LINGER: i32 = 13;
/// `SO_BSDCOMPAT`
pub const SO_BSDCOMPAT: i32 = 14;
/// `SO_REUSEPORT`
pub const SO_REUSEPORT: i32 = 15;
/// `SO_PASSCRED`
pub const SO_PASSCRED: i32 = 16;
/// `SO_PEERCRED`
pub const SO_PEERCRED: i32 = 17;
/// `SO_RCVLOWAT`
pub const SO_RCVLOWAT: i32 = 18;
/// `SO_SNDLOWAT`
pub const SO_SNDLOWAT: i32 = 19;
/// `SO_RCVTIMEO` (`SO_RCVTIMEO_OLD` on x86-64)
pub const SO_RCVTIMEO: i32 = 20;
/// `SO_SNDTIMEO` (`SO_SNDTIMEO_OLD` on x86-64)
pub const SO_SNDTIMEO: i32 = 21;
/// `SO_BINDTODEVICE`
pub const SO_BINDTODEVICE: i32 = 25;
/// `SO_ATTACH_FILTER`
pub const SO_ATTACH_FILTER: i32 = 26;
/// `SO_DETACH_FILTER`
pub const SO_DETACH_FILTER: i32 = 27;
/// `SO_PEERNAME`
pub const SO_PEERNAME: i32 = 28;
/// `SO_TIMESTAMP` (`SO_TIMESTAMP_OLD`)
pub const SO_TIMESTAMP: i32 = 29;
/// `SO_ACCEPTCONN`
pub const SO_ACCEPTCONN: i32 = 30;
/// `SO_PEERSEC`
pub const SO_PEERSEC: i32 = 31;
/// `SO_SNDBUFFORCE`
pub const SO_SNDBUFFORCE: i32 = 32;
/// `SO_RCVBUFFORCE`
pub const SO_RCVBUFFORCE: i32 = 33;
/// `SO_PASSSEC`
pub const SO_PASSSEC: i32 = 34;
/// `SO_MARK`
pub const SO_MARK: i32 = 36;
/// `SO_PROTOCOL`
pub const SO_PROTOCOL: i32 = 38;
/// `SO_DOMAIN`
pub const SO_DOMAIN: i32 = 39;
/// `SO_PEEK_OFF`
pub const SO_PEEK_OFF: i32 = 42;

/// `struct linger` (`SO_LINGER`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Linger {
    /// `l_onoff`
    pub l_onoff: i32,
    /// `l_linger`: seconds.
    pub l_linger: i32,
}

/// `MSG_OOB`
pub const MSG_OOB: u32 = 0x1;
/// `MSG_PEEK`
pub const MSG_PEEK: u32 = 0x2;
/// `MSG_DONTROUTE`
pub const MSG_DONTROUTE: u32 = 0x4;
/// `MSG_CTRUNC`
pub const MSG_CTRUNC: u32 = 0x8;
/// `MSG_PROXY`
pub const MSG_PROXY: u32 = 0x10;
/// `MSG_TRUNC`
pub const MSG_TRUNC: u32 = 0x20;
/// `MSG_DONTWAIT`
pub const MSG_DONTWAIT: u32 = 0x40;
/// `MSG_EOR`
pub const MSG_EOR: u32 = 0x80;
/// `MSG_WAITALL`
pub const MSG_WAITALL: u32 = 0x100;
/// `MSG_FIN`
pub const MSG_FIN: u32 = 0x200;
/// `MSG_SYN`
pub const MSG_SYN: u32 = 0x400;
/// `MSG_CONFIRM`
pub const MSG_CONFIRM: u32 = 0x800;
/// `MSG_RST`
pub const MSG_RST: u32 = 0x1000;
/// `MSG_ERRQUEUE`
pub const MSG_ERRQUEUE: u32 = 0x2000;
/// `MSG_NOSIGNAL`
pub const MSG_NOSIGNAL: u32 = 0x4000;
/// `MSG_MORE`
pub const MSG_MORE: u32 = 0x8000;
/// `MSG_WAITFORONE`
pub const MSG_WAITFORONE: u32 = 0x1_0000;
/// `MSG_BATCH`
pub const MSG_BATCH: u32 = 0x4_0000;
/// `MSG_ZEROCOPY`
pub const MSG_ZEROCOPY: u32 = 0x400_0000;
/// `MSG_FASTOPEN`
pub const MSG_FASTOPEN: u32 = 0x2000_0000;
/// `MSG_CMSG_CLOEXEC`
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

/// `struct msghdr` (`sendmsg`, `recvmsg`; 56 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Msghdr {
    /// `msg_name`: address buffer.
    pub msg_name: u64,
    /// `msg_namelen`.
    pub msg_namelen: u32,
    /// Padding.
    pub _pad0: u32,
    /// `msg_iov`: array of `Iovec`.
    pub msg_iov: u64,
    /// `msg_iovlen`.
    pub msg_iovlen: u64,
    /// `msg_control`: ancillary data buffer.
    pub msg_control: u64,
    /// `msg_controllen`.
    pub msg_controllen: u64,
    /// `msg_flags`: `MSG_*` on return.
    pub msg_flags: i32,
    /// Padding.
    pub _pad1: u32,
}

/// `struct mmsghdr` (`sendmmsg`, `recvmmsg`; 64 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Mmsghdr {
    /// `msg_hdr`.
    pub msg_hdr: Msghdr,
    /// `msg_len`: bytes transferred.
    pub msg_len: u32,
    /// Padding.
    pub _pad: u32,
}

/// `struct cmsghdr` (16 bytes); data follows at `cmsg_align(16)`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Cmsghdr {
    /// `cmsg_len`: header plus data, unpadded.
    pub cmsg_len: u64,
    /// `cmsg_level`: e.g. `SOL_SOCKET`.
    pub cmsg_level: i32,
    /// `cmsg_type`: e.g. `SCM_RIGHTS`.
    pub cmsg_type: i32,
}

/// `CMSG_ALIGN`: `len` rounded up to 8, or `None` on overflow.
pub fn cmsg_align(len: usize) -> Option<usize> {
    Some(len.checked_add(7)? & !7)
}

/// `CMSG_LEN`: `cmsg_len` for `data_len` bytes of data.
pub fn cmsg_len(data_len: usize) -> Option<usize> {
    cmsg_align(size_of::<Cmsghdr>())?.checked_add(data_len)
}

/// `CMSG_SPACE`: buffer space for a control message with `data_len` bytes.
pub fn cmsg_space(data_len: usize) -> Option<usize> {
    cmsg_align(size_of::<Cmsghdr>())?.checked_add(cmsg_align(data_len)?)
}

/// `SCM_RIGHTS`: the data is an array of file descriptors.
pub const SCM_RIGHTS: i32 = 1;
/// `SCM_CREDENTIALS`: the data is a `Ucred`.
pub const SCM_CREDENTIALS: i32 = 2;
/// `SCM_MAX_FD`: most descriptors in one `SCM_RIGHTS` message.
pub const SCM_MAX_FD: usize = 253;

/// `struct ucred` (12 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Ucred {
    /// `pid`
    pub pid: i32,
    /// `uid`
    pub uid: u32,
    /// `gid`
    pub gid: u32,
}

/// `SHUT_RD`
pub const SHUT_RD: i32 = 0;
/// `SHUT_WR`
pub const SHUT_WR: i32 = 1;
/// `SHUT_RDWR`
pub const SHUT_RDWR: i32 = 2;

/// `struct pollfd` (8 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct PollFd {
    /// `fd` (negative: ignored).
    pub fd: i32,
    /// `events`: `POLL*` requested.
    pub events: u16,
    /// `revents`: `POLL*` returned.
    pub revents: u16,
}

/// `POLLIN`
pub const POLLIN: u16 = 0x1;
/// `POLLPRI`
pub const POLLPRI: u16 = 0x2;
/// `POLLOUT`
pub const POLLOUT: u16 = 0x4;
/// `POLLERR`
pub const POLLERR: u16 = 0x8;
/// `POLLHUP`
pub const POLLHUP: u16 = 0x10;
/// `POLLNVAL`
pub const POLLNVAL: u16 = 0x20;
/// `POLLRDNORM`
pub const POLLRDNORM: u16 = 0x40;
/// `POLLRDBAND`
pub const POLLRDBAND: u16 = 0x80;
/// `POLLWRNORM`
pub const POLLWRNORM: u16 = 0x100;
/// `POLLWRBAND`
pub const POLLWRBAND: u16 = 0x200;
/// `POLLMSG`
pub const POLLMSG: u16 = 0x400;
/// `POLLREMOVE`
pub const POLLREMOVE: u16 = 0x1000;
/// `POLLRDHUP`
pub const POLLRDHUP: u16 = 0x2000;

/// `struct epoll_event`: packed on x86-64 (12 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C, packed)]
pub struct EpollEvent {
    /// `events`: `EPOLL*`.
    pub events: u32,
    /// `data`: user cookie.
    pub data: u64,
}

/// `EPOLLIN`
pub const EPOLLIN: u32 = 0x1;
/// `EPOLLPRI`
pub const EPOLLPRI: u32 = 0x2;
/// `EPOLLOUT`
pub const EPOLLOUT: u32 = 0x4;
/// `EPOLLERR`
pub const EPOLLERR: u32 = 0x8;
/// `EPOLLHUP`
pub const EPOLLHUP: u32 = 0x10;
/// `EPOLLNVAL`
pub const EPOLLNVAL: u32 = 0x20;
/// `EPOLLRDNORM`
pub const EPOLLRDNORM: u32 = 0x40;
/// `EPOLLRDBAND`
pub const EPOLLRDBAND: u32 = 0x80;
/// `EPOLLWRNORM`
pub const EPOLLWRNORM: u32 = 0x100;
/// `EPOLLWRBAND`
pub const EPOLLWRBAND: u32 = 0x200;
/// `EPOLLMSG`
pub const EPOLLMSG: u32 = 0x400;
/// `EPOLLRDHUP`
pub const EPOLLRDHUP: u32 = 0x2000;
/// `EPOLLEXCLUSIVE`
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
/// `EPOLLWAKEUP`
pub const EPOLLWAKEUP: u32 = 1 << 29;
/// `EPOLLONESHOT`
pub const EPOLLONESHOT: u32 = 1 << 30;
/// `EPOLLET`
pub const EPOLLET: u32 = 1 << 31;
/// `EPOLL_CTL_ADD`
pub const EPOLL_CTL_ADD: i32 = 1;
/// `EPOLL_CTL_DEL`
pub const EPOLL_CTL_DEL: i32 = 2;
/// `EPOLL_CTL_MOD`
pub const EPOLL_CTL_MOD: i32 = 3;
/// `EPOLL_CLOEXEC`
pub const EPOLL_CLOEXEC: u32 = 0o2000000;

const _: () = assert!(size_of::<SockaddrIn>() == 16);
const _: () = assert!(size_of::<SockaddrIn6>() == 28);
const _: () = assert!(size_of::<SockaddrUn>() == 110);
const _: () = assert!(size_of::<SockaddrStorage>() == 128);
const _: () = assert!(size_of::<Msghdr>() == 56);
const _: () = assert!(size_of::<EpollEvent>() == 12);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmsg_sizes_match_glibc_macros() {
        assert_eq!(cmsg_len(4), Some(20));
        assert_eq!(cmsg_space(4), Some(24));
        assert_eq!(cmsg_space(12), Some(32));
        assert_eq!(cmsg_len(usize::MAX), None);
    }
}
