/* PTRACE_PEEKDATA/POKEDATA/PEEKUSER/GETREGS/SETREGS/GETFPREGS on a stopped
 * tracee (same layout after fork), PTRACE_CONT with a signal, PTRACE_KILL,
 * PTRACE_ATTACH/DETACH to a non-tracing child, errors. */
#include "guest.h"
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

static volatile long secret = 0x1122334455667788;
static volatile long result;
static volatile int got_usr1;

static void on_usr1(int sig) {
	(void)sig;
	got_usr1 = 1;
}

int main(void) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		signal(SIGUSR1, on_usr1);
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		/* The tracer has poked secret; report through the exit status. */
		_exit((secret == 0x0badc0de ? 1 : 0) | (got_usr1 ? 2 : 0) | 4);
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c);
	printf("stopped: %s\n", guest_wstatus(st));
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, c, (void *)&secret, 0);
	printf("PEEKDATA = %#lx (errno %s)\n", v, errname(errno));
	EXPECT_EQ("POKEDATA", ptrace(PTRACE_POKEDATA, c, (void *)&secret, (void *)0x0badc0de), 0);
	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, c, (void *)&secret, 0);
	printf("PEEKDATA after poke = %#lx\n", v);
	printf("our own copy unchanged = %d\n", secret == 0x1122334455667788);
	errno = 0;
	ptrace(PTRACE_PEEKDATA, c, (void *)8, 0);
	printf("PEEKDATA(bad address) errno = %s\n", errname(errno));

	struct user_regs_struct regs;
	EXPECT_EQ("GETREGS", ptrace(PTRACE_GETREGS, c, 0, &regs), 0);
	errno = 0;
	long rip = ptrace(PTRACE_PEEKUSER, c, (void *)offsetof(struct user_regs_struct, rip), 0);
	printf("PEEKUSER(rip) == GETREGS rip = %d, fs_base nonzero = %d\n", rip == (long)regs.rip, regs.fs_base != 0);
	printf("cs = %#llx ss = %#llx\n", regs.cs, regs.ss);
	struct user_fpregs_struct fp;
	EXPECT_EQ("GETFPREGS", ptrace(PTRACE_GETFPREGS, c, 0, &fp), 0);
	printf("mxcsr default = %#x\n", fp.mxcsr);
	errno = 0;
	ptrace(PTRACE_PEEKUSER, c, (void *)3, 0);
	printf("PEEKUSER(misaligned) errno = %s\n", errname(errno));
	EXPECT_EQ("PTRACE_CONT with SIGUSR1", ptrace(PTRACE_CONT, c, 0, (void *)SIGUSR1), 0);
	printf("child (1 = poke seen, 2 = SIGUSR1 injected, 4 = ran): %s\n", guest_wait(c));

	EXPECT_ERR("PTRACE_PEEKDATA(non-traced child gone)", ptrace(PTRACE_PEEKDATA, c, (void *)&secret, 0), ESRCH);

	/* Attach to a running child. */
	int p[2];
	CHECK(pipe(p) == 0);
	c = fork();
	if (c == 0) {
		close(p[1]);
		char x;
		while (read(p[0], &x, 1) > 0)
			;
		_exit(secret == 77 ? 5 : 6);
	}
	close(p[0]);
	EXPECT_ERR("PEEKDATA before attach", ptrace(PTRACE_PEEKDATA, c, (void *)&secret, 0), ESRCH);
	EXPECT_EQ("PTRACE_ATTACH", ptrace(PTRACE_ATTACH, c, 0, 0), 0);
	CHECK(waitpid(c, &st, 0) == c);
	printf("attach stop: %s\n", guest_wstatus(st));
	EXPECT_ERR("PTRACE_ATTACH again", ptrace(PTRACE_ATTACH, c, 0, 0), EPERM);
	EXPECT_EQ("POKEDATA", ptrace(PTRACE_POKEDATA, c, (void *)&secret, (void *)77), 0);
	EXPECT_EQ("PTRACE_DETACH", ptrace(PTRACE_DETACH, c, 0, 0), 0);
	close(p[1]);
	printf("detached child: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	CHECK(waitpid(c, &st, 0) == c);
	EXPECT_EQ("PTRACE_KILL", ptrace(PTRACE_KILL, c, 0, 0), 0);
	printf("killed tracee: %s\n", guest_wait(c));
	EXPECT_ERR("ptrace(self)", ptrace(PTRACE_ATTACH, getpid(), 0, 0), EPERM);
	EXPECT_ERR("ptrace(nonexistent)", ptrace(PTRACE_ATTACH, 0x3ffffff0, 0, 0), ESRCH);
	return done();
}
