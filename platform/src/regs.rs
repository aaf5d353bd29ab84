//! Guest general-purpose registers.

/// The general-purpose registers of a guest thread, in the kernel's
/// `user_regs_struct` layout (the layout `PTRACE_GETREGS` uses).
#[derive(Clone, Copy)]
pub struct Regs(pub libc::user_regs_struct);

impl Default for Regs {
    fn default() -> Regs {
        // SAFETY: user_regs_struct is plain integers; all-zero is valid.
        Regs(unsafe { std::mem::zeroed() })
    }
}

impl std::fmt::Debug for Regs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.0;
        write!(
            f,
            "rip={:#x} rsp={:#x} rax={:#x} orig_rax={:#x} rdi={:#x} rsi={:#x} rdx={:#x}",
            r.rip, r.rsp, r.rax, r.orig_rax, r.rdi, r.rsi, r.rdx
        )
    }
}

impl Regs {
    /// Registers for a thread about to run at `rip` with stack `rsp`, with the
    /// user code and stack segments of x86-64 Linux and interrupts enabled.
    pub fn new_user(rip: u64, rsp: u64) -> Regs {
        let mut r = Regs::default();
        r.0.rip = rip;
        r.0.rsp = rsp;
        r.0.cs = 0x33;
        r.0.ss = 0x2b;
        r.0.eflags = 0x202;
        r
    }

    /// The system-call number of a syscall stop.
    pub fn syscall_nr(&self) -> u64 {
        self.0.orig_rax
    }

    /// The six system-call arguments.
    pub fn syscall_args(&self) -> [u64; 6] {
        let r = &self.0;
        [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9]
    }

    /// Sets the system call's return value.
    pub fn set_return(&mut self, v: u64) {
        self.0.rax = v;
    }

    /// The instruction pointer.
    pub fn ip(&self) -> u64 {
        self.0.rip
    }

    /// The stack pointer.
    pub fn sp(&self) -> u64 {
        self.0.rsp
    }

    /// The `fs` segment base (TLS).
    pub fn fs_base(&self) -> u64 {
        self.0.fs_base
    }

    /// Sets the `fs` segment base.
    pub fn set_fs_base(&mut self, v: u64) {
        self.0.fs_base = v;
    }

    /// The `gs` segment base.
    pub fn gs_base(&self) -> u64 {
        self.0.gs_base
    }

    /// Sets the `gs` segment base.
    pub fn set_gs_base(&mut self, v: u64) {
        self.0.gs_base = v;
    }
}
