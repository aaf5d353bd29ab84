/* POSIX timers: timer_create with SIGEV_SIGNAL (si_code SI_TIMER, value,
 * timer id), SIGEV_THREAD_ID to a chosen thread, SIGEV_NONE with
 * timer_gettime, overruns while the signal is blocked, timer_delete. */
#include "guest.h"
#include <pthread.h>
#include <time.h>

static volatile int fired;
static volatile int code, value, tid_ok;
static volatile pid_t handler_tid;

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	fired++;
	code = si->si_code;
	value = si->si_value.sival_int;
	handler_tid = syscall(SYS_gettid);
}

static pid_t target_tid;
static int tp[2];

static void *target(void *arg) {
	(void)arg;
	target_tid = syscall(SYS_gettid);
	sigset_t b, none;
	sigemptyset(&b);
	sigaddset(&b, SIGRTMIN);
	sigemptyset(&none);
	pthread_sigmask(SIG_BLOCK, &b, NULL);
	if (write(tp[1], "u", 1) != 1)
		return NULL;
	/* Wait for the signal to be handled here. */
	while (!fired)
		sigsuspend(&none);
	return NULL;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);

	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	sev.sigev_value.sival_int = 77;
	timer_t t;
	EXPECT_EQ("timer_create(MONOTONIC, SIGEV_SIGNAL)", timer_create(CLOCK_MONOTONIC, &sev, &t), 0);
	struct itimerspec its = {{0, 0}, {0, 10 * 1000 * 1000}}, cur;
	EXPECT_EQ("timer_gettime(disarmed)", timer_gettime(t, &cur), 0);
	printf("disarmed value zero = %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
	EXPECT_EQ("timer_settime(10ms one-shot)", timer_settime(t, 0, &its, NULL), 0);
	sigset_t none;
	sigemptyset(&none);
	while (!fired)
		sigsuspend(&none);
	printf("fired %d, si_code SI_TIMER %d, value %d\n", fired, code == SI_TIMER, value);
	timer_gettime(t, &cur);
	printf("one-shot disarmed after firing = %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	/* Overruns: periodic 1ms timer while the signal is blocked. */
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &b, NULL);
	fired = 0;
	struct itimerspec per = {{0, 1000 * 1000}, {0, 1000 * 1000}};
	timer_settime(t, 0, &per, NULL);
	struct timespec nap = {0, 30 * 1000 * 1000};
	nanosleep(&nap, NULL);
	struct itimerspec off = {{0, 0}, {0, 0}};
	siginfo_t si;
	int s = sigwaitinfo(&b, &si);
	printf("one queued signal for the periodic timer: SIG%s, si_overrun > 5 = %d\n", guest_signame(s),
	       si.si_overrun > 5);
	timer_settime(t, 0, &off, NULL);
	struct timespec z = {0, 0};
	EXPECT_ERR("no second signal queued", sigtimedwait(&b, &si, &z), EAGAIN);
	sigprocmask(SIG_UNBLOCK, &b, NULL);
	printf("timer_getoverrun after delivery >= 0 = %d\n", timer_getoverrun(t) >= 0);

	/* Absolute time in the past fires immediately. */
	fired = 0;
	struct itimerspec past = {{0, 0}, {0, 1}};
	EXPECT_EQ("timer_settime(TIMER_ABSTIME, past)", timer_settime(t, TIMER_ABSTIME, &past, NULL), 0);
	while (!fired)
		sigsuspend(&none);
	printf("absolute past deadline fired = %d\n", fired);
	EXPECT_EQ("timer_delete", timer_delete(t), 0);
	EXPECT_ERR("timer_delete again", timer_delete(t), EINVAL);
	EXPECT_ERR("timer_gettime(deleted)", timer_gettime(t, &cur), EINVAL);

	/* SIGEV_NONE: no signal, but timer_gettime counts down. */
	sev.sigev_notify = SIGEV_NONE;
	timer_t tn;
	EXPECT_EQ("timer_create(SIGEV_NONE)", timer_create(CLOCK_MONOTONIC, &sev, &tn), 0);
	struct itimerspec longer = {{0, 0}, {10, 0}};
	timer_settime(tn, 0, &longer, NULL);
	timer_gettime(tn, &cur);
	printf("SIGEV_NONE counting down: 9s < value <= 10s = %d\n",
	       cur.it_value.tv_sec == 9 || (cur.it_value.tv_sec == 10 && cur.it_value.tv_nsec == 0));
	timer_delete(tn);

	/* SIGEV_THREAD_ID: delivered to the named thread. */
	CHECK(pipe(tp) == 0);
	fired = 0;
	pthread_t th;
	pthread_create(&th, NULL, target, NULL);
	char c;
	CHECK(read(tp[0], &c, 1) == 1);
	sigprocmask(SIG_BLOCK, &b, NULL); /* main blocks it; the thread does not */
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = target_tid;
	timer_t tt;
	EXPECT_EQ("timer_create(SIGEV_THREAD_ID)", timer_create(CLOCK_REALTIME, &sev, &tt), 0);
	timer_settime(tt, 0, &its, NULL);
	pthread_join(th, NULL);
	printf("SIGEV_THREAD_ID: handled by the target thread = %d\n", handler_tid == target_tid);
	timer_delete(tt);

	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = 100;
	EXPECT_ERR("timer_create(bad signal)", timer_create(CLOCK_MONOTONIC, &sev, &tt), EINVAL);
	sev.sigev_signo = SIGRTMIN;
	EXPECT_ERR("timer_create(bad clock)", timer_create(77, &sev, &tt), EINVAL);
	return done();
}
