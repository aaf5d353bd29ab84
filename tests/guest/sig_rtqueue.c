/* Queued real-time signals are all delivered, in order (lowest number first,
 * FIFO within a number); standard signals coalesce; standard before
 * real-time. */
#include "guest.h"

static volatile int order[32];
static volatile int vals[32];
static volatile int n;

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	if (n < 32) {
		order[n] = sig;
		vals[n] = si->si_value.sival_int;
		n++;
	}
}

static void dump(const char *label) {
	printf("%s: %d deliveries:", label, n);
	for (int i = 0; i < n; i++)
		printf(" SIG%s/%d", guest_signame(order[i]), vals[i]);
	printf("\n");
	n = 0;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	int sigs[] = {SIGUSR1, SIGUSR2, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMAX};
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&block, sigs[i]);

	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = i});
	sigprocmask(SIG_SETMASK, &old, NULL);
	dump("3x SIGRTMIN+1");

	sigprocmask(SIG_BLOCK, &block, &old);
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = i});
	sigset_t pend;
	sigpending(&pend);
	printf("USR1 pending = %d\n", sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	dump("3x SIGUSR1 (coalesced, first kept)");

	sigprocmask(SIG_BLOCK, &block, &old);
	sigqueue(getpid(), SIGRTMAX, (union sigval){.sival_int = 1});
	sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 2});
	sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 3});
	sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 4});
	sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 5});
	sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 6});
	sigprocmask(SIG_SETMASK, &old, NULL);
	dump("mixed");

	/* Many queued: a few hundred fit under the default RLIMIT_SIGPENDING. */
	sigprocmask(SIG_BLOCK, &block, &old);
	int queued = 0;
	for (int i = 0; i < 100; i++)
		if (sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = i}) == 0)
			queued++;
	int got = 0;
	siginfo_t si;
	struct timespec zero = {0, 0};
	int in_order = 1;
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGRTMIN + 2);
	while (sigtimedwait(&one, &si, &zero) == SIGRTMIN + 2) {
		if (si.si_value.sival_int != got)
			in_order = 0;
		got++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("queued %d, dequeued %d, in order %d\n", queued, got, in_order);
	return done();
}
