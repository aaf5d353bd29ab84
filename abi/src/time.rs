//! Time ABI: `timespec`, `timeval`, interval timers, clock ids.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Nanoseconds per second.
pub const NSEC_PER_SEC: i64 = 1_000_000_000;

/// `struct timespec` (16 bytes).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(C)]
pub struct Timespec {
    /// `tv_sec`.
    pub tv_sec: i64,
    /// `tv_nsec` (valid in `0..1_000_000_000`).
    pub tv_nsec: i64,
}

impl Timespec {
    /// Whether `tv_sec >= 0` and `tv_nsec` is in range (what most syscalls
    /// require before returning `EINVAL`).
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..NSEC_PER_SEC).contains(&self.tv_nsec)
    }

    /// The time in nanoseconds, or `None` if invalid or out of `i64` range.
    pub fn to_nanos(&self) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        self.tv_sec
            .checked_mul(NSEC_PER_SEC)?
            .checked_add(self.tv_nsec)
    }

    /// The `timespec` of `nanos` nanoseconds (floored for negative values).
    pub fn from_nanos(nanos: i64) -> Timespec {
        Timespec {
            tv_sec: nanos.div_euclid(NSEC_PER_SEC),
            tv_nsec: nanos.rem_euclid(NSEC_PER_SEC),
        }
    }
}

/// `UTIME_NOW` (`utimensat`: set to the current time).
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// `UTIME_OMIT` (`utimensat`: leave unchanged).
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `struct timeval` (16 bytes).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
)]
#[repr(C)]
pub struct Timeval {
    /// `tv_sec`.
    pub tv_sec: i64,
    /// `tv_usec` (valid in `0..1_000_000`).
    pub tv_usec: i64,
}

impl Timeval {
    /// Whether `tv_sec >= 0` and `tv_usec` is in range.
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..1_000_000).contains(&self.tv_usec)
    }
}

/// `struct itimerval` (`setitimer`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Itimerval {
    /// `it_interval`: reload value.
    pub it_interval: Timeval,
    /// `it_value`: time to the next expiry.
    pub it_value: Timeval,
}

/// `struct itimerspec` (`timer_settime`, `timerfd_settime`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Itimerspec {
    /// `it_interval`: reload value.
    pub it_interval: Timespec,
    /// `it_value`: time to the next expiry.
    pub it_value: Timespec,
}

/// `struct timezone` (`gettimeofday`; obsolete).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Timezone {
    /// `tz_minuteswest`.
    pub tz_minuteswest: i32,
    /// `tz_dsttime`.
    pub tz_dsttime: i32,
}

/// `CLOCK_REALTIME`
pub const CLOCK_REALTIME: i32 = 0;
/// `CLOCK_MONOTONIC`
pub const CLOCK_MONOTONIC: i32 = 1;
/// `CLOCK_PROCESS_CPUTIME_ID`
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
/// `CLOCK_THREAD_CPUTIME_ID`
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
/// `CLOCK_MONOTONIC_RAW`
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
/// `CLOCK_REALTIME_COARSE`
pub const CLOCK_REALTIME_COARSE: i32 = 5;
/// `CLOCK_MONOTONIC_COARSE`
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
/// `CLOCK_BOOTTIME`
pub const CLOCK_BOOTTIME: i32 = 7;
/// `CLOCK_REALTIME_ALARM`
pub const CLOCK_REALTIME_ALARM: i32 = 8;
/// `CLOCK_BOOTTIME_ALARM`
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;
/// `CLOCK_TAI`
pub const CLOCK_TAI: i32 = 11;

/// `TIMER_ABSTIME` (`clock_nanosleep`, `timer_settime`)
pub const TIMER_ABSTIME: i32 = 1;

/// `ITIMER_REAL`
pub const ITIMER_REAL: i32 = 0;
/// `ITIMER_VIRTUAL`
pub const ITIMER_VIRTUAL: i32 = 1;
/// `ITIMER_PROF`
pub const ITIMER_PROF: i32 = 2;

const _: () = assert!(size_of::<Timespec>() == 16);
const _: () = assert!(size_of::<Itimerspec>() == 32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespec_nanos_round_trip() {
        let t = Timespec::from_nanos(1_500_000_000);
        assert_eq!(
            t,
            Timespec {
                tv_sec: 1,
                tv_nsec: 500_000_000
            }
        );
        assert_eq!(t.to_nanos(), Some(1_500_000_000));
        assert_eq!(
            Timespec {
                tv_sec: 0,
                tv_nsec: NSEC_PER_SEC
            }
            .to_nanos(),
            None
        );
        assert_eq!(
            Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 0
            }
            .to_nanos(),
            None
        );
        assert_eq!(
            Timespec::from_nanos(-1),
            Timespec {
                tv_sec: -1,
                tv_nsec: 999_999_999
            }
        );
    }
}
