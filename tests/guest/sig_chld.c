/* SIGCHLD: siginfo for exit/kill/stop/continue, SA_NOCLDSTOP, and
 * SA_NOCLDWAIT / SIG_IGN auto-reaping. */
#include "guest.h"

static volatile int n;
static siginfo_t infos[8];

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	if (n < 8)
		infos[n] = *si;
	n++;
}

static const char *code(int c) {
	switch (c) {
	case CLD_EXITED:
		return "CLD_EXITED";
	case CLD_KILLED:
		return "CLD_KILLED";
	case CLD_DUMPED:
		return "CLD_DUMPED";
	case CLD_STOPPED:
		return "CLD_STOPPED";
	case CLD_CONTINUED:
		return "CLD_CONTINUED";
	}
	return "other";
}

/* Waits (sigsuspend with SIGCHLD unblocked) until `want` handler runs. */
static void await(int want, sigset_t *unblocked) {
	while (n < want)
		sigsuspend(unblocked);
}

static void show(int i, pid_t pid) {
	int st = infos[i].si_status;
	printf("  SIGCHLD #%d: %s status %s%d pid ok %d\n", i, code(infos[i].si_code),
	       infos[i].si_code == CLD_EXITED ? "" : "signal ", st,
	       infos[i].si_pid == pid);
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(5);
	await(1, &old);
	show(0, c);
	guest_wait(c);

	n = 0;
	int p[2];
	CHECK(pipe(p) == 0);
	c = fork();
	if (c == 0) {
		close(p[1]);
		char x;
		while (read(p[0], &x, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	kill(c, SIGSTOP);
	await(1, &old);
	kill(c, SIGCONT);
	await(2, &old);
	kill(c, SIGTERM);
	await(3, &old);
	printf("stop, continue, kill:\n");
	for (int i = 0; i < 3; i++)
		show(i, c);
	printf("  wait: %s\n", guest_wait(c));
	close(p[1]);

	/* SA_NOCLDSTOP: only the exit is reported. */
	sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	n = 0;
	CHECK(pipe(p) == 0);
	c = fork();
	if (c == 0) {
		close(p[1]);
		char x;
		while (read(p[0], &x, 1) > 0)
			;
		_exit(6);
	}
	close(p[0]);
	kill(c, SIGSTOP);
	siginfo_t si;
	CHECK(waitid(P_PID, c, &si, WSTOPPED) == 0);
	kill(c, SIGCONT);
	CHECK(waitid(P_PID, c, &si, WCONTINUED) == 0);
	close(p[1]);
	await(1, &old);
	printf("SA_NOCLDSTOP: %d signal(s)\n", n);
	show(0, c);
	guest_wait(c);

	/* SA_NOCLDWAIT: children are reaped automatically; wait gives ECHILD
	 * once they are gone, and SIGCHLD is still sent. */
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	n = 0;
	c = fork();
	if (c == 0)
		_exit(7);
	await(1, &old);
	int handled = n;
	EXPECT_ERR("SA_NOCLDWAIT: waitpid(child)", waitpid(c, NULL, 0), ECHILD);
	printf("SA_NOCLDWAIT: handler ran %d\n", handled);

	/* SIGCHLD set to SIG_IGN: auto-reap, no signal; wait blocks until all
	 * children are gone, then ECHILD. */
	signal(SIGCHLD, SIG_IGN);
	for (int i = 0; i < 3; i++)
		if (fork() == 0)
			_exit(i);
	EXPECT_ERR("SIGCHLD SIG_IGN: wait", wait(NULL), ECHILD);
	return done();
}
