/* alarm and interval timers: ITIMER_REAL periodic SIGALRMs, ITIMER_VIRTUAL
 * and ITIMER_PROF with busy work, getitimer, disarming, alarm return
 * values, itimers across fork (cleared) and exec (kept). */
#include "guest.h"
#include <sys/time.h>

static volatile int alrm, vtalrm, prof;

static void handler(int sig) {
	if (sig == SIGALRM)
		alrm++;
	else if (sig == SIGVTALRM)
		vtalrm++;
	else if (sig == SIGPROF)
		prof++;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "--after-exec") == 0) {
		struct itimerval it;
		getitimer(ITIMER_REAL, &it);
		printf("after exec: ITIMER_REAL still armed = %d\n", it.it_value.tv_sec > 0 || it.it_value.tv_usec > 0);
		printf("after exec: alarm(0) returned a positive remainder = %d\n", alarm(0) > 0);
		return 0;
	}
	signal(SIGALRM, handler);
	signal(SIGVTALRM, handler);
	signal(SIGPROF, handler);

	EXPECT_EQ("alarm(5) with none pending", alarm(5), 0);
	EXPECT_EQ("alarm(3) returns the old remainder", alarm(3), 5);
	EXPECT_EQ("alarm(0) cancels", alarm(0), 3);
	EXPECT_EQ("alarm(0) again", alarm(0), 0);

	struct itimerval it = {{0, 10000}, {0, 10000}}, old, cur;
	EXPECT_EQ("setitimer(REAL 10ms periodic)", setitimer(ITIMER_REAL, &it, NULL), 0);
	sigset_t none;
	sigemptyset(&none);
	while (alrm < 3)
		sigsuspend(&none);
	EXPECT_EQ("getitimer(REAL)", getitimer(ITIMER_REAL, &cur), 0);
	printf("interval reported 10ms = %d, value within interval = %d\n", cur.it_interval.tv_usec == 10000,
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 10000);
	struct itimerval zero = {{0, 0}, {0, 0}};
	EXPECT_EQ("setitimer(REAL, 0) disarms", setitimer(ITIMER_REAL, &zero, &old), 0);
	printf("old interval returned = %d\n", old.it_interval.tv_usec == 10000);
	getitimer(ITIMER_REAL, &cur);
	printf("disarmed: value zero = %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
	printf("SIGALRM count >= 3 = %d\n", alrm >= 3);

	struct itimerval v = {{0, 0}, {0, 20000}};
	EXPECT_EQ("setitimer(VIRTUAL 20ms)", setitimer(ITIMER_VIRTUAL, &v, NULL), 0);
	EXPECT_EQ("setitimer(PROF 20ms)", setitimer(ITIMER_PROF, &v, NULL), 0);
	volatile unsigned long x = 0;
	while (!vtalrm || !prof)
		x++;
	printf("SIGVTALRM after user-time busy loop = %d, SIGPROF = %d\n", vtalrm, prof);
	getitimer(ITIMER_VIRTUAL, &cur);
	printf("one-shot VIRTUAL disarmed after firing = %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	EXPECT_ERR("setitimer(bad which)", setitimer(5, &it, NULL), EINVAL);
	struct itimerval bad = {{0, 0}, {0, 1000000}};
	EXPECT_ERR("setitimer(usec 1000000)", setitimer(ITIMER_REAL, &bad, NULL), EINVAL);

	/* fork clears timers; exec keeps them. */
	struct itimerval long_one = {{0, 0}, {100, 0}};
	setitimer(ITIMER_REAL, &long_one, NULL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct itimerval ci;
		getitimer(ITIMER_REAL, &ci);
		printf("  fork child: ITIMER_REAL cleared = %d, alarm(0) = %u\n",
		       ci.it_value.tv_sec == 0 && ci.it_value.tv_usec == 0, alarm(0));
		setitimer(ITIMER_REAL, &long_one, NULL);
		char *args[] = {"self", "--after-exec", NULL};
		fflush(stdout);
		execv("/proc/self/exe", args);
		_exit(90);
	}
	printf("child: %s\n", guest_wait(c));
	setitimer(ITIMER_REAL, &zero, NULL);
	return done();
}
