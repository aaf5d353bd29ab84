//! The vDSO and the clock parameters it reads.
//!
//! Every guest gets our own vDSO (`sentry/vdso/vdso.S`, built by
//! `build.rs`) and, one page below it, the parameter page ("vvar"). Both
//! are memory-file pages made once at boot and shared by every address
//! space (read-only; never copied on write). The vDSO computes
//!
//! ```text
//! ns = base + ((rdtsc - tsc_base) * mult) >> shift
//! ```
//!
//! for `CLOCK_MONOTONIC` (and the clocks that are offsets from it:
//! `REALTIME`, `BOOTTIME`, the `_COARSE` ones) and, with a line of its own,
//! `CLOCK_MONOTONIC_RAW`. A Sentry thread calibrates the TSC against the
//! host clocks the system calls use, then refreshes the page every
//! [`REFRESH`] under a seqlock: each new line starts where the old one is at
//! the switch instant (time never goes backwards) and its slope is steered
//! so the distance to the host clock shrinks. Without an invariant TSC the
//! page stays disabled and the vDSO makes the system call instead.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use abi::elf::{EHDR_SIZE, Elf64Phdr, PHDR_SIZE, PT_LOAD, parse_ehdr};
use zerocopy::FromBytes;

use crate::mm::{FixedPages, MemoryFile, PAGE};

/// The vDSO image (`sentry/vdso/vdso.S`, linked by `build.rs`).
pub static VDSO_IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

// Layout of the parameter page; keep in sync with the comment in vdso.S.
/// `u32`: seqlock counter, odd while the page is written.
pub const VVAR_SEQ: u64 = 0;
/// `u32`: non-zero when the fast path may be used.
pub const VVAR_ENABLED: u64 = 4;
/// `u64`: the TSC value the lines start at.
pub const VVAR_TSC_BASE: u64 = 8;
/// `u32`: fixed-point shift of the multipliers.
pub const VVAR_SHIFT: u64 = 16;
/// `u64` base then `u64` mult of `CLOCK_MONOTONIC`.
pub const VVAR_MONO: u64 = 24;
/// `u64` base then `u64` mult of `CLOCK_MONOTONIC_RAW`.
pub const VVAR_RAW: u64 = 40;
/// `u64`: `CLOCK_REALTIME - CLOCK_MONOTONIC` (wrapping).
pub const VVAR_REAL_OFF: u64 = 56;
/// `u64`: `CLOCK_BOOTTIME - CLOCK_MONOTONIC`.
pub const VVAR_BOOT_OFF: u64 = 64;

/// Fixed-point shift of the multipliers.
pub const SHIFT: u32 = 32;
/// How often the page is refreshed.
pub const REFRESH: Duration = Duration::from_millis(100);
/// How long the first calibration measures (at boot, before any guest
/// runs; the rate's error, tens of ppm, is steered out at the next
/// refreshes).
const CALIBRATION: Duration = Duration::from_millis(1);
/// The second refresh, which has a better rate.
const FIRST_REFRESH: Duration = Duration::from_millis(10);
/// The error to the host clock is corrected over this much time.
const CONVERGE_NS: i128 = 500_000_000;
/// At most this fraction (1/n) of the rate is added or removed to steer.
const MAX_SLEW: i128 = 10;
/// Further behind the host than this, a line jumps forward instead.
const STEP_NS: i128 = 10_000_000;
/// A realtime or boottime offset is replaced only when it moved this much
/// (the host clock was set, or the host resumed): smaller differences are
/// measurement noise and would make those clocks jitter backwards.
const OFFSET_HYSTERESIS_NS: u64 = 100_000;
/// New parameters take effect this far in the future, so no reader can
/// have used the old ones at a later TSC value.
const SWITCH_MARGIN_NS: u64 = 10_000;
/// Readings kept for the long-term rate (one per refresh).
const RATE_WINDOW: usize = 50;

/// The vDSO's formula: `(delta * mult) >> shift` with a 128-bit product.
pub fn scale(delta: u64, mult: u64, shift: u32) -> u64 {
    ((u128::from(delta) * u128::from(mult)) >> shift) as u64
}

/// One clock as a line over the TSC.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Line {
    /// The clock's value at the page's `tsc_base`, ns.
    pub base: u64,
    /// Nanoseconds per tick, times `2^shift`.
    pub mult: u64,
}

impl Line {
    /// The clock at `tsc` (no earlier than `tsc_base`: readers clamp).
    pub fn at(&self, tsc_base: u64, tsc: u64) -> u64 {
        self.base
            .wrapping_add(scale(tsc.saturating_sub(tsc_base), self.mult, SHIFT))
    }
}

/// What the page holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// The fast path may be used.
    pub enabled: bool,
    /// Where the lines start.
    pub tsc_base: u64,
    /// `CLOCK_MONOTONIC`.
    pub mono: Line,
    /// `CLOCK_MONOTONIC_RAW`.
    pub raw: Line,
    /// `CLOCK_REALTIME - CLOCK_MONOTONIC` (wrapping).
    pub real_off: u64,
    /// `CLOCK_BOOTTIME - CLOCK_MONOTONIC`.
    pub boot_off: u64,
}

/// A host clock's value at a TSC value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The TSC.
    pub tsc: u64,
    /// The clock, ns.
    pub ns: u64,
}

/// The host clock's rate between two readings, ns per tick times `2^SHIFT`.
pub fn rate(first: Reading, last: Reading) -> Option<u64> {
    let ticks = last.tsc.checked_sub(first.tsc)?;
    let ns = last.ns.checked_sub(first.ns)?;
    if ticks == 0 {
        return None;
    }
    let r = (u128::from(ns) << SHIFT) / u128::from(ticks);
    u64::try_from(r).ok().filter(|r| *r > 0)
}

/// `reading` extrapolated to `tsc` at `rate`.
fn extrapolate(reading: Reading, rate: u64, tsc: u64) -> u64 {
    if tsc >= reading.tsc {
        reading
            .ns
            .wrapping_add(scale(tsc - reading.tsc, rate, SHIFT))
    } else {
        reading
            .ns
            .wrapping_sub(scale(reading.tsc - tsc, rate, SHIFT))
    }
}

/// The line that takes over from `old` (which starts at `old_base_tsc`) at
/// TSC value `switch`, for a host clock that runs at `rate` and read `now`.
///
/// Monotonic: the new line starts at `switch` no lower than the old one is
/// there, and never decreases. It starts where the old line is (or, more
/// than [`STEP_NS`] behind the host, jumps forward to the host), and its
/// slope is the host's rate plus a correction that removes the remaining
/// error over [`CONVERGE_NS`].
pub fn steer(old: Option<(Line, u64)>, switch: u64, rate: u64, now: Reading) -> Line {
    let host = extrapolate(now, rate, switch);
    let Some((old, old_base_tsc)) = old else {
        return Line {
            base: host,
            mult: rate,
        };
    };
    let here = old.at(old_base_tsc, switch);
    let err = i128::from(host.wrapping_sub(here) as i64);
    if err > STEP_NS {
        return Line {
            base: host,
            mult: rate,
        };
    }
    let r = i128::from(rate);
    let adj = (err * r / CONVERGE_NS).clamp(-r / MAX_SLEW, r / MAX_SLEW);
    Line {
        base: here,
        mult: u64::try_from(r + adj).unwrap_or(rate).max(1),
    }
}

/// A new offset of one clock from another, keeping `old` unless the
/// measurement moved by more than the noise.
fn settle_offset(old: u64, measured: u64, first: bool) -> u64 {
    let moved = measured.wrapping_sub(old) as i64;
    if first || moved.unsigned_abs() > OFFSET_HYSTERESIS_NS {
        measured
    } else {
        old
    }
}

fn rdtsc() -> u64 {
    // `lfence` first, as the vDSO does, so the TSC is read after earlier loads.
    std::sync::atomic::compiler_fence(Ordering::SeqCst);
    // SAFETY: lfence and rdtsc touch no memory and are always available on x86-64.
    unsafe {
        std::arch::x86_64::_mm_lfence();
        std::arch::x86_64::_rdtsc()
    }
}

fn host_ns(clock: i32) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    crate::kernel::host_clock_gettime(clock, &mut ts);
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Reads host `clock` between two TSC reads, keeping the tightest of a few
/// tries; the TSC is the middle of the bracket.
fn read_host(clock: i32) -> Reading {
    let mut best = (u64::MAX, Reading { tsc: 0, ns: 0 });
    for _ in 0..5 {
        let t0 = rdtsc();
        let ns = host_ns(clock);
        let t1 = rdtsc();
        let span = t1.wrapping_sub(t0);
        if span < best.0 {
            best = (
                span,
                Reading {
                    tsc: t0 + span / 2,
                    ns,
                },
            );
        }
    }
    best.1
}

/// `clock - CLOCK_MONOTONIC`, measured with the monotonic reads bracketing
/// the other one.
fn host_offset(clock: i32) -> u64 {
    let mut best = (u64::MAX, 0);
    for _ in 0..5 {
        let m0 = host_ns(libc::CLOCK_MONOTONIC);
        let c = host_ns(clock);
        let m1 = host_ns(libc::CLOCK_MONOTONIC);
        let span = m1.wrapping_sub(m0);
        if span < best.0 {
            best = (span, c.wrapping_sub(m0 + span / 2));
        }
    }
    best.1
}

/// Whether the TSC ticks at a constant rate through P- and C-states
/// (CPUID 0x80000007 EDX bit 8), which the fast path needs.
pub fn invariant_tsc() -> bool {
    let max = std::arch::x86_64::__cpuid(0x8000_0000).eax;
    max >= 0x8000_0007 && std::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0
}

/// Whether `image` is an ELF whose loaded bytes sit at their file offsets,
/// so that a copy of the file is the memory image.
pub fn image_is_flat(image: &[u8]) -> bool {
    let Ok(eh) = parse_ehdr(image) else {
        return false;
    };
    if eh.e_phoff < EHDR_SIZE as u64 {
        return false;
    }
    let mut loads = 0;
    for i in 0..u64::from(eh.e_phnum) {
        let Some(off) = (i * PHDR_SIZE as u64)
            .checked_add(eh.e_phoff)
            .and_then(|o| usize::try_from(o).ok())
        else {
            return false;
        };
        let Some(bytes) = image.get(off..off + PHDR_SIZE) else {
            return false;
        };
        let Ok(ph) = Elf64Phdr::read_from_bytes(bytes) else {
            return false;
        };
        if ph.p_type == PT_LOAD {
            loads += 1;
            let fits = ph
                .p_offset
                .checked_add(ph.p_filesz)
                .is_some_and(|end| end <= image.len() as u64);
            if ph.p_offset != ph.p_vaddr || ph.p_filesz != ph.p_memsz || !fits {
                return false;
            }
        }
    }
    loads > 0
}

/// The parameter page, written through the Sentry's mapping of the memory file.
struct Page {
    /// The Sentry's address of the page; the memory file (kept alive by
    /// [`VDSO`]) stays mapped for the life of the process.
    addr: usize,
}

impl Page {
    fn word32(&self, off: u64) -> &AtomicU32 {
        // SAFETY: `addr + off` lies inside the page (off < PAGE, 4-byte
        // aligned), which is mapped read-write in the Sentry for as long as
        // `self` exists; guests map it read-only, so every write to it is
        // made here, through atomics.
        unsafe { AtomicU32::from_ptr((self.addr + off as usize) as *mut u32) }
    }

    fn word64(&self, off: u64) -> &AtomicU64 {
        // SAFETY: as in `word32` (8-byte aligned).
        unsafe { AtomicU64::from_ptr((self.addr + off as usize) as *mut u64) }
    }

    fn begin(&self) -> u32 {
        let seq = self.word32(VVAR_SEQ).load(Ordering::Relaxed);
        self.word32(VVAR_SEQ)
            .store(seq.wrapping_add(1) | 1, Ordering::Relaxed);
        fence(Ordering::Release);
        seq
    }

    fn end(&self, seq: u32) {
        self.word32(VVAR_SEQ)
            .store((seq | 1).wrapping_add(1), Ordering::Release);
    }

    fn write(&self, p: &Params) {
        let w = |off, v| self.word64(off).store(v, Ordering::Relaxed);
        self.word32(VVAR_SHIFT).store(SHIFT, Ordering::Relaxed);
        w(VVAR_TSC_BASE, p.tsc_base);
        w(VVAR_MONO, p.mono.base);
        w(VVAR_MONO + 8, p.mono.mult);
        w(VVAR_RAW, p.raw.base);
        w(VVAR_RAW + 8, p.raw.mult);
        w(VVAR_REAL_OFF, p.real_off);
        w(VVAR_BOOT_OFF, p.boot_off);
        self.word32(VVAR_ENABLED)
            .store(u32::from(p.enabled), Ordering::Relaxed);
    }
}

/// Keeps the parameter page close to the host clocks.
struct Keeper {
    page: Page,
    params: Option<Params>,
    mono: VecDeque<Reading>,
    raw: VecDeque<Reading>,
}

impl Keeper {
    /// Samples the host clocks and publishes parameters that continue the
    /// current ones. Returns false if the TSC cannot be used.
    fn refresh(&mut self) -> bool {
        let mono = read_host(libc::CLOCK_MONOTONIC);
        let raw = read_host(libc::CLOCK_MONOTONIC_RAW);
        let real = host_offset(libc::CLOCK_REALTIME);
        // Boottime is never behind monotonic (a negative offset is noise).
        let boot = host_offset(libc::CLOCK_BOOTTIME);
        let boot = if (boot as i64) < 0 { 0 } else { boot };
        for (q, r) in [(&mut self.mono, mono), (&mut self.raw, raw)] {
            if q.back().is_some_and(|b| r.tsc <= b.tsc || r.ns < b.ns) {
                // The TSC went backwards (or stood still): not usable.
                return false;
            }
            q.push_back(r);
            if q.len() > RATE_WINDOW {
                q.pop_front();
            }
        }
        let (Some(mono_rate), Some(raw_rate)) = (
            self.mono.front().and_then(|f| rate(*f, mono)),
            self.raw.front().and_then(|f| rate(*f, raw)),
        ) else {
            return false;
        };
        let margin = (u128::from(SWITCH_MARGIN_NS) << SHIFT) / u128::from(mono_rate);
        let margin = u64::try_from(margin).unwrap_or(u64::MAX / 4);
        let old = self.params;
        let seq = self.page.begin();
        let params = loop {
            // Nobody can have read the old parameters at a TSC value past
            // `switch` once the page is odd and the TSC is still before it.
            let switch = rdtsc().saturating_add(margin);
            let p = Params {
                enabled: true,
                tsc_base: switch,
                mono: steer(old.map(|o| (o.mono, o.tsc_base)), switch, mono_rate, mono),
                raw: steer(old.map(|o| (o.raw, o.tsc_base)), switch, raw_rate, raw),
                real_off: settle_offset(old.map_or(0, |o| o.real_off), real, old.is_none()),
                boot_off: settle_offset(old.map_or(0, |o| o.boot_off), boot, old.is_none()),
            };
            self.page.write(&p);
            if rdtsc() < switch {
                break p;
            }
        };
        self.page.end(seq);
        self.params = Some(params);
        true
    }

    fn disable(&self) {
        let seq = self.page.begin();
        self.page.write(&Params::default());
        self.page.end(seq);
    }

    /// Two readings [`CALIBRATION`] apart give the first rate; publishes
    /// the first parameters. False if the TSC cannot be used.
    fn calibrate(&mut self) -> bool {
        self.mono.push_back(read_host(libc::CLOCK_MONOTONIC));
        self.raw.push_back(read_host(libc::CLOCK_MONOTONIC_RAW));
        std::thread::sleep(CALIBRATION);
        self.refresh()
    }

    fn run(mut self) {
        std::thread::sleep(FIRST_REFRESH);
        while self.refresh() {
            std::thread::sleep(REFRESH);
        }
        tracing::warn!("vDSO: the TSC stopped being usable; time calls trap");
        self.disable();
    }
}

/// The vDSO's pages, made once per Sentry.
struct Vdso {
    memory: Arc<MemoryFile>,
    vvar: Arc<FixedPages>,
    text: Arc<FixedPages>,
}

static VDSO: OnceLock<Vdso> = OnceLock::new();

/// Puts the vDSO and its parameter page into `memory`, calibrates the TSC
/// (about a millisecond) and starts the thread that keeps the page current.
/// Without an invariant TSC the page stays disabled and the vDSO makes
/// system calls. Later address spaces on `memory` get the vDSO from the
/// loader.
pub fn start(memory: &Arc<MemoryFile>) -> Result<(), String> {
    if VDSO.get().is_some() {
        return Ok(());
    }
    if !image_is_flat(VDSO_IMAGE) {
        return Err("the vDSO image is not a flat ELF".into());
    }
    let vvar = memory
        .allocate(PAGE)
        .map_err(|e| format!("vvar page: {e:?}"))?;
    let text = memory
        .allocate(VDSO_IMAGE.len() as u64)
        .map_err(|e| format!("vDSO: {e:?}"))?;
    memory.write(text.offset, VDSO_IMAGE);
    let addr = memory
        .host_address(vvar.offset)
        .ok_or("vvar page outside the memory file")?;
    let vdso = Vdso {
        memory: memory.clone(),
        vvar: Arc::new(FixedPages::new(Arc::new(vvar))),
        text: Arc::new(FixedPages::new(Arc::new(text))),
    };
    if VDSO.set(vdso).is_err() {
        return Ok(());
    }
    if !invariant_tsc() {
        tracing::info!("vDSO: no invariant TSC; time calls trap");
        return Ok(());
    }
    let mut keeper = Keeper {
        page: Page { addr },
        params: None,
        mono: VecDeque::new(),
        raw: VecDeque::new(),
    };
    if !keeper.calibrate() {
        tracing::warn!("vDSO: the TSC is not usable; time calls trap");
        keeper.disable();
        return Ok(());
    }
    std::thread::Builder::new()
        .name("timekeeper".into())
        .spawn(move || keeper.run())
        .map_err(|e| format!("timekeeper thread: {e}"))?;
    Ok(())
}

/// The vDSO for an address space whose memory is `memory`: its parameter
/// page and its code. `None` before [`start`] (or for another memory file).
pub fn pages(memory: &Arc<MemoryFile>) -> Option<(Arc<FixedPages>, Arc<FixedPages>)> {
    let v = VDSO.get()?;
    Arc::ptr_eq(&v.memory, memory).then(|| (v.vvar.clone(), v.text.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GHZ3: u64 = (1u64 << SHIFT) / 3; // 1/3 ns per tick

    #[test]
    fn scale_uses_a_wide_product() {
        // 2^40 ticks at 1/3 ns per tick: the 64-bit product would overflow.
        let d = 1u64 << 40;
        let exact = (u128::from(d) * u128::from(GHZ3)) >> SHIFT;
        assert_eq!(u128::from(scale(d, GHZ3, SHIFT)), exact);
        assert!(scale(d, GHZ3, SHIFT).abs_diff(d / 3) <= d / 3 / 1_000_000);
        let l = Line {
            base: 1000,
            mult: GHZ3,
        };
        assert_eq!(l.at(500, 500 + 3_000_000_000), 1000 + 999_999_999);
        // Before the base, time stands still.
        assert_eq!(l.at(500, 100), 1000);
    }

    #[test]
    fn rate_of_readings() {
        let a = Reading { tsc: 1_000, ns: 0 };
        let b = Reading {
            tsc: 3_000_001_000,
            ns: 1_000_000_000,
        };
        assert!(rate(a, b).is_some_and(|r| r.abs_diff(GHZ3) <= 1));
        assert_eq!(rate(b, a), None);
        assert_eq!(rate(a, a), None);
    }

    /// A simulated host clock whose rate differs from the calibration (and
    /// changes): the steered lines never go backwards and converge.
    #[test]
    fn steering_is_monotonic_and_converges() {
        let true_rate = |tsc: u64| -> u64 {
            // 300 ppm fast for a while, then 300 ppm slow.
            if tsc < 30_000_000_000 {
                GHZ3 + GHZ3 / 3333
            } else {
                GHZ3 - GHZ3 / 3333
            }
        };
        let mut host = Reading { tsc: 0, ns: 5_000 };
        let advance = |h: Reading, ticks: u64| -> Reading {
            Reading {
                tsc: h.tsc + ticks,
                ns: h.ns + scale(ticks, true_rate(h.tsc), SHIFT),
            }
        };
        // A calibration 1% off.
        let mut line = steer(None, 0, GHZ3 + GHZ3 / 100, host);
        let mut base_tsc = 0;
        let mut last = 0u64;
        let mut window = VecDeque::from([host]);
        let period = 300_000_000; // 100 ms of ticks
        let mut worst_late = 0u64;
        for step in 0..1200 {
            // Readers between refreshes.
            for k in 0..10 {
                let t = host.tsc + k * period / 10;
                let v = line.at(base_tsc, t);
                assert!(v >= last, "step {step}: {v} < {last}");
                last = v;
            }
            host = advance(host, period);
            window.push_back(host);
            if window.len() > RATE_WINDOW {
                window.pop_front();
            }
            let r = window.front().and_then(|f| rate(*f, host)).unwrap_or(GHZ3);
            let switch = host.tsc + 30_000;
            let before = line.at(base_tsc, switch);
            line = steer(Some((line, base_tsc)), switch, r, host);
            base_tsc = switch;
            assert!(line.at(base_tsc, switch) >= before);
            if step > 100 {
                let err = line.at(base_tsc, switch).abs_diff(host.ns);
                worst_late = worst_late.max(err);
            }
        }
        // Within a few hundred microseconds of the host once converged.
        assert!(worst_late < 500_000, "error {worst_late} ns");
    }

    #[test]
    fn far_behind_jumps_forward() {
        let line = Line {
            base: 0,
            mult: GHZ3,
        };
        let host = Reading {
            tsc: 3_000,
            ns: 1_000_000_000,
        };
        let next = steer(Some((line, 0)), 3_000, GHZ3, host);
        assert_eq!(next.base, 1_000_000_000);
        // Ahead of the host: never back, only slower.
        let host = Reading { tsc: 3_000, ns: 0 };
        let next = steer(
            Some((
                Line {
                    base: 5_000,
                    mult: GHZ3,
                },
                0,
            )),
            3_000,
            GHZ3,
            host,
        );
        assert!(next.base.abs_diff(6_000) <= 1, "{}", next.base);
        assert!(next.mult < GHZ3 && next.mult > 0);
    }

    #[test]
    fn offsets_ignore_noise() {
        assert_eq!(settle_offset(1_000_000, 1_000_500, false), 1_000_000);
        assert_eq!(settle_offset(1_000_000, 2_000_000, false), 2_000_000);
        assert_eq!(settle_offset(0, 7, true), 7);
    }

    #[test]
    fn embedded_image_is_a_flat_vdso() {
        assert!(image_is_flat(VDSO_IMAGE));
        assert!(!image_is_flat(&VDSO_IMAGE[..32]));
        let has = |s: &[u8]| VDSO_IMAGE.windows(s.len()).any(|w| w == s);
        for name in [
            &b"__vdso_clock_gettime\0"[..],
            b"__vdso_gettimeofday\0",
            b"__vdso_time\0",
            b"__vdso_getcpu\0",
            b"LINUX_2.6\0",
            b"linux-vdso.so.1\0",
        ] {
            assert!(has(name), "{}", String::from_utf8_lossy(name));
        }
        assert!(VDSO_IMAGE.len() as u64 <= 2 * PAGE);
    }

    #[test]
    fn vdso_time_matches_the_host() {
        let host = read_host(libc::CLOCK_MONOTONIC);
        std::thread::sleep(Duration::from_millis(20));
        let host2 = read_host(libc::CLOCK_MONOTONIC);
        let Some(r) = rate(host, host2) else {
            return; // no usable TSC here
        };
        let line = steer(None, host2.tsc, r, host2);
        std::thread::sleep(Duration::from_millis(20));
        let now = read_host(libc::CLOCK_MONOTONIC);
        let ours = line.at(host2.tsc, now.tsc);
        assert!(ours.abs_diff(now.ns) < 1_000_000, "{ours} vs {}", now.ns);
    }
}
