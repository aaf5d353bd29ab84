/*
 * rvisor's vDSO: time functions that read the parameter page ("vvar") the
 * Sentry keeps up to date (sentry/src/kernel/timekeeper.rs), so that
 * clock_gettime, gettimeofday, time and getcpu never trap.
 *
 * The vvar page is mapped directly below this image (the ELF header is at
 * the image's first byte), so its address is __ehdr_start - 4096, reached
 * RIP-relative: the image is position-independent and has no relocations.
 *
 * Layout of the vvar page (keep in sync with timekeeper.rs, VVAR_*):
 *   0  u32 seq          seqlock counter, odd while the Sentry writes
 *   4  u32 enabled      0: no usable TSC, every call falls back to syscall
 *   8  u64 tsc_base
 *  16  u32 shift
 *  24  u64 mono_base    CLOCK_MONOTONIC at tsc_base, ns
 *  32  u64 mono_mult    ns = base + ((tsc - tsc_base) * mult) >> shift
 *  40  u64 raw_base     CLOCK_MONOTONIC_RAW, the same way
 *  48  u64 raw_mult
 *  56  u64 real_off     CLOCK_REALTIME - CLOCK_MONOTONIC, ns (wrapping)
 *  64  u64 boot_off     CLOCK_BOOTTIME - CLOCK_MONOTONIC, ns
 *  72  u64 zero         always 0 (the offset of clocks that have none)
 */

#define VVAR_SEQ	0
#define VVAR_ENABLED	4
#define VVAR_TSC_BASE	8
#define VVAR_SHIFT	16
#define VVAR_MONO	24
#define VVAR_RAW	40
#define VVAR_REAL_OFF	56
#define VVAR_BOOT_OFF	64
#define VVAR_ZERO	72

#define SYS_gettimeofday	96
#define SYS_time		201
#define SYS_clock_gettime	228

/* %rax = ns -> %rax = seconds, %rdx = nanoseconds. Clobbers %rcx. */
.macro SPLIT_NS
	movq	%rax, %rcx
	shrq	$9, %rax
	movabsq	$19342813113834067, %rdx	/* ns / 1e9 without div */
	mulq	%rdx
	movq	%rdx, %rax
	shrq	$11, %rax
	imulq	$1000000000, %rax, %rdx
	subq	%rdx, %rcx
	movq	%rcx, %rdx
.endm

	.text

/*
 * vdso_ns: reads one clock. In: %edi = vvar offset of the clock's base
 * (its mult follows it), %esi = vvar offset of the clock's offset from that
 * base. Out: %rax = ns and %edx = 0, or %edx = 1 when the fast path is off.
 * Clobbers %rcx, %r8, %r9 (and %rdi, %rsi upper halves: none).
 */
	.p2align 4
	.type	vdso_ns, @function
vdso_ns:
	.cfi_startproc
	leaq	__ehdr_start-4096(%rip), %r8
1:	movl	VVAR_SEQ(%r8), %r9d
	testl	$1, %r9d
	jnz	3f
	cmpl	$0, VVAR_ENABLED(%r8)
	je	4f
	lfence				/* rdtsc after the loads above */
	rdtsc
	shlq	$32, %rdx
	orq	%rdx, %rax
	subq	VVAR_TSC_BASE(%r8), %rax
	jae	2f
	xorl	%eax, %eax		/* before tsc_base: no time passed */
2:	mulq	8(%r8,%rdi)		/* %rdx:%rax = delta * mult */
	movl	VVAR_SHIFT(%r8), %ecx
	shrdq	%cl, %rdx, %rax
	addq	(%r8,%rdi), %rax
	addq	(%r8,%rsi), %rax
	cmpl	VVAR_SEQ(%r8), %r9d	/* x86 keeps loads in order */
	jne	1b
	xorl	%edx, %edx
	ret
3:	pause
	jmp	1b
4:	movl	$1, %edx
	ret
	.cfi_endproc
	.size	vdso_ns, .-vdso_ns

/* int clock_gettime(clockid_t id, struct timespec *ts) */
	.p2align 4
	.globl	__vdso_clock_gettime
	.type	__vdso_clock_gettime, @function
__vdso_clock_gettime:
	.cfi_startproc
	movl	%edi, %r10d
	movq	%rsi, %r11
	cmpl	$7, %edi
	ja	9f
	leaq	clock_table(%rip), %rcx
	movzbl	(%rcx,%r10,2), %edi
	testl	%edi, %edi
	jz	9f
	movzbl	1(%rcx,%r10,2), %esi
	call	vdso_ns
	testl	%edx, %edx
	jnz	9f
	SPLIT_NS
	movq	%rax, (%r11)
	movq	%rdx, 8(%r11)
	xorl	%eax, %eax
	ret
9:	movl	%r10d, %edi
	movq	%r11, %rsi
	movl	$SYS_clock_gettime, %eax
	syscall
	ret
	.cfi_endproc
	.size	__vdso_clock_gettime, .-__vdso_clock_gettime

/* int gettimeofday(struct timeval *tv, struct timezone *tz) */
	.p2align 4
	.globl	__vdso_gettimeofday
	.type	__vdso_gettimeofday, @function
__vdso_gettimeofday:
	.cfi_startproc
	movq	%rdi, %r10
	movq	%rsi, %r11
	testq	%rdi, %rdi
	jz	2f
	movl	$VVAR_MONO, %edi
	movl	$VVAR_REAL_OFF, %esi
	call	vdso_ns
	testl	%edx, %edx
	jnz	9f
	SPLIT_NS
	movq	%rax, (%r10)
	movl	%edx, %eax
	imulq	$274877907, %rax, %rax	/* ns / 1000 */
	shrq	$38, %rax
	movq	%rax, 8(%r10)
2:	testq	%r11, %r11
	jz	3f
	movq	$0, (%r11)		/* tz_minuteswest = tz_dsttime = 0 */
3:	xorl	%eax, %eax
	ret
9:	movq	%r10, %rdi
	movq	%r11, %rsi
	movl	$SYS_gettimeofday, %eax
	syscall
	ret
	.cfi_endproc
	.size	__vdso_gettimeofday, .-__vdso_gettimeofday

/* time_t time(time_t *t) */
	.p2align 4
	.globl	__vdso_time
	.type	__vdso_time, @function
__vdso_time:
	.cfi_startproc
	movq	%rdi, %r10
	movl	$VVAR_MONO, %edi
	movl	$VVAR_REAL_OFF, %esi
	call	vdso_ns
	testl	%edx, %edx
	jnz	9f
	SPLIT_NS
	testq	%r10, %r10
	jz	1f
	movq	%rax, (%r10)
1:	ret
9:	movq	%r10, %rdi
	movl	$SYS_time, %eax
	syscall
	ret
	.cfi_endproc
	.size	__vdso_time, .-__vdso_time

/* int getcpu(unsigned *cpu, unsigned *node, void *cache): always CPU 0, node 0,
 * as the Sentry's getcpu system call says. */
	.p2align 4
	.globl	__vdso_getcpu
	.type	__vdso_getcpu, @function
__vdso_getcpu:
	.cfi_startproc
	testq	%rdi, %rdi
	jz	1f
	movl	$0, (%rdi)
1:	testq	%rsi, %rsi
	jz	2f
	movl	$0, (%rsi)
2:	xorl	%eax, %eax
	ret
	.cfi_endproc
	.size	__vdso_getcpu, .-__vdso_getcpu

	.weak	clock_gettime
	.set	clock_gettime, __vdso_clock_gettime
	.weak	gettimeofday
	.set	gettimeofday, __vdso_gettimeofday
	.weak	time
	.set	time, __vdso_time
	.weak	getcpu
	.set	getcpu, __vdso_getcpu

/* Per clock id 0..7: vvar offsets of (base, offset); base 0 = use the syscall. */
	.section .rodata
clock_table:
	.byte	VVAR_MONO, VVAR_REAL_OFF	/* 0 CLOCK_REALTIME */
	.byte	VVAR_MONO, VVAR_ZERO		/* 1 CLOCK_MONOTONIC */
	.byte	0, 0				/* 2 CLOCK_PROCESS_CPUTIME_ID */
	.byte	0, 0				/* 3 CLOCK_THREAD_CPUTIME_ID */
	.byte	VVAR_RAW, VVAR_ZERO		/* 4 CLOCK_MONOTONIC_RAW */
	.byte	VVAR_MONO, VVAR_REAL_OFF	/* 5 CLOCK_REALTIME_COARSE */
	.byte	VVAR_MONO, VVAR_ZERO		/* 6 CLOCK_MONOTONIC_COARSE */
	.byte	VVAR_MONO, VVAR_BOOT_OFF	/* 7 CLOCK_BOOTTIME */

	.section .note.GNU-stack, "", @progbits
