//! Timers and CPU clocks.
//!
//! * Every timer (`alarm`, `setitimer`, `timer_create`, the `RLIMIT_CPU`
//!   watch) is an [`IntervalTimer`]: a deadline on a [`TimerClock`], a
//!   period, and a host thread that sleeps until the deadline and acts.
//!   Arming again bumps a generation number, which retires the old thread.
//! * CPU clocks: a guest thread's CPU time is the time it spent running
//!   guest code (measured around every switch into the guest); a
//!   process's is the sum over its threads, exited ones included. A timer
//!   on a CPU clock sleeps for the time left divided by the threads that
//!   could be spending it, then looks again: an idle process's
//!   `ITIMER_VIRTUAL` never fires, a busy one's fires on time.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use abi::Errno;
use abi::signal::SigInfo;

use super::process::{TaskHandle, lock, sigbit};
use super::{Kernel, ThreadGroup};

/// The clock a timer's deadline is measured on.
#[derive(Clone, Default)]
pub enum TimerClock {
    /// Monotonic wall time.
    #[default]
    Wall,
    /// A process's CPU time.
    Process(Weak<ThreadGroup>),
    /// A thread's CPU time.
    Thread(Weak<TaskHandle>),
}

impl TimerClock {
    /// The clock's reading in ns; `None` once what it measures is gone.
    pub fn now(&self) -> Option<u64> {
        match self {
            TimerClock::Wall => Some(wall_ns()),
            TimerClock::Process(g) => g.upgrade().map(|g| process_cpu_ns(&g)),
            TimerClock::Thread(t) => t.upgrade().map(|t| thread_cpu_ns(&t)),
        }
    }

    /// How long to sleep before `left` ns of this clock can have passed:
    /// a process's threads together spend CPU time faster than wall time.
    fn wall_wait(&self, left: u64) -> Duration {
        let runners = match self {
            TimerClock::Process(g) => g.upgrade().map_or(1, |g| g.lock().threads.len().max(1)),
            _ => 1,
        };
        Duration::from_nanos(left / runners as u64)
    }
}

/// Monotonic wall time in ns since the Sentry started.
pub fn wall_ns() -> u64 {
    boot_instant().elapsed().as_nanos() as u64
}

/// One timer: a deadline on its clock, a period, and the host thread that
/// waits.
#[derive(Default)]
pub struct IntervalTimer {
    state: Mutex<TimerState>,
    cv: Condvar,
}

#[derive(Default, Clone)]
struct TimerState {
    clock: TimerClock,
    /// On `clock`, ns.
    deadline: Option<u64>,
    interval: Duration,
    generation: u64,
}

impl IntervalTimer {
    /// (time left, interval) of the timer.
    pub fn get(&self) -> (Duration, Duration) {
        let s = lock(&self.state).clone();
        let left = match (s.deadline, s.clock.now()) {
            (Some(d), Some(now)) => Duration::from_nanos(d.saturating_sub(now)),
            _ => Duration::ZERO,
        };
        (left, s.interval)
    }

    /// Arms (or with a zero value, disarms) an interval timer on `clock`
    /// that sends `signo` to the process; returns the old (time left,
    /// interval).
    pub fn set(
        self: &Arc<Self>,
        kernel: &Arc<Kernel>,
        tg: &Arc<ThreadGroup>,
        signo: i32,
        clock: TimerClock,
        value: Duration,
        interval: Duration,
    ) -> (Duration, Duration) {
        let kernel = Arc::downgrade(kernel);
        let tg = Arc::downgrade(tg);
        let deadline = (!value.is_zero())
            .then(|| {
                clock
                    .now()
                    .map(|now| now.saturating_add(value.as_nanos() as u64))
            })
            .flatten();
        self.arm(clock, deadline, interval, move |_| {
            let (Some(k), Some(g)) = (kernel.upgrade(), tg.upgrade()) else {
                return false;
            };
            if g.lock().zombie.is_some() {
                return false;
            }
            super::signal::send_to_group(&k, &g, SigInfo::kill(signo, 0x80, 0, 0));
            true
        })
    }

    /// Arms the timer for `deadline` on `clock` (or disarms it), repeating
    /// every `interval` if nonzero; `fire(expirations)` runs at each expiry
    /// on the timer's thread and returns false to stop it. Returns the old
    /// (time left, interval).
    pub fn arm(
        self: &Arc<Self>,
        clock: TimerClock,
        deadline: Option<u64>,
        interval: Duration,
        mut fire: impl FnMut(u64) -> bool + Send + 'static,
    ) -> (Duration, Duration) {
        let old = self.get();
        let generation = {
            let mut s = lock(&self.state);
            s.generation += 1;
            s.clock = clock.clone();
            s.deadline = deadline;
            s.interval = interval;
            s.generation
        };
        self.cv.notify_all();
        if deadline.is_none() {
            return old;
        }
        let timer = self.clone();
        let _ = std::thread::Builder::new()
            .name("timer".into())
            .spawn(move || {
                while let Some(expirations) = timer.wait_expiry(&clock, generation) {
                    let again = lock(&timer.state).deadline.is_some();
                    if !fire(expirations) || !again {
                        return;
                    }
                }
            });
        old
    }

    /// Sleeps until the deadline of arming `generation` passes on `clock`;
    /// moves the deadline on by the period (or clears it) and returns the
    /// expirations, periods missed while late included. `None`: the timer
    /// was re-armed or disarmed, or its clock is gone.
    fn wait_expiry(&self, clock: &TimerClock, generation: u64) -> Option<u64> {
        loop {
            let d = {
                let s = lock(&self.state);
                if s.generation != generation {
                    return None;
                }
                s.deadline?
            };
            // Read the clock without the timer's lock: a CPU clock takes
            // the process's.
            let now = clock.now()?;
            let mut s = lock(&self.state);
            if s.generation != generation {
                return None;
            }
            if now < d {
                let wait = clock.wall_wait(d - now).max(Duration::from_micros(50));
                let _ = self.cv.wait_timeout(s, wait);
                continue;
            }
            let mut expirations = 1u64;
            s.deadline = if s.interval.is_zero() {
                None
            } else {
                let period = (s.interval.as_nanos() as u64).max(1);
                let missed = (now - d) / period;
                expirations += missed;
                Some(d.saturating_add(period.saturating_mul(missed + 1)))
            };
            return Some(expirations);
        }
    }
}

/// How a POSIX timer tells of its expiry (`sigevent`).
#[derive(Clone)]
pub enum Notify {
    /// `SIGEV_NONE`: it does not.
    None,
    /// `SIGEV_SIGNAL`: a signal to the process.
    Process(i32),
    /// `SIGEV_THREAD_ID`: a signal to one thread.
    Thread(i32, Weak<TaskHandle>),
}

#[derive(Default)]
struct SignalState {
    /// Bumped at every arming: a queued signal of an older arming is
    /// dropped when dequeued (as Linux ≥ 6.13 does).
    seq: u64,
    /// Our signal is queued and not yet delivered.
    queued: bool,
    /// Expirations since the queued signal was sent.
    overrun: u64,
    /// The overrun of the last delivered signal (`timer_getoverrun`).
    overrun_last: i32,
}

/// A POSIX timer (`timer_create`).
pub struct PosixTimer {
    /// Its id in the process.
    pub id: i32,
    /// The guest clock it measures.
    pub clock: i32,
    /// That clock as the timer reads it.
    pub timer_clock: TimerClock,
    notify: Notify,
    value: u64,
    timer: Arc<IntervalTimer>,
    sig: Mutex<SignalState>,
}

impl PosixTimer {
    /// (time left, interval).
    pub fn get(&self) -> (Duration, Duration) {
        self.timer.get()
    }

    /// The overrun of the last delivered signal.
    pub fn overrun(&self) -> i32 {
        lock(&self.sig).overrun_last
    }

    /// Arms (`deadline` Some, in ns on the timer's clock) or disarms the
    /// timer; returns the old (time left, interval).
    pub fn set(
        self: &Arc<Self>,
        kernel: &Arc<Kernel>,
        tg: &Arc<ThreadGroup>,
        deadline: Option<u64>,
        interval: Duration,
    ) -> (Duration, Duration) {
        let seq = {
            let mut s = lock(&self.sig);
            s.seq += 1;
            s.queued = false;
            s.overrun = 0;
            s.seq
        };
        let me = Arc::downgrade(self);
        let kernel = Arc::downgrade(kernel);
        let tg = Arc::downgrade(tg);
        let clock = self.timer_clock.clone();
        self.timer
            .arm(clock, deadline, interval, move |expirations| {
                let (Some(t), Some(k), Some(g)) = (me.upgrade(), kernel.upgrade(), tg.upgrade())
                else {
                    return false;
                };
                if g.lock().zombie.is_some() {
                    return false;
                }
                t.expire(&k, &g, seq, expirations);
                true
            })
    }

    fn expire(&self, kernel: &Kernel, tg: &Arc<ThreadGroup>, seq: u64, expirations: u64) {
        let (signo, target) = match &self.notify {
            Notify::None => return,
            Notify::Process(s) => (*s, None),
            Notify::Thread(s, t) => (*s, t.upgrade()),
        };
        let mut st = lock(&self.sig);
        if st.seq != seq {
            return;
        }
        if st.queued {
            // Still queued? (It may have been discarded by an ignoring
            // action or a sigaction change.)
            let pending = match &target {
                Some(t) => lock(&t.state).pending.set,
                None => tg.lock().pending.set,
            };
            if pending & sigbit(signo) != 0 {
                st.overrun = st.overrun.saturating_add(expirations);
                return;
            }
        }
        st.overrun = expirations - 1;
        st.queued = true;
        let mut info = SigInfo::timer(signo, self.id, 0, self.value);
        info.fields[2] = seq; // `_sys_private`: the arming it belongs to
        drop(st);
        let sent = match &target {
            Some(t) => super::signal::send_to_thread(kernel, t, info),
            None => super::signal::send_to_group(kernel, tg, info),
        };
        if !sent {
            lock(&self.sig).queued = false;
        }
    }
}

/// `si_code` of timer signals.
const SI_TIMER: i32 = -2;

/// Settles a signal being dequeued: a POSIX timer's gets its overrun count;
/// one of a deleted or re-armed timer is dropped (false).
pub fn deliverable(tg: &ThreadGroup, info: &mut SigInfo) -> bool {
    if info.si_code != SI_TIMER || info.fields[2] == 0 {
        return true;
    }
    let seq = info.fields[2];
    info.fields[2] = 0;
    let Some(t) = tg.timers.posix_timer(info.si_timerid()) else {
        return false;
    };
    let mut st = lock(&t.sig);
    if st.seq != seq {
        return false;
    }
    let overrun = i32::try_from(st.overrun).unwrap_or(i32::MAX);
    st.overrun_last = overrun;
    st.overrun = 0;
    st.queued = false;
    info.set_si_overrun(overrun);
    true
}

/// The timers of a process.
#[derive(Default)]
pub struct ProcessTimers {
    /// `ITIMER_REAL` (`SIGALRM`).
    pub real: Arc<IntervalTimer>,
    /// `ITIMER_VIRTUAL` (`SIGVTALRM`).
    pub virt: Arc<IntervalTimer>,
    /// `ITIMER_PROF` (`SIGPROF`).
    pub prof: Arc<IntervalTimer>,
    /// The `RLIMIT_CPU` watch (`SIGXCPU`, then `SIGKILL`).
    cpu_limit: Arc<IntervalTimer>,
    posix: Mutex<BTreeMap<i32, Arc<PosixTimer>>>,
}

/// Most POSIX timers a process may have (Linux bounds them by
/// `RLIMIT_SIGPENDING`).
const MAX_POSIX_TIMERS: usize = 32_768;

impl ProcessTimers {
    /// Creates a POSIX timer (disarmed) with the lowest free id.
    pub fn create_posix(
        &self,
        clock: i32,
        timer_clock: TimerClock,
        notify: Notify,
        value: Option<u64>,
    ) -> Result<Arc<PosixTimer>, Errno> {
        let mut m = lock(&self.posix);
        if m.len() >= MAX_POSIX_TIMERS {
            return Err(Errno::EAGAIN);
        }
        let id = (0..).find(|i| !m.contains_key(i)).ok_or(Errno::EAGAIN)?;
        let t = Arc::new(PosixTimer {
            id,
            clock,
            timer_clock,
            notify,
            // Without a sigevent, the value is the timer id.
            value: value.unwrap_or(id as u64),
            timer: Arc::default(),
            sig: Mutex::default(),
        });
        m.insert(id, t.clone());
        Ok(t)
    }

    /// POSIX timer `id`.
    pub fn posix_timer(&self, id: i32) -> Option<Arc<PosixTimer>> {
        lock(&self.posix).get(&id).cloned()
    }

    /// Deletes POSIX timer `id` (disarming it).
    pub fn delete_posix(&self, id: i32) -> Result<(), Errno> {
        let t = lock(&self.posix).remove(&id).ok_or(Errno::EINVAL)?;
        lock(&t.sig).seq += 1;
        t.timer
            .arm(TimerClock::Wall, None, Duration::ZERO, |_| false);
        Ok(())
    }

    /// Deletes every POSIX timer (`execve`, exit).
    pub fn clear_posix(&self) {
        let ids: Vec<i32> = lock(&self.posix).keys().copied().collect();
        for id in ids {
            let _ = self.delete_posix(id);
        }
    }
}

/// Watches process `tg`'s CPU time against its `RLIMIT_CPU` (call after
/// the limit changes, and for a new process that inherited one): past the
/// soft limit the process gets `SIGXCPU`, and the soft limit moves on a
/// second (while under the hard one) for the next; past the hard limit,
/// `SIGKILL` (Linux's `check_process_timers`).
pub fn watch_cpu_limit(kernel: &Arc<Kernel>, tg: &Arc<ThreadGroup>) {
    const SIGKILL: i32 = 9;
    const SIGXCPU: i32 = 24;
    const SEC: u64 = 1_000_000_000;
    let (soft, hard) = tg.lock().rlimits[0];
    let first = soft.min(hard);
    let timer = tg.timers.cpu_limit.clone();
    if first == u64::MAX {
        timer.arm(TimerClock::Wall, None, Duration::ZERO, |_| false);
        return;
    }
    let k = Arc::downgrade(kernel);
    let g = Arc::downgrade(tg);
    let clock = TimerClock::Process(g.clone());
    timer.arm(
        clock,
        Some(first.saturating_mul(SEC)),
        Duration::from_secs(1),
        move |_| {
            let (Some(k), Some(g)) = (k.upgrade(), g.upgrade()) else {
                return false;
            };
            let cpu = process_cpu_ns(&g);
            let signo = {
                let mut s = g.lock();
                if s.zombie.is_some() {
                    return false;
                }
                let (soft, hard) = s.rlimits[0];
                if hard != u64::MAX && cpu >= hard.saturating_mul(SEC) {
                    SIGKILL
                } else {
                    if soft < hard {
                        s.rlimits[0].0 = soft + 1;
                    }
                    SIGXCPU
                }
            };
            super::signal::send_to_group(&k, &g, SigInfo::kill(signo, 0x80, 0, 0));
            signo != SIGKILL
        },
    );
}

/// A guest thread's CPU-time accounting.
#[derive(Default, Clone, Copy, Debug)]
pub struct ThreadCpu {
    /// CPU time of completed runs of guest code, ns.
    pub total: u64,
    /// The run clock when the current run of guest code began.
    pub since: Option<u64>,
}

fn boot_instant() -> Instant {
    static BOOT: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BOOT.get_or_init(Instant::now)
}

/// The clock a thread's CPU time is measured with: wall time while it runs
/// guest code. A stub thread between resume and stop never blocks in the
/// host (every system call and fault comes back to the Sentry), so this is
/// its CPU time unless the host runs more guest threads than it has CPUs.
/// Reading the host's CPU clock of another process instead costs a host
/// system call on every guest one, and charges a thread for its siblings.
fn run_clock() -> u64 {
    wall_ns()
}

/// The thread starts running guest code.
pub fn guest_enter(handle: &TaskHandle) {
    let now = run_clock();
    lock(&handle.state).cpu.since = Some(now);
}

/// The thread stopped running guest code.
pub fn guest_leave(handle: &TaskHandle) {
    let now = run_clock();
    let mut st = lock(&handle.state);
    if let Some(s) = st.cpu.since.take() {
        st.cpu.total += now.saturating_sub(s);
    }
}

/// CPU time of thread `handle`, ns.
pub fn thread_cpu_ns(handle: &TaskHandle) -> u64 {
    let cpu = lock(&handle.state).cpu;
    match cpu.since {
        Some(s) => cpu.total + run_clock().saturating_sub(s),
        None => cpu.total,
    }
}

/// CPU time of process `tg`, ns: its threads' times, those that exited
/// included.
pub fn process_cpu_ns(tg: &ThreadGroup) -> u64 {
    let (threads, exited) = {
        let s = tg.lock();
        (s.threads.clone(), s.cpu_self.0 + s.cpu_self.1)
    };
    exited + threads.iter().map(|t| thread_cpu_ns(t)).sum::<u64>()
}
