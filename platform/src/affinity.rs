//! Which host CPUs run a guest thread's stub thread and the Sentry thread
//! serving it.
//!
//! A hand-off between two threads on one CPU is a plain context switch
//! (about 2 µs on a nested-virtualisation host); waking a thread onto an
//! idle CPU costs 20–60 µs there. Spinning on two CPUs beats both for
//! short system calls, but a guest thread that often sleeps in the Sentry
//! (futex and pipe ping-pong, a shell reading a pipe) makes every resume
//! a wake-up of an idle CPU. [`Pairing`] watches how often the Sentry
//! sleeps while handling a thread's stops and, past a threshold, pins the
//! pair to one CPU (with no spinning); when the thread stops sleeping it
//! lets them go again. Pins are re-chosen now and then, right after the
//! Sentry thread woke where the host's scheduler put it, so pinned pairs
//! follow the host's load balancing.

use std::mem::size_of;
use std::sync::OnceLock;
use std::time::Duration;

/// Score (out of [`SCALE`]) at or above which a pair goes to one CPU.
const ENTER: u32 = 512;
/// Score below which a pinned pair is let go.
const LEAVE: u32 = 128;
const SCALE: u32 = 1024;
/// Stops a pair stays pinned before its CPU is chosen again.
const REPIN_AFTER: u32 = 256;
/// A stretch of guest code this long unpins its pair (see [`Pairing::ran`]).
const LONG_RUN: Duration = Duration::from_millis(1);

/// The CPUs this process was allowed when it started.
static ALLOWED: OnceLock<libc::cpu_set_t> = OnceLock::new();

/// The CPUs this process may run on: how many, remembered (on the first
/// call) as the set an unpinned thread goes back to.
pub(crate) fn allowed_cpus() -> usize {
    let set = ALLOWED.get_or_init(|| {
        // SAFETY: cpu_set_t is plain data; the pointer is valid for the
        // call. On failure the set stays empty and pins are never undone
        // wrongly: `pin(_, None)` skips an empty set.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set);
            set
        }
    });
    // SAFETY: CPU_COUNT reads the set only.
    usize::try_from(unsafe { libc::CPU_COUNT(set) })
        .unwrap_or(1)
        .max(1)
}

/// Pins host thread `tid` (0: the caller) to `cpu`, or with `None` lets it
/// run on every CPU the process started with. Errors (a thread that is
/// gone) are ignored: a pin only tunes speed.
pub(crate) fn pin(tid: i32, cpu: Option<usize>) {
    let set = match cpu {
        Some(cpu) => {
            // SAFETY: cpu_set_t is plain data; CPU_SET writes within it
            // (it ignores CPUs past the set's size).
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                set
            }
        }
        None => match ALLOWED.get() {
            // SAFETY: CPU_COUNT reads the set only.
            Some(set) if unsafe { libc::CPU_COUNT(set) } > 0 => *set,
            _ => return,
        },
    };
    // SAFETY: the set pointer is valid for the call.
    unsafe { libc::sched_setaffinity(tid, size_of::<libc::cpu_set_t>(), &set) };
}

/// The CPU the calling thread runs on.
pub(crate) fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu has no preconditions.
    usize::try_from(unsafe { libc::sched_getcpu() }).ok()
}

/// Moves the calling thread off CPU `cpu` to another it may run on, and
/// leaves it free to run anywhere again: two threads that hand off by
/// spinning must not share a CPU, and the host's scheduler, which sees
/// both busy, may leave them so.
pub(crate) fn step_off(cpu: usize) {
    let Some(set) = ALLOWED.get() else {
        return;
    };
    let other = (0..libc::CPU_SETSIZE as usize).find(|c| {
        // SAFETY: CPU_ISSET only reads `set`, a valid cpu_set_t; `c` is
        // below CPU_SETSIZE.
        *c != cpu && unsafe { libc::CPU_ISSET(*c, set) }
    });
    if let Some(other) = other {
        pin(0, Some(other));
        pin(0, None);
    }
}

/// Pins the calling host thread and stub thread `tid` to the CPU the
/// caller runs on, so hand-offs between them are same-CPU switches.
pub(crate) fn pin_pair_here(tid: i32) -> Option<usize> {
    let cpu = current_cpu()?;
    pin(0, Some(cpu));
    pin(tid, Some(cpu));
    Some(cpu)
}

/// Where one guest thread and its Sentry thread run (see the module
/// documentation).
#[derive(Debug, Default)]
pub(crate) struct Pairing {
    /// How often, recently, the Sentry slept handling a stop (an
    /// exponential average out of [`SCALE`]).
    score: u32,
    /// The stub thread and CPU the pair is pinned to.
    pinned: Option<(i32, usize)>,
    /// Stops since the pin was chosen.
    stops: u32,
}

impl Pairing {
    /// Records a resume of stub thread `tid`; `slept` says whether the
    /// Sentry slept handling its last stop. Returns whether the pair now
    /// runs on one CPU (and so must not spin).
    pub(crate) fn resume(&mut self, tid: i32, slept: bool) -> bool {
        self.score = if slept {
            self.score + (SCALE - self.score) / 4
        } else {
            self.score - self.score / 8
        };
        if let Some((pinned_tid, _)) = self.pinned {
            self.stops += 1;
            let stale = self.stops >= REPIN_AFTER || pinned_tid != tid;
            if self.score < LEAVE || stale {
                self.release();
            }
        }
        // Pin right after a sleep: the host just chose this CPU for the
        // Sentry thread.
        if self.pinned.is_none()
            && slept
            && self.score >= ENTER
            && let Some(cpu) = pin_pair_here(tid)
        {
            self.pinned = Some((tid, cpu));
            self.stops = 0;
        }
        self.pinned.is_some()
    }

    /// Records how long the guest thread ran before its last stop: a
    /// thread that computes for long stretches gains nothing from sharing
    /// a CPU with its Sentry thread and may crowd another pinned thread, so
    /// a long run lets the pair go, and its count of sleeps starts over.
    pub(crate) fn ran(&mut self, time: Duration) {
        if self.pinned.is_some() && time >= LONG_RUN {
            self.score = 0;
            self.release();
        }
    }

    /// Lets a pinned pair run anywhere again.
    pub(crate) fn release(&mut self) {
        if let Some((tid, _)) = self.pinned.take() {
            pin(0, None);
            pin(tid, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twenty resumes of the calling thread, sleeping every other stop:
    /// whether the pair ends pinned.
    fn alternate_sleeps(p: &mut Pairing) -> bool {
        let me = crate::gettid();
        (0..20).fold(false, |_, i| p.resume(me, i % 2 == 0))
    }

    #[test]
    fn alternating_sleeps_pin_and_quick_calls_release() {
        let me = crate::gettid();
        let mut p = Pairing::default();
        assert!(
            alternate_sleeps(&mut p),
            "a thread that sleeps every other stop is pinned"
        );
        let mut pinned = true;
        for _ in 0..20 {
            pinned = p.resume(me, false);
        }
        assert!(!pinned, "a thread that stops sleeping is let go");
        p.release();
    }

    #[test]
    fn a_long_run_of_guest_code_lets_the_pair_go() {
        let me = crate::gettid();
        let mut p = Pairing::default();
        assert!(alternate_sleeps(&mut p));
        p.ran(Duration::from_millis(5));
        assert!(!p.resume(me, true), "let go after computing for 5 ms");
        p.release();
    }

    #[test]
    fn rare_sleeps_do_not_pin() {
        let me = crate::gettid();
        let mut p = Pairing::default();
        for i in 0..100 {
            assert!(!p.resume(me, i % 6 == 0));
        }
    }
}
