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
    static rvisor_systrap_trampoline: u8;
}

/// Address of the systrap trampoline that patched syscall sites jump to.
pub(crate) fn trampoline_addr() -> u64 {
    std::ptr::addr_of!(rvisor_systrap_trampoline) as u64
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
    // Makes the system call whose number and six arguments are the seven
    // words at r15 (a batch entry, 56 bytes).
    ".macro RVISOR_CALL_AT_R15",
    "mov rax, [r15]",
    "mov rdi, [r15 + 8]",
    "mov rsi, [r15 + 16]",
    "mov rdx, [r15 + 24]",
    "mov r10, [r15 + 32]",
    "mov r8, [r15 + 40]",
    "mov r9, [r15 + 48]",
    "syscall",
    ".endm",
    // Waits, with the thread's region in rbx and the stop published, until
    // the Sentry resumes the thread (state 2: falls through to the next
    // `3:`) or ends it (state 3).
    ".macro RVISOR_WAIT_RESUME",
    // Note the CPU this thread stopped on (TSC_AUX holds it), so the
    // Sentry can tell when both sides share one.
    "rdtscp",
    "and ecx, 0xfff",
    "mov [rbx + 100], ecx",
    // Wake the Sentry only if it sleeps (every waiter: see futex_wake in
    // systrap/mod.rs).
    "13:",
    "cmp dword ptr [rbx + 56], 0",
    "je 2f",
    "mov eax, 202",
    "mov rdi, rbx",
    "mov esi, 1",
    "mov edx, 0x7fffffff",
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
    "je rvisor_systrap_thread_exit",
    "cmp eax, 7",
    "je 14f",
    "jmp 2b",
    // Address-space changes for the Sentry (state 7): [rbx + 112] calls
    // at rbx + 128, 56 bytes each, stopping at the first that fails; the
    // result goes to [rbx + 104], and the thread is stopped again. Every
    // register but rbx and rsp is free here: the guest's are in the frame.
    "14:",
    "mov r14, [rbx + 112]",
    "lea r15, [rbx + 128]",
    "xor eax, eax",
    "15:",
    "test r14, r14",
    "jz 16f",
    "RVISOR_CALL_AT_R15",
    "cmp rax, -4095",
    "jae 16f",
    "add r15, 56",
    "dec r14",
    "jmp 15b",
    "16:",
    "mov [rbx + 104], rax",
    "mov eax, 1",
    "xchg [rbx], eax",
    "jmp 13b",
    ".endm",
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
    // close_range(keep+2, ~0, 0): keep+1 is the host-file socket (or
    // closed before entry).
    "mov eax, 436",
    "lea rdi, [r14 + 2]",
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
    // ---- the stub zygote (zygote.rs) ----
    // rdi = its arguments: socket, memory file, filter, stub start and end,
    // rseq area and length.
    ".globl rvisor_zygote_entry",
    "rvisor_zygote_entry:",
    "mov r12, [rdi]",
    "mov r13, [rdi + 8]",
    "mov r14, [rdi + 16]",
    "mov r15, [rdi + 24]",
    "mov rbx, [rdi + 32]",
    "mov rbp, [rdi + 40]",
    // capset(&header, &data): no capabilities (the Sentry's tracing
    // threads have none, and may trace only stubs with no more).
    "push rdi",
    "mov rax, [rdi + 56]",
    "lea rsi, [rax + 8]",
    "mov rdi, rax",
    "mov eax, 126",
    "syscall",
    "pop rdi",
    "test rax, rax",
    "jnz 9f",
    "mov rsi, [rdi + 48]",
    // rseq(area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) when registered.
    "test rsi, rsi",
    "jz 1f",
    "mov eax, 334",
    "mov rdi, rbp",
    "mov edx, 1",
    "mov r10d, 0x53053053",
    "syscall",
    "1:",
    // prctl(PR_SET_PDEATHSIG, SIGKILL); prctl(PR_SET_DUMPABLE, 1), which
    // stubs inherit, so the Sentry may seize one as soon as it exists;
    // prctl(PR_SET_NO_NEW_PRIVS, 1); seccomp(SECCOMP_SET_MODE_FILTER, 0,
    // filter).
    "mov eax, 157",
    "mov edi, 1",
    "mov esi, 9",
    "syscall",
    "mov eax, 157",
    "mov edi, 4",
    "mov esi, 1",
    "syscall",
    "mov eax, 157",
    "mov edi, 38",
    "mov esi, 1",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "syscall",
    "mov eax, 317",
    "mov edi, 1",
    "xor esi, esi",
    "mov rdx, r14",
    "syscall",
    "test rax, rax",
    "jnz 9f",
    // Close every FD but the socket and the memory file: r14 = the lower,
    // rbp = the higher of the two.
    "mov r14, r12",
    "cmp r14, r13",
    "cmova r14, r13",
    "mov rbp, r12",
    "cmp rbp, r13",
    "cmovb rbp, r13",
    "test r14, r14",
    "jz 2f",
    "mov eax, 436",
    "xor edi, edi",
    "lea rsi, [r14 - 1]",
    "xor edx, edx",
    "syscall",
    "2:",
    "lea rdi, [r14 + 1]",
    "cmp rdi, rbp",
    "jae 3f",
    "mov eax, 436",
    "lea rsi, [rbp - 1]",
    "xor edx, edx",
    "syscall",
    "3:",
    "mov eax, 436",
    "lea rdi, [rbp + 1]",
    "mov esi, 0xffffffff",
    "xor edx, edx",
    "syscall",
    // Unmap everything but the stub pages; map one scratch page (r14).
    "mov eax, 11",
    "xor edi, edi",
    "mov rsi, r15",
    "syscall",
    "mov eax, 11",
    "mov rdi, rbx",
    "mov rsi, 0x7ffffffff000",
    "sub rsi, rbx",
    "syscall",
    "mov eax, 9",
    "xor edi, edi",
    "mov esi, 4096",
    "mov edx, 3",
    "mov r10d, 0x22",
    "mov r8, -1",
    "xor r9d, r9d",
    "syscall",
    "mov r14, rax",
    // Loop: reap exited stubs, read a request, fork, answer the pid.
    "4:",
    "mov eax, 61",
    "mov rdi, -1",
    "xor esi, esi",
    "mov edx, 1",
    "xor r10d, r10d",
    "syscall",
    "test rax, rax",
    "jg 4b",
    "xor eax, eax",
    "mov rdi, r12",
    "mov rsi, r14",
    "mov edx, 1",
    "syscall",
    "cmp rax, 1",
    "jne 9f",
    "mov eax, 56",
    "mov edi, 17",
    "xor esi, esi",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "syscall",
    "test rax, rax",
    "jz 5f",
    "mov [r14], eax",
    "mov eax, 1",
    "mov rdi, r12",
    "mov rsi, r14",
    "mov edx, 4",
    "syscall",
    "jmp 4b",
    "9:",
    "mov eax, 231",
    "xor edi, edi",
    "syscall",
    // A new stub: drop the socket and the scratch page, die with the
    // zygote, let the Sentry seize it, idle.
    "5:",
    "mov eax, 3",
    "mov rdi, r12",
    "syscall",
    "mov eax, 11",
    "mov rdi, r14",
    "mov esi, 4096",
    "syscall",
    "mov eax, 157",
    "mov edi, 1",
    "mov esi, 9",
    "syscall",
    "mov eax, 157",
    "mov edi, 4",
    "mov esi, 1",
    "syscall",
    "jmp rvisor_stub_idle",
    // ---- systrap ----
    // Per-thread region (64 KiB, 64 KiB aligned): see systrap/mod.rs.
    // A new guest thread: r12 = its region. Sets up its alternate signal
    // stack and syscall user dispatch, then stops in the handler (ud2).
    ".globl rvisor_systrap_thread",
    "rvisor_systrap_thread:",
    // gs base = the region: the trampoline finds its frame through it.
    "wrgsbase r12",
    "lea rdi, [r12 + 64]",
    "lea rax, [r12 + 16384]",
    "mov [rdi], rax",
    "mov qword ptr [rdi + 8], 0",
    "mov qword ptr [rdi + 16], 49152",
    "mov eax, 131",
    "xor esi, esi",
    "syscall",
    // Under the seccomp fallback (region word at +120 is 1) the inherited
    // filter traps already: no dispatch.
    "mov rax, 0x7ffff8000000",
    "cmp dword ptr [rax + 120], 1",
    "je 14f",
    "mov byte ptr [r12 + 40], 1",
    "mov eax, 157",
    "mov edi, 59",
    "mov esi, 1",
    "lea rdx, [rip + rvisor_stub_start]",
    "lea r10, [rip + rvisor_stub_end]",
    "sub r10, rdx",
    "lea r8, [r12 + 40]",
    "syscall",
    "14:",
    "ud2",
    // The signal handler of every stub thread: records the stop in the
    // thread's region, wakes the Sentry, waits to be resumed.
    ".globl rvisor_systrap_handler",
    "rvisor_systrap_handler:",
    "mov rbx, rsp",
    "and rbx, -65536",
    // A signal inside the trampoline (only the Sentry's interrupt can
    // arrive there) first turns the trampoline's state into a plain guest
    // state, by where it struck.
    "mov rax, [rdx + 168]",
    "lea rcx, [rip + rvisor_systrap_trampoline]",
    "cmp rax, rcx",
    "jb 20f",
    "lea rcx, [rip + rvisor_tramp_end]",
    "cmp rax, rcx",
    "jae 20f",
    "lea rcx, [rip + rvisor_tramp_published]",
    "cmp rax, rcx",
    "jb 21f",
    "lea rcx, [rip + rvisor_tramp_exit]",
    "cmp rax, rcx",
    "jae 22f",
    // The stop is published: the Sentry has it, and sees its interrupt
    // request when it next resumes the thread.
    "ret",
    // Entering: back to the guest's `syscall` at the site (rcx holds the
    // address after it), with what was already saved put back.
    "21:",
    "mov rcx, [rdx + 152]",
    "sub rcx, 2",
    "mov [rdx + 168], rcx",
    "lea rcx, [rip + rvisor_tramp_saved]",
    "cmp rax, rcx",
    "jb 20f",
    "mov rcx, [rbx + 4240]",
    "mov [rdx + 144], rcx",
    "mov rcx, [rbx + 4256]",
    "mov [rdx + 160], rcx",
    "mov rcx, [rbx + 4232]",
    "mov [rdx + 136], rcx",
    "mov rcx, [rbx + 4224]",
    "mov [rdx + 128], rcx",
    "jmp 20f",
    // Leaving: the frame holds the state to resume with; take it whole.
    "22:",
    "mov rcx, [rbx + 32]",
    "wrfsbase rcx",
    "xor ecx, ecx",
    "23:",
    "mov r8, [rbx + 4136 + rcx * 8]",
    "mov [rdx + 40 + rcx * 8], r8",
    "inc ecx",
    "cmp ecx, 18",
    "jb 23b",
    "lea rcx, [rip + rvisor_tramp_fp_done]",
    "cmp rax, rcx",
    "jae 20f",
    // Only x87/SSE state is the trampoline's (the rest is live in the
    // registers, so the kernel's frame has it right).
    "mov r9, [rdx + 224]",
    "test r9, r9",
    "jz 20f",
    "mov r12, rdi",
    "mov r13, rsi",
    "lea rsi, [rbx + 8192]",
    "mov rdi, r9",
    "mov ecx, 464",
    "rep movsb",
    "mov rdi, r12",
    "mov rsi, r13",
    "20:",
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
    "RVISOR_WAIT_RESUME",
    "3:",
    "mov rcx, [rbx + 32]",
    "wrfsbase rcx",
    "mov dword ptr [rbx], 0",
    "ret",
    "rvisor_systrap_thread_exit:",
    "mov dword ptr [rbx], 4",
    "mov eax, 202",
    "mov rdi, rbx",
    "mov esi, 1",
    "mov edx, 0x7fffffff",
    "syscall",
    "mov eax, 60",
    "xor edi, edi",
    "syscall",
    "jmp rvisor_systrap_thread_exit",
    // The trampoline patched syscall sites jump to (through their stubs in
    // the guest's trampoline area): eax = syscall number, rcx = the address
    // after the site, r11 free, as a `syscall` instruction leaves them. It
    // builds in the thread's region (gs base) the same stop a SIGSYS frame
    // would be, without a signal: a ucontext at +4096 and an XSAVE area at
    // +8192, waits like the handler, and returns to whatever state the
    // Sentry left in the frame. The XSAVE covers x87 and SSE, the FP state
    // the Sentry reads and writes (`Context::fp_state`); AVX and later
    // state stays in the registers, which stub code never touches. The handler above knows its three parts
    // (entering, published, leaving) by the labels between them.
    ".globl rvisor_systrap_trampoline",
    "rvisor_systrap_trampoline:",
    "rdgsbase r11",
    "mov [r11 + 4240], rax",
    "mov [r11 + 4256], rsp",
    "mov [r11 + 4232], rdx",
    "mov [r11 + 4224], rbx",
    // From here rax, rsp, rdx and rbx may change; the handler restores
    // them from the frame if an interrupt rolls the entry back. Nothing
    // here changes the flags.
    "rvisor_tramp_saved:",
    "mov [r11 + 4248], rcx",
    "mov [r11 + 4264], rcx",
    "mov [r11 + 4136], r8",
    "mov [r11 + 4144], r9",
    "mov [r11 + 4152], r10",
    "mov [r11 + 4168], r12",
    "mov [r11 + 4176], r13",
    "mov [r11 + 4184], r14",
    "mov [r11 + 4192], r15",
    "mov [r11 + 4200], rdi",
    "mov [r11 + 4208], rsi",
    "mov [r11 + 4216], rbp",
    "lea rsp, [r11 + 4096]",
    "pushfq",
    "pop rdx",
    "mov [r11 + 4272], rdx",
    "mov [r11 + 4160], rdx",
    "rdfsbase rdx",
    "mov [r11 + 32], rdx",
    "mov eax, 3",
    "mov edx, 0",
    "xsave64 [r11 + 8192]",
    "lea rdx, [r11 + 8192]",
    "mov [r11 + 4320], rdx",
    "lea rdx, [r11 + 4096]",
    "mov [r11 + 8], rdx",
    "mov dword ptr [r11 + 4], 31",
    "mov dword ptr [r11 + 16], 0x7201",
    "mov [r11 + 24], rcx",
    "mov edx, [r11 + 4240]",
    "mov [r11 + 48], edx",
    "mov rbx, r11",
    "mov eax, 1",
    "xchg [rbx], eax",
    "rvisor_tramp_published:",
    "RVISOR_WAIT_RESUME",
    "3:",
    "rvisor_tramp_exit:",
    "mov rcx, [rbx + 32]",
    "wrfsbase rcx",
    "mov dword ptr [rbx], 0",
    "mov eax, 3",
    "xor edx, edx",
    "xrstor64 [rbx + 8192]",
    "rvisor_tramp_fp_done:",
    "push qword ptr [rbx + 4272]",
    "popfq",
    "mov r8, [rbx + 4136]",
    "mov r9, [rbx + 4144]",
    "mov r10, [rbx + 4152]",
    "mov r12, [rbx + 4168]",
    "mov r13, [rbx + 4176]",
    "mov r14, [rbx + 4184]",
    "mov r15, [rbx + 4192]",
    "mov rdi, [rbx + 4200]",
    "mov rsi, [rbx + 4208]",
    "mov rbp, [rbx + 4216]",
    "mov rdx, [rbx + 4232]",
    "mov rax, [rbx + 4240]",
    "mov rcx, [rbx + 4248]",
    "mov rsp, [rbx + 4256]",
    "mov r11, [rbx + 4160]",
    "mov rbx, [rbx + 4224]",
    "jmp qword ptr gs:[4264]",
    "rvisor_tramp_end:",
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
    "cmp eax, 6",
    "je 17f",
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
    "mov edx, 0x7fffffff",
    "syscall",
    "jmp 5b",
    // A batch (state 6): [r12 + 8] calls at r12 + 4096, 56 bytes each;
    // stops at the first that fails and reports its result (else the
    // last's).
    "17:",
    "mov r14, [r12 + 8]",
    "lea r15, [r12 + 4096]",
    "xor eax, eax",
    "18:",
    "test r14, r14",
    "jz 8b",
    "RVISOR_CALL_AT_R15",
    "cmp rax, -4095",
    "jae 8b",
    "add r15, 56",
    "dec r14",
    "jmp 18b",
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
pub(crate) fn rseq_area() -> (u64, u64) {
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
    let pid = fork_stub_stopped(keep_fd, None)?;
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

/// The stub's FD for the socket host files come through, when it was forked
/// keeping memory file `keep_fd` and a socket.
pub(crate) fn file_socket_fd(keep_fd: i32) -> i32 {
    keep_fd + 1
}

/// Like [`fork_stub`], but the stub stays stopped and traced by the
/// calling thread (the systrap platform finishes setting it up by
/// injection). With `file_socket`, the stub also keeps that socket, as FD
/// `keep_fd + 1` ([`file_socket_fd`]).
pub(crate) fn fork_stub_stopped(keep_fd: i32, file_socket: Option<i32>) -> Result<i32> {
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
        // SAFETY: see above: raw system calls only. The stub keeps FD
        // keep+1, so it must be the socket or nothing.
        unsafe {
            match file_socket {
                Some(sock) if sock != keep_fd + 1 => {
                    libc::syscall(libc::SYS_dup3, sock, keep_fd + 1, 0);
                }
                Some(_) => {}
                None => {
                    libc::syscall(libc::SYS_close, keep_fd + 1);
                }
            }
            rvisor_stub_entry(start, end, keep, rseq, rseq_len)
        }
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
