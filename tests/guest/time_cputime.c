/* CPU-time clocks and resource usage: CLOCK_PROCESS_CPUTIME_ID and
 * CLOCK_THREAD_CPUTIME_ID advance with busy work, another thread's clock via
 * pthread_getcpuclockid, a child's clock via clock_getcpuclockid,
 * getrusage(SELF/THREAD/CHILDREN), times(). */
#include "guest.h"
#include <pthread.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>

static long ns(clockid_t c) {
	struct timespec t;
	if (clock_gettime(c, &t) != 0)
		return -1;
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void burn(clockid_t c, long how_ns) {
	long start = ns(c);
	volatile unsigned long x = 0;
	while (ns(c) - start < how_ns)
		for (int i = 0; i < 10000; i++)
			x += i;
}

static volatile int stop;

static void *spinner(void *arg) {
	(void)arg;
	volatile unsigned long x = 0;
	while (!stop)
		x++;
	return NULL;
}

int main(void) {
	/* The process window encloses the thread window: p0, t0 ... t1, p1. */
	long p0 = ns(CLOCK_PROCESS_CPUTIME_ID), t0 = ns(CLOCK_THREAD_CPUTIME_ID);
	burn(CLOCK_THREAD_CPUTIME_ID, 30 * 1000000L);
	long t1 = ns(CLOCK_THREAD_CPUTIME_ID), p1 = ns(CLOCK_PROCESS_CPUTIME_ID);
	printf("thread cputime advanced >= 30ms = %d, process cputime >= thread's = %d\n", t1 - t0 >= 30000000,
	       p1 - p0 >= t1 - t0 - 1000000);
	struct timespec res;
	EXPECT_EQ("clock_getres(PROCESS_CPUTIME)", clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res), 0);
	printf("resolution 1ns = %d\n", res.tv_sec == 0 && res.tv_nsec == 1);
	EXPECT_ERR("clock_settime(PROCESS_CPUTIME)", clock_settime(CLOCK_PROCESS_CPUTIME_ID, &res), EINVAL);

	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	clockid_t tc;
	EXPECT_EQ("pthread_getcpuclockid", pthread_getcpuclockid(t, &tc), 0);
	long s0 = ns(tc);
	burn(tc, 20 * 1000000L);
	printf("other thread's clock advanced >= 20ms = %d\n", ns(tc) - s0 >= 20000000);
	stop = 1;
	pthread_join(t, NULL);

	struct rusage ru;
	EXPECT_EQ("getrusage(SELF)", getrusage(RUSAGE_SELF, &ru), 0);
	long self_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
	printf("RUSAGE_SELF cpu >= 40ms = %d, maxrss > 0 = %d\n", self_us >= 40000, ru.ru_maxrss > 0);
	EXPECT_EQ("getrusage(THREAD)", getrusage(RUSAGE_THREAD, &ru), 0);
	long thr_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
	printf("RUSAGE_THREAD cpu >= 20ms = %d, <= SELF = %d\n", thr_us >= 20000, thr_us <= self_us);
	EXPECT_EQ("getrusage(CHILDREN) before any child", getrusage(RUSAGE_CHILDREN, &ru), 0);
	printf("children cpu zero = %d\n", ru.ru_utime.tv_sec == 0 && ru.ru_utime.tv_usec == 0);
	EXPECT_ERR("getrusage(bad who)", getrusage(5, &ru), EINVAL);

	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		burn(CLOCK_PROCESS_CPUTIME_ID, 50 * 1000000L);
		char x = 'd';
		if (write(p[1], &x, 1) != 1)
			_exit(1);
		/* Keep running until reaped-by-kill so the parent can read our clock. */
		for (;;)
			pause();
	}
	char x;
	CHECK(read(p[0], &x, 1) == 1);
	clockid_t cc;
	EXPECT_EQ("clock_getcpuclockid(child)", clock_getcpuclockid(c, &cc), 0);
	printf("child's cpu clock >= 50ms = %d\n", ns(cc) >= 50000000);
	kill(c, SIGKILL);
	guest_wait(c);
	getrusage(RUSAGE_CHILDREN, &ru);
	long ch_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
	printf("RUSAGE_CHILDREN after reaping >= 40ms = %d\n", ch_us >= 40000);
	struct tms tm;
	clock_t now = times(&tm);
	long hz = sysconf(_SC_CLK_TCK);
	printf("times(): CLK_TCK = %ld, tms_cutime+cstime >= 4 ticks = %d, utime+stime >= 4 ticks = %d, return nonzero = %d\n",
	       hz, tm.tms_cutime + tm.tms_cstime >= 4, tm.tms_utime + tm.tms_stime >= 4, now != 0);
	return done();
}
