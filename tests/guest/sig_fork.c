/* Signal state across fork: the mask, dispositions and alternate stack are
 * inherited; pending signals are not. */
#include "guest.h"

static void handler(int sig) {
	(void)sig;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGUSR2, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGHUP);
	static char alt[65536];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
	sigaltstack(&ss, NULL);
	sigset_t pend;
	sigpending(&pend);
	printf("parent: HUP pending = %d\n", sigismember(&pend, SIGHUP));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		sigset_t cur, p;
		sigprocmask(SIG_BLOCK, NULL, &cur);
		sigpending(&p);
		struct sigaction a1, a2;
		sigaction(SIGUSR1, NULL, &a1);
		sigaction(SIGUSR2, NULL, &a2);
		stack_t cs;
		sigaltstack(NULL, &cs);
		printf("  child: mask HUP %d TERM %d USR1 %d\n", sigismember(&cur, SIGHUP), sigismember(&cur, SIGTERM),
		       sigismember(&cur, SIGUSR1));
		printf("  child: HUP pending %d\n", sigismember(&p, SIGHUP));
		printf("  child: USR1 handler inherited %d (SA_RESTART %d), USR2 ignored %d\n", a1.sa_handler == handler,
		       !!(a1.sa_flags & SA_RESTART), a2.sa_handler == SIG_IGN);
		printf("  child: alt stack inherited %d\n", cs.ss_sp == alt && !(cs.ss_flags & SS_DISABLE));
		/* A TERM sent to the child stays pending (blocked). */
		kill(getpid(), SIGTERM);
		sigpending(&p);
		printf("  child: TERM pending after self-kill %d\n", sigismember(&p, SIGTERM));
		fflush(stdout);
		_exit(0);
	}
	printf("child: %s\n", guest_wait(c));
	sigpending(&pend);
	printf("parent: HUP still pending = %d, TERM pending = %d\n", sigismember(&pend, SIGHUP),
	       sigismember(&pend, SIGTERM));
	/* Blocked signals sent to a child kill it when it unblocks. */
	c = fork();
	if (c == 0) {
		sigset_t none;
		sigemptyset(&none);
		raise(SIGTERM);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(1);
	}
	printf("child unblocking a pending TERM: %s\n", guest_wait(c));
	signal(SIGHUP, SIG_IGN);
	return done();
}
