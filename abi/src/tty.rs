//! Terminal ABI: the kernel `struct termios` (as `TCGETS` uses it; glibc's
//! differs), `winsize`, terminal and file ioctl numbers, and termios flags.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `NCCS`: the number of control characters in the kernel termios.
pub const NCCS: usize = 19;

/// The kernel's `struct termios` (36 bytes).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Termios {
    /// `c_iflag`: input modes.
    pub c_iflag: u32,
    /// `c_oflag`: output modes.
    pub c_oflag: u32,
    /// `c_cflag`: control modes.
    pub c_cflag: u32,
    /// `c_lflag`: local modes.
    pub c_lflag: u32,
    /// `c_line`: line discipline.
    pub c_line: u8,
    /// `c_cc`: control characters, indexed by `V*`.
    pub c_cc: [u8; NCCS],
}

impl Termios {
    /// Linux's `tty_std_termios`: what a fresh terminal starts with.
    pub fn linux_default() -> Termios {
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            // INIT_C_CC: ^C ^\ DEL ^U ^D 0 1 0 ^Q ^S ^Z 0 ^R ^O ^W ^V 0
            c_cc: [
                3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
            ],
        }
    }
}

/// `struct winsize` (`TIOCGWINSZ`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Winsize {
    /// `ws_row`
    pub ws_row: u16,
    /// `ws_col`
    pub ws_col: u16,
    /// `ws_xpixel`
    pub ws_xpixel: u16,
    /// `ws_ypixel`
    pub ws_ypixel: u16,
}

/// `TCGETS`
pub const TCGETS: u32 = 0x5401;
/// `TCSETS`
pub const TCSETS: u32 = 0x5402;
/// `TCSETSW`
pub const TCSETSW: u32 = 0x5403;
/// `TCSETSF`
pub const TCSETSF: u32 = 0x5404;
/// `TCSBRK`
pub const TCSBRK: u32 = 0x5409;
/// `TCXONC`
pub const TCXONC: u32 = 0x540A;
/// `TCFLSH`
pub const TCFLSH: u32 = 0x540B;
/// `TIOCEXCL`
pub const TIOCEXCL: u32 = 0x540C;
/// `TIOCNXCL`
pub const TIOCNXCL: u32 = 0x540D;
/// `TIOCSCTTY`
pub const TIOCSCTTY: u32 = 0x540E;
/// `TIOCGPGRP`
pub const TIOCGPGRP: u32 = 0x540F;
/// `TIOCSPGRP`
pub const TIOCSPGRP: u32 = 0x5410;
/// `TIOCOUTQ`
pub const TIOCOUTQ: u32 = 0x5411;
/// `TIOCSTI`
pub const TIOCSTI: u32 = 0x5412;
/// `TIOCGWINSZ`
pub const TIOCGWINSZ: u32 = 0x5413;
/// `TIOCSWINSZ`
pub const TIOCSWINSZ: u32 = 0x5414;
/// `TIOCMGET`
pub const TIOCMGET: u32 = 0x5415;
/// `TIOCMSET`
pub const TIOCMSET: u32 = 0x5418;
/// `FIONREAD` (`TIOCINQ`)
pub const FIONREAD: u32 = 0x541B;
/// `TIOCLINUX`
pub const TIOCLINUX: u32 = 0x541C;
/// `TIOCCONS`
pub const TIOCCONS: u32 = 0x541D;
/// `TIOCPKT`
pub const TIOCPKT: u32 = 0x5420;
/// `FIONBIO`
pub const FIONBIO: u32 = 0x5421;
/// `TIOCNOTTY`
pub const TIOCNOTTY: u32 = 0x5422;
/// `TIOCSETD`
pub const TIOCSETD: u32 = 0x5423;
/// `TIOCGETD`
pub const TIOCGETD: u32 = 0x5424;
/// `TCSBRKP`
pub const TCSBRKP: u32 = 0x5425;
/// `TIOCSBRK`
pub const TIOCSBRK: u32 = 0x5427;
/// `TIOCCBRK`
pub const TIOCCBRK: u32 = 0x5428;
/// `TIOCGSID`
pub const TIOCGSID: u32 = 0x5429;
/// `TIOCGPTN`: `_IOR('T', 0x30, unsigned int)`
pub const TIOCGPTN: u32 = 0x8004_5430;
/// `TIOCSPTLCK`: `_IOW('T', 0x31, int)`
pub const TIOCSPTLCK: u32 = 0x4004_5431;
/// `TIOCGDEV`: `_IOR('T', 0x32, unsigned int)`
pub const TIOCGDEV: u32 = 0x8004_5432;
/// `TIOCSIG`: `_IOW('T', 0x36, int)`
pub const TIOCSIG: u32 = 0x4004_5436;
/// `TIOCVHANGUP`
pub const TIOCVHANGUP: u32 = 0x5437;
/// `TIOCGPKT`: `_IOR('T', 0x38, int)`
pub const TIOCGPKT: u32 = 0x8004_5438;
/// `TIOCGPTLCK`: `_IOR('T', 0x39, int)`
pub const TIOCGPTLCK: u32 = 0x8004_5439;
/// `TIOCGEXCL`: `_IOR('T', 0x40, int)`
pub const TIOCGEXCL: u32 = 0x8004_5440;
/// `TIOCGPTPEER`: `_IO('T', 0x41)`
pub const TIOCGPTPEER: u32 = 0x5441;
/// `FIONCLEX`
pub const FIONCLEX: u32 = 0x5450;
/// `FIOCLEX`
pub const FIOCLEX: u32 = 0x5451;
/// `FIOASYNC`
pub const FIOASYNC: u32 = 0x5452;
/// `FIOQSIZE`
pub const FIOQSIZE: u32 = 0x5460;

/// `TCSANOW`
pub const TCSANOW: i32 = 0;
/// `TCSADRAIN`
pub const TCSADRAIN: i32 = 1;
/// `TCSAFLUSH`
pub const TCSAFLUSH: i32 = 2;
/// `TCIFLUSH`
pub const TCIFLUSH: i32 = 0;
/// `TCOFLUSH`
pub const TCOFLUSH: i32 = 1;
/// `TCIOFLUSH`
pub const TCIOFLUSH: i32 = 2;
/// `TCOOFF`
pub const TCOOFF: i32 = 0;
/// `TCOON`
pub const TCOON: i32 = 1;
/// `TCIOFF`
pub const TCIOFF: i32 = 2;
/// `TCION`
pub const TCION: i32 = 3;

/// `VINTR`
pub const VINTR: usize = 0;
/// `VQUIT`
pub const VQUIT: usize = 1;
/// `VERASE`
pub const VERASE: usize = 2;
/// `VKILL`
pub const VKILL: usize = 3;
/// `VEOF`
pub const VEOF: usize = 4;
/// `VTIME`
pub const VTIME: usize = 5;
/// `VMIN`
pub const VMIN: usize = 6;
/// `VSWTC`
pub const VSWTC: usize = 7;
/// `VSTART`
pub const VSTART: usize = 8;
/// `VSTOP`
pub const VSTOP: usize = 9;
/// `VSUSP`
pub const VSUSP: usize = 10;
/// `VEOL`
pub const VEOL: usize = 11;
/// `VREPRINT`
pub const VREPRINT: usize = 12;
/// `VDISCARD`
pub const VDISCARD: usize = 13;
/// `VWERASE`
pub const VWERASE: usize = 14;
/// `VLNEXT`
pub const VLNEXT: usize = 15;
/// `VEOL2`
pub const VEOL2: usize = 16;

/// `IGNBRK`
pub const IGNBRK: u32 = 0o1;
/// `BRKINT`
pub const BRKINT: u32 = 0o2;
/// `IGNPAR`
pub const IGNPAR: u32 = 0o4;
/// `PARMRK`
pub const PARMRK: u32 = 0o10;
/// `INPCK`
pub const INPCK: u32 = 0o20;
/// `ISTRIP`
pub const ISTRIP: u32 = 0o40;
/// `INLCR`
pub const INLCR: u32 = 0o100;
/// `IGNCR`
pub const IGNCR: u32 = 0o200;
/// `ICRNL`
pub const ICRNL: u32 = 0o400;
/// `IUCLC`
pub const IUCLC: u32 = 0o1000;
/// `IXON`
pub const IXON: u32 = 0o2000;
/// `IXANY`
pub const IXANY: u32 = 0o4000;
/// `IXOFF`
pub const IXOFF: u32 = 0o10000;
/// `IMAXBEL`
pub const IMAXBEL: u32 = 0o20000;
/// `IUTF8`
pub const IUTF8: u32 = 0o40000;

/// `OPOST`
pub const OPOST: u32 = 0o1;
/// `OLCUC`
pub const OLCUC: u32 = 0o2;
/// `ONLCR`
pub const ONLCR: u32 = 0o4;
/// `OCRNL`
pub const OCRNL: u32 = 0o10;
/// `ONOCR`
pub const ONOCR: u32 = 0o20;
/// `ONLRET`
pub const ONLRET: u32 = 0o40;
/// `OFILL`
pub const OFILL: u32 = 0o100;
/// `OFDEL`
pub const OFDEL: u32 = 0o200;
/// `TABDLY`
pub const TABDLY: u32 = 0o14000;
/// `XTABS` (`TAB3`)
pub const XTABS: u32 = 0o14000;

/// `CBAUD`
pub const CBAUD: u32 = 0o10017;
/// `B0`: hang up.
pub const B0: u32 = 0o0;
/// `B9600`
pub const B9600: u32 = 0o15;
/// `B19200`
pub const B19200: u32 = 0o16;
/// `B38400`
pub const B38400: u32 = 0o17;
/// `B115200`
pub const B115200: u32 = 0o10002;
/// `CSIZE`
pub const CSIZE: u32 = 0o60;
/// `CS5`
pub const CS5: u32 = 0o0;
/// `CS6`
pub const CS6: u32 = 0o20;
/// `CS7`
pub const CS7: u32 = 0o40;
/// `CS8`
pub const CS8: u32 = 0o60;
/// `CSTOPB`
pub const CSTOPB: u32 = 0o100;
/// `CREAD`
pub const CREAD: u32 = 0o200;
/// `PARENB`
pub const PARENB: u32 = 0o400;
/// `PARODD`
pub const PARODD: u32 = 0o1000;
/// `HUPCL`
pub const HUPCL: u32 = 0o2000;
/// `CLOCAL`
pub const CLOCAL: u32 = 0o4000;
/// `CBAUDEX`
pub const CBAUDEX: u32 = 0o10000;
/// `CIBAUD`
pub const CIBAUD: u32 = 0o2003600000;
/// `CRTSCTS`
pub const CRTSCTS: u32 = 0o20000000000;

/// `ISIG`
pub const ISIG: u32 = 0o1;
/// `ICANON`
pub const ICANON: u32 = 0o2;
/// `XCASE`
pub const XCASE: u32 = 0o4;
/// `ECHO`
pub const ECHO: u32 = 0o10;
/// `ECHOE`
pub const ECHOE: u32 = 0o20;
/// `ECHOK`
pub const ECHOK: u32 = 0o40;
/// `ECHONL`
pub const ECHONL: u32 = 0o100;
/// `NOFLSH`
pub const NOFLSH: u32 = 0o200;
/// `TOSTOP`
pub const TOSTOP: u32 = 0o400;
/// `ECHOCTL`
pub const ECHOCTL: u32 = 0o1000;
/// `ECHOPRT`
pub const ECHOPRT: u32 = 0o2000;
/// `ECHOKE`
pub const ECHOKE: u32 = 0o4000;
/// `FLUSHO`
pub const FLUSHO: u32 = 0o10000;
/// `PENDIN`
pub const PENDIN: u32 = 0o40000;
/// `IEXTEN`
pub const IEXTEN: u32 = 0o100000;
/// `EXTPROC`
pub const EXTPROC: u32 = 0o200000;

const _: () = assert!(size_of::<Termios>() == 36);
const _: () = assert!(size_of::<Winsize>() == 8);
