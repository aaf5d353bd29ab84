/* Timers on CPU clocks count CPU time, not wall time: ITIMER_VIRTUAL,
 * ITIMER_PROF and a POSIX timer on CLOCK_PROCESS_CPUTIME_ID stay silent
 * while the process sleeps and fire once it has run long enough; a
 * thread's CPU-clock timer ignores the CPU its siblings use; RLIMIT_CPU
 * sends SIGXCPU at the soft limit (moving the soft limit on a second) and
 * SIGKILL at the hard limit. */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t vtalrm, prof, posix_fired, thread_fired, xcpu;

static void handler(int sig) {
	if (sig == SIGVTALRM)
		vtalrm++;
	else if (sig == SIGPROF)
		prof++;
	else if (sig == SIGUSR1)
		posix_fired++;
	else if (sig == SIGUSR2)
		thread_fired++;
	else if (sig == SIGXCPU)
		xcpu++;
}

static double cpu_seconds(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Burns CPU until `flag` is set or `limit` CPU seconds passed. */
static void burn(volatile sig_atomic_t *flag, double limit) {
	double start = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
	while (!*flag && cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - start < limit)
		for (volatile int i = 0; i < 10000; i++)
			;
}

static volatile int spin_done;

static void *spinner(void *arg) {
	(void)arg;
	double start = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
	while (cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - start < 0.2)
		;
	spin_done = 1;
	return NULL;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	for (int s = 1; s < 32; s++)
		if (s == SIGVTALRM || s == SIGPROF || s == SIGUSR1 || s == SIGUSR2 || s == SIGXCPU)
			sigaction(s, &sa, NULL);

	/* Interval timers: 50 ms of CPU time. */
	struct itimerval v = {{0, 0}, {0, 50000}};
	CHECK(setitimer(ITIMER_VIRTUAL, &v, NULL) == 0);
	CHECK(setitimer(ITIMER_PROF, &v, NULL) == 0);
	struct timespec nap = {0, 300 * 1000 * 1000};
	nanosleep(&nap, NULL);
	struct itimerval cur;
	getitimer(ITIMER_VIRTUAL, &cur);
	printf("after sleeping 300 ms: SIGVTALRM %d, SIGPROF %d\n", vtalrm, prof);
	printf("VIRTUAL still armed with most of its time = %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 30000);
	burn(&vtalrm, 2.0);
	burn(&prof, 2.0);
	printf("after burning CPU: SIGVTALRM %d, SIGPROF %d\n", vtalrm, prof);

	/* A POSIX timer on the process CPU clock. */
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	timer_t pt;
	CHECK(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &pt) == 0);
	struct itimerspec its = {{0, 0}, {0, 50 * 1000 * 1000}};
	CHECK(timer_settime(pt, 0, &its, NULL) == 0);
	nanosleep(&nap, NULL);
	printf("process CPU timer after sleeping: fired %d\n", posix_fired);
	burn(&posix_fired, 2.0);
	printf("process CPU timer after burning CPU: fired %d\n", posix_fired);
	/* Absolute deadlines are CPU-clock readings. */
	struct itimerspec abs = {{0, 0}, {0, 0}};
	double now = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) + 0.05;
	abs.it_value.tv_sec = (time_t)now;
	abs.it_value.tv_nsec = (long)((now - (time_t)now) * 1e9);
	posix_fired = 0;
	CHECK(timer_settime(pt, TIMER_ABSTIME, &abs, NULL) == 0);
	burn(&posix_fired, 2.0);
	printf("absolute process CPU deadline: fired %d\n", posix_fired);
	timer_delete(pt);

	/* The main thread's own CPU clock: a sibling's spinning does not count. */
	clockid_t mine;
	CHECK(pthread_getcpuclockid(pthread_self(), &mine) == 0);
	ev.sigev_signo = SIGUSR2;
	CHECK(timer_create(mine, &ev, &pt) == 0);
	CHECK(timer_settime(pt, 0, &its, NULL) == 0);
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	pthread_join(t, NULL);
	CHECK(spin_done);
	printf("thread CPU timer while a sibling spun: fired %d\n", thread_fired);
	burn(&thread_fired, 2.0);
	printf("thread CPU timer after the thread itself burned CPU: fired %d\n", thread_fired);
	timer_delete(pt);

	/* RLIMIT_CPU: SIGXCPU at 1 s, soft limit moved to 2 s, SIGKILL at 2 s. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r = {1, 2};
		CHECK(setrlimit(RLIMIT_CPU, &r) == 0);
		burn(&xcpu, 10.0);
		struct rlimit after;
		getrlimit(RLIMIT_CPU, &after);
		printf("child: SIGXCPU %d at the soft limit; soft limit now %llu, hard %llu\n", xcpu,
		       (unsigned long long)after.rlim_cur, (unsigned long long)after.rlim_max);
		fflush(stdout);
		volatile sig_atomic_t never = 0;
		burn(&never, 10.0);
		printf("child: still running after 10 s of CPU\n");
		_exit(0);
	}
	printf("child over its hard CPU limit: %s\n", guest_wait(c));
	return done();
}
