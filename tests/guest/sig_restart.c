/* SA_RESTART: a blocking pipe read or wait4 interrupted by a handled signal
 * restarts with it and fails with EINTR without it; poll, nanosleep and
 * sigsuspend-like calls never restart. An interval timer provides the
 * signal; the handler writes into the pipe so the restarted read completes. */
#include "guest.h"
#include <poll.h>
#include <sys/time.h>
#include <time.h>

static int p[2];
static volatile int hits;

static void handler(int sig) {
	(void)sig;
	hits++;
	if (write(p[1], "h", 1) != 1)
		_exit(90);
}

static void arm(int restart) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 50 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
	CHECK(pipe(p) == 0);
	char buf[4];
	char tmp[16];

	arm(0);
	errno = 0;
	ssize_t r = read(p[0], buf, 1);
	printf("read without SA_RESTART = %zd %s, handler ran %d\n", r, r < 0 ? errname(errno) : "", hits);
	CHECK(read(p[0], tmp, sizeof tmp) == 1);
	hits = 0;

	arm(1);
	r = read(p[0], buf, 1);
	printf("read with SA_RESTART = %zd (got '%c'), handler ran %d\n", r, r == 1 ? buf[0] : '?', hits);
	hits = 0;

	arm(1);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	errno = 0;
	int pr = poll(&pf, 1, 5000);
	printf("poll with SA_RESTART = %d %s\n", pr, pr < 0 ? errname(errno) : "");
	CHECK(read(p[0], tmp, sizeof tmp) == 1);
	hits = 0;

	arm(1);
	struct timespec ts = {5, 0}, rem = {0, 0};
	errno = 0;
	int nr = nanosleep(&ts, &rem);
	printf("nanosleep with SA_RESTART = %d %s, remaining > 4s = %d\n", nr, nr < 0 ? errname(errno) : "",
	       rem.tv_sec >= 4);
	CHECK(read(p[0], tmp, sizeof tmp) == 1);
	hits = 0;

	/* wait4 restarts with SA_RESTART. */
	int q[2];
	CHECK(pipe(q) == 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(q[1]);
		char x;
		/* Exit once the parent has taken the signal. */
		if (read(q[0], &x, 1) < 0)
			_exit(90);
		_exit(3);
	}
	close(q[0]);
	arm(1);
	/* The handler's pipe byte tells a helper to release the child. */
	pid_t helper = fork();
	if (helper == 0) {
		char x;
		if (read(p[0], &x, 1) == 1 && write(q[1], "g", 1) == 1)
			_exit(0);
		_exit(1);
	}
	close(q[1]);
	int st;
	errno = 0;
	pid_t w = waitpid(c, &st, 0);
	printf("waitpid with SA_RESTART returned the child = %d, status %s, handler ran %d\n", w == c,
	       w == c ? guest_wstatus(st) : errname(errno), hits);
	guest_wait(helper);
	hits = 0;

	arm(0);
	c = fork();
	if (c == 0) {
		struct timespec t = {0, 300 * 1000 * 1000};
		nanosleep(&t, NULL);
		_exit(4);
	}
	errno = 0;
	w = waitpid(c, &st, 0);
	printf("waitpid without SA_RESTART = %d %s\n", w == c ? 1 : -1, w < 0 ? errname(errno) : "");
	CHECK(read(p[0], tmp, sizeof tmp) == 1);
	printf("child: %s\n", guest_wait(c));
	return done();
}
