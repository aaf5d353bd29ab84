/* System calls made from the plain `mov $nr, %eax; syscall` sequence
 * (the shape a sandbox may rewrite): every register but rax, rcx and r11
 * survives, rcx is the address after the instruction and r11 the flags;
 * SSE registers survive; the same site works from many threads at once,
 * after fork, across an interrupted and restarted blocking call; and low
 * memory (a heap grown far, a fixed mapping at 0x050f0000) stays usable. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/time.h>

/* raw_getppid(out): getppid through its own site, with known values in
 * every register; out[] receives what the registers held after it. */
extern void raw_getppid(unsigned long *out);
/* raw_read(fd, buf, n): read(2) through its own site. */
extern long raw_read(long fd, void *buf, long n);
/* getpid through sites 58 and 61 bytes into a cache line. */
extern long raw_getpid_58(void);
extern long raw_getpid_61(void);
/* getppid through its own site with ymm9 loaded from in[]; stores ymm9
 * after the call into out[] (AVX only). */
extern void raw_getppid_ymm(const unsigned long *in, unsigned long *out);
__asm__(".text\n"
	".globl raw_getppid\n"
	".type raw_getppid, @function\n"
	"raw_getppid:\n"
	"	push %rbp\n	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rdi\n"
	"	mov $0x1111, %rbx\n	mov $0x2222, %rdx\n	mov $0x3333, %rsi\n	mov $0x4444, %rdi\n"
	"	mov $0x5555, %r8\n	mov $0x6666, %r9\n	mov $0x7777, %r10\n"
	"	mov $0x8888, %r12\n	mov $0x9999, %r13\n	mov $0xaaaa, %r14\n	mov $0xbbbb, %r15\n"
	"	mov $0xcccc, %rbp\n"
	"	movabs $0x123456789abcdef0, %rax\n	movq %rax, %xmm8\n"
	"	movabs $0x0fedcba987654321, %rax\n	movq %rax, %xmm15\n"
	"	pushfq\n	pop %rcx\n	movq %rcx, %xmm9\n"
	"	.p2align 4\n"
	"	mov $110, %eax\n"
	"	syscall\n"
	"1:\n"
	"	xchg %rax, (%rsp)\n"
	"	mov %rbx, 8(%rax)\n	mov %rcx, 16(%rax)\n	mov %rdx, 24(%rax)\n	mov %rsi, 32(%rax)\n"
	"	mov %rdi, 40(%rax)\n	mov %r8, 48(%rax)\n	mov %r9, 56(%rax)\n	mov %r10, 64(%rax)\n"
	"	mov %r11, 72(%rax)\n	mov %r12, 80(%rax)\n	mov %r13, 88(%rax)\n	mov %r14, 96(%rax)\n"
	"	mov %r15, 104(%rax)\n	mov %rbp, 112(%rax)\n"
	"	movq %xmm9, %rcx\n	mov %rcx, 120(%rax)\n"
	"	lea 1b(%rip), %rcx\n	mov %rcx, 128(%rax)\n"
	"	movq %xmm8, %rcx\n	mov %rcx, 136(%rax)\n"
	"	movq %xmm15, %rcx\n	mov %rcx, 144(%rax)\n"
	"	pop %rcx\n	mov %rcx, 0(%rax)\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n	pop %rbp\n"
	"	ret\n"
	".size raw_getppid, .-raw_getppid\n"
	".globl raw_read\n"
	".type raw_read, @function\n"
	"	.p2align 4\n"
	"raw_read:\n"
	"	mov $0, %eax\n"
	"	syscall\n"
	"	ret\n"
	".size raw_read, .-raw_read\n"
	".globl raw_getpid_58\n"
	".type raw_getpid_58, @function\n"
	"	.p2align 6\n"
	"raw_getpid_58:\n"
	"	jmp 1f\n"
	"	.skip 56, 0xcc\n"
	"1:	mov $39, %eax\n"
	"	syscall\n"
	"	ret\n"
	".size raw_getpid_58, .-raw_getpid_58\n"
	".globl raw_getpid_61\n"
	".type raw_getpid_61, @function\n"
	"	.p2align 6\n"
	"raw_getpid_61:\n"
	"	jmp 1f\n"
	"	.skip 59, 0xcc\n"
	"1:	mov $39, %eax\n"
	"	syscall\n"
	"	ret\n"
	".size raw_getpid_61, .-raw_getpid_61\n"
	".globl raw_getppid_ymm\n"
	".type raw_getppid_ymm, @function\n"
	"	.p2align 4\n"
	"raw_getppid_ymm:\n"
	"	vmovdqu (%rdi), %ymm9\n"
	"	.p2align 4\n"
	"	mov $110, %eax\n"
	"	syscall\n"
	"	vmovdqu %ymm9, (%rsi)\n"
	"	vzeroupper\n"
	"	ret\n"
	".size raw_getppid_ymm, .-raw_getppid_ymm\n");

/* Checks one call's registers; returns a bit per broken rule. */
static int check_regs(pid_t ppid) {
	unsigned long r[19];
	raw_getppid(r);
	static const unsigned long want[] = {0x1111, 0, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0,
					     0x8888, 0x9999, 0xaaaa, 0xbbbb, 0xcccc};
	int bad = 0;
	if (r[0] != (unsigned long)ppid)
		bad |= 1;
	for (int i = 0; i < 14; i++)
		if (want[i] && r[i + 1] != want[i])
			bad |= 2;
	if (r[2] != r[16])
		bad |= 4; /* rcx = address after syscall */
	if (r[9] != r[15])
		bad |= 8; /* r11 = flags */
	if (r[17] != 0x123456789abcdef0UL || r[18] != 0x0fedcba987654321UL)
		bad |= 16;
	return bad;
}

static pid_t parent;
static int thread_bad;

static void *hammer(void *arg) {
	(void)arg;
	int bad = 0;
	for (int i = 0; i < 2000; i++)
		bad |= check_regs(parent);
	__atomic_fetch_or(&thread_bad, bad, __ATOMIC_SEQ_CST);
	return NULL;
}

static volatile int stop_signalled;

static void on_usr1(int sig) {
	(void)sig;
}

/* Calls through the site while the main thread signals it: signals land
 * at any instruction of the call, the sandbox's own machinery included. */
static void *hammer_signalled(void *arg) {
	(void)arg;
	int bad = 0;
	while (!stop_signalled)
		bad |= check_regs(parent);
	__atomic_fetch_or(&thread_bad, bad, __ATOMIC_SEQ_CST);
	return NULL;
}

static int pipe_w;
static volatile int alarms;

static void on_alarm(int sig) {
	(void)sig;
	alarms++;
	char c = 'a';
	if (write(pipe_w, &c, 1) != 1)
		_exit(3);
}

/* A blocking read through raw_read, interrupted by SIGALRM whose handler
 * writes the byte the read is waiting for. */
static void interrupted_read(int restart) {
	int p[2];
	CHECK(pipe(p) == 0);
	pipe_w = p[1];
	/* Warm the site up first (a trap, then maybe a patch). */
	char c = 'w';
	for (int i = 0; i < 3; i++) {
		CHECK(write(p[1], &c, 1) == 1);
		CHECK(raw_read(p[0], &c, 1) == 1);
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	alarms = 0;
	struct itimerval it = {{0, 0}, {0, 30000}};
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	long r = raw_read(p[0], &c, 1);
	if (restart)
		printf("SA_RESTART: read = %ld byte %c, alarms %d\n", r, r == 1 ? c : '-', alarms);
	else {
		printf("no SA_RESTART: read = %s, alarms %d\n", r == -EINTR ? "-EINTR" : "other", alarms);
		printf("then read = %ld\n", raw_read(p[0], &c, 1));
	}
	close(p[0]);
	close(p[1]);
}

int main(void) {
	parent = getppid();
	int bad = 0;
	for (int i = 0; i < 5; i++)
		bad |= check_regs(parent);
	printf("registers after the call: broken rules %#x\n", bad);
	int ok = 1;
	for (int i = 0; i < 5; i++)
		ok &= raw_getpid_58() == getpid() && raw_getpid_61() == getpid();
	printf("sites late in a cache line: %s\n", ok ? "ok" : "wrong pid");
	if (__builtin_cpu_supports("avx")) {
		const unsigned long in[4] = {0x1111222233334444UL, 0x5555666677778888UL, 0x9999aaaabbbbccccUL,
					     0xddddeeeeffff0000UL};
		int same = 1;
		for (int i = 0; i < 5; i++) {
			unsigned long out[4] = {0};
			raw_getppid_ymm(in, out);
			same &= memcmp(in, out, sizeof in) == 0;
		}
		printf("ymm register across the call: %s\n", same ? "kept" : "changed");
	} else {
		printf("ymm register across the call: kept\n");
	}

	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, hammer, NULL) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("4 threads x 2000 calls: broken rules %#x\n", thread_bad);

	struct sigaction usr1 = {0};
	usr1.sa_handler = on_usr1;
	usr1.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGUSR1, &usr1, NULL) == 0);
	thread_bad = 0;
	pthread_t sig_t;
	CHECK(pthread_create(&sig_t, NULL, hammer_signalled, NULL) == 0);
	for (int i = 0; i < 3000; i++) {
		pthread_kill(sig_t, SIGUSR1);
		if (i % 64 == 0)
			usleep(100);
	}
	stop_signalled = 1;
	pthread_join(sig_t, NULL);
	printf("calls while signalled 3000 times: broken rules %#x\n", thread_bad);

	interrupted_read(1);
	interrupted_read(0);

	pid_t me = getpid();
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(check_regs(me) == 0 ? 0 : 1);
	printf("fork: child's call: %s\n", guest_wait(c));

	/* The heap may grow a long way, through 0x050f0000. */
	c = fork();
	if (c == 0) {
		const long len = 96L << 20;
		char *p = sbrk(len);
		if (p == (void *)-1)
			_exit(1);
		p[0] = 1;
		p[len / 2] = 2;
		p[len - 1] = 3;
		if (check_regs(me) != 0)
			_exit(2);
		if (sbrk(-len) == (void *)-1)
			_exit(4);
		_exit(check_regs(me) == 0 ? 0 : 5);
	}
	printf("sbrk(96 MiB): %s\n", guest_wait(c));

	/* A fixed mapping at 0x050f0000 replaces whatever is there. */
	c = fork();
	if (c == 0) {
		char *want = (char *)0x050f0000;
		char *p = mmap(want, 0x40000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != want)
			_exit(1);
		for (long i = 0; i < 0x40000; i += 4096)
			if (p[i] != 0)
				_exit(2);
		memset(p, 0x5a, 0x40000);
		if (check_regs(me) != 0)
			_exit(3);
		if (munmap(p, 0x40000) != 0)
			_exit(4);
		_exit(check_regs(me) == 0 ? 0 : 5);
	}
	printf("mmap(MAP_FIXED at 0x050f0000): %s\n", guest_wait(c));
	return done();
}
