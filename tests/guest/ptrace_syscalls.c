/* PTRACE_TRACEME + SIGSTOP, then PTRACE_SYSCALL stops (with
 * PTRACE_O_TRACESYSGOOD) over a fixed raw-syscall sequence: the tracer
 * records syscall numbers at entry and results at exit, rewrites one result
 * (getuid -> 4242) and one argument (the exit code). */
#include "guest.h"
#include <sys/ptrace.h>
#include <sys/user.h>

static inline long raw0(long n) {
	long r;
	asm volatile("syscall" : "=a"(r) : "0"(n) : "rcx", "r11", "memory");
	return r;
}
static inline long raw3(long n, long a, long b, long c) {
	long r;
	asm volatile("syscall" : "=a"(r) : "0"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

int main(void) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
			_exit(90);
		long pid = raw0(SYS_getpid);
		raw3(SYS_kill, pid, SIGSTOP, 0);
		/* The traced sequence. */
		raw0(SYS_getpid);
		raw3(SYS_write, -1, 0, 0);
		long uid = raw0(SYS_getuid);
		raw0(SYS_getppid);
		raw3(SYS_exit_group, uid == 4242 ? 10 : 11, 0, 0);
		for (;;)
			;
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c);
	printf("initial stop: %s\n", guest_wstatus(st));
	EXPECT_EQ("PTRACE_SETOPTIONS(TRACESYSGOOD)", ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD), 0);
	int entering = 1, n = 0;
	long nums[16];
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, c, 0, 0) != 0) {
			FAIL("PTRACE_SYSCALL: %s", errname(errno));
			break;
		}
		if (waitpid(c, &st, 0) != c)
			break;
		if (!WIFSTOPPED(st))
			break;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			printf("unexpected stop: %s\n", guest_wstatus(st));
			continue;
		}
		struct user_regs_struct regs;
		CHECK(ptrace(PTRACE_GETREGS, c, 0, &regs) == 0);
		if (entering) {
			if (n < 16)
				nums[n++] = regs.orig_rax;
			printf("entry: syscall %llu\n", regs.orig_rax);
			if (regs.orig_rax == SYS_exit_group) {
				printf("  exit_group arg = %llu, rewriting to 12 if it saw 4242\n", regs.rdi);
				if (regs.rdi == 10) {
					regs.rdi = 12;
					CHECK(ptrace(PTRACE_SETREGS, c, 0, &regs) == 0);
				}
			}
		} else {
			long ret = (long)regs.rax;
			if (regs.orig_rax == SYS_getpid)
				printf("exit:  getpid returned the child pid = %d\n", ret == c);
			else if (regs.orig_rax == SYS_getppid)
				printf("exit:  getppid returned our pid = %d\n", ret == getpid());
			else
				printf("exit:  syscall %llu returned %ld\n", regs.orig_rax, ret);
			if (regs.orig_rax == SYS_getuid) {
				regs.rax = 4242;
				CHECK(ptrace(PTRACE_SETREGS, c, 0, &regs) == 0);
			}
		}
		entering = !entering;
	}
	printf("child: %s\n", guest_wstatus(st));
	printf("syscalls seen: %d\n", n);
	(void)nums;
	return done();
}
