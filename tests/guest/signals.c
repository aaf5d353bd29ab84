/* rt_sigaction/rt_sigprocmask/rt_sigpending bookkeeping; no signal is delivered. */
#include "guest.h"
#include <signal.h>

static void handler(int sig) {
	(void)sig;
}

int main(void) {
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	EXPECT_EQ("sigaction(SIGUSR1, handler)", sigaction(SIGUSR1, &sa, &old), 0);
	printf("old handler default = %d\n", old.sa_handler == SIG_DFL);
	memset(&old, 0, sizeof old);
	EXPECT_EQ("sigaction(SIGUSR1, NULL, &old)", sigaction(SIGUSR1, NULL, &old), 0);
	printf("read back handler = %d, SA_RESTART = %d, mask has USR2 = %d, mask has INT = %d\n",
	       old.sa_handler == handler, !!(old.sa_flags & SA_RESTART), sigismember(&old.sa_mask, SIGUSR2),
	       sigismember(&old.sa_mask, SIGINT));
	sa.sa_handler = SIG_IGN;
	EXPECT_EQ("sigaction(SIGUSR1, SIG_IGN)", sigaction(SIGUSR1, &sa, &old), 0);
	printf("previous was handler = %d\n", old.sa_handler == handler);
	EXPECT_ERR("sigaction(SIGKILL)", sigaction(SIGKILL, &sa, NULL), EINVAL);
	EXPECT_ERR("sigaction(SIGSTOP)", sigaction(SIGSTOP, &sa, NULL), EINVAL);
	EXPECT_EQ("sigaction(SIGKILL, NULL, &old)", sigaction(SIGKILL, NULL, &old), 0);
	EXPECT_ERR("sigaction(0)", sigaction(0, NULL, &old), EINVAL);
	EXPECT_ERR("sigaction(65)", syscall(SYS_rt_sigaction, 65, NULL, &old, 8), EINVAL);
	EXPECT_ERR("rt_sigaction(bad sigsetsize)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4), EINVAL);
	EXPECT_ERR("rt_sigaction(bad pointer)", syscall(SYS_rt_sigaction, SIGUSR1, (void *)1, NULL, 8), EFAULT);

	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	EXPECT_EQ("sigprocmask(BLOCK USR1|TERM)", sigprocmask(SIG_BLOCK, &set, &cur), 0);
	printf("initial mask empty of USR1 = %d\n", !sigismember(&cur, SIGUSR1));
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	printf("blocked: USR1 = %d TERM = %d INT = %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGTERM),
	       sigismember(&cur, SIGINT));
	sigemptyset(&set);
	sigaddset(&set, SIGKILL);
	sigaddset(&set, SIGSTOP);
	EXPECT_EQ("sigprocmask(BLOCK KILL|STOP) silently ignored", sigprocmask(SIG_BLOCK, &set, NULL), 0);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	printf("KILL blocked = %d STOP blocked = %d\n", sigismember(&cur, SIGKILL), sigismember(&cur, SIGSTOP));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	EXPECT_EQ("sigprocmask(UNBLOCK TERM)", sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	printf("after unblock: USR1 = %d TERM = %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGTERM));
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	EXPECT_EQ("sigprocmask(SETMASK HUP)", sigprocmask(SIG_SETMASK, &set, &cur), 0);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	printf("after setmask: HUP = %d USR1 = %d\n", sigismember(&cur, SIGHUP), sigismember(&cur, SIGUSR1));
	EXPECT_ERR("sigprocmask(bad how)", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
	EXPECT_ERR("rt_sigprocmask(bad sigsetsize)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL);
	EXPECT_ERR("rt_sigprocmask(bad pointer)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)1, NULL, 8), EFAULT);

	sigset_t pend;
	EXPECT_EQ("sigpending", sigpending(&pend), 0);
	printf("nothing pending = %d\n", sigisemptyset(&pend));

	/* A blocked signal sent to ourselves stays pending; ignoring it discards it. */
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	EXPECT_EQ("raise(SIGHUP) while blocked", syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGHUP), 0);
	CHECK(sigpending(&pend) == 0);
	printf("HUP pending = %d\n", sigismember(&pend, SIGHUP));
	sa.sa_handler = SIG_IGN;
	CHECK(sigaction(SIGHUP, &sa, NULL) == 0);
	CHECK(sigpending(&pend) == 0);
	printf("HUP pending after SIG_IGN = %d\n", sigismember(&pend, SIGHUP));
	EXPECT_ERR("kill(self, 99)", kill(getpid(), 99), EINVAL);
	EXPECT_EQ("kill(self, 0)", kill(getpid(), 0), 0);
	return done();
}
