/* SA_SIGINFO contents for each way of sending a signal to ourselves: kill,
 * tgkill/raise, sigqueue, rt_sigqueueinfo, rt_tgsigqueueinfo. */
#include "guest.h"
#include <signal.h>

static siginfo_t last;
static int got, uc_ok;

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	last = *si;
	uc_ok = uc != NULL;
	got++;
}

static void show(const char *label) {
	const char *code = last.si_code == SI_USER    ? "SI_USER"
	                   : last.si_code == SI_TKILL ? "SI_TKILL"
	                   : last.si_code == SI_QUEUE ? "SI_QUEUE"
	                                              : "other";
	printf("%s: delivered %d, signo SIG%s, code %s (%d), pid is us %d, uid %d, ucontext %d\n", label, got,
	       guest_signame(last.si_signo), code, last.si_code, last.si_pid == getpid(), last.si_uid, uc_ok);
	got = 0;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGRTMIN + 3, &sa, NULL);

	kill(getpid(), SIGUSR1);
	show("kill");
	raise(SIGUSR1);
	show("raise");
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	show("tgkill");
	union sigval v = {.sival_int = 4242};
	sigqueue(getpid(), SIGRTMIN + 3, v);
	show("sigqueue");
	printf("sigqueue value = %d\n", last.si_value.sival_int);

	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = -42;
	si.si_pid = getpid();
	si.si_uid = 77;
	si.si_value.sival_int = 99;
	EXPECT_EQ("rt_sigqueueinfo(self, code -42)", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si), 0);
	printf("custom code %d, uid as given %d, value %d\n", last.si_code, last.si_uid, last.si_value.sival_int);
	got = 0;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 7;
	EXPECT_EQ("rt_tgsigqueueinfo(self thread)",
	          syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGRTMIN + 3, &si), 0);
	printf("tgsigqueueinfo: signo SIG%s value %d delivered %d\n", guest_signame(last.si_signo), last.si_value.sival_int,
	       got);
	got = 0;

	/* To another process, only negative codes (other than SI_TKILL) pass. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	si.si_code = SI_USER;
	EXPECT_ERR("rt_sigqueueinfo(child, SI_USER)", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si), EPERM);
	si.si_code = SI_TKILL;
	EXPECT_ERR("rt_sigqueueinfo(child, SI_TKILL)", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &si), EPERM);
	si.si_code = SI_QUEUE;
	EXPECT_EQ("rt_sigqueueinfo(child, SI_QUEUE, SIGTERM)", syscall(SYS_rt_sigqueueinfo, c, SIGTERM, &si), 0);
	printf("child: %s\n", guest_wait(c));
	EXPECT_ERR("sigqueue(bad signal)", sigqueue(getpid(), 100, v), EINVAL);
	EXPECT_ERR("rt_sigqueueinfo(nonexistent)", syscall(SYS_rt_sigqueueinfo, 0x3ffffff0, SIGUSR1, &si), ESRCH);
	return done();
}
