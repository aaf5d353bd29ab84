//! A guest thread on the systrap platform: resuming it and reading its
//! stops from the kernel's signal frame (or the trampoline's copy of one)
//! in the thread's slot.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use super::{
    ACTIVE, CPUS, SIG_INTERRUPT, ST_RESUME, ST_STOPPED, STUB_SPIN, SYS_SECCOMP, SYS_USER_DISPATCH,
    SysProcess, futex_wake, wait_stop,
};
use crate::affinity::Pairing;
use crate::{
    Access, AddressSpace, Context, HostSignal, Interrupter, PlatformError, Regs, Result, Stop,
    lock, stub,
};

#[derive(Default)]
struct RunningThread {
    pid: AtomicI32,
    tid: AtomicI32,
}

/// A guest thread on the systrap platform.
pub struct SystrapContext {
    pending: Arc<AtomicBool>,
    running: Arc<RunningThread>,
    spin: u32,
    /// The address space and slot of the last stop, for `blocking_hint`.
    last_stop: Mutex<Option<(std::sync::Weak<dyn AddressSpace>, u64)>>,
    /// The last syscall stop was a SIGSYS (not the trampoline).
    trapped: bool,
    /// The address space this thread last ran in, and its slot and host
    /// thread there: looked up once, not at every stop (the weak reference
    /// keeps the space's allocation, so its address names it).
    here: Option<(std::sync::Weak<dyn AddressSpace>, u64, Option<i32>)>,
    /// The Sentry slept handling the last stop.
    slept: AtomicBool,
    /// Whether this thread and its Sentry thread share one CPU.
    pairing: Pairing,
}

impl SystrapContext {
    /// A context whose spins last `spin` pauses (0: never spin).
    pub(super) fn new(spin: u32) -> SystrapContext {
        SystrapContext {
            pending: Arc::new(AtomicBool::new(false)),
            running: Arc::new(RunningThread::default()),
            spin,
            last_stop: Mutex::new(None),
            trapped: false,
            here: None,
            slept: AtomicBool::new(false),
            pairing: Pairing::default(),
        }
    }

    /// The calling thread's stub process in `space`, its slot, and where
    /// in the slot the FP state of its last stop lies, and how long it is.
    fn fp_of(space: &Arc<dyn AddressSpace>) -> Result<(&SysProcess, u64, u64, usize)> {
        let p = proc_of(space).ok_or_else(|| PlatformError::Stub("not a systrap space".into()))?;
        let slot = p
            .my_slot()
            .ok_or_else(|| PlatformError::Stub("no stub thread".into()))?;
        let (addr, size) =
            Self::fp_area(p, slot).ok_or_else(|| PlatformError::Stub("bad FP state".into()))?;
        Ok((p, slot, addr, size))
    }

    /// This thread's slot and stub thread in `space` (which is `p`).
    fn thread_in(
        &mut self,
        space: &Arc<dyn AddressSpace>,
        p: &SysProcess,
    ) -> Option<(u64, Option<i32>)> {
        if let Some((w, slot, tid)) = &self.here
            && std::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(space))
        {
            return Some((*slot, *tid));
        }
        let slot = p.my_slot()?;
        let tid = p.tid_of(slot);
        self.here = Some((Arc::downgrade(space), slot, tid));
        *lock(&self.last_stop) = Some((Arc::downgrade(space), slot));
        Some((slot, tid))
    }
}

impl Drop for SystrapContext {
    fn drop(&mut self) {
        self.pairing.release();
    }
}

fn proc_of(space: &Arc<dyn AddressSpace>) -> Option<&SysProcess> {
    space.as_any().downcast_ref::<SysProcess>()
}

// Offsets in the kernel's ucontext (x86-64).
const MC: u64 = 40;

impl SystrapContext {
    fn write_regs(p: &SysProcess, slot: u64, uc: u64, r: &libc::user_regs_struct) -> bool {
        let g = [
            r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx,
            r.rdx, r.rax, r.rcx, r.rsp, r.rip, r.eflags,
        ];
        let mut bytes = Vec::with_capacity(g.len() * 8 + 8);
        for v in g {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        // cs, gs, fs, ss
        bytes.extend_from_slice(&0x33u16.to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&0x2bu16.to_le_bytes());
        // The guest runs with no host signal blocked.
        p.write_stack(slot, uc + MC, &bytes)
            && p.write_stack(slot, uc + MC + 256, &0u64.to_le_bytes())
    }

    fn read_regs(p: &SysProcess, slot: u64, uc: u64, r: &mut libc::user_regs_struct) -> bool {
        let mut b = [0u8; 18 * 8];
        if !p.read_stack(slot, uc + MC, &mut b) {
            return false;
        }
        let v = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        r.r8 = v(0);
        r.r9 = v(1);
        r.r10 = v(2);
        r.r11 = v(3);
        r.r12 = v(4);
        r.r13 = v(5);
        r.r14 = v(6);
        r.r15 = v(7);
        r.rdi = v(8);
        r.rsi = v(9);
        r.rbp = v(10);
        r.rbx = v(11);
        r.rdx = v(12);
        r.rax = v(13);
        r.rcx = v(14);
        r.rsp = v(15);
        r.rip = v(16);
        r.eflags = v(17);
        r.cs = 0x33;
        r.ss = 0x2b;
        true
    }

    /// The kind of access a page fault made, from the x86 page-fault error
    /// code the host left in the frame (`REG_ERR`: bit 1 a write, bit 4 an
    /// instruction fetch).
    fn fault_access(p: &SysProcess, slot: u64, uc: u64) -> Access {
        const REG_ERR: u64 = 19;
        let mut b = [0u8; 8];
        if !p.read_stack(slot, uc + MC + REG_ERR * 8, &mut b) {
            return Access::Unknown;
        }
        let err = u64::from_le_bytes(b);
        if err & 0x10 != 0 {
            Access::Execute
        } else if err & 0x2 != 0 {
            Access::Write
        } else {
            Access::Read
        }
    }

    /// The XSAVE area the kernel saved in the frame: (address, size).
    fn fp_area(p: &SysProcess, slot: u64) -> Option<(u64, usize)> {
        let uc = p.read_u64(slot, 8);
        let mut b = [0u8; 8];
        if !p.read_stack(slot, uc + MC + 184, &mut b) {
            return None;
        }
        let fp = u64::from_le_bytes(b);
        let mut sw = [0u8; 48];
        if !p.read_stack(slot, fp + 464, &mut sw) {
            return None;
        }
        let magic = u32::from_le_bytes(sw[0..4].try_into().unwrap_or([0; 4]));
        let size = u32::from_le_bytes(sw[20..24].try_into().unwrap_or([0; 4])) as usize;
        let size = if magic == 0x4650_5853 && (512..=8192).contains(&size) {
            size
        } else {
            512
        };
        p.stack_offset(slot, fp, size as u64)?;
        Some((fp, size))
    }
}

impl Context for SystrapContext {
    fn adopt(&mut self, space: &Arc<dyn AddressSpace>, thread: u64) -> Result<()> {
        let p = proc_of(space).ok_or_else(|| PlatformError::Stub("not a systrap space".into()))?;
        p.take_slot(thread);
        self.here = None;
        self.pairing.release();
        if self.spin == 0
            && let Some(tid) = p.tid_of(thread)
        {
            crate::affinity::pin_pair_here(tid);
        }
        Ok(())
    }

    fn switch(&mut self, space: &Arc<dyn AddressSpace>, regs: &mut Regs) -> Stop {
        let Some(p) = proc_of(space) else {
            return Stop::Lost;
        };
        let Some((slot, tid)) = self.thread_in(space, p) else {
            return Stop::Lost;
        };
        if self.pending.swap(false, Ordering::AcqRel) {
            return Stop::Interrupted;
        }
        let st = p.word(slot, 0);
        if st.load(Ordering::Acquire) != ST_STOPPED {
            return Stop::Lost;
        }
        let uc = p.read_u64(slot, 8);
        if !Self::write_regs(p, slot, uc, &regs.0) {
            return Stop::Lost;
        }
        p.write_u64(slot, 32, regs.0.fs_base);
        p.word(slot, 52).store(0, Ordering::Release);
        let slept = self.slept.swap(false, Ordering::AcqRel);
        // A pair on one CPU must not spin: the spinner would hold the CPU
        // the other side needs.
        let one_cpu = match tid {
            Some(tid) if self.spin > 0 => self.pairing.resume(tid, slept),
            _ => false,
        };
        let active = ACTIVE.fetch_add(1, Ordering::AcqRel) + 1;
        let spin = if !one_cpu && active * 2 <= CPUS.load(Ordering::Relaxed) {
            self.spin
        } else {
            0
        };
        // Spinning on one CPU would only hold it from the other side.
        if spin > 0
            && let Some(me) = crate::affinity::current_cpu()
            && p.word(slot, 100).load(Ordering::Relaxed) as usize == me
        {
            crate::affinity::step_off(me);
        }
        p.word(slot, 44)
            .store(spin.min(STUB_SPIN), Ordering::Release);
        if let Some(tid) = tid {
            self.running.pid.store(p.pid, Ordering::Release);
            self.running.tid.store(tid, Ordering::Release);
        }
        // Resume (a full barrier before reading the stub's sleep flag) and
        // wake the stub only if it sleeps.
        st.swap(ST_RESUME, Ordering::SeqCst);
        if p.word(slot, 60).load(Ordering::SeqCst) != 0 {
            futex_wake(st);
        }
        let ran = one_cpu.then(std::time::Instant::now);
        let v = wait_stop(st, p.word(slot, 56), spin);
        ACTIVE.fetch_sub(1, Ordering::AcqRel);
        if let Some(start) = ran {
            self.pairing.ran(start.elapsed());
        }
        self.running.tid.store(0, Ordering::Release);
        if v != ST_STOPPED {
            return Stop::Lost;
        }
        let uc = p.read_u64(slot, 8);
        if !Self::read_regs(p, slot, uc, &mut regs.0) {
            return Stop::Lost;
        }
        regs.0.fs_base = p.read_u64(slot, 32);
        let signo = p.word(slot, 4).load(Ordering::Acquire) as i32;
        let code = p.word(slot, 16).load(Ordering::Acquire) as i32;
        let addr = p.read_u64(slot, 24);
        match signo {
            libc::SIGSYS => {
                regs.0.orig_rax = u64::from(p.word(slot, 48).load(Ordering::Acquire));
                self.trapped = code == SYS_USER_DISPATCH || code == SYS_SECCOMP;
                Stop::Syscall
            }
            SIG_INTERRUPT => {
                self.pending.store(false, Ordering::Release);
                Stop::Interrupted
            }
            libc::SIGSEGV => Stop::Fault {
                addr,
                access: Self::fault_access(p, slot, uc),
                code,
            },
            libc::SIGBUS | libc::SIGFPE | libc::SIGILL | libc::SIGTRAP => {
                Stop::Signal(HostSignal { signo, code, addr })
            }
            _ => Stop::Lost,
        }
    }

    fn interrupter(&self) -> Interrupter {
        let pending = self.pending.clone();
        let running = self.running.clone();
        Interrupter::new(move || {
            pending.store(true, Ordering::Release);
            let tid = running.tid.load(Ordering::Acquire);
            let pid = running.pid.load(Ordering::Acquire);
            if tid > 0 {
                // SAFETY: no memory is involved. `pid` is the stub process
                // `tid` runs in, so tgkill reaches that thread or nothing.
                unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, SIG_INTERRUPT) };
            }
        })
    }

    fn patch_entry(&self) -> Option<u64> {
        self.trapped.then(stub::trampoline_addr)
    }

    fn blocking_hint(&self) {
        self.slept.store(true, Ordering::Release);
        let last = lock(&self.last_stop).clone();
        let Some((space, slot)) = last else {
            return;
        };
        // Only while that address space (and so its region) is alive.
        if let Some(space) = space.upgrade()
            && let Some(p) = proc_of(&space)
        {
            p.word(slot, 52).store(1, Ordering::Release);
        }
    }

    fn fp_state(&mut self, space: &Arc<dyn AddressSpace>) -> Result<Vec<u8>> {
        let (p, slot, addr, size) = Self::fp_of(space)?;
        let mut out = vec![0u8; size];
        if !p.read_stack(slot, addr, &mut out) {
            return Err(PlatformError::Stub("bad FP state".into()));
        }
        Ok(out)
    }

    fn set_fp_state(&mut self, space: &Arc<dyn AddressSpace>, state: &[u8]) -> Result<()> {
        let (p, slot, addr, size) = Self::fp_of(space)?;
        let n = size.min(state.len());
        // Keep the frame's own software bytes (sizes, magic) intact.
        let mut buf = state[..n].to_vec();
        if n >= 512 {
            let mut sw = [0u8; 48];
            if p.read_stack(slot, addr + 464, &mut sw) {
                buf[464..512].copy_from_slice(&sw);
            }
        }
        if !p.write_stack(slot, addr, &buf) {
            return Err(PlatformError::Stub("bad FP state".into()));
        }
        Ok(())
    }
}
