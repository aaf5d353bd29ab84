/* Default signal actions seen through wait status (RLIMIT_CORE = 0 so no
 * core file is written): terminate, core (no core flag without a dump),
 * ignore, stop/continue; SIGKILL cannot be caught, blocked or ignored. */
#include "guest.h"
#include <sys/resource.h>
#include <time.h>

static void child_for(int sig) {
	fflush(stdout);
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		/* Tell the parent we are ready, then wait to be signalled. */
		if (write(p[1], "r", 1) != 1)
			_exit(90);
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		_exit(0);
	}
	close(p[1]);
	char x;
	CHECK(read(p[0], &x, 1) == 1);
	close(p[0]);
	kill(c, sig);
	printf("SIG%s: %s\n", guest_signame(sig), guest_wait(c));
}

int main(void) {
	struct rlimit core = {0, 0};
	setrlimit(RLIMIT_CORE, &core);
	int term[] = {SIGHUP, SIGINT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGKILL, SIGVTALRM, SIGPROF, SIGIO};
	for (unsigned i = 0; i < sizeof term / sizeof term[0]; i++)
		child_for(term[i]);
	int dump[] = {SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGSEGV, SIGBUS, SIGSYS, SIGTRAP, SIGXCPU, SIGXFSZ};
	for (unsigned i = 0; i < sizeof dump / sizeof dump[0]; i++)
		child_for(dump[i]);
	/* Ignored by default: the child sleeps to the end and exits 0. */
	int ign[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};
	for (unsigned i = 0; i < sizeof ign / sizeof ign[0]; i++)
		child_for(ign[i]);
	child_for(SIGRTMIN);
	child_for(SIGRTMAX);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	EXPECT_ERR("sigaction(SIGKILL, SIG_IGN)", sigaction(SIGKILL, &sa, NULL), EINVAL);
	EXPECT_ERR("sigaction(SIGSTOP, SIG_IGN)", sigaction(SIGSTOP, &sa, NULL), EINVAL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		raise(SIGKILL);
		_exit(1);
	}
	printf("SIGKILL with everything blocked: %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		raise(SIGTERM);
		_exit(3);
	}
	printf("SIGTERM blocked: %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		abort();
	}
	printf("abort(): %s\n", guest_wait(c));
	c = fork();
	if (c == 0) {
		signal(SIGABRT, SIG_IGN);
		abort(); /* glibc resets the disposition and retries */
	}
	printf("abort() with SIGABRT ignored: %s\n", guest_wait(c));
	return done();
}
