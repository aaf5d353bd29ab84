/* sigaction flags and masks during delivery: the signal itself is blocked in
 * its handler unless SA_NODEFER; sa_mask is added; SA_RESETHAND restores the
 * default after one delivery; the old mask comes back after return. */
#include "guest.h"

static volatile int depth, max_depth, calls;
static volatile int usr2_blocked_inside, self_blocked_inside;

static void nested(int sig) {
	calls++;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	self_blocked_inside = sigismember(&cur, sig);
	usr2_blocked_inside = sigismember(&cur, SIGUSR2);
	if (calls == 1)
		raise(sig); /* nested delivery only with SA_NODEFER */
	depth--;
}

static void run(const char *label, int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = nested;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	calls = depth = max_depth = 0;
	raise(SIGUSR1);
	printf("%s: handler calls %d, max nesting %d, self blocked inside %d, sa_mask USR2 blocked inside %d\n", label,
	       calls, max_depth, self_blocked_inside, usr2_blocked_inside);
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("%s: after return USR1 blocked %d USR2 blocked %d\n", label, sigismember(&cur, SIGUSR1),
	       sigismember(&cur, SIGUSR2));
}

int main(void) {
	run("default", 0);
	run("SA_NODEFER", SA_NODEFER);

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = nested;
	sa.sa_flags = SA_RESETHAND;
	/* The nested raise stays pending (blocked) until the handler returns,
	 * then meets the default action. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		sigaction(SIGUSR1, &sa, NULL);
		calls = 0;
		raise(SIGUSR1);
		_exit(50 + calls);
	}
	printf("child with SA_RESETHAND, handler raises again: %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		sigaction(SIGUSR1, &sa, NULL);
		calls = 1; /* no nested raise */
		raise(SIGUSR1);
		sigaction(SIGUSR1, NULL, &old);
		_exit(10 * (old.sa_handler == SIG_DFL) + (calls == 2));
	}
	printf("child with SA_RESETHAND, one delivery (exit 11 = reset to default and ran once): %s\n", guest_wait(c));

	c = fork();
	if (c == 0) {
		run("RESETHAND|NODEFER", SA_RESETHAND | SA_NODEFER);
		_exit(0);
	}
	printf("child with SA_RESETHAND|SA_NODEFER: %s\n", guest_wait(c));

	/* SIG_IGN discards, and sigaction reports SA_SIGINFO/SA_RESTART back. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	EXPECT_EQ("raise(ignored SIGUSR2)", raise(SIGUSR2), 0);
	sigset_t pend;
	sigpending(&pend);
	printf("ignored signal not pending = %d\n", !sigismember(&pend, SIGUSR2));
	return done();
}
