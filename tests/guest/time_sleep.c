/* nanosleep and clock_nanosleep: relative and TIMER_ABSTIME sleeps last at
 * least as asked, a past deadline returns at once, a signal interrupts with
 * the remaining time reported (relative) or not touched (absolute), errors
 * come back as return values from clock_nanosleep. */
#include "guest.h"
#include <sys/time.h>
#include <time.h>

static void handler(int sig) {
	(void)sig;
}

static long ms_since(const struct timespec *t0) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void) {
	struct timespec t0, req = {0, 30 * 1000 * 1000}, rem;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ("nanosleep(30ms)", nanosleep(&req, NULL), 0);
	printf("slept >= 30ms = %d\n", ms_since(&t0) >= 30);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ("clock_nanosleep(MONOTONIC, relative 30ms)", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
	printf("slept >= 30ms = %d\n", ms_since(&t0) >= 30);

	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dl = t0;
	dl.tv_nsec += 25 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	EXPECT_EQ("clock_nanosleep(MONOTONIC, TIMER_ABSTIME +25ms)", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL),
	          0);
	printf("woke at or after the deadline = %d\n", ms_since(&t0) >= 25);
	struct timespec past = {0, 1};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ("clock_nanosleep(TIMER_ABSTIME, past)", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
	printf("returned at once = %d\n", ms_since(&t0) < 1000);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 10 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	EXPECT_EQ("clock_nanosleep(REALTIME, TIMER_ABSTIME +10ms)", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &dl, NULL),
	          0);
	EXPECT_EQ("clock_nanosleep(BOOTTIME, 1ms)", clock_nanosleep(CLOCK_BOOTTIME, 0, &(struct timespec){0, 1000000}, NULL),
	          0);

	EXPECT_EQ("clock_nanosleep(THREAD_CPUTIME) returns EINVAL",
	          clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EINVAL);
	EXPECT_EQ("clock_nanosleep(bad clock) returns EINVAL", clock_nanosleep(99, 0, &req, NULL), EINVAL);
	struct timespec bad = {0, 1000000000};
	EXPECT_EQ("clock_nanosleep(bad nsec) returns EINVAL", clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
	EXPECT_ERR("nanosleep(negative)", nanosleep(&(struct timespec){-1, 0}, NULL), EINVAL);
	EXPECT_ERR("nanosleep(bad pointer)", nanosleep((struct timespec *)8, NULL), EFAULT);

	/* Interrupted by a handled signal. */
	signal(SIGALRM, handler);
	struct itimerval it = {{0, 0}, {0, 30 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec long_req = {5, 0};
	memset(&rem, 0, sizeof rem);
	errno = 0;
	int r = nanosleep(&long_req, &rem);
	int e = errno;
	printf("nanosleep interrupted = %d %s, remaining > 0 = %d, remaining < 5s = %d\n", r, errname(e),
	       rem.tv_sec > 0 || rem.tv_nsec > 0, rem.tv_sec < 5);

	setitimer(ITIMER_REAL, &it, NULL);
	memset(&rem, 0, sizeof rem);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &long_req, &rem);
	printf("clock_nanosleep relative interrupted returns %s, remaining in (4s,5s) = %d\n", errname(r),
	       rem.tv_sec == 4);

	setitimer(ITIMER_REAL, &it, NULL);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 5;
	rem.tv_sec = 123;
	rem.tv_nsec = 0;
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, &rem);
	printf("clock_nanosleep absolute interrupted returns %s, remaining untouched = %d\n", errname(r), rem.tv_sec == 123);

	/* SIGSTOP/SIGCONT of a sleeping child does not end its sleep early. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct timespec s0, q = {0, 100 * 1000 * 1000};
		clock_gettime(CLOCK_MONOTONIC, &s0);
		int rr = nanosleep(&q, NULL);
		_exit(rr == 0 && ms_since(&s0) >= 100 ? 0 : 1);
	}
	kill(c, SIGSTOP);
	int st;
	waitpid(c, &st, WUNTRACED);
	kill(c, SIGCONT);
	printf("child sleeping through stop/continue: %s\n", guest_wait(c));
	return done();
}
