/* Synchronous signal waiting: sigsuspend, sigtimedwait (timeout, zero
 * timeout, dequeue with info), sigwaitinfo, sigwait, rt_sigpending, and a
 * signal sent by a child. */
#include "guest.h"
#include <time.h>

static volatile int handled;

static void handler(int sig) {
	handled = sig;
}

int main(void) {
	sigset_t set, old, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, &old);

	struct timespec ts = {0, 20 * 1000 * 1000};
	siginfo_t si;
	EXPECT_ERR("sigtimedwait(20ms, nothing pending)", sigtimedwait(&set, &si, &ts), EAGAIN);
	struct timespec zero = {0, 0};
	EXPECT_ERR("sigtimedwait(zero timeout)", sigtimedwait(&set, &si, &zero), EAGAIN);
	struct timespec bad = {0, -1};
	EXPECT_ERR("sigtimedwait(bad timeout)", sigtimedwait(&set, &si, &bad), EINVAL);

	kill(getpid(), SIGUSR2);
	sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 5});
	EXPECT_EQ("rt_sigpending", syscall(SYS_rt_sigpending, &pend, 8), 0);
	printf("pending USR1 %d USR2 %d RTMIN %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2),
	       sigismember(&pend, SIGRTMIN));
	EXPECT_ERR("rt_sigpending(size 16)", syscall(SYS_rt_sigpending, &pend, 16), EINVAL);
	memset(&si, 0, sizeof si);
	int s = sigwaitinfo(&set, &si);
	printf("sigwaitinfo = SIG%s, code SI_USER %d\n", guest_signame(s), si.si_code == SI_USER);
	memset(&si, 0, sizeof si);
	s = sigtimedwait(&set, &si, &zero);
	printf("sigtimedwait = SIG%s, value %d, code SI_QUEUE %d\n", guest_signame(s), si.si_value.sival_int,
	       si.si_code == SI_QUEUE);
	sigpending(&pend);
	printf("nothing left pending = %d\n", !sigismember(&pend, SIGUSR2) && !sigismember(&pend, SIGRTMIN));

	raise(SIGUSR1);
	int got = 0;
	EXPECT_EQ("sigwait", sigwait(&set, &got), 0);
	printf("sigwait got SIG%s\n", guest_signame(got));

	/* sigsuspend: a child sends SIGUSR1 once we are waiting (or before: it
	 * stays pending since it is blocked). */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	fflush(stdout);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	sigset_t wait_mask = old;
	sigdelset(&wait_mask, SIGUSR1);
	errno = 0;
	int r = sigsuspend(&wait_mask);
	printf("sigsuspend = %d %s, handler saw SIG%s\n", r, errname(errno), guest_signame(handled));
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("mask restored after sigsuspend: USR1 blocked %d\n", sigismember(&cur, SIGUSR1));
	guest_wait(c);

	/* sigtimedwait on an unblocked signal with a handler: sigtimedwait still
	 * takes a pending one first. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	EXPECT_ERR("rt_sigtimedwait(bad sigsetsize)", syscall(SYS_rt_sigtimedwait, &only2, &si, &zero, 4), EINVAL);
	EXPECT_ERR("rt_sigsuspend(bad sigsetsize)", syscall(SYS_rt_sigsuspend, &only2, 4), EINVAL);
	return done();
}
