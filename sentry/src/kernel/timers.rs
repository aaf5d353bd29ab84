//! Interval timers (`alarm`, `setitimer`): each armed timer is a host
//! thread that sleeps until the deadline and signals the process. Arming
//! again bumps a generation number, which retires the old thread.
//!
//! `ITIMER_VIRTUAL` and `ITIMER_PROF` count wall time while the process
//! lives, not its CPU time: a busy process sees them fire on time, an idle
//! one too early.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use abi::signal::SigInfo;

use super::process::lock;
use super::{Kernel, ThreadGroup};

/// One interval timer of a process.
#[derive(Default)]
pub struct IntervalTimer {
    state: Mutex<TimerState>,
    cv: Condvar,
}

#[derive(Default, Clone, Copy)]
struct TimerState {
    deadline: Option<Instant>,
    interval: Duration,
    generation: u64,
}

impl IntervalTimer {
    /// (time left, interval) of the timer.
    pub fn get(&self) -> (Duration, Duration) {
        let s = *lock(&self.state);
        let left = s.deadline.map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(Instant::now())
        });
        (left, s.interval)
    }

    /// Arms (or with a zero value, disarms) the timer; returns the old
    /// (time left, interval).
    pub fn set(
        self: &Arc<Self>,
        kernel: &Arc<Kernel>,
        tg: &Arc<ThreadGroup>,
        signo: i32,
        value: Duration,
        interval: Duration,
    ) -> (Duration, Duration) {
        let old = self.get();
        let generation = {
            let mut s = lock(&self.state);
            s.generation += 1;
            s.deadline = (!value.is_zero()).then(|| Instant::now() + value);
            s.interval = interval;
            s.generation
        };
        self.cv.notify_all();
        if value.is_zero() {
            return old;
        }
        let timer = self.clone();
        let kernel = Arc::downgrade(kernel);
        let tg = Arc::downgrade(tg);
        let _ = std::thread::Builder::new()
            .name("itimer".into())
            .spawn(move || {
                loop {
                    let mut s = lock(&timer.state);
                    loop {
                        if s.generation != generation {
                            return;
                        }
                        let Some(d) = s.deadline else {
                            return;
                        };
                        let now = Instant::now();
                        if now >= d {
                            break;
                        }
                        s = timer
                            .cv
                            .wait_timeout(s, d - now)
                            .map(|(g, _)| g)
                            .unwrap_or_else(|e| e.into_inner().0);
                    }
                    s.deadline = (!s.interval.is_zero()).then(|| Instant::now() + s.interval);
                    let again = s.deadline.is_some();
                    drop(s);
                    let (Some(k), Some(g)) = (kernel.upgrade(), tg.upgrade()) else {
                        return;
                    };
                    if g.lock().zombie.is_some() {
                        return;
                    }
                    super::signal::send_to_group(&k, &g, SigInfo::kill(signo, 0x80, 0, 0));
                    if !again {
                        return;
                    }
                }
            });
        old
    }
}

/// The three interval timers of a process.
#[derive(Default)]
pub struct ProcessTimers {
    /// `ITIMER_REAL` (`SIGALRM`).
    pub real: Arc<IntervalTimer>,
    /// `ITIMER_VIRTUAL` (`SIGVTALRM`).
    pub virt: Arc<IntervalTimer>,
    /// `ITIMER_PROF` (`SIGPROF`).
    pub prof: Arc<IntervalTimer>,
}
