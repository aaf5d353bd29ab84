//! The stub: the only code a stub process keeps. It lives in its own
//! page-aligned section so that a freshly forked stub can unmap everything
//! else, including the Sentry's memory it inherited by `fork`.

use crate::{PlatformError, Result};

unsafe extern "C" {
    /// Entry of a new stub (never returns). Arguments: first byte of the stub
    /// pages, end of the stub pages, the one host FD to keep (the memory file).
    fn rvisor_stub_entry(start: u64, end: u64, keep_fd: u64, rseq: u64, rseq_len: u64) -> !;
    /// glibc: offset of the thread's rseq area from the thread pointer.
    static __rseq_offset: isize;
    /// glibc: size of the registered rseq area (0 when rseq is not in use).
    static __rseq_size: u32;
    static rvisor_stub_start: u8;
    static rvisor_stub_end: u8;
    static rvisor_stub_syscall: u8;
    static rvisor_stub_clone: u8;
    static rvisor_systrap_thread: u8;
    static rvisor_systrap_handler: u8;
    static rvisor_systrap_restorer: u8;
    static rvisor_systrap_syscall_thread: u8;
}

/// Addresses of the systrap stub code: (handler, restorer, syscall thread, guest thread entry).
pub(crate) fn systrap_addrs() -> (u64, u64, u64, u64) {
    (
        std::ptr::addr_of!(rvisor_systrap_handler) as u64,
        std::ptr::addr_of!(rvisor_systrap_restorer) as u64,
        std::ptr::addr_of!(rvisor_systrap_syscall_thread) as u64,
        std::ptr::addr_of!(rvisor_systrap_thread) as u64,
    )
}

// The stub:
//   ptrace(PTRACE_TRACEME); prctl(PR_SET_PDEATHSIG, SIGKILL); prctl(PR_SET_DUMPABLE, 1);
//   unregister the inherited rseq area;
//   close every FD but the memory file; unmap everything but these pages;
//   kill(getpid(), SIGSTOP) (the factory thread waits for this stop, then
//   detaches); then `pause()` forever, untraced, until the thread that will
//   run guest code seizes it.
std::arch::global_asm!(
    ".pushsection .text.rvisor_stub, \"ax\"",
    ".balign 4096",
    ".globl rvisor_stub_start",
    "rvisor_stub_start:",
    ".globl rvisor_stub_entry",
    "rvisor_stub_entry:",
    "mov r12, rdi",
    "mov r13, rsi",
    "mov r14, rdx",
    "mov r15, rcx",
    "mov rbx, r8",
    // ptrace(PTRACE_TRACEME, 0, 0, 0)
    "mov eax, 101",
    "xor edi, edi",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "syscall",
    // prctl(PR_SET_PDEATHSIG, SIGKILL)
    "mov eax, 157",
    "mov edi, 1",
    "mov esi, 9",
    "syscall",
    // prctl(PR_SET_DUMPABLE, 1): the Sentry's host threads seize stub
    // threads with PTRACE_SEIZE, which needs a dumpable target once the
    // Sentry has no capabilities.
    "mov eax, 157",
    "mov edi, 4",
    "mov esi, 1",
    "syscall",
    // rseq(area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) when the C library
    // registered one: the area is about to be unmapped, and the kernel
    // would fault on it at the next preemption.
    "test rbx, rbx",
    "jz 3f",
    "mov eax, 334",
    "mov rdi, r15",
    "mov rsi, rbx",
    "mov edx, 1",
    "mov r10d, 0x53053053",
    "syscall",
    "3:",
    // close_range(0, keep-1, 0) when keep > 0
    "test r14, r14",
    "jz 2f",
    "mov eax, 436",
    "xor edi, edi",
    "lea rsi, [r14 - 1]",
    "xor edx, edx",
    "syscall",
    "2:",
    // close_range(keep+1, ~0, 0)
    "mov eax, 436",
    "lea rdi, [r14 + 1]",
    "mov esi, 0xffffffff",
    "xor edx, edx",
    "syscall",
    // munmap(0, start)
    "mov eax, 11",
    "xor edi, edi",
    "mov rsi, r12",
    "syscall",
    // munmap(end, TASK_SIZE - end)
    "mov eax, 11",
    "mov rdi, r13",
    "mov rsi, 0x7ffffffff000",
    "sub rsi, r13",
    "syscall",
    // kill(getpid(), SIGSTOP)
    "mov eax, 39",
    "syscall",
    "mov rdi, rax",
    "mov esi, 19",
    "mov eax, 62",
    "syscall",
    // Idle, untraced, until a tracer seizes this thread.
    ".globl rvisor_stub_idle",
    "rvisor_stub_idle:",
    "mov eax, 34",
    "syscall",
    "jmp rvisor_stub_idle",
    // Injected system calls: the tracer points rip here and continues
    // until the int3.
    ".globl rvisor_stub_syscall",
    "rvisor_stub_syscall:",
    "syscall",
    "int3",
    "jmp rvisor_stub_syscall",
    // Injected clone of a new stub thread: the parent stops at the int3,
    // the child (rax = 0) idles until its own tracer seizes it.
    ".globl rvisor_stub_clone",
    "rvisor_stub_clone:",
    "syscall",
    "test rax, rax",
    "jz rvisor_stub_idle",
    "int3",
    "jmp rvisor_stub_clone",
    // ---- systrap ----
    // Per-thread region (64 KiB, 64 KiB aligned): see systrap/mod.rs.
    // A new guest thread: r12 = its region. Sets up its alternate signal
    // stack and syscall user dispatch, then stops in the handler (ud2).
    ".globl rvisor_systrap_thread",
    "rvisor_systrap_thread:",
    "lea rdi, [r12 + 64]",
    "lea rax, [r12 + 4096]",
    "mov [rdi], rax",
    "mov qword ptr [rdi + 8], 0",
    "mov qword ptr [rdi + 16], 61440",
    "mov eax, 131",
    "xor esi, esi",
    "syscall",
    "mov byte ptr [r12 + 40], 1",
    "mov eax, 157",
    "mov edi, 59",
    "mov esi, 1",
    "lea rdx, [rip + rvisor_stub_start]",
    "lea r10, [rip + rvisor_stub_end]",
    "sub r10, rdx",
    "lea r8, [r12 + 40]",
    "syscall",
    "ud2",
    // The signal handler of every stub thread: records the stop in the
    // thread's region, wakes the Sentry, waits to be resumed.
    ".globl rvisor_systrap_handler",
    "rvisor_systrap_handler:",
    "mov rbx, rsp",
    "and rbx, -65536",
    "mov [rbx + 4], edi",
    "mov [rbx + 8], rdx",
    "mov ecx, [rsi + 8]",
    "mov [rbx + 16], ecx",
    "mov rcx, [rsi + 16]",
    "mov [rbx + 24], rcx",
    "mov ecx, [rsi + 24]",
    "mov [rbx + 48], ecx",
    "rdfsbase rcx",
    "mov [rbx + 32], rcx",
    // Publish the stop (xchg: a full barrier before reading the flag), and
    // wake the Sentry only if it sleeps.
    "mov eax, 1",
    "xchg [rbx], eax",
    "cmp dword ptr [rbx + 56], 0",
    "je 2f",
    "mov eax, 202",
    "mov rdi, rbx",
    "mov esi, 1",
    "mov edx, 1",
    "syscall",
    "2:",
    // Spin a while for the resume, then sleep on the futex.
    "mov r13d, [rbx + 44]",
    "inc r13d",
    "9:",
    "mov eax, [rbx]",
    "cmp eax, 1",
    "jne 10f",
    // The Sentry blocks on this stop: sleep now instead of spinning.
    "cmp dword ptr [rbx + 52], 0",
    "jne 12f",
    "pause",
    "dec r13d",
    "jnz 9b",
    "12:",
    "mov eax, 1",
    "xchg [rbx + 60], eax",
    "cmp dword ptr [rbx], 1",
    "jne 11f",
    "mov eax, 202",
    "mov rdi, rbx",
    "xor esi, esi",
    "mov edx, 1",
    "xor r10d, r10d",
    "syscall",
    "11:",
    "mov dword ptr [rbx + 60], 0",
    "jmp 2b",
    "10:",
    "cmp eax, 2",
    "je 3f",
    "cmp eax, 3",
    "je 4f",
    "jmp 2b",
    "3:",
    "mov rcx, [rbx + 32]",
    "wrfsbase rcx",
    "mov dword ptr [rbx], 0",
    "ret",
    "4:",
    "mov dword ptr [rbx], 4",
    "mov eax, 202",
    "mov rdi, rbx",
    "mov esi, 1",
    "mov edx, 1",
    "syscall",
    "mov eax, 60",
    "xor edi, edi",
    "syscall",
    "jmp 4b",
    ".globl rvisor_systrap_restorer",
    "rvisor_systrap_restorer:",
    "mov eax, 15",
    "syscall",
    "ud2",
    // The syscall thread (slot 0, r12 = its region): runs the system calls
    // the Sentry posts (state 1) or clones a new guest thread (state 5).
    ".globl rvisor_systrap_syscall_thread",
    "rvisor_systrap_syscall_thread:",
    "5:",
    "mov eax, [r12]",
    "cmp eax, 1",
    "je 6f",
    "cmp eax, 5",
    "je 7f",
    // Sleep only while the state is still the value just seen.
    "mov edx, eax",
    "mov eax, 202",
    "mov rdi, r12",
    "xor esi, esi",
    "xor r10d, r10d",
    "syscall",
    "jmp 5b",
    "6:",
    "mov rax, [r12 + 8]",
    "mov rdi, [r12 + 16]",
    "mov rsi, [r12 + 24]",
    "mov rdx, [r12 + 32]",
    "mov r10, [r12 + 40]",
    "mov r8, [r12 + 48]",
    "mov r9, [r12 + 56]",
    "syscall",
    "8:",
    "mov [r12 + 64], rax",
    "mov dword ptr [r12], 2",
    "mov eax, 202",
    "mov rdi, r12",
    "mov esi, 1",
    "mov edx, 1",
    "syscall",
    "jmp 5b",
    "7:",
    "mov eax, 56",
    "mov rdi, [r12 + 16]",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "mov r13, [r12 + 24]",
    "syscall",
    "test rax, rax",
    "jnz 8b",
    "mov r12, r13",
    "jmp rvisor_systrap_thread",
    ".balign 4096",
    ".globl rvisor_stub_end",
    "rvisor_stub_end:",
    ".popsection",
);

/// The address of the `syscall; int3` pair in every stub.
pub(crate) fn syscall_addr() -> u64 {
    std::ptr::addr_of!(rvisor_stub_syscall) as u64
}

/// The address of the `syscall` that clones a new stub thread.
pub(crate) fn clone_addr() -> u64 {
    std::ptr::addr_of!(rvisor_stub_clone) as u64
}

/// The guest-visible range `[start, end)` the stub code occupies; the Sentry
/// must never map guest memory there.
pub fn stub_range() -> (u64, u64) {
    (
        std::ptr::addr_of!(rvisor_stub_start) as u64,
        std::ptr::addr_of!(rvisor_stub_end) as u64,
    )
}

/// The calling thread's rseq area as glibc registered it: (address, length).
fn rseq_area() -> (u64, u64) {
    // SAFETY: glibc defines both symbols as constants set before main.
    let (offset, size) = unsafe { (__rseq_offset, __rseq_size) };
    if size == 0 {
        return (0, 0);
    }
    let tp: u64;
    // SAFETY: reads the thread pointer (%fs:0 holds the TCB's own address
    // on x86-64); no memory is written.
    unsafe { std::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly)) };
    (
        tp.wrapping_add_signed(offset as i64),
        u64::from(size.max(32)),
    )
}

/// Forks a new stub process that keeps only host FD `keep_fd` and the stub
/// code. Returns its pid once it has finished setting itself up and idles,
/// untraced. Called only from the platform's factory thread, which stays
/// alive as long as the Sentry: stubs die with their parent thread
/// (`PR_SET_PDEATHSIG`).
pub(crate) fn fork_stub(keep_fd: i32) -> Result<i32> {
    let pid = fork_stub_stopped(keep_fd)?;
    detach(pid)?;
    Ok(pid)
}

/// Lets a stopped stub traced by this thread go, untraced.
pub(crate) fn detach(pid: i32) -> Result<()> {
    // SAFETY: the child is traced by this thread and stopped.
    let r = unsafe { libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0) };
    if r < 0 {
        return Err(PlatformError::last("PTRACE_DETACH new stub"));
    }
    Ok(())
}

/// Like [`fork_stub`], but the stub stays stopped and traced by the
/// calling thread (the systrap platform finishes setting it up by injection).
pub(crate) fn fork_stub_stopped(keep_fd: i32) -> Result<i32> {
    let (start, end) = stub_range();
    let keep = u64::try_from(keep_fd).map_err(|_| PlatformError::Stub("bad memory fd".into()))?;
    let (rseq, rseq_len) = rseq_area();
    // SAFETY: a raw fork (clone without CLONE_VM). The child runs only the
    // stub's assembly, which makes raw system calls and touches no memory
    // shared with other threads of the parent, so forking a multi-threaded
    // process is sound.
    let pid = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) };
    if pid < 0 {
        return Err(PlatformError::last("clone stub"));
    }
    if pid == 0 {
        // SAFETY: see above; never returns.
        unsafe { rvisor_stub_entry(start, end, keep, rseq, rseq_len) }
    }
    let pid = i32::try_from(pid).map_err(|_| PlatformError::Stub("pid out of range".into()))?;
    let mut status = 0;
    // SAFETY: waits for our own child; status is a valid out pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    if r != pid {
        return Err(PlatformError::last("wait for new stub"));
    }
    if !libc::WIFSTOPPED(status) || libc::WSTOPSIG(status) != libc::SIGSTOP {
        return Err(PlatformError::Stub(format!(
            "new stub did not stop as expected (status {status:#x})"
        )));
    }
    Ok(pid)
}
