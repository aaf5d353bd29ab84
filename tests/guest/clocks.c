/* clock_gettime/clock_getres/nanosleep/time/gettimeofday. */
#include "guest.h"
#include <time.h>
#include <sys/time.h>

static long long ns(struct timespec t) {
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
	struct timespec a, b;
	int mono_ok = 1;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	for (int i = 0; i < 1000; i++) {
		CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
		if (ns(b) < ns(a))
			mono_ok = 0;
		a = b;
	}
	printf("monotonic non-decreasing = %d\n", mono_ok);
	CHECK(mono_ok);
	EXPECT_EQ("raw clock_gettime(MONOTONIC)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0);
	printf("tv_nsec in range = %d\n", a.tv_nsec >= 0 && a.tv_nsec < 1000000000);

	struct timespec rt;
	CHECK(clock_gettime(CLOCK_REALTIME, &rt) == 0);
	time_t t = time(NULL);
	long diff = (long)(t - rt.tv_sec);
	printf("realtime within 2 s of time() = %d\n", diff >= -2 && diff <= 2);
	printf("realtime after 2020 = %d\n", rt.tv_sec > 1577836800);
	struct timeval tv;
	EXPECT_EQ("gettimeofday", gettimeofday(&tv, NULL), 0);
	printf("gettimeofday within 2 s = %d\n", tv.tv_sec - rt.tv_sec <= 2 && tv.tv_sec - rt.tv_sec >= -2);
	time_t raw = 0;
	EXPECT_EQ("raw time(&t) agrees", labs((long)syscall(SYS_time, &raw) - (long)t) <= 2, 1);

	clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
	                   CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_REALTIME_COARSE,
	                   CLOCK_MONOTONIC_COARSE};
	const char *names[] = {"REALTIME", "MONOTONIC", "MONOTONIC_RAW", "BOOTTIME", "PROCESS_CPUTIME",
	                       "THREAD_CPUTIME", "REALTIME_COARSE", "MONOTONIC_COARSE"};
	for (int i = 0; i < 8; i++) {
		struct timespec r = {-1, -1}, now;
		int g = clock_getres(ids[i], &r);
		int h = clock_gettime(ids[i], &now);
		printf("%s: getres = %d positive res = %d <= 10ms = %d, gettime = %d\n", names[i], g,
		       r.tv_sec == 0 && r.tv_nsec > 0, r.tv_sec == 0 && r.tv_nsec <= 10000000, h);
	}
	EXPECT_ERR("clock_gettime(bad clock)", syscall(SYS_clock_gettime, 12345, &a), EINVAL);
	EXPECT_ERR("clock_getres(bad clock)", syscall(SYS_clock_getres, -12345, &a), EINVAL);
	EXPECT_ERR("clock_gettime(bad pointer)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1), EFAULT);
	EXPECT_EQ("clock_getres(NULL res)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0);

	struct timespec req = {0, 10 * 1000 * 1000}, before, after;
	clock_gettime(CLOCK_MONOTONIC, &before);
	EXPECT_EQ("nanosleep(10 ms)", nanosleep(&req, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &after);
	long long slept = ns(after) - ns(before);
	printf("slept >= 10 ms = %d, < 5 s = %d\n", slept >= 10000000LL, slept < 5000000000LL);
	struct timespec bad = {0, 1000000000};
	EXPECT_ERR("nanosleep(nsec 1e9)", nanosleep(&bad, NULL), EINVAL);
	struct timespec neg = {-1, 0};
	EXPECT_ERR("nanosleep(negative)", nanosleep(&neg, NULL), EINVAL);
	struct timespec zero = {0, 0};
	EXPECT_EQ("nanosleep(0)", nanosleep(&zero, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &before);
	struct timespec abs_ = before;
	abs_.tv_nsec += 5000000;
	if (abs_.tv_nsec >= 1000000000) {
		abs_.tv_sec++;
		abs_.tv_nsec -= 1000000000;
	}
	EXPECT_EQ("clock_nanosleep(TIMER_ABSTIME +5 ms)", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &after);
	printf("absolute sleep reached deadline = %d\n", ns(after) >= ns(abs_));
	return done();
}
